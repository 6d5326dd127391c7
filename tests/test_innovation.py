"""innovation plugin: points from the best level recognised in the year, once; title facts."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("level", "points"), [("co_so", 3), ("tinh", 5), ("toan_quoc", 8)])
def test_points_by_level(builder, data_dir, level, points):
    builder.official("A", task_score=70)
    builder.innovation("A", recognized_on="2023-09-09", level=level)
    res = builder.classify(data_dir)
    assert res.row("A")["score"] == 70 + points


def test_best_level_counts_once(builder, data_dir):
    builder.official("A", task_score=70)
    builder.innovation("A", recognized_on="2023-02-01", level="co_so")
    best = builder.innovation("A", recognized_on="2023-03-01", level="tinh", kind="de_tai")
    builder.innovation("A", recognized_on="2023-04-01", level="co_so")
    res = builder.classify(data_dir)
    assert res.row("A")["points"] == 5
    assert best in res.reason("A", "innovation.points")["evidence"]


def test_innovation_of_another_year_is_ignored(builder, data_dir):
    builder.official("A", task_score=70)
    builder.innovation("A", recognized_on="2022-12-31", level="toan_quoc", cchc=True)
    res = builder.classify(data_dir)
    assert res.row("A")["points"] == 0
    assert res.titles("A") == ["LDTT"]


def test_cchc_nomination_needs_good_level(builder, data_dir):
    builder.official("A", task_score=75)
    builder.official("B", task_score=50)
    builder.innovation("A", recognized_on="2023-05-05", cchc=True)
    builder.innovation("B", recognized_on="2023-05-05", cchc=True)
    res = builder.classify(data_dir)
    assert "CCHC" in res.titles("A")
    assert res.level("B") == "HTNV"
    assert res.titles("B") == []
