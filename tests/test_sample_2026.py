"""The Gia Lai 2026 sample (SPEC §10) against the results worked out by hand in make_sample.py,
through the library API and through the command line."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json

import pandas as pd
import pytest
from click.testing import CliRunner
from xeploai.scoring.api import Session
from xeploai.scoring.cli import main

from .conftest import ROOT

SAMPLE_2026 = ROOT / "examples" / "gia_lai_2026"
AS_OF = "2026-12-31"


@pytest.fixture(scope="module")
def expected() -> dict:
    spec = importlib.util.spec_from_file_location("make_sample_2026",
                                                  SAMPLE_2026 / "make_sample.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EXPECTED


def _matches(got: dict, expected: dict) -> list:
    bad = []
    for oid, (score, prov, level, titles) in expected.items():
        g = got[oid]
        if (abs(g[0] - score) > 1e-6) or g[1:] != (prov, level, titles):
            bad.append((oid, g, (score, prov, level, titles)))
    return bad


def test_api_classifies_everyone_as_worked_out_by_hand(expected):
    session = Session.open(None, 2026)
    assert session.policy.path.name == "nd335_2026.toml"
    res = session.classify(session.load(SAMPLE_2026), 2026,
                           as_of=dt.date.fromisoformat(AS_OF)).results
    got = {r.official_id: (float(r.score), r.provisional_level, r.level, r.titles)
           for r in res.itertuples()}
    assert set(got) == set(expected)
    assert _matches(got, expected) == []


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("db") / "x.db"
    env = {"XEPLOAI_DB": f"sqlite:///{db}"}
    result = CliRunner().invoke(main, ["run", "--data", str(SAMPLE_2026), "--year", "2026",
                                       "--as-of", AS_OF], env=env)
    assert result.exit_code == 0, result.output
    return env


def test_cli_run_and_export_match_the_hand_worked_table(expected, cli_db, tmp_path):
    out = tmp_path / "export.csv"
    result = CliRunner().invoke(main, ["export", "--format", "csv", "--out", str(out)],
                                env=cli_db)
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    got = {r.official_id: (float(r.score), r.provisional_level, r.level, r.titles)
           for r in df.itertuples()}
    assert _matches(got, expected) == []


def test_explain_shows_the_late_dossier_down_to_the_product(cli_db):
    result = CliRunner().invoke(main, ["explain", "X01-CC02"], env=cli_db)
    assert result.exit_code == 0, result.output
    text = result.output
    assert "HS-X01-0001" in text and "25%" in text and "1.001612" in text
    assert "Kỳ 2026-03" in text
    as_json = CliRunner().invoke(main, ["explain", "X01-CC02", "--json"], env=cli_db)
    reasons = json.loads(as_json.output)["reasons"]
    deduction = [r for r in reasons if r["rule"] == "core.products_deduction"]
    assert [r["evidence"] for r in deduction] == [["HS-X01-0001"]]
    assert deduction[0]["params"]["deduction_per_fault"] == 0.25


def test_explain_of_a_leader_shows_d_and_the_subordinate_behind_it(cli_db):
    result = CliRunner().invoke(main, ["explain", "T02-CC01", "--json"], env=cli_db)
    reasons = json.loads(result.output)["reasons"]
    d = [r for r in reasons if r["rule"] == "core.products_leader_d"
         and r["params"]["d"] == 0.5]
    assert len(d) == 1 and d[0]["evidence"] == ["T02-CC09"]
    assert d[0]["params"]["period"] == "2026-Q2"


def test_explain_of_a_confirmed_exemption_names_who_confirmed_it(cli_db):
    result = CliRunner().invoke(main, ["explain", "X01-CC03"], env=cli_db)
    assert "Công văn 45/UBND-VP" in result.output and "HS-X01-0003" in result.output


def test_the_run_records_its_as_of_date(cli_db):
    from xeploai.scoring.storage import get_run, open_db

    run = get_run(open_db(cli_db["XEPLOAI_DB"]), None)
    assert run.as_of == dt.date(2026, 12, 31)


def test_year_2023_keeps_the_binh_dinh_policy():
    assert Session.open(None, 2023).policy.path.name == "binh_dinh_2023.toml"
    assert Session.open(None, 2025).policy.path.name == "binh_dinh_2023.toml"


def test_by_unit_gives_the_whole_runs_results(expected, tmp_path):
    env = {"XEPLOAI_DB": f"sqlite:///{tmp_path / 's.db'}"}
    runner = CliRunner()
    result = runner.invoke(main, ["run", "--data", str(SAMPLE_2026), "--year", "2026",
                                  "--as-of", AS_OF, "--by-unit", "16"], env=env)
    assert result.exit_code == 0, result.output
    out = tmp_path / "export.csv"
    assert runner.invoke(main, ["export", "--format", "csv", "--out", str(out)],
                         env=env).exit_code == 0
    df = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    got = {r.official_id: (float(r.score), r.provisional_level, r.level, r.titles)
           for r in df.itertuples()}
    assert _matches(got, expected) == []


# the keys of the products regime's params (decision 124) that hold text, a flag or a count;
# every other key is a score, a quantity or a policy number: a float
PRODUCTS_TEXT_KEYS = {"period", "unit_id", "product_code", "confirmed_by"}
PRODUCTS_COUNT_KEYS = {"months", "periods"}


def test_products_params_are_typed_values_written_by_the_one_params_writer():
    """Decision 124: the products regime's params are typed values written by
    ``frames.json_texts`` (keys sorted, as every params text), counts as integers, scores
    and quantities as the floats computed: a period's score is its general score plus its
    task score to the last bit (the ``{:g}`` texts cut them to six digits), and the year's
    score is the score the official starts from."""
    from xeploai.scoring.frames import to_json

    session = Session.open(None, 2026)
    res = session.classify(session.load(SAMPLE_2026), 2026, as_of=dt.date.fromisoformat(AS_OF))
    products = res.reasons[res.reasons["rule"].str.startswith("core.products_")]
    assert set(products["rule"]) >= {"core.products_period", "core.products_deduction",
                                     "core.products_exempt", "core.products_leader_d",
                                     "core.products_year"}
    for rule, text in zip(products["rule"], products["params"], strict=True):
        values = json.loads(text)
        assert text == to_json(values), (rule, text)
        for key, value in values.items():
            expected = (str if key in PRODUCTS_TEXT_KEYS else bool if key == "exempt"
                        else int if key in PRODUCTS_COUNT_KEYS else float)
            assert type(value) is expected, (rule, key, text)
        if rule == "core.products_period":
            assert values["period_score"] == values["general_score"] + values["task_score"]
            assert ("d" in values) == ("dd" in values) == ("e" in values)
        if rule == "core.products_exempt":
            assert values["exempt"] is True and values["confirmed_by"]
        if rule == "core.products_deduction":
            assert values["exempt"] is False and "confirmed_by" not in values
    years = products[products["rule"] == "core.products_year"]
    base = {oid: json.loads(text)["year_score"]
            for oid, text in zip(years["official_id"], years["params"], strict=True)
            if "year_score" in json.loads(text)}
    started = res.results.set_index("official_id")["task_score"]
    assert base and all(started[oid] == score for oid, score in base.items())
    uneven = [v for v in base.values() if v != float(f"{v:g}")]
    assert uneven, "the sample should have a year score with more than six digits"
