"""The loader's fast path: DuckDB reads clean CSV datasets and checks them in SQL.

Most runs read data that is already clean (HR staff rerun after fixing the last problem),
and for a province the reference path — every cell read as text, stripped, parsed by pandas
— costs ten times the parse itself. This path lets DuckDB's CSV reader read each file (on
every core), types and checks each column in the same pass with SQL generated from the
row models (:mod:`.contract_sql`), and runs the key, reference and row checks as queries.

It only ever *accepts*: at the first sign of anything the reference path would report or
treat specially — a row DuckDB cannot read, a blank required cell, a code out of list, a
duplicate key, a dangling reference, a date out of order, an .xlsx file, a date or number
in a shape the reference path reads otherwise, a blank line — it raises :class:`NotClean`
and :func:`load_dataset` runs the reference path, which names file, row, column and value
of every problem. So the fast path can change how long a run takes, never what it produces
(tests/test_speed.py compares both paths frame by frame).

The pyarrow readers below (:func:`csv_options`, :func:`checked_columns`) are the streamed
``--by-unit`` reader's, which reads the dossiers block by block.
"""

from __future__ import annotations

import csv
import os
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..types import TableSpec
from .aliases import HEADER_SCAN, canonical_columns, canonical_values, value_codes
from .column_checks import (
    EXCEL_ERRORS,
    FALSE_WORDS,
    TRUE_WORDS,
    default_column,
    misspelt_column,
    validate_table,
)
from .contract import ColumnRule, RowCheck, row_checks
from .contract_sql import identifier, literal, table_sql, text_list
from .csv_text import LINE_BREAK, PY_WHITESPACE, header_layout
from .dataset import Dataset
from .dates import MAX_YEAR, MIN_YEAR, plain_datetimes, today_here
from .files import find_table_file, scan_file, table_file_problems
from .product_checks import products_checks
from .records import NONEMPTY_TABLES

# bytes that may begin or end a whitespace character in UTF-8: ASCII whitespace, and any
# byte of a multi-byte character (checked properly, with utf8_trim, only when present)
_MAYBE_SPACE = np.zeros(256, dtype=bool)
_MAYBE_SPACE[[ord(c) for c in PY_WHITESPACE if ord(c) < 0x80]] = True
_MAYBE_SPACE[0x80:] = True
# large_string is what pandas' string dtype holds: reading into it saves a cast per column
ARROW_TYPES = {"str": pa.large_string(), "code": pa.large_string(), "bool": pa.bool_(),
                "float": pa.float64(), "int": pa.int64(), "date": pa.timestamp("ns"),
                "datetime": pa.timestamp("ns")}


class NotClean(Exception):
    """The fast path cannot vouch for this dataset; the reference path must read it."""


@dataclass(frozen=True)
class CsvPlan:
    """How pyarrow reads one CSV file: where its header is (title rows above it are
    skipped), which separator, and each column's type."""

    headers: list[str]  # as written
    canonical: list[str]
    convert: pacsv.ConvertOptions
    sep: str
    skip: int  # lines above the header
    first_row: list[str]  # the first data row's cells, as text ([] when none)

    def read_options(self, **kwargs: Any) -> pacsv.ReadOptions:
        return pacsv.ReadOptions(skip_rows=self.skip, **kwargs)

    def parse_options(self) -> pacsv.ParseOptions:
        return pacsv.ParseOptions(delimiter=self.sep, newlines_in_values=False)


