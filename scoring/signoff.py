"""Sign-off of a run (SPEC §8): finalised (locked) by a named person, reopened with a reason.

A finalised run takes no council decision until it is reopened, and it is the run the
exports of its year use when no run is named. Both acts are rows of ``run_signoffs``
(never updated), so the history — who locked, who reopened and why — is shown as it
happened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlmodel import Session, select

from .council_records import SignOffRecord
from .errors import UnknownRunError, XeploaiError
from .run_tables import RunRecord
from .storage import get_run

FINALIZE = "finalize"
REOPEN = "reopen"
ACTION_VI: dict[str, str] = {FINALIZE: "chốt", REOPEN: "mở lại"}


class SignOffError(XeploaiError):
    """A finalise or reopen that can't be done (already locked, not locked, no name)."""


class RunLockedError(XeploaiError):
    """A decision on a finalised run."""


@dataclass
class SignOffState:
    """Whether a run is locked now, and every finalise/reopen of it, oldest first."""

    run_id: int
    history: list[SignOffRecord] = field(default_factory=list)

    @property
    def finalized(self) -> bool:
        return bool(self.history) and self.history[-1].action == FINALIZE

    @property
    def last(self) -> SignOffRecord | None:
        return self.history[-1] if self.history else None

    def describe(self) -> str:
        """One Vietnamese line: locked by whom and when, reopened, or never signed off."""
        if not self.history:
            return "chưa chốt"
        last = self.history[-1]
        if last.action == FINALIZE:
            return f"đã chốt bởi {last.by} lúc {last.at:%d/%m/%Y %H:%M} (UTC)"
        return (f"đã mở lại bởi {last.by} lúc {last.at:%d/%m/%Y %H:%M} (UTC), "
                f"lý do: {last.reason}")


def signoff_state(engine: Engine, run_id: int) -> SignOffState:
    with Session(engine) as session:
        rows = session.exec(select(SignOffRecord).where(SignOffRecord.run_id == run_id)
                            .order_by(SignOffRecord.id)).all()  # type: ignore[arg-type]
        for row in rows:
            session.expunge(row)
    return SignOffState(run_id, list(rows))


def ensure_open(engine: Engine, run_id: int) -> None:
    """Raise :class:`RunLockedError` when the run is finalised."""
    state = signoff_state(engine, run_id)
    if state.finalized:
        last = state.last
        raise RunLockedError(
            f"lần chạy số {run_id} {state.describe()}: không ghi thêm quyết định được. "
            f"Muốn sửa, mở lại: xeploai reopen {run_id} --by TÊN --reason LÝ_DO "
            f"(người chốt: {last.by if last else ''})")


def _add(engine: Engine, run_id: int, action: str, by: str, reason: str,
         now: dt.datetime | None) -> SignOffRecord:
    rec = SignOffRecord(run_id=run_id, action=action, by=by.strip(), reason=reason.strip(),
                        at=(now or dt.datetime.now(dt.UTC)).replace(microsecond=0))
    with Session(engine) as session, session.begin():
        session.add(rec)
        session.flush()
        session.expunge(rec)
    return rec


def finalize_run(engine: Engine, run_id: int | None = None, *, by: str,
                 now: dt.datetime | None = None) -> SignOffRecord:
    """Lock run ``run_id`` (default: latest): no decision until :func:`reopen_run`."""
    if not by.strip():
        raise SignOffError("cần ghi người chốt kết quả (--by)")
    rid = int(get_run(engine, run_id).id)  # type: ignore[arg-type]
    state = signoff_state(engine, rid)
    if state.finalized:
        raise SignOffError(f"lần chạy số {rid} {state.describe()}")
    return _add(engine, rid, FINALIZE, by, "", now)


def reopen_run(engine: Engine, run_id: int, *, by: str, reason: str,
               now: dt.datetime | None = None) -> SignOffRecord:
    """Unlock a finalised run, recording who and why."""
    if not by.strip():
        raise SignOffError("cần ghi người mở lại (--by)")
    if not reason.strip():
        raise SignOffError("cần ghi lý do mở lại (--reason)")
    rid = int(get_run(engine, run_id).id)  # type: ignore[arg-type]
    if not signoff_state(engine, rid).finalized:
        raise SignOffError(f"lần chạy số {rid} chưa chốt, không cần mở lại")
    return _add(engine, rid, REOPEN, by, reason, now)


def default_run(engine: Engine, year: int | None = None) -> RunRecord:
    """The run an export uses when none is named: of ``year`` (default: the latest run's
    year), the latest finalised run if there is one, else the latest run."""
    latest = get_run(engine)
    year = latest.year if year is None else year
    with Session(engine) as session:
        runs = session.exec(select(RunRecord).where(RunRecord.year == year)
                            .order_by(RunRecord.id.desc())).all()  # type: ignore[union-attr]
        for run in runs:
            session.expunge(run)
    if not runs:
        raise UnknownRunError(f"chưa có lần chạy nào của năm {year}")
    for run in runs:
        if signoff_state(engine, int(run.id)).finalized:  # type: ignore[arg-type]
            return run
    return runs[0]
