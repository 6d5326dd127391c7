"""The share arithmetic of SPEC §5 (20 % HTXSNV, 15 % CSTDCS), stated once.

The engine applies the shares and the council checks its decisions against them with these
same functions, so "how many may keep HTXSNV" has one answer everywhere. Exact fractions:
0.15 × 20 must be 3, not 2.9999999 floored to 2.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from .types import LEVEL_RANK, Level

BASES: tuple[str, ...] = ("good_or_above", "good_only")


def share_floor(share: float, counts: pd.Series) -> pd.Series:
    """⌊share × count⌋ for each count, in exact arithmetic (no minimum: 4 × 20 % is 0)."""
    frac = Fraction(str(share))
    return (counts.astype(np.int64) * frac.numerator) // frac.denominator


def excellent_allowed(share: float, base: str, good_counts: pd.Series) -> pd.Series:
    """How many HTXSNV each group may keep, from its count at HTTNV or above.

    ``good_or_above``: ⌊share × good⌋. ``good_only``: the largest k with
    k ≤ share × (good − k), i.e. ⌊share × good / (1 + share)⌋ — the HTTNV count after the
    quota plus the k kept is the group's good count (docs/decisions.md 11).
    """
    if base == "good_or_above":
        return share_floor(share, good_counts)
    if base != "good_only":
        raise ValueError(f"quota.base {base!r} không hợp lệ; dùng một trong: {', '.join(BASES)}")
    frac = Fraction(str(share))
    return (good_counts.astype(np.int64) * frac.numerator) // (frac.numerator + frac.denominator)


# "rated good" (SPEC §5): HTTNV or above — the base of both shares and of every title
GOOD_RANK = LEVEL_RANK[Level.HTTNV]


def is_good(ranks: pd.Series) -> pd.Series:
    """Whether each level rank counts as good (HTTNV or above)."""
    return ranks >= GOOD_RANK
