"""Load a dataset folder and validate it against the row models, reporting every problem.

Checks run column by column over whole tables (a province has millions of dossiers), but
what they check is read from the pydantic row models in :mod:`scoring.records` and from the
row models plugins declare: the models are the contract, this module enforces it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import annotated_types
import numpy as np
import pandas as pd
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from scoring.aliases import canonical_columns
from scoring.errors import InvalidInputError, Problem
from scoring.records import CORE_TABLES
from scoring.types import TableSpec

TRUE_WORDS = frozenset({"true", "1", "yes", "có", "co", "x", "đúng"})
FALSE_WORDS = frozenset({"false", "0", "no", "không", "khong", ""})
# Checks a policy may downgrade to warnings ([validation] warnings = [...]). Format checks
# cannot be downgraded: a value that cannot be read cannot be used.
DOWNGRADABLE = frozenset({"reference", "duplicate", "date_order", "months_total"})


@dataclass
class Dataset:
    """Validated input tables (all years) and where they came from."""

    folder: Path
    tables: dict[str, pd.DataFrame]
    file_hashes: dict[str, str]
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class Source:
    """Where a table's rows came from, for messages: file name, line numbers, raw cells.

    Kept beside the frames, not in ``DataFrame.attrs``, which pandas deep-copies on every
    operation."""

    file: str
    line: pd.Series
    raw: pd.DataFrame


@dataclass(frozen=True)
class ColumnRule:
    name: str
    kind: str  # "str", "float", "int", "bool", "date", "datetime", "code"
    required: bool  # a value must be present
    has_default: bool
    default: Any
    codes: tuple[str, ...] = ()
    ge: float | None = None
    le: float | None = None
    key: bool = False
    ref: str | None = None


def _column_rules(model: type[BaseModel]) -> list[ColumnRule]:
    return [_column_rule(name, f) for name, f in model.model_fields.items()]


def _column_rule(name: str, f: FieldInfo) -> ColumnRule:
    ann = f.annotation
    optional = False
    origin = typing.get_origin(ann)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        optional = len(args) < len(typing.get_args(ann))
        ann = args[0]
    codes: tuple[str, ...] = ()
    if typing.get_origin(ann) is Literal:
        kind, codes = "code", tuple(str(a) for a in typing.get_args(ann))
    elif ann is bool:
        kind = "bool"
    elif ann is int:
        kind = "int"
    elif ann is float:
        kind = "float"
    elif ann is dt.datetime:
        kind = "datetime"
    elif ann is dt.date:
        kind = "date"
    else:
        kind = "str"
    ge = le = None
    min_len = 0
    for meta in f.metadata:
        if isinstance(meta, annotated_types.Ge):
            ge = float(meta.ge)  # type: ignore[arg-type]
        elif isinstance(meta, annotated_types.Le):
            le = float(meta.le)  # type: ignore[arg-type]
        elif isinstance(meta, annotated_types.MinLen):
            min_len = meta.min_length
    extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
    required = f.is_required() and not optional
    if kind == "str" and min_len == 0 and not optional and f.is_required():
        required = True
    return ColumnRule(name=name, kind=kind, required=required,
                      has_default=not f.is_required(), default=f.default, codes=codes,
                      ge=ge, le=le, key=bool(extra.get("key")), ref=extra.get("ref"))  # type: ignore[arg-type]


EXPECTED_TEXT = {
    "date": "một ngày YYYY-MM-DD hoặc DD/MM/YYYY",
    "datetime": "ngày giờ YYYY-MM-DD[ HH:MM] hoặc DD/MM/YYYY[ HH:MM]",
    "bool": "true/false, 1/0, yes/no hoặc có/không",
    "float": "một số",
    "int": "một số nguyên",
}


# -- reading ---------------------------------------------------------------------------


def find_table_file(folder: Path, name: str) -> Path | None:
    for ext in (".csv", ".xlsx"):
        candidate = folder / f"{name}{ext}"
        if candidate.exists():
            return candidate
    return None


def _read_raw(path: Path, problems: list[Problem]) -> pd.DataFrame | None:
    """Read every cell as text. Returns None (with a problem) when the file can't be read."""
    try:
        if path.suffix == ".xlsx":
            df = pd.read_excel(path, dtype=str, keep_default_na=False, na_filter=False)
            return df.fillna("")
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            problems.append(Problem(path.name, line, None, None,
                                    "tệp phải mã hóa UTF-8 (lưu lại từ Excel bằng "
                                    "'CSV UTF-8')", check="encoding"))
            return None
        if not text.strip():
            problems.append(Problem(path.name, None, None, None,
                                    "tệp rỗng: cần ít nhất dòng tiêu đề", check="format"))
            return None
        import io

        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                           na_filter=False, skip_blank_lines=False)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        problems.append(Problem(path.name, None, None, None,
                                f"không đọc được tệp: {exc}", check="format"))
        return None


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# -- parsing columns -------------------------------------------------------------------


