"""Proofs that a table's keys are unique, by DuckDB (multi-threaded hashing, and a table
that spills to disk past its memory limit): a whole column at once, or a column read
block by block, as the streamed ``--by-unit`` reader reads a national dossiers file whose
ids come in any order.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def strictly_increasing(keys: pa.Array) -> bool:
    """Whether every key is greater than the one before: one-stop systems export their ids
    in order, and then the keys are proven unique without hashing them."""
    return len(keys) < 2 or not pc.any(pc.greater_equal(keys[:-1], keys[1:])).as_py()


def all_distinct(keys: pa.Array | pa.ChunkedArray) -> bool:
    """Whether no two keys (nulls left out) are equal."""
    with duckdb.connect() as db:
        db.register("block", pa.table({"k": keys}))
        [(repeats,)] = db.execute(
            "select count(k) - count(distinct k) from block").fetchall()
    return repeats == 0


class StreamedKeys:
    """The keys of a table read block by block, kept as one 64-bit hash each in a DuckDB
    database file under ``workdir``. Equal keys have equal hashes, so distinct hashes prove
    the keys unique; a repeated hash (a real repetition, or very rarely two keys alike in
    hash) says only "look closer", which the checked path then does exactly.

    The checked path adds hashes its worker processes computed (:meth:`add_hashes`, 8 bytes
    a key through the pipe) and asks which repeat (:meth:`repeated`) to name their rows."""

    def __init__(self, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self._db = duckdb.connect(str(workdir / "keys.duckdb"))
        self._db.execute(f"set temp_directory = '{workdir / 'spill'}'").fetchall()
        self._db.execute("create table keys (h ubigint)").fetchall()

    def add(self, keys: pa.Array | pa.ChunkedArray) -> None:
        self._db.register("block", pa.table({"k": keys}))
        self._db.execute("insert into keys select hash(k) from block where k is not null"
                         ).fetchall()
        self._db.unregister("block")

    def add_hashes(self, hashes: np.ndarray) -> None:
        self._db.register("block", pa.table({"h": pa.array(hashes, pa.uint64())}))
        self._db.execute("insert into keys select h from block").fetchall()
        self._db.unregister("block")

    def repeated(self) -> np.ndarray:
        """The hash values seen more than once (sorted)."""
        rows = self._db.execute(
            "select h from keys group by h having count(*) > 1 order by h").fetchall()
        return np.array([h for (h,) in rows], dtype=np.uint64)  # few: a repetition is an error

    def unique(self) -> bool:
        [(repeats,)] = self._db.execute(
            "select count(*) - count(distinct h) from keys").fetchall()
        return repeats == 0

    def close(self) -> None:
        self._db.close()
