"""Load a dataset folder and validate it against the row models, reporting every problem.

Checks run column by column over whole tables (a province has millions of dossiers), but
what they check is read from the pydantic row models in :mod:`input.records` and from the
row models plugins declare: the models are the contract, this module enforces it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import InvalidInputError, Problem
from ..types import TableSpec
from .aliases import (
    ALIASES,
    HEADER_SCAN,
    canonical_columns,
    canonical_values,
    expected_codes,
    header_score,
    value_codes,
)
from .contract import ColumnRule, RowCheck, column_rules, row_checks
from .fastload import PY_WHITESPACE
from .files import check_folder, missing_file_problem
from .limits import long_line_problem, wide_header_problem
from .product_checks import products_checks
from .records import CORE_TABLES, NONEMPTY_TABLES
from .xlsx_sheets import WorkbookRefused, read_sheet

TRUE_WORDS = frozenset({"true", "1", "yes", "có", "co", "x", "đúng"})
FALSE_WORDS = frozenset({"false", "0", "no", "không", "khong", ""})
# Checks a policy may downgrade to warnings ([validation] warnings = [...]). Format checks
# cannot be downgraded: a value that cannot be read cannot be used.
DOWNGRADABLE = frozenset({"reference", "duplicate", "date_order", "months_total", "sum_limit",
                          "future"})
# what Excel writes in a cell whose formula failed; never a value
DUPLICATE_TEXT = "mã bị trùng (đã xuất hiện ở dòng trước)"
EMPTY_FILE = "tệp rỗng: cần ít nhất dòng tiêu đề"
FORMULA_TEXT = ("ô có công thức nhưng không có giá trị đã tính (tệp được tạo bằng chương "
                "trình, chưa mở bằng Excel): mở tệp bằng Excel rồi lưu lại, hoặc nhập giá trị")
EXCEL_ERRORS = r"^#(?:N/A|REF!|VALUE!|DIV/0!|NAME\?|NUM!|NULL!|SPILL!|CALC!|FIELD!|BLOCKED!)$"


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
    headers: Mapping[str, str] = field(default_factory=dict)  # canonical -> as written


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


def table_file_problems(folder: Path, name: str) -> list[Problem]:
    """Files a user meant as the table but that can't be read as it: both .csv and .xlsx,
    or an old-format .xls/.ods (Excel's 'Save as' default on old installs)."""
    problems = []
    if (folder / f"{name}.csv").exists() and (folder / f"{name}.xlsx").exists():
        problems.append(Problem(f"{name}.csv", None, None, None,
                                f"có cả {name}.csv và {name}.xlsx: chỉ giữ một tệp cho mỗi bảng",
                                "missing_file"))
    if find_table_file(folder, name) is None:
        for ext in (".xls", ".ods", ".txt", ".CSV", ".XLSX"):
            if (folder / f"{name}{ext}").exists():
                problems.append(Problem(f"{name}{ext}", None, None, None,
                                        f"định dạng {ext} không đọc được: lưu lại thành "
                                        f"{name}.xlsx hoặc {name}.csv (CSV UTF-8)", "missing_file"))
    return problems


@dataclass
class RawTable:
    """A file's cells as text, where its data starts, and (xlsx) which cells were numbers."""

    frame: pd.DataFrame
    first_line: int = 2  # spreadsheet line number of the first data row
    numeric: pd.DataFrame | None = None  # xlsx: True where the cell held a number
    formulas: pd.DataFrame | None = None  # xlsx: True where a formula has no computed value


ENCODING_HINT = ("mở tệp bằng Excel rồi 'Lưu thành' → 'CSV UTF-8 (Comma delimited)'; "
                 "xeploai không tự đoán bảng mã, vì đoán sai sẽ làm sai tên người")


def _pick_header(rows: list[list[Any]], known: set[str]) -> int:
    """The first of the top rows naming the most known columns (0 when none does)."""
    best, best_score = 0, 0
    for i, cells in enumerate(rows[:HEADER_SCAN]):
        score = header_score(cells, known)
        if score > best_score:
            best, best_score = i, score
    return best


def _read_raw(path: Path, problems: list[Problem], known: set[str] | None = None
              ) -> RawTable | None:
    """Read every cell as text. Returns None (with a problem) when the file can't be read."""
    known = known or set()
    if path.suffix == ".xlsx":
        return _read_xlsx(path, problems, known)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(path.name, None, None, None,
                                f"không đọc được tệp: {exc.strerror or exc}", "format"))
        return None
    return read_csv_bytes(path.name, raw, problems, known)


