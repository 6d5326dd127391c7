"""`xeploai generate --year 2026`: products data (SPEC §10) that the 2026 run classifies."""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import pytest
from click.testing import CliRunner
from xeploai.scoring.cli import main
from xeploai.scoring.generate import PRODUCT_FILES, generate_dataset
from xeploai.scoring.products import parse_periods

AS_OF = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gen2026")
    counts = generate_dataset(folder, officials=400, dossiers=6000, year=2026, seed=3,
                              as_of=AS_OF)
    return folder, counts


def _read(folder, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def test_2026_data_has_no_district_and_cong_chuc_without_task_score(generated):
    folder, counts = generated
    assert set(PRODUCT_FILES.values()) <= set(counts)
    assert "huyen" not in set(_read(folder, "units")["tier"])
    off = _read(folder, "officials")
    cong_chuc = off["staff_type"] == "cong_chuc"
    assert cong_chuc.any() and (off.loc[cong_chuc, "task_score"] == "").all()
    assert (off.loc[~cong_chuc, "task_score"] != "").all()


def test_every_cong_chuc_has_periods_each_with_products(generated):
    folder, _ = generated
    off = _read(folder, "officials")
    periods = _read(folder, "periods")
    items = _read(folder, "work_items")
    cong_chuc = set(off.loc[off["staff_type"] == "cong_chuc", "official_id"])
    assert set(periods["official_id"]) == cong_chuc
    assert parse_periods(periods["period"])["months"].notna().all()
    keys = set(zip(periods["official_id"], periods["period"], strict=True))
    assert set(zip(items["official_id"], items["period"], strict=True)) == keys
    assert (items["done_qty"].astype(float) <= items["assigned_qty"].astype(float)).all()
    # some faults, some objective causes, some of them confirmed
    assert (items["delays"].astype(int) > 0).any() and (items["major_errors"].astype(int) > 0).any()
    assert (items["exemption_confirmed_by"] != "").any()


def test_nothing_happens_after_the_as_of_date(generated):
    folder, _ = generated
    last = pd.Timestamp(AS_OF) + pd.Timedelta(days=1)
    for name, column in (("dossiers", "received_at"), ("dossiers", "returned_at"),
                         ("reminders", "issued_on"), ("discipline", "decided_on"),
                         ("innovations", "recognized_on")):
        values = pd.to_datetime(_read(folder, name)[column].replace("", None))
        assert (values.dropna() < last).all(), (name, column)


def test_same_arguments_same_bytes(generated, tmp_path):
    folder, _ = generated
    generate_dataset(tmp_path, officials=400, dossiers=6000, year=2026, seed=3, as_of=AS_OF)
    for name in ("periods.csv", "work_items.csv", "dossiers.csv", "units.csv"):
        assert hashlib.sha256((tmp_path / name).read_bytes()).digest() \
            == hashlib.sha256((folder / name).read_bytes()).digest(), name


def test_cli_generates_and_classifies_everyone(tmp_path):
    data = tmp_path / "data"
    runner = CliRunner()
    made = runner.invoke(main, ["generate", "--officials", "300", "--dossiers", "3000",
                                "--year", "2026", "--as-of", "2026-11-30", "--out", str(data)])
    assert made.exit_code == 0, made.output
    env = {"XEPLOAI_DB": f"sqlite:///{tmp_path / 'x.db'}"}
    ran = runner.invoke(main, ["run", "--data", str(data), "--year", "2026",
                               "--as-of", "2026-11-30"], env=env)
    assert ran.exit_code == 0, ran.output
    out = tmp_path / "export.csv"
    assert runner.invoke(main, ["export", "--format", "csv", "--out", str(out)],
                         env=env).exit_code == 0
    results = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(results) == 300
    assert results["level"].isin(["HTXSNV", "HTTNV", "HTNV", "KHTNV", "KXL"]).all()
    scores = pd.to_numeric(results["score"])
    assert scores.between(0, 100).all()


def test_each_period_lists_its_work_items_in_file_order(generated, tmp_path):
    """The products score keeps its items as they come (docs/decisions.md 124), not sorted
    by period: a period's evidence is still its own work items, in the order of
    work_items.csv — here shuffled, as an export may give them (fails when the listed
    items are not put in period order, or not stably)."""
    import json
    import shutil

    from xeploai.scoring.api import Session

    folder, _counts = generated
    shuffled = tmp_path / "shuffled"
    shutil.copytree(folder, shuffled)
    work = _read(folder, "work_items").sample(frac=1, random_state=5)
    work.to_csv(shuffled / "work_items.csv", index=False)
    session = Session.open(None, 2026)
    reasons = session.classify(session.load(shuffled), 2026, as_of=AS_OF).reasons
    expected = {(oid, per): ids for (oid, per), ids in
                work.groupby(["official_id", "period"], sort=False)["item_id"].agg(list).items()}
    assert sum(len(ids) > 1 for ids in expected.values()) > 100
    periods = reasons[reasons["rule"] == "core.products_period"]
    assert len(periods) > 1000
    for oid, params, evidence in zip(periods["official_id"], periods["params"],
                                     periods["evidence"], strict=True):
        assert json.loads(evidence) == expected.get((oid, json.loads(params)["period"]), [])
