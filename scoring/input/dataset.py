"""What the readers hand over: the validated tables of a dataset, and where rows came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import Problem


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
