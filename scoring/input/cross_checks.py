"""The checks across rows and tables (keys unique, references found, the row checks each
row model declares), and the problems a policy turns into warnings: the rows they leave
out of the run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InvalidInputError, Problem
from ..frames import is_in
from .contract import ColumnRule, RowCheck
from .dataset import Source
from .product_checks import products_checks

# Checks a policy may downgrade to warnings ([validation] warnings = [...]). Format checks
# cannot be downgraded: a value that cannot be read cannot be used.
DOWNGRADABLE = frozenset({"reference", "duplicate", "date_order", "months_total", "sum_limit",
                          "future"})
DUPLICATE_TEXT = "mã bị trùng (đã xuất hiện ở dòng trước)"


def _duplicated(col: pd.Series) -> pd.Series:
    """Cells repeating an earlier cell's key (blank cells repeat nothing). A one-stop system
    exports its ids in order: strictly increasing keys are proven unique without hashing."""
    try:
        keys = pa.array(col.dropna(), pa.large_string())
        increasing = len(keys) < 2 or not pc.any(pc.greater_equal(keys[:-1], keys[1:])).as_py()
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text: pandas compares them
        increasing = False
    if increasing:
        return pd.Series(False, index=col.index)
    return col.notna() & col.duplicated(keep="first")


def cross_checks(tables: dict[str, pd.DataFrame], sources: dict[str, Source],
                 rules: dict[str, list[ColumnRule]], problems: list[Problem],
                 checks: Mapping[str, tuple[RowCheck, ...]] | None = None,
                 known_keys: Mapping[str, pd.Series] | None = None,
                 duplicates: bool = True) -> None:
    """The checks across rows and tables: keys unique, references to existing keys, and
    the checks between columns each row model declares (``checks``). ``known_keys`` gives
    the keys of tables checked before (a big file is checked part by part against them);
    ``duplicates=False`` leaves key uniqueness to the caller."""
    def report(name: str, mask: pd.Series, column: str, expected: str, check: str) -> None:
        df, src = tables[name], sources[name]
        if mask.any():
            for idx in df.index[mask.to_numpy()]:
                # quote the cell as the user typed it, not as it was parsed
                problems.append(Problem(src.file, int(src.line[idx]), column,
                                        str(src.raw.at[idx, column]), expected, check,
                                        src.headers.get(column)))

    keys: dict[str, pd.Series] = dict(known_keys or {})
    for name, df in tables.items():
        for rule in rules[name]:
            if rule.key and rule.name in df.columns:
                col = df[rule.name]
                if duplicates:
                    report(name, _duplicated(col), rule.name,
                           DUPLICATE_TEXT, "duplicate")
                keys[name] = col
    for name, df in tables.items():
        for rule in rules[name]:
            if rule.ref and rule.name in df.columns and rule.ref in keys:
                col = df[rule.name]
                dangling = col.notna() & ~is_in(col, keys[rule.ref])
                report(name, dangling, rule.name,
                       f"không có trong {rule.ref} (mã tham chiếu không tồn tại)", "reference")
    for name, df in tables.items():
        for check in (checks or {}).get(name, ()):
            report(name, pd.Series(check.violations(df), index=df.index), check.column,
                   check.expected, check.check)
    # the products regime's checks across rows and tables (periods, work items, dossiers)
    for check in products_checks(tables):
        report(check.table, check.failing, check.column, check.expected, check.check)


def raise_errors(problems: list[Problem], warning_checks: Iterable[str]) -> list[Problem]:
    """Raise :class:`InvalidInputError` if any problem is an error; else return the
    problems the policy downgraded to warnings."""
    downgraded = frozenset(warning_checks) & DOWNGRADABLE
    errors = [p for p in problems if p.check not in downgraded]
    warnings = [p for p in problems if p.check in downgraded]
    if errors:
        raise InvalidInputError(errors, warnings)
    return warnings


def rows_left_out(warnings: Iterable[Problem]) -> dict[str, set[int]]:
    """File name → the lines a warning leaves out of the run: a row referring to nothing or
    repeating a key can't be used; the other downgraded checks keep their rows."""
    by_file: dict[str, set[int]] = {}
    for w in warnings:
        if w.check in ("reference", "duplicate") and w.row is not None:
            by_file.setdefault(w.file, set()).add(w.row)
    return by_file


def drop_warned_rows(tables: dict[str, pd.DataFrame], sources: dict[str, Source],
                      warnings: list[Problem]) -> None:
    by_file = rows_left_out(warnings)
    for name, df in list(tables.items()):
        rows = by_file.get(sources[name].file, set())
        if rows:
            tables[name] = df[~sources[name].line.isin(rows).to_numpy()].copy()
