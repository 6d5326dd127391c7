"""The reference checks of one big CSV file, part by part, in bounded memory.

The reference path (:mod:`.reference_read`) reads a file whole, as text, to name the file,
row, column and value of every problem. That takes ≈ 12 times the file's size: over 100 GB
for a national dossiers file (≈ 9 GB, 100,000,000 rows). Here the file is cut into parts of
whole lines — never inside a quoted cell — and each part is read with the file's own title
rows and header in front of it, then checked exactly as the whole file would be, its rows
numbered as in the whole file.
Keys repeated across parts are found by the caller over every part's rows
(:mod:`.split_by_unit`). Memory: one part.

What differs from reading the file whole (decision 41): a file that is not UTF-8 is reported
once per part (the part's first bad line, and how many such lines the part has), not once
for the file; a NUL byte is looked for at the start of every part, not only of the file; a
quote never closed is cut off after :data:`MAX_PART_BYTES`, where that part reports it.
"""

from __future__ import annotations

import itertools
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import Problem
from .aliases import HEADER_SCAN
from .column_checks import validate_raw
from .contract import ColumnRule
from .csv_text import LINE_BREAK, header_layout, read_csv_bytes
from .dataset import Source
from .raw_table import EMPTY_FILE
from .records import NONEMPTY_TABLES

PART_BYTES = 32 << 20  # a part read as text by pandas takes ≈ 12 times its size
# a quote never closed would make one part of the rest of the file: past this, it is cut at
# a line break anyway (and the part reports the quote)
MAX_PART_BYTES = 256 << 20
_LINE_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True)
class Part:
    """Whole lines of a file: ``line`` is the file's line number of the first one, ``start``
    the byte offset of the part in the file."""

    index: int
    line: int
    data: bytes
    start: int = 0


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
    cell is open. The first part holds at least the lines where a header may be."""
    with path.open("rb") as fh:
        buf = b""
        line, index, start = 1, 0, 0
        while True:
            block = fh.read(part_bytes)
            buf += block
            if not buf:
                return
            if block:
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
            yield Part(index, line, part, start)
            index += 1
            line += count_line_breaks(part)
            start += len(part)


def _lines_end(data: bytes, count: int) -> int:
    """The byte offset just after the first ``count`` lines of ``data``."""
    end = 0
    for n, m in enumerate(_LINE_BREAK_BYTES.finditer(data), start=1):
        end = m.end()
        if n == count:
            break
    return end


@dataclass(frozen=True)
class _Context:
    """What checking any part of one file needs, sent once to each worker process."""

    path: Path
    name: str
    rules: list[ColumnRule]
    header: int  # line index of the header (title rows above it)
    prefix: bytes  # the title rows and the header, put in front of every later part
    fn: Callable[[pd.DataFrame, Source], Any] | None  # run on each checked part, in the worker


@dataclass(frozen=True)
class _Job:
    index: int
    line: int
    start: int
    size: int


@dataclass
class _Checked:
    """One part's checks. Rows are numbered as if the part's data began the file's data (the
    caller knows how many rows came before; the part does not)."""

    index: int
    read_problems: list[Problem]  # numbered in the file (they count lines, not rows)
    read: bool  # False: the part could not be read as CSV
    records: int = 0  # rows read, blank ones included (the next part's numbering)
    first: int = 0  # the row number its first data row was given
    row_problems: list[Problem] = field(default_factory=list)
    checked: bool = False  # False: a repeated column, nothing checked
    rows: int = 0  # rows kept (blank ones dropped)
    payload: Any = None  # fn(frame, source), or (frame, source) when there is no fn


def _check(ctx: _Context, job: _Job) -> _Checked:
    with ctx.path.open("rb") as fh:
        fh.seek(job.start)
        data = fh.read(job.size)
    file, known = ctx.path.name, {r.name for r in ctx.rules}
    found: list[Problem] = []
    if job.index == 0:
        read = read_csv_bytes(file, data, found, known)
    else:
        # the header (and title rows) again in front: the part reads as the file does
        read = read_csv_bytes(file, ctx.prefix + data, found, known)
        offset = job.line - (ctx.header + 2)
        found = [replace(p, row=p.row + offset) if p.row is not None else p
                 for p in found if p.row is None or p.row > ctx.header + 1]
    if read is None:
        return _Checked(job.index, found, read=False)
    out = _Checked(job.index, found, read=True, records=len(read.frame), first=read.first_line)
    checked = validate_raw(ctx.name, file, read, ctx.rules, out.row_problems)
    if job.index:  # problems of the header line are the first part's, reported once
        out.row_problems = [p for p in out.row_problems if p.row is None or p.row >= out.first]
    if checked is not None:
        out.checked, out.rows = True, len(checked[0])
        out.payload = checked if ctx.fn is None else ctx.fn(*checked)
    return out


_WORKER: _Context | None = None  # set in each worker process by _start_worker


def _start_worker(ctx: _Context) -> None:
    global _WORKER
    _WORKER = ctx


def _check_in_worker(job: _Job) -> _Checked:
    assert _WORKER is not None, "_start_worker runs first in every worker"
    return _check(_WORKER, job)


def default_workers() -> int:
    """Processes for checking parts: the cores this process may use, at most 4 (each holds
    a part read as text, ≈ 12 times :data:`PART_BYTES`)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def shift_rows(problems: Iterable[Problem], shift: int) -> list[Problem]:
    """``problems`` of a part numbered from its first row, numbered in the file."""
    return [replace(p, row=p.row + shift) if p.row is not None else p for p in problems]


