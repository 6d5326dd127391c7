"""Reading a CSV file as text cells: its encoding, where its header is and which separator
it uses, and rows whose shape does not match the header — every problem named by line."""

from __future__ import annotations

import codecs
import csv
import io
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import Problem
from .aliases import HEADER_SCAN, header_score, pick_header
from .limits import long_line_problem, wide_header_problem
from .raw_table import EMPTY_FILE, RawTable

# exactly the characters str.strip() removes, so trimmed cells equal the reference path's
PY_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003"
                 "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
ENCODING_HINT = ("mở tệp bằng Excel rồi 'Lưu thành' → 'CSV UTF-8 (Comma delimited)'; "
                 "xeploai không tự đoán bảng mã, vì đoán sai sẽ làm sai tên người")


# the line breaks pandas knows (str.splitlines would also split on \x0c, \u2028, …)
LINE_BREAK = re.compile(r"\r\n|\r|\n")


def header_layout(lines: list[str], known: set[str]) -> tuple[str, int]:
    """The separator and the index of the header among a CSV file's first lines.

    Vietnamese Excel saves "CSV" with ';' (the decimal separator is ','): the header says
    which separator names the columns."""
    candidates = []
    for sep in (",", ";"):
        rows = [_cells(ln, sep) for ln in lines[:HEADER_SCAN]]
        header = pick_header(rows, known)
        candidates.append((header_score(rows[header], known) if rows else 0, sep == ",",
                           sep, header))
    _, _, sep, header = max(candidates, key=lambda c: (c[0], c[1]))
    return sep, header


def read_csv_bytes(file: str, raw: bytes, problems: list[Problem], known: set[str]
                   ) -> RawTable | None:
    """Every cell of a CSV file's bytes as text (``file`` names it in problems); None (with
    a problem) when they can't be read as a table."""
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
