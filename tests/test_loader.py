"""The data contract (SPEC §3): every problem reported at once, with file, row, column, value."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from xeploai.scoring.errors import InvalidInputError
from xeploai.scoring.input.loader import load_dataset

from .conftest import SAMPLE


def copy_sample(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(SAMPLE, target)
    return target


def edit_cell(folder: Path, table: str, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` is the line number as a spreadsheet shows it (header = 1)."""
    import csv

    path = folder / f"{table}.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[row - 1][rows[0].index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def problems_of(folder: Path) -> list:
    with pytest.raises(InvalidInputError) as info:
        load_dataset(folder)
    return info.value.problems


def test_sample_loads_clean():
    ds = load_dataset(SAMPLE)
    assert len(ds.tables["officials"]) == 44
    assert set(ds.file_hashes) >= {"officials.csv", "dossiers.csv"}


def test_every_problem_at_once_with_location(tmp_path):
    d = copy_sample(tmp_path)
    edit_cell(d, "officials", 3, "task_score", "105")
    edit_cell(d, "officials", 4, "staff_type", "giam_doc")
    edit_cell(d, "officials", 5, "is_leader", "maybe")
    edit_cell(d, "dossiers", 2, "due_at", "2019-01-01")
    edit_cell(d, "dossiers", 3, "handler_id", "NOBODY")
    edit_cell(d, "reminders", 2, "issued_on", "31/02/2022")
    edit_cell(d, "discipline", 2, "form", "phat_tien")
    edit_cell(d, "innovations", 3, "award_id", "SK-DUP")
    edit_cell(d, "innovations", 4, "award_id", "SK-DUP")
    found = {(p.file, p.row, p.column, p.value) for p in problems_of(d)}
    assert ("officials.csv", 3, "task_score", "105") in found
    assert ("officials.csv", 4, "staff_type", "giam_doc") in found
    assert ("officials.csv", 5, "is_leader", "maybe") in found
    assert ("dossiers.csv", 2, "due_at", "2019-01-01") in found
    assert ("dossiers.csv", 3, "handler_id", "NOBODY") in found
    assert ("reminders.csv", 2, "issued_on", "31/02/2022") in found
    assert ("discipline.csv", 2, "form", "phat_tien") in found
    assert ("innovations.csv", 4, "award_id", "SK-DUP") in found
    assert len(found) == 8  # the two duplicate ids are one problem, on the second row


def test_message_names_what_was_expected(tmp_path):
    d = copy_sample(tmp_path)
    edit_cell(d, "officials", 2, "task_score", "abc")
    (problem,) = problems_of(d)
    text = str(problem)
    assert "officials.csv" in text and "dòng 2" in text and "task_score" in text
    assert "'abc'" in text and "một số" in text


def test_returned_before_received_is_an_error(tmp_path):
    d = copy_sample(tmp_path)
    edit_cell(d, "dossiers", 2, "returned_at", "2000-01-01")
    (problem,) = problems_of(d)
    assert (problem.column, problem.check) == ("returned_at", "date_order")


def test_missing_file_and_missing_column(tmp_path):
    d = copy_sample(tmp_path)
    (d / "reminders.csv").unlink()
    text = (d / "units.csv").read_text(encoding="utf-8").replace("tier", "cap_bac")
    (d / "units.csv").write_text(text, encoding="utf-8")
    found = {(p.file, p.column, p.check) for p in problems_of(d)}
    assert ("reminders.csv", None, "missing_file") in found
    assert ("units.csv", "tier", "missing_column") in found


def test_vietnamese_headers_and_dates(tmp_path):
    d = copy_sample(tmp_path)
    path = d / "reminders.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("issued_on", "Ngày ban hành").replace("document_no", "Số văn bản")
    head = lines[0].split(",")
    col = head.index("Ngày ban hành")
    cells = lines[1].split(",")
    y, m, day = cells[col].split("-")
    cells[col] = f"{day}/{m}/{y}"
    lines[1] = ",".join(cells)
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    ds = load_dataset(d)
    first = ds.tables["reminders"].iloc[0]
    assert first["issued_on"].strftime("%Y-%m-%d") == f"{y}-{m}-{day}"


def test_blank_lines_are_ignored_and_rows_keep_their_numbers(tmp_path):
    d = copy_sample(tmp_path)
    path = d / "units.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_dataset(d)  # still valid
    edit_cell(d, "units", 4, "tier", "thon")
    (problem,) = problems_of(d)
    assert (problem.row, problem.value) == (4, "thon")


def test_policy_can_downgrade_a_check_to_a_warning(tmp_path):
    d = copy_sample(tmp_path)
    edit_cell(d, "dossiers", 3, "handler_id", "NOBODY")
    ds = load_dataset(d, warning_checks={"reference"})
    assert [w.value for w in ds.warnings] == ["NOBODY"]
    assert "NOBODY" not in set(ds.tables["dossiers"]["handler_id"])


def test_not_utf8_is_reported_not_crashed(tmp_path):
    d = copy_sample(tmp_path)
    text = (d / "units.csv").read_text(encoding="utf-8")
    (d / "units.csv").write_bytes(text.encode("utf-16"))
    found = {(p.file, p.check) for p in problems_of(d)}
    assert ("units.csv", "encoding") in found


def _to_vietnamese_xlsx(src: Path, dst: Path, *, real_dates: bool = False) -> None:
    """The sample as HR staff have it: .xlsx files, Vietnamese headers, DD/MM/YYYY dates."""
    import re

    import pandas as pd
    from xeploai.scoring.input.aliases import ALIASES

    dst.mkdir()
    iso = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(.*)$")
    for path in sorted(src.glob("*.csv")):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in df.columns:
            if real_dates and col in ("issued_on", "decided_on", "recognized_on"):
                # a date cell typed in Excel, not text
                df[col] = pd.to_datetime(df[col], errors="coerce")
            else:
                df[col] = df[col].map(lambda v: iso.sub(r"\3/\2/\1\4", v))
        df = df.rename(columns={c: ALIASES[c][0] for c in df.columns if c in ALIASES})
        df.to_excel(dst / f"{path.stem}.xlsx", index=False)


@pytest.mark.parametrize("real_dates", [False, True])
def test_xlsx_with_vietnamese_headers_and_dates_gives_the_same_run(tmp_path, real_dates):
    from openpyxl import load_workbook
    from xeploai.scoring.api import Session

    d = tmp_path / "xlsx"
    _to_vietnamese_xlsx(SAMPLE, d, real_dates=real_dates)
    head = [c.value for c in load_workbook(d / "dossiers.xlsx")["Sheet1"][1]]
    for label in ("Mã hồ sơ", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày trả kết quả",
                  "Cán bộ xử lý"):
        assert label in head
    first = load_workbook(d / "dossiers.xlsx")["Sheet1"].cell(2, head.index("Ngày hẹn trả") + 1)
    assert first.value.count("/") == 2  # really DD/MM/YYYY text
    session = Session.open()
    want = session.classify(session.load(SAMPLE), 2023).results
    got = session.classify(session.load(d), 2023).results
    cols = ["official_id", "score", "provisional_level", "level", "titles", "reasons"]
    assert got[cols].equals(want[cols])
    assert "dossiers.xlsx" in session.load(d).file_hashes
