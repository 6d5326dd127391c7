"""Limits that keep reading any file linear in its size, each with a message.

A data file is whatever lands in the folder: a one-line file of junk, a binary dump
without line breaks. A line longer than :data:`MAX_LINE_BYTES` or a header of more than
:data:`MAX_COLUMNS` cells is no table HR software exports; refusing it up front costs one
vectorised pass over the bytes, while reading it costs time growing with the square of its
size (pandas renames repeated headers one by one: a 256 KB line of junk took 18 s) and
memory many times the file (a 200 MB line: 3 minutes and 10 GB).
"""

from __future__ import annotations

import numpy as np

from ..errors import Problem

MAX_LINE_BYTES = 1 << 20  # a row of a table; a cell of a whole report still fits
MAX_COLUMNS = 1000  # a table's columns, extra columns HR software adds included


def long_line_problem(file: str, data: bytes, first_line: int = 1) -> Problem | None:
    """A problem naming the first line of ``data`` longer than :data:`MAX_LINE_BYTES`
    (``first_line`` numbers the first line of ``data`` in its file)."""
    if len(data) <= MAX_LINE_BYTES:
        return None
    codes = np.frombuffer(data, dtype=np.uint8)
    # one pass over the bytes; the few control bytes found are then told apart
    low = np.flatnonzero(codes <= 13)
    breaks = low[(codes[low] == 10) | (codes[low] == 13)]
    starts = np.concatenate([[0], breaks + 1])
    lengths = np.concatenate([breaks, [len(data)]]) - starts
    long = np.flatnonzero(lengths > MAX_LINE_BYTES)
    if not len(long):
        return None
    # a line ends at "\n", or at a "\r" not followed by "\n" (as an editor counts lines)
    after = codes[np.minimum(breaks + 1, len(data) - 1)]
    ends_line = (codes[breaks] == 10) | (after != 10) | (breaks + 1 == len(data))
    line = first_line + int(np.count_nonzero(ends_line[:long[0]]))
    size = f"{int(lengths[long[0]]):,}".replace(",", ".")
    return Problem(file, line, None, None,
                   f"dòng dài {size} byte, quá giới hạn {MAX_LINE_BYTES // 1024} KB của một "
                   "dòng: tệp không phải bảng CSV (thiếu xuống dòng, hoặc là tệp nhị phân)",
                   "format")


def wide_header_problem(file: str, line: int, width: int) -> Problem | None:
    """A problem when a header has more than :data:`MAX_COLUMNS` cells."""
    if width <= MAX_COLUMNS:
        return None
    return Problem(file, line, None, None,
                   f"dòng tiêu đề có {width} ô, quá giới hạn {MAX_COLUMNS} cột: tệp không phải "
                   "bảng dữ liệu (sai dấu phân cách, hoặc không phải tệp CSV)", "format")


# The XML of a workbook's sheets and shared strings, unpacked: about 35 bytes a cell, so
# 64 MiB is some 1.9 million cells — a province's officials in full (50,000 × 11 cells is
# 19 MB) with room to spare. openpyxl turns every cell into a Python object (550,000 cells
# took 18 s and 1 GB here), so a larger sheet, or a zip bomb, is refused before it is read.
MAX_WORKBOOK_XML_BYTES = 64 << 20


def workbook_size_problem(file: str, parts: dict[str, int]) -> Problem | None:
    """A problem when the unpacked sizes of a workbook's ``parts`` (name -> bytes, from its
    zip directory: nothing is unpacked to know them) pass :data:`MAX_WORKBOOK_XML_BYTES`."""
    cells = sum(size for name, size in parts.items()
                if name.startswith("xl/worksheets/") or name == "xl/sharedStrings.xml")
    if cells <= MAX_WORKBOOK_XML_BYTES:
        return None
    size = f"{cells / (1 << 20):,.0f}".replace(",", ".")
    return Problem(file, None, None, None,
                   f"tệp Excel quá lớn: {size} MB dữ liệu trang tính khi giải nén, quá giới hạn "
                   f"{MAX_WORKBOOK_XML_BYTES >> 20} MB (khoảng 1,9 triệu ô): lưu bảng thành "
                   "tệp CSV UTF-8 (Excel: Lưu thành › CSV UTF-8) rồi chạy lại", "format")
