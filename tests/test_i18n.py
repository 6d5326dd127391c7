"""The CLI speaks Vietnamese by default (click's usage errors, every --help, pydantic's
messages, every printed line, dates DD/MM/YYYY in Vietnam's time), English on request;
"did you mean"; --json of plugins, runs, overrides and policy show; generate --force."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from xeploai.scoring.catalogues import compiled, read_catalogue
from xeploai.scoring.cli import main
from xeploai.scoring.i18n import LANGUAGES, _, activate, format_date, format_datetime, locale_dir

from .conftest import SAMPLE

# the commands of the time, whose help must exist in both languages
COMMANDS = [[], ["run"], ["explain"], ["export"], ["validate"], ["generate"], ["plugins"],
            ["policy"], ["policy", "show"], ["override"], ["overrides"], ["runs"], ["diff"]]


def invoke(*args: str, expect: int = 0, lang: str | None = None, db: str | None = None):
    env = {"XEPLOAI_LANG": lang} if lang else {"XEPLOAI_LANG": ""}
    if db:
        env["XEPLOAI_DB"] = db
    result = CliRunner().invoke(main, list(args), env=env, prog_name="xeploai")
    assert result.exit_code == expect, (result.output, result.exception)
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture(autouse=True)
def back_to_vietnamese():
    yield
    activate("vi", main)


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> str:
    db = f"sqlite:///{tmp_path_factory.mktemp('i18n') / 'runs.db'}"
    invoke("run", "--data", str(SAMPLE), "--year", "2023", db=db)
    return db


# --- usage errors (the issue's own examples), exit code 2 ------------------------------------

@pytest.mark.parametrize(("args", "message"), [
    (["run", "--data", str(SAMPLE), "--yaer", "2023"],
     "Lỗi: Không có tùy chọn '--yaer'. Có phải ý bạn là '--year'?"),
    (["run", "--data", str(SAMPLE)], "Lỗi: Thiếu tùy chọn '--year'."),
    # the example was pdf, a format since; any other name is still refused
    (["export", "--format", "docx", "--out", "x"],
     "Lỗi: Giá trị không hợp lệ cho '--format': 'docx' không phải là một trong: 'csv', "
     "'xlsx', 'json', 'pdf'."),
    (["run", "--data", str(SAMPLE), "--year", "hai"],
     "Lỗi: Giá trị không hợp lệ cho '--year': 'hai' không phải là số hợp lệ."),
    (["rnu"], "Lỗi: Không có lệnh 'rnu'. Có phải ý bạn là 'run'?"),
    (["generate", "--officials", "0", "--dossiers", "1", "--year", "2023", "--out", "x"],
     "Lỗi: Giá trị không hợp lệ cho '--officials': 0 nằm ngoài khoảng cho phép x>=1."),
])
def test_usage_errors_are_vietnamese(args, message):
    output = invoke(*args, expect=2)
    assert message in output
    assert "Cách dùng: xeploai" in output and "Xem hướng dẫn: 'xeploai" in output
    assert "Usage" not in output and "Error" not in output


def test_usage_errors_in_english_on_request():
    output = invoke("run", "--data", str(SAMPLE), "--yaer", "2023", expect=2, lang="en")
    assert "Error: No such option '--yaer'. Did you mean '--year'?" in output
    output = invoke("--lang", "en", "run", "--data", str(SAMPLE), expect=2)
    assert "Error: Missing option '--year'." in output and "Usage: xeploai run" in output


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "xeploai")
def test_every_help_is_vietnamese_and_english_on_request(command):
    vi = invoke(*command, "--help")
    assert vi.startswith("Cách dùng: xeploai") and "Tùy chọn:" in vi and "Ví dụ:" in vi
    assert "Show this message and exit" not in vi and "hướng dẫn này" in vi
    for english_word in ("Usage", "Options", "Example", "[required]", "Run id", "Database"):
        assert english_word not in vi, english_word
    en = invoke(*command, "--help", lang="en")
    assert en.startswith("Usage: xeploai") and "Options:" in en and "Tùy chọn" not in en
    assert "Show this message and exit." in en and "[OPTIONS]" in en


def test_every_vietnamese_text_has_an_english_translation():
    """Every help text and every ``_()`` text of the package written in Vietnamese has an
    English translation in the catalogue: a text added or edited without one fails here
    (run python -m xeploai.scoring.catalogues, then translate the empty entries)."""
    from xeploai.scoring.catalogues import source_texts

    vietnamese = re.compile("[ăâđêôơưĂÂĐÊÔƠƯàáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ]")
    english = {m.id: m.string for m in read_catalogue("en") if m.id}
    missing = [text for text in source_texts()
               if vietnamese.search(text) and not english.get(text)]
    assert not missing, missing


def test_help_texts_have_english_translations():
    """Help texts are translated, as a reader sees them."""
    en = invoke("validate", "--help", lang="en")
    assert "Check the input files only and list every problem" in en and "Example:" in en
    assert "--data DIR" in en and "Dataset folder to check." in en
    assert "Language: vi (Vietnamese, the default) or en" in invoke("--help", lang="en")


def test_printed_lines_and_dates(stored):
    runs = json.loads(invoke("runs", "--json", db=stored))
    created = dt.datetime.fromisoformat(runs[0]["created_at"])
    table = invoke("runs", db=stored)
    assert format_datetime(created) in table and "giờ Việt Nam" in table
    again = ("run", "--data", str(SAMPLE), "--year", "2023", "--again")
    assert "Mã lần chạy: 2" in invoke(*again, db=stored)
    assert "run id: 3" in invoke(*again, db=stored, lang="en")


def test_dates_are_day_first_in_vietnam_time():
    late_evening_utc = dt.datetime(2023, 12, 31, 20, 5, 9, tzinfo=dt.UTC)
    assert format_datetime(late_evening_utc) == "01/01/2024 03:05:09"
    assert format_datetime(late_evening_utc.replace(tzinfo=None)) == "01/01/2024 03:05:09"
    assert format_date(late_evening_utc) == "01/01/2024"
    assert format_date(dt.date(2024, 1, 15)) == "15/01/2024"


def test_pydantic_messages_are_vietnamese():
    output = invoke("run", "--data", str(SAMPLE), "--year", "2023", "--dry-run", "--set",
                    "late_dossiers.repeat_threshold=hai", expect=1)
    assert "late_dossiers.repeat_threshold: phải là số nguyên (giá trị 'hai')" in output
    assert "Input should" not in output


def test_compiled_catalogues_match_their_sources():
    for language in LANGUAGES:
        mo = locale_dir() / language / "LC_MESSAGES" / "xeploai.mo"
        assert mo.read_bytes() == compiled(read_catalogue(language)), \
            f"{mo}: run python -m xeploai.scoring.catalogues"


def test_a_text_missing_from_the_catalogue_is_shown_as_written():
    activate("en")
    assert _("Mã lần chạy: {run}") == "run id: {run}"
    assert _("Một câu mới chưa dịch") == "Một câu mới chưa dịch"
    activate("vi")
    assert _("Mã lần chạy: {run}") == "Mã lần chạy: {run}"


# --- did you mean ----------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["bd0029", " BD0029 ", "bd 0029", "Bd-0029"])
def test_explain_finds_an_official_whatever_the_case_and_spacing(stored, typed):
    assert "BD0029" in invoke("explain", typed, db=stored)


def test_explain_suggests_the_closest_official_ids(stored):
    output = invoke("explain", "BD0O29", expect=1, db=stored)
    assert "không có cán bộ 'BD0O29'" in output and "có phải ý bạn là 'BD0029'" in output


def test_a_mistyped_parameter_is_suggested():
    output = invoke("run", "--data", str(SAMPLE), "--year", "2023", "--dry-run", "--set",
                    "late_dossiers.repeat_treshold=2", expect=1)
    assert "có phải ý bạn là 'late_dossiers.repeat_threshold'?" in output


def test_a_mistyped_plugin_name_is_suggested(tmp_path):
    policy = tmp_path / "p.toml"
    policy.write_text('[policy]\nextends = "binh_dinh_2023.toml"\nplugins_add = ["inovation"]\n',
                      encoding="utf-8")
    output = invoke("policy", "show", "--policy", str(policy), expect=1)
    assert "inovation" in output and "có phải ý bạn là 'innovation'?" in output


# --- generate --force, --json -----------------------------------------------------------------

def test_generate_refuses_a_folder_with_files_unless_forced(tmp_path):
    out = tmp_path / "data"
    out.mkdir()
    (out / "officials.csv").write_text("dữ liệu thật\n", encoding="utf-8")
    args = ["generate", "--officials", "5", "--dossiers", "10", "--year", "2023", "--out",
            str(out)]
    assert "--force" in invoke(*args, expect=1)
    assert (out / "officials.csv").read_text(encoding="utf-8") == "dữ liệu thật\n"
    invoke(*args, "--force")
    assert (out / "officials.csv").read_text(encoding="utf-8").startswith("official_id")
    invoke(*args[:-1], str(tmp_path / "new"))  # a new or empty folder needs no --force


def test_json_of_plugins_runs_overrides_and_policy(stored):
    plugins = json.loads(invoke("plugins", "--json"))
    by_name = {p["name"]: p for p in plugins}
    assert by_name["late_dossiers"]["enabled"] is True
    assert "repeat_threshold" in by_name["late_dossiers"]["parameters"]
    rules = {r["id"]: r["assumption"] for r in by_name["late_dossiers"]["rules"]}
    assert rules["late_dossiers.repeat_offence"] is False and len(rules) == 4

    invoke("override", "BD0029", "--level", "HTTNV", "--reason", "Biên bản số 1",
           "--by", "Nguyễn Văn A", "--basis", "QĐ 15/QĐ-UBND", "--run", "1", db=stored)
    decisions = json.loads(invoke("overrides", "--run", "1", "--json", db=stored))
    assert decisions["decisions"][0]["official_id"] == "BD0029"
    assert decisions["decisions"][0]["level"] == "HTTNV"
    assert dt.datetime.fromisoformat(decisions["decisions"][0]["created_at"])
    everything = json.loads(invoke("overrides", "--all", "--json", db=stored))
    assert len(everything["decisions"]) >= 1

    runs = json.loads(invoke("runs", "--json", db=stored))
    assert isinstance(runs[0]["year"], int) and runs[0]["officials"] == 44
    assert isinstance(runs[0]["input_hashes"], dict) and "officials.csv" in \
        runs[0]["input_hashes"]

    shown = json.loads(invoke("policy", "show", "--year", "2023", "--json"))
    repeat = next(p for p in shown["parameters"]
                  if p["key"] == "late_dossiers.repeat_threshold")
    assert repeat["value"] == 3 and dt.date.fromisoformat(repeat["from"]).year <= 2023
    assert repeat["assumption"] is True and "4510" in repeat["reference"]


def test_help_texts_of_new_commands_need_no_english_to_work(tmp_path: Path):
    """A command another engineer adds with Vietnamese help and no English entry shows its
    Vietnamese text in English mode rather than failing."""
    import click

    @main.command("thu_nghiem_tam")
    def temporary() -> None:
        """Lệnh thử, chưa có bản tiếng Anh."""

    try:
        assert "Lệnh thử, chưa có bản tiếng Anh." in invoke("thu_nghiem_tam", "--help",
                                                             lang="en")
    finally:
        main.commands.pop("thu_nghiem_tam")
    assert isinstance(temporary, click.Command)