# the line breaks pandas knows (str.splitlines would also split on \x0c, \u2028, …)
LINE_BREAK = re.compile(r"\r\n|\r|\n")


def header_layout(lines: list[str], known: set[str]) -> tuple[str, int]:
    """The separator and the index of the header among a CSV file's first lines.

    Vietnamese Excel saves "CSV" with ';' (the decimal separator is ','): the header says
    which separator names the columns."""
    candidates = []
    for sep in (",", ";"):
        rows = [_cells(ln, sep) for ln in lines[:HEADER_SCAN]]
        header = _pick_header(rows, known)
        candidates.append((header_score(rows[header], known) if rows else 0, sep == ",",
                           sep, header))
    _, _, sep, header = max(candidates, key=lambda c: (c[0], c[1]))
    return sep, header


def read_csv_bytes(file: str, raw: bytes, problems: list[Problem], known: set[str]
                   ) -> RawTable | None:
    """:func:`_read_raw` of a CSV file's bytes (``file`` names it in problems)."""
    too_long = long_line_problem(file, raw)
    if too_long is not None:  # before anything whose cost grows faster than the file
        problems.append(too_long)
        return None
    text = _decode(file, raw, problems)
    if text is None:
        return None
    if not text.strip():
        problems.append(Problem(file, None, None, None, EMPTY_FILE, check="format"))
        return None
    # the text is UTF-8 (it decoded): its lines are cut from the bytes, not split into
    # millions of Python strings
    data = raw[len(codecs.BOM_UTF8):] if raw.startswith(codecs.BOM_UTF8) else raw
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")  # the breaks LINE_BREAK cuts at
    lines, at = _lines(data)
    top = [ln.removesuffix("\n") for ln in lines.slice(0, HEADER_SCAN).to_pylist()]
    sep, header = header_layout(top, known)
    width = len(_cells(top[header], sep))
    too_wide = wide_header_problem(file, header + 1, width)
    if too_wide is not None:
        problems.append(too_wide)
        return None
    body = lines.slice(header + 1)
    rows = len(body) - (1 if len(body) and body[-1].as_py() == "" else 0)  # the last break
    frame = None
    if width > 1 and rows and data.find(b'"', at[header + 1]) < 0:
        # no quote: every line is a row, and pyarrow refuses a line of another width (a
        # blank one too), so a file it reads has no problem _check_shape would report
        frame = _plain_cells(pa.py_buffer(data)[at[header + 1]:], sep, width, rows)
    if frame is None:
        text = data[at[header]:].decode()  # from the header on, line breaks as \n
        if not _check_shape(file, body, text, header, sep, width, problems):
            return None
        try:
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str,
                                keep_default_na=False, na_filter=False,
                                skip_blank_lines=False)
        except (ValueError, pd.errors.ParserError) as exc:
            problems.append(Problem(file, None, None, None,
                                    f"không đọc được tệp CSV: {exc}".strip(), check="format"))
            return None
    # the header as written: pandas renames a repeated 'name' to 'name.1', which would hide
    # the repetition and report a missing column instead
    names = _cells(top[header], sep)
    if len(names) == frame.shape[1]:
        frame.columns = [n if n.strip() else f"Unnamed: {j}" for j, n in enumerate(names)]
    return RawTable(frame, first_line=header + 2)


