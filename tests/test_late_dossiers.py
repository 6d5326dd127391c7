"""late_dossiers plugin: SPEC §3 (lateness, exclusions) and §5 (points, cap, repeat offence)."""

from __future__ import annotations

import json

import pytest
from xeploai.scoring.testing import DatasetBuilder


def test_counted_late_dossier_costs_one_point_and_one_more_without_apology(builder, data_dir):
    builder.official("A", task_score=80)
    with_apology = builder.late("A", 2, apology=True)
    without = builder.late("A", 1, apology=False)
    res = builder.classify(data_dir)
    assert res.row("A")["score"] == 80 - 3 - 1
    late = res.reason("A", "late_dossiers.late")
    assert late["points"] == -3
    assert sorted(json.loads(late["evidence"])) == sorted(with_apology + without)
    no_ap = res.reason("A", "late_dossiers.no_apology")
    assert no_ap["points"] == -1
    assert json.loads(no_ap["evidence"]) == without


def test_dossier_belongs_to_the_year_of_its_due_date(builder, data_dir):
    builder.official("A")
    builder.dossier("A", received="2022-12-20", due="2022-12-30", returned="2023-01-05")
    builder.dossier("A", received="2023-12-20", due="2024-01-05", returned="2024-01-09")
    in_2023 = builder.dossier("A", received="2022-12-20", due="2023-01-03",
                              returned="2023-01-04")
    res = builder.classify(data_dir)
    assert json.loads(res.reason("A", "late_dossiers.late")["evidence"]) == [in_2023]


def test_returned_on_due_date_is_on_time_whatever_the_hour(builder, data_dir):
    builder.official("A", task_score=80)
    builder.dossier("A", due="2023-05-10 08:00", returned="2023-05-10 17:45")
    res = builder.classify(data_dir)
    assert "late_dossiers.late" not in res.rules("A")
    assert res.row("A")["score"] == 80


def test_open_dossier_due_in_year_is_late_at_year_end(builder, data_dir):
    builder.official("A", task_score=80)
    open_id = builder.dossier("A", due="2023-12-31", returned="")
    res = builder.classify(data_dir)
    assert json.loads(res.reason("A", "late_dossiers.late")["evidence"]) == [open_id]


@pytest.mark.parametrize("cause", ["phan_mem", "khach_quan"])
def test_software_and_objective_causes_are_excluded_and_shown(builder, data_dir, cause):
    builder.official("A", task_score=80)
    ids = builder.late("A", 4, apology=False, late_cause=cause)
    builder.reminder("A", issued_on="2022-06-01")
    res = builder.classify(data_dir)
    assert res.row("A")["score"] == 80
    assert res.level("A") == "HTTNV"
    excluded = res.reason("A", "late_dossiers.excluded")
    assert sorted(json.loads(excluded["evidence"])) == sorted(ids)
    assert cause in excluded["note"]
    assert "late_dossiers.repeat_offence" not in res.rules("A")


def test_chu_quan_counts_like_blank(builder, data_dir):
    builder.official("A", task_score=80)
    builder.late("A", 2, late_cause="chu_quan")
    res = builder.classify(data_dir)
    assert res.reason("A", "late_dossiers.late")["points"] == -2


def test_cap_of_ten_points_over_both_rules(builder, data_dir):
    builder.official("A", task_score=90)
    builder.late("A", 2, apology=True)
    builder.late("A", 6, apology=False)  # raw: -8 and -6 = -14
    res = builder.classify(data_dir)
    assert res.row("A")["points"] == -10
    assert res.reason("A", "late_dossiers.late")["points"] == -8
    no_ap = res.reason("A", "late_dossiers.no_apology")
    assert no_ap["points"] == -2
    assert "-6" in no_ap["note"]  # the raw deduction stays visible


def test_cap_when_late_rule_alone_exceeds_it(builder, data_dir):
    builder.official("A", task_score=90)
    builder.late("A", 12, apology=False)
    res = builder.classify(data_dir)
    assert res.row("A")["points"] == -10
    assert res.reason("A", "late_dossiers.late")["points"] == -10
    assert res.reason("A", "late_dossiers.no_apology")["points"] == 0


def _repeat_case(builder: DatasetBuilder, *, issued_on: str, n_late: int,
                 subject: str = "tre_han", kind: str = "nhac_nho") -> None:
    builder.official("A", task_score=98)
    builder.peers(4)  # room for one HTXSNV under the 20 % quota
    builder.reminder("A", issued_on=issued_on, subject=subject, kind=kind,
                     document_no="125/TB-UBND")
    builder.late("A", n_late, apology=True)


@pytest.mark.parametrize("kind", ["nhac_nho", "chan_chinh"])
def test_repeat_offence_caps_at_htnv(builder, data_dir, kind):
    _repeat_case(builder, issued_on="2022-08-15", n_late=3, kind=kind)
    res = builder.classify(data_dir)
    assert res.row("A")["provisional_level"] == "HTXSNV"  # 98 - 3 = 95
    assert res.level("A") == "HTNV"
    reason = res.reason("A", "late_dossiers.repeat_offence")
    assert reason["ceiling"] == "HTNV"
    evidence = json.loads(reason["evidence"])
    assert evidence["reminders"] == ["125/TB-UBND"]
    assert len(evidence["dossiers"]) == 3
    assert "4510/QĐ-UBND" in reason["basis"]
    assert res.titles("A") == []


@pytest.mark.parametrize(
    ("issued_on", "n_late", "subject"),
    [
        ("2022-08-15", 2, "tre_han"),  # below the threshold
        ("2021-12-31", 5, "tre_han"),  # Y-2
        ("2023-01-02", 5, "tre_han"),  # Y
        ("2022-08-15", 5, "thai_do"),  # another subject
    ],
)
def test_no_repeat_offence(builder, data_dir, issued_on, n_late, subject):
    _repeat_case(builder, issued_on=issued_on, n_late=n_late, subject=subject)
    res = builder.classify(data_dir)
    assert "late_dossiers.repeat_offence" not in res.rules("A")
    assert res.level("A") == "HTXSNV"


def test_repeat_threshold_counts_only_counted_dossiers(builder, data_dir):
    _repeat_case(builder, issued_on="2022-03-01", n_late=2)
    builder.late("A", 3, late_cause="phan_mem")
    res = builder.classify(data_dir)
    assert "late_dossiers.repeat_offence" not in res.rules("A")


def test_evidence_lists_dossiers_in_id_order_whatever_the_files_order(builder, data_dir):
    """The evidence (stored, compared between runs) does not depend on the rows' order,
    which the fast path does not keep (decision 119): each list is in dossier id order,
    each handler's own, whichever handlers come first in the file."""
    builder.official("B", task_score=80)
    builder.official("A", task_score=80)
    for dossier_id, handler in (("HS9", "B"), ("HS3", "A"), ("HS7", "B"), ("HS10", "A"),
                                ("HS1", "B"), ("HS5", "A")):
        builder.dossier(handler, due="2023-05-10", returned="2023-05-12",
                        dossier_id=dossier_id)
    res = builder.classify(data_dir)
    assert json.loads(res.reason("A", "late_dossiers.late")["evidence"]) == \
        ["HS10", "HS3", "HS5"]
    assert json.loads(res.reason("B", "late_dossiers.late")["evidence"]) == \
        ["HS1", "HS7", "HS9"]
