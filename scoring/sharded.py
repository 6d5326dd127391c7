"""Classify a dataset too big for memory: stream the dossiers, split them by unit, classify
one group of units at a time, store everything as one run.

National scale is 2,000,000 officials and 100,000,000 dossiers (≈ 9 GB of CSV, ≈ 8 GB as
columns in memory). Only the dossiers are that big, and every result depends only on the
official's own unit (:mod:`scoring.shard`), so:

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

Input with any problem goes to the reference loader instead (which reads everything into
memory, but names file, row, column and value of every problem): a national dataset must
pass ``xeploai validate`` province by province first. Dossier ids must be increasing in
the file (one-stop systems export them so) for uniqueness to be proven while streaming.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from scoring import __version__
from scoring.engine import Classification
from scoring.fastload import (
    _ARROW_TYPES,
    ARROW_ERRORS,
    PARSE_OPTIONS,
    NotClean,
    checked_columns,
    csv_options,
    load_fast,
    to_frame,
)
from scoring.loader import Dataset, _column_rules, file_hash, find_table_file
from scoring.shard import core_specs, subset, unit_groups
from scoring.storage import RunMeta, open_db, save_run_parts

BIG = "dossiers"
BLOCK_BYTES = 64 << 20


@dataclass
class ShardedOutcome:
    run_id: int
    officials: int
    reasons: int
    groups: int
    classify_seconds: float = 0.0  # time spent in the engine and plugins, all groups


def _stream_dossiers(path: Path, rules: list, dataset: Dataset, shard_of: pd.Series,
                     workdir: Path, groups: int) -> list[Path]:
    """Check ``dossiers.csv`` block by block and split its rows into one IPC file per group."""
    headers, canonical, convert = csv_options(path, rules)
    official_ids = pa.array(dataset.tables["officials"]["official_id"], pa.large_string())
    unit_ids = pa.array(dataset.tables["units"]["unit_id"], pa.large_string())
    shard_by_row = shard_of.to_numpy(dtype=np.int32)
    files = [workdir / f"group{i:05d}.arrow" for i in range(groups)]
    writers: list[pa.ipc.RecordBatchFileWriter | None] = [None] * groups
    last_id: str | None = None
    try:
        reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(
            use_threads=True, block_size=BLOCK_BYTES), parse_options=PARSE_OPTIONS,
            convert_options=convert)
        for batch in reader:
            if batch.schema.names != headers:
                raise NotClean("header parsed differently")
            table = pa.Table.from_batches([batch]).rename_columns(canonical)
            cols = checked_columns(BIG, table, rules)
            arrays = {c: v for c, v in cols.items() if isinstance(v, pa.ChunkedArray)}
            ids = arrays["dossier_id"].combine_chunks()
            if len(ids):
                if pc.any(pc.greater_equal(ids[:-1], ids[1:])).as_py() \
                        or (last_id is not None and ids[0].as_py() <= last_id):
                    raise NotClean("dossier ids not increasing")
                last_id = ids[-1].as_py()
            if not pc.all(pc.is_in(arrays["unit_id"], value_set=unit_ids)).as_py():
                raise NotClean("dossiers.unit_id: reference")
            row = pc.index_in(arrays["handler_id"], value_set=official_ids)
            if row.null_count:
                raise NotClean("dossiers.handler_id: reference")
            day = {c: pc.floor_temporal(arrays[c], unit="day")
                   for c in ("received_at", "due_at", "returned_at")}
            for c in ("due_at", "returned_at"):
                if pc.any(pc.fill_null(pc.less(day[c], day["received_at"]), False)).as_py():
                    raise NotClean("dossiers: date order")
            shard = shard_by_row[row.to_numpy()]
            order = np.argsort(shard, kind="stable")
            part = pa.table(arrays).take(pa.array(order))
            bounds = np.searchsorted(shard[order], np.arange(groups + 1))
            for g in np.flatnonzero(np.diff(bounds)).tolist():
                if writers[g] is None:
                    writers[g] = pa.ipc.new_file(files[g], part.schema)
                writers[g].write_table(part.slice(bounds[g], bounds[g + 1] - bounds[g]))
    except ARROW_ERRORS as exc:
        raise NotClean(f"{path.name}: {exc}") from exc
    finally:
        for w in writers:
            if w is not None:
                w.close()
    return files


def _whole(session: object, folder: Path, year: int, db: str | None) -> ShardedOutcome:
    """The reference path: it names every problem of the input (InvalidInputError), or,
    when the fast checks only had a doubt, classifies the dataset whole."""
    from scoring import api

    outcome = api.run(folder, year, policy=session.policy, db=db)  # type: ignore[attr-defined]
    c = outcome.classification
    return ShardedOutcome(int(outcome.run_id or 0), len(c.results), len(c.reasons), 1)


def run_sharded(data_dir: str | Path, year: int, *, policy: object = None,
                db: str | None = None, max_officials: int = 100_000,
                workdir: str | Path | None = None) -> ShardedOutcome:
    """Validate, classify and store ``data_dir`` one group of units at a time (see module
    docstring). Results and reasons are those of :func:`scoring.api.run`."""
    from scoring import api

    folder = Path(data_dir)
    session = api.Session.open(policy)  # type: ignore[arg-type]
    specs = core_specs(session.extra_tables())
    rules = {s.name: _column_rules(s.row_model) for s in specs}
    path = find_table_file(folder, BIG)
    try:
        if path is None or path.suffix != ".csv":
            raise NotClean("dossiers not a CSV file")
        dataset = load_fast(folder, [s for s in specs if s.name != BIG], rules)
    except NotClean:
        return _whole(session, folder, year, db)
    officials = dataset.tables["officials"]
    groups = list(unit_groups(officials, max_officials))
    group_of_unit = {u: i for i, g in enumerate(groups) for u in g}
    shard_of = officials["unit_id"].map(group_of_unit)
    with tempfile.TemporaryDirectory(dir=workdir, prefix="xeploai-groups-") as tmp, \
            ThreadPoolExecutor(max_workers=1) as pool:
        hashed = pool.submit(file_hash, path)
        try:
            files = _stream_dossiers(path, rules[BIG], dataset, shard_of, Path(tmp),
                                     len(groups))
        except NotClean:
            return _whole(session, folder, year, db)
        hashes = dict(sorted({**dataset.file_hashes, path.name: hashed.result()}.items()))
        counts = {"officials": 0, "reasons": 0, "classify": 0.0}

        def parts() -> Iterator[Classification]:
            for i, units in enumerate(groups):
                if files[i].exists():
                    with pa.memory_map(str(files[i])) as source:
                        table = pa.ipc.open_file(source).read_all()
                else:  # no dossier handled in these units
                    table = pa.table({r.name: pa.array([], _ARROW_TYPES[r.kind])
                                      for r in rules[BIG]})
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
                result = session.classify(part, year)
                counts["classify"] += time.perf_counter() - started
                # every unit row once: each group keeps its own units (and the first group
                # the units without officials)
                mine = set(units) if i else set(units) | (
                    set(result.units["unit_id"]) - set(group_of_unit))
                result.units = result.units[result.units["unit_id"].isin(mine)]
                counts["officials"] += len(result.results)
                counts["reasons"] += len(result.reasons)
                yield result

        meta = RunMeta(policy_name=session.policy.name,
                       policy_path=str(session.policy.path or ""),
                       policy_hash=session.policy.content_hash, data_dir=str(folder),
                       input_hashes=hashes, tool_version=__version__,
                       created_at=dt.datetime.now(dt.UTC).replace(microsecond=0))
        run_id = save_run_parts(open_db(db), parts(), meta)
    return ShardedOutcome(run_id, int(counts["officials"]), int(counts["reasons"]), len(groups),
                          counts["classify"])