def parse_datetimes(values: pd.Series) -> pd.Series:
    """ISO ``YYYY-MM-DD[ HH:MM[:SS]]`` or Vietnamese ``DD/MM/YYYY[ HH:MM[:SS]]``; NaT if neither."""
    s = values.str.strip()
    out = pd.to_datetime(s, format="ISO8601", errors="coerce")
    todo = out.isna() & (s != "")
    if todo.any():
        for fmt in ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"):
            parsed = pd.to_datetime(s[todo], format=fmt, errors="coerce")
            out.loc[parsed.index] = out.loc[parsed.index].fillna(parsed)
            todo = out.isna() & (s != "")
            if not todo.any():
                break
    # "-1" or "0099-01-01" parse as ISO years nanosecond timestamps cannot hold: such a
    # value is not a date HR staff meant, so it is reported like any unreadable date
    out = out.where((out >= pd.Timestamp.min) & (out <= pd.Timestamp.max))
    return out.astype("datetime64[ns]")


def _parse_number(values: pd.Series) -> pd.Series:
    s = values.str.strip()
    # Vietnamese spreadsheets write decimals with a comma ("8,5")
    s = s.str.replace(r"^(-?\d+),(\d+)$", r"\1.\2", regex=True)
    return pd.to_numeric(s, errors="coerce")


def _validate_table(name: str, file: str, raw: pd.DataFrame, rules: list[ColumnRule],
                    problems: list[Problem]) -> tuple[pd.DataFrame, Source]:
    line = pd.Series(np.arange(len(raw)) + 2, index=raw.index)
    # blank lines are harmless: drop them (after numbering, so row numbers stay true)
    blank = (raw.apply(lambda c: c.str.strip()) == "").all(axis=1) if len(raw.columns) else None
    if blank is not None and blank.any():
        raw, line = raw[~blank], line[~blank]
    out = pd.DataFrame(index=raw.index)

    def bad(mask: pd.Series, column: str, expected: str, check: str = "format") -> None:
        if mask.any():
            for ln, val in zip(line[mask].tolist(), raw.loc[mask, column].tolist(), strict=True):
                problems.append(Problem(file, int(ln), column, val, expected, check))

    for rule in rules:
        col = rule.name
        if col not in raw.columns:
            if rule.has_default:
                out[col] = rule.default
                continue
            problems.append(Problem(file, 1, col, None,
                                    f"thiếu cột bắt buộc '{col}'", check="missing_column"))
            continue
        s = raw[col].astype(str).str.strip()
        empty = s == ""
        if rule.required:
            bad(empty, col, "bắt buộc phải có giá trị", "required")
        if rule.kind in ("str",):
            out[col] = s.where(~empty, None)
        elif rule.kind == "code":
            unknown = ~empty & ~s.isin(rule.codes)
            bad(unknown, col, "một trong: " + ", ".join(rule.codes), "code")
            out[col] = s.where(~empty, None)
        elif rule.kind == "bool":
            low = s.str.lower()
            unknown = ~low.isin(TRUE_WORDS | FALSE_WORDS)
            bad(unknown, col, EXPECTED_TEXT["bool"])
            out[col] = low.isin(TRUE_WORDS)
        elif rule.kind in ("float", "int"):
            num = _parse_number(s)
            notnum = ~empty & num.isna()
            bad(notnum, col, EXPECTED_TEXT[rule.kind])
            if rule.kind == "int":
                frac = ~empty & num.notna() & (num != num.round())
                bad(frac, col, EXPECTED_TEXT["int"])
            if rule.ge is not None or rule.le is not None:
                lo = -np.inf if rule.ge is None else rule.ge
                hi = np.inf if rule.le is None else rule.le
                out_of = num.notna() & ((num < lo) | (num > hi))
                bad(out_of, col, f"trong khoảng {lo:g}–{hi:g}", "range")
            if empty.any() and rule.has_default and rule.default is not None:
                num = num.where(~empty, rule.default)
            out[col] = num.astype("Int64") if rule.kind == "int" else num.astype(float)
        elif rule.kind in ("date", "datetime"):
            parsed = parse_datetimes(s)
            bad(~empty & parsed.isna(), col, EXPECTED_TEXT[rule.kind])
            if rule.kind == "date":
                parsed = parsed.dt.normalize()
            out[col] = parsed
    extra_cols = [c for c in raw.columns if c not in {r.name for r in rules}]
    for c in extra_cols:
        if str(c).startswith("Unnamed") or str(c).strip() == "":
            continue
        out[c] = raw[c]  # extra columns are kept (plugins may read them) and ignored otherwise
    return out, Source(file, line, raw)


