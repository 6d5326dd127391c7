"""Reading a dataset too big for memory (``--by-unit``): the dossiers out of core in DuckDB,
split by group of units, handed to the run one group at a time.

National scale is 2,000,000 officials and 100,000,000 dossiers (≈ 9 GB of CSV, ≈ 8 GB as
columns in memory). Only the dossiers are that big, and every result depends only on the
official's own unit (:mod:`.shard`), so:

1. every table but ``dossiers`` is loaded and checked as usual (fast path);
2. ``dossiers.csv`` is read by the whole run's query (:func:`.fastload.checked_query`: every
   column typed and checked by the SQL generated from the row model) into a table of a DuckDB
   database file in the run's workdir, whose memory is bounded (:data:`MEMORY_LIMIT`; the
   rest spills to disk there); its keys, references and row checks are the whole run's
   queries (:func:`.fastload.cross_checks_sql`), and its labels are settled by the whole
   run's code (:func:`.fastload.code_labels`);
3. one more query writes each group's dossiers — the group of the handling official — to
   parquet files with their place in the file (:class:`GroupFiles`);
4. :meth:`GroupedDataset.parts` then reads each group back (in file order) with its
   officials and their rows of every other table, made a frame by the whole run's code
   (``with_defaults``, ``with_codes``, ``as_frame``): the plugins see exactly what they
   would see in a whole run, minus other units' rows, so they need no change.

At the first doubt the checked path takes over, still in bounded memory: the other tables
go through the reference path (they are small), and ``dossiers.csv`` through the reference
checks part by part (:mod:`.partcheck`), its checked rows appended to the same DuckDB table
and split by the same query. Input with problems then gets the report a whole run gives —
file, row, column and value of every problem, in one
:class:`~xeploai.scoring.errors.InvalidInputError`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import Problem
from ..frames import TEXT
from ..types import TableSpec
from .column_checks import ARROW_TYPES, as_frame
from .contract import ColumnRule, RowCheck, column_rules, row_checks
from .contract_sql import identifier, literal
from .cross_checks import (
    DUPLICATE_TEXT,
    cross_checks,
    drop_warned_rows,
    raise_errors,
    rows_left_out,
)
from .dataset import Dataset, Source
from .fastload import (
    NotClean,
    TableShape,
    check_lines,
    checked_query,
    code_labels,
    connect,
    cross_checks_sql,
    load_fast,
    with_codes,
    with_defaults,
)
from .files import FileScan, scan_file
from .partcheck import PART_BYTES, BigCsvCheck
from .records import CORE_TABLES
from .reference_read import read_tables
from .shard import official_columns, subset, unit_groups

BIG = "dossiers"  # the one table read out of core: the others fit in memory at national scale
TABLE = f"t_{BIG}"  # its name in the database, as cross_checks_sql names a table
ROW = "__row"  # a dossier's place in its file: each group's dossiers are read back in order
GROUP = "__group"
RAW_KEY = "__raw_key"  # the checked path's key as written, to quote in a problem
# DuckDB's share of a national run's 8 GiB while it reads (the process also holds the
# other tables); closed before the first group is classified. More is not faster: at 8M
# dossiers, writing the groups took 7.4 s with 3 GB and 5.8 s with 500 MB
MEMORY_LIMIT = "2GB"


@dataclass(frozen=True)
class ByUnit:
    """How ``--by-unit`` reads: groups of units of at most ``max_officials`` officials, each
    group's dossiers in files under ``workdir`` (default: the system's temporary folder);
    the checked path reads ``dossiers.csv`` in parts of ``part_bytes``."""

    max_officials: int = 100_000
    workdir: Path | None = None
    part_bytes: int = PART_BYTES


@dataclass(frozen=True)
class GroupFiles:
    """Each group's checked dossiers, as parquet files under ``folder`` (one folder
    ``__group=<i>`` a group), and what turns them into the whole run's frame."""

    folder: Path
    schema: pa.Schema  # the dossiers' columns as read (a group without dossiers is empty)
    rules: list[ColumnRule]
    labels: dict[str, dict[str, str]]  # column -> {label: code} (fastload.code_labels)
    due_years: dict[int, int]  # year -> dossiers due in it

    def frame(self, group: int) -> pd.DataFrame:
        """The dossiers of ``group``, in file order, as the whole run's frame."""
        files = self.folder / f"{GROUP}={group}"
        if files.is_dir():
            with connect() as db:
                table = db.sql(
                    f"SELECT * EXCLUDE ({ROW}) FROM read_parquet("
                    f"{literal(str(files / '*.parquet'))}, hive_partitioning = false) "
                    f"ORDER BY {ROW}").to_arrow_table()
        else:  # no dossier handled in these units
            table = self.schema.empty_table()
        return as_frame(with_codes(with_defaults(table, self.rules), self.labels))


