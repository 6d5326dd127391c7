"""The per-unit summary a run prints: counts of levels and titles, one row per unit.

A province has thousands of units: the summary shows the totals and the largest units
(at most :data:`SHOWN_UNITS`), the rest folded into one row, unless every unit is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

LEVELS: tuple[str, ...] = ("HTXSNV", "HTTNV", "HTNV", "KHTNV", "KXL")
TITLES: tuple[str, ...] = ("LDTT", "CSTDCS", "CCHC")
SHOWN_UNITS = 40
COUNTS: tuple[str, ...] = ("officials", *LEVELS, *TITLES)


def unit_counts(results: pd.DataFrame) -> pd.DataFrame:
    """One row per unit (index ``unit_id``, sorted): officials, each level, each title."""
    units = results["unit_id"].astype(str).reset_index(drop=True)
    levels = pd.crosstab(units, results["level"].to_numpy()).reindex(
        columns=list(LEVELS), fill_value=0)
    titles = results["titles"].fillna("").str.split(";").reset_index(drop=True).explode()
    titles = titles[titles.isin(TITLES)]  # the index repeats each official's position
    title_counts = pd.crosstab(units.to_numpy()[titles.index.to_numpy()],
                               titles.to_numpy()).reindex(columns=list(TITLES), fill_value=0)
    counts = pd.concat([units.value_counts().rename("officials"), levels, title_counts],
                       axis=1).fillna(0).astype(int)
    counts.index.name = "unit_id"
    return counts.reindex(columns=list(COUNTS)).sort_index()


@dataclass
class UnitSummary:
    """What the summary shows: unit rows, the units folded into one row, the totals."""

    shown: pd.DataFrame  # unit_counts rows shown, by unit id
    folded: pd.Series  # the sums of the units not shown (zeros when none)
    folded_units: int
    total: pd.Series


def summarise(results: pd.DataFrame, all_units: bool = False,
              limit: int = SHOWN_UNITS) -> UnitSummary:
    """Every unit with ``all_units``; else the ``limit`` units with the most officials
    (ties by unit id), the others summed in one row."""
    counts = unit_counts(results)
    total = counts.sum().reindex(list(COUNTS), fill_value=0).astype(int)
    if all_units or len(counts) <= limit:
        return UnitSummary(counts, total * 0, 0, total)
    order = counts.reset_index().sort_values(["officials", "unit_id"],
                                            ascending=[False, True])
    shown = set(order["unit_id"].head(limit))
    keep = counts.index.isin(list(shown))
    return UnitSummary(counts[keep], counts[~keep].sum().astype(int), int((~keep).sum()),
                       total)
