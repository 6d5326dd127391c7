"""The bundled sample against the scenario table worked out by hand in make_sample.py."""

from __future__ import annotations

import importlib.util

import pytest

from scoring.api import Session

from .conftest import SAMPLE


@pytest.fixture(scope="module")
def expected() -> dict:
    spec = importlib.util.spec_from_file_location("make_sample", SAMPLE / "make_sample.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EXPECTED


@pytest.fixture(scope="module")
def results():
    session = Session.open()
    return session.classify(session.load(SAMPLE), 2023).results.set_index("official_id")


def test_every_official_matches_the_hand_worked_table(expected, results):
    assert set(expected) == set(results.index)
    mismatches = []
    for oid, (_, _, _, score, prov, level, titles) in expected.items():
        row = results.loc[oid]
        got = (float(row["score"]), row["provisional_level"], row["level"], row["titles"])
        if got != (float(score), prov, level, titles):
            mismatches.append((oid, got, (score, prov, level, titles)))
    assert mismatches == []