def _cross_checks(tables: dict[str, pd.DataFrame], sources: dict[str, Source],
                  rules: dict[str, list[ColumnRule]], problems: list[Problem]) -> None:
    def report(name: str, mask: pd.Series, column: str, expected: str, check: str) -> None:
        df, src = tables[name], sources[name]
        if mask.any():
            for idx in df.index[mask.to_numpy()]:
                # quote the cell as the user typed it, not as it was parsed
                problems.append(Problem(src.file, int(src.line[idx]), column,
                                        str(src.raw.at[idx, column]), expected, check))

    keys: dict[str, pd.Series] = {}
    for name, df in tables.items():
        for rule in rules[name]:
            if rule.key and rule.name in df.columns:
                col = df[rule.name]
                dup = col.notna() & col.duplicated(keep="first")
                report(name, dup, rule.name, "mã bị trùng (đã xuất hiện ở dòng trước)",
                       "duplicate")
                keys[name] = col
    for name, df in tables.items():
        for rule in rules[name]:
            if rule.ref and rule.name in df.columns and rule.ref in keys:
                col = df[rule.name]
                dangling = col.notna() & ~col.isin(keys[rule.ref])
                report(name, dangling, rule.name,
                       f"không có trong {rule.ref} (mã tham chiếu không tồn tại)", "reference")
    if "dossiers" in tables:
        d = tables["dossiers"]
        if {"received_at", "due_at", "returned_at"} <= set(d.columns):
            rec = d["received_at"].dt.normalize()
            report("dossiers", d["due_at"].dt.normalize() < rec, "due_at",
                   "ngày hẹn trả không được trước ngày tiếp nhận", "date_order")
            report("dossiers", d["returned_at"].dt.normalize() < rec, "returned_at",
                   "ngày trả kết quả không được trước ngày tiếp nhận", "date_order")
    if "officials" in tables:
        o = tables["officials"]
        if {"months_worked", "months_absent"} <= set(o.columns):
            over = (o["months_worked"] + o["months_absent"]) > 12 + 1e-9
            report("officials", over, "months_absent",
                   "số tháng công tác + số tháng nghỉ không được quá 12", "months_total")


def load_dataset(folder: str | Path, extra_tables: Iterable[TableSpec] = (),
                 warning_checks: Iterable[str] = (), *, fast: bool = True) -> Dataset:
    """Read and validate every table of a dataset folder.

    Raises :class:`InvalidInputError` listing every problem; nothing is returned half-valid.
    ``warning_checks`` (from the policy) turns chosen checks into warnings; the rows they
    concern are then left out of the run, and the warning says so.

    ``fast`` first tries :mod:`scoring.fastload` (typed pyarrow parsing), which gives up at
    the first sign of a problem; this reference path then reads the data and reports.
    """
    folder = Path(folder)
    problems: list[Problem] = []
    if not folder.is_dir():
        raise InvalidInputError([Problem(str(folder), None, None, None,
                                         "không tìm thấy thư mục dữ liệu", "missing_file")])
    specs = [TableSpec(n, m, req) for n, (m, req) in CORE_TABLES.items()] + list(extra_tables)
    if fast:
        from scoring.fastload import NotClean, load_fast

        try:
            return load_fast(folder, specs, {s.name: _column_rules(s.row_model) for s in specs})
        except NotClean:
            pass
    tables: dict[str, pd.DataFrame] = {}
    rules: dict[str, list[ColumnRule]] = {}
    hashes: dict[str, str] = {}
    sources: dict[str, Source] = {}
    for spec in specs:
        rules[spec.name] = _column_rules(spec.row_model)
        path = find_table_file(folder, spec.name)
        if path is None:
            if spec.required:
                problems.append(Problem(f"{spec.name}.csv", None, None, None,
                                        "thiếu tệp bắt buộc trong thư mục dữ liệu",
                                        "missing_file"))
            else:
                empty = pd.DataFrame({r.name: pd.Series(dtype=object) for r in rules[spec.name]})
                tables[spec.name], sources[spec.name] = _validate_table(
                    spec.name, f"{spec.name}.csv", empty.astype(str), rules[spec.name], problems)
            continue
        hashes[path.name] = file_hash(path)
        raw = _read_raw(path, problems)
        if raw is None:
            continue
        known = {r.name for r in rules[spec.name]}
        raw = raw.rename(columns=canonical_columns(list(raw.columns), known))
        dup_cols = raw.columns[raw.columns.duplicated()].tolist()
        for c in dup_cols:
            problems.append(Problem(path.name, 1, c, None, "cột bị lặp lại", "format"))
        if dup_cols:
            continue
        tables[spec.name], sources[spec.name] = _validate_table(
            spec.name, path.name, raw, rules[spec.name], problems)
    _cross_checks(tables, sources, rules, problems)
    downgraded = frozenset(warning_checks) & DOWNGRADABLE
    errors = [p for p in problems if p.check not in downgraded]
    warnings = [p for p in problems if p.check in downgraded]
    if errors:
        raise InvalidInputError(errors, warnings)
    if warnings:
        _drop_warned_rows(tables, sources, warnings)
    return Dataset(folder, tables, dict(sorted(hashes.items())), warnings)


def _drop_warned_rows(tables: dict[str, pd.DataFrame], sources: dict[str, Source],
                      warnings: list[Problem]) -> None:
    by_file: dict[str, set[int]] = {}
    for w in warnings:
        if w.check in ("reference", "duplicate") and w.row is not None:
            by_file.setdefault(w.file, set()).add(w.row)
    for name, df in list(tables.items()):
        rows = by_file.get(sources[name].file, set())
        if rows:
            tables[name] = df[~sources[name].line.isin(rows).to_numpy()].copy()
