"""Load a dataset folder: the fast reader when it vouches for the data, else the reference
path, which reads every table as text and reports every problem; whole, or (``--by-unit``)
split by group of units with its dossiers streamed (:mod:`.split_by_unit`).

Checks run column by column over whole tables (a province has millions of dossiers), but
what they check is read from the pydantic row models in :mod:`input.records` and from the
row models plugins declare: the models are the contract, the readers enforce it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from ..errors import InvalidInputError, Problem
from ..types import TableSpec
from . import fastload, split_by_unit
from .contract import column_rules
from .cross_checks import cross_checks, drop_warned_rows, raise_errors
from .dataset import Dataset
from .files import check_folder, find_table_file, table_file_problems
from .reference_read import read_tables
from .shard import core_specs
from .split_by_unit import BIG, ByUnit, GroupedDataset

Read = TypeVar("Read", Dataset, GroupedDataset)


def load_dataset(folder: str | Path, extra_tables: Iterable[TableSpec] = (),
                 warning_checks: Iterable[str] = (), *, fast: bool = True) -> Dataset:
    """Read and validate every table of a dataset folder.

    Raises :class:`InvalidInputError` listing every problem; nothing is returned half-valid.
    ``warning_checks`` (from the policy) turns chosen checks into warnings; the rows they
    concern are then left out of the run, and the warning says so.

    ``fast`` first tries :mod:`input.fastload` (DuckDB reads and checks in SQL), which gives up at
    the first sign of a problem; this reference path then reads the data and reports.
    """
    return _read_folder(folder, extra_tables,
                        lambda path, specs: _load_tables(path, specs, warning_checks, fast))


def load_by_unit(folder: str | Path, extra_tables: Iterable[TableSpec],
                 warning_checks: Iterable[str], by_unit: ByUnit) -> GroupedDataset:
    """:func:`load_dataset`, split by group of units (``by_unit``) with the dossiers
    streamed, in bounded memory; read whole when the dossiers can't be streamed: an xlsx
    file (it holds at most a million rows), or a folder with a table whose rows refer to
    dossiers (the products regime's work items: checking those references, and the
    periods' products, needs every dossier at once; docs/decisions.md 97). The same
    problems, or the same tables."""
    def read(path: Path, specs: list[TableSpec]) -> GroupedDataset:
        dossiers = find_table_file(path, BIG)
        if dossiers is None or dossiers.suffix != ".csv" or table_file_problems(path, BIG) \
                or _referred_to(path, specs, BIG):
            return GroupedDataset.whole(_load_tables(path, specs, warning_checks, True))
        return split_by_unit.read_by_unit(path, specs, dossiers, warning_checks, by_unit)

    return _read_folder(folder, extra_tables, read)


def _referred_to(folder: Path, specs: list[TableSpec], table: str) -> bool:
    """Whether ``folder`` holds a file of another table whose row model refers to ``table``."""
    return any(find_table_file(folder, spec.name) is not None
               for spec in specs if spec.name != table
               and any(rule.ref == table for rule in column_rules(spec.row_model)))


def _read_folder(folder: str | Path, extra_tables: Iterable[TableSpec],
                 read: Callable[[Path, list[TableSpec]], Read]) -> Read:
    """``read`` the tables of ``folder`` once the folder itself is checked (before any reader
    opens a link or a device); its warnings about the folder come first."""
    path = Path(folder)
    if not path.is_dir():
        raise InvalidInputError([Problem(str(path), None, None, None,
                                         "không tìm thấy thư mục dữ liệu", "missing_file")])
    specs = core_specs(extra_tables)
    checked = check_folder(path, specs)
    if checked.problems:
        raise InvalidInputError(checked.problems, checked.warnings)
    try:
        out = read(path, specs)
    except InvalidInputError as exc:
        raise InvalidInputError(exc.problems, checked.warnings + exc.warnings) from None
    dataset = out if isinstance(out, Dataset) else out.dataset
    dataset.warnings = checked.warnings + dataset.warnings
    return out


def _load_tables(folder: Path, specs: list[TableSpec], warning_checks: Iterable[str],
                 fast: bool) -> Dataset:
    if fast:
        try:
            return fastload.load_fast(folder, specs,
                                      {s.name: column_rules(s.row_model) for s in specs})
        except fastload.NotClean:
            pass
    problems: list[Problem] = []
    read = read_tables(folder, specs, problems)
    cross_checks(read.tables, read.sources, read.rules, problems, read.checks)
    warnings = raise_errors(problems, warning_checks)
    if warnings:
        drop_warned_rows(read.tables, read.sources, warnings)
    return Dataset(folder, read.tables, read.hashes, warnings)
