"""discipline plugin: counted in the year it takes effect, once per act (Decree 48/2023)."""

from __future__ import annotations

import json


def test_decision_in_year_caps_at_khtnv_and_blocks_titles(builder, data_dir):
    builder.official("A", task_score=95)
    builder.innovation("A", recognized_on="2023-05-01", cchc=True)
    builder.discipline("A", decided_on="2023-06-01", document_no="12/QĐ-UBND")
    res = builder.classify(data_dir)
    assert res.level("A") == "KHTNV"
    assert res.titles("A") == []
    reason = res.reason("A", "discipline.counted")
    assert reason["ceiling"] == "KHTNV"
    assert set(reason["blocks_titles"].split(";")) == {"LDTT", "CSTDCS", "CCHC"}
    assert json.loads(reason["evidence"]) == ["12/QĐ-UBND"]


def test_decision_of_previous_year_does_not_count(builder, data_dir):
    builder.official("A", task_score=85)
    builder.discipline("A", decided_on="2022-11-30", violation_on="2022-05-01")
    res = builder.classify(data_dir)
    assert res.level("A") == "HTTNV"
    assert res.titles("A") == ["LDTT"]
    assert not any(r.startswith("discipline.") for r in res.rules("A"))


def test_counted_in_another_year_is_not_counted_and_says_why(builder, data_dir):
    builder.official("A", task_score=85)
    builder.discipline("A", decided_on="2023-02-01", violation_on="2022-06-01",
                       counted_in_year="2022")
    res = builder.classify(data_dir)
    assert res.level("A") == "HTTNV"
    note = res.reason("A", "discipline.not_counted")["note"]
    assert "2022" in note


def test_counted_in_the_year_itself_still_counts(builder, data_dir):
    builder.official("A", task_score=85)
    builder.discipline("A", decided_on="2023-02-01", counted_in_year="2023")
    assert builder.classify(data_dir).level("A") == "KHTNV"


def test_same_violation_taking_effect_earlier_is_not_counted_again(builder, data_dir):
    builder.official("A", task_score=85)
    builder.discipline("A", decided_on="2022-12-01", authority="dang", violation_id="V1",
                       document_no="05-QĐ/ĐU")
    builder.discipline("A", decided_on="2023-01-20", authority="chinh_quyen",
                       violation_id="V1", document_no="33/QĐ-UBND")
    res = builder.classify(data_dir)
    assert res.level("A") == "HTTNV"
    note = res.reason("A", "discipline.not_counted")["note"]
    assert "05-QĐ/ĐU" in note


def test_party_and_administrative_decisions_in_the_same_year_count_once(builder, data_dir):
    builder.official("A", task_score=85)
    builder.discipline("A", decided_on="2023-03-01", authority="dang", violation_id="V1")
    builder.discipline("A", decided_on="2023-04-01", authority="chinh_quyen",
                       violation_id="V1")
    res = builder.classify(data_dir)
    assert res.level("A") == "KHTNV"
    assert res.rules("A").count("discipline.counted") == 1
    assert len(json.loads(res.reason("A", "discipline.counted")["evidence"])) == 2


def test_discipline_of_one_official_does_not_touch_another(builder, data_dir):
    builder.official("A", task_score=85)
    builder.official("B", task_score=85)
    builder.discipline("A", decided_on="2023-03-01")
    res = builder.classify(data_dir)
    assert res.level("B") == "HTTNV"