class DossierStore:
    """The dossiers of a ``--by-unit`` run out of core: a table in a DuckDB database file
    under ``workdir``, memory bounded by :data:`MEMORY_LIMIT` (the rest spills there).
    Filled by :meth:`read` (fast path) or :meth:`append` (checked path), then written out
    by group (:meth:`split`). A context manager: leaving it closes the database. Its
    shape (:class:`.fastload.TableShape`) is the table's."""

    def __init__(self, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        self.db = connect(str(workdir / "dossiers.duckdb"), memory_limit=MEMORY_LIMIT,
                          temp_directory=str(workdir / "spill"))
        self._created = False
        self.num_rows = 0  # rows read (fast path)

    @property
    def column_names(self) -> list[str]:
        return self.db.table(TABLE).columns

    def __enter__(self) -> DossierStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()
        (self.workdir / "dossiers.duckdb").unlink(missing_ok=True)

    def read(self, path: Path, rules: list[ColumnRule], scan: FileScan) -> None:
        """Read ``path`` by the whole run's query; NotClean at the first row breaking a
        rule, or when its rows are not the lines ``scan`` counted."""
        query = checked_query(path, BIG, rules)
        self.num_rows = int(query.run(self.db, TABLE))
        self._created = True
        check_lines(BIG, path, self.num_rows, query.lines_above, scan)

    def check(self, tables: dict[str, pd.DataFrame], rules: dict[str, list[ColumnRule]],
              checks: tuple[RowCheck, ...]) -> dict[str, dict[str, str]]:
        """The whole run's key, reference and row checks of the dossiers (``tables``: the
        tables they refer to, checked already), NotClean at the first broken; returns
        the labels of their codes (:func:`.fastload.code_labels`)."""
        shapes: dict[str, TableShape] = {BIG: self}
        own = {BIG: rules[BIG]}
        for name in {r.ref for r in rules[BIG] if r.ref}:
            key = next(r for r in rules[name] if r.key)
            shapes[name] = keys = pa.table({key.name: pa.array(
                tables[name][key.name], TEXT, from_pandas=True)})
            self.db.register(f"t_{name}", keys)
            own[name] = [key]  # their keys only: their own checks are done
        if cross_checks_sql(self.db, shapes, own, {BIG: checks}):
            raise NotClean(f"{BIG}: a row check without SQL")
        return code_labels(self.db, BIG, TABLE, self.column_names, rules[BIG])

    def append(self, rows: pa.Table) -> None:
        """Add checked rows (the checked path's, numbered by :data:`ROW`)."""
        self.db.register("checked_rows", rows)
        if self._created:
            self.db.execute(f"INSERT INTO {TABLE} BY NAME SELECT * FROM checked_rows")
        else:
            self.db.execute(f"CREATE TABLE {TABLE} AS SELECT * FROM checked_rows")
            self._created = True
        self.db.unregister("checked_rows")

    def duplicates(self, file: str, key: str, header: str | None) -> list[Problem]:
        """The checked path's rows repeating an earlier row's ``key``, named as the
        reference path names them (the first of them is not)."""
        if not self._created or RAW_KEY not in self.column_names:
            return []
        cell = identifier(key)
        rows = self.db.execute(
            f"SELECT {ROW}, {RAW_KEY} FROM (SELECT {ROW}, {RAW_KEY}, row_number() OVER "
            f"(PARTITION BY {cell} ORDER BY {ROW}) AS n FROM {TABLE} WHERE {cell} IN "
            f"(SELECT {cell} FROM {TABLE} WHERE {cell} IS NOT NULL GROUP BY {cell} "
            f"HAVING count(*) > 1)) WHERE n > 1 ORDER BY {ROW}").fetchall()
        return [Problem(file, int(line), key, raw, DUPLICATE_TEXT, "duplicate", header)
                for line, raw in rows]

    def split(self, officials: pd.DataFrame, groups: list[list[str]], owner: str,
              rules: list[ColumnRule], labels: dict[str, dict[str, str]],
              dropped: Iterable[int] = ()) -> GroupFiles:
        """Write each group's dossiers (the group of the official in column ``owner``) to
        parquet, with their place in the file; ``dropped``: places of the rows a warning
        left out of the run."""
        if not self._created:  # the checked path found no dossier to keep
            self.append(pa.table({r.name: pa.array([], ARROW_TYPES[r.kind]) for r in rules}
                                 | {ROW: pa.array([], pa.int64())}))
        group_of_unit = {u: i for i, g in enumerate(groups) for u in g}
        self.db.register("owners", pa.table({
            "official_id": pa.array(officials["official_id"], TEXT,
                                    from_pandas=True),
            GROUP: officials["unit_id"].map(group_of_unit).to_numpy(dtype=np.int32)}))
        self.db.register("dropped", pa.table({"place": pa.array(list(dropped), pa.int64())}))
        self.db.execute(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS {RAW_KEY}")
        columns = [c for c in self.column_names if c != ROW]
        place = ROW if ROW in self.column_names else "rowid"
        kept = (f"SELECT d.*, o.{GROUP} FROM (SELECT *, {place} AS {ROW} FROM {TABLE}) d "
                f"JOIN owners o ON d.{identifier(owner)} = o.official_id "
                f"WHERE d.{ROW} NOT IN (SELECT place FROM dropped)")
        folder = self.workdir / "groups"
        # each row carries its place: the order it is written in does not matter, and keeping
        # it would hold rows back in memory
        self.db.execute("SET preserve_insertion_order = false")
        self.db.execute(f"COPY ({kept}) TO {literal(str(folder))} "
                        f"(FORMAT parquet, PARTITION_BY ({GROUP}))")
        written = folder / "*" / "*.parquet"
        due = self.db.execute(
            "SELECT year(due_at) AS y, count(*) FROM read_parquet("
            f"{literal(str(written))}, hive_partitioning = false) WHERE y IS NOT NULL "
            "GROUP BY y").fetchall() if any(folder.glob("*/*.parquet")) else []
        schema = self.db.sql(f"SELECT {', '.join(identifier(c) for c in columns)} "
                             f"FROM {TABLE} LIMIT 0").to_arrow_table().schema
        return GroupFiles(folder, schema, rules, labels, {int(y): int(n) for y, n in due})


@dataclass
class GroupedDataset:
    """A dataset as a run classifies it, group of units by group.

    Read whole (:meth:`whole`), ``dataset`` holds every table and is the one part. Split by
    unit, ``dataset`` holds every table but the dossiers (its hashes name every file read),
    and each group's dossiers wait in ``dossiers``. A context manager: leaving it deletes
    the groups' files."""

    dataset: Dataset
    groups: list[list[str]] = field(default_factory=list)
    dossiers: GroupFiles | None = None
    extra_tables: list[TableSpec] = field(default_factory=list)
    workdir: tempfile.TemporaryDirectory[str] | None = None

    @classmethod
    def whole(cls, dataset: Dataset) -> GroupedDataset:
        return cls(dataset)

    @property
    def split(self) -> bool:
        """Whether the dossiers were split by group (else the dataset is one part)."""
        return bool(self.groups)

    def __enter__(self) -> GroupedDataset:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.workdir is not None:
            self.workdir.cleanup()

    def due_years(self) -> dict[int, int]:
        """Year -> dossiers due in it, when the dossiers are split (else empty: they are in
        :attr:`dataset`)."""
        return {} if self.dossiers is None else dict(self.dossiers.due_years)

    def parts(self) -> Iterator[tuple[Dataset, set[str] | None]]:
        """Each part to classify, with the units whose rows it reports (None: all). Every
        unit is reported once: each group its own units, the first group also the units
        without officials."""
        if self.dossiers is None or not self.split:
            yield self.dataset, None
            return
        grouped = {u for g in self.groups for u in g}
        without_officials = set(self.dataset.tables["units"]["unit_id"].astype(str)) - grouped
        for i, units in enumerate(self.groups):
            part = subset(self.dataset, units, self.extra_tables)
            part.tables[BIG] = self.dossiers.frame(i)
            yield part, set(units) | (without_officials if i == 0 else set())


def read_by_unit(folder: Path, specs: list[TableSpec], path: Path,
                 warning_checks: Iterable[str], by_unit: ByUnit) -> GroupedDataset:
    """``folder`` split by group of units, its dossiers (``path``, a CSV file) read out of
    core: the fast path, else the checked path. Raises :class:`InvalidInputError` naming
    every problem, as reading the dataset whole would."""
    rules = {s.name: column_rules(s.row_model) for s in specs}
    workdir = tempfile.TemporaryDirectory(dir=by_unit.workdir, prefix="xeploai-groups-")
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            # hashing reads the file once more; sha256 releases the GIL, so it overlaps
            scan = pool.submit(scan_file, path)
            try:
                grouped = split_fast(folder, specs, rules, path, Path(workdir.name) / "fast",
                                     by_unit.max_officials, scan)
            except NotClean:
                grouped = split_checked(folder, specs, rules, path,
                                        Path(workdir.name) / "checked", by_unit.max_officials,
                                        warning_checks, by_unit.part_bytes)
            hashes = {**grouped.dataset.file_hashes, path.name: scan.result().sha256}
    except BaseException:
        workdir.cleanup()
        raise
    grouped.dataset.file_hashes = dict(sorted(hashes.items()))
    grouped.extra_tables = [s for s in specs if s.name not in CORE_TABLES]
    grouped.workdir = workdir
    return grouped


def split_fast(folder: Path, specs: list[TableSpec], rules: dict[str, list[ColumnRule]],
               path: Path, workdir: Path, max_officials: int,
               scan: Future[FileScan] | None = None) -> GroupedDataset:
    """The fast path: every other table by :func:`load_fast`, then ``dossiers.csv`` by the
    same query and checks, out of core (NotClean at the first doubt). ``scan``: the
    file's scan (:func:`.files.scan_file`) when it runs beside this."""
    dataset = load_fast(folder, [s for s in specs if s.name != BIG], rules)
    officials = dataset.tables["officials"]
    groups = list(unit_groups(officials, max_officials))
    with DossierStore(workdir) as store:
        store.read(path, rules[BIG], scan_file(path) if scan is None else scan.result())
        labels = store.check(dataset.tables, rules, _big_checks(specs))
        files = store.split(officials, groups, official_columns(specs)[BIG], rules[BIG],
                            labels)
    return GroupedDataset(dataset, groups, files)


def _big_checks(specs: list[TableSpec]) -> tuple[RowCheck, ...]:
    return row_checks(next(s for s in specs if s.name == BIG).row_model)


def split_checked(folder: Path, specs: list[TableSpec], rules: dict[str, list[ColumnRule]],
                  path: Path, workdir: Path, max_officials: int,
                  warning_checks: Iterable[str], part_bytes: int) -> GroupedDataset:
    """The reference path in bounded memory: every other table read whole (they are
    small), ``dossiers.csv`` part by part (:mod:`.partcheck`). Raises
    :class:`InvalidInputError` naming every problem of every file, as a whole run would;
    otherwise the checked dossiers are split by group."""
    problems: list[Problem] = []
    small = read_tables(folder, [s for s in specs if s.name != BIG], problems)
    cross_checks(small.tables, small.sources, small.rules, problems, small.checks)
    keys = {name: small.tables[name][r.name] for name in small.tables
            for r in rules[name] if r.key}
    key = next((r.name for r in rules[BIG] if r.key), None)
    check, checks = BigCsvCheck(path, BIG, rules[BIG], part_bytes), {BIG: _big_checks(specs)}
    header = None  # the key's header as the file writes it
    with DossierStore(workdir) as store:
        for frame, source in check.parts():
            # across tables, but repeated keys: those are found over every part, below
            cross_checks({BIG: frame}, {BIG: source}, {BIG: rules[BIG]}, check.row_problems,
                         checks, known_keys=keys, duplicates=False)
            store.append(_stored_rows(frame, source, rules[BIG], key))
            header = source.headers.get(key or "")
        if key is not None and check.readable:
            check.row_problems += store.duplicates(path.name, key, header)
        problems += check.problems
        warnings = raise_errors(problems, warning_checks)
        if warnings:
            drop_warned_rows(small.tables, small.sources, warnings)
        officials = small.tables["officials"]
        groups = list(unit_groups(officials, max_officials))
        files = store.split(officials, groups, official_columns(specs)[BIG], rules[BIG], {},
                            rows_left_out(warnings).get(path.name, ()))
    return GroupedDataset(Dataset(folder, small.tables, small.hashes, warnings), groups, files)


def _stored_rows(frame: pd.DataFrame, source: Source, rules: list[ColumnRule],
                 key: str | None) -> pa.Table:
    """One checked part of the dossiers as Arrow, each row with its line (:data:`ROW`) and
    its key as written (:data:`RAW_KEY`, to quote in a problem)."""
    kinds = {r.name: ARROW_TYPES[r.kind] for r in rules}
    extra = {ROW: source.line.to_numpy(dtype=np.int64)}
    if key in frame.columns:  # else reported already (missing_column)
        extra[RAW_KEY] = source.raw[key].astype(str).to_numpy(dtype=object)
    schema = pa.schema([(c, kinds.get(c, TEXT)) for c in frame.columns]
                       + [(ROW, pa.int64())] + [(RAW_KEY, TEXT)] * (len(extra) - 1))
    return pa.Table.from_pandas(frame.assign(**extra), schema=schema, preserve_index=False)
