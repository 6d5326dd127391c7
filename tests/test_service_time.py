"""service_time plugin: KXL, the 3–6-month leave ceiling, maternity leave (Decree 90, art. 2)."""

from __future__ import annotations

import datetime as dt


def test_under_six_months_is_not_classified_but_scored(builder, data_dir):
    builder.official("A", task_score=90, months_worked=5.5)
    builder.innovation("A", recognized_on="2023-03-03", level="tinh", cchc=True)
    res = builder.classify(data_dir)
    row = res.row("A")
    assert row["level"] == row["provisional_level"] == "KXL"
    assert row["score"] == 95
    assert res.titles("A") == []
    assert res.reason("A", "service_time.not_classified")["exclude"]


def test_maternity_leave_is_classified_on_time_worked(builder, data_dir):
    builder.official("A", task_score=85, months_worked=4, maternity_leave=True)
    res = builder.classify(data_dir)
    assert res.level("A") == "HTTNV"
    assert res.titles("A") == ["LDTT"]
    assert "service_time.maternity" in res.rules("A")


def test_leave_three_to_six_months_caps_at_htnv_and_blocks_ldtt(builder, data_dir):
    builder.official("A", task_score=88, months_worked=8.5, months_absent=3.5)
    builder.official("B", task_score=88, months_worked=6, months_absent=6)  # 6 is not < 6
    builder.official("C", task_score=88, months_worked=9.5, months_absent=2.5)
    res = builder.classify(data_dir)
    assert res.level("A") == "HTNV"
    assert res.titles("A") == []
    assert res.reason("A", "service_time.leave_ceiling")["ceiling"] == "HTNV"
    assert res.level("B") == "HTTNV"
    assert res.level("C") == "HTTNV"


def test_leave_with_maternity_has_no_cap(builder, data_dir):
    builder.official("A", task_score=88, months_worked=7, months_absent=4, maternity_leave=True)
    res = builder.classify(data_dir)
    assert res.level("A") == "HTTNV"
    assert res.titles("A") == ["LDTT"]


def test_recruitment_under_old_law_needs_ten_months(builder, data_dir):
    # 2022 titles are considered on 15/01/2023: the 2003 Law regime
    builder.official("late", task_score=85, months_worked=9, recruited_on="2022-04-01")
    builder.official("early", task_score=85, months_worked=10, recruited_on="2022-02-28")
    res = builder.classify(data_dir, year=2022)
    assert res.classification.considered_on == dt.date(2023, 1, 15)
    assert res.titles("late") == []
    assert "service_time.recruited_late_no_ldtt" in res.rules("late")
    assert res.titles("early") == ["LDTT"]


def test_recruitment_under_2022_law_has_no_ten_month_condition(builder, data_dir):
    builder.official("late", task_score=85, months_worked=9, recruited_on="2023-04-01")
    assert builder.classify(data_dir, year=2023).titles("late") == ["LDTT"]


def test_recruited_on_first_of_march_qualifies_under_old_law(builder, data_dir):
    # March to December are ten full months: 1 March qualifies, 2 March does not
    builder.official("first", task_score=85, months_worked=10, recruited_on="2022-03-01")
    builder.official("second", task_score=85, months_worked=9.9, recruited_on="2022-03-02")
    res = builder.classify(data_dir, year=2022)
    assert res.titles("first") == ["LDTT"]
    assert "service_time.recruited_late_no_ldtt" not in res.rules("first")
    assert res.titles("second") == []
    assert "service_time.recruited_late_no_ldtt" in res.rules("second")
