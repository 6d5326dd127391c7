"""Council decisions that change a run's result (SPEC §6: "the original stays visible").

An override belongs to one run (docs/decisions.md): it records the final level and/or titles
the council decided, the engine's values at that moment, the reason and who decided. Nothing
is ever updated or deleted — a later decision on the same official and aspect supersedes an
earlier one, and the history stays listable. Exports and ``explain`` read results through
:func:`final_results`, so a decision is never lost on re-export.

A decision that breaks a share (20 % HTXSNV per unit and peer group, 15 % CSTDCS per unit) is
allowed — the council has the last word — but flagged wherever it is shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine, select
from sqlmodel import Session

from .council_records import OverrideRecord
from .decision_checks import RuleConflict, conflicts_text, rule_conflicts
from .errors import UnknownOfficialError, XeploaiError
from .shares import excellent_allowed, is_good, share_floor
from .signoff import ensure_open
from .storage import create_tables, get_run, load_quotas, load_reasons, load_results, load_units
from .types import CODE_RANK, LEVEL_RANK, Level, Title

__all__ = ["OverrideRecord"]  # the table lives in council_records; re-exported for callers


class OverrideError(XeploaiError):
    """An override that cannot be recorded (unknown code, no reason, nothing changed)."""


class DecisionAgainstRulesError(OverrideError):
    """A decision that goes against a rule behind the result and cites no lifting document.

    ``conflicts`` lists each rule (for a form to show beside the field)."""

    def __init__(self, message: str, conflicts: list[RuleConflict]) -> None:
        super().__init__(message)
        self.conflicts = conflicts


@dataclass(frozen=True)
class Meeting:
    """The council meeting a decision was taken in: minutes number, date and the vote."""

    minutes_no: str
    held_on: dt.date
    votes_for: int
    votes_against: int
    votes_abstaining: int

    def problems(self) -> list[str]:
        out = []
        if not self.minutes_no.strip():
            out.append("cần số biên bản họp (--minutes)")
        if min(self.votes_for, self.votes_against, self.votes_abstaining) < 0:
            out.append("số phiếu không được âm")
        elif self.votes_for <= self.votes_against:
            out.append(f"số phiếu tán thành ({self.votes_for}) phải nhiều hơn số phiếu không "
                       f"tán thành ({self.votes_against}): quyết định chưa được thông qua")
        return out

    @property
    def text(self) -> str:
        return (f"biên bản số {self.minutes_no} ngày {self.held_on:%d/%m/%Y}, biểu quyết "
                f"{self.votes_for} tán thành / {self.votes_against} không tán thành / "
                f"{self.votes_abstaining} không biểu quyết")


def parse_votes(text: str) -> tuple[int, int, int]:
    """``"7/1/0"`` (for / against / abstaining; '-' or ',' also separate) → (7, 1, 0)."""
    parts = [p.strip() for p in text.replace("-", "/").replace(",", "/").split("/")]
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise OverrideError(f"số phiếu {text!r} không hợp lệ: ghi TÁN_THÀNH/KHÔNG_TÁN_THÀNH/"
                            "KHÔNG_BIỂU_QUYẾT, ví dụ 7/1/0")
    return int(parts[0]), int(parts[1]), int(parts[2])


def parse_date(text: str) -> dt.date:
    """A meeting date as people write it: 10/01/2024 or 2024-01-10."""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise OverrideError(f"ngày họp {text!r} không hợp lệ: ghi DD/MM/YYYY, ví dụ 10/01/2024")


OVERRIDE_COLUMNS: tuple[str, ...] = (
    "id", "run_id", "official_id", "level", "titles", "engine_level", "engine_titles",
    "reason", "decided_by", "created_at", "basis", "against_rules", "minutes_no",
    "meeting_date", "votes_for", "votes_against", "votes_abstaining", "carried_from",
    "carried_by",
)
# columns that may be empty: None in the frame (never NaN, which prints as "nan")
_OPTIONAL_COLUMNS: tuple[str, ...] = (
    "level", "titles", "basis", "against_rules", "minutes_no", "meeting_date", "votes_for",
    "votes_against", "votes_abstaining", "carried_from", "carried_by",
)

# Council members type what they see on paper: LĐTT, CSTĐCS, lower case…
_TITLE_WORDS: dict[str, str] = {
    "ldtt": "LDTT", "lđtt": "LDTT", "cstdcs": "CSTDCS", "cstđcs": "CSTDCS", "cchc": "CCHC",
}
NO_TITLE_WORDS = frozenset({"", "none", "khong", "không", "-"})


def parse_level(text: str) -> str:
    code = text.strip().upper()
    if code not in Level.__members__:
        raise OverrideError(f"mức xếp loại {text!r} không hợp lệ; dùng một trong: "
                            f"{', '.join(Level.__members__)}")
    return code


def parse_titles(items: list[str] | tuple[str, ...]) -> str:
    """Title codes (each item may hold several, split by ';' or ','), sorted and ';'-joined."""
    codes: set[str] = set()
    for item in items:
        for word in item.replace(",", ";").split(";"):
            w = word.strip().lower()
            if w in NO_TITLE_WORDS:
                continue
            if w not in _TITLE_WORDS:
                raise OverrideError(f"danh hiệu {word.strip()!r} không hợp lệ; dùng: "
                                    f"{', '.join(t.value for t in Title)} hoặc 'none'")
            codes.add(_TITLE_WORDS[w])
    return ";".join(sorted(codes))


def load_overrides(engine: Engine, run_id: int | None = None) -> pd.DataFrame:
    """Every decision (of one run, or of all runs), oldest first."""
    with engine.begin() as conn:
        create_tables(conn, [OverrideRecord.__tablename__])
    query = select(OverrideRecord)
    if run_id is not None:
        query = query.where(OverrideRecord.run_id == run_id)
    query = query.order_by(OverrideRecord.id)
    with engine.connect() as conn:
        df = pd.read_sql(query, conn)[list(OVERRIDE_COLUMNS)]
    for col in _OPTIONAL_COLUMNS:
        values = df[col].astype(object)
        df[col] = values.where(values.notna(), None)
    return df


def _latest(decisions: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per official, the latest decision that set ``column`` (later ids supersede)."""
    d = decisions[decisions[column].notna()]
    return d.sort_values("id", kind="mergesort").groupby("official_id").tail(1) \
        .set_index("official_id")


