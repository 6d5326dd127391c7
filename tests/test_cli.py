"""The command-line contract (SPEC §7), through click's CliRunner and a real SQLite file."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, text
from xeploai.scoring.cli import main
from xeploai.scoring.export import COUNCIL_COLUMNS, EXPORT_COLUMNS

from .conftest import SAMPLE


@pytest.fixture
def ran(cli):
    return cli("run", "--data", str(SAMPLE), "--year", "2023")


def count_rows(db_url: str, table: str) -> int:
    engine = create_engine(db_url)
    if not inspect(engine).has_table(table):
        return 0
    with engine.connect() as conn:
        return conn.execute(text(f"select count(*) from {table}")).scalar_one()


def test_run_prints_summary_and_run_id(ran):
    assert "Mã lần chạy: 1" in ran.output
    assert "STP" in ran.output and "HTXSNV" in ran.output


def test_explain_repeat_offender_shows_reminder_dossiers_and_basis(cli, ran):
    out = cli("explain", "BD0029").output
    assert "125/TB-UBND" in out
    for dossier in ("000.00.31.H08-230314-0002", "000.00.31.H08-230605-0001"):
        assert dossier in out
    assert "QĐ 4510/QĐ-UBND" in out
    assert "Hoàn thành nhiệm vụ (HTNV)" in out


def test_explain_json(cli, ran):
    data = json.loads(cli("explain", "BD0029", "--json").output)
    assert data["level"] == "HTNV" and data["provisional_level"] == "HTXSNV"
    repeat = [r for r in data["reasons"] if r["rule"] == "late_dossiers.repeat_offence"]
    assert repeat[0]["evidence"]["reminders"] == ["125/TB-UBND"]
    assert repeat[0]["params"]["repeat_threshold"] == 3


def test_explain_unknown_official_is_a_user_error(cli, ran):
    result = cli("explain", "NOPE", expect=1)
    assert "NOPE" in result.output and "Traceback" not in result.output


def test_export_csv_columns_exactly_as_spec(cli, ran, tmp_path):
    out = tmp_path / "ket_qua.csv"
    cli("export", "--format", "csv", "--out", str(out))
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM so Excel shows diacritics
    df = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    # SPEC §7: "at least these columns, in this order"; then the council's override columns
    assert tuple(df.columns) == EXPORT_COLUMNS + COUNCIL_COLUMNS
    assert len(df) == 44
    row = df.set_index("official_id").loc["BD0029"]
    assert (row["level"], row["provisional_level"], row["score"]) == ("HTNV", "HTXSNV", "90")
    assert "late_dossiers.repeat_offence" in row["reasons"].split(";")
    assert df.set_index("official_id").loc["BD0005", "titles"] == "CSTDCS;LDTT"


def test_export_json_to_stdout(cli, ran):
    data = json.loads(cli("export", "--format", "json", "--out", "-").output)
    assert [k for k in data[0]][: len(EXPORT_COLUMNS)] == list(EXPORT_COLUMNS)
    assert isinstance(data[0]["reasons"], list) and data[0]["reasons"][0]["basis"]


def test_csv_to_stdout_parses(cli, ran):
    rows = list(csv.DictReader(io.StringIO(cli("export", "--format", "csv", "--out", "-")
                                           .output)))
    assert len(rows) == 44


def test_rerun_gives_identical_results(cli, ran, tmp_path):
    cli("run", "--data", str(SAMPLE), "--year", "2023", "--again")  # a repeat: --again
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    cli("export", "--run", "1", "--format", "json", "--out", str(a))
    cli("export", "--run", "2", "--format", "json", "--out", str(b))
    assert a.read_bytes() == b.read_bytes()


def test_bad_input_lists_problems_and_stores_nothing(cli, db_url, tmp_path):
    data = tmp_path / "bad"
    shutil.copytree(SAMPLE, data)
    path = data / "officials.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    cells = lines[1].split(",")
    cells[head.index("task_score")] = "150"
    lines[1] = ",".join(cells)
    cells = lines[2].split(",")
    cells[head.index("unit_id")] = "KHONG_CO"
    lines[2] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("run", "--data", str(data), "--year", "2023", expect=1)
    assert "officials.csv, dòng 2, cột task_score: giá trị '150'" in result.output
    assert "officials.csv, dòng 3, cột unit_id: giá trị 'KHONG_CO'" in result.output
    assert "Traceback" not in result.output
    assert count_rows(db_url, "runs") == 0
    assert count_rows(db_url, "results") == 0


def test_validate(cli):
    assert "hợp lệ" in cli("validate", "--data", str(SAMPLE)).output


def test_plugins_lists_builtins_with_source(cli):
    out = cli("plugins").output
    for name in ("service_time", "late_dossiers", "discipline", "innovation"):
        assert name in out
    assert "built-in" in out


def test_wrong_usage_exits_2(cli):
    cli("run", "--year", "2023", expect=2)


def test_unknown_run_is_a_user_error(cli, ran):
    assert "99" in cli("explain", "BD0001", "--run", "99", expect=1).output


def test_generate_writes_a_dataset_that_runs(cli, tmp_path):
    out = tmp_path / "gen"
    cli("generate", "--officials", "60", "--dossiers", "900", "--year", "2023",
        "--out", str(out), "--seed", "3")
    officials = pd.read_csv(out / "officials.csv", dtype=str)
    dossiers = pd.read_csv(out / "dossiers.csv", dtype=str)
    assert (len(officials), len(dossiers)) == (60, 900)
    again = tmp_path / "again"
    cli("generate", "--officials", "60", "--dossiers", "900", "--year", "2023",
        "--out", str(again), "--seed", "3")
    for f in out.iterdir():
        assert f.read_bytes() == (again / f.name).read_bytes(), f.name
    ran = cli("run", "--data", str(out), "--year", "2023")
    assert "Mã lần chạy: 1" in ran.output


def test_generate_help_has_example_and_refuses_bad_sizes(cli):
    assert "Ví dụ:" in cli("generate", "--help").output
    result = cli("generate", "--officials", "0", "--dossiers", "1", "--year", "2023",
                 "--out", "x", expect=2)
    assert "officials" in result.output


def test_unreachable_database_is_a_user_error_without_traceback():
    url = "postgresql+psycopg://hr:matkhau@127.0.0.1:9/xeploai?connect_timeout=2"
    result = CliRunner().invoke(main, ["run", "--data", str(SAMPLE), "--year", "2023",
                                       "--db", url])
    assert result.exit_code == 1, result.output
    assert "không mở được cơ sở dữ liệu" in result.output
    assert "matkhau" not in result.output and "Traceback" not in result.output


# -- the command as a process runs it: console_main ends the process itself ----------------

# the exit handler is registered after the console module is imported, as the commands'
# modules register theirs (logging, tempfile); an object of the main module says, when the
# interpreter's teardown frees it, that the process was torn down
CONSOLE = ("import atexit, gc, pathlib, sys\n"
           "marker = pathlib.Path(sys.argv.pop(1))\n"
           "from xeploai.scoring.console import console_main\n"
           "atexit.register(lambda: marker.write_text(f'ran, collector on: {gc.isenabled()}'))\n"
           "class TornDown:\n"
           "    def __del__(self, write=pathlib.Path.write_text,\n"
           "                path=marker.with_suffix('.teardown')):\n"
           "        write(path, 'torn down')\n"
           "kept = TornDown()\n"
           "console_main()\n")


def _console(tmp_path, *args: str):
    """``xeploai ARGS`` through console_main in a real process, with an exit handler of its
    own that leaves a file behind when it runs (saying whether the garbage collector, off
    while the commands are imported, is on again). The process must end without the
    interpreter's teardown (decisions 103, 123): no ``.teardown`` file."""
    import subprocess
    import sys

    marker = tmp_path / "exit-handler-ran"
    done = subprocess.run([sys.executable, "-c", CONSOLE, str(marker), *args],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert not marker.with_suffix(".teardown").exists(), "the process was torn down"
    return done, marker


def test_console_process_flushes_everything_runs_exit_handlers_and_stores(tmp_path,
                                                                          sqlite_url):
    done, marker = _console(tmp_path, "run", "--data", str(SAMPLE), "--year", "2023",
                            "--db", sqlite_url, "--all")
    assert done.returncode == 0, done.stderr
    # the whole summary reached the pipe (the last line is printed last), once
    assert done.stdout.rstrip().endswith("Mã lần chạy: 1")
    assert done.stdout.count("Mã lần chạy") == 1 and "STP" in done.stdout
    assert marker.read_text() == "ran, collector on: True"
    assert count_rows(sqlite_url, "results") == 44
    # the council file written to stdout by pandas, not by the console: flushed before the end
    exported, _marker = _console(tmp_path, "export", "--format", "csv", "--out", "-",
                                 "--db", sqlite_url)
    assert exported.returncode == 0, exported.stderr
    assert len(list(csv.DictReader(io.StringIO(exported.stdout.lstrip("\ufeff"))))) == 44


def test_console_process_has_arrow_commit_memory_lazily_unless_told_otherwise(
        tmp_path, monkeypatch):
    """Decision 111: the process's Arrow allocator commits memory as it is used (a
    province run spent ≈ 0.3 s more CPU committing eagerly); a user's own setting is kept.
    mimalloc says its options when asked to be verbose, as it starts."""
    monkeypatch.setenv("MIMALLOC_VERBOSE", "1")
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
    for chosen, expected in ((None, 0), ("2", 2)):
        if chosen is None:
            monkeypatch.delenv("MIMALLOC_ARENA_EAGER_COMMIT", raising=False)
        else:
            monkeypatch.setenv("MIMALLOC_ARENA_EAGER_COMMIT", chosen)
        done, _marker = _console(tmp_path, "validate", "--data", str(SAMPLE), "--year",
                                 "2023")
        assert done.returncode == 0, done.stderr
        said = re.findall(r"option 'arena_eager_commit': (\d+)", done.stderr)
        if not said and "mimalloc" not in done.stderr:
            pytest.skip("this pyarrow's allocator does not say its options")
        assert said == [str(expected)]


def test_console_process_keeps_the_exit_codes(tmp_path, sqlite_url):
    usage, marker = _console(tmp_path, "run", "--year", "2023")  # no --data
    assert usage.returncode == 2 and "--data" in usage.stderr
    assert marker.read_text() == "ran, collector on: True"
    bad, _marker = _console(tmp_path, "run", "--data", str(tmp_path / "khong_co"), "--year",
                            "2023", "--db", sqlite_url)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert count_rows(sqlite_url, "results") == 0
    assert _console(tmp_path, "--version")[0].returncode == 0
