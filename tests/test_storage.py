"""Storage on SQLite and PostgreSQL: schema, round trip, and runs that are all-or-nothing.

Every failure-injection test stores one good run first, breaks a second run at one point,
and compares every row of every table before and after.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import dataclasses
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import threading

import pandas as pd
import pytest
from sqlalchemy import create_engine, event, inspect, text
from xeploai.scoring import __version__, api, storage
from xeploai.scoring.engine import RESULT_COLUMNS
from xeploai.scoring.errors import InvalidInputError, PluginError, StorageError
from xeploai.scoring.storage import (
    RunMeta,
    load_reasons,
    load_results,
    load_units,
    open_db,
    save_run,
)

from .conftest import ROOT, SAMPLE
from .faults import dbapi_error, fail_on, rogue_policy, snapshot


@pytest.fixture(scope="module")
def sample_2023():
    session = api.Session.open()
    return session.classify(session.load(SAMPLE), 2023)


@pytest.fixture(scope="module")
def sample_2022():
    session = api.Session.open()
    return session.classify(session.load(SAMPLE), 2022)


def meta() -> RunMeta:
    return RunMeta(policy_name="p", policy_path="p.toml", policy_hash="h", data_dir="d",
                   input_hashes={"a.csv": "x"}, tool_version=__version__,
                   created_at=dt.datetime(2024, 1, 15, 8, 0, tzinfo=dt.UTC))


@pytest.fixture
def stored(db_url, sample_2023) -> str:
    """A database holding one good run, so 'as it was' is more than 'empty'."""
    engine = open_db(db_url)
    save_run(engine, sample_2023, meta())
    engine.dispose()
    return db_url


# -- schema ------------------------------------------------------------------------------


def test_schema_creation_is_idempotent_and_keeps_data(stored):
    before = snapshot(stored)
    for _ in range(2):
        open_db(stored).dispose()
    assert snapshot(stored) == before
    assert {"runs", "results", "reason_blocks", "xeploai_schema"} <= set(before)
    assert "reasons" not in before  # the version-1 table
    assert before["xeploai_schema"] == [(1, storage.SCHEMA_VERSION)]


SCHEMA_OF_A_NEW_FILE = """
import sqlite3, sys
from xeploai.scoring.storage import open_db
open_db("sqlite:///" + sys.argv[1]).dispose()
with sqlite3.connect(sys.argv[1]) as con:
    for row in con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid"):
        print(row)