def _header(path: Path, known: set[str]) -> tuple[list[str], str, int, list[str]]:
    """The header's cells, the separator, the lines above the header and the first data
    row's cells — found as the reference path finds them (:func:`.csv_text.header_layout`)."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    end = max(head.rfind(b"\n"), head.rfind(b"\r"))
    if end < 0:
        raise NotClean("no complete header line")
    try:
        lines = LINE_BREAK.split(head[:end].decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise NotClean("header is not UTF-8") from exc
    sep, header = header_layout(lines[:HEADER_SCAN], known)
    if header >= len(lines):
        raise NotClean("no complete header line")
    try:
        names = next(csv.reader([lines[header]], delimiter=sep), [])
        first = next(csv.reader([lines[header + 1]], delimiter=sep), []) \
            if header + 1 < len(lines) else []
    except csv.Error as exc:  # a stray CR or quote in the header line (found by fuzzing)
        raise NotClean(f"header: {exc}") from exc
    if not names:
        raise NotClean("empty header")
    return names, sep, header, first


def _bool_words() -> tuple[list[str], list[str]]:
    def spellings(words: frozenset[str]) -> list[str]:
        out = {v for w in words if w for v in (w, w.upper(), w.capitalize())}
        return sorted(out)

    return spellings(TRUE_WORDS), spellings(FALSE_WORDS)


def csv_options(path: Path, rules: list[ColumnRule]) -> CsvPlan:
    """The file's headers as written, their canonical names, and the typed conversion."""
    known = {r.name for r in rules}
    headers, sep, skip, first = _header(path, known)
    mapping = canonical_columns(headers, known)
    canonical = [mapping[h] for h in headers]
    if len(set(canonical)) != len(canonical):
        raise NotClean("duplicate columns")
    kinds = {r.name: r.kind for r in rules}
    types = {h: ARROW_TYPES[kinds[c]] if c in kinds else pa.large_string()
             for h, c in zip(headers, canonical, strict=True)}
    true_words, false_words = _bool_words()
    convert = pacsv.ConvertOptions(column_types=types, null_values=[""],
                                   strings_can_be_null=False, true_values=true_words,
                                   false_values=false_words, check_utf8=True)
    return CsvPlan(headers, canonical, convert, sep, skip, first)


ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError)


def _read_typed(path: Path, rules: list[ColumnRule]) -> tuple[pa.Table, dict[str, str]]:
    """Parse ``path`` with a type per column; returns the table (columns renamed to their
    canonical names) and canonical name → header as written."""
    plan = csv_options(path, rules)
    headers, canonical = plan.headers, plan.canonical
    dates = date_headers(headers, canonical, rules)
    try:
        if dates_as_text(plan, dates):
            raise NotClean("dates written DD/MM/YYYY")
        table = _parse(path, plan)
    except NotClean:
        if not dates:
            raise
        # HR exports write dates DD/MM/YYYY, which pyarrow's timestamp parser does not
        # read: those columns as text, read by the reference path's byte reader
        dates_as_text(plan, dates, force=True)
        table = dates_from_text(_parse(path, plan), dates)
    if table.column_names != headers:
        raise NotClean("header parsed differently")
    return table.rename_columns(canonical), dict(zip(canonical, headers, strict=True))


def date_headers(headers: list[str], canonical: list[str], rules: list[ColumnRule]
                 ) -> list[str]:
    """The headers (as written) of the date and datetime columns."""
    kinds = {r.name: r.kind for r in rules}
    return [h for h, c in zip(headers, canonical, strict=True)
            if kinds.get(c) in ("date", "datetime")]


def dates_as_text(plan: CsvPlan, dates: list[str], force: bool = False) -> bool:
    """Set ``plan`` to read the ``dates`` columns as text when the first data row writes
    one DD/MM/YYYY (or when ``force``); whether it did. :func:`dates_from_text` then reads
    them: parsing them as timestamps first would only fail."""
    slash = any("/" in cell for h, cell in zip(plan.headers, plan.first_row, strict=False)
                if h in dates)
    if not dates or not (force or slash):
        return False
    plan.convert.column_types = {**plan.convert.column_types,
                                 **dict.fromkeys(dates, pa.large_string())}
    return True


def dates_from_text(table: pa.Table, dates: list[str]) -> pa.Table:
    """``table`` with its ``dates`` columns (read as text) as timestamps."""
    for h in dates:
        table = table.set_column(table.column_names.index(h), h, _day_first(table[h], h))
    return table


