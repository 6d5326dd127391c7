"""The reference path's reading: each table file read as text and checked on its own
(:mod:`.column_checks`), a big CSV file part by part (:mod:`.partcheck`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import Problem
from ..types import TableSpec
from . import partcheck
from .column_checks import validate_raw, validate_table
from .contract import ColumnRule, RowCheck, column_rules, row_checks
from .csv_text import read_csv_bytes
from .dataset import Source
from .files import file_hash, find_table_file, missing_file_problem, table_file_problems
from .raw_table import NO_ROWS, RawTable
from .records import NONEMPTY_TABLES
from .xlsx_table import read_xlsx


def read_raw(path: Path, problems: list[Problem], known: set[str] | None = None
             ) -> RawTable | None:
    """Read every cell as text. Returns None (with a problem) when the file can't be read."""
    known = known or set()
    if path.suffix == ".xlsx":
        return read_xlsx(path, problems, known)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(path.name, None, None, None,
                                f"không đọc được tệp: {exc.strerror or exc}", "format"))
        return None
    return read_csv_bytes(path.name, raw, problems, known)


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
                empty = pd.DataFrame({r.name: pd.Series(dtype=object) for r in rules})
                out.tables[spec.name], out.sources[spec.name] = validate_table(
                    spec.name, f"{spec.name}.csv", empty.astype(str), rules, problems)
            continue
        out.hashes[path.name] = file_hash(path)
        if path.suffix == ".csv" and path.stat().st_size > PARTS_BYTES:
            checked = _read_in_parts(path, spec.name, rules, problems)
        else:
            read = read_raw(path, problems, {r.name for r in rules})
            if read is None:
                continue
            checked = validate_raw(spec.name, path.name, read, rules, problems)
        if checked is None:
            continue
        out.tables[spec.name], out.sources[spec.name] = checked
        if spec.name in NONEMPTY_TABLES and checked[0].empty:
            problems.append(Problem(path.name, None, None, None, NO_ROWS, "format"))
    out.hashes = dict(sorted(out.hashes.items()))
    return out


# A CSV file bigger than this (a province's dossiers) is read and checked in parts: the
# same result, with temporaries the size of a part rather than of the file (≈ 1 GB less
# on a province), and a little faster. Worker processes don't pay here: sending each
# part's frames back through a pipe costs what checking it on a second core saves.
PARTS_BYTES = 64 << 20


def _read_in_parts(path: Path, name: str, rules: list[ColumnRule], problems: list[Problem]
                   ) -> tuple[pd.DataFrame, Source] | None:
    """:func:`read_raw` and :func:`validate_raw` of a big CSV file, part by part
    (:class:`input.partcheck.BigCsvCheck`: the same checks, rows numbered as in the whole
    file); None when it can't be read or has no rows."""
    check = partcheck.BigCsvCheck(path, name, rules, partcheck.PART_BYTES)
    parts = list(check.parts())
    problems += check.problems
    if not check.readable or not check.rows:  # an empty file: the check has said so
        return None
    frames, sources = zip(*parts, strict=True)
    return pd.concat(frames, ignore_index=True), Source(
        path.name, pd.concat([s.line for s in sources], ignore_index=True),
        pd.concat([s.raw for s in sources], ignore_index=True), sources[-1].headers)
