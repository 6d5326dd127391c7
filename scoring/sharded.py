"""Classify a dataset too big for memory: stream the dossiers, split them by unit, classify
one group of units at a time, store everything as one run.

National scale is 2,000,000 officials and 100,000,000 dossiers (≈ 9 GB of CSV, ≈ 8 GB as
columns in memory). Only the dossiers are that big, and every result depends only on the
official's own unit (:mod:`xeploai.scoring.input.shard`), so:

1. every table but ``dossiers`` is loaded and checked as usual (fast path);
2. ``dossiers.csv`` is read in blocks by pyarrow's streaming reader; each block gets the
   same checks as the fast path (types, codes, blanks, date order, references to units and
   officials, ids increasing), and its rows are appended to one Arrow IPC file per group
   of units — the group of the handling official;
3. each group is then read back, handed to the plugins with its officials and their rows
   of every other table, classified, and stored — all groups in one transaction, so a
   failure anywhere leaves the database as it was.

Memory is bounded by one block plus one group (``max_officials`` officials and their
dossiers), whatever the size of the country. The plugins see exactly what they would see
in a whole run, minus other units' rows, so they need no change.

At the first doubt (a problem, or only something the fast checks don't vouch for: a date
with a one-digit day) the checked path takes over, still in bounded memory: the other tables
go through the reference path (they are small), and ``dossiers.csv`` through the reference
checks part by part (:mod:`input.partcheck`). Input with problems then gets the report a
whole run gives — file, row, column and value of every problem, in one
:class:`~xeploai.scoring.errors.InvalidInputError` — and valid input is split by group as it is
checked. Only a dossiers file that is not CSV (xlsx holds at most a million rows) is read
whole. Dossier ids increasing in the file (one-stop systems export them so) let the fast
path prove uniqueness while streaming; otherwise the checked path proves it from hashes.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
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

from .engine import Classification, default_as_of
from .errors import InvalidInputError, Problem
from .input.contract import ColumnRule, RowCheck, column_rules, row_checks
from .input.cross_checks import cross_checks, drop_warned_rows, raise_errors, rows_left_out
from .input.dataset import Dataset, Source
from .input.dates import today_here
from .input.evaluation_year import check_year, check_year_range
from .input.fastload import (
    _ARROW_TYPES,
    ARROW_ERRORS,
    NotClean,
    checked_columns,
    csv_options,
    date_headers,
    dates_as_text,
    dates_from_text,
    load_fast,
    to_frame,
)
from .input.files import check_folder, file_hash, find_table_file, table_file_problems
from .input.partcheck import (
    PART_BYTES,
    BigCsvCheck,
    KeyHashes,
    default_workers,
    duplicate_problems,
    shift_rows,
)
from .input.reference_read import read_tables
from .input.shard import core_specs, official_columns, subset, unit_groups
from .input.unique_keys import StreamedKeys
from .storage import open_db, save_run_parts

BIG = "dossiers"
BLOCK_BYTES = 64 << 20


@dataclass
class ShardedOutcome:
    run_id: int
    officials: int
    reasons: int
    groups: int
    classify_seconds: float = 0.0  # time spent in the engine and plugins, all groups
    warnings: list[Problem] = field(default_factory=list)  # downgraded problems (rows left out)


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
class _Split:
    """A dataset without its dossiers, its groups of units, and each group's dossiers in a
    file; ``dropped``: lines of dossiers a warning left out of the run (checked path)."""

    dataset: Dataset
    groups: list[list[str]]
    files: list[Path]
    dropped: list[int]


def _groups(officials: pd.DataFrame, max_officials: int) -> tuple[list[list[str]], np.ndarray]:
    """Groups of units, and each official's group (by row of ``officials``)."""
    groups = list(unit_groups(officials, max_officials))
    group_of_unit = {u: i for i, g in enumerate(groups) for u in g}
    return groups, officials["unit_id"].map(group_of_unit).to_numpy(dtype=np.int32)


def split_fast(folder: Path, specs: list, rules: dict, path: Path, workdir: Path,
                max_officials: int) -> _Split:
    """The fast path: every other table by :func:`load_fast`, then ``dossiers.csv`` block by
    block with the same checks (NotClean at the first doubt)."""
    dataset = load_fast(folder, [s for s in specs if s.name != BIG], rules)
    groups, shard_of = _groups(dataset.tables["officials"], max_officials)
    out = _GroupFiles(workdir, len(groups))
    keys = StreamedKeys(workdir / "keys")
    try:
        _stream_dossiers(path, rules, row_checks(next(s for s in specs if s.name == BIG)
                                                 .row_model), dataset, shard_of, out, keys)
    finally:
        out.close()
        keys.close()
    return _Split(dataset, groups, out.files, [])


