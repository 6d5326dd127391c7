"""The reference path's reading: each table file read as text and checked on its own
(:mod:`.column_checks`), a CSV file part by part when it is big (:mod:`.partcheck`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import Problem
from ..types import TableSpec
from . import partcheck
from .column_checks import absent_table, validate_raw
from .contract import ColumnRule, RowCheck, column_rules, row_checks
from .dataset import Source
from .files import file_hash, find_table_file, missing_file_problem, table_file_problems
from .records import NONEMPTY_TABLES
from .xlsx_table import read_xlsx


@dataclass
class ReadTables:
    """What the reference path read: validated frames, their sources, the column rules and
    row checks of every table asked for (read or not), and the hashes of the files read."""

    tables: dict[str, pd.DataFrame]
    sources: dict[str, Source]
    rules: dict[str, list[ColumnRule]]
    hashes: dict[str, str]
    checks: dict[str, tuple[RowCheck, ...]] = field(default_factory=dict)


def read_tables(folder: Path, specs: Iterable[TableSpec], problems: list[Problem]
                ) -> ReadTables:
    """Read and check each table of ``specs`` on its own (no check across tables),
    appending every problem to ``problems``."""
    out = ReadTables({}, {}, {}, {})
    for spec in specs:
        rules = out.rules[spec.name] = column_rules(spec.row_model)
        out.checks[spec.name] = row_checks(spec.row_model)
        file_problems = table_file_problems(folder, spec.name)
        if file_problems:
            problems += file_problems
            continue
        path = find_table_file(folder, spec.name)
        if path is None:
            if spec.required:
                problems.append(missing_file_problem(spec.name))
            else:
                out.tables[spec.name], out.sources[spec.name] = absent_table(spec.name, rules)
            continue
        out.hashes[path.name] = file_hash(path)
        if path.suffix == ".csv":
            checked = _read_csv(path, spec.name, rules, problems)
        else:
            read = read_xlsx(path, problems, {r.name for r in rules})
            checked = None if read is None else validate_raw(spec.name, path.name, read,
                                                             rules, problems)
        if checked is None:
            continue
        out.tables[spec.name], out.sources[spec.name] = checked
        if spec.name in NONEMPTY_TABLES and checked[0].empty:
            problems.append(Problem(path.name, None, None, None,
                                    "không có dòng dữ liệu nào (chỉ có dòng tiêu đề)", "format"))
    out.hashes = dict(sorted(out.hashes.items()))
    return out


def _read_csv(path: Path, name: str, rules: list[ColumnRule], problems: list[Problem]
              ) -> tuple[pd.DataFrame, Source] | None:
    """A CSV file read as text and checked (:class:`.partcheck.BigCsvCheck`): in parts when
    it is big, with temporaries the size of a part rather than ≈ 12 times the file (≈ 1 GB
    less on a province); None when it can't be read."""
    check = partcheck.BigCsvCheck(path, name, rules, partcheck.PART_BYTES)
    parts = list(check.parts())
    problems += check.problems
    if not check.readable:
        return None
    if len(parts) == 1:
        return parts[0]
    frames, sources = zip(*parts, strict=True)
    return pd.concat(frames, ignore_index=True), Source(
        path.name, pd.concat([s.line for s in sources], ignore_index=True),
        pd.concat([s.raw for s in sources], ignore_index=True), sources[-1].headers)