def meeting_from_fields(minutes_no: str | None, meeting_date: str | None, votes: str | None,
                        names: tuple[str, str, str] = ("số biên bản", "ngày họp",
                                                       "kết quả biểu quyết")) -> Meeting | None:
    """The meeting of a decision from its three fields as typed (command options, the web
    form): all three, or none (``names`` name the fields in the message)."""
    given = [str(v).strip() if v is not None else "" for v in (minutes_no, meeting_date, votes)]
    if not any(given):
        return None
    if not all(given):
        raise OverrideError(f"biên bản họp cần đủ {names[0]}, {names[1]} và {names[2]}")
    return Meeting(given[0], parse_date(given[1]), *parse_votes(given[2]))


def meeting_of(decision: dict) -> Meeting | None:
    """The meeting of a stored decision (a row of :func:`load_overrides`), if recorded."""
    if not decision.get("minutes_no"):
        return None
    return Meeting(str(decision["minutes_no"]), pd.Timestamp(decision["meeting_date"]).date(),
                   int(decision["votes_for"]), int(decision["votes_against"]),
                   int(decision["votes_abstaining"]))


NO_MEETING = "chưa ghi biên bản họp"


def meeting_text(decision: dict) -> str:
    """The meeting of a stored decision in words, or that none was recorded."""
    meeting = meeting_of(decision)
    return meeting.text if meeting else NO_MEETING


def latest_decision_ids(decisions: pd.DataFrame, column: str) -> set[int]:
    """The ids of the decisions in force for ``column`` ("level" or "titles")."""
    return {int(i) for i in _latest(decisions, column)["id"].tolist()}


