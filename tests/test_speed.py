"""The fast paths keep every result and reason: storage round trip, loader fast path vs
the reference path, and unit-by-unit classification vs the whole province."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from scoring import api
from scoring.engine import REASON_COLUMNS, RESULT_COLUMNS
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
