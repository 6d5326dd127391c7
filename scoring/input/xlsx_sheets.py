"""Which sheet of an .xlsx file holds the table, and which cells are formulas Excel never
computed.

HR workbooks carry history: a hidden sheet with last year's copy first, a visible sheet
with this year's data. The table is read from the visible sheet whose top rows name the
table's columns; when several visible sheets could hold it, the file is refused (guessing
would classify on the wrong year). A file written by a program rather than saved by Excel
may hold formulas without their computed value: such a cell is named as a formula, not
as a blank.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .aliases import HEADER_SCAN, header_score
from .limits import workbook_size_problem

# a formula element in a sheet's XML (<f>, <f t="shared" …/>, <x:f>)
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


class WorkbookRefused(Exception):
    """The workbook cannot be read as one table — several visible sheets could hold it,
    every sheet is hidden, or it is too large to read; the message says which and what to
    do."""


@dataclass
class SheetCells:
    """The chosen sheet's cell values (rows of Python values, as openpyxl computes them)
    and, where a cell holds a formula without a computed value, its formula text."""

    sheet: str
    values: list[list[Any]]
    formulas: dict[tuple[int, int], str]  # (row, column), 0-based -> "=SUM(B2:B9)"


def read_sheet(path: Path, known: set[str]) -> SheetCells:
    """The cells of the visible sheet holding the table (see the module docstring).

    Raises :class:`WorkbookRefused` when several visible sheets name the table's columns,
    none is visible, or the sheets are too large to read (:mod:`.limits`, known from the
    zip directory before anything is unpacked); any other exception means the file is no
    readable workbook."""
    with zipfile.ZipFile(path) as archive:
        too_large = workbook_size_problem(path.name, {part.filename: part.file_size
                                                      for part in archive.infolist()})
    if too_large is not None:
        raise WorkbookRefused(too_large.expected)
    # imported here: most datasets are CSV, and a run should not pay openpyxl's import
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        visible = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
        if not visible:
            raise WorkbookRefused("mọi trang tính đều bị ẩn: hiện trang chứa bảng rồi lưu lại")
        scores = {ws.title: max((header_score(list(r), known) for r in ws.iter_rows(
            max_row=HEADER_SCAN, values_only=True)), default=0) for ws in visible}
        enough = min(2, len(known))
        holding = [ws for ws in visible if scores[ws.title] >= enough]
        if len(holding) > 1:
            names = ", ".join(f"'{ws.title}'" for ws in holding)
            raise WorkbookRefused(
                f"có {len(holding)} trang tính đang hiện đều có thể chứa bảng ({names}): "
                "chỉ để hiện trang của năm đánh giá (ẩn hoặc xóa các trang khác) rồi lưu lại")
        sheet = (holding or visible)[0]
        values = [list(r) for r in sheet.iter_rows(values_only=True)]
        index = book.worksheets.index(sheet)
    finally:
        book.close()
    return SheetCells(sheet.title, values, _uncomputed_formulas(path, index, values))


def _uncomputed_formulas(path: Path, index: int, values: list[list[Any]]
                         ) -> dict[tuple[int, int], str]:
    """The formulas of the ``index``-th sheet whose cell has no computed value. The sheet
    is read a second time (formulas, not values) only when its XML holds a formula."""
    if not _has_formula(path):
        return {}
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        found = {}
        for i, row in enumerate(book.worksheets[index].iter_rows(values_only=True)):
            for j, cell in enumerate(row):
                if isinstance(cell, str) and cell.startswith("=") and (
                        i >= len(values) or j >= len(values[i]) or values[i][j] is None):
                    found[(i, j)] = cell
        return found
    finally:
        book.close()


def _has_formula(path: Path) -> bool:
    """Whether a sheet of the workbook may hold a formula (True when unsure). Every sheet
    is searched: a part's name does not say which sheet it is."""
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if not name.startswith("xl/worksheets/") or not name.endswith(".xml"):
                    continue
                with archive.open(name) as part:
                    tail = b""
                    while block := part.read(1 << 20):
                        if _FORMULA_TAG.search(tail + block):
                            return True
                        tail = block[-8:]
        return False
    except (zipfile.BadZipFile, OSError, KeyError):
        return True
