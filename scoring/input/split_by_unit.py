"""Reading a dataset too big for memory (``--by-unit``): stream the dossiers, split them by
group of units, hand the run one group at a time.

National scale is 2,000,000 officials and 100,000,000 dossiers (≈ 9 GB of CSV, ≈ 8 GB as
columns in memory). Only the dossiers are that big, and every result depends only on the
official's own unit (:mod:`.shard`), so:

1. every table but ``dossiers`` is loaded and checked as usual (fast path);
2. ``dossiers.csv`` is read in blocks by pyarrow's streaming reader; each block gets the
   same checks as the fast path (types, codes, blanks, date order, references to units and
   officials), and its rows are appended to one Arrow IPC file per group of units — the
   group of the handling official; the ids, in any order, are proven unique once every
   block is read;
3. :meth:`GroupedDataset.parts` then reads each group back with its officials and their rows
   of every other table: the plugins see exactly what they would see in a whole run, minus
   other units' rows, so they need no change.

Memory is bounded by one block plus one group (``max_officials`` officials and their
dossiers), whatever the size of the country.

At the first doubt (a problem, or only something the fast checks don't vouch for: a date
with a one-digit day) the checked path takes over, still in bounded memory: the other tables
go through the reference path (they are small), and ``dossiers.csv`` through the reference
checks part by part (:mod:`.partcheck`). Input with problems then gets the report a whole
run gives — file, row, column and value of every problem, in one
:class:`~xeploai.scoring.errors.InvalidInputError` — and valid input is split by group as it is
checked.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import Problem
from ..types import TableSpec
from .contract import ColumnRule, RowCheck, column_rules, row_checks
from .cross_checks import cross_checks, drop_warned_rows, raise_errors, rows_left_out
from .dataset import Dataset, Source
from .fastload import (
    ARROW_ERRORS,
    ARROW_TYPES,
    NotClean,
    checked_columns,
    csv_options,
    date_headers,
    dates_as_text,
    dates_from_text,
    load_fast,
    to_frame,
)
from .files import file_hash
from .partcheck import (
    PART_BYTES,
    BigCsvCheck,
    default_workers,
    duplicate_problems,
    key_hashes,
    shift_rows,
)
from .records import CORE_TABLES
from .reference_read import read_tables
from .shard import official_columns, subset, unit_groups
from .unique_keys import StreamedKeys

BIG = "dossiers"  # the one table streamed: the others fit in memory at national scale
BLOCK_BYTES = 64 << 20
LINE = "_line"  # a checked dossier's line in the file, while it waits in its group's file


@dataclass(frozen=True)
class ByUnit:
    """How ``--by-unit`` reads: groups of units of at most ``max_officials`` officials, each
    group's dossiers in a file under ``workdir`` (default: the system's temporary folder);
    the checked path reads ``dossiers.csv`` in parts of ``part_bytes``, ``workers`` processes
    at a time (default: :func:`.partcheck.default_workers`, one when the file is a single
    part)."""

    max_officials: int = 100_000
    workdir: Path | None = None
    part_bytes: int = PART_BYTES
    workers: int | None = None


class _GroupFiles:
    """One Arrow IPC file per group of units; rows are appended in the order they come, so
    each group's dossiers stay in file order."""

    def __init__(self, workdir: Path, groups: int) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.files = [workdir / f"group{i:05d}.arrow" for i in range(groups)]
        self._writers: list[pa.ipc.RecordBatchFileWriter | None] = [None] * groups

    def write(self, table: pa.Table, shard: np.ndarray) -> None:
        """Append each row of ``table`` to the file of its group ``shard`` (one per row)."""
        order = np.argsort(shard, kind="stable")
        part = table.take(pa.array(order))
        bounds = np.searchsorted(shard[order], np.arange(len(self.files) + 1))
        for g in np.flatnonzero(np.diff(bounds)).tolist():
            writer = self._writers[g]
            if writer is None:
                writer = self._writers[g] = pa.ipc.new_file(self.files[g], part.schema)
            writer.write_table(part.slice(bounds[g], bounds[g + 1] - bounds[g]))

    def close(self) -> None:
        for w in self._writers:
            if w is not None:
                w.close()


