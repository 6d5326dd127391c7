"""Reading dates as HR files write them (ISO or day first), Excel serial dates, and today's
date in Vietnam."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

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
    out, done = plain_datetime_series(s)
    rest = ~done & (s != "")
    if rest.any():
        out[rest] = pandas_datetimes(s[rest])
    return out


# Where the digits of the two usual shapes are: YYYY-MM-DD and DD/MM/YYYY, then optionally
# " HH:MM" or " HH:MM:SS" (cells of 10, 16 or 19 characters)
_WIDTH = 19
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def plain_datetime_series(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
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
    """:func:`plain_datetime_series` of an Arrow column: nanoseconds since 1970 (NaT's value
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


def pandas_datetimes(s: pd.Series) -> pd.Series:
    """What pandas reads of the cells :func:`plain_datetime_series` left (each tried as ISO 8601,
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


VIETNAM = dt.timezone(dt.timedelta(hours=7))  # no daylight saving


def today_here() -> dt.date:
    """Today for the 'not in the future' check: the later of the machine's date and the date
    in Vietnam, so a server on UTC doesn't call this morning's dossiers future."""
    return max(dt.date.today(), dt.datetime.now(VIETNAM).date())
