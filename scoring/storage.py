"""Runs, results and reasons in a database (SQLite file by default, PostgreSQL by URL).

One run is written in one transaction: either every result and reason of the run is
there, or none is. Rows go in with bulk inserts — a province run stores hundreds of
thousands of reasons, and row-by-row ORM adds would dominate the run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, insert, select
from sqlmodel import Field, Session, SQLModel, create_engine
from sqlmodel import select as orm_select

from scoring.engine import REASON_COLUMNS, RESULT_COLUMNS, Classification
from scoring.errors import UnknownRunError

DEFAULT_DB = "sqlite:///xeploai.db"
DB_ENV = "XEPLOAI_DB"


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


def database_url(url: str | None = None) -> str:
    return url or os.environ.get(DB_ENV) or DEFAULT_DB


def open_db(url: str | None = None) -> Engine:
    """Connect and create the schema if missing (idempotent)."""
    engine = create_engine(database_url(url))
    SQLModel.metadata.create_all(engine)
    return engine


@dataclass(frozen=True)
class RunMeta:
    policy_name: str
    policy_path: str
    policy_hash: str
    data_dir: str
    input_hashes: dict[str, str]
    tool_version: str
    created_at: dt.datetime


def _records(df: pd.DataFrame, columns: tuple[str, ...], run_id: int) -> list[dict[str, Any]]:
    out = df[list(columns)].copy()
    out.insert(0, "run_id", run_id)
    return out.to_dict("records")


def save_run(engine: Engine, result: Classification, meta: RunMeta) -> int:
    """Store a classification as a new run, atomically. Returns the run id."""
    with Session(engine) as session, session.begin():
        run = RunRecord(
            year=result.year, created_at=meta.created_at, policy_name=meta.policy_name,
            policy_path=meta.policy_path, policy_hash=meta.policy_hash, data_dir=meta.data_dir,
            input_hashes=json.dumps(meta.input_hashes, sort_keys=True),
            plugins=json.dumps(result.plugins), tool_version=meta.tool_version,
            considered_on=result.considered_on, officials=len(result.results),
        )
        session.add(run)
        session.flush()
        run_id = int(run.id)  # type: ignore[arg-type]
        if len(result.results):
            session.execute(insert(ResultRecord),
                            _records(result.results, RESULT_COLUMNS, run_id))
        if len(result.reasons):
            session.execute(insert(ReasonRecord),
                            _records(result.reasons, REASON_COLUMNS, run_id))
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