@dataclass
class GroupedDataset:
    """A dataset as a run classifies it, group of units by group.

    Read whole (:meth:`whole`), ``dataset`` holds every table and is the one part. Split by
    unit, ``dataset`` holds every table but the dossiers (its hashes name every file read),
    and each group's dossiers wait in a file of ``files``; ``dropped``: lines of dossiers a
    warning left out of the run (checked path). A context manager: leaving it deletes the
    groups' files."""

    dataset: Dataset
    groups: list[list[str]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    dossier_rules: list[ColumnRule] = field(default_factory=list)
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
        """Year -> dossiers due in it, over the groups' dossier files (memory-mapped, one
        column read); empty when the dossiers are in :attr:`dataset`."""
        counts: dict[int, int] = {}
        for file in self.files:
            if not file.exists():
                continue
            with pa.memory_map(str(file)) as source:
                due = pa.ipc.open_file(source).read_all().column("due_at")
            for row in pc.value_counts(pc.year(due)).to_pylist():
                if row["values"] is not None:
                    counts[row["values"]] = counts.get(row["values"], 0) + row["counts"]
        return counts

    def parts(self) -> Iterator[tuple[Dataset, set[str] | None]]:
        """Each part to classify, with the units whose rows it reports (None: all). Every
        unit is reported once: each group its own units, the first group also the units
        without officials."""
        if not self.split:
            yield self.dataset, None
            return
        grouped = {u for g in self.groups for u in g}
        without_officials = set(self.dataset.tables["units"]["unit_id"].astype(str)) - grouped
        dropped = pa.array(self.dropped, pa.int64())
        for i, units in enumerate(self.groups):
            part = subset(self.dataset, units, self.extra_tables)
            part.tables[BIG] = self._dossiers(i, dropped)
            yield part, set(units) | (without_officials if i == 0 else set())

    def _dossiers(self, group: int, dropped: pa.Array) -> pd.DataFrame:
        """The dossiers of group ``group``, as the fast path's frame."""
        rules = self.dossier_rules
        if self.files[group].exists():
            with pa.memory_map(str(self.files[group])) as source:
                table = pa.ipc.open_file(source).read_all()
        else:  # no dossier handled in these units
            table = pa.table({r.name: pa.array([], ARROW_TYPES[r.kind]) for r in rules})
        if LINE in table.column_names:
            if len(dropped):
                table = table.filter(pc.invert(pc.is_in(table[LINE], dropped)))
            table = table.drop_columns([LINE])
        cols = {c: table[c] for c in table.column_names}
        for r in rules:
            if r.name not in cols:
                cols[r.name] = r.default
        ordered = {r.name: cols[r.name] for r in rules}
        ordered |= {c: v for c, v in cols.items() if c not in ordered}
        return to_frame(ordered, rules, table.num_rows)


def read_by_unit(folder: Path, specs: list[TableSpec], path: Path,
                 warning_checks: Iterable[str], by_unit: ByUnit) -> GroupedDataset:
    """``folder`` split by group of units, its dossiers (``path``, a CSV file) streamed: the
    fast path, else the checked path. Raises :class:`InvalidInputError` naming every problem,
    as reading the dataset whole would."""
    rules = {s.name: column_rules(s.row_model) for s in specs}
    workdir = tempfile.TemporaryDirectory(dir=by_unit.workdir, prefix="xeploai-groups-")
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            # hashing reads the file once more; sha256 releases the GIL, so it overlaps
            hashed = pool.submit(file_hash, path)
            try:
                grouped = split_fast(folder, specs, rules, path, Path(workdir.name) / "fast",
                                     by_unit.max_officials)
            except NotClean:
                workers = by_unit.workers if by_unit.workers is not None else \
                    default_workers() if path.stat().st_size > by_unit.part_bytes else 1
                grouped = split_checked(folder, specs, rules, path,
                                        Path(workdir.name) / "checked", by_unit.max_officials,
                                        warning_checks, by_unit.part_bytes, workers)
            hashes = {**grouped.dataset.file_hashes, path.name: hashed.result()}
    except BaseException:
        workdir.cleanup()
        raise
    grouped.dataset.file_hashes = dict(sorted(hashes.items()))
    grouped.extra_tables = [s for s in specs if s.name not in CORE_TABLES]
    grouped.workdir = workdir
    return grouped


def _groups(officials: pd.DataFrame, max_officials: int) -> tuple[list[list[str]], np.ndarray]:
    """Groups of units, and each official's group (by row of ``officials``)."""
    groups = list(unit_groups(officials, max_officials))
    group_of_unit = {u: i for i, g in enumerate(groups) for u in g}
    return groups, officials["unit_id"].map(group_of_unit).to_numpy(dtype=np.int32)


def split_fast(folder: Path, specs: list[TableSpec], rules: dict[str, list[ColumnRule]],
               path: Path, workdir: Path, max_officials: int) -> GroupedDataset:
    """The fast path: every other table by :func:`load_fast`, then ``dossiers.csv`` block by
    block with the same checks (NotClean at the first doubt)."""
    dataset = load_fast(folder, [s for s in specs if s.name != BIG], rules)
    groups, shard_of = _groups(dataset.tables["officials"], max_officials)
    out = _GroupFiles(workdir, len(groups))
    keys = StreamedKeys(workdir / "keys")
    try:
        _stream_dossiers(path, specs, rules, _big_checks(specs), dataset, shard_of, out, keys)
    finally:
        out.close()
        keys.close()
    return GroupedDataset(dataset, groups, out.files, [], rules[BIG])


def _big_checks(specs: list[TableSpec]) -> tuple[RowCheck, ...]:
    return row_checks(next(s for s in specs if s.name == BIG).row_model)


def _stream_dossiers(path: Path, specs: list[TableSpec], rules: dict[str, list[ColumnRule]],
                     checks: tuple[RowCheck, ...], dataset: Dataset, shard_of: np.ndarray,
                     out: _GroupFiles, keys: StreamedKeys) -> None:
    """Check ``dossiers.csv`` block by block and split its rows into one file per group.
    Its keys, in any order, are proven unique by ``keys`` once every block is read."""
    own = rules[BIG]
    plan = csv_options(path, own)
    headers, canonical = plan.headers, plan.canonical
    dates = date_headers(headers, canonical, own)
    as_text = dates if dates_as_text(plan, dates) else []
    key = next(r.name for r in own if r.key)
    # each referenced table's keys, and the owner's (whose group a row goes to)
    referenced = {r.name: _key_values(dataset, r.ref, rules) for r in own if r.ref}
    owner = official_columns(specs)[BIG]
    try:
        reader = pacsv.open_csv(path, read_options=plan.read_options(
            use_threads=True, block_size=BLOCK_BYTES), parse_options=plan.parse_options(),
            convert_options=plan.convert)
        # the header's checks (a missing column) even when no block follows it
        checked_columns(BIG, dates_from_text(reader.schema.empty_table(), as_text)
                        .rename_columns(canonical), own)
        for batch in reader:
            if batch.schema.names != headers:
                raise NotClean("header parsed differently")
            table = dates_from_text(pa.Table.from_batches([batch]), as_text) \
                .rename_columns(canonical)
            cols = checked_columns(BIG, table, own)
            arrays = {c: v for c, v in cols.items() if isinstance(v, pa.ChunkedArray)}
            keys.add(arrays[key])
            for column, values in referenced.items():
                if column in arrays and pc.any(pc.and_(pc.is_valid(arrays[column]), pc.invert(
                        pc.is_in(arrays[column], value_set=values)))).as_py():
                    raise NotClean(f"{BIG}.{column}: reference")
            row = pc.index_in(arrays[owner], value_set=referenced[owner])
            frame = to_frame(cols, own, table.num_rows)
            for check in checks:
                if check.violations(frame).any():
                    raise NotClean(f"{BIG}: {check.check} {check.column}")
            out.write(pa.Table.from_pandas(frame, preserve_index=False),
                      shard_of[row.to_numpy()])
    except ARROW_ERRORS as exc:
        raise NotClean(f"{path.name}: {exc}") from exc
    if not keys.unique():
        raise NotClean(f"{BIG}.{key}: duplicate")


def _key_values(dataset: Dataset, table: str, rules: dict[str, list[ColumnRule]]) -> pa.Array:
    """The keys of ``table`` (loaded in ``dataset``), for looking references up."""
    column = next(r.name for r in rules[table] if r.key)
    return pa.array(dataset.tables[table][column], pa.large_string(), from_pandas=True)


def split_checked(folder: Path, specs: list[TableSpec], rules: dict[str, list[ColumnRule]],
                  path: Path, workdir: Path, max_officials: int,
                  warning_checks: Iterable[str], part_bytes: int, workers: int
                  ) -> GroupedDataset:
    """The reference path in bounded memory: every other table read whole (they are
    small), ``dossiers.csv`` part by part (:mod:`.partcheck`), ``workers`` parts at a
    time. Raises :class:`InvalidInputError` naming every problem of every file, as a whole
    run would; otherwise the dossiers are split by group as they are checked."""
    problems: list[Problem] = []
    small = read_tables(folder, [s for s in specs if s.name != BIG], problems)
    cross_checks(small.tables, small.sources, small.rules, problems, small.checks)
    keys = {name: small.tables[name][r.name] for name in small.tables
            for r in rules[name] if r.key}
    key = next((r.name for r in rules[BIG] if r.key), None)
    officials = small.tables.get("officials")
    groups: list[list[str]] = []
    split_by: tuple[np.ndarray, pa.Array] | None = None  # each official's group, and id
    if officials is not None:  # else it has problems: the dossiers are checked, not split
        groups, shard_of = _groups(officials, max_officials)
        split_by = shard_of, pa.array(officials["official_id"], pa.large_string())
    check = BigCsvCheck(path, BIG, rules[BIG], part_bytes)
    seen = StreamedKeys(workdir / "keys")
    out = _GroupFiles(workdir, len(groups))
    rows_of_part = partial(_checked_rows, rules=rules[BIG], checks=_big_checks(specs),
                           keys=keys, key=key, owner=official_columns(specs)[BIG],
                           split_by=split_by)
    try:
        for (found, hashes, routed), shift in check.map(rows_of_part, workers):
            check.row_problems += shift_rows(found, shift)
            seen.add_hashes(hashes)
            if routed is not None:
                table, shard = routed
                out.write(table.set_column(table.schema.get_field_index(LINE), LINE,
                                           pc.add(table[LINE], shift)), shard)
        repeated = seen.repeated()
    finally:
        out.close()
        seen.close()
    if key is not None and len(repeated) and check.readable:
        check.row_problems += duplicate_problems(
            BigCsvCheck(path, BIG, rules[BIG], part_bytes), key, repeated)
    problems += check.problems
    warnings = raise_errors(problems, warning_checks)
    if warnings:
        drop_warned_rows(small.tables, small.sources, warnings)
    dropped = sorted(rows_left_out(warnings).get(path.name, ()))
    return GroupedDataset(Dataset(folder, small.tables, small.hashes, warnings), groups,
                          out.files, dropped, rules[BIG])


def _checked_rows(frame: pd.DataFrame, source: Source, *, rules: list[ColumnRule],
                  checks: tuple[RowCheck, ...], keys: dict[str, pd.Series],
                  key: str | None, owner: str,
                  split_by: tuple[np.ndarray, pa.Array] | None
                  ) -> tuple[list[Problem], np.ndarray, tuple[pa.Table, np.ndarray] | None]:
    """What the checked path needs of one checked part of the dossiers, computed where the
    part was checked (a worker process): its problems across tables, the hashes of its keys,
    and its rows as Arrow (with their line) with each row's group — rows numbered from the
    part's first row (:meth:`BigCsvCheck.map`)."""
    found: list[Problem] = []
    cross_checks({BIG: frame}, {BIG: source}, {BIG: rules}, found, {BIG: checks},
                 known_keys=keys, duplicates=False)
    # a missing key or owner column is reported already (missing_column): nothing to route
    hashes = key_hashes(frame[key]) if key in frame.columns else np.array([], np.uint64)
    if split_by is None or owner not in frame.columns:
        return found, hashes, None
    shard_of, official_ids = split_by
    table = _arrow_rows(frame, source, rules)
    # a row naming no official is reported above (or, as a warning, left out)
    row = pc.index_in(table[owner], value_set=official_ids)
    known = np.flatnonzero(row.is_valid().to_numpy(zero_copy_only=False))
    shard = shard_of[row.to_numpy(zero_copy_only=False)[known].astype(np.int64)]
    return found, hashes, (table.take(pa.array(known)), shard)


def _arrow_rows(frame: pd.DataFrame, source: Source, rules: list[ColumnRule]) -> pa.Table:
    """A checked part as the fast path's Arrow types, with each row's line number."""
    kinds = {r.name: ARROW_TYPES[r.kind] for r in rules}
    schema = pa.schema([(c, kinds.get(c, pa.large_string())) for c in frame.columns]
                       + [(LINE, pa.int64())])
    return pa.Table.from_pandas(frame.assign(**{LINE: source.line.to_numpy(dtype=np.int64)}),
                                schema=schema, preserve_index=False)