def _parse(path: Path, plan: CsvPlan) -> pa.Table:
    try:
        return pacsv.read_csv(path, read_options=plan.read_options(use_threads=True),
                              parse_options=plan.parse_options(),
                              convert_options=plan.convert)
    except ARROW_ERRORS as exc:
        raise NotClean(f"{path.name}: {exc}") from exc


def _day_first(column: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    """A date column read as text, as timestamps: every cell empty (null) or in one of the
    shapes :func:`.dates.plain_datetimes` reads, or the reference path decides."""
    chunks = []
    for chunk in column.chunks:
        empty = np.diff(_string_buffers(chunk)[0]) == 0
        ns, ok = plain_datetimes(chunk)
        if not (ok | empty).all():
            raise NotClean(f"{name}: a date the byte reader leaves to pandas")
        chunks.append(pa.array(ns, pa.timestamp("ns"), mask=empty))
    return pa.chunked_array(chunks, pa.timestamp("ns"))


def _string_buffers(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray | None]:
    """A string chunk's offsets (one per cell, plus the end) and its data bytes (None when
    it has no data buffer), as numpy views of the Arrow buffers."""
    kind = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    _, off_buf, data_buf = chunk.buffers()
    offsets = np.frombuffer(off_buf, dtype=kind)[chunk.offset:chunk.offset + len(chunk) + 1]
    return offsets, None if data_buf is None else np.frombuffer(data_buf, dtype=np.uint8)


def _edges(chunk: pa.Array) -> tuple[np.ndarray, bool]:
    """Which cells of a string chunk are empty, and whether any cell may start or end with
    whitespace — read straight from the offsets and data buffers, without a kernel pass."""
    offsets, data = _string_buffers(chunk)
    empty = np.diff(offsets) == 0
    if data is None or not len(chunk) or empty.all():
        return empty, False
    starts = offsets[:-1][~empty]
    ends = offsets[1:][~empty] - 1
    return empty, bool(_MAYBE_SPACE[data[starts]].any() or _MAYBE_SPACE[data[ends]].any())


def _blank_to_null(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """Cells stripped like ``str.strip()``; empty cells become null (the reference path's
    ``s.where(s != "", None)``)."""
    chunks = []
    for chunk in arr.chunks:
        if chunk.null_count:
            chunks.append(_trim_full(chunk))
            continue
        empty, maybe_space = _edges(chunk)
        if maybe_space:
            chunks.append(_trim_full(chunk))
        elif empty.any():
            chunks.append(pc.if_else(pa.array(~empty), chunk, pa.scalar(None, chunk.type)))
        else:
            chunks.append(chunk)
    return pa.chunked_array(chunks, type=arr.type)


def _trim_full(chunk: pa.Array) -> pa.Array:
    trimmed = pc.utf8_trim(chunk, characters=PY_WHITESPACE)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, chunk.type), trimmed)


def _string_flags(arr: pa.ChunkedArray) -> tuple[bool, bool, bool]:
    """Whether any cell may be an Excel error (starts with '#'), whether any byte is
    non-ASCII and whether any is NUL, read from the offsets and data buffers: a regex or a
    per-value kernel over 2,000,000 cells is then only run when one of these says it could
    find something."""
    hash_mark = non_ascii = nul = False
    for chunk in arr.chunks:
        if not len(chunk):
            continue
        offsets, buffer = _string_buffers(chunk)
        if buffer is None:
            continue
        data = buffer[offsets[0]:offsets[-1]]
        starts = offsets[:-1][np.diff(offsets) > 0] - offsets[0]
        hash_mark = hash_mark or bool((data[starts] == ord("#")).any())
        non_ascii = non_ascii or bool((data >= 0x80).any())
        nul = nul or bool((data == 0).any())
    return hash_mark, non_ascii, nul


def _any(mask: pa.ChunkedArray | pa.Array) -> bool:
    return bool(pc.any(mask).as_py())


