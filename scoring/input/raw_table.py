"""A table file's cells as text, as the CSV and xlsx readers hand it to the checks."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

EMPTY_FILE = "tệp rỗng: cần ít nhất dòng tiêu đề"


@dataclass
class RawTable:
    """A file's cells as text, where its data starts, and (xlsx) which cells were numbers."""

    frame: pd.DataFrame
    first_line: int = 2  # spreadsheet line number of the first data row
    numeric: pd.DataFrame | None = None  # xlsx: True where the cell held a number
    formulas: pd.DataFrame | None = None  # xlsx: True where a formula has no computed value
