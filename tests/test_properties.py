"""Invariants of the classification, checked on random datasets (hypothesis)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xeploai.scoring.testing import DatasetBuilder
from xeploai.scoring.types import CODE_RANK

official = st.fixed_dictionaries({
    "score": st.integers(40, 100),
    "unit": st.sampled_from(["U1", "U2"]),
    "group": st.sampled_from(["g1", "g2"]),
    "months": st.sampled_from([12, 12, 12, 5, 8]),
    "absent": st.sampled_from([0, 0, 0, 3, 4]),
    "maternity": st.booleans(),
    "late": st.integers(0, 6),
    "apology": st.booleans(),
    "reminder_year": st.sampled_from([None, 2021, 2022, 2023]),
    "discipline_year": st.sampled_from([None, None, 2022, 2023]),
    "innovation": st.sampled_from([None, None, "co_so", "tinh", "toan_quoc"]),
    "cchc": st.booleans(),
})


def build(people: list[dict]) -> DatasetBuilder:
    b = DatasetBuilder()
    for i, p in enumerate(people):
        oid = f"O{i:03d}"
        months = min(p["months"], 12 - p["absent"])
        b.official(oid, task_score=p["score"], unit_id=p["unit"], peer_group=p["group"],
                   months_worked=months, months_absent=p["absent"],
                   maternity_leave=p["maternity"])
        b.late(oid, p["late"], apology=p["apology"])
        if p["reminder_year"]:
            b.reminder(oid, issued_on=f"{p['reminder_year']}-06-01")
        if p["discipline_year"]:
            b.discipline(oid, decided_on=f"{p['discipline_year']}-06-01")
        if p["innovation"]:
            b.innovation(oid, recognized_on="2023-06-01", level=p["innovation"], cchc=p["cchc"])
    return b


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(official, min_size=1, max_size=25))
def test_classification_invariants(people):
    with tempfile.TemporaryDirectory() as tmp:
        res = build(people).classify(Path(tmp) / "d", 2023)
    r, reasons = res.results, res.reasons

    rank = r.set_index("official_id")["level"].map(CODE_RANK)
    prov = r.set_index("official_id")["provisional_level"].map(CODE_RANK)
    assert (rank <= prov).all(), "final level above the provisional level"
    caps = reasons[reasons["ceiling"] != ""]
    for oid, ceiling in zip(caps["official_id"], caps["ceiling"], strict=True):
        assert rank[oid] <= CODE_RANK[ceiling], f"{oid} above its ceiling {ceiling}"

    good = r[r["level"].isin(["HTXSNV", "HTTNV"])]
    for (_, _), g in good.groupby(["unit_id", "peer_group"]):
        assert (g["level"] == "HTXSNV").sum() <= len(g) * 20 // 100
    titled = r[r["titles"] != ""]
    assert titled["level"].isin(["HTXSNV", "HTTNV"]).all()
    for _, g in r.groupby("unit_id"):
        ldtt = g["titles"].str.contains("LDTT").sum()
        assert g["titles"].str.contains("CSTDCS").sum() <= ldtt * 15 // 100
        assert (g.loc[g["titles"].str.contains("CSTDCS"), "titles"].str.contains("LDTT")).all()
    kxl = r[r["level"] == "KXL"]
    assert (kxl["provisional_level"] == "KXL").all() and (kxl["titles"] == "").all()
    # the score is the task score plus every point a reason gave
    pts = reasons.groupby("official_id")["points"].sum().reindex(r["official_id"], fill_value=0)
    assert np.allclose(r["task_score"].to_numpy() + pts.to_numpy(), r["score"].to_numpy())
