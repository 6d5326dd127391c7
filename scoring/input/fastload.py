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

The streamed ``--by-unit`` reader (:mod:`.split_by_unit`) reads its dossiers with the same
query (:func:`checked_query`) into a DuckDB database file, and runs the same checks.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..types import TableSpec
from .aliases import HEADER_SCAN, canonical_columns, canonical_values, value_codes
from .column_checks import as_frame, default_array, misspelt_column
from .contract import ColumnRule, RowCheck, row_checks
from .contract_sql import TableSql, identifier, literal, table_sql, text_list
from .csv_text import LINE_BREAK, header_layout
from .dataset import Dataset
from .dates import today_here
from .files import FileScan, find_table_file, scan_file, table_file_problems
from .product_checks import products_checks
from .records import NONEMPTY_TABLES


class NotClean(Exception):
    """The fast path cannot vouch for this dataset; the reference path must read it."""


def _header(path: Path, known: set[str]) -> tuple[list[str], str, int]:
    """The header's cells, the separator and the lines above the header — found as the
    reference path finds them (:func:`.csv_text.header_layout`)."""
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
    except csv.Error as exc:  # a stray CR or quote in the header line (found by fuzzing)
        raise NotClean(f"header: {exc}") from exc
    if not names:
        raise NotClean("empty header")
    return names, sep, header


def load_fast(folder: Path, specs: list[TableSpec],
              rules: dict[str, list[ColumnRule]]) -> Dataset:
    """Load a clean CSV dataset; raise :class:`NotClean` when the reference path must."""
    paths: dict[str, Path] = {}
    absent: dict[str, pa.Table] = {}  # optional tables without their file: no row
    for spec in specs:
        if table_file_problems(folder, spec.name):
            raise NotClean(f"{spec.name}: file problems")
        path = find_table_file(folder, spec.name)
        if path is None:
            if spec.required:
                raise NotClean(f"missing {spec.name}")
            absent[spec.name] = with_defaults(pa.table({}), rules[spec.name])
            continue
        if path.suffix != ".csv":
            raise NotClean(f"{path.name}: not CSV")
        paths[spec.name] = path
    with connect() as db, ThreadPoolExecutor(max_workers=1) as pool:
        # hashing reads the files once more; sha256 releases the GIL, so it overlaps parsing
        scans = {name: pool.submit(scan_file, path) for name, path in paths.items()}
        queries = {name: checked_query(path, name, rules[name]) for name, path in paths.items()}
        tables: dict[str, pa.Table] = {name: query.run(db) for name, query in queries.items()}
        for name, query in queries.items():
            check_lines(name, query.path, tables[name].num_rows, query.lines_above,
                        scans[name].result())
        arrow = {name: with_defaults(table, rules[name]) for name, table in tables.items()}
        arrow.update(absent)
        for name, table in arrow.items():
            db.register(f"t_{name}", table)
            if table.num_rows:  # HR software's labels ("Cán bộ") replaced by their codes
                arrow[name] = table = with_codes(table, code_labels(
                    db, name, f"t_{name}", table.column_names, rules[name]))
                db.register(f"t_{name}", table)
        checks = {s.name: row_checks(s.row_model) for s in specs}
        left = cross_checks_sql(db, arrow, rules, checks)
        hashes = {paths[name].name: scan.result().sha256 for name, scan in scans.items()}
    frames = {s.name: as_frame(arrow.pop(s.name)) for s in specs}  # the checked path's order
    for name, check in left:
        if check.violations(frames[name]).any():
            raise NotClean(f"{name}: {check.check} {check.column}")
    if any(check.failing.any() for check in products_checks(frames)):
        raise NotClean("periods/work_items: cross-row checks")
    return Dataset(folder, frames, dict(sorted(hashes.items())), [])