class BigCsvCheck:
    """The reference checks of one CSV table read part by part.

    Iterate :meth:`parts` for each part's checked frame and source, or :meth:`map` to run a
    function on each checked part in worker processes (the caller adds its checks across
    tables, into :attr:`row_problems`); then :attr:`problems` holds what reading the whole
    file would have reported — without the row checks when some part could not be read at
    all, as the reference path checks no row of such a file."""

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
        """Each checked part's frame and source, its rows numbered as in the file (in this
        process, one part at a time)."""
        for (frame, source), shift in self.map(None, workers=1):
            yield frame, Source(source.file, source.line + shift, source.raw,
                                source.headers)

    def map(self, fn: Callable[[pd.DataFrame, Source], Any] | None, workers: int = 1
            ) -> Iterator[tuple[Any, int]]:
        """``(fn(frame, source), shift)`` for each checked part, in file order, where the
        part's rows are numbered from the file's first data row: adding ``shift`` numbers
        them in the file (``fn`` can't: the rows of the parts before it are not yet
        counted). With ``workers`` > 1 the parts are checked by that many processes, at
        most ``workers`` + 1 parts in flight; ``fn`` must then be picklable."""
        known = {r.name for r in self.rules}
        self.read_problems, self.row_problems, self.readable, self.rows = [], [], True, 0
        parts = split_parts(self.path, self.part_bytes)
        head = next(parts, None)
        if head is None:  # a file of no byte: what reading it whole reports
            self.read_problems.append(Problem(self.path.name, None, None, None, EMPTY_FILE,
                                              "format"))
            self.readable = False
            return
        top = LINE_BREAK.split(head.data[:1 << 20].decode("utf-8-sig", "replace"))
        _, header = header_layout(top[:HEADER_SCAN + 1], known)
        ctx = _Context(self.path, self.name, self.rules, header,
                       head.data[:_lines_end(head.data, header + 1)], fn)
        jobs = (_Job(p.index, p.line, p.start, len(p.data))
                for p in itertools.chain([head], parts))
        row: int | None = None  # the file's row number of the next part's first data row
        for done in _in_order(ctx, jobs, workers):
            self.read_problems += done.read_problems
            if not done.read:
                self.readable = False
                if done.index == 0 and not self._more_to_read(done.read_problems):
                    return
                continue
            if not self.readable:
                continue
            base = done.first if row is None else row
            shift, row = base - done.first, base + done.records
            if not done.checked:
                # a repeated column: the header's problem, which a whole read reports too
                self.read_problems += shift_rows(done.row_problems, shift)
                self.readable = False
                continue
            self.row_problems += shift_rows(done.row_problems, shift)
            self.rows += done.rows
            yield done.payload, shift
        if self.readable and self.rows == 0 and self.name in NONEMPTY_TABLES:
            self.row_problems.append(Problem(self.path.name, None, None, None,
                                             "không có dòng dữ liệu nào (chỉ có dòng tiêu đề)",
                                             "format"))

    @staticmethod
    def _more_to_read(found: list[Problem]) -> bool:
        """Whether reading the next parts can still find something: not when the first part
        is not text at all, or not UTF-8 (each part would say the same)."""
        return not any(p.check == "encoding" for p in found)


def _in_order(ctx: _Context, jobs: Iterator[_Job], workers: int) -> Iterator[_Checked]:
    """Each job's checks, in job order; with ``workers`` > 1 in that many processes (the
    platform's default start method), a bounded number of parts at a time."""
    if workers <= 1:
        for job in jobs:
            yield _check(ctx, job)
        return
    pool = ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(ctx,))
    try:
        pending: deque[Future[_Checked]] = deque()
        for job in jobs:
            pending.append(pool.submit(_check_in_worker, job))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        # a caller that stops early (an unreadable first part) leaves parts unchecked
        pool.shutdown(wait=True, cancel_futures=True)
