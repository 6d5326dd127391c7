"""The per-unit summary a run prints: counts of levels and titles, one row per unit.

A province has thousands of units: the summary shows the totals and the largest units
(at most :data:`SHOWN_UNITS`), the rest folded into one row, unless every unit is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LEVELS: tuple[str, ...] = ("HTXSNV", "HTTNV", "HTNV", "KHTNV", "KXL")
TITLES: tuple[str, ...] = ("LDTT", "CSTDCS", "CCHC")
SHOWN_UNITS = 40
COUNTS: tuple[str, ...] = ("officials", *LEVELS, *TITLES)


def unit_counts(results: pd.DataFrame) -> pd.DataFrame:
    """One row per unit (index ``unit_id``, sorted): officials, each level, each title.

    Counted with ``np.bincount`` over integer codes: ``pd.crosstab`` and splitting every
    official's titles cost a province's run ~0.1 s of the summary it prints."""
    units, unit_ids = pd.factorize(results["unit_id"].astype(str), sort=True)
    n = len(unit_ids)
    columns = {"officials": np.bincount(units, minlength=n)}
    level = pd.Index(LEVELS).get_indexer(results["level"])  # -1: not a level
    known = level >= 0
    by_level = np.bincount(units[known] * len(LEVELS) + level[known],
                           minlength=n * len(LEVELS)).reshape(n, len(LEVELS))
    columns |= {name: by_level[:, i] for i, name in enumerate(LEVELS)}
    # each distinct titles text ("CSTDCS;LDTT") is split once: a province has a handful
    codes, texts = pd.factorize(results["titles"].fillna(""))
    for title in TITLES:
        has = np.array([title in text.split(";") for text in texts], dtype=bool)
        columns[title] = np.bincount(units[has[codes]], minlength=n)
    return pd.DataFrame(columns, index=pd.Index(unit_ids, name="unit_id"))[list(COUNTS)]


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