"""


def test_every_new_database_has_the_same_schema_byte_for_byte(tmp_path):
    # SQLAlchemy's create_all took a table's indexes from a set, whose order follows the
    # objects' addresses: each process wrote the overrides table's two indexes in its own
    # order (decision 128). Eight processes: an order left to chance shows in all but 1/128.
    schemas = {subprocess.run([sys.executable, "-c", SCHEMA_OF_A_NEW_FILE,
                               str(tmp_path / f"new{k}.db")], capture_output=True, text=True,
                              check=True).stdout for k in range(8)}
    assert len(schemas) == 1
    (schema,) = schemas
    rows = [ast.literal_eval(line) for line in schema.splitlines()]
    for table in {tbl_name for _, _, tbl_name, _ in rows}:
        names = [name for kind, name, tbl_name, _ in rows
                 if kind == "index" and tbl_name == table and name.startswith("ix_")]
        assert names == sorted(names), table  # each table's indexes in name order
    # the same tables, indexes and columns as SQLAlchemy's own create_all makes
    from xeploai.scoring import schema_tables

    made = create_engine(f"sqlite:///{tmp_path / 'create_all.db'}")
    schema_tables.metadata.create_all(made)
    with made.connect() as conn:
        expected = {tuple(row) for row in conn.exec_driver_sql(
            "SELECT type, name, tbl_name, sql FROM sqlite_master")}
    made.dispose()
    assert set(rows) == expected


def test_database_from_a_newer_xeploai_is_refused(stored):
    engine = create_engine(stored)
    with engine.begin() as conn:
        conn.execute(text("update xeploai_schema set version = :v"),
                     {"v": storage.SCHEMA_VERSION + 1})
    engine.dispose()
    with pytest.raises(StorageError, match="mới hơn"):
        open_db(stored)


def test_migrations_run_in_order_and_bump_the_version(stored, monkeypatch):
    def add_column(conn) -> None:
        conn.execute(text("alter table runs add column note varchar"))

    monkeypatch.setattr(storage, "SCHEMA_VERSION", storage.SCHEMA_VERSION + 1)
    monkeypatch.setattr(storage, "MIGRATIONS", {storage.SCHEMA_VERSION: add_column})
    open_db(stored).dispose()
    engine = create_engine(stored)
    assert "note" in {c["name"] for c in inspect(engine).get_columns("runs")}
    with engine.connect() as conn:
        assert conn.execute(text("select version from xeploai_schema")).scalar_one() \
            == storage.SCHEMA_VERSION
    engine.dispose()
    open_db(stored).dispose()  # a second open migrates nothing (the column exists)


def test_a_version_2_database_gains_the_as_of_column_and_keeps_its_runs(stored):
    engine = create_engine(stored)
    with engine.begin() as conn:  # back to version 2: no as_of column
        conn.execute(text("alter table runs drop column as_of"))
        conn.execute(text("update xeploai_schema set version = 2"))
    engine.dispose()
    engine = open_db(stored)
    run = storage.get_run(engine, None)
    assert run.as_of is None and run.year == 2023
    with engine.connect() as conn:
        assert conn.execute(text("select version from xeploai_schema")).scalar_one() >= 3
    engine.dispose()


def test_unreachable_database_is_a_storage_error():
    with pytest.raises(StorageError, match="không mở được"):
        open_db("postgresql+psycopg://nobody:secret@127.0.0.1:9/none?connect_timeout=2")


def test_password_never_appears_in_messages():
    with pytest.raises(StorageError) as info:
        open_db("postgresql+psycopg://nobody:secret@127.0.0.1:9/none?connect_timeout=2")
    assert "secret" not in str(info.value)


# -- round trip -------------------------------------------------------------------------


def test_round_trip_is_exact(db_url, sample_2023):
    engine = open_db(db_url)
    run_id = save_run(engine, sample_2023, meta())
    results = load_results(engine, run_id)
    pd.testing.assert_frame_equal(results, sample_2023.results, check_dtype=False)
    reasons = load_reasons(engine, run_id)
    pd.testing.assert_frame_equal(reasons, sample_2023.reasons, check_dtype=False)
    engine.dispose()


# a stored result row: run_id and RESULT_COLUMNS
RESULT_PARAMETERS = 1 + len(RESULT_COLUMNS)


@pytest.mark.parametrize("parameters", [3 * RESULT_PARAMETERS, 44 * RESULT_PARAMETERS, 999])
def test_round_trip_whatever_the_rows_per_insert(sqlite_url, sample_2023, monkeypatch,
                                                 parameters):
    """SQLite takes many rows per INSERT: the sample's 44 results 3 rows a statement (and 2
    left over), all 44 in one statement of 44, or all in the statement of the rows left
    over (71 a statement)."""
    assert len(sample_2023.results) == 44
    monkeypatch.setattr(storage, "SQLITE_PARAMETERS", parameters)
    engine = open_db(sqlite_url)
    run_id = save_run(engine, sample_2023, meta())
    pd.testing.assert_frame_equal(load_results(engine, run_id), sample_2023.results,
                                  check_dtype=False, check_exact=True)
    pd.testing.assert_frame_equal(load_units(engine, run_id), sample_2023.units,
                                  check_dtype=False, check_exact=True)
    engine.dispose()


def test_round_trip_keeps_awkward_text_and_every_float_bit(db_url, sample_2023):
    """Whatever the text (quotes, commas, line breaks, a backslash-N, blanks, leading
    spaces) and the float, the stored results read back exactly: PostgreSQL takes them
    through CSV and COPY, SQLite through executemany."""
    awkward = ['Nguyễn "Văn", A\nB', "\\N", "", " đầu cách,\"", "NULL", "a\tb\r\nc"]
    floats = [0.1 + 0.2, 2 / 3 * 100, -7.25, 1e-300, 12345.678901234567, 84.6]
    results = sample_2023.results.copy()
    n = len(awkward)
    results.loc[:n - 1, "full_name"] = awkward
    results.loc[:n - 1, "titles"] = list(reversed(awkward))
    results.loc[:len(floats) - 1, "score"] = floats
    changed = dataclasses.replace(sample_2023, results=results)
    engine = open_db(db_url)
    stored_results = load_results(engine, save_run(engine, changed, meta()))
    pd.testing.assert_frame_equal(stored_results, results, check_dtype=False,
                                  check_exact=True)
    assert stored_results["score"][:len(floats)].tolist() == floats
    engine.dispose()


# -- atomic runs: a failure at any point leaves the database as it was -------------------


def test_bad_row_in_the_last_file_stores_nothing(stored, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    path = data / "titles_history.csv"  # the last file read
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[-1][rows[0].index("year")] = "hai nghìn"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    before = snapshot(stored)
    with pytest.raises(InvalidInputError) as info:
        api.run(data, 2023, db=stored)
    (problem,) = info.value.problems
    assert (problem.file, problem.row, problem.value) == ("titles_history.csv", len(rows),
                                                          "hai nghìn")
    assert snapshot(stored) == before


def test_plugin_exception_stores_nothing(stored, tmp_path):
    policy = rogue_policy(tmp_path / "p", "return 1 / 0\n")
    before = snapshot(stored)
    with pytest.raises(PluginError, match="rogue"):
        api.run(SAMPLE, 2023, db=stored, policy=policy)
    assert snapshot(stored) == before


@pytest.mark.parametrize("table", ["results", "reason_blocks"])
def test_database_error_mid_run_rolls_back(stored, table):
    before = snapshot(stored)
    with fail_on(f"INSERT INTO {table}", dbapi_error()) as seen, \
            pytest.raises(StorageError, match=r"injected failure.*không có gì"):
        api.run(SAMPLE, 2023, db=stored)
    assert any(s.startswith("INSERT INTO runs") for s in seen)  # the run row went in first
    assert snapshot(stored) == before


def test_ctrl_c_mid_run_rolls_back(stored):
    before = snapshot(stored)
    with fail_on("INSERT INTO reason_blocks", KeyboardInterrupt()), \
            pytest.raises(KeyboardInterrupt):
        api.run(SAMPLE, 2023, db=stored)
    assert snapshot(stored) == before


def test_disk_full_mid_run_rolls_back(stored, sample_2023):
    before = snapshot(stored)
    engine = open_db(stored)
    if engine.dialect.name == "sqlite":
        # a real SQLITE_FULL: the file may not grow beyond one more page
        with engine.connect() as conn:
            pages = conn.exec_driver_sql("pragma page_count").scalar_one()

        @event.listens_for(engine, "connect")
        def cap(dbapi_conn, _record) -> None:
            dbapi_conn.execute(f"pragma max_page_count = {pages + 1}")

        engine.dispose()
        injected = contextlib.nullcontext()
    else:  # no way to fill the server's disk here: raise the error PostgreSQL would
        injected = fail_on("INSERT INTO reason_blocks",
                           dbapi_error("DiskFull", "could not extend file: No space left"))
    with injected, pytest.raises(StorageError, match=r"full|No space") as info:
        save_run(engine, sample_2023, meta())
    assert "không có gì được lưu" in str(info.value)
    engine.dispose()
    assert snapshot(stored) == before


def test_a_bad_value_in_the_last_reason_rolls_back(stored, sample_2023):
    """A reason missing a value is refused (as the NOT NULL columns of the row-per-reason
    table did) after the results already went in."""
    broken = sample_2023.reasons.copy()
    broken.loc[broken.index[-1], "note"] = None
    bad = type(sample_2023)(sample_2023.year, sample_2023.results, broken,
                            sample_2023.plugins, sample_2023.considered_on)
    before = snapshot(stored)
    engine = open_db(stored)
    with pytest.raises(StorageError, match=r"thiếu giá trị ở cột note.*không có gì"):
        save_run(engine, bad, meta())
    engine.dispose()
    assert snapshot(stored) == before


def test_a_later_run_after_a_failure_is_complete(stored, sample_2023):
    with fail_on("INSERT INTO reason_blocks", KeyboardInterrupt()), \
            pytest.raises(KeyboardInterrupt):
        api.run(SAMPLE, 2023, db=stored)
    outcome = api.run(SAMPLE, 2023, db=stored)
    engine = open_db(stored)
    assert [r.id for r in storage.list_runs(engine)] == [1, outcome.run_id]
    pd.testing.assert_frame_equal(load_results(engine, outcome.run_id), sample_2023.results,
                                  check_dtype=False)
    engine.dispose()


def test_bad_input_on_a_new_database_creates_no_file(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    (data / "units.csv").write_text("unit_id,name\n", encoding="utf-8")
    db = tmp_path / "new.db"
    with pytest.raises(InvalidInputError):
        api.run(data, 2023, db=f"sqlite:///{db}")
    assert not db.exists()


# -- concurrent runs (PostgreSQL) -------------------------------------------------------


def test_two_runs_at_once_get_distinct_ids_and_their_own_rows(pg_url, sample_2023,
                                                              sample_2022):
    """Both transactions are open at the same time (a barrier holds each one just before
    its results go in), on a fresh schema so the two first opens race to create it."""
    barrier = threading.Barrier(2)
    ids: dict[int, int] = {}
    errors: list[BaseException] = []

    def hold(*_args) -> None:
        barrier.wait(timeout=120)

    def one(year: int, result) -> None:
        try:
            engine = open_db(pg_url)
            ids[year] = save_run(engine, result, meta())
            engine.dispose()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
            barrier.abort()

    with fail_on("INSERT INTO results", hold):
        threads = [threading.Thread(target=one, args=a)
                   for a in ((2023, sample_2023), (2022, sample_2022))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors
    assert ids[2023] != ids[2022]
    engine = open_db(pg_url)
    for year, result in ((2023, sample_2023), (2022, sample_2022)):
        pd.testing.assert_frame_equal(load_results(engine, ids[year]), result.results,
                                      check_dtype=False)
        pd.testing.assert_frame_equal(load_reasons(engine, ids[year]), result.reasons,
                                      check_dtype=False)
    engine.dispose()


# -- a real signal in a real process ------------------------------------------------------

KILLER = """
import os, signal, sys
from sqlalchemy import Engine, event