def standing_decisions(decisions: pd.DataFrame) -> pd.DataFrame:
    """The decisions still in force: per official, the latest that set the level and the
    latest that set the titles (one row when one decision set both), oldest first."""
    ids = latest_decision_ids(decisions, "level") | latest_decision_ids(decisions, "titles")
    return decisions[decisions["id"].isin(ids)].sort_values("id", kind="mergesort")


# what apply_overrides adds to the results; empty texts when the council changed nothing
DECISION_COLUMNS: tuple[str, ...] = (
    "engine_level", "engine_titles", "override_reason", "override_by", "override_basis",
    "override_against", "override_meeting", "overridden",
)


def apply_overrides(results: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """``results`` with final ``level``/``titles`` and the engine's values beside them.

    Adds :data:`DECISION_COLUMNS`: the engine's values, and of the decisions in force their
    reasons (``" | "``-joined), who decided, the documents that lifted a rule, the rules
    they go against (one per line) and their meetings; ``overridden`` (bool).
    """
    out = results.copy()
    out["engine_level"] = out["level"]
    out["engine_titles"] = out["titles"]
    for col in ("override_reason", "override_by", "override_basis", "override_against",
                "override_meeting"):
        out[col] = ""
    out["overridden"] = False
    if decisions.empty:
        return out
    idx = out.set_index("official_id").index
    for column in ("level", "titles"):
        latest = _latest(decisions, column)
        if latest.empty:
            continue
        value = pd.Series(idx.map(latest[column].to_dict()), index=out.index)
        hit = value.notna()
        out.loc[hit, column] = value[hit].astype(str)
    # a few decisions per run: their texts are joined official by official
    standing = standing_decisions(decisions)
    texts: dict[str, dict[str, str]] = {}
    for oid, group in standing.groupby("official_id", sort=False):
        recs = group.to_dict("records")
        texts[str(oid)] = {
            "override_reason": " | ".join(str(d["reason"]) for d in recs),
            "override_by": ", ".join(dict.fromkeys(str(d["decided_by"]) for d in recs)),
            "override_basis": "; ".join(dict.fromkeys(str(d["basis"]) for d in recs
                                                      if d["basis"])),
            "override_against": "\n".join(str(d["against_rules"]) for d in recs
                                          if d["against_rules"]),
            "override_meeting": "; ".join(dict.fromkeys(meeting_text(d) for d in recs)),
        }
    frame = pd.DataFrame.from_dict(texts, orient="index")
    for col in frame.columns:
        mapped = out["official_id"].map(frame[col])
        out[col] = mapped.where(mapped.notna(), "").astype(object)
    out["overridden"] = (out["level"] != out["engine_level"]) \
        | (out["titles"] != out["engine_titles"]) | (out["override_reason"] != "")
    return out


def quota_allowed(share: float, base: str, good_count: int) -> int:
    """How many HTXSNV a group of ``good_count`` officials at HTTNV or above may keep (the
    engine's own arithmetic, :func:`xeploai.scoring.shares.excellent_allowed`)."""
    return int(excellent_allowed(share, base, pd.Series([good_count])).iloc[0])


def _has(titles: pd.Series, code: str) -> pd.Series:
    # ';'-joined codes: one substring test per row (splitting 50,000 lists took ~0.2 s)
    return (";" + titles.astype(str) + ";").str.contains(f";{code};", regex=False) \
        .astype(bool)


def quota_status(final: pd.DataFrame, quotas: pd.DataFrame,
                 units: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shares on final values: per unit and peer group (HTXSNV) and per unit (CSTDCS).

    Returns ``(groups, units)`` with ``used``, ``allowed`` and ``over`` (bool) columns.
    """
    good = is_good(final["level"].map(CODE_RANK))
    exc = final["level"] == Level.HTXSNV.value
    g = pd.DataFrame({"unit_id": final["unit_id"], "peer_group": final["peer_group"],
                      "good": good, "exc": exc}).groupby(["unit_id", "peer_group"]) \
        .agg(good_final=("good", "sum"), used=("exc", "sum")).reset_index()
    groups = quotas.merge(g, on=["unit_id", "peer_group"], how="left") \
        .fillna({"good_final": 0, "used": 0})
    groups["allowed_final"] = 0
    for (share, base), rows in groups.groupby(["share", "base"]).groups.items():
        groups.loc[rows, "allowed_final"] = excellent_allowed(
            float(share), str(base), groups.loc[rows, "good_final"])
    groups["allowed_final"] = groups["allowed_final"].astype(int)
    groups["used"] = groups["used"].astype(int)
    groups["over"] = groups["used"] > groups["allowed_final"]

    u = pd.DataFrame({"unit_id": final["unit_id"], "ldtt": _has(final["titles"], "LDTT"),
                      "cstdcs": _has(final["titles"], "CSTDCS")}).groupby("unit_id") \
        .agg(ldtt_final=("ldtt", "sum"), cstdcs_used=("cstdcs", "sum")).reset_index()
    unit_q = units.merge(u, on="unit_id", how="left").fillna({"ldtt_final": 0,
                                                               "cstdcs_used": 0})
    unit_q["cstdcs_allowed"] = 0
    for share, rows in unit_q.groupby("cstdcs_share").groups.items():
        unit_q.loc[rows, "cstdcs_allowed"] = share_floor(float(share),
                                                         unit_q.loc[rows, "ldtt_final"])
    unit_q["cstdcs_allowed"] = unit_q["cstdcs_allowed"].astype(int)
    unit_q["cstdcs_used"] = unit_q["cstdcs_used"].astype(int)
    unit_q["cstdcs_over"] = unit_q["cstdcs_used"] > unit_q["cstdcs_allowed"]
    return groups, unit_q


def quota_flags(final: pd.DataFrame, quotas: pd.DataFrame, units: pd.DataFrame,
                status: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> dict[str, str]:
    """official_id -> a warning, for each overridden official whose unit's share is broken,
    or whose decision goes against a rule under a lifting document. ``status``: the
    :func:`quota_status` of ``final`` when the caller has it already."""
    groups, unit_q = status or quota_status(final, quotas, units)
    flags: dict[str, list[str]] = {}
    touched = final[final["overridden"]]
    for _, row in touched.iterrows():
        oid = str(row["official_id"])
        if row.get("override_against"):
            # each rule's first part ("mức trần HTNV theo quy tắc …"): the details are
            # shown with the decision
            rules = "; ".join(line.split(" — ")[0]
                              for line in str(row["override_against"]).splitlines())
            flags.setdefault(oid, []).append(
                f"trái quy định ({rules}), theo văn bản {row['override_basis']}")
        grp = groups[(groups["unit_id"] == row["unit_id"])
                     & (groups["peer_group"] == row["peer_group"])]
        if row["level"] == Level.HTXSNV.value and not grp.empty and bool(grp["over"].iloc[0]):
            gr = grp.iloc[0]
            flags.setdefault(oid, []).append(
                f"vượt tỷ lệ HTXSNV của đơn vị {gr['unit_id']}, nhóm {gr['peer_group']} "
                f"({int(gr['used'])} người, được phép {int(gr['allowed_final'])})")
        un = unit_q[unit_q["unit_id"] == row["unit_id"]]
        if "CSTDCS" in str(row["titles"]).split(";") and not un.empty \
                and bool(un["cstdcs_over"].iloc[0]):
            ur = un.iloc[0]
            flags.setdefault(oid, []).append(
                f"vượt tỷ lệ Chiến sĩ thi đua cơ sở của đơn vị {ur['unit_id']} "
                f"({int(ur['cstdcs_used'])} người, được phép {int(ur['cstdcs_allowed'])})")
        titles = [t for t in str(row["titles"]).split(";") if t]
        if titles and LEVEL_RANK[Level(row["level"])] < 3:
            flags.setdefault(oid, []).append(
                "có danh hiệu nhưng mức xếp loại dưới Hoàn thành tốt nhiệm vụ")
    return {k: "; ".join(v) for k, v in flags.items()}


@dataclass
class CouncilView:
    """A run as the council sees it: final values, the engine's, shares and warnings."""

    run_id: int
    results: pd.DataFrame  # RESULT_COLUMNS + DECISION_COLUMNS + flag
    quotas: pd.DataFrame  # per unit + peer group, with used / allowed_final / over
    units: pd.DataFrame  # per unit: name, CSTDCS used / allowed / over
    decisions: pd.DataFrame  # every override of the run, oldest first


def council_view(engine: Engine, run_id: int | None = None) -> CouncilView:
    run = get_run(engine, run_id)
    rid = int(run.id)  # type: ignore[arg-type]
    decisions = load_overrides(engine, rid)
    final = apply_overrides(load_results(engine, rid), decisions)
    quotas, units = load_quotas(engine, rid), load_units(engine, rid)
    # the shares read levels and titles only: worked out once, for the flags and the view
    groups, unit_q = quota_status(final, quotas, units)
    flags = quota_flags(final, quotas, units, (groups, unit_q))
    # map through an object Series: an empty dict would otherwise give a float column
    final["flag"] = final["official_id"].map(pd.Series(flags, dtype=object)).astype(object) \
        .fillna("")
    return CouncilView(rid, final, groups, unit_q, decisions)


@dataclass
class DecisionCheck:
    """What recording a decision would do, before it is recorded (for a form's preview).

    ``problems`` refuse it (unknown code, nothing changes, locked run…); ``conflicts`` are
    the rules it goes against (refused without ``basis``, flagged with it)."""

    run_id: int
    official_id: str
    level: str | None
    titles: str | None
    engine_level: str
    engine_titles: str
    current_level: str  # the final value now, after earlier decisions
    current_titles: str
    conflicts: list[RuleConflict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def changes_something(self) -> bool:
        return (self.level is not None and self.level != self.current_level) \
            or (self.titles is not None and self.titles != self.current_titles)


@dataclass
class OverrideOutcome:
    record: OverrideRecord
    flag: str  # every warning on the official after the decision (shares, rules), else ""
    conflicts: list[RuleConflict] = field(default_factory=list)  # rules lifted by basis


def check_override(engine: Engine, official_id: str, *, level: str | None = None,
                   titles: list[str] | None = None, run_id: int | None = None
                   ) -> DecisionCheck:
    """Check a decision on ``official_id`` in run ``run_id`` (default: latest) against the
    reasons behind the result, without recording it. Unknown codes and an unknown official
    raise; everything else is reported in the returned :class:`DecisionCheck`."""
    lvl = parse_level(level) if level is not None else None
    tit = parse_titles(titles) if titles is not None else None
    rid = int(get_run(engine, run_id).id)  # type: ignore[arg-type]
    view = council_view(engine, rid)
    row = view.results[view.results["official_id"] == official_id]
    if row.empty:
        raise UnknownOfficialError(f"không có cán bộ {official_id!r} trong lần chạy số {rid}")
    cur = row.iloc[0]
    check = DecisionCheck(rid, official_id, lvl, tit, str(cur["engine_level"]),
                          str(cur["engine_titles"]), str(cur["level"]), str(cur["titles"]))
    if lvl is None and tit is None:
        check.problems.append("cần ít nhất --level hoặc --title (hoặc --no-title)")
        return check
    if not check.changes_something:
        now = []
        if lvl is not None:
            now.append(f"mức đang là {lvl}")
        if tit is not None:
            now.append(f"danh hiệu đang là {tit or 'không'}")
        check.problems.append(f"quyết định không thay đổi gì ({', '.join(now)}): không ghi")
    check.conflicts = rule_conflicts(load_reasons(engine, rid, official_id), lvl, tit)
    return check


def record_override(engine: Engine, official_id: str, *, reason: str, by: str,
                    level: str | None = None, titles: list[str] | None = None,
                    run_id: int | None = None, basis: str | None = None,
                    meeting: Meeting | None = None, now: dt.datetime | None = None,
                    carried_from: int | None = None, carried_by: str | None = None
                    ) -> OverrideOutcome:
    """Record one council decision on ``official_id`` in run ``run_id`` (default: latest).

    Refused (:class:`OverrideError`) when it changes nothing, lacks a reason or a name, has
    a bad meeting record, or the run is finalised (:class:`RunLockedError`); refused
    (:class:`DecisionAgainstRulesError`) when it goes against a rule behind the result and
    ``basis`` names no document that lifts it. With ``basis`` it is recorded with the rules
    it goes against, and flagged wherever it is shown. Breaking a share is recorded and
    flagged (``outcome.flag``).
    """
    problems = []
    if not reason.strip():
        problems.append("cần ghi lý do điều chỉnh (--reason)")
    if not by.strip():
        problems.append("cần ghi người quyết định (--by)")
    if meeting is not None:
        problems += meeting.problems()
    rid = int(get_run(engine, run_id).id)  # type: ignore[arg-type]
    ensure_open(engine, rid)
    check = check_override(engine, official_id, level=level, titles=titles, run_id=rid)
    problems = check.problems + problems
    if problems:
        raise OverrideError("; ".join(problems))
    lifted = (basis or "").strip()
    if check.conflicts and not lifted:
        raise DecisionAgainstRulesError(
            f"quyết định cho {official_id} trái quy định:\n"
            + "\n".join(f"  - {c.text}" for c in check.conflicts)
            + "\nChỉ ghi được khi dẫn văn bản cho phép bỏ qua quy định này "
              "(--basis SỐ_VĂN_BẢN, ví dụ quyết định giải quyết khiếu nại).", check.conflicts)
    rec = OverrideRecord(
        run_id=rid, official_id=official_id, level=check.level, titles=check.titles,
        engine_level=check.engine_level, engine_titles=check.engine_titles,
        reason=reason.strip(), decided_by=by.strip(),
        created_at=(now or dt.datetime.now(dt.UTC)).replace(microsecond=0),
        basis=lifted or None,
        against_rules=conflicts_text(check.conflicts) or None,
        minutes_no=meeting.minutes_no.strip() if meeting else None,
        meeting_date=meeting.held_on if meeting else None,
        votes_for=meeting.votes_for if meeting else None,
        votes_against=meeting.votes_against if meeting else None,
        votes_abstaining=meeting.votes_abstaining if meeting else None,
        carried_from=carried_from, carried_by=carried_by,
    )
    with Session(engine) as session, session.begin():
        session.add(rec)
        session.flush()
        session.expunge(rec)
    view = council_view(engine, rid)
    flag = view.results.loc[view.results["official_id"] == official_id, "flag"].iloc[0]
    return OverrideOutcome(rec, str(flag), check.conflicts)


def pending_overrides(engine: Engine, run_id: int | None = None) -> pd.DataFrame:
    """Decisions of earlier runs of the same year that this run does not carry.

    An override belongs to its run; a re-run starts from the engine's values. The latest
    decisions of the most recent earlier run of that year with any decision are listed here
    when the new run neither has its own decision on that official nor already gives the same
    value, so HR staff can carry them over (:func:`xeploai.scoring.reapply.reapply_decisions`).
    """
    from .storage import list_runs

    run = get_run(engine, run_id)
    earlier = [r for r in list_runs(engine) if r.year == run.year and r.id < run.id]  # type: ignore[operator]
    all_dec = load_overrides(engine)
    mine = all_dec[all_dec["run_id"] == run.id]
    source = next((r for r in reversed(earlier) if (all_dec["run_id"] == r.id).any()), None)
    if source is None:
        return all_dec.iloc[0:0]
    results = load_results(engine, int(run.id)).set_index("official_id")  # type: ignore[arg-type]
    prev = all_dec[all_dec["run_id"] == source.id]
    rows = []
    for column in ("level", "titles"):
        latest = _latest(prev, column)
        for oid, rec in latest.iterrows():
            if oid not in results.index:
                continue
            if ((mine["official_id"] == oid) & mine[column].notna()).any():
                continue
            if str(results.loc[oid, column]) == str(rec[column]):
                continue
            rows.append(rec.to_dict() | {"official_id": oid})
    if not rows:
        return all_dec.iloc[0:0]
    return pd.DataFrame(rows)[list(OVERRIDE_COLUMNS)].drop_duplicates("id") \
        .sort_values("id").reset_index(drop=True)
