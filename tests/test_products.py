"""The products regime of Decree 335/2025 (SPEC §10): each formula against a hand computation."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xeploai.scoring.errors import InvalidInputError

YEAR = 2026
END = dt.date(YEAR, 12, 31)


def months(builder, oid: str, general: float = 20, **item) -> None:
    """Twelve monthly periods of ``oid``, each with one clean work line."""
    for m in range(1, 13):
        builder.period(oid, f"{YEAR}-{m:02d}", general)
        builder.work_item(oid, f"{YEAR}-{m:02d}", **item)


def test_clean_year_is_general_plus_seventy(builder, data_dir):
    builder.official("A", task_score=None)
    months(builder, "A", 22)
    res = builder.classify(data_dir, YEAR, as_of=END)
    assert res.row("A")["score"] == pytest.approx(92)
    assert "core.products_year" in res.rules("A")


def test_a_delay_without_confirmed_exemption_costs_a_quarter_of_progress(builder, data_dir):
    builder.official("A", task_score=None)
    builder.official("B", task_score=None)
    for oid, confirmed in (("A", ""), ("B", "CV 12/UBND")):
        builder.period(oid, f"{YEAR}-Q1", 20)
        # 4 units with coefficient 2, one delay with an objective cause
        builder.work_item(oid, f"{YEAR}-Q1", coefficient=2, assigned_qty=4, done_qty=4,
                          delays=1, cause="khach_quan", exemption_confirmed_by=confirmed)
    res = builder.classify(data_dir, YEAR, as_of=END)
    # A: c = 2 × (4 − 0.25) / (2 × 4) = 0.9375; task = 70 × (1 + 1 + 0.9375) / 3 = 68.541667
    assert res.row("A")["score"] == pytest.approx(20 + 70 * 2.9375 / 3)
    assert "core.products_deduction" in res.rules("A")
    assert "chưa được xác nhận" in res.reason("A", "core.products_deduction")["note"]
    # B: the confirmed objective cause removes nothing, and says who confirmed it
    assert res.row("B")["score"] == pytest.approx(90)
    exempt = res.reason("B", "core.products_exempt")
    assert "CV 12/UBND" in exempt["note"]
    assert "core.products_deduction" not in res.rules("B")


def test_major_errors_cost_quality_floored_at_zero_per_item(builder, data_dir):
    builder.official("A", task_score=None)
    builder.period("A", f"{YEAR}-03", 25)
    builder.work_item("A", f"{YEAR}-03", item_id="W1", assigned_qty=2, done_qty=2,
                      major_errors=1)
    # 0.5 done and 3 errors: 0.5 − 0.75 floors at 0 for this line
    builder.work_item("A", f"{YEAR}-03", item_id="W2", assigned_qty=2, done_qty=0.5,
                      major_errors=3)
    res = builder.classify(data_dir, YEAR, as_of=END)
    a = (2 + 0.5) / 4
    b = (1.75 + 0) / 4
    c = (2 + 0.5) / 4
    assert res.row("A")["score"] == pytest.approx(25 + 70 * (a + b + c) / 3)
    notes = res.reasons.loc[res.reasons["rule"] == "core.products_deduction", "evidence"]
    assert sorted(notes) == ['["W1"]', '["W2"]']


def test_monthly_and_quarterly_periods_weigh_by_months(builder, data_dir):
    builder.official("A", task_score=None)
    # Q1 at 80 (3 months), then April–December monthly at 90: (80×3 + 90×9) / 12 = 87.5
    builder.period("A", f"{YEAR}-Q1", 10)
    builder.work_item("A", f"{YEAR}-Q1")
    for m in range(4, 13):
        builder.period("A", f"{YEAR}-{m:02d}", 20)
        builder.work_item("A", f"{YEAR}-{m:02d}")
    res = builder.classify(data_dir, YEAR, as_of=END)
    assert res.row("A")["score"] == pytest.approx(87.5)


def test_a_transfer_keeps_the_old_units_periods(builder, data_dir):
    builder.unit("OLD")
    builder.official("A", unit_id="NEW", task_score=None)
    for m in range(1, 13):
        builder.period("A", f"{YEAR}-{m:02d}", 10 if m <= 4 else 25,
                       unit_id="OLD" if m <= 4 else "NEW")
        builder.work_item("A", f"{YEAR}-{m:02d}")
    res = builder.classify(data_dir, YEAR, as_of=END)
    assert res.row("A")["score"] == pytest.approx((80 * 4 + 95 * 8) / 12)
    assert res.row("A")["unit_id"] == "NEW"


def test_leader_d_is_half_when_a_directly_managed_official_fails(builder, data_dir):
    builder.official("L", task_score=None, is_leader=True, peer_group="lanh_dao")
    builder.official("S", task_score=None)
    builder.official("T", task_score=None)
    for oid in ("L", "S", "T"):
        builder.period(oid, f"{YEAR}-Q1", 20)
    builder.work_item("L", f"{YEAR}-Q1")
    builder.work_item("T", f"{YEAR}-Q1")
    # S does 1 of 10 with general 20: 20 + 70 × 0.1 = 27 < 50
    builder.work_item("S", f"{YEAR}-Q1", assigned_qty=10, done_qty=1)
    res = builder.classify(data_dir, YEAR, as_of=END)
    assert res.row("S")["score"] == pytest.approx(27)
    # leader: 20 + 70 × (1 + 1 + 1 + 0.5 + 1 + 1) / 6
    assert res.row("L")["score"] == pytest.approx(20 + 70 * 5.5 / 6)
    d = res.reason("L", "core.products_leader_d")
    assert d["evidence"] == '["S"]' and "d = 0.5" in d["note"]
    assert "giả định" in d["basis"]


def test_leader_d_is_one_with_nobody_to_manage(builder, data_dir):
    builder.official("L", task_score=None, is_leader=True)
    builder.period("L", f"{YEAR}-Q1", 20, leader_dd=0.4, leader_e=1)
    builder.work_item("L", f"{YEAR}-Q1")
    res = builder.classify(data_dir, YEAR, as_of=END)
    assert res.row("L")["score"] == pytest.approx(20 + 70 * 5.4 / 6)


def test_a_late_dossier_is_a_delayed_product_of_its_period(builder, data_dir):
    builder.official("A", task_score=None)
    builder.period("A", f"{YEAR}-05", 20)
    builder.work_item("A", f"{YEAR}-05", assigned_qty=3)
    builder.add("dossiers", dossier_id="HS9", handler_id="A", due_at=f"{YEAR}-05-10",
                returned_at=f"{YEAR}-05-12")
    res = builder.classify(data_dir, YEAR, as_of=END)
    # items: 3 done + the dossier (1 done, 1 delay): c = (3 + 0.75) / 4
    assert res.row("A")["score"] == pytest.approx(20 + 70 * (1 + 1 + 3.75 / 4) / 3)
    ded = res.reason("A", "core.products_deduction")
    assert ded["evidence"] == '["HS9"]' and "25%" in ded["note"]


def test_a_dossier_due_after_the_as_of_date_is_not_yet_a_product(builder, data_dir):
    builder.official("A", task_score=None)
    builder.period("A", f"{YEAR}-Q4", 20)
    builder.work_item("A", f"{YEAR}-Q4")
    builder.add("dossiers", handler_id="A", due_at=f"{YEAR}-12-10")  # still open
    early = builder.classify(data_dir, YEAR, as_of=dt.date(YEAR, 11, 30))
    assert early.row("A")["score"] == pytest.approx(90)
    late = builder.classify(data_dir, YEAR, as_of=END)
    # open on 31/12: not done, delayed → a = b = c = 1/2
    assert late.row("A")["score"] == pytest.approx(20 + 70 * 0.5)


def test_quota_good_only_ignores_deductions_of_products_officials(builder, data_dir):
    # six officials at HTTNV or above: 20 % of good_only keeps k with k ≤ 0.2 × (6 − k): 1
    for i, general in enumerate((25, 25, 25, 10, 10, 10)):
        builder.official(f"A{i}", task_score=None)
        builder.period(f"A{i}", f"{YEAR}-Q1", general)
        builder.work_item(f"A{i}", f"{YEAR}-Q1")
    res = builder.classify(data_dir, YEAR, as_of=END)
    levels = [res.level(f"A{i}") for i in range(6)]
    # equal scores, no deduction counted: official_id decides
    assert levels == ["HTXSNV", "HTTNV", "HTTNV", "HTTNV", "HTTNV", "HTTNV"]
    q = res.reason("A1", "core.quota")
    assert '"base": "good_only"' in q["params"]


def test_task_score_officials_keep_the_heads_score_in_2026(builder, data_dir):
    builder.official("CB", staff_type="can_bo", task_score=77)
    builder.official("VC", staff_type="vien_chuc", task_score=66)
    builder.official("CC", task_score=None)
    builder.period("CC", f"{YEAR}-Q1", 20)
    builder.work_item("CC", f"{YEAR}-Q1")
    res = builder.classify(data_dir, YEAR, as_of=END)
    assert (res.row("CB")["score"], res.row("VC")["score"]) == (77, 66)
    assert res.row("CC")["score"] == pytest.approx(90)


def test_missing_periods_and_task_scores_are_input_errors(builder, data_dir):
    builder.official("CC", task_score=None)  # công chức in 2026: no period
    builder.official("CB", staff_type="can_bo", task_score=None)
    builder.official("KXL", task_score=None, months_worked=3)  # not classified: no error
    with pytest.raises(InvalidInputError) as info:
        builder.classify(data_dir, YEAR, as_of=END)
    text = str(info.value)
    assert "CC" in text and "không có kỳ đánh giá" in text
    assert "CB" in text and "thiếu điểm nhiệm vụ" in text
    assert "'KXL'" not in text


def test_district_units_are_refused_after_2025(builder, data_dir):
    builder.unit("H1", tier="huyen")
    builder.official("CB", unit_id="H1", staff_type="can_bo", task_score=80)
    with pytest.raises(InvalidInputError, match="cấp huyện"):
        builder.classify(data_dir, YEAR, as_of=END)
    assert builder.classify(data_dir, 2025).level("CB") == "HTTNV"


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.floats(0.5, 20), st.floats(0, 1), st.integers(0, 5),
                          st.integers(0, 5), st.floats(0.1, 3)), min_size=1, max_size=4),
       st.floats(0, 30))
def test_score_stays_in_range_and_grows_with_done(tmp_path_factory, lines, general):
    from xeploai.scoring.testing import DatasetBuilder

    def score(extra: float) -> float:
        b = DatasetBuilder()
        b.official("A", task_score=None)
        b.period("A", f"{YEAR}-Q2", general)
        for assigned, share, errors, delays, coefficient in lines:
            done = min(assigned, assigned * share + extra)
            b.work_item("A", f"{YEAR}-Q2", assigned_qty=assigned, done_qty=done,
                        major_errors=errors, delays=delays, coefficient=coefficient)
        folder = tmp_path_factory.mktemp("p")
        return float(b.classify(folder, YEAR, as_of=END).row("A")["score"])

    low, high = score(0), score(0.5)
    assert 0 <= low <= 100 and 0 <= high <= 100
    assert high >= low - 1e-9


def test_a_kxl_cong_chuc_without_periods_is_stored_with_a_blank_score_reason(builder, tmp_path):
    from xeploai.scoring import api

    builder.official("A", task_score=None, months_worked=3)
    builder.official("B", task_score=None)
    builder.period("B", f"{YEAR}-Q1", 20)
    builder.work_item("B", f"{YEAR}-Q1")
    folder = builder.write(tmp_path / "data")
    out = api.run(folder, YEAR, db=f"sqlite:///{tmp_path / 'x.db'}", as_of=END)
    res = out.classification.results.set_index("official_id")
    assert res.loc["A", "level"] == "KXL" and res.loc["A", "score"] == 0
    notes = out.classification.reasons
    assert "điểm để trống" in notes.loc[notes["official_id"] == "A", "note"].str.cat()