def before(conn, cursor, sql, *args):
    if sql.lstrip().upper().startswith("INSERT INTO REASON_BLOCKS"):
        os.kill(os.getpid(), signal.{sig})

event.listen(Engine, "before_cursor_execute", before)
from xeploai.scoring.cli import main
sys.argv = ["xeploai", "run", "--data", {data!r}, "--year", "2023", "--db", {db!r}]
main()
"""


@pytest.mark.parametrize("sig", ["SIGINT", "SIGKILL"])
def test_signal_mid_run_leaves_the_database_as_it_was(stored, sig):
    """SIGINT (Ctrl-C) and SIGKILL (power cut, OOM killer) while the reasons go in."""
    before = snapshot(stored)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", KILLER.format(sig=sig, data=str(SAMPLE),
                                                               db=stored)],
                          capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if sig == "SIGINT":
        assert proc.returncode == 130, proc.stderr
        assert "Ctrl-C" in proc.stderr and "Traceback" not in proc.stderr
    else:
        assert proc.returncode == -signal.SIGKILL
    assert "Mã lần chạy" not in proc.stdout
    assert snapshot(stored) == before


# -- a sharded run stores group after group inside one transaction -----------------------


def test_sharded_run_failing_in_a_later_group_stores_nothing(stored, tmp_path):
    """The first group's rows are already sent when a plugin fails on the second."""
    from xeploai.scoring.generate import generate_dataset
    data = tmp_path / "gen"
    generate_dataset(data, officials=60, dossiers=600, year=2023, seed=5)
    policy = rogue_policy(tmp_path / "p", """
global CALLS
CALLS = globals().get("CALLS", 0) + 1
if CALLS == 2:
    raise RuntimeError("nhóm đơn vị thứ hai")
return None
""")
    before = snapshot(stored)
    with fail_on("NEVER", RuntimeError()) as seen, \
            pytest.raises(PluginError, match="nhóm đơn vị thứ hai"):
        api.run(data, 2023, policy=policy, db=stored, by_unit=api.ByUnit(20))
    assert any(s.startswith("INSERT INTO results") for s in seen)
    assert snapshot(stored) == before