def checked_columns(name: str, table: pa.Table, rules: list[ColumnRule]
                    ) -> dict[str, pa.ChunkedArray | object]:
    """The per-row checks of one table (or one batch of it), as arrow columns: values
    trimmed, blanks null, defaults filled; a missing optional column is its default."""
    n = table.num_rows
    if n and table.num_columns:
        # A row of empty cells is dropped by the reference path (which keeps counting
        # lines); every such row has a blank first cell, so a blank first cell sends the
        # file there (a required first column would be reported anyway).
        first = table.column(0)
        blank = first.null_count if not pa.types.is_large_string(first.type) \
            else _blank_to_null(first).null_count
        if blank:
            raise NotClean(f"{name}: blank first cell")
    known = {r.name for r in rules}
    unknown = [c for c in table.column_names if c not in known]
    cols: dict[str, pa.ChunkedArray | object] = {}
    for rule in rules:
        if rule.name not in table.column_names:
            if not rule.has_default or misspelt_column(rule.name, unknown) is not None:
                raise NotClean(f"{name}: missing column {rule.name}")
            cols[rule.name] = default_column(rule, pd.RangeIndex(n))
            continue
        arr = table[rule.name]
        if rule.kind in ("str", "code"):
            arr = _blank_to_null(arr)
            hash_mark, non_ascii, nul = _string_flags(arr)
            if nul:  # the checked path refuses a file holding a NUL byte
                raise NotClean(f"{name}.{rule.name}: NUL byte")
            if hash_mark and _any(pc.fill_null(pc.match_substring_regex(arr, EXCEL_ERRORS),
                                               False)):
                raise NotClean(f"{name}.{rule.name}: Excel error cell")
            if non_ascii and not _nfc(arr):
                raise NotClean(f"{name}.{rule.name}: not NFC")
            codes = value_codes(name, rule.name, rule.codes)
            if codes and _any(pc.invert(pc.fill_null(pc.is_in(
                    arr, value_set=pa.array(codes, pa.string())), True))):
                # HR software's labels ("Cán bộ") for the codes, as every path reads them
                arr = pa.chunked_array([pa.array(canonical_values(
                    arr.to_pandas().fillna(""), codes).replace("", None), arr.type)])
        if rule.kind in ("date", "datetime"):
            # the earliest and latest years settle the range (one pass, no year per cell)
            bounds = pc.min_max(arr)
            low, high = bounds["min"].as_py(), bounds["max"].as_py()
            if low is not None and not (MIN_YEAR <= low.year and high.year <= MAX_YEAR):
                raise NotClean(f"{name}.{rule.name}: year out of range")
            if rule.past:
                tomorrow = pa.scalar(pd.Timestamp(today_here()) + pd.Timedelta(days=1),
                                     arr.type)
                if _any(pc.fill_null(pc.greater_equal(arr, tomorrow), False)):
                    raise NotClean(f"{name}.{rule.name}: future")
        if rule.kind == "bool":
            # an empty cell reads as false in the reference path (unless it is required)
            if rule.required and arr.null_count:
                raise NotClean(f"{name}.{rule.name}: blank")
            arr = pc.fill_null(arr, False)
        elif rule.required and arr.null_count:
            raise NotClean(f"{name}.{rule.name}: blank")
        if rule.kind == "code" and _any(pc.and_(pc.is_valid(arr), pc.invert(
                pc.is_in(arr, value_set=pa.array(rule.codes, pa.string()))))):
            raise NotClean(f"{name}.{rule.name}: code")
        if rule.kind in ("float", "int"):
            if rule.kind == "float":
                values = arr.to_numpy()
                # a literal NaN is "not a number" there; "-0" reads as 0 there, -0.0 here
                if int(np.isnan(values).sum()) != arr.null_count \
                        or bool(((values == 0) & np.signbit(values)).any()):
                    raise NotClean(f"{name}.{rule.name}: NaN or -0")
            lo = -np.inf if rule.ge is None else rule.ge
            hi = np.inf if rule.le is None else rule.le
            if _any(pc.fill_null(pc.or_(pc.less(arr, lo), pc.greater(arr, hi)), False)):
                raise NotClean(f"{name}.{rule.name}: range")
            if rule.has_default and rule.default is not None:
                arr = pc.fill_null(arr, pa.scalar(rule.default, arr.type))
        if rule.kind == "date" and not _midnights(arr):
            arr = pc.floor_temporal(arr, unit="day")
        cols[rule.name] = arr
    for c in table.column_names:
        if c not in known and c.strip() != "" and not c.startswith("Unnamed"):
            cols[c] = table[c]  # kept as written, like the reference path
    return cols


