"""The reference checks of a CSV file, part by part, in bounded memory.

Read whole, as text, to name the file, row, column and value of every problem, a file takes
≈ 12 times its size: over 100 GB for a national dossiers file (≈ 9 GB, 100,000,000 rows).
So the reference path (:mod:`.reference_read`, ``--by-unit``'s checked path) cuts a big
file into parts of whole lines — never inside a quoted cell — and reads each with the
file's own title rows and header in front of it, then checks it exactly as the whole file
would be, its rows numbered as in the whole file, one part at a time (worker processes
were measured no faster: docs/decisions.md 107); a small file is one part. Keys repeated
across parts are found by the caller over every part's rows. Memory: one part.

What differs from reading the file whole (decision 41): a file that is not UTF-8 is reported
once per part (the part's first bad line, and how many such lines the part has), not once
for the file; a NUL byte is looked for at the start of every part, not only of the file; a
quote never closed is cut off after :data:`MAX_PART_BYTES`, where that part reports it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from ..errors import Problem
from .aliases import HEADER_SCAN
from .column_checks import validate_raw
from .contract import ColumnRule
from .csv_text import LINE_BREAK, header_layout, read_csv_bytes
from .dataset import Source
from .raw_table import EMPTY_FILE

PART_BYTES = 32 << 20  # a part read as text by pandas takes ≈ 12 times its size
# a quote never closed would make one part of the rest of the file: past this, it is cut at
# a line break anyway (and the part reports the quote)
MAX_PART_BYTES = 256 << 20
_LINE_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True)
class Part:
    """Whole lines of a file: ``line`` is the file's line number of the first one."""

    index: int
    line: int
    data: bytes


def count_line_breaks(data: bytes) -> int:
    """Line breaks as the reference reader counts them (\\r\\n, \\r or \\n)."""
    cr = data.count(b"\r")  # most files have none: no search for \r\n then
    return data.count(b"\n") + cr - (data.count(b"\r\n") if cr else 0)


def _cut(buf: bytes, tries: int = 64) -> int:
    """Where the last whole line of ``buf`` ends outside a quoted cell (an even number of
    quotes before it: a doubled quote inside a cell counts twice); 0 when none is found."""
    quotes = buf.count(b'"')
    end = len(buf)
    for _ in range(tries):
        nl = buf.rfind(b"\n", 0, end)
        if nl < 0:
            return 0
        quotes -= buf.count(b'"', nl + 1, end)
        if quotes % 2 == 0:
            return nl + 1
        end = nl
    return 0


def split_parts(path: Path, part_bytes: int = PART_BYTES) -> Iterator[Part]:
    """``path`` in parts of about ``part_bytes`` of whole lines, each cut where no quoted
    cell is open (a file smaller than a part is one part). The first part holds at least
    the lines where a header may be."""
    with path.open("rb") as fh:
        buf = b""
        line, index = 1, 0
        while True:
            block = fh.read(part_bytes)
            buf += block
            if not buf:
                return
            if len(block) == part_bytes:  # more may follow (a shorter read is the file's end)
                if index == 0 and count_line_breaks(buf) <= HEADER_SCAN:
                    continue
                cut = _cut(buf)
                if cut == 0 and len(buf) >= max(part_bytes, MAX_PART_BYTES):
                    cut = buf.rfind(b"\n") + 1
                if cut == 0:
                    continue
            else:
                cut = len(buf)
            part, buf = buf[:cut], buf[cut:]
            yield Part(index, line, part)
            index += 1
            line += count_line_breaks(part)


class BigCsvCheck:
    """The reference checks of one CSV table read part by part.

    Iterate :meth:`parts` for each part's checked frame and source (the caller adds its
    checks across tables, into :attr:`row_problems`); then :attr:`problems` holds what
    reading the whole file would have reported — without the row checks when some part
    could not be read at all, as the reference path checks no row of such a file."""

    def __init__(self, path: Path, name: str, rules: list[ColumnRule],
                 part_bytes: int = PART_BYTES) -> None:
        self.path, self.name, self.rules, self.part_bytes = path, name, rules, part_bytes
        self.read_problems: list[Problem] = []
        self.row_problems: list[Problem] = []
        self.readable = True

    @property
    def problems(self) -> list[Problem]:
        return self.read_problems + (self.row_problems if self.readable else [])

    def parts(self) -> Iterator[tuple[pd.DataFrame, Source]]:
        """Each checked part's frame and source, in file order, its rows numbered as in
        the file (the rows of the parts before it are counted first: a quoted cell may
        span lines, so rows are not lines)."""
        file, known = self.path.name, {r.name for r in self.rules}
        parts = split_parts(self.path, self.part_bytes)
        head = next(parts, None)
        if head is None:  # a file of no byte: what reading it whole reports
            self.read_problems.append(Problem(file, None, None, None, EMPTY_FILE, "format"))
            self.readable = False
            return
        top = LINE_BREAK.split(head.data[:1 << 20].decode("utf-8-sig", "replace"))
        _, header = header_layout(top[:HEADER_SCAN + 1], known)
        # the title rows and the header, put in front of every later part
        breaks = list(itertools.islice(_LINE_BREAK_BYTES.finditer(head.data), header + 1))
        prefix = head.data[:breaks[-1].end() if breaks else 0]
        row: int | None = None  # the file's row number of the next part's first data row
        for part in itertools.chain([head], parts):
            found: list[Problem] = []
            if part.index == 0:
                read = read_csv_bytes(file, part.data, found, known)
            else:  # the header again in front: the part reads as the file does
                read = read_csv_bytes(file, prefix + part.data, found, known)
                shift = part.line - (header + 2)  # its lines numbered in the file
                found = [replace(p, row=p.row + shift) if p.row is not None else p
                         for p in found if p.row is None or p.row > header + 1]
            self.read_problems += found
            if read is None:
                self.readable = False
                if part.index == 0 and any(p.check == "encoding" for p in found):
                    return  # not text, or not UTF-8: each part would say the same
                continue
            if not self.readable:
                continue  # its rows are not checked, as a whole read checks none
            first = read.first_line if row is None else row
            row = first + len(read.frame)
            checked_problems: list[Problem] = []
            checked = validate_raw(self.name, file, read, self.rules, checked_problems, first)
            if part.index:  # problems of the header line are the first part's, reported once
                checked_problems = [p for p in checked_problems
                                    if p.row is None or p.row >= first]
            if checked is None:
                # a repeated column: the header's problem, which a whole read reports too
                self.read_problems += checked_problems
                self.readable = False
                continue
            self.row_problems += checked_problems
            yield checked