def _lines(data: bytes) -> tuple[pa.LargeStringArray, np.ndarray]:
    """The lines of UTF-8 ``data`` (line breaks already ``\\n``), each with its ``\\n``
    except the last one (empty when ``data`` ends with a line break) — as
    ``LINE_BREAK.split`` cuts them, without the breaks; and where each starts."""
    breaks = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    offsets = np.concatenate([[0], breaks + 1, [len(data)]]).astype(np.int64)
    return pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets),
                                            pa.py_buffer(data)), offsets


def _plain_cells(data: pa.Buffer | bytes, sep: str, width: int, rows: int
                 ) -> pd.DataFrame | None:
    """The cells of ``rows`` lines holding no quote, each cut at every ``sep``: all a CSV
    reader does with such lines, and pyarrow does it on both cores ≈ 10 times faster than
    pandas reads the text. None unless every line has ``width`` cells (then pandas reads
    the text, and :func:`_check_shape` names the lines that don't)."""
    names = [f"c{j}" for j in range(width)]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=True),
            parse_options=pacsv.ParseOptions(delimiter=sep, quote_char=False,
                                             double_quote=False, escape_char=False,
                                             newlines_in_values=False,
                                             ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    if table.num_rows != rows:
        return None
    return pd.DataFrame({j: table.column(j).to_pandas() for j in range(width)})


def _cells(line: str, sep: str) -> list[str]:
    """One line's cells (a damaged line is split plainly rather than refused)."""
    try:
        return next(csv.reader([line], delimiter=sep), [])
    except csv.Error:
        return line.split(sep)


def _decode(file: str, raw: bytes, problems: list[Problem]) -> str | None:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        problems.append(Problem(file, None, None, None,
                                "tệp mã hóa UTF-16 (Excel 'Unicode Text'), cần UTF-8: "
                                + ENCODING_HINT, check="encoding"))
        return None
    if b"\x00" in raw:  # anywhere: a NUL in a name would reach the database and the exports
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        problems.append(Problem(file, line, None, None,
                                "tệp chứa byte NUL: UTF-16 không có BOM, hoặc không phải tệp "
                                "văn bản; " + ENCODING_HINT, check="encoding"))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    header: list[str] = []
    bad_lines: list[int] = []
    first: tuple[int, str | None, str] | None = None
    for no, line in enumerate(raw.split(b"\n"), start=1):
        try:
            cells_text = line.decode("utf-8-sig")
            if no == 1:
                header = _cells(cells_text, ",")
            continue
        except UnicodeDecodeError:
            pass
        bad_lines.append(no)
        shown = line.decode("cp1258", errors="replace").rstrip("\r")
        if no == 1:
            header = _cells(shown, ",")
        if first is None:
            cells = _cells(shown, ",")
            column, value = None, shown
            for i, cell in enumerate(cells):
                if not _is_utf8(cell):
                    column = header[i] if i < len(header) else None
                    value = cell
                    break
            first = (no, column, value)
    no, column, value = first or (1, None, "")
    more = f"; {len(bad_lines)} dòng như vậy" if len(bad_lines) > 1 else ""
    problems.append(Problem(file, no, column, value,
                            "tệp không phải UTF-8 (có lẽ Windows-1258 hoặc bảng mã cũ TCVN3/VNI; "
                            f"giá trị hiển thị theo Windows-1258){more}: " + ENCODING_HINT,
                            check="encoding"))
    return None


def _is_utf8(text: str) -> bool:
    try:
        text.encode("cp1258").decode("utf-8")
        return True
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False


def _check_shape(file: str, body: pa.LargeStringArray, text: str, header: int,
                 sep: str, width: int, problems: list[Problem]) -> bool:
    """Rows with more or fewer cells than the header, and quotes never closed; False when
    there are any. ``body``: the lines after the header (:func:`_lines`); ``text``: the
    file's text from the header on.

    pandas stops at the first long row and pads short ones silently (a missing last cell
    would take the column's default): count every row's cells, fast where there are no
    quotes, with the csv module where there are."""
    if not len(body):
        return True
    counts = pc.add(pc.count_substring(body, sep), 1).to_numpy()
    before = len(problems)
    if pc.any(pc.match_substring(body, '"')).as_py():
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
        prev = 0
        try:
            next(reader)
            prev = reader.line_num
            for row in reader:
                start = prev + 1
                if reader.line_num == start and len(row) != width and any(c.strip() for c in row):
                    _shape_problem(file, header + start, len(row), width, problems)
                prev = reader.line_num
            # non-quoted lines were counted by the reader too: skip the fast count
            return len(problems) == before
        except csv.Error:
            problems.append(Problem(file, header + prev + 1, None, None,
                                    'dấu ngoặc kép (") không được đóng: ô có dấu phẩy hoặc '
                                    "xuống dòng phải nằm trọn trong cặp ngoặc kép", "format"))
            return False
    blank = pc.equal(pc.utf8_trim(body, PY_WHITESPACE), "").to_numpy(zero_copy_only=False)
    wrong = (counts != width) & ~blank
    for idx in np.flatnonzero(wrong):
        _shape_problem(file, header + 2 + int(idx), int(counts[idx]), width, problems)
    return len(problems) == before


def _shape_problem(file: str, line: int, got: int, width: int, problems: list[Problem]) -> None:
    hint = ("thừa ô: ô có dấu phẩy phải đặt trong ngoặc kép" if got > width
            else "thiếu ô: ô trống vẫn cần dấu phân cách")
    problems.append(Problem(file, line, None, None,
                            f"dòng có {got} ô, dòng tiêu đề có {width} ô ({hint})", "format"))


def _xlsx_text(value: Any) -> str:
    """A cell as the text a user sees: dates ISO, whole numbers without '.0'."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.replace(hour=0, minute=0, second=0,
                                                                   microsecond=0) \
            else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path, problems: list[Problem], known: set[str]) -> RawTable | None:
    try:
        # openpyxl itself, not pandas.read_excel: pandas turns an error cell (#N/A, #REF!)
        # into a blank, and a blank required cell would hide what really went wrong
        sheet = read_sheet(path, known)
        values = sheet.values
        width = max((len(r) for r in values), default=0)
        cells = pd.DataFrame([r + [None] * (width - len(r)) for r in values], dtype=object)
    except WorkbookRefused as exc:
        problems.append(Problem(path.name, None, None, None, str(exc), check="format"))
        return None
    except Exception as exc:  # a damaged zip, a password, a CSV renamed: any can happen
        problems.append(Problem(path.name, None, None, None,
                                "không đọc được tệp Excel (.xlsx hỏng, có mật khẩu hoặc không "
                                f"phải .xlsx): {type(exc).__name__}: {exc}", check="format"))
        return None
    if cells.empty:
        problems.append(Problem(path.name, None, None, None, EMPTY_FILE, check="format"))
        return None
    rows = cells.head(HEADER_SCAN).to_numpy().tolist()
    header = _pick_header(rows, known)
    too_wide = wide_header_problem(path.name, header + 1,
                                   sum(v is not None for v in rows[header]))
    if too_wide is not None:
        problems.append(too_wide)
        return None
    names = [_xlsx_text(v).strip() or f"Unnamed: {j}" for j, v in enumerate(rows[header])]
    body = cells.iloc[header + 1:].reset_index(drop=True)
    body.columns = names
    numeric = body.map(lambda v: isinstance(v, int | float | np.number)
                       and not isinstance(v, bool | np.bool_) and v == v)
    frame = body.map(_xlsx_text).astype(object)
    formulas = None
    if sheet.formulas:
        # the cell shows its formula (quoted in the message) and is marked as one
        formulas = pd.DataFrame(False, index=frame.index, columns=frame.columns)
        for (i, j), formula in sheet.formulas.items():
            if i > header:
                frame.iat[i - header - 1, j] = formula
                formulas.iat[i - header - 1, j] = True
    return RawTable(frame, first_line=header + 2, numeric=numeric, formulas=formulas)


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# -- parsing columns -------------------------------------------------------------------


# a time zone can't be honoured (dates are calendar dates in Vietnam): such values are invalid
_TZ_SUFFIX = r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})$"
MIN_YEAR, MAX_YEAR = 1900, 2100
EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # serial 1 = 1900-01-01 (past Excel's 1900 bug)


def parse_datetimes(values: pd.Series) -> pd.Series:
    """ISO ``YYYY-MM-DD[ HH:MM[:SS]]`` or Vietnamese ``DD/MM/YYYY[ HH:MM[:SS]]``; NaT if neither.

    ``03/04/2023`` is 3 April: day first, always (never guessed from the other rows). Years
    outside 1900–2100 are NaT too: they are typing slips, and pandas can't hold year 203.
    """
    s = values.astype(str).str.strip()
    out, done = _plain_datetimes(s)
    rest = ~done & (s != "")
    if rest.any():
        out[rest] = _any_datetimes(s[rest])
    return out


# Where the digits of the two usual shapes are: YYYY-MM-DD and DD/MM/YYYY, then optionally
# " HH:MM" or " HH:MM:SS" (cells of 10, 16 or 19 characters)
_WIDTH = 19
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _plain_datetimes(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The cells written exactly ``YYYY-MM-DD`` or ``DD/MM/YYYY``, with `` HH:MM[:SS]`` or
    not, naming a real moment in 1900–2100, read from their bytes; and which cells those
    were. The others (one-digit days, a 'T', a zone, 30/02) are left to pandas, which reads
    ≈ 300,000 cells a second with a format; this reads tens of millions."""
    cells = pa.array(s, pa.large_string(), from_pandas=True)
    if isinstance(cells, pa.ChunkedArray):
        cells = cells.combine_chunks()
    ns, ok = plain_datetimes(cells)
    return pd.Series(ns.view("datetime64[ns]"), index=s.index), ok


def plain_datetimes(cells: pa.LargeStringArray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_plain_datetimes` of an Arrow column: nanoseconds since 1970 (NaT's value
    where not read) and which cells were read."""
    n = len(cells)
    _, off_buf, data_buf = cells.buffers()
    if data_buf is None or n == 0:
        return np.full(n, np.iinfo(np.int64).min, dtype=np.int64), np.zeros(n, bool)
    offsets = np.frombuffer(off_buf, dtype=np.int64)[cells.offset:cells.offset + n + 1]
    length = np.diff(offsets)
    # the first 19 bytes of every cell, one row each (zeros past the data's end)
    data = np.concatenate([np.frombuffer(data_buf, dtype=np.uint8)[:offsets[-1]],
                           np.zeros(_WIDTH, np.uint8)])
    # position by position: each a contiguous vector (a column of a row-per-cell matrix
    # would be strided)
    rows = np.ascontiguousarray(
        np.lib.stride_tricks.sliding_window_view(data, _WIDTH)[offsets[:-1]].T)
    digit = rows - np.uint8(48)  # a non-digit wraps above 9
    is_digit = digit <= 9

    def number(at: int, width: int) -> np.ndarray:
        value = digit[at].astype(np.int64)
        for k in range(at + 1, at + width):
            value = value * 10 + digit[k]
        return value

    def digits(at: int, width: int) -> np.ndarray:
        return is_digit[at:at + width].all(axis=0)

    iso = (rows[4] == ord("-")) & (rows[7] == ord("-")) & digits(0, 4) & digits(5, 2) \
        & digits(8, 2)
    vn = (rows[2] == ord("/")) & (rows[5] == ord("/")) & digits(0, 2) & digits(3, 2) \
        & digits(6, 4)
    y = np.where(iso, number(0, 4), number(6, 4))
    m = np.where(iso, number(5, 2), number(3, 2))
    d = np.where(iso, number(8, 2), number(0, 2))
    timed = length >= 16
    hh, mm = np.where(timed, number(11, 2), 0), np.where(timed, number(14, 2), 0)
    ss = np.where(length == _WIDTH, number(17, 2), 0)
    ok = (iso | vn) & ((length == 10) | (length == 16) | (length == _WIDTH))
    ok &= ~timed | ((rows[10] == ord(" ")) & (rows[13] == ord(":")) & digits(11, 2)
                    & digits(14, 2) & (hh <= 23) & (mm <= 59))
    ok &= (length != _WIDTH) | ((rows[16] == ord(":")) & digits(17, 2) & (ss <= 59))
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    month = np.clip(m, 1, 12)
    ok &= (MIN_YEAR <= y) & (y <= MAX_YEAR) & (1 <= m) & (m <= 12) & (1 <= d) \
        & (d <= _DAYS_IN_MONTH[month] + (leap & (month == 2)))
    if cells.null_count:
        ok &= cells.is_valid().to_numpy(zero_copy_only=False)
    # days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil)
    yy = y - (month <= 2)
    era, yoe = yy // 400, yy % 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + d - 1
    days = era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468
    ns = np.where(ok, ((days * 24 + hh) * 60 + mm) * 60 + ss, 0) * 1_000_000_000
    ns[~ok] = np.iinfo(np.int64).min  # NaT
    return ns, ok


def _any_datetimes(s: pd.Series) -> pd.Series:
    """What pandas reads of the cells :func:`_plain_datetimes` left (each tried as ISO 8601,
    then day first)."""
    s = s.where(~s.str.contains(_TZ_SUFFIX, regex=True), "")
    out = _to_datetime(s, "ISO8601")
    todo = out.isna() & (s != "")
    if todo.any():
        for fmt in ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"):
            parsed = _to_datetime(s[todo], fmt)
            out.loc[parsed.index] = out.loc[parsed.index].fillna(parsed)
            todo = out.isna() & (s != "")
            if not todo.any():
                break
    # "-1" or "0099-01-01" parse as ISO years nanosecond timestamps cannot hold: such a
    # value is not a date HR staff meant, so it is reported like any unreadable date
    out = out.where((out >= pd.Timestamp.min) & (out <= pd.Timestamp.max))
    return out.astype("datetime64[ns]")


def _to_datetime(s: pd.Series, fmt: str) -> pd.Series:
    try:
        out = pd.to_datetime(s, format=fmt, errors="coerce")
        if getattr(out.dt, "tz", None) is not None:
            raise ValueError("time zone")
        # pandas may parse year 203 at a coarser unit; nanoseconds can't hold it
        in_range = (out.dt.year >= MIN_YEAR) & (out.dt.year <= MAX_YEAR)
        return out.where(in_range).astype("datetime64[ns]")
    except (ValueError, OverflowError, TypeError, pd.errors.OutOfBoundsDatetime):
        # one odd value (year 0203, a zone) spoils the vectorised call: go value by value
        return pd.Series([_one_datetime(v, fmt) for v in s], index=s.index,
                         dtype="datetime64[ns]")


def _one_datetime(value: str, fmt: str) -> Any:
    try:
        ts = pd.to_datetime(value, format=fmt)
    except (ValueError, OverflowError, TypeError, pd.errors.OutOfBoundsDatetime):
        return pd.NaT
    if ts is pd.NaT or ts.tzinfo is not None or not MIN_YEAR <= ts.year <= MAX_YEAR:
        return pd.NaT
    return ts


def excel_serial_dates(values: pd.Series) -> pd.Series:
    """Excel serial numbers (days since 30/12/1899, fraction = time of day) as datetimes."""
    num = pd.to_numeric(values, errors="coerce")
    ok = num.notna() & (num >= 1) & (num < 2958466)  # up to 31/12/9999
    days = num.where(ok)
    out = (EXCEL_EPOCH + pd.to_timedelta(days.round(6) * 86_400_000, unit="ms")).dt.round("s")
    return out.where((out.dt.year >= MIN_YEAR) & (out.dt.year <= MAX_YEAR))


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


def _duplicated(col: pd.Series) -> pd.Series:
    """Cells repeating an earlier cell's key (blank cells repeat nothing). A one-stop system
    exports its ids in order: strictly increasing keys are proven unique without hashing."""
    from .fastload import strictly_increasing

    try:
        increasing = strictly_increasing(pa.array(col.dropna(), pa.large_string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text: pandas compares them
        increasing = False
    if increasing:
        return pd.Series(False, index=col.index)
    return col.notna() & col.duplicated(keep="first")


def _validate_table(name: str, file: str, raw: pd.DataFrame, rules: list[ColumnRule],
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
            typo = _misspelt(col, [c for c in raw.columns if c not in known])
            if typo is not None:
                # an optional column spelt wrong would silently take its default
                problems.append(Problem(file, first_line - 1, str(typo), None,
                                        f"cột lạ '{typo}': có phải cột '{col}'? (sửa tiêu đề; "
                                        "cột không đọc được thì mọi ô lấy giá trị mặc định)",
                                        check="missing_column"))
            elif rule.has_default:
                out[col] = _default_column(rule, raw.index)
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
                bad(out_of, col, f"trong khoảng {lo:g}–{hi:g}", "range")
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


VIETNAM = dt.timezone(dt.timedelta(hours=7))  # no daylight saving


def today_here() -> dt.date:
    """Today for the 'not in the future' check: the later of the machine's date and the date
    in Vietnam, so a server on UTC doesn't call this morning's dossiers future."""
    return max(dt.date.today(), dt.datetime.now(VIETNAM).date())


def _default_column(rule: ColumnRule, index: pd.Index) -> pd.Series:
    """A missing optional column, typed like a present one: a blank date column must still
    be dates (the date-order checks and the rules compare them)."""
    if rule.kind in ("date", "datetime"):
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    if rule.kind == "float":
        return pd.Series(rule.default, index=index, dtype=float)
    if rule.kind == "int":
        return pd.Series(rule.default, index=index, dtype="Int64")
    if rule.kind == "bool":
        return pd.Series(bool(rule.default), index=index, dtype=bool)
    # text columns read from a file are pandas' string dtype; a missing one must be too
    return pd.Series(rule.default, index=index, dtype="str")


def _fold(text: str) -> str:
    """Lower case, no diacritics, no spaces or underscores: what a typo leaves alike."""
    text = unicodedata.normalize("NFD", str(text).lower()).replace("đ", "d")
    return re.sub(r"[\W_]+", "", "".join(c for c in text if not unicodedata.combining(c)))


def _misspelt(column: str, headers: list[Any]) -> Any:
    """The unknown header that looks like a misspelling of ``column`` (or of one of its
    Vietnamese labels), if exactly one does."""
    targets = {_fold(column)} | {_fold(label) for label in ALIASES.get(column, ())}
    close = [h for h in headers if not str(h).startswith("Unnamed")
             and difflib.get_close_matches(_fold(h), targets, n=1, cutoff=0.85)]
    return close[0] if len(close) == 1 else None


def _isin(col: pd.Series, values: pd.Series) -> pd.Series:
    """``col.isin(values)`` for text. pandas 3's ``isin`` of a pyarrow-backed string column
    makes a pyarrow scalar of every value to look for: ≈ 1 s for 100,000 keys, paid again
    for every part of a national file; one hash set of the keys costs milliseconds."""
    try:
        value_set = pa.array(values, pa.large_string(), from_pandas=True)
        found = pc.is_in(pa.array(col, pa.large_string(), from_pandas=True),
                         value_set=value_set)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text: pandas compares them
        return col.isin(values)
    return pd.Series(pc.fill_null(found, False).to_numpy(zero_copy_only=False),
                     index=col.index)


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
                dangling = col.notna() & ~_isin(col, keys[rule.ref])
                report(name, dangling, rule.name,
                       f"không có trong {rule.ref} (mã tham chiếu không tồn tại)", "reference")
    for name, df in tables.items():
        for check in (checks or {}).get(name, ()):
            report(name, pd.Series(check.violations(df), index=df.index), check.column,
                   check.expected, check.check)
    # the products regime's checks across rows and tables (periods, work items, dossiers)
    for check in products_checks(tables):
        report(check.table, check.failing, check.column, check.expected, check.check)


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
        from .fastload import NotClean, load_fast

        try:
            return load_fast(folder, specs, {s.name: column_rules(s.row_model) for s in specs})
        except NotClean:
            pass
    problems: list[Problem] = []
    read = read_tables(folder, specs, problems)
    cross_checks(read.tables, read.sources, read.rules, problems, read.checks)
    warnings = raise_errors(problems, warning_checks)
    if warnings:
        _drop_warned_rows(read.tables, read.sources, warnings)
    return Dataset(folder, read.tables, read.hashes, warnings)


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
                out.tables[spec.name], out.sources[spec.name] = _validate_table(
                    spec.name, f"{spec.name}.csv", empty.astype(str), rules, problems)
            continue
        out.hashes[path.name] = file_hash(path)
        if path.suffix == ".csv" and path.stat().st_size > PARTS_BYTES:
            checked = _read_in_parts(path, spec.name, rules, problems)
        else:
            read = _read_raw(path, problems, {r.name for r in rules})
            if read is None:
                continue
            checked = validate_raw(spec.name, path.name, read, rules, problems)
        if checked is None:
            continue
        out.tables[spec.name], out.sources[spec.name] = checked
        if spec.name in NONEMPTY_TABLES and checked[0].empty:
            problems.append(Problem(path.name, None, None, None,
                                    "không có dòng dữ liệu nào (chỉ có dòng tiêu đề)", "format"))
    out.hashes = dict(sorted(out.hashes.items()))
    return out


# A CSV file bigger than this (a province's dossiers) is read and checked in parts: the
# same result, with temporaries the size of a part rather than of the file (≈ 1 GB less
# on a province), and a little faster. Worker processes don't pay here: sending each
# part's frames back through a pipe costs what checking it on a second core saves.
PARTS_BYTES = 64 << 20


def _read_in_parts(path: Path, name: str, rules: list[ColumnRule], problems: list[Problem]
                   ) -> tuple[pd.DataFrame, Source] | None:
    """:func:`_read_raw` and :func:`validate_raw` of a big CSV file, part by part
    (:class:`input.partcheck.BigCsvCheck`: the same checks, rows numbered as in the whole
    file); None when it can't be read or has no rows."""
    from ..input import partcheck

    check = partcheck.BigCsvCheck(path, name, rules, partcheck.PART_BYTES)
    frames, lines, raws = [], [], []
    headers: Mapping[str, str] = {}
    for (frame, source), shift in check.map(None, workers=1):
        frames.append(frame)
        lines.append(source.line + shift)
        raws.append(source.raw)
        headers = source.headers
    problems += check.problems
    if not check.readable or not check.rows:  # an empty file: the check has said so
        return None
    return pd.concat(frames, ignore_index=True), Source(
        path.name, pd.concat(lines, ignore_index=True), pd.concat(raws, ignore_index=True),
        headers)


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
    return _validate_table(name, file, raw, rules, problems,
                           read.first_line if first_line is None else first_line, numeric,
                           headers=headers, formulas=formulas)


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


def _drop_warned_rows(tables: dict[str, pd.DataFrame], sources: dict[str, Source],
                      warnings: list[Problem]) -> None:
    by_file = rows_left_out(warnings)
    for name, df in list(tables.items()):
        rows = by_file.get(sources[name].file, set())
        if rows:
            tables[name] = df[~sources[name].line.isin(rows).to_numpy()].copy()