def to_frame(cols: dict[str, pa.ChunkedArray | object], rules: list[ColumnRule],
             n: int) -> pd.DataFrame:
    """The pandas frame of checked columns, with the reference path's dtypes."""
    kinds = {r.name: r.kind for r in rules}
    frame = pd.DataFrame(index=pd.RangeIndex(n))
    for col, value in cols.items():
        if not isinstance(value, pa.ChunkedArray):
            frame[col] = value
        elif kinds.get(col) == "int":
            frame[col] = value.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
        else:
            frame[col] = value.to_pandas()
    return frame


_DAY_NS = 86_400 * 10**9


def _midnights(arr: pa.ChunkedArray) -> bool:
    """Whether every timestamp[ns] value is at midnight (a date column written as dates),
    so flooring to the day would change nothing."""
    ints = pc.fill_null(arr.cast(pa.int64()), 0)
    return all(bool((c.to_numpy() % _DAY_NS == 0).all()) for c in ints.chunks)


def _nfc(arr: pa.ChunkedArray) -> bool:
    """Whether every non-ASCII value is already NFC (the reference path normalises)."""
    odd = pc.filter(arr, pc.invert(pc.fill_null(pc.string_is_ascii(arr), True)))
    return all(unicodedata.is_normalized("NFC", v) for v in pc.unique(odd).to_pylist())


