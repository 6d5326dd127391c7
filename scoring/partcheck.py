"""The reference checks of one big CSV file, part by part, in bounded memory.

The reference loader (:mod:`scoring.loader`) reads a file whole, as text, to name the file,
row, column and value of every problem. That takes ≈ 12 times the file's size: over 100 GB
for a national dossiers file (≈ 9 GB, 100,000,000 rows). Here the file is cut into parts of
whole lines — never inside a quoted cell — and each part is read with the file's own title
rows and header in front of it, then checked exactly as the whole file would be, its rows
numbered as in the whole file.
Key uniqueness across parts is proven from a 64-bit hash per key; only when two hashes are
equal are the parts read again, to name the rows that repeat a key. Memory: one part, plus
8 bytes per key.

What differs from reading the file whole (decision 41): a file that is not UTF-8 is reported
once per part (the part's first bad line, and how many such lines the part has), not once
for the file; a NUL byte is looked for at the start of every part, not only of the file; a
quote never closed is cut off after :data:`MAX_PART_BYTES`, where that part reports it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from scoring.errors import Problem
from scoring.loader import (
    DUPLICATE_TEXT,
    HEADER_SCAN,
    LINE_BREAK,
    ColumnRule,
    Source,
    header_layout,
    read_csv_bytes,
    validate_raw,
)
from scoring.records import NONEMPTY_TABLES

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


def _line_breaks(data: bytes) -> int:
    """Line breaks as the reference reader counts them (\\r\\n, \\r or \\n)."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


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
    cell is open. The first part holds at least the lines where a header may be."""
    with path.open("rb") as fh:
        buf = b""
        line, index = 1, 0
        while True:
            block = fh.read(part_bytes)
            buf += block
            if not buf:
                return
            if block:
                if index == 0 and _line_breaks(buf) <= HEADER_SCAN:
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
            line += _line_breaks(part)


def _lines_end(data: bytes, count: int) -> int:
    """The byte offset just after the first ``count`` lines of ``data``."""
    end = 0
    for n, m in enumerate(_LINE_BREAK_BYTES.finditer(data), start=1):
        end = m.end()
        if n == count:
            break
    return end


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
        self.rows = 0

    @property
    def problems(self) -> list[Problem]:
        return self.read_problems + (self.row_problems if self.readable else [])

    def parts(self) -> Iterator[tuple[pd.DataFrame, Source]]:
        known = {r.name for r in self.rules}
        file = self.path.name
        prefix, header, row = b"", 0, 0
        self.read_problems, self.row_problems, self.readable, self.rows = [], [], True, 0
        for part in split_parts(self.path, self.part_bytes):
            found: list[Problem] = []
            if part.index == 0:
                top = LINE_BREAK.split(part.data[:1 << 20].decode("utf-8-sig", "replace"))
                _, header = header_layout(top[:HEADER_SCAN + 1], known)
                prefix = part.data[:_lines_end(part.data, header + 1)]
                read = read_csv_bytes(file, part.data, found, known)
                self.read_problems += found
                if read is None and not self._more_to_read(found):
                    return
            else:
                # the header (and title rows) again in front: the part reads as the file does
                read = read_csv_bytes(file, prefix + part.data, found, known)
                offset = part.line - (header + 2)
                self.read_problems += [
                    replace(p, row=p.row + offset) if p.row is not None else p
                    for p in found if p.row is None or p.row > header + 1]
            if read is None:
                self.readable = False
                continue
            if not self.readable:
                continue
            first = read.first_line if part.index == 0 else row
            row = first + len(read.frame)
            found = []
            checked = validate_raw(self.name, file, read, self.rules, found, first)
            # problems of the header line are the first part's, reported once
            self.row_problems += [p for p in found
                                  if part.index == 0 or p.row is None or p.row >= first]
            if checked is None:
                self.readable = False
                continue
            self.rows += len(checked[0])
            yield checked
        if self.readable and self.rows == 0 and self.name in NONEMPTY_TABLES:
            self.row_problems.append(Problem(file, None, None, None, "không có dòng dữ liệu "
                                             "nào (chỉ có dòng tiêu đề)", "format"))

    @staticmethod
    def _more_to_read(found: list[Problem]) -> bool:
        """Whether reading the next parts can still find something: not when the first part
        is not text at all, or not UTF-8 (each part would say the same)."""
        return not any(p.check == "encoding" for p in found)


class KeyHashes:
    """The keys of a table read in parts, as 64-bit hashes: equal keys have equal hashes,
    so keys are unique when the hashes are; equal hashes name the keys to look at."""

    def __init__(self) -> None:
        self._hashes: list[np.ndarray] = []

    def add(self, keys: pd.Series) -> None:
        present = keys[keys.notna()].to_numpy(dtype=object)
        self._hashes.append(pd.util.hash_array(present))

    def repeated(self) -> np.ndarray:
        """The hash values seen more than once (sorted)."""
        if not self._hashes:
            return np.array([], dtype=np.uint64)
        h = np.sort(np.concatenate(self._hashes))
        return np.unique(h[1:][h[1:] == h[:-1]])


def duplicate_problems(check: BigCsvCheck, column: str, repeated: np.ndarray) -> list[Problem]:
    """Read the parts again and name every row whose key repeats an earlier row's, as the
    reference path does (the first occurrence is not reported)."""
    found: list[pd.DataFrame] = []
    for frame, source in check.parts():
        keys = frame[column]
        present = keys.notna().to_numpy()
        hit = np.zeros(len(frame), dtype=bool)
        hit[present] = np.isin(pd.util.hash_array(keys[present].to_numpy(dtype=object)),
                               repeated)
        if hit.any():
            found.append(pd.DataFrame({"line": source.line.to_numpy()[hit],
                                       "key": keys.to_numpy(dtype=object)[hit],
                                       "raw": source.raw[column].to_numpy(dtype=object)[hit]}))
    if not found:
        return []
    rows = pd.concat(found, ignore_index=True).sort_values("line", kind="mergesort")
    dup = rows[rows["key"].duplicated(keep="first")]
    return [Problem(check.path.name, int(line), column, str(raw), DUPLICATE_TEXT, "duplicate")
            for line, raw in zip(dup["line"].tolist(), dup["raw"].tolist(), strict=True)]
