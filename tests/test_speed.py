"""The fast paths keep every result and reason: storage round trip, loader fast path vs
the reference path, and unit-by-unit classification vs the whole province."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import api
from scoring.engine import REASON_COLUMNS, RESULT_COLUMNS
from scoring.frames import join_groups, json_lists
from scoring.generate import generate_dataset
from scoring.storage import load_reasons, load_results, open_db

from .conftest import POLICY

YEAR = 2023


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # big enough that every rule fires somewhere (late, no apology, excluded, repeat, quota)
    out = tmp_path_factory.mktemp("gen")
    generate_dataset(out, officials=400, dossiers=30_000, year=YEAR, seed=11)
    return out


def _text(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as its text, so a float 80.6 read back from SQL compares to the frame's."""
    return df.astype(object).astype(str).reset_index(drop=True)


def test_stored_run_reads_back_identical(generated: Path, db_url: str) -> None:
    outcome = api.run(generated, YEAR, policy=POLICY, db=db_url)
    engine = open_db(db_url)
    c = outcome.classification
    assert len(c.reasons) > 2 * len(c.results)
    stored = load_results(engine, outcome.run_id)
    pd.testing.assert_frame_equal(_text(stored), _text(c.results[list(RESULT_COLUMNS)]))
    reasons = load_reasons(engine, outcome.run_id)
    reasons["exclude"] = reasons["exclude"].astype(bool)
    pd.testing.assert_frame_equal(_text(reasons), _text(c.reasons[list(REASON_COLUMNS)]))


# -- whole-table helpers used by the plugins instead of a lambda per official ----------

ids = st.text(alphabet=st.sampled_from(list('ab"\\\n\té Đ,[]')), max_size=6)


@given(st.lists(st.tuples(st.sampled_from(["CB2", "CB1", "Đ3", "a"]), ids), max_size=40))
@settings(max_examples=150, deadline=None)
def test_json_lists_match_json_dumps_per_group(rows: list[tuple[str, str]]) -> None:
    frame = pd.DataFrame(rows, columns=["by", "item"], dtype=object)
    got = json_lists(frame["item"], frame["by"])
    want = frame.groupby("by", sort=True)["item"].agg(
        lambda s: json.dumps(list(s), ensure_ascii=False)) if rows else pd.Series([])
    assert list(got.index) == list(want.index)
    assert list(got) == list(want)
    for text in got:
        json.loads(text)


@given(st.lists(st.tuples(st.sampled_from(["x", "y"]), st.sampled_from(["phan_mem",
                                                                      "khach_quan"])),
                min_size=1, max_size=30))
@settings(max_examples=100, deadline=None)
def test_join_groups_matches_groupby_join(rows: list[tuple[str, str]]) -> None:
    frame = pd.DataFrame(rows, columns=["by", "item"], dtype=object)
    got = join_groups(frame["item"], frame["by"], "; ", "<", ">")
    want = frame.groupby("by", sort=True)["item"].agg(lambda s: "<" + "; ".join(s) + ">")
    assert got.to_dict() == want.to_dict()