def load_fast(folder: Path, specs: list[TableSpec],
              rules: dict[str, list[ColumnRule]]) -> Dataset:
    """Load a clean CSV dataset; raise :class:`NotClean` when the reference path must."""
    paths: dict[str, Path] = {}
    empty: dict[str, pd.DataFrame] = {}
    for spec in specs:
        if table_file_problems(folder, spec.name):
            raise NotClean(f"{spec.name}: file problems")
        path = find_table_file(folder, spec.name)
        if path is None:
            if spec.required:
                raise NotClean(f"missing {spec.name}")
            blank = pd.DataFrame({r.name: pd.Series(dtype=object) for r in rules[spec.name]})
            empty[spec.name], _ = validate_table(spec.name, f"{spec.name}.csv",
                                                  blank.astype(str), rules[spec.name], [])
            continue
        if path.suffix != ".csv":
            raise NotClean(f"{path.name}: not CSV")
        paths[spec.name] = path
    with duckdb.connect(config={"threads": os.cpu_count() or 1}) as db, \
            ThreadPoolExecutor(max_workers=1) as pool:
        # strings as Arrow's large_string: what pandas' string dtype holds
        db.execute("SET arrow_large_buffer_size = true")
        db.execute("SET enable_progress_bar = false")  # nothing on the user's terminal
        # hashing reads the files once more; sha256 releases the GIL, so it overlaps parsing
        scans = {name: pool.submit(scan_file, path) for name, path in paths.items()}
        tables = {name: read_checked(db, path, name, rules[name])
                  for name, path in paths.items()}
        for name, path in paths.items():
            scan = scans[name].result()
            if scan.nul:  # the reference path refuses a file holding a NUL byte
                raise NotClean(f"{path.name}: NUL byte")
            if tables[name].num_rows != scan.lines - tables[name].lines_above:
                # a blank line DuckDB skipped, a line break inside a cell
                raise NotClean(f"{path.name}: rows are not lines")
            if name in NONEMPTY_TABLES and not tables[name].num_rows:
                raise NotClean(f"{name}: no rows")
        arrow = {name: with_defaults(read.table, rules[name]) for name, read in tables.items()}
        arrow.update({name: pa.Table.from_pandas(frame, preserve_index=False)
                      for name, frame in empty.items()})
        for name, table in arrow.items():
            arrow[name] = table = settle_codes(db, name, table, rules[name])
            db.register(f"t_{name}", table)
        checks = {s.name: row_checks(s.row_model) for s in specs}
        left = cross_checks_sql(db, arrow, rules, checks)
        hashes = {paths[name].name: scan.result().sha256 for name, scan in scans.items()}
    frames = {}
    for spec in specs:  # the tables in the checked path's order
        if spec.name in empty:
            frames[spec.name] = empty[spec.name]
        else:
            frames[spec.name] = arrow.pop(spec.name).to_pandas(
                types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    for name, check in left:
        if check.violations(frames[name]).any():
            raise NotClean(f"{name}: {check.check} {check.column}")
    if any(check.failing.any() for check in products_checks(frames)):
        raise NotClean("periods/work_items: cross-row checks")
    return Dataset(folder, frames, dict(sorted(hashes.items())), [])


@dataclass(frozen=True)
class ReadTable:
    """A table DuckDB read and checked: its columns (canonical names) and the lines of its
    file above the first row (title rows and the header)."""

    table: pa.Table
    lines_above: int

    @property
    def num_rows(self) -> int:
        return self.table.num_rows


def read_checked(db: duckdb.DuckDBPyConnection, path: Path, name: str,
                 rules: list[ColumnRule]) -> ReadTable:
    """Read ``path`` with DuckDB's CSV reader (every cell as text), typing and checking each
    column by :func:`.contract_sql.table_sql` in the same pass; NotClean at the first row
    breaking a rule (the reference path then names every one)."""
    known = {r.name for r in rules}
    headers, sep, skip, _ = _header(path, known)
    mapping = canonical_columns(headers, known)
    canonical = [mapping[h] for h in headers]
    if len(set(canonical)) != len(canonical):
        raise NotClean(f"{name}: duplicate columns")
    source = {c: f"c{i}" for i, c in enumerate(canonical)}
    unknown = [c for c in canonical if c not in known]
    for rule in rules:
        if rule.name not in source and (not rule.has_default
                                        or misspelt_column(rule.name, unknown) is not None):
            raise NotClean(f"{name}: missing column {rule.name}")
    cells = {r.name: source[r.name] for r in rules if r.name in source}
    values = list(cells.items()) + [(c, source[c]) for c in unknown
                                    if c.strip() != "" and not c.startswith("Unnamed")]
    columns = "{" + ", ".join(f"{literal(f'c{i}')}: 'VARCHAR'"
                              for i in range(len(headers))) + "}"
    reader = (f"read_csv({literal(str(path))}, skip = {skip}, header = true, "
              f"columns = {columns}, delim = {literal(sep)}, quote = '\"', escape = '\"', "
              "auto_detect = false, strict_mode = true, null_padding = false, "
              "encoding = 'utf-8')")
    sql = table_sql(reader, cells, values, rules, "c0", today_here())
    try:
        table = db.sql(sql.query).to_arrow_table()
    except duckdb.Error as exc:  # a row of another width, a quote never closed, not UTF-8
        raise NotClean(f"{path.name}: {str(exc).splitlines()[0]}") from exc
    failed = pc.max(table["__fail"]).as_py()
    if failed:
        raise NotClean(f"{path.name}: {sql.checks[failed - 1]}")
    table = table.drop_columns(["__fail"]).rename_columns([n for n, _ in values])
    return ReadTable(table, skip + 1)


def with_defaults(table: pa.Table, rules: list[ColumnRule]) -> pa.Table:
    """``table`` with each missing optional column as its default (the reference path's
    column, typed alike), the rules' columns first in the model's order."""
    index = pd.RangeIndex(table.num_rows)
    columns = {}
    if not table.num_rows:
        # DuckDB returns no chunk for no row; pandas' Arrow text of no chunk breaks merges
        table = pa.table({name: pa.array([], table.schema.field(name).type)
                          for name in table.column_names})
    for rule in rules:
        if rule.name in table.column_names:
            columns[rule.name] = table[rule.name]
        else:
            columns[rule.name] = pa.chunked_array(
                [pa.array(default_column(rule, index), from_pandas=True)])
    for name in table.column_names:
        columns.setdefault(name, table[name])
    return pa.table(columns)


def settle_codes(db: duckdb.DuckDBPyConnection, name: str, table: pa.Table,
                 rules: list[ColumnRule]) -> pa.Table:
    """``table`` with HR software's labels ("Cán bộ") replaced by their codes, through the
    one statement of the value aliases (:func:`.aliases.canonical_values`) applied to the
    distinct values that are no code; NotClean when a code column holds a value that is
    neither a code nor a label."""
    for rule in rules:
        codes = value_codes(name, rule.name, rule.codes)
        if not codes or rule.name not in table.column_names or table.num_rows == 0:
            continue
        column = table[rule.name]
        db.register("codes_column", pa.table({"v": column}))
        others = [v for (v,) in db.execute(
            f"SELECT DISTINCT v FROM codes_column WHERE NOT list_contains({text_list(codes)}, v)"
        ).fetchall() if v is not None]
        db.unregister("codes_column")
        if not others:
            continue
        found = dict(zip(others, canonical_values(pd.Series(others, dtype=object), codes),
                         strict=True))
        labels = {v: c for v, c in found.items() if v != c}
        if rule.kind == "code" and len(labels) < len(others):
            raise NotClean(f"{name}.{rule.name}: code")
        if labels:
            at = pc.index_in(column, value_set=pa.array(list(labels), column.type))
            coded = pc.take(pa.array(list(labels.values()), column.type), at)
            table = table.set_column(table.column_names.index(rule.name), rule.name,
                                     pc.coalesce(coded, column))
    return table


def cross_checks_sql(db: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table],
                     rules: dict[str, list[ColumnRule]],
                     checks: dict[str, tuple[RowCheck, ...]]
                     ) -> list[tuple[str, RowCheck]]:
    """Keys unique, references found and the declared row checks, as one query over the
    tables (registered in ``db`` as ``t_<name>``) counting the rows breaking each; NotClean
    naming the first broken. Returns the row checks without an SQL form, to be run on the
    frames. A table of no row breaks nothing, and is not scanned."""
    counts: list[tuple[str, str]] = []  # what is checked, SQL counting the rows breaking it
    keys: dict[str, str] = {}
    for name, table in tables.items():
        for rule in rules[name]:
            if rule.key and rule.name in table.column_names:
                key = identifier(rule.name)
                keys[name] = key
                if table.num_rows:  # DISTINCT then count: cheaper than count(DISTINCT)
                    counts.append((f"{name}.{rule.name}: duplicate",
                                   f"SELECT count({key}) - (SELECT count(*) FROM (SELECT "
                                   f"DISTINCT {key} FROM t_{name} WHERE {key} IS NOT NULL)) "
                                   f"FROM t_{name}"))
    left = []
    for name, table in tables.items():
        if not table.num_rows:
            continue
        for rule in rules[name]:
            if rule.ref and rule.name in table.column_names and rule.ref in keys:
                ref, key = identifier(rule.name), keys[rule.ref]
                counts.append((f"{name}.{rule.name}: reference",
                               f"SELECT count(*) FROM t_{name} WHERE {ref} IS NOT NULL AND "
                               f"{ref}::VARCHAR NOT IN (SELECT {key}::VARCHAR FROM "
                               f"t_{rule.ref} WHERE {key} IS NOT NULL)"))
        for check in checks.get(name, ()):
            if not set(check.columns()) <= set(table.column_names):
                continue  # a column missing (reported already) breaks nothing
            failing = check.failing_sql(identifier)
            if failing is None:
                left.append((name, check))
            else:
                counts.append((f"{name}: {check.check} {check.column}",
                               f"SELECT count(*) FROM t_{name} WHERE {failing}"))
    if counts:
        found = db.execute("SELECT " + ", ".join(f"({sql})" for _, sql in counts)).fetchone()
        for (what, _), broken in zip(counts, found or (), strict=True):
            if broken:
                raise NotClean(what)
    return left
