"""The bundled sample against the scenario table worked out by hand in make_sample.py."""

from __future__ import annotations

import importlib.util

import pytest
from xeploai.scoring.api import Session

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


def test_cli_run_and_export_match_the_hand_worked_table(expected, tmp_path):
    """Every SPEC §5 rule the sample exercises, end to end through the command line."""
    import pandas as pd
    from click.testing import CliRunner
    from xeploai.scoring.cli import main

    env = {"XEPLOAI_DB": f"sqlite:///{tmp_path / 'x.db'}"}
    runner = CliRunner()
    assert runner.invoke(main, ["run", "--data", str(SAMPLE), "--year", "2023"],
                         env=env).exit_code == 0
    out = tmp_path / "export.csv"
    result = runner.invoke(main, ["export", "--format", "csv", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    got = {r.official_id: (float(r.score), r.provisional_level, r.level, r.titles)
           for r in df.itertuples()}
    want = {oid: (float(e[3]), e[4], e[5], e[6]) for oid, e in expected.items()}
    assert got == want
