"""Carry a council's decisions onto a new run of the same year (SPEC §8, "decisions survive
a re-run").

Each decision still in force on the earlier run is re-checked on the new run exactly as a
new decision would be (:func:`xeploai.scoring.overrides.record_override`): one that now goes
against a rule is carried only if it cited a lifting document; one the new run already
satisfies is not recorded again. Every decision ends in the returned list with what became
of it — nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine

from .overrides import (
    DecisionAgainstRulesError,
    OverrideError,
    OverrideOutcome,
    check_override,
    latest_decision_ids,
    load_overrides,
    meeting_of,
    record_override,
    standing_decisions,
)
from .signoff import ensure_open
from .storage import get_run, load_results

APPLIED = "applied"  # recorded on the new run
UNNEEDED = "unneeded"  # the new run already gives what the decision gave
ALREADY = "already"  # carried over before (the new run holds a decision carried from it)
CONFLICT = "conflict"  # not carried: listed for the council to decide again

STATUS_VI: dict[str, str] = {
    APPLIED: "đã áp dụng", UNNEEDED: "không cần (lần chạy mới đã cho kết quả này)",
    ALREADY: "đã áp dụng từ trước", CONFLICT: "KHÔNG áp dụng — cần Hội đồng xem lại",
}


@dataclass
class CarriedDecision:
    """What became of one decision of the earlier run."""

    source_id: int
    official_id: str
    level: str | None
    titles: str | None
    status: str  # one of APPLIED, UNNEEDED, ALREADY, CONFLICT
    message: str
    outcome: OverrideOutcome | None = None  # the new decision, when applied


@dataclass
class ReapplyOutcome:
    source_run: int
    target_run: int
    items: list[CarriedDecision] = field(default_factory=list)

    @property
    def conflicts(self) -> list[CarriedDecision]:
        return [i for i in self.items if i.status == CONFLICT]

    @property
    def applied(self) -> list[CarriedDecision]:
        return [i for i in self.items if i.status == APPLIED]


def reapply_decisions(engine: Engine, source_run: int, *, by: str,
                      target_run: int | None = None,
                      now: dt.datetime | None = None) -> ReapplyOutcome:
    """Carry every decision in force on ``source_run`` onto ``target_run`` (default: the
    latest run), re-checking each; ``by`` is who carries them over (the decisions keep their
    council, reason, basis and meeting)."""
    if not by.strip():
        raise OverrideError("cần ghi người áp dụng lại (--by)")
    source = get_run(engine, source_run)
    target = get_run(engine, target_run)
    sid, tid = int(source.id), int(target.id)  # type: ignore[arg-type]
    if sid == tid:
        raise OverrideError(f"lần chạy số {sid} là chính lần chạy đích: chọn một lần chạy "
                            "trước đó (--reapply-from)")
    if source.year != target.year:
        raise OverrideError(f"lần chạy số {sid} là năm {source.year}, lần chạy số {tid} là năm "
                            f"{target.year}: chỉ áp dụng lại quyết định của cùng một năm")
    ensure_open(engine, tid)
    decisions = load_overrides(engine, sid)
    in_force = {col: latest_decision_ids(decisions, col) for col in ("level", "titles")}
    present = set(load_results(engine, tid)["official_id"])
    outcome = ReapplyOutcome(sid, tid)
    for dec in standing_decisions(decisions).to_dict("records"):
        # only what this decision still decides on the earlier run (a later one may have
        # replaced its level and kept its titles)
        level = dec["level"] if dec["id"] in in_force["level"] else None
        titles = dec["titles"] if dec["id"] in in_force["titles"] else None
        item = CarriedDecision(int(dec["id"]), str(dec["official_id"]), level, titles,
                               CONFLICT, "")
        outcome.items.append(item)
        mine = load_overrides(engine, tid)
        mine = mine[mine["official_id"] == item.official_id]
        if item.official_id not in present:
            item.message = f"không có {item.official_id} trong lần chạy số {tid}"
            continue
        if (mine["carried_from"] == item.source_id).any():
            item.status, item.message = ALREADY, "đã mang sang lần chạy này trước đó"
            continue
        own = [col for col, value in (("level", level), ("titles", titles))
               if value is not None and mine[col].notna().any()]
        if own:
            item.message = (f"lần chạy số {tid} đã có quyết định riêng về "
                            f"{' và '.join('mức' if c == 'level' else 'danh hiệu' for c in own)}"
                            f" của {item.official_id}")
            continue
        as_list = [titles] if titles is not None else None
        if not check_override(engine, item.official_id, level=level, titles=as_list,
                              run_id=tid).changes_something:
            item.status, item.message = UNNEEDED, "lần chạy mới đã cho đúng kết quả này"
            continue
        try:
            item.outcome = record_override(
                engine, item.official_id, reason=str(dec["reason"]), by=str(dec["decided_by"]),
                level=level, titles=as_list, run_id=tid,
                basis=dec["basis"], meeting=meeting_of(dec), now=now,
                carried_from=item.source_id, carried_by=by.strip())
            item.status, item.message = APPLIED, f"quyết định số {item.outcome.record.id}"
        except DecisionAgainstRulesError as exc:
            item.message = "nay trái quy định: " + "; ".join(c.text for c in exc.conflicts)
        except OverrideError as exc:
            item.message = str(exc)
    return outcome
