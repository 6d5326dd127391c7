"""Reading an xlsx table as text cells: the visible sheet that holds it, its header among
title rows, which cells held numbers and which formulas have no computed value."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Problem
from .aliases import HEADER_SCAN, pick_header
from .limits import wide_header_problem
from .raw_table import EMPTY_FILE, RawTable
from .xlsx_sheets import WorkbookRefused, read_sheet


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


def read_xlsx(path: Path, problems: list[Problem], known: set[str]) -> RawTable | None:
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
    header = pick_header(rows, known)
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
