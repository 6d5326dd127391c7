"""The reference checks of one table, column by column, from its column rules: every cell
read, typed and checked, every problem named by file, row, column (as the file names it)
and value. The fast reader accepts only what these would accept."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import Problem
from ..frames import TEXT, number_text
from .aliases import ALIASES, canonical_columns, canonical_values, expected_codes, value_codes
from .contract import ColumnRule
from .dataset import Source
from .dates import MAX_YEAR, MIN_YEAR, excel_serial_dates, parse_datetimes, today_here
from .raw_table import RawTable

TRUE_WORDS = frozenset({"true", "1", "yes", "có", "co", "x", "đúng"})
FALSE_WORDS = frozenset({"false", "0", "no", "không", "khong", ""})
FORMULA_TEXT = ("ô có công thức nhưng không có giá trị đã tính (tệp được tạo bằng chương "
                "trình, chưa mở bằng Excel): mở tệp bằng Excel rồi lưu lại, hoặc nhập giá trị")
# what Excel writes in a cell whose formula failed; never a value
EXCEL_ERRORS = r"^#(?:N/A|REF!|VALUE!|DIV/0!|NAME\?|NUM!|NULL!|SPILL!|CALC!|FIELD!|BLOCKED!)$"

EXPECTED_TEXT = {
    "date": "một ngày YYYY-MM-DD hoặc DD/MM/YYYY",
    "datetime": "ngày giờ YYYY-MM-DD[ HH:MM] hoặc DD/MM/YYYY[ HH:MM]",
    "bool": "true/false, 1/0, yes/no hoặc có/không",
    "float": "một số",
    "int": "một số nguyên",
}


def _parse_number(values: pd.Series) -> pd.Series:
    s = values.str.strip()
    # Vietnamese spreadsheets write decimals with a comma ("8,5")
    s = s.str.replace(r"^(-?\d+),(\d+)$", r"\1.\2", regex=True)
    return pd.to_numeric(s, errors="coerce")


def _blank_rows(raw: pd.DataFrame) -> pd.Series:
    """Rows whose every cell is blank once stripped: column by column, each looking only at
    the rows still blank (after the first column, hardly any)."""
    blank = pd.Series(True, index=raw.index)
    for c in range(raw.shape[1]):
        still = blank.to_numpy().nonzero()[0]
        if not len(still):
            break
        blank.iloc[still] = (raw.iloc[still, c].str.strip() == "").to_numpy()
    return blank


def validate_table(name: str, file: str, raw: pd.DataFrame, rules: list[ColumnRule],
                   problems: list[Problem], first_line: int = 2,
                   numeric: pd.DataFrame | None = None,
                   today: dt.date | None = None,
                   headers: Mapping[str, str] | None = None,
                   formulas: pd.DataFrame | None = None) -> tuple[pd.DataFrame, Source]:
    headers = dict(headers or {})
    line = pd.Series(np.arange(len(raw)) + first_line, index=raw.index)
    # blank lines are harmless: drop them (after numbering, so row numbers stay true)
    blank = _blank_rows(raw) if len(raw.columns) else None
    if blank is not None and blank.any():
        raw, line = raw[~blank], line[~blank]
    out = pd.DataFrame(index=raw.index)
    known = {r.name for r in rules}

    def bad(mask: pd.Series, column: str, expected: str, check: str = "format") -> None:
        if mask.any():
            for ln, val in zip(line[mask].tolist(), raw.loc[mask, column].tolist(), strict=True):
                problems.append(Problem(file, int(ln), column, val, expected, check,
                                        headers.get(column)))

    for rule in rules:
        col = rule.name
        if col not in raw.columns:
            typo = misspelt_column(col, [c for c in raw.columns if c not in known])
            if typo is not None:
                # an optional column spelt wrong would silently take its default
                problems.append(Problem(file, first_line - 1, str(typo), None,
                                        f"cột lạ '{typo}': có phải cột '{col}'? (sửa tiêu đề; "
                                        "cột không đọc được thì mọi ô lấy giá trị mặc định)",
                                        check="missing_column"))
            elif rule.has_default:
                out[col] = default_column(rule, raw.index)
                continue
            else:
                problems.append(Problem(file, first_line - 1, col, None,
                                        f"thiếu cột bắt buộc '{col}'", check="missing_column"))
            continue
        s = raw[col].astype(str).str.strip()
        if rule.kind in ("str", "code", "bool") and not s.str.isascii().all():
            # a Mac writes 'có' decomposed (NFD); it must equal the 'có' typed elsewhere
            s = s.str.normalize("NFC")
        codes = value_codes(name, col, rule.codes)
        if codes:  # HR software's Vietnamese labels ("Cán bộ") stand for the codes
            s = canonical_values(s, codes)
        empty = s == ""
        excel_error = s.str.startswith("#")
        if excel_error.any():  # the pattern only where it can match: a regex per cell is slow
            excel_error[excel_error] = s[excel_error].str.match(EXCEL_ERRORS)
        bad(excel_error, col, "ô báo lỗi của Excel: công thức không tính được, cần giá trị")
        if formulas is not None and col in formulas.columns:
            uncomputed = formulas[col].reindex(s.index, fill_value=False).astype(bool)
            bad(uncomputed, col, FORMULA_TEXT)
            excel_error = excel_error | uncomputed
        empty = empty | excel_error
        if rule.required:
            bad(empty & ~excel_error, col, "bắt buộc phải có giá trị", "required")
        if rule.kind in ("str",):
            out[col] = s.where(~empty, None)
        elif rule.kind == "code":
            unknown = ~empty & ~s.isin(rule.codes)
            bad(unknown, col, expected_codes(rule.codes), "code")
            out[col] = s.where(~empty, None)
        elif rule.kind == "bool":
            low = s.str.lower()
            unknown = ~empty & ~low.isin(TRUE_WORDS | FALSE_WORDS)
            bad(unknown, col, EXPECTED_TEXT["bool"])
            out[col] = low.isin(TRUE_WORDS)
        elif rule.kind in ("float", "int"):
            num = _parse_number(s)
            notnum = ~empty & num.isna()
            bad(notnum, col, EXPECTED_TEXT[rule.kind])
            if rule.kind == "int":
                frac = ~empty & num.notna() & (num != num.round())
                bad(frac, col, EXPECTED_TEXT["int"])
            invalid = notnum
            if rule.kind == "int":
                invalid = invalid | frac | (num.abs() > 2**53)
            if rule.ge is not None or rule.le is not None:
                lo = -np.inf if rule.ge is None else rule.ge
                hi = np.inf if rule.le is None else rule.le
                out_of = num.notna() & ((num < lo) | (num > hi))
                bad(out_of, col, f"trong khoảng {number_text(lo)}–{number_text(hi)}", "range")
                invalid = invalid | out_of
            # reported above; blanked so the cast below can't fail on them (2023.5, 1e20)
            num = num.mask(invalid)
            if empty.any() and rule.has_default and rule.default is not None:
                num = num.where(~empty, rule.default)
            out[col] = num.astype("Int64") if rule.kind == "int" else num.astype(float)
        elif rule.kind in ("date", "datetime"):
            parsed = parse_datetimes(s.where(~empty, ""))
            if numeric is not None and col in numeric.columns:
                # a number in an xlsx date cell is an Excel date shown unformatted
                serial = numeric[col].reindex(s.index, fill_value=False).astype(bool) & ~empty
                if serial.any():
                    parsed = parsed.where(~serial, excel_serial_dates(s.where(serial)))
            bad(~empty & parsed.isna(), col, EXPECTED_TEXT[rule.kind]
                + f" (năm từ {MIN_YEAR} đến {MAX_YEAR})")
            if rule.past:
                limit = pd.Timestamp(today or today_here()) + pd.Timedelta(days=1)
                bad(parsed >= limit, col, "ngày ở tương lai (sau hôm nay): việc này chưa thể "
                    "xảy ra — gõ nhầm năm?", "future")
            if rule.kind == "date":
                parsed = parsed.dt.normalize()
            out[col] = parsed
    extra_cols = [c for c in raw.columns if c not in {r.name for r in rules}]
    for c in extra_cols:
        if str(c).startswith("Unnamed") or str(c).strip() == "":
            continue
        out[c] = raw[c]  # extra columns are kept (plugins may read them) and ignored otherwise
    return out, Source(file, line, raw, headers)


def absent_table(name: str, rules: list[ColumnRule]) -> tuple[pd.DataFrame, Source]:
    """An optional table without its file: no row, every column typed as a read one."""
    blank = pd.DataFrame({r.name: pd.Series(dtype=object) for r in rules}).astype(str)
    return validate_table(name, f"{name}.csv", blank, rules, [])


#: Arrow's type of each kind of column, as the fast reader's tables hold it
ARROW_TYPES = {"date": pa.timestamp("ns"), "datetime": pa.timestamp("ns"), "float": pa.float64(),
               "int": pa.int64(), "bool": pa.bool_(), "str": TEXT, "code": TEXT}


def default_array(rule: ColumnRule, rows: int) -> pa.Array:
    """A missing column of ``rows`` rows (blank for a rule without default), typed like a
    present one: a blank date column must still be dates (the date-order checks and the
    rules compare them). Built by Arrow: a pandas Series of 2,000,000 defaults cost
    0.075 s (decision 117)."""
    value = rule.default if rule.has_default and rule.kind not in ("date", "datetime") else None
    if rule.kind == "bool":
        value = bool(value)  # no bool is blank: the reference path reads a blank as false
    return pa.repeat(pa.scalar(value, ARROW_TYPES[rule.kind]), rows)


def default_column(rule: ColumnRule, index: pd.Index) -> pd.Series:
    """:func:`default_array` as a pandas column of ``index``, typed by :func:`as_frame`."""
    return as_frame(pa.table({rule.name: default_array(rule, len(index))}))[
        rule.name].set_axis(index)


def as_frame(table: pa.Table) -> pd.DataFrame:
    """The pandas frame of an Arrow table read and checked, with the reference path's
    dtypes (a table, not a column: pyarrow converts an Arrow column of text holding only
    nulls to an object column, a table's to pandas' string dtype)."""
    return table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)


def _fold(text: str) -> str:
    """Lower case, no diacritics, no spaces or underscores: what a typo leaves alike."""
    text = unicodedata.normalize("NFD", str(text).lower()).replace("đ", "d")
    return re.sub(r"[\W_]+", "", "".join(c for c in text if not unicodedata.combining(c)))


def misspelt_column(column: str, headers: list[Any]) -> Any:
    """The unknown header that looks like a misspelling of ``column`` (or of one of its
    Vietnamese labels), if exactly one does."""
    targets = {_fold(column)} | {_fold(label) for label in ALIASES.get(column, ())}
    close = [h for h in headers if not str(h).startswith("Unnamed")
             and difflib.get_close_matches(_fold(h), targets, n=1, cutoff=0.85)]
    return close[0] if len(close) == 1 else None


def validate_raw(name: str, file: str, read: RawTable, rules: list[ColumnRule],
                 problems: list[Problem], first_line: int | None = None
                 ) -> tuple[pd.DataFrame, Source] | None:
    """Check a table read as text (headers given their canonical names); None when its
    header repeats a column. ``first_line`` numbers the rows when ``read`` is a part of a
    file (default: where ``read`` says its data starts)."""
    known = {r.name for r in rules}
    renames = canonical_columns([str(c) for c in read.frame.columns], known)
    raw = read.frame.set_axis([renames[str(c)] for c in read.frame.columns], axis=1)
    headers = {canonical: str(written) for written, canonical in renames.items()}
    numeric = None if read.numeric is None else read.numeric.set_axis(raw.columns, axis=1)
    formulas = None if read.formulas is None else read.formulas.set_axis(raw.columns, axis=1)
    dup_cols = raw.columns[raw.columns.duplicated()].tolist()
    for c in dup_cols:
        problems.append(Problem(file, read.first_line - 1, c, None, "cột bị lặp lại",
                                "format"))
    if dup_cols:
        return None
    return validate_table(name, file, raw, rules, problems,
                           read.first_line if first_line is None else first_line, numeric,
                           headers=headers, formulas=formulas)
