"""The damage users actually do to input files, one kind at a time, on the real sample.

Each error case checks the message — file, row, column, value, what was expected — and
that a run on a database already holding a run leaves every row as it was. Each tolerated
case checks the data loads exactly as the clean sample does.
"""

from __future__ import annotations

import csv
import shutil
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from xeploai.scoring import api
from xeploai.scoring.errors import InvalidInputError
from xeploai.scoring.input.loader import load_dataset

from .conftest import SAMPLE
from .faults import snapshot

# -- helpers that damage a copy of the sample --------------------------------------------


def rows_of(folder: Path, table: str) -> list[list[str]]:
    with (folder / f"{table}.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def write_rows(folder: Path, table: str, rows: list[list[str]], sep: str = ",") -> None:
    with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=sep, lineterminator="\n").writerows(rows)


def cell(table: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    """Set one cell; ``row`` as a spreadsheet numbers it (header = 1)."""

    def damage(folder: Path) -> None:
        rows = rows_of(folder, table)
        rows[row - 1][rows[0].index(column)] = value
        write_rows(folder, table, rows)

    return damage


def text_edit(table: str, edit: Callable[[str], str]) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        path = folder / f"{table}.csv"
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")

    return damage


def line_edit(table: str, line: int, edit: Callable[[str], str]) -> Callable[[Path], None]:
    def lines(text: str) -> str:
        out = text.split("\n")
        out[line - 1] = edit(out[line - 1])
        return "\n".join(out)

    return text_edit(table, lines)


def raw_bytes(table: str, make: Callable[[str], bytes]) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        path = folder / f"{table}.csv"
        path.write_bytes(make(path.read_text(encoding="utf-8")))

    return damage


def to_cp1258(text: str) -> bytes:
    """What Excel's 'CSV (Comma delimited)' writes on a Vietnamese Windows: Windows-1258,
    where a letter with a tone mark is a base letter and a combining mark."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", ch)
        for k in range(len(marks), -1, -1):
            head = unicodedata.normalize("NFC", base + "".join(marks[:k]))
            try:
                out += head.encode("cp1258") + "".join(marks[k:]).encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
    return bytes(out)


def xlsx_of(folder: Path, table: str, *, title_rows: int = 0, serial_dates: tuple[str, ...] = (),
            replace: dict[tuple[int, str], object] | None = None) -> None:
    """Save a table as an HR workbook: optional merged title rows above the header, date
    columns as Excel numbers (serials), and chosen cells replaced (row as in the csv)."""
    rows = rows_of(folder, table)
    (folder / f"{table}.csv").unlink()
    wb = openpyxl.Workbook()
    ws = wb.active
    for i in range(title_rows):
        ws.cell(row=i + 1, column=1, value=f"DANH SÁCH {table.upper()} — dòng tiêu đề {i + 1}")
        ws.merge_cells(start_row=i + 1, start_column=1, end_row=i + 1, end_column=len(rows[0]))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            out: object = value
            if r and rows[0][c] in serial_dates and value:
                stamp = pd.Timestamp(value)
                out = (stamp - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)
            if replace and (r + 1, rows[0][c]) in replace:
                out = replace[(r + 1, rows[0][c])]
            ws.cell(row=title_rows + r + 1, column=c + 1, value=out if out != "" else None)
    wb.save(folder / f"{table}.xlsx")


# -- the catalogue ---------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    """One kind of damage and the problem it must produce."""

    kind: str
    damage: Callable[[Path], None]
    file: str
    row: int | None
    column: str | None
    value: str | None  # a fragment of the quoted value (None: no value quoted)
    expected: str  # a fragment of "what was expected"


def long_name_row(text: str) -> str:
    return text.replace("Nguyễn Văn An,", "Nguyễn Văn An, Trưởng phòng,", 1)


BAD: list[Bad] = [
    # encodings
    Bad("Windows-1258 from Excel", raw_bytes("officials", to_cp1258), "officials.csv", 2,
        "full_name", "Nguy", "Windows-1258"),
    Bad("UTF-16 'Unicode Text' from Excel",
        raw_bytes("units", lambda t: t.replace(",", "\t").encode("utf-16")), "units.csv", None,
        None, None, "UTF-16"),
    Bad("UTF-16 without BOM", raw_bytes("units", lambda t: t.encode("utf-16-le")), "units.csv",
        1, None, None, "NUL"),
    Bad("one row pasted in Windows-1258", raw_bytes(
        "officials", lambda t: t.encode("utf-8").replace("Trần Thị Bích Ngọc".encode(),
                                                          to_cp1258("Trần Thị Bích Ngọc"))),
        "officials.csv", 3, "full_name", "Tr", "không phải UTF-8"),
    # shape of the file
    Bad("empty file (0 bytes)", raw_bytes("units", lambda t: b""), "units.csv", None, None,
        None, "tệp rỗng"),
    Bad("only a BOM and blank lines", raw_bytes("units", lambda t: b"\xef\xbb\xbf\n\n \n"),
        "units.csv", None, None, None, "tệp rỗng"),
    Bad("header only where rows are needed", text_edit("officials", lambda t: t.split("\n")[0]),
        "officials.csv", None, None, None, "không có dòng dữ liệu"),
    Bad("missing column", text_edit("units", lambda t: t.replace(",tier", "", 1)
                                    .replace(",tinh\n", "\n").replace(",huyen\n", "\n")
                                    .replace(",xa\n", "\n")),
        "units.csv", 1, "tier", None, "thiếu cột bắt buộc"),
    Bad("misspelt optional column", text_edit("officials", lambda t: t.replace(
        "months_absent", "months_absnt", 1)), "officials.csv", 1, "months_absnt", None,
        "có phải cột 'months_absent'"),
    Bad("Vietnamese header without diacritics", text_edit("dossiers", lambda t: t.replace(
        "received_at", "Ngay tiep nhan", 1)), "dossiers.csv", 1, "Ngay tiep nhan", None,
        "received_at"),
    Bad("column twice", text_edit("units", lambda t: t.replace("tier", "name", 1)),
        "units.csv", 1, "name", None, "lặp lại"),
    Bad("row with a cell too many (unquoted comma)", text_edit("officials", long_name_row),
        "officials.csv", 2, None, None, "dòng có 12 ô, dòng tiêu đề có 11 ô"),
    Bad("row with a cell too few", line_edit("units", 3, lambda ln: ln.rsplit(",", 1)[0]),
        "units.csv", 3, None, None, "dòng có 3 ô"),
    Bad("quote never closed", line_edit("units", 3, lambda ln: '"' + ln), "units.csv", 3, None,
        None, "ngoặc kép"),
    Bad(".xls instead of .csv", lambda f: (f / "reminders.csv").rename(f / "reminders.xls"),
        "reminders.xls", None, None, None, "không đọc được"),
    Bad("both .csv and .xlsx", lambda f: shutil.copy(f / "units.csv", f / "units.xlsx"),
        "units.csv", None, None, None, "có cả units.csv và units.xlsx"),
    Bad("csv renamed to .xlsx", lambda f: (f / "units.csv").rename(f / "units.xlsx"),
        "units.xlsx", None, None, None, "không đọc được tệp Excel"),
    Bad("truncated workbook", lambda f: (xlsx_of(f, "units"), (f / "units.xlsx").write_bytes(
        (f / "units.xlsx").read_bytes()[:700])), "units.xlsx", None, None, None,
        "không đọc được tệp Excel"),
    # values
    Bad("text in a numeric column", cell("officials", 2, "task_score", "tám mươi"),
        "officials.csv", 2, "task_score", "tám mươi", "một số"),
    Bad("unit in a numeric cell", cell("officials", 3, "months_worked", "12 tháng"),
        "officials.csv", 3, "months_worked", "12 tháng", "một số"),
    Bad("percent sign", cell("officials", 4, "task_score", "85%"), "officials.csv", 4,
        "task_score", "85%", "một số"),
    Bad("fraction in a whole-number column", cell("discipline", 2, "counted_in_year", "2023.5"),
        "discipline.csv", 2, "counted_in_year", "2023.5", "số nguyên"),
    Bad("huge number", cell("officials", 2, "task_score", "1e308"), "officials.csv", 2,
        "task_score", "1e308", "0–100"),
    Bad("huge whole number", cell("discipline", 2, "counted_in_year", "9" * 30),
        "discipline.csv", 2, "counted_in_year", "999", "1945–2100"),
    Bad("negative months", cell("officials", 2, "months_absent", "-1"), "officials.csv", 2,
        "months_absent", "-1", "0–12"),
    Bad("a paragraph in a number cell", cell("officials", 2, "task_score", "x" * 5000),
        "officials.csv", 2, "task_score", "ký tự)", "một số"),
    Bad("Excel error cell", cell("officials", 2, "full_name", "#N/A"), "officials.csv", 2,
        "full_name", "#N/A", "lỗi của Excel"),
    Bad("Excel #REF! in an id", cell("dossiers", 2, "handler_id", "#REF!"), "dossiers.csv", 2,
        "handler_id", "#REF!", "lỗi của Excel"),
    Bad("unknown yes/no word", cell("officials", 2, "is_leader", "maybe"), "officials.csv", 2,
        "is_leader", "maybe", "có/không"),
    Bad("unknown code", cell("officials", 2, "staff_type", "giam_doc"), "officials.csv", 2,
        "staff_type", "giam_doc", "cong_chuc"),
    Bad("blank required cell", cell("officials", 2, "official_id", " "), "officials.csv", 2,
        "official_id", "", "bắt buộc"),
    # dates
    Bad("MM/DD/YYYY (month 25)", cell("reminders", 2, "issued_on", "13/25/2022"),
        "reminders.csv", 2, "issued_on", "13/25/2022", "DD/MM/YYYY"),
    Bad("30 February", cell("reminders", 2, "issued_on", "30/02/2022"), "reminders.csv", 2,
        "issued_on", "30/02/2022", "DD/MM/YYYY"),
    Bad("two-digit year", cell("reminders", 2, "issued_on", "15/08/22"), "reminders.csv", 2,
        "issued_on", "15/08/22", "DD/MM/YYYY"),
    Bad("five-digit year", cell("reminders", 2, "issued_on", "20222-08-15"), "reminders.csv", 2,
        "issued_on", "20222-08-15", "1900"),
    Bad("year 0202", cell("reminders", 2, "issued_on", "0202-08-15"), "reminders.csv", 2,
        "issued_on", "0202-08-15", "1900"),
    Bad("month name", cell("reminders", 2, "issued_on", "Aug 15, 2022"), "reminders.csv", 2,
        "issued_on", "Aug 15, 2022", "DD/MM/YYYY"),
    Bad("time zone", cell("dossiers", 2, "received_at", "2022-02-14T08:40+07:00"),
        "dossiers.csv", 2, "received_at", "+07:00", "HH:MM"),
    Bad("Excel serial number in a csv", cell("reminders", 2, "issued_on", "44788"),
        "reminders.csv", 2, "issued_on", "44788", "DD/MM/YYYY"),
    Bad("result returned in the future", cell("dossiers", 2, "returned_at", "2099-03-03"),
        "dossiers.csv", 2, "returned_at", "2099-03-03", "tương lai"),
    Bad("reminder issued in the future", cell("reminders", 2, "issued_on", "01/01/2099"),
        "reminders.csv", 2, "issued_on", "01/01/2099", "tương lai"),
    Bad("due before received", cell("dossiers", 2, "due_at", "2022-02-01"), "dossiers.csv", 2,
        "due_at", "2022-02-01", "trước ngày tiếp nhận"),
    Bad("returned before received", cell("dossiers", 2, "returned_at", "2022-02-13"),
        "dossiers.csv", 2, "returned_at", "2022-02-13", "trước ngày tiếp nhận"),
    Bad("violation after the decision", cell("discipline", 2, "violation_on", "2023-09-01"),
        "discipline.csv", 2, "violation_on", "2023-09-01", "sau ngày quyết định"),
    Bad("months worked + absent over 12", cell("officials", 2, "months_absent", "3"),
        "officials.csv", 2, "months_absent", "3", "không được quá 12"),
    # ids and references
    Bad("duplicate id", cell("officials", 3, "official_id", "BD0001"), "officials.csv", 3,
        "official_id", "BD0001", "trùng"),
    Bad("duplicate id with a trailing space", cell("units", 3, "unit_id", "STP "), "units.csv", 3,
        "unit_id", "STP", "trùng"),
    Bad("duplicate dossier", cell("dossiers", 3, "dossier_id", "000.00.16.H08-220214-0001"),
        "dossiers.csv", 3, "dossier_id", "000.00.16.H08-220214-0001", "trùng"),
    Bad("dangling unit", cell("officials", 2, "unit_id", "SO_MA"), "officials.csv", 2, "unit_id",
        "SO_MA", "không có trong units"),
    Bad("dangling handler", cell("dossiers", 2, "handler_id", "BD9999"), "dossiers.csv", 2,
        "handler_id", "BD9999", "không có trong officials"),
    Bad("id with lost leading zeros", cell("reminders", 2, "official_id", "BD29"),
        "reminders.csv", 2, "official_id", "BD29", "không có trong officials"),
    Bad("dangling parent unit", cell("units", 2, "parent_id", "UBND_TINH"), "units.csv", 2,
        "parent_id", "UBND_TINH", "không có trong units"),
    Bad("dangling title holder", cell("titles_history", 2, "official_id", "BD0000"),
        "titles_history.csv", 2, "official_id", "BD0000", "không có trong officials"),
    # workbooks
    Bad("xlsx: Excel error under merged title rows", lambda f: xlsx_of(
        f, "officials", title_rows=2, replace={(3, "task_score"): "#VALUE!"}),
        "officials.xlsx", 5, "task_score", "#VALUE!", "lỗi của Excel"),
    Bad("xlsx: date typed as text number", lambda f: xlsx_of(
        f, "reminders", replace={(2, "issued_on"): "44788"}), "reminders.xlsx", 2, "issued_on",
        "44788", "DD/MM/YYYY"),
    Bad("xlsx: serial out of range", lambda f: xlsx_of(
        f, "reminders", replace={(2, "issued_on"): 99999999}), "reminders.xlsx", 2, "issued_on",
        "99999999", "DD/MM/YYYY"),
]


@pytest.fixture(scope="module")
def stored_db(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'x.db'}"
    api.run(SAMPLE, 2023, db=url)
    return url


def damaged(tmp_path: Path, damage: Callable[[Path], None]) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE, folder)
    damage(folder)
    return folder


@pytest.mark.parametrize("case", BAD, ids=[c.kind for c in BAD])
def test_bad_input_is_named_and_nothing_is_stored(case: Bad, tmp_path, stored_db):
    folder = damaged(tmp_path, case.damage)
    before = snapshot(stored_db)
    with pytest.raises(InvalidInputError) as info:
        api.run(folder, 2023, db=stored_db)
    assert snapshot(stored_db) == before
    problems = info.value.problems
    matching = [p for p in problems if (p.file, p.row, p.column) == (case.file, case.row,
                                                                     case.column)]
    assert matching, [str(p) for p in problems]
    text = "\n".join(str(p) for p in matching)
    if case.value is not None:
        assert case.value in text, text
    assert case.expected in text, text
    assert case.file in text
    if case.row is not None:
        assert f"dòng {case.row}" in text
    if case.column is not None:
        assert f"cột {case.column}" in text


def test_every_kind_at_once(tmp_path):
    """Damage in every file at the same time: every problem is listed, none hides another."""
    singles = [c for c in BAD if c.damage.__qualname__.startswith("cell.<locals>")]
    by_cell = {(c.file, c.row, c.column): c for c in singles}
    chosen = list({(c.file, c.row): c for c in by_cell.values()}.values())  # one per row
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE, folder)
    for case in chosen:
        case.damage(folder)
    with pytest.raises(InvalidInputError) as info:
        load_dataset(folder)
    found = {(p.file, p.row, p.column) for p in info.value.problems}
    assert len(chosen) >= 10 and len({c.file for c in chosen}) >= 6
    missing = [c.kind for c in chosen if (c.file, c.row, c.column) not in found]
    assert not missing


# -- damage that is tolerated: the data loads exactly as the clean sample ----------------


def semicolons(folder: Path) -> None:
    for table in ("officials", "units"):
        rows = rows_of(folder, table)
        if table == "officials":
            col = rows[0].index("task_score")
            rows[1][col] = rows[1][col] + ",0"  # decimal comma, as Vietnamese Excel writes
        write_rows(folder, table, rows, sep=";")


def nfd(folder: Path) -> None:
    for table in ("officials", "units"):
        path = folder / f"{table}.csv"
        path.write_text(unicodedata.normalize("NFD", path.read_text(encoding="utf-8"))
                        .replace("false", "không").replace("true", "có"), encoding="utf-8")


def vietnamese_dates(folder: Path) -> None:
    rows = rows_of(folder, "reminders")
    col = rows[0].index("issued_on")
    for r in rows[1:]:
        y, m, d = r[col].split("-")
        r[col] = f"{d}/{m}/{y}"
    write_rows(folder, "reminders", rows)


def cosmetic(folder: Path) -> None:
    """BOM, an extra column, blank and comma-only lines, upper-case booleans, spaces."""
    rows = rows_of(folder, "officials")
    rows[0].append("Ghi chú")
    for r in rows[1:]:
        r.append("xem lại")
        r[rows[0].index("is_leader")] = r[rows[0].index("is_leader")].upper()
        r[rows[0].index("full_name")] = "  " + r[rows[0].index("full_name")] + " "
    rows.insert(3, [])
    rows.insert(6, [""] * len(rows[0]))
    write_rows(folder, "officials", rows)
    path = folder / "officials.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


def workbooks(folder: Path) -> None:
    """HR exports: title rows merged above the header, dates as Excel serial numbers."""
    xlsx_of(folder, "officials", title_rows=2)
    xlsx_of(folder, "reminders", serial_dates=("issued_on",))
    xlsx_of(folder, "dossiers", title_rows=1, serial_dates=("received_at", "due_at",
                                                             "returned_at"))


TOLERATED = {
    "semicolon separator and decimal comma": semicolons,
    "decomposed Unicode (macOS) and có/không": nfd,
    "DD/MM/YYYY dates": vietnamese_dates,
    "BOM, extra column, blank lines, TRUE, spaces": cosmetic,
    "xlsx with title rows and serial dates": workbooks,
}


@pytest.fixture(scope="module")
def clean():
    return load_dataset(SAMPLE).tables


@pytest.mark.parametrize("kind", list(TOLERATED))
def test_tolerated_damage_loads_like_the_clean_sample(kind, tmp_path, clean):
    tables = load_dataset(damaged(tmp_path, TOLERATED[kind])).tables
    for name, frame in clean.items():
        got = tables[name][list(frame.columns)].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, frame.reset_index(drop=True), check_dtype=False,
                                      obj=f"{kind}: {name}")


def test_day_first_always(tmp_path):
    """03/04/2022 is 3 April 2022 (SPEC: Vietnamese DD/MM/YYYY), never guessed."""
    folder = damaged(tmp_path, cell("reminders", 2, "issued_on", "03/04/2022"))
    issued = load_dataset(folder).tables["reminders"]["issued_on"].iloc[0]
    assert (issued.year, issued.month, issued.day) == (2022, 4, 3)


def test_row_numbers_follow_title_rows_in_csv(tmp_path):
    def titled(folder: Path) -> None:
        path = folder / "units.csv"
        path.write_text("DANH SÁCH ĐƠN VỊ,,,\nNăm 2023,,,\n" + path.read_text(encoding="utf-8")
                        .replace(",huyen\n", ",thon\n", 1), encoding="utf-8")

    with pytest.raises(InvalidInputError) as info:
        load_dataset(damaged(tmp_path, titled))
    (problem,) = info.value.problems
    assert (problem.row, problem.column, problem.value) == (5, "tier", "thon")


def test_message_quotes_a_long_value_shortly(tmp_path):
    folder = damaged(tmp_path, cell("officials", 2, "task_score", "9" * 3000 + "x"))
    with pytest.raises(InvalidInputError) as info:
        load_dataset(folder)
    assert len(str(info.value.problems[0])) < 300
    assert "3001 ký tự" in str(info.value.problems[0])


@pytest.mark.parametrize("fast", [True, False])
def test_optional_columns_left_out_still_run(tmp_path, fast):
    """Without the optional returned_at and months_absent columns, the blank dates are still
    dates (comparing them used to crash) and the run completes."""

    def drop(folder: Path) -> None:
        for table, column in (("dossiers", "returned_at"), ("officials", "months_absent")):
            rows = rows_of(folder, table)
            i = rows[0].index(column)
            write_rows(folder, table, [r[:i] + r[i + 1:] for r in rows])

    folder = damaged(tmp_path, drop)
    tables = load_dataset(folder, fast=fast).tables
    assert str(tables["dossiers"]["returned_at"].dtype) == "datetime64[ns]"
    assert (tables["officials"]["months_absent"] == 0).all()
    outcome = api.run(folder, 2023, store=False)
    assert len(outcome.classification.results) == 44


@pytest.mark.parametrize("fast", [True, False])
def test_today_is_not_the_future_but_the_day_after_tomorrow_is(tmp_path, fast):
    """'Today' is the later of the machine's date and Vietnam's, so a server on UTC
    accepts a dossier received this morning in Vietnam."""
    import datetime as dt

    from xeploai.scoring.input.dates import today_here

    today = today_here()
    assert today >= dt.date.today()
    ok = damaged(tmp_path / "ok", cell("dossiers", 2, "received_at", f"{today} 06:00"))
    # the dossier's other dates must not precede its reception
    cell("dossiers", 2, "due_at", f"{today}")(ok)
    cell("dossiers", 2, "returned_at", f"{today}")(ok)
    load_dataset(ok, fast=fast)
    later = today + dt.timedelta(days=2)
    bad = damaged(tmp_path / "bad", cell("dossiers", 2, "returned_at", f"{later}"))
    with pytest.raises(InvalidInputError) as info:
        load_dataset(bad, fast=fast)
    (problem,) = info.value.problems
    assert (problem.column, problem.check) == ("returned_at", "future")