def _stream_dossiers(path: Path, rules: dict[str, list[ColumnRule]],
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
    owner = official_columns(core_specs())[BIG]
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


LINE = "_line"  # a checked dossier's line in the file, while it waits in its group's file


def _split_checked(folder: Path, specs: list, rules: dict, path: Path, workdir: Path,
                   max_officials: int, warning_checks: Iterable[str], part_bytes: int,
                   workers: int) -> _Split:
    """The reference path in bounded memory: every other table read whole (they are
    small), ``dossiers.csv`` part by part (:mod:`input.partcheck`), ``workers`` parts at a
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
    seen = KeyHashes()
    out = _GroupFiles(workdir, len(groups))
    rows_of_part = partial(_checked_rows, rules=rules[BIG],
                           checks=row_checks(next(s for s in specs if s.name == BIG).row_model),
                           keys=keys, key=key,
                           owner=official_columns(specs)[BIG], split_by=split_by)
    try:
        for (found, hashes, routed), shift in check.map(rows_of_part, workers):
            check.row_problems += shift_rows(found, shift)
            seen.add_hashes(hashes)
            if routed is not None:
                table, shard = routed
                out.write(table.set_column(table.schema.get_field_index(LINE), LINE,
                                           pc.add(table[LINE], shift)), shard)
    finally:
        out.close()
    repeated = seen.repeated()
    if key is not None and len(repeated) and check.readable:
        check.row_problems += duplicate_problems(
            BigCsvCheck(path, BIG, rules[BIG], part_bytes), key, repeated)
    problems += check.problems
    warnings = raise_errors(problems, warning_checks)
    if warnings:
        drop_warned_rows(small.tables, small.sources, warnings)
    dropped = sorted(rows_left_out(warnings).get(path.name, ()))
    return _Split(Dataset(folder, small.tables, small.hashes, warnings), groups, out.files,
                  dropped)


def _checked_rows(frame: pd.DataFrame, source: Source, *, rules: list,
                  checks: tuple[RowCheck, ...], keys: dict,
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
    hashes = KeyHashes.hash(frame[key]) if key in frame.columns else np.array([], np.uint64)
    if split_by is None or owner not in frame.columns:
        return found, hashes, None
    shard_of, official_ids = split_by
    table = _arrow_rows(frame, source, rules)
    # a row naming no official is reported above (or, as a warning, left out)
    row = pc.index_in(table[owner], value_set=official_ids)
    known = np.flatnonzero(row.is_valid().to_numpy(zero_copy_only=False))
    shard = shard_of[row.to_numpy(zero_copy_only=False)[known].astype(np.int64)]
    return found, hashes, (table.take(pa.array(known)), shard)


def _arrow_rows(frame: pd.DataFrame, source: Source, rules: list) -> pa.Table:
    """A checked part as the fast path's Arrow types, with each row's line number."""
    kinds = {r.name: _ARROW_TYPES[r.kind] for r in rules}
    schema = pa.schema([(c, kinds.get(c, pa.large_string())) for c in frame.columns]
                       + [(LINE, pa.int64())])
    return pa.Table.from_pandas(frame.assign(**{LINE: source.line.to_numpy(dtype=np.int64)}),
                                schema=schema, preserve_index=False)


def _whole(session: object, folder: Path, year: int, db: str | None,
           as_of: dt.date) -> ShardedOutcome:
    """A dossiers file that can't be streamed (xlsx, or missing): the whole reference path."""
    from . import api

    outcome = api.run(folder, year, policy=session.policy, db=db,  # type: ignore[attr-defined]
                      as_of=as_of)
    c = outcome.classification
    return ShardedOutcome(int(outcome.run_id or 0), len(c.results), len(c.reasons), 1,
                          warnings=list(outcome.dataset.warnings))


def _due_years(files: list[Path]) -> dict[int, int]:
    """Year -> dossiers due in it, over the groups' dossier files (memory-mapped, one
    column read)."""
    counts: dict[int, int] = {}
    for file in files:
        if not file.exists():
            continue
        with pa.memory_map(str(file)) as source:
            due = pa.ipc.open_file(source).read_all().column("due_at")
        for row in pc.value_counts(pc.year(due)).to_pylist():
            if row["values"] is not None:
                counts[row["values"]] = counts.get(row["values"], 0) + row["counts"]
    return counts


def run_sharded(data_dir: str | Path, year: int, *, policy: object = None,
                db: str | None = None, max_officials: int = 100_000,
                workdir: str | Path | None = None, part_bytes: int = PART_BYTES,
                workers: int | None = None,
                as_of: dt.date | None = None) -> ShardedOutcome:
    """Validate, classify and store ``data_dir`` one group of units at a time (see module
    docstring). Results and reasons are those of :func:`xeploai.scoring.api.run`; problems in the
    input are those it reports. ``part_bytes``: the size of the parts of ``dossiers.csv``
    the checked path reads at a time; ``workers``: the processes that check them (default:
    :func:`~input.partcheck.default_workers`, one when the file is a single part)."""
    from . import api

    check_year_range(year)
    folder = Path(data_dir)
    session = api.Session.open(policy, year)  # type: ignore[arg-type]
    as_of = as_of or default_as_of(year, today_here())  # as api.run (SPEC §10)
    specs = core_specs(session.extra_tables())
    rules = {s.name: column_rules(s.row_model) for s in specs}
    checked = check_folder(folder, specs) if folder.is_dir() else None
    if checked is not None and checked.problems:  # before any reader opens a link
        raise InvalidInputError(checked.problems, checked.warnings)
    path = find_table_file(folder, BIG)
    if not folder.is_dir() or path is None or path.suffix != ".csv" \
            or table_file_problems(folder, BIG):
        return _whole(session, folder, year, db, as_of)
    with tempfile.TemporaryDirectory(dir=workdir, prefix="xeploai-groups-") as tmp, \
            ThreadPoolExecutor(max_workers=1) as pool:
        hashed = pool.submit(file_hash, path)
        try:
            split = split_fast(folder, specs, rules, path, Path(tmp) / "fast", max_officials)
        except NotClean:
            split = _split_checked(folder, specs, rules, path, Path(tmp) / "checked",
                                   max_officials, session.policy.warning_checks, part_bytes,
                                   workers if workers is not None else
                                   default_workers() if path.stat().st_size > part_bytes else 1)
        dataset, files = split.dataset, split.files
        check_year(year, dataset.tables, _due_years(files))
        dropped = pa.array(split.dropped, pa.int64())
        hashes = dict(sorted({**dataset.file_hashes, path.name: hashed.result()}.items()))
        grouped = {u for g in split.groups for u in g}
        counts = {"officials": 0, "reasons": 0, "classify": 0.0}

        def parts() -> Iterator[Classification]:
            for i, units in enumerate(split.groups):
                if files[i].exists():
                    with pa.memory_map(str(files[i])) as source:
                        table = pa.ipc.open_file(source).read_all()
                else:  # no dossier handled in these units
                    table = pa.table({r.name: pa.array([], _ARROW_TYPES[r.kind])
                                      for r in rules[BIG]})
                if LINE in table.column_names:
                    if len(dropped):
                        table = table.filter(pc.invert(pc.is_in(table[LINE], dropped)))
                    table = table.drop_columns([LINE])
                cols = {c: table[c] for c in table.column_names}
                for r in rules[BIG]:
                    if r.name not in cols:
                        cols[r.name] = r.default
                ordered = {r.name: cols[r.name] for r in rules[BIG]}
                ordered |= {c: v for c, v in cols.items() if c not in ordered}
                part = subset(dataset, units, session.extra_tables())
                part.tables[BIG] = to_frame(ordered, rules[BIG], table.num_rows)
                del table
                started = time.perf_counter()
                result = session.classify(part, year, as_of=as_of)
                counts["classify"] += time.perf_counter() - started
                # every unit row once: each group keeps its own units (and the first group
                # the units without officials)
                mine = set(units) if i else set(units) | (
                    set(result.units["unit_id"]) - grouped)
                result.units = result.units[result.units["unit_id"].isin(mine)]
                counts["officials"] += len(result.results)
                counts["reasons"] += len(result.reasons)
                yield result

        meta = session.run_meta(folder, hashes, year)
        run_id = save_run_parts(open_db(db), parts(), meta)
    return ShardedOutcome(run_id, int(counts["officials"]), int(counts["reasons"]),
                          len(split.groups), counts["classify"],
                          (checked.warnings if checked else []) + list(dataset.warnings))