# -- the schema: SQLModel's classes state it, a run writes through their compiled Core form --


def test_the_core_tables_are_the_compiled_sqlmodel_classes():
    from xeploai.scoring import schema_compile

    assert schema_compile.main(["--check"]) == 0, "python -m xeploai.scoring.schema_compile"


def _ddl(metadata, dialect) -> list[str]:
    from sqlalchemy.schema import CreateIndex, CreateTable

    return [str(statement.compile(dialect=dialect))
            for table in metadata.sorted_tables
            for statement in (CreateTable(table),
                              *(CreateIndex(i) for i in sorted(table.indexes,
                                                               key=lambda i: str(i.name))))]


def _defaults(metadata) -> dict[str, object]:
    return {f"{t.name}.{c.name}": c.default.arg for t in metadata.sorted_tables
            for c in t.columns if c.default is not None}


def test_the_compiled_tables_create_the_same_schema_on_every_dialect():
    from sqlalchemy.dialects import postgresql, sqlite
    from xeploai.scoring import schema_tables
    from xeploai.scoring.schema_compile import schema_metadata

    declared = schema_metadata()
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        assert _ddl(schema_tables.metadata, dialect) == _ddl(declared, dialect)
    assert _defaults(schema_tables.metadata) == _defaults(declared)
    assert [t.name for t in schema_tables.metadata.sorted_tables] \
        == [t.name for t in declared.sorted_tables]


def test_a_changed_class_is_seen_by_the_check():
    """The check is not vacuous: a column added to a table changes the compiled text."""
    from sqlalchemy import Column, MetaData, String
    from xeploai.scoring import schema_compile

    changed = MetaData()
    for table in schema_compile.schema_metadata().sorted_tables:
        table.to_metadata(changed)
    assert schema_compile.compiled_source(changed) == schema_compile.compiled_source()
    changed.tables["runs"].append_column(Column("added_for_the_test", String, nullable=True))
    assert "Column('added_for_the_test', String(), nullable=True)" \
        in schema_compile.compiled_source(changed)
