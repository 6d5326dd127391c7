"""The council's tables: decisions on a run's results and the run's sign-off history.

Kept apart from the functions that use them (:mod:`xeploai.scoring.overrides`,
:mod:`xeploai.scoring.signoff`) so that :mod:`xeploai.scoring.storage` can create and migrate
every table of the schema without importing them. Rows are only ever added: a later decision
supersedes an earlier one, a reopening follows a finalisation, and the history stays listable.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel


class OverrideRecord(SQLModel, table=True):
    """One council decision on one official of one run (SPEC §8)."""

    __tablename__ = "overrides"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id", index=True)
    official_id: str = Field(index=True)
    level: str | None = None  # None: this decision leaves the level alone
    titles: str | None = None  # ';'-joined codes, "" = no title; None: titles left alone
    engine_level: str
    engine_titles: str
    reason: str
    decided_by: str
    created_at: dt.datetime
    # schema version 3 (SPEC §8): the document that lifts a rule the decision goes against,
    # what it goes against (empty when nothing), the meeting, and the decision it carries over
    basis: str | None = None
    against_rules: str | None = None  # "; "-joined Vietnamese descriptions
    minutes_no: str | None = None
    meeting_date: dt.date | None = None
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstaining: int | None = None
    carried_from: int | None = None  # id of the earlier run's decision it re-applies
    carried_by: str | None = None  # who carried it over (--reapply-from … --by)


class SignOffRecord(SQLModel, table=True):
    """A run finalised (locked) or reopened: who, when and (to reopen) why."""

    __tablename__ = "run_signoffs"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id", index=True)
    action: str  # "finalize" or "reopen"
    by: str
    reason: str
    at: dt.datetime
