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
from dataclasses import dataclass
from fractions import Fraction

import pandas as pd
from sqlalchemy import Engine, select
from sqlmodel import Field, Session, SQLModel
from xeploai.scoring.errors import UnknownOfficialError, XeploaiError
from xeploai.scoring.storage import get_run, load_quotas, load_results, load_units
from xeploai.scoring.types import LEVEL_RANK, Level, Title


class OverrideError(XeploaiError):
    """An override that cannot be recorded (unknown code, no reason, nothing changed)."""


class OverrideRecord(SQLModel, table=True):
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


OVERRIDE_COLUMNS: tuple[str, ...] = (
    "id", "run_id", "official_id", "level", "titles", "engine_level", "engine_titles",
    "reason", "decided_by", "created_at",
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
    SQLModel.metadata.create_all(engine, tables=[OverrideRecord.__table__])  # type: ignore[attr-defined]
    query = select(OverrideRecord)
    if run_id is not None:
        query = query.where(OverrideRecord.run_id == run_id)
    query = query.order_by(OverrideRecord.id)
    with engine.connect() as conn:
        df = pd.read_sql(query, conn)
    return df[list(OVERRIDE_COLUMNS)]


def _latest(decisions: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per official, the latest decision that set ``column`` (later ids supersede)."""
    d = decisions[decisions[column].notna()]
    return d.sort_values("id", kind="mergesort").groupby("official_id").tail(1) \
        .set_index("official_id")


def apply_overrides(results: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """``results`` with final ``level``/``titles`` and the engine's values beside them.

    Adds ``engine_level``, ``engine_titles``, ``override_reason``, ``override_by`` (empty
    when the council changed nothing) and ``overridden`` (bool).
    """
    out = results.copy()
    out["engine_level"] = out["level"]
    out["engine_titles"] = out["titles"]
    out["override_reason"] = ""
    out["override_by"] = ""
    out["overridden"] = False
    if decisions.empty:
        return out
    idx = out.set_index("official_id").index
    notes: dict[str, list[tuple[int, str, str]]] = {}
    for column in ("level", "titles"):
        latest = _latest(decisions, column)
        if latest.empty:
            continue
        value = pd.Series(idx.map(latest[column].to_dict()), index=out.index)
        hit = value.notna()
        out.loc[hit, column] = value[hit].astype(str)
        for oid, rec in latest.iterrows():
            notes.setdefault(str(oid), []).append(
                (int(rec["id"]), str(rec["reason"]), str(rec["decided_by"])))
    for oid, items in notes.items():
        items = sorted(set(items))
        mask = out["official_id"] == oid
        out.loc[mask, "override_reason"] = " | ".join(r for _, r, _ in items)
        out.loc[mask, "override_by"] = ", ".join(dict.fromkeys(b for _, _, b in items))
    out["overridden"] = (out["level"] != out["engine_level"]) \
        | (out["titles"] != out["engine_titles"]) | (out["override_reason"] != "")
    return out


def quota_allowed(share: float, base: str, good_count: int) -> int:
    """How many HTXSNV a group of ``good_count`` officials at HTTNV or above may keep.

    The engine's arithmetic (docs/decisions.md 11), on final counts: ``good_or_above`` keeps
    ⌊share × good⌋; ``good_only`` the largest k with k ≤ share × (good − k).
    """
    frac = Fraction(str(share))
    if base == "good_or_above":
        return good_count * frac.numerator // frac.denominator
    return good_count * frac.numerator // (frac.numerator + frac.denominator)


def _has(titles: pd.Series, code: str) -> pd.Series:
    return titles.str.split(";").map(lambda ts: code in ts)


def quota_status(final: pd.DataFrame, quotas: pd.DataFrame,
                 units: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shares on final values: per unit and peer group (HTXSNV) and per unit (CSTDCS).

    Returns ``(groups, units)`` with ``used``, ``allowed`` and ``over`` (bool) columns.
    """
    good = final["level"].map(lambda c: LEVEL_RANK[Level(c)] >= 3)
    exc = final["level"] == Level.HTXSNV.value
    g = pd.DataFrame({"unit_id": final["unit_id"], "peer_group": final["peer_group"],
                      "good": good, "exc": exc}).groupby(["unit_id", "peer_group"]) \
        .agg(good_final=("good", "sum"), used=("exc", "sum")).reset_index()
    groups = quotas.merge(g, on=["unit_id", "peer_group"], how="left") \
        .fillna({"good_final": 0, "used": 0})
    groups["allowed_final"] = [quota_allowed(s, b, int(n)) for s, b, n in
                               zip(groups["share"], groups["base"], groups["good_final"],
                                   strict=True)]
    groups["used"] = groups["used"].astype(int)
    groups["over"] = groups["used"] > groups["allowed_final"]

    u = pd.DataFrame({"unit_id": final["unit_id"], "ldtt": _has(final["titles"], "LDTT"),
                      "cstdcs": _has(final["titles"], "CSTDCS")}).groupby("unit_id") \
        .agg(ldtt_final=("ldtt", "sum"), cstdcs_used=("cstdcs", "sum")).reset_index()
    unit_q = units.merge(u, on="unit_id", how="left").fillna({"ldtt_final": 0,
                                                               "cstdcs_used": 0})
    unit_q["cstdcs_allowed"] = [int(n) * Fraction(str(s)).numerator // Fraction(str(s)).denominator
                                for s, n in zip(unit_q["cstdcs_share"], unit_q["ldtt_final"],
                                                strict=True)]
    unit_q["cstdcs_used"] = unit_q["cstdcs_used"].astype(int)
    unit_q["cstdcs_over"] = unit_q["cstdcs_used"] > unit_q["cstdcs_allowed"]
    return groups, unit_q


def quota_flags(final: pd.DataFrame, quotas: pd.DataFrame, units: pd.DataFrame) -> dict[str, str]:
    """official_id -> a warning, for each overridden official whose unit's share is broken."""
    groups, unit_q = quota_status(final, quotas, units)
    flags: dict[str, list[str]] = {}
    touched = final[final["overridden"]]
    for _, row in touched.iterrows():
        oid = str(row["official_id"])
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
    results: pd.DataFrame  # RESULT_COLUMNS + engine_level, engine_titles, override_*, flag
    quotas: pd.DataFrame  # per unit + peer group, with used / allowed_final / over
    units: pd.DataFrame  # per unit: name, CSTDCS used / allowed / over
    decisions: pd.DataFrame  # every override of the run, oldest first


def council_view(engine: Engine, run_id: int | None = None) -> CouncilView:
    run = get_run(engine, run_id)
    rid = int(run.id)  # type: ignore[arg-type]
    decisions = load_overrides(engine, rid)
    final = apply_overrides(load_results(engine, rid), decisions)
    quotas, units = load_quotas(engine, rid), load_units(engine, rid)
    flags = quota_flags(final, quotas, units)
    # map through an object Series: an empty dict would otherwise give a float column
    final["flag"] = final["official_id"].map(pd.Series(flags, dtype=object)).astype(object) \
        .fillna("")
    groups, unit_q = quota_status(final, quotas, units)
    return CouncilView(rid, final, groups, unit_q, decisions)


@dataclass
class OverrideOutcome:
    record: OverrideRecord
    flag: str  # a warning when the decision breaks a share, else ""


def record_override(engine: Engine, official_id: str, *, reason: str, by: str,
                    level: str | None = None, titles: list[str] | None = None,
                    run_id: int | None = None,
                    now: dt.datetime | None = None) -> OverrideOutcome:
    """Record one council decision on ``official_id`` in run ``run_id`` (default: latest)."""
    if level is None and titles is None:
        raise OverrideError("cần ít nhất --level hoặc --title (hoặc --no-title)")
    if not reason.strip():
        raise OverrideError("cần ghi lý do điều chỉnh (--reason)")
    if not by.strip():
        raise OverrideError("cần ghi người quyết định (--by)")
    lvl = parse_level(level) if level is not None else None
    tit = parse_titles(titles) if titles is not None else None
    run = get_run(engine, run_id)
    rid = int(run.id)  # type: ignore[arg-type]
    results = load_results(engine, rid)
    row = results[results["official_id"] == official_id]
    if row.empty:
        raise UnknownOfficialError(f"không có cán bộ {official_id!r} trong lần chạy số {rid}")
    rec = OverrideRecord(
        run_id=rid, official_id=official_id, level=lvl, titles=tit,
        engine_level=str(row["level"].iloc[0]), engine_titles=str(row["titles"].iloc[0]),
        reason=reason.strip(), decided_by=by.strip(),
        created_at=(now or dt.datetime.now(dt.UTC)).replace(microsecond=0),
    )
    SQLModel.metadata.create_all(engine, tables=[OverrideRecord.__table__])  # type: ignore[attr-defined]
    with Session(engine) as session, session.begin():
        session.add(rec)
        session.flush()
        session.expunge(rec)
    view = council_view(engine, rid)
    flag = view.results.loc[view.results["official_id"] == official_id, "flag"].iloc[0]
    return OverrideOutcome(rec, str(flag))


def pending_overrides(engine: Engine, run_id: int | None = None) -> pd.DataFrame:
    """Decisions of earlier runs of the same year that this run does not carry.

    An override belongs to its run; a re-run starts from the engine's values. The latest
    decisions of the most recent earlier run of that year with any decision are listed here
    when the new run neither has its own decision on that official nor already gives the same
    value, so HR staff can re-apply them knowingly.
    """
    from xeploai.scoring.storage import list_runs

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
