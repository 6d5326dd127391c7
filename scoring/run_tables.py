"""Stored runs as SQLModel records: the statement of the run tables (with
:mod:`.council_records` and :mod:`.account_tables`, the whole schema), and runs read back as
records for the commands that show them.

The schema is stated here once. :mod:`xeploai.scoring.storage` writes runs through the same
tables as SQLAlchemy Core (:mod:`.schema_tables`, compiled from these classes by
:mod:`.schema_compile`), so that ``xeploai run`` stores without importing the ORM
(docs/decisions.md 114).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Engine, LargeBinary
from sqlmodel import Field, Session, SQLModel, select

from .errors import UnknownRunError


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
    # the date the run read the records on (SPEC §10); NULL for runs stored before version 3
    as_of: dt.date | None = None
    # schema version 4: the earlier run with the same year, inputs, policy and plugins that
    # this one repeats (stored only when asked to: ``--again``), and the project assumptions
    # of its policy and rules (JSON, see :func:`xeploai.scoring.assumptions.run_assumptions`)
    repeats_run: int | None = None
    assumptions: str = "{}"


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


class ReasonBlock(SQLModel, table=True):
    """Up to :data:`BLOCK_ROWS` reasons of one run, as one compressed Arrow IPC stream.

    ``first_official`` and ``last_official`` bound the block's official ids (code point
    order), so one official's reasons are read from the few blocks that can hold them."""

    __tablename__ = "reason_blocks"

    run_id: int = Field(foreign_key="runs.id", primary_key=True)
    block: int = Field(primary_key=True)  # 0..n-1 within the run, across a sharded run's parts
    first_official: str
    last_official: str
    rows: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


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


def get_run(engine: Engine, run_id: int | None = None) -> RunRecord:
    """The run with ``run_id``, or the latest run."""
    with Session(engine) as session:
        if run_id is None:
            latest = session.exec(
                select(RunRecord).order_by(RunRecord.id.desc())  # type: ignore[union-attr]
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
        return list(session.exec(select(RunRecord).order_by(RunRecord.id)))
