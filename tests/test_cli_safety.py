"""What a user types or a data file holds can't break the CLI: no terminal markup, no
traceback, no secret of a database URL in any output; concurrent first runs on a new SQLite
file all succeed."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from xeploai.scoring.cli import main
from xeploai.scoring.errors import InvalidInputError
from xeploai.scoring.testing import DatasetBuilder

from .conftest import ROOT, SAMPLE

MARKUP_UNIT = "STP [/cu] :thumbs_up:"
MARKUP_NAME = "[bold red]X[/bold red] :smile:"


def invoke(*args: str, db: str | None = None, expect: int = 0):
    env = {"XEPLOAI_DB": db} if db else {}
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == expect, (result.output, result.exception)
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def markup_data(tmp_path: Path) -> Path:
    b = DatasetBuilder()
    b.unit(MARKUP_UNIT, name="Sở [italic]Tư pháp[/]")
    for i in range(3):
        b.official(f"A{i}", unit_id=MARKUP_UNIT, task_score=80 + i)
        b.dossier(f"A{i}", due="2023-03-01", returned="2023-03-01")
    return b.write(tmp_path / "data")


def test_markup_in_data_and_options_is_shown_as_written(markup_data, tmp_path):
    db = f"sqlite:///{tmp_path / 'm.db'}"
    ran = invoke("run", "--data", str(markup_data), "--year", "2023", db=db)
    assert MARKUP_UNIT in ran.output
    for reason, level in (("[/]", "HTXSNV"), ("[bold]x", "HTNV")):
        invoke("override", "A2", "--level", level, "--reason", reason, "--by", MARKUP_NAME,
               db=db)
        listed = invoke("overrides", db=db).output
        assert reason in listed and MARKUP_NAME in listed
    assert MARKUP_UNIT in invoke("explain", "A0", db=db).output
    assert MARKUP_NAME in invoke("overrides", "--all", db=db).output


def test_export_into_a_folder_it_cannot_write_is_a_message(tmp_path):
    db = f"sqlite:///{tmp_path / 'e.db'}"
    invoke("run", "--data", str(SAMPLE), "--year", "2023", db=db)
    # root may write into a mode-555 folder; nobody can create a file in /proc
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    target = Path("/proc") if os.geteuid() == 0 else locked
    for fmt in ("csv", "xlsx", "json"):
        result = invoke("export", "--format", fmt, "--out", str(target / f"kq.{fmt}"), db=db,
                        expect=1)
        assert "không ghi được" in result.output and str(target) in result.output


@pytest.mark.parametrize(("url", "code"), [
    ("postgresql+psycopg://hr:Hunter2secret@127.0.0.1:9/xeploai", 1),
    ("postgresql+psycopg://hr@127.0.0.1:9/xeploai?password=Hunter2secret", 1),
    ("postgresql+psycopg://hr@127.0.0.1:9/xeploai?sslpassword=Hunter2secret&password=Hunter2secret",
     1),
    # a kind of database SQLAlchemy has no dialect for: a usage error, still without the secret
    ("nonsense://hr:Hunter2secret@?password=Hunter2secret", 2),
    ("postgresql+psycopg://hr:Hunter2secret@[broken/xeploai", 1),
])
def test_no_secret_of_a_database_url_in_any_output(url, code):
    for args in (("runs",), ("explain", "A1"), ("export", "--format", "json", "--out", "-")):
        result = invoke(*args, "--db", url, expect=code)
        assert "Hunter2secret" not in result.output
        assert "***" in result.output


@pytest.fixture
def bad_data(tmp_path: Path) -> Path:
    """A dataset whose reading ends in a problem (exit 1): a --db refused before it is read
    gives exit 2 and no word of the data."""
    b = DatasetBuilder()
    b.unit("U1")
    b.official("A1", unit_id="U1", task_score=180)
    return b.write(tmp_path / "data")


@pytest.mark.parametrize(("db", "expected"), [
    ("nonsense://somewhere/xeploai", "nonsense"),
    ("postgresql+nodriver://hr@127.0.0.1/xeploai", "postgresql+nodriver"),
    ("sqlite:////no/such/folder/xeploai.db", "/no/such/folder"),
    ("/no/such/folder/xeploai.db", "/no/such/folder"),
])
@pytest.mark.parametrize("given", ["option", "environment"])
def test_a_database_that_cannot_be_used_is_a_usage_error_before_any_reading(bad_data, db,
                                                                            expected, given):
    args = ["run", "--data", str(bad_data), "--year", "2023"]
    if given == "option":
        result = CliRunner().invoke(main, [*args, "--db", db])
    else:
        result = CliRunner().invoke(main, args, env={"XEPLOAI_DB": db})
    assert result.exit_code == 2, result.output
    assert "'--db'" in result.output and expected in result.output
    assert "task_score" not in result.output and "Traceback" not in result.output


def test_the_library_refuses_the_database_before_reading(bad_data):
    from xeploai.scoring import api
    from xeploai.scoring.errors import StorageError

    with pytest.raises(StorageError, match="nonsense"):
        api.run(bad_data, 2023, db="nonsense://somewhere/xeploai")
    # a dry run stores nothing: its database is not looked at, the data's problem is said
    with pytest.raises(InvalidInputError, match="task_score"):
        api.run(bad_data, 2023, db="nonsense://somewhere/xeploai", store=False)


def test_a_plain_path_is_a_sqlite_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "kết quả").mkdir()
    # relative to the working folder; a '?' or '#' is part of the file's name, not a URL's
    for db in ("kết quả/xeploai.db", str(tmp_path / "a?b#c.db")):
        ran = invoke("run", "--data", str(SAMPLE), "--year", "2023", "--db", db)
        assert "Mã lần chạy: 1" in ran.output
        assert "BD0029" in invoke("explain", "BD0029", db=db).output
        with contextlib.closing(sqlite3.connect(tmp_path / db)) as conn:
            assert conn.execute("select count(*) from results").fetchone() == (44,)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a?b#c.db", "kết quả"]


# each process imports xeploai first, then waits for the same instant to open the new file
# and store its run, so the first runs really meet there (without a lock: "table already
# exists", "UNIQUE constraint failed: xeploai_schema.id")
AT_ONCE = """
import sys, time
from xeploai.scoring.cli import main
from xeploai.scoring.errors import InvalidInputError
from xeploai.scoring.storage import open_db
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
open_db(sys.argv[-1])
main(sys.argv[2:])
"""


@pytest.mark.slow
def test_concurrent_first_runs_on_a_new_sqlite_file_all_succeed(tmp_path):
    db = f"sqlite:///{tmp_path / 'new.db'}"
    n = 6
    env = {k: v for k, v in os.environ.items() if k != "XEPLOAI_DB"}
    start = time.time() + 10
    # --again: the same inputs stored n times on purpose (a repeated run is refused otherwise)
    procs = [subprocess.Popen([sys.executable, "-c", AT_ONCE, str(start), "run", "--data",
                               str(SAMPLE), "--year", "2023", "--again", "--db", db],
                              cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(n)]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * n, outputs
    with create_engine(db).connect() as conn:
        assert conn.execute(text("select count(*) from runs")).scalar_one() == n
        assert conn.execute(text("select count(*) from results")).scalar_one() == 44 * n
        assert conn.execute(text("select count(*) from xeploai_schema")).scalar_one() == 1