def connect(database: str = ":memory:", **config: str | int) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection as the fast readers use it: every core, strings as Arrow's
    large_string (what pandas' string dtype holds), no progress bar on the user's terminal;
    ``config``: DuckDB settings (memory_limit, temp_directory)."""
    db = duckdb.connect(database, config={"threads": os.cpu_count() or 1, **config})
    db.execute("SET arrow_large_buffer_size = true")
    db.execute("SET enable_progress_bar = false")
    return db


def check_lines(name: str, path: Path, rows: int, lines_above: int, scan: FileScan) -> None:
    """NotClean unless the ``rows`` DuckDB read from ``path`` are its lines below the
    header (``scan``: the hashing pass's count) and the file holds no NUL byte."""
    if scan.nul:  # the reference path refuses a file holding a NUL byte
        raise NotClean(f"{path.name}: NUL byte")
    if rows != scan.lines - lines_above:
        # a blank line DuckDB skipped, a line break inside a cell
        raise NotClean(f"{path.name}: rows are not lines")
    if name in NONEMPTY_TABLES and not rows:
        raise NotClean(f"{name}: no rows")


@dataclass(frozen=True)
class CheckedQuery:
    """The query reading and checking one CSV file (:func:`checked_query`): its output
    columns are ``o0, o1, …`` (``names``: their canonical names), then ``__fail``."""

    path: Path
    sql: TableSql
    names: list[str]
    lines_above: int  # title rows and the header

    def run(self, db: duckdb.DuckDBPyConnection, into: str | None = None) -> pa.Table | int:
        """The file read by DuckDB's CSV reader (every cell as text), each column typed and
        checked by :func:`.contract_sql.table_sql` in the same pass, named canonically: as
        an Arrow table or, with ``into``, into a new table of ``db`` (out of core; then the
        number of its rows). NotClean when DuckDB can't read a row or a row breaks a rule
        (the reference path then names every problem)."""
        named = ", ".join(f"o{k} AS {identifier(n)}" for k, n in enumerate(self.names))
        rows = f"SELECT {named}, __fail FROM ({self.sql.query})"
        try:
            if into is None:
                table = db.sql(rows).to_arrow_table()
                failed, count = pc.max(table["__fail"]).as_py(), table.num_rows
            else:
                db.execute(f"CREATE TABLE {into} AS {rows}")
                [(failed, count)] = db.execute(
                    f"SELECT max(__fail), count(*) FROM {into}").fetchall()
        except duckdb.Error as exc:  # a row of another width, a quote never closed, not UTF-8
            raise NotClean(f"{self.path.name}: {str(exc).splitlines()[0]}") from exc
        if failed:  # __fail's largest value numbers the check some row breaks
            raise NotClean(f"{self.path.name}: {self.sql.checks[failed - 1]}")
        if into is None:
            return table.drop_columns(["__fail"])
        db.execute(f"ALTER TABLE {into} DROP COLUMN __fail")
        return int(count)


def checked_query(path: Path, name: str, rules: list[ColumnRule]) -> CheckedQuery:
    """The query reading and checking ``path`` (NotClean when the header already says the
    reference path must read the file)."""
    known = {r.name for r in rules}
    headers, sep, skip = _header(path, known)
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
    return CheckedQuery(path, table_sql(reader, cells, values, rules, "c0", today_here()),
                        [n for n, _ in values], skip + 1)


def with_defaults(table: pa.Table, rules: list[ColumnRule]) -> pa.Table:
    """``table`` with each missing optional column as its default (the reference path's
    column, typed alike), the rules' columns first in the model's order."""
    columns = {}
    if not table.num_rows:
        # DuckDB returns no chunk for no row; pandas' Arrow text of no chunk breaks merges
        table = pa.table({name: pa.array([], table.schema.field(name).type)
                          for name in table.column_names})
    for rule in rules:
        if rule.name in table.column_names:
            columns[rule.name] = table[rule.name]
        else:
            columns[rule.name] = pa.chunked_array([default_array(rule, table.num_rows)])
    for name in table.column_names:
        columns.setdefault(name, table[name])
    return pa.table(columns)


def code_labels(db: duckdb.DuckDBPyConnection, name: str, relation: str,
                columns: list[str], rules: list[ColumnRule]) -> dict[str, dict[str, str]]:
    """Column -> {label: code} of the labels HR software writes for the codes ("Cán bộ")
    in ``relation`` (a table or view of ``db`` holding ``columns``), through the one
    statement of the value aliases (:func:`.aliases.canonical_values`) applied to the
    distinct values that are no code; NotClean when a code column holds a value that is
    neither a code nor a label."""
    out: dict[str, dict[str, str]] = {}
    for rule in rules:
        codes = value_codes(name, rule.name, rule.codes)
        if not codes or rule.name not in columns:
            continue
        cell = identifier(rule.name)
        others = [v for (v,) in db.execute(
            f"SELECT DISTINCT {cell} FROM {relation} "
            f"WHERE NOT list_contains({text_list(codes)}, {cell})").fetchall() if v is not None]
        if not others:
            continue
        found = dict(zip(others, canonical_values(pd.Series(others, dtype=object), codes),
                         strict=True))
        labels = {v: c for v, c in found.items() if v != c}
        if rule.kind == "code" and len(labels) < len(others):
            raise NotClean(f"{name}.{rule.name}: code")
        if labels:
            out[rule.name] = labels
    return out


def with_codes(table: pa.Table, labels: dict[str, dict[str, str]]) -> pa.Table:
    """``table`` with each label of :func:`code_labels` replaced by its code."""
    for name, found in labels.items():
        column = table[name]
        at = pc.index_in(column, value_set=pa.array(list(found), column.type))
        coded = pc.take(pa.array(list(found.values()), column.type), at)
        table = table.set_column(table.column_names.index(name), name,
                                 pc.coalesce(coded, column))
    return table


class TableShape(Protocol):
    """What :func:`cross_checks_sql` needs to know of a table: a pyarrow Table has it, and
    so does a table kept in a database (--by-unit's dossiers)."""

    @property
    def column_names(self) -> list[str]: ...

    @property
    def num_rows(self) -> int: ...


def cross_checks_sql(db: duckdb.DuckDBPyConnection, tables: Mapping[str, TableShape],
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
                if table.num_rows:  # the keys' distinct 64-bit hashes, counted: equal
                    # keys hash alike, and keys whose hashes collide only send the data to
                    # the reference path (decision 117: cheaper than the keys themselves)
                    counts.append((f"{name}.{rule.name}: duplicate",
                                   f"SELECT count({key}) - (SELECT count(*) FROM (SELECT "
                                   f"DISTINCT hash({key}) FROM t_{name} WHERE {key} IS NOT "
                                   f"NULL)) FROM t_{name}"))
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
        # fetchall: fetchone leaves the result open, and the connection refuses other work
        [found] = db.execute("SELECT " + ", ".join(f"({sql})" for _, sql in counts)).fetchall()
        for (what, _), broken in zip(counts, found, strict=True):
            if broken:
                raise NotClean(what)
    return left
