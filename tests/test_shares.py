"""The share arithmetic (SPEC §5) stated once in scoring/shares.py, checked against its
definition with exact fractions for any share and group size."""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from xeploai.scoring.shares import excellent_allowed, share_floor

SHARES = st.decimals(min_value="0", max_value="1", places=3).map(float)
COUNTS = st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=20)


@given(SHARES, COUNTS)
def test_share_floor_is_the_exact_floor(share, counts):
    got = share_floor(share, pd.Series(counts)).tolist()
    assert got == [int(Fraction(str(share)) * n // 1) for n in counts]


@given(SHARES, COUNTS)
def test_good_only_keeps_the_largest_k_within_the_share(share, counts):
    frac = Fraction(str(share))
    for good, k in zip(counts, excellent_allowed(share, "good_only", pd.Series(counts)),
                       strict=True):
        assert 0 <= k <= good
        assert k <= frac * (good - k)  # k kept: the rest (good − k) at HTTNV bound it
        assert k + 1 > frac * (good - k - 1)  # one more would break it


def test_known_values():
    assert share_floor(0.15, pd.Series([20])).tolist() == [3]  # not 2.9999 floored to 2
    assert excellent_allowed(0.2, "good_or_above", pd.Series([4, 10])).tolist() == [0, 2]
    assert excellent_allowed(0.2, "good_only", pd.Series([12, 11])).tolist() == [2, 1]
