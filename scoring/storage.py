"""Runs, results and reasons in a database (SQLite file by default, PostgreSQL by URL).

One run is written in one transaction: either every result and reason of the run is
there, or none is. Rows go in with bulk inserts — a province run stores hundreds of
thousands of reasons, and row-by-row ORM adds would dominate the run.

Schema changes: the ``xeploai_schema`` table holds one row, the schema version. Tables
that are new in a version are created by ``create_all``; a change to an existing table
bumps :data:`SCHEMA_VERSION` and adds a function to :data:`MIGRATIONS`, which
:func:`open_db` runs in order, in the same transaction as the version update.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlmodel import Field, Session, SQLModel, create_engine
from sqlmodel import select as orm_select

from scoring.engine import (
    QUOTA_COLUMNS,
    REASON_COLUMNS,
    RESULT_COLUMNS,
    UNIT_COLUMNS,
    Classification,
)
from scoring.errors import StorageError, UnknownRunError

DEFAULT_DB = "sqlite:///xeploai.db"
DB_ENV = "XEPLOAI_DB"
SCHEMA_VERSION = 1
# version n -> the function that upgrades a version n-1 database to n (none yet)
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}
# PostgreSQL advisory lock held while the schema is checked, so that two first runs
# started at once don't both try to create the tables
_SCHEMA_LOCK = 0x7865706C  # "xepl"


class SchemaVersion(SQLModel, table=True):
    __tablename__ = "xeploai_schema"

    id: int = Field(default=1, primary_key=True)
    version: int


class RunRecord(SQLModel, table=True):
    __tablename__ = "runs"

    id: int | None = Field(default=None, primary_key=True)
    year: int
    created_at: dt.datetime
    policy_name: str
    policy_path: str
    policy_hash: str
    data_dir: str
    input_hashes: str  # JSON: file name -> sha256
    plugins: str  # JSON: plugin name -> version, in run order
    tool_version: str
    considered_on: dt.date
    officials: int


class ResultRecord(SQLModel, table=True):
    __tablename__ = "results"

    run_id: int = Field(foreign_key="runs.id", primary_key=True)
    official_id: str = Field(primary_key=True)
    full_name: str
    unit_id: str = Field(index=True)
    peer_group: str
    year: int
    task_score: float
    points: float
    deducted: float
    score: float
    provisional_level: str
    level: str
    titles: str
    reasons: str


class ReasonRecord(SQLModel, table=True):
    __tablename__ = "reasons"

    run_id: int = Field(foreign_key="runs.id", primary_key=True)
    official_id: str = Field(primary_key=True)
    seq: int = Field(primary_key=True)
    step: str
    plugin: str
    rule: str
    points: float
    ceiling: str
    exclude: bool
    blocks_titles: str
    qualifies_titles: str
    params: str
    evidence: str
    basis: str
    note: str


class QuotaRecord(SQLModel, table=True):
    """The HTXSNV share a run applied in one unit and peer group."""

    __tablename__ = "run_quotas"

    run_id: int = Field(foreign_key="runs.id", primary_key=True)
    unit_id: str = Field(primary_key=True)
    peer_group: str = Field(primary_key=True)
    share: float
    base: str
    good_count: int
    candidates: int
    allowed: int
    kept: int


class UnitRecord(SQLModel, table=True):
    """A unit as the run saw it: its name (for the council file) and its CSTDCS cap."""

    __tablename__ = "run_units"

    run_id: int = Field(foreign_key="runs.id", primary_key=True)
    unit_id: str = Field(primary_key=True)
    name: str
    cstdcs_share: float
    ldtt_count: int
    cstdcs_candidates: int
    cstdcs_cap: int
    cstdcs_kept: int


def database_url(url: str | None = None) -> str:
    return url or os.environ.get(DB_ENV) or DEFAULT_DB


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def open_db(url: str | None = None) -> Engine:
    """Connect, create the schema if missing and upgrade it if older (idempotent)."""
    url = database_url(url)
    try:
        engine = create_engine(url)
    except (ArgumentError, ImportError) as exc:
        raise StorageError(f"địa chỉ cơ sở dữ liệu không hợp lệ {safe_url(url)!r}: {exc}") \
            from exc
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("select pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
            SQLModel.metadata.create_all(conn)
            _upgrade(conn)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StorageError(f"không mở được cơ sở dữ liệu {safe_url(url)}: "
                           f"{_db_message(exc)}") from exc
    return engine


def _db_message(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip().splitlines()[0]


def _upgrade(conn: Connection) -> None:
    version = conn.execute(select(SchemaVersion.version)).scalar_one_or_none()
    if version is None:
        # a new database, or one made before the version table existed (version 1)
        conn.execute(insert(SchemaVersion).values(id=1, version=SCHEMA_VERSION))
        return
    if version > SCHEMA_VERSION:
        raise StorageError(f"cơ sở dữ liệu có lược đồ phiên bản {version}, mới hơn phiên bản "
                           f"{SCHEMA_VERSION} của xeploai này: hãy cập nhật xeploai")
    for target in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[target](conn)
    if version < SCHEMA_VERSION:
        conn.execute(SchemaVersion.__table__.update().values(version=SCHEMA_VERSION))


@dataclass(frozen=True)
class RunMeta:
    policy_name: str
    policy_path: str
    policy_hash: str
    data_dir: str
    input_hashes: dict[str, str]
    tool_version: str
    created_at: dt.datetime


def _bulk_insert(session: Session, model: type[SQLModel], df: pd.DataFrame,
                 columns: tuple[str, ...], run_id: int) -> None:
    """Insert a frame through the driver's own ``executemany``, in the session's transaction.

    Row dicts and SQLAlchemy's per-row parameter processing cost more than SQLite's own
    work (≈ 14 s for a province's 150,000 reasons); plain tuples built column by column
    take about a second. Columns become Python scalars with ``tolist()`` (no numpy types
    reach the driver)."""
    if df.empty:
        return
    conn = session.connection()
    quote = conn.dialect.identifier_preparer.quote
    names = ["run_id", *columns]
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {quote(model.__tablename__)} ({', '.join(quote(n) for n in names)}) "
           f"VALUES ({', '.join([mark] * len(names))})")
    values = [df[c].tolist() for c in columns]
    rows = list(zip(itertools.repeat(run_id, len(df)), *values, strict=True))
    # exec_driver_sql hands the tuples to the driver's executemany as they are, and still
    # goes through SQLAlchemy's events and error wrapping (StorageError, fault tests)
    conn.exec_driver_sql(sql, rows)


def save_run(engine: Engine, result: Classification, meta: RunMeta) -> int:
    """Store a classification as a new run, atomically. Returns the run id.

    Any failure (a database error, a full disk, Ctrl-C) rolls the whole run back: the
    database is left as it was. Database errors become :class:`StorageError`.
    """
    return save_run_parts(engine, [result], meta)


def save_run_parts(engine: Engine, parts: Iterable[Classification], meta: RunMeta) -> int:
    """Store the classifications of disjoint groups of units as one run, in one
    transaction (see :mod:`scoring.sharded`); ``parts`` may be a generator that classifies
    each group as it is asked for, so only one group is in memory at a time."""
    try:
        return _insert_run(engine, parts, meta)
    except SQLAlchemyError as exc:
        raise StorageError(f"không lưu được lần chạy vào {safe_url(str(engine.url))}: "
                           f"{_db_message(exc)} — không có gì được lưu") from exc
    except OSError as exc:
        raise StorageError(f"không lưu được lần chạy: {exc} — không có gì được lưu") from exc


def _insert_run(engine: Engine, parts: Iterable[Classification], meta: RunMeta) -> int:
    pending = iter(parts)
    first = next(pending)
    with Session(engine) as session, session.begin():
        run = RunRecord(
            year=first.year, created_at=meta.created_at, policy_name=meta.policy_name,
            policy_path=meta.policy_path, policy_hash=meta.policy_hash, data_dir=meta.data_dir,
            input_hashes=json.dumps(meta.input_hashes, sort_keys=True),
            plugins=json.dumps(first.plugins), tool_version=meta.tool_version,
            considered_on=first.considered_on, officials=len(first.results),
        )
        session.add(run)
        session.flush()
        run_id = int(run.id)  # type: ignore[arg-type]
        officials = 0
        for result in itertools.chain([first], pending):
            officials += len(result.results)
            if len(result.results):
                _bulk_insert(session, ResultRecord, result.results, RESULT_COLUMNS, run_id)
            if len(result.reasons):
                _bulk_insert(session, ReasonRecord, result.reasons, REASON_COLUMNS, run_id)
            if len(result.quotas):
                _bulk_insert(session, QuotaRecord, result.quotas, QUOTA_COLUMNS, run_id)
            if len(result.units):
                _bulk_insert(session, UnitRecord, result.units, UNIT_COLUMNS, run_id)
        if officials != run.officials:
            run.officials = officials
    return run_id


def get_run(engine: Engine, run_id: int | None = None) -> RunRecord:
    """The run with ``run_id``, or the latest run."""
    with Session(engine) as session:
        if run_id is None:
            latest = session.exec(
                orm_select(RunRecord).order_by(RunRecord.id.desc())  # type: ignore[union-attr]
            ).first()
            if latest is None:
                raise UnknownRunError("chưa có lần chạy nào trong cơ sở dữ liệu "
                                      "(chạy 'xeploai run' trước)")
            return latest
        run = session.get(RunRecord, run_id)
        if run is None:
            raise UnknownRunError(f"không có lần chạy số {run_id}")
        return run


def list_runs(engine: Engine) -> list[RunRecord]:
    with Session(engine) as session:
        return list(session.exec(orm_select(RunRecord).order_by(RunRecord.id)))


def load_results(engine: Engine, run_id: int) -> pd.DataFrame:
    query = select(ResultRecord).where(ResultRecord.run_id == run_id) \
        .order_by(ResultRecord.official_id)
    with engine.connect() as conn:
        df = pd.read_sql(query, conn)
    return df.drop(columns=["run_id"])[list(RESULT_COLUMNS)]


def load_reasons(engine: Engine, run_id: int, official_id: str | None = None) -> pd.DataFrame:
    query = select(ReasonRecord).where(ReasonRecord.run_id == run_id)
    if official_id is not None:
        query = query.where(ReasonRecord.official_id == official_id)
    query = query.order_by(ReasonRecord.official_id, ReasonRecord.seq)
    with engine.connect() as conn:
        df = pd.read_sql(query, conn)
    return df.drop(columns=["run_id"])[list(REASON_COLUMNS)]


def load_quotas(engine: Engine, run_id: int) -> pd.DataFrame:
    query = select(QuotaRecord).where(QuotaRecord.run_id == run_id) \
        .order_by(QuotaRecord.unit_id, QuotaRecord.peer_group)
    with engine.connect() as conn:
        df = pd.read_sql(query, conn)
    return df.drop(columns=["run_id"])[list(QUOTA_COLUMNS)]


def load_units(engine: Engine, run_id: int) -> pd.DataFrame:
    query = select(UnitRecord).where(UnitRecord.run_id == run_id).order_by(UnitRecord.unit_id)
    with engine.connect() as conn:
        df = pd.read_sql(query, conn)
    return df.drop(columns=["run_id"])[list(UNIT_COLUMNS)]
