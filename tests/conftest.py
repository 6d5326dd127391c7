from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from xeploai.scoring.testing import DatasetBuilder

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "config" / "binh_dinh_2023.toml"
SAMPLE = ROOT / "examples" / "binh_dinh_2023"

# A PostgreSQL database the tests may create schemas in, e.g.
# postgresql+psycopg://postgres@127.0.0.1:55432/xeploai_test (.ci/run starts one and sets it).
PG_ENV = "XEPLOAI_TEST_PG_URL"
PG_URL = os.environ.get(PG_ENV, "")
PG_SKIP = (f"PostgreSQL tests need a server: set {PG_ENV}=postgresql+psycopg://user@host:port/db "
           "(.ci/run starts one)")
_pg_ran: list[str] = []


@pytest.fixture
def builder() -> DatasetBuilder:
    return DatasetBuilder()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def _pg_admin():
    from sqlalchemy import create_engine

    # AUTOCOMMIT: CREATE/DROP SCHEMA and pg_terminate_backend outside a transaction
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL to a fresh, empty PostgreSQL schema of its own, dropped after the test.

    Skipped when no server is configured; when one is configured but unreachable the test
    errors rather than skips, so CI can't go green without PostgreSQL.
    """
    if not PG_URL:
        pytest.skip(PG_SKIP)
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'create schema "{name}"'))
    # search_path keeps each test's tables apart; application_name finds its connections
    url = make_url(PG_URL).update_query_dict(
        {"options": f"-csearch_path={name}", "application_name": name})
    _pg_ran.append(request.node.nodeid)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            # engines the code under test left open still hold pooled connections
            conn.execute(text("select pg_terminate_backend(pid) from pg_stat_activity "
                              "where application_name = :n and pid <> pg_backend_pid()"),
                         {"n": name})
            conn.execute(text(f'drop schema "{name}" cascade'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A real SQLite file per test."""
    return f"sqlite:///{tmp_path / 'xeploai.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test against a SQLite file and against a PostgreSQL schema of its own."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def cli(db_url: str):
    """``cli("run", ...)``: xeploai against this test's database, checking the exit code."""
    from click.testing import CliRunner
    from xeploai.scoring.cli import main

    runner = CliRunner()

    def invoke(*args: str, expect: int = 0):
        result = runner.invoke(main, [*args], env={"XEPLOAI_DB": db_url},
                               catch_exceptions=False)
        assert result.exit_code == expect, result.output
        return result

    return invoke


@pytest.fixture
def engine(db_url: str):
    from xeploai.scoring.storage import open_db

    return open_db(db_url)


@pytest.fixture
def sample_run(engine) -> int:
    """The bundled sample, classified for 2023 and stored; returns the run id."""
    from xeploai.scoring import api

    return api.run(SAMPLE, 2023, db=engine).run_id  # type: ignore[return-value]


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    where = "" if not PG_URL else f" ({PG_URL})"
    terminalreporter.write_line(f"xeploai: {len(_pg_ran)} tests ran against PostgreSQL{where}")


# rule tests as data: tests/rules/test_*.yaml (docs/plugins.md)
pytest_plugins = ["xeploai.scoring.rule_tests"]
