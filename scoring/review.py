"""What the review workspace shows of a run, as tables (SPEC §9): the summary per unit with
quota use, and a unit's officials with the filters HR staff and councils ask for.

Both read a :class:`~xeploai.scoring.overrides.CouncilView` (final values after council
decisions, shares and warnings): nothing here decides a level, a title or a share.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .overrides import CouncilView
from .types import Level, Title

LEVEL_CODES: tuple[str, ...] = tuple(lv.value for lv in Level)
TITLE_CODES: tuple[str, ...] = tuple(t.value for t in Title)
def unit_summary(view: CouncilView) -> pd.DataFrame:
    """One row per unit: name, officials, final count per level and per title, HTXSNV
    share used/allowed (all peer groups), CSTDCS used/allowed, decisions, and ``warning``
    (the shares broken, in words)."""
    res = view.results
    levels = pd.crosstab(res["unit_id"], res["level"]).reindex(columns=list(LEVEL_CODES),
                                                               fill_value=0)
    exploded = res[["unit_id"]].assign(title=res["titles"].str.split(";")).explode("title")
    titles = pd.crosstab(exploded["unit_id"], exploded["title"]) \
        .reindex(columns=list(TITLE_CODES), fill_value=0)
    quota = view.quotas.groupby("unit_id")[["used", "allowed_final"]].sum() \
        .rename(columns={"used": "htxs_used", "allowed_final": "htxs_allowed"})
    over = view.quotas[view.quotas["over"]]
    over_text = (over["peer_group"].astype(str) + " (" + over["used"].astype(str) + "/"
                 + over["allowed_final"].astype(str) + ")").groupby(over["unit_id"]) \
        .agg(lambda parts: "Vượt tỷ lệ HTXSNV nhóm " + ", ".join(parts))
    units = view.units.set_index("unit_id")[["name", "cstdcs_used", "cstdcs_allowed",
                                             "cstdcs_over"]]
    out = pd.DataFrame({"officials": res.groupby("unit_id").size(),
                        "decided": res.groupby("unit_id")["overridden"].sum()})
    out = out.join(levels).join(titles).join(quota).join(units, how="outer")
    out = out.fillna({c: 0 for c in out.columns if c not in ("name", "cstdcs_over")})
    out["name"] = out["name"].fillna("")
    cstdcs_text = ("Vượt tỷ lệ CSTĐCS (" + out["cstdcs_used"].astype(int).astype(str) + "/"
                   + out["cstdcs_allowed"].astype(int).astype(str) + ")") \
        .where(out["cstdcs_over"].fillna(False).astype(bool), "")
    warning = pd.concat([over_text.reindex(out.index).fillna(""), cstdcs_text], axis=1)
    out["warning"] = warning.apply(lambda parts: "; ".join(p for p in parts if p), axis=1)
    counts = [c for c in out.columns if c not in ("name", "warning", "cstdcs_over")]
    out[counts] = out[counts].astype(int)
    return out.drop(columns="cstdcs_over").rename_axis("unit_id").reset_index()


@dataclass(frozen=True)
class OfficialFilter:
    """The unit page's filters; None (or "") leaves a filter off."""

    level: str | None = None
    title: str | None = None  # a title code, or "none" for officials without any
    warning: bool | None = None
    decided: bool | None = None
    assumption: bool | None = None
    search: str = ""  # part of the name or id, case-insensitive


def unit_officials(view: CouncilView, assumption_ids: Collection[str], unit_id: str,
                   where: OfficialFilter) -> pd.DataFrame:
    """The unit's officials that pass ``where``, by official id, with an ``assumption``
    column (they are in ``assumption_ids``: officials with a reason resting on a project
    assumption, :func:`xeploai.scoring.assumptions.officials_with_assumptions`)."""
    res = view.results[view.results["unit_id"] == unit_id].copy()
    # pyarrow's set lookup: pandas' isin on text builds a Python list of the whole set
    # (≈ 0.4 s for a province's 45,000 marked officials)
    marked = pa.array(list(assumption_ids), type=pa.string())
    res["assumption"] = pc.is_in(pa.array(res["official_id"].astype(str), type=pa.string()),
                                 value_set=marked).to_numpy(zero_copy_only=False)
    keep = pd.Series(True, index=res.index)
    if where.level:
        keep &= res["level"] == where.level
    if where.title == "none":
        keep &= res["titles"] == ""
    elif where.title:
        keep &= res["titles"].str.split(";").map(lambda codes: where.title in codes)
    for flag, column in ((where.warning, res["flag"] != ""), (where.decided, res["overridden"]),
                         (where.assumption, res["assumption"])):
        if flag is not None:
            keep &= column == flag
    text = where.search.strip().casefold()
    if text:
        keep &= res["official_id"].str.casefold().str.contains(text, regex=False) \
            | res["full_name"].str.casefold().str.contains(text, regex=False)
    return res[keep].sort_values("official_id").reset_index(drop=True)
