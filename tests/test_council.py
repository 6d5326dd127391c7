"""Council overrides, run listing, run comparison and what-if, through the library API and
the command line, on real SQLite files (and PostgreSQL in CI)."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from xeploai.scoring import api
from xeploai.scoring.cli import main
from xeploai.scoring.compare import compare_runs, parse_settings, what_if
from xeploai.scoring.errors import UnknownOfficialError, XeploaiError
from xeploai.scoring.explain import explanation, render_text
from xeploai.scoring.overrides import (
    OverrideError,
    council_view,
    load_overrides,
    parse_titles,
    pending_overrides,
    quota_allowed,
    record_override,
)

from .conftest import POLICY, SAMPLE

# --- overrides ------------------------------------------------------------------------


def test_override_changes_final_value_and_keeps_the_engine_value(engine, sample_run, tmp_path):
    record_override(engine, "BD0033", level="HTTNV", titles=["LĐTT"],
                    reason="Biên bản họp Hội đồng số 12", by="Nguyễn Văn A")
    row = council_view(engine).results.set_index("official_id").loc["BD0033"]
    assert (row["level"], row["titles"]) == ("HTTNV", "LDTT")
    assert (row["engine_level"], row["engine_titles"]) == ("HTNV", "")
    assert row["override_by"] == "Nguyễn Văn A"

    out = tmp_path / "k.csv"
    api.export_run(engine, "csv", out)
    df = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False) \
        .set_index("official_id")
    assert df.loc["BD0033", "level"] == "HTTNV" and df.loc["BD0033", "engine_level"] == "HTNV"
    assert df.loc["BD0033", "override_reason"] == "Biên bản họp Hội đồng số 12"
    assert df.loc["BD0001", "override_reason"] == ""


def test_override_survives_re_export_and_shows_in_xlsx_and_explain(engine, sample_run,
                                                                   tmp_path):
    record_override(engine, "BD0033", level="HTTNV", reason="Khiếu nại được chấp nhận",
                    by="Hội đồng TĐKT huyện")
    for name in ("a.xlsx", "b.xlsx"):  # exporting twice loses nothing
        api.export_run(engine, "xlsx", tmp_path / name)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    ws = openpyxl.load_workbook(tmp_path / "b.xlsx")["UBND_TP"]
    header = [c.value for c in ws[2]]
    rec = next(dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=3, values_only=True)
               if r[1] == "BD0033")
    assert rec["Mức xếp loại"] == "Hoàn thành tốt nhiệm vụ"
    assert rec["Mức hệ thống đề xuất"] == "Hoàn thành nhiệm vụ"
    assert "Khiếu nại được chấp nhận" in rec["Điều chỉnh của Hội đồng"]
    assert "Hội đồng TĐKT huyện" in rec["Điều chỉnh của Hội đồng"]
    summary = openpyxl.load_workbook(tmp_path / "b.xlsx")["Tổng hợp"]
    head = [c.value for c in summary[3]]
    tp = next(dict(zip(head, r, strict=True)) for r in summary.iter_rows(min_row=4,
                                                                         values_only=True)
              if r[0] == "UBND_TP")
    assert tp["Số điều chỉnh của Hội đồng"] == 1 and tp["Hoàn thành nhiệm vụ"] == 2

    exp = explanation(engine, "BD0033")
    assert (exp["level"], exp["engine_level"]) == ("HTTNV", "HTNV")
    assert exp["overrides"][0]["reason"] == "Khiếu nại được chấp nhận"
    text = render_text(exp)
    assert "do Hội đồng điều chỉnh" in text and "Khiếu nại được chấp nhận" in text
    assert "hệ thống đề xuất Hoàn thành nhiệm vụ (HTNV)" in text


def test_later_decision_supersedes_and_history_is_kept(engine, sample_run):
    record_override(engine, "BD0033", level="HTTNV", reason="lần 1", by="A")
    record_override(engine, "BD0033", titles=["LDTT"], reason="lần 2", by="B")
    record_override(engine, "BD0033", level="HTNV", reason="lần 3", by="C")
    row = council_view(engine).results.set_index("official_id").loc["BD0033"]
    assert (row["level"], row["titles"]) == ("HTNV", "LDTT")
    assert row["override_reason"] == "lần 2 | lần 3"
    assert list(load_overrides(engine)["reason"]) == ["lần 1", "lần 2", "lần 3"]


def test_override_breaking_the_quota_is_recorded_but_flagged(engine, sample_run):
    # STP specialists: 2 HTXSNV allowed of 10 good; BD0008 was the 4th candidate
    outcome = record_override(engine, "BD0008", level="HTXSNV", reason="đột xuất", by="A")
    assert "vượt tỷ lệ HTXSNV" in outcome.flag and "được phép 2" in outcome.flag
    view = council_view(engine)
    grp = view.quotas.set_index(["unit_id", "peer_group"]).loc[("STP", "chuyen_vien")]
    assert (grp["used"], grp["allowed_final"], bool(grp["over"])) == (3, 2, True)
    flags = view.results.set_index("official_id")["flag"]
    assert flags["BD0005"] == ""  # only the council's own decision is flagged
    # within the share: no flag
    ok = record_override(engine, "BD0033", level="HTTNV", reason="ok", by="A")
    assert ok.flag == ""


def test_cstdcs_override_over_the_cap_is_flagged(engine, sample_run):
    outcome = record_override(engine, "BD0002", titles=["LDTT", "CSTDCS"], reason="x", by="A")
    assert "Chiến sĩ thi đua cơ sở" in outcome.flag


def test_title_without_good_level_is_flagged(engine, sample_run):
    outcome = record_override(engine, "BD0033", titles=["LDTT"], reason="x", by="A")
    assert "dưới Hoàn thành tốt nhiệm vụ" in outcome.flag


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"level": "TOT"}, "mức xếp loại"),
    ({"titles": ["LDTT", "HCLD"]}, "danh hiệu"),
    ({}, "--level"),
    ({"level": "HTTNV", "reason": "  "}, "lý do"),
    ({"level": "HTTNV", "by": ""}, "người quyết định"),
])
def test_bad_overrides_are_refused(engine, sample_run, kwargs, message):
    args = {"reason": "r", "by": "b"} | kwargs
    with pytest.raises(OverrideError, match=message):
        record_override(engine, "BD0033", **args)
    assert load_overrides(engine).empty


def test_override_of_unknown_official(engine, sample_run):
    with pytest.raises(UnknownOfficialError):
        record_override(engine, "NOPE", level="HTTNV", reason="r", by="b")


def test_parse_titles_accepts_what_people_type():
    assert parse_titles(["lđtt", "CSTĐCS"]) == "CSTDCS;LDTT"
    assert parse_titles(["LDTT;CCHC"]) == "CCHC;LDTT"
    assert parse_titles(["none"]) == ""


@pytest.mark.parametrize(("share", "base", "good", "expected"), [
    (0.2, "good_or_above", 10, 2), (0.15, "good_or_above", 20, 3),
    (0.2, "good_or_above", 4, 0), (0.2, "good_only", 12, 2), (0.2, "good_only", 11, 1),
])
def test_quota_allowed(share, base, good, expected):
    assert quota_allowed(share, base, good) == expected


def test_overrides_belong_to_their_run_and_show_as_pending(engine, sample_run):
    record_override(engine, "BD0033", level="HTTNV", reason="r", by="b")
    second = api.run(SAMPLE, 2023, db=engine, again=True).run_id
    view = council_view(engine, second)
    assert view.results.set_index("official_id").loc["BD0033", "level"] == "HTNV"
    pending = pending_overrides(engine, second)
    assert list(pending["official_id"]) == ["BD0033"]
    # once re-applied on the new run, nothing is pending
    record_override(engine, "BD0033", level="HTTNV", reason="r", by="b", run_id=second)
    assert pending_overrides(engine, second).empty


# --- runs, diff, what-if --------------------------------------------------------------


def crafted(builder, folder: Path) -> Path:
    builder.peers(8, task_score=80)
    builder.official("R2", task_score=85)  # reminded in 2022, 2 late in 2023
    builder.reminder("R2", issued_on="2022-06-01")
    builder.late("R2", 2)
    builder.official("R3", task_score=85)  # reminded, 3 late: a repeat offender either way
    builder.reminder("R3", issued_on="2022-06-01")
    builder.late("R3", 3)
    builder.official("N2", task_score=85)  # 2 late, never reminded
    builder.late("N2", 2)
    return builder.write(folder)


def test_what_if_threshold_two_changes_exactly_the_twice_late_reminded(builder, data_dir):
    folder = crafted(builder, data_dir)
    wi = what_if(folder, 2023, {"late_dossiers.repeat_threshold": 2}, policy=POLICY)
    ch = wi.comparison.changes.set_index("official_id")
    assert list(ch.index) == ["R2"]
    r2 = ch.loc["R2"]
    assert (r2["level_a"], r2["level_b"], r2["titles_a"], r2["titles_b"]) == \
        ("HTTNV", "HTNV", "LDTT", "")
    assert any("từ 2 trở lên" in n for n in r2["added"])
    assert any("Lao động tiên tiến" in n for n in r2["removed"])
    assert wi.comparison.compared == 11


def test_diff_of_two_stored_runs_under_two_policy_files(builder, data_dir, engine, tmp_path):
    folder = crafted(builder, data_dir)
    text = POLICY.read_text(encoding="utf-8").replace(
        "values = [{ from = 2020-01-01, value = 3 }]",
        "values = [{ from = 2020-01-01, value = 2 }]")
    assert text != POLICY.read_text(encoding="utf-8")
    strict = tmp_path / "strict.toml"
    strict.write_text(text, encoding="utf-8")
    a = api.run(folder, 2023, policy=POLICY, db=engine).run_id
    b = api.run(folder, 2023, policy=strict, db=engine).run_id
    cmp = compare_runs(engine, a, b)  # type: ignore[arg-type]
    assert list(cmp.changes["official_id"]) == ["R2"]
    assert (cmp.level_changes, cmp.title_changes) == (1, 1)
    same = compare_runs(engine, a, a)  # type: ignore[arg-type]
    assert same.changes.empty


def test_parse_settings():
    assert parse_settings(["late_dossiers.repeat_threshold=2", "quota.share=0.25",
                           "late_dossiers.repeat_ceiling=HTNV", "x.flag=true"]) == {
        "late_dossiers.repeat_threshold": 2, "quota.share": 0.25,
        "late_dossiers.repeat_ceiling": "HTNV", "x.flag": True}
    with pytest.raises(XeploaiError):
        parse_settings(["repeat_threshold"])


def test_cli_what_if_dry_run_stores_nothing(cli, builder, data_dir, engine):
    folder = crafted(builder, data_dir)
    res = cli("run", "--data", str(folder), "--year", "2023",
              "--set", "late_dossiers.repeat_threshold=2", "--dry-run")
    assert "R2" in res.output and "HTTNV → HTNV" in res.output
    assert "1 người đổi mức" in res.output
    assert "Mã lần chạy" not in res.output
    res = cli("runs", expect=1)  # nothing stored
    assert "chưa có lần chạy" in res.output


def test_cli_set_needs_dry_run_and_a_known_parameter(cli, builder, data_dir):
    folder = crafted(builder, data_dir)
    cli("run", "--data", str(folder), "--year", "2023", "--set", "quota.share=0.3", expect=2)
    res = cli("run", "--data", str(folder), "--year", "2023", "--set", "nope.x=1",
              "--dry-run", expect=1)
    assert "nope.x" in res.output and "Traceback" not in res.output


def test_cli_override_overrides_runs_diff(cli, engine):
    cli("run", "--data", str(SAMPLE), "--year", "2023")
    res = cli("override", "BD0008", "--level", "HTXSNV", "--reason", "Biên bản 12",
              "--by", "Nguyễn Văn A")
    assert "HTTNV → HTXSNV" in res.output and "vượt tỷ lệ" in res.output
    listing = cli("overrides").output
    assert "BD0008" in listing and "Biên bản 12" in listing
    cli("run", "--data", str(SAMPLE), "--year", "2023", "--again")
    assert "Chờ áp dụng lại" in cli("overrides").output
    runs = cli("runs").output
    assert "officials.csv" in runs and "late_dossiers 1.0.0" in runs
    data = json.loads(cli("diff", "1", "2", "--json").output)
    assert [c["official_id"] for c in data["changes"]] == ["BD0008"]
    assert data["changes"][0]["level_a"] == "HTXSNV"
    cli("override", "BD0008", "--title", "LDTT", "--no-title", "--reason", "r", "--by", "b",
        expect=2)
    assert "mức xếp loại" in cli("override", "BD0008", "--level", "X", "--reason", "r",
                                 "--by", "b", expect=1).output


def _commands(group, prefix=()):
    import click

    for name, cmd in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


@pytest.mark.parametrize("command", list(_commands(main)), ids=" ".join)
def test_every_command_help_has_an_example(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Ví dụ:" in result.output, result.output


def test_explain_names_parameters_in_vietnamese_from_the_run_policy(engine, sample_run,
                                                                    tmp_path):
    exp = explanation(engine, "BD0029")
    repeat = next(r for r in exp["reasons"] if r["rule"] == "late_dossiers.repeat_offence")
    assert repeat["param_labels"]["repeat_threshold"].startswith("Số hồ sơ trễ hạn")
    text = render_text(exp)
    assert "(repeat_threshold): 3" in text and "Số hồ sơ trễ hạn tính trong năm" in text
    assert "Điểm tối thiểu mức Hoàn thành xuất sắc nhiệm vụ (excellent_min): 90" in text
    # a policy file changed since the run no longer describes it: plain names instead
    copy = tmp_path / "p.toml"
    copy.write_text(POLICY.read_text(encoding="utf-8"), encoding="utf-8")
    run_id = api.run(SAMPLE, 2023, policy=copy, db=engine, again=True).run_id
    copy.write_text(copy.read_text(encoding="utf-8") + "\n# sửa\n", encoding="utf-8")
    text = render_text(explanation(engine, "BD0029", run_id))
    assert "· repeat_threshold: 3" in text
