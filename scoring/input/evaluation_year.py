"""The evaluation year must make sense (SPEC §3): a mistyped ``--year`` would otherwise
classify everyone on another year's records, since officials carry no year."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..errors import XeploaiError
from .dates import today_here

FIRST_YEAR = 2020  # Decree 90/2020/NĐ-CP, the first regime the product knows, in force
# the date column of each table that places a row in a year (a dossier by its due date)
DATED_BY: dict[str, str] = {"dossiers": "due_at", "reminders": "issued_on",
                            "discipline": "decided_on", "innovations": "recognized_on"}
# the tables of the 2026 regime (SPEC §10) place a row in a year by its period code
# (YYYY-MM or YYYY-Qn)
PERIOD_OF: dict[str, str] = {"periods": "period", "work_items": "period"}
WHAT = {"dossiers": "hồ sơ có ngày hẹn trả", "reminders": "nhắc nhở",
        "discipline": "quyết định kỷ luật", "innovations": "sáng kiến, đề tài",
        "periods": "kỳ đánh giá", "work_items": "sản phẩm công việc"}


class YearError(XeploaiError):
    """The evaluation year is out of range or the data holds nothing dated in it."""


def current_year() -> int:
    """This year in Vietnam (as the loader's 'not in the future' check sees today)."""
    return today_here().year


def check_year_range(year: int) -> None:
    """Refuse a year before :data:`FIRST_YEAR` or after the current one (``23`` for 2023,
    ``2032`` for 2023), before any file is read."""
    last = current_year()
    if not FIRST_YEAR <= year <= last:
        hint = f" (có phải {2000 + year}?)" if 0 <= year < 100 and FIRST_YEAR <= 2000 + year \
            <= last else ""
        raise YearError(f"năm đánh giá {year} không hợp lệ{hint}: cần một năm từ {FIRST_YEAR} "
                        f"(Nghị định 90/2020/NĐ-CP có hiệu lực) đến {last} (năm hiện tại), "
                        "viết đủ 4 chữ số. Không có gì được lưu.")


def dated_years(tables: Mapping[str, pd.DataFrame]) -> dict[int, int]:
    """Year → rows dated in it, over every table that dates its rows (:data:`DATED_BY`) or
    places them in a period (:data:`PERIOD_OF`)."""
    counts: dict[int, int] = {}
    for name, column in {**DATED_BY, **PERIOD_OF}.items():
        df = tables.get(name)
        if df is None or column not in df.columns or df.empty:
            continue
        years = df[column].dt.year if name in DATED_BY else \
            pd.to_numeric(df[column].astype(str).str[:4], errors="coerce")
        for year, n in years.dropna().astype(int).value_counts().items():
            counts[int(year)] = counts.get(int(year), 0) + int(n)
    return counts


def check_year(year: int, tables: Mapping[str, pd.DataFrame],
               streamed: Mapping[int, int] | None = None) -> None:
    """:func:`check_year_range`, then refuse a year in which no dossier is due, no
    reminder, disciplinary decision or initiative is dated and no period (2026 regime)
    falls."""
    check_year_range(year)
    counts = dated_years(tables)
    for dated, n in (streamed or {}).items():  # rows not in ``tables`` (--by-unit's dossiers)
        counts[dated] = counts.get(dated, 0) + n
    if counts.get(year, 0):
        return
    held = ", ".join(f"{y} ({n} dòng)" for y, n in sorted(counts.items(), reverse=True)[:5])
    raise YearError(
        f"dữ liệu không có gì thuộc năm {year}: không có "
        + ", ".join(WHAT[name] for name in [*DATED_BY, *PERIOD_OF])
        + f" trong năm {year}"
        + (f"; dữ liệu có các năm {held}" if held else "; dữ liệu không có dòng nào có ngày")
        + ". Kiểm tra --year hoặc thư mục dữ liệu. Không có gì được lưu.")
