"""The periods and work_items tables (SPEC §10) are checked like the core tables: every
problem at once, with file, row, column and value, on both reading paths."""

from __future__ import annotations

import pandas as pd
import pytest
from xeploai.scoring.errors import InvalidInputError
from xeploai.scoring.input.loader import load_dataset


def _problems(folder, fast: bool) -> list[str]:
    with pytest.raises(InvalidInputError) as info:
        load_dataset(folder, fast=fast)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("fast", [True, False])
def test_every_cross_row_problem_is_reported_with_its_row(builder, data_dir, fast):
    builder.official("A", task_score=None)
    builder.official("B", task_score=None)
    builder.period("A", "2026-01", 20)  # line 2
    builder.work_item("A", "2026-01", item_id="W1", assigned_qty=2, done_qty=3)  # done > assigned
    builder.period("A", "2026-Q1", 20)  # line 3: overlaps January
    builder.work_item("A", "2026-Q1", item_id="W2")
    builder.period("B", "2026-13", 20)  # line 4: no month 13
    builder.work_item("B", "2026-13", item_id="W3")
    builder.period("B", "2026-Q3", 20)  # line 5: no product
    builder.work_item("B", "2026-05", item_id="W4")  # line 5 of work_items: no period
    builder.write(data_dir)
    problems = _problems(data_dir, fast)
    text = "\n".join(problems)
    assert "work_items.csv, dòng 2, cột done_qty: giá trị '3'" in text
    assert "periods.csv, dòng 2, cột period: giá trị '2026-01' — các kỳ" in text
    assert "periods.csv, dòng 3, cột period: giá trị '2026-Q1' — các kỳ" in text
    assert "periods.csv, dòng 4, cột period: giá trị '2026-13' — kỳ dạng YYYY-MM" in text
    assert "periods.csv, dòng 5, cột period: giá trị '2026-Q3' — kỳ đánh giá không có" in text
    assert "work_items.csv, dòng 5, cột period: giá trị '2026-05' — không có dòng periods" \
        in text


def test_a_period_whose_only_product_is_a_dossier_is_valid(builder, data_dir):
    builder.official("A", task_score=None)
    builder.period("A", "2026-Q2", 20)
    builder.add("dossiers", handler_id="A", due_at="2026-05-10", returned_at="2026-05-09")
    dataset = load_dataset(builder.write(data_dir))
    assert len(dataset.tables["periods"]) == 1


def test_vietnamese_headers_are_read(builder, data_dir):
    builder.official("A", task_score=None)
    builder.period("A", "2026-Q2", 20)
    builder.work_item("A", "2026-Q2", item_id="W1", assigned_qty=4, done_qty=4)
    builder.write(data_dir)
    periods = pd.read_csv(data_dir / "periods.csv", dtype=str, keep_default_na=False)
    periods.columns = ["Mã cán bộ", "Kỳ đánh giá", "Mã đơn vị", "Điểm tiêu chí chung",
                       "Tiêu chí đ", "Tiêu chí e"]
    periods.to_csv(data_dir / "periods.csv", index=False)
    items = pd.read_csv(data_dir / "work_items.csv", dtype=str, keep_default_na=False)
    items.columns = ["Mã công việc", "Mã cán bộ", "Kỳ", "Mã sản phẩm", "Hệ số quy đổi",
                     "Số lượng giao", "Số lượng hoàn thành", "Số lỗi lớn",
                     "Số lần chậm tiến độ", "Nguyên nhân chậm, lỗi",
                     "Người xác nhận miễn trừ", "Mã hồ sơ"]
    items.to_csv(data_dir / "work_items.csv", index=False)
    dataset = load_dataset(data_dir)
    assert dataset.tables["work_items"]["assigned_qty"].tolist() == [4.0]
    assert dataset.tables["periods"]["general_score"].tolist() == [20.0]


def test_a_general_score_over_thirty_is_out_of_range(builder, data_dir):
    builder.official("A", task_score=None)
    builder.period("A", "2026-Q2", 31)
    builder.work_item("A", "2026-Q2")
    text = "\n".join(_problems(builder.write(data_dir), False))
    assert "periods.csv, dòng 2, cột general_score: giá trị '31'" in text
