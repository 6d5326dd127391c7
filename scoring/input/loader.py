"""Load a dataset folder: the fast reader when it vouches for the data, else the reference
path, which reads every table as text and reports every problem.

Checks run column by column over whole tables (a province has millions of dossiers), but
what they check is read from the pydantic row models in :mod:`input.records` and from the
row models plugins declare: the models are the contract, the readers enforce it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..errors import InvalidInputError, Problem
from ..types import TableSpec
from . import fastload
from .contract import column_rules
from .cross_checks import cross_checks, drop_warned_rows, raise_errors
from .dataset import Dataset
from .files import check_folder
from .records import CORE_TABLES
from .reference_read import read_tables


def load_dataset(folder: str | Path, extra_tables: Iterable[TableSpec] = (),
                 warning_checks: Iterable[str] = (), *, fast: bool = True) -> Dataset:
    """Read and validate every table of a dataset folder.

    Raises :class:`InvalidInputError` listing every problem; nothing is returned half-valid.
    ``warning_checks`` (from the policy) turns chosen checks into warnings; the rows they
    concern are then left out of the run, and the warning says so.

    ``fast`` first tries :mod:`input.fastload` (typed pyarrow parsing), which gives up at
    the first sign of a problem; this reference path then reads the data and reports.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InvalidInputError([Problem(str(folder), None, None, None,
                                         "không tìm thấy thư mục dữ liệu", "missing_file")])
    specs = [TableSpec(n, m, req) for n, (m, req) in CORE_TABLES.items()] + list(extra_tables)
    checked = check_folder(folder, specs)
    if checked.problems:  # before any reader opens a link or a device
        raise InvalidInputError(checked.problems, checked.warnings)
    try:
        dataset = _load_tables(folder, specs, warning_checks, fast)
    except InvalidInputError as exc:
        raise InvalidInputError(exc.problems, checked.warnings + exc.warnings) from None
    dataset.warnings = checked.warnings + dataset.warnings
    return dataset


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
