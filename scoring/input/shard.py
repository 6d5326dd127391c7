"""Split a dataset by unit: every result depends only on the official's own unit (the 20 %
quota counts per unit and peer group, the 15 % CSTDCS cap per unit), so classifying the
units one group at a time gives exactly the results and reasons of classifying the whole.

This is what bounds memory at national scale, and what would let the work be spread
over machines by unit. Which rows belong to which officials is read from the row models
(``ref: officials`` fields), so the core still knows no rule by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from ..frames import is_in
from ..types import TableSpec
from .contract import column_rules
from .dataset import Dataset
from .records import CORE_TABLES


def official_columns(specs: Iterable[TableSpec]) -> dict[str, str]:
    """Table name → the column naming the official a row belongs to (its first field
    that refers to ``officials``; the officials table itself by its key)."""
    out: dict[str, str] = {}
    for spec in specs:
        for rule in column_rules(spec.row_model):
            if spec.name == "officials" and rule.key:
                out[spec.name] = rule.name
                break
            if rule.ref == "officials":
                out[spec.name] = rule.name
                break
    return out


def core_specs(extra_tables: Iterable[TableSpec] = ()) -> list[TableSpec]:
    return [TableSpec(n, m, req) for n, (m, req) in CORE_TABLES.items()] + list(extra_tables)


def subset(dataset: Dataset, units: Iterable[str],
           extra_tables: Iterable[TableSpec] = ()) -> Dataset:
    """The part of ``dataset`` that concerns the officials of ``units``: their rows in
    every table that refers to officials; tables that don't (units) are kept whole."""
    keep_units = set(units)
    officials = dataset.tables["officials"]
    ids = officials.loc[is_in(officials["unit_id"], pd.Series(sorted(keep_units), dtype=object)),
                        "official_id"]
    columns = official_columns(core_specs(extra_tables))
    tables: dict[str, pd.DataFrame] = {}
    for name, frame in dataset.tables.items():
        col = columns.get(name)
        if col is None or col not in frame.columns:
            tables[name] = frame
        else:
            # one pyarrow hash set per table and group: pandas' isin of Arrow text made a
            # Python object of every value (11 s of a 50 s run of 200,000 officials)
            tables[name] = frame[is_in(frame[col], ids)].reset_index(drop=True)
    return Dataset(dataset.folder, tables, dataset.file_hashes, list(dataset.warnings))


def unit_groups(officials: pd.DataFrame, max_officials: int) -> Iterator[list[str]]:
    """Units in id order, packed into groups of at most ``max_officials`` officials (a
    unit larger than that is a group of its own)."""
    counts = officials["unit_id"].value_counts().sort_index()
    group: list[str] = []
    size = 0
    for unit, n in zip(counts.index.tolist(), counts.to_numpy(dtype=np.int64).tolist(),
                       strict=True):
        if group and size + n > max_officials:
            yield group
            group, size = [], 0
        group.append(unit)
        size += n
    if group:
        yield group
