"""The data types shared by the core, the plugins and the outputs.

Everything a plugin author sees (levels, titles, findings, rule declarations, the rule
context) lives here, so `from .types import ...` is the whole public vocabulary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel


class Level(StrEnum):
    """Classification levels of Decree 90/2020 (SPEC §4)."""

    HTXSNV = "HTXSNV"
    HTTNV = "HTTNV"
    HTNV = "HTNV"
    KHTNV = "KHTNV"
    KXL = "KXL"

    @property
    def rank(self) -> int:
        """Higher is better; KXL (not classified) ranks below every level."""
        return LEVEL_RANK[self]

    @property
    def label_vi(self) -> str:
        return LEVEL_LABELS_VI[self]


LEVEL_RANK: dict[Level, int] = {
    Level.HTXSNV: 4,
    Level.HTTNV: 3,
    Level.HTNV: 2,
    Level.KHTNV: 1,
    Level.KXL: 0,
}
RANK_LEVEL: dict[int, Level] = {rank: level for level, rank in LEVEL_RANK.items()}
# plain-string forms for pandas (which turns StrEnum members into str when mapping)
RANK_CODE: dict[int, str] = {rank: level.value for rank, level in RANK_LEVEL.items()}
CODE_RANK: dict[str, int] = {level.value: rank for level, rank in LEVEL_RANK.items()}

LEVEL_LABELS_VI: dict[Level, str] = {
    Level.HTXSNV: "Hoàn thành xuất sắc nhiệm vụ",
    Level.HTTNV: "Hoàn thành tốt nhiệm vụ",
    Level.HTNV: "Hoàn thành nhiệm vụ",
    Level.KHTNV: "Không hoàn thành nhiệm vụ",
    Level.KXL: "Không xếp loại",
}


class Title(StrEnum):
    """Emulation titles and nominations (SPEC §4)."""

    LDTT = "LDTT"
    CSTDCS = "CSTDCS"
    CCHC = "CCHC"

    @property
    def label_vi(self) -> str:
        return TITLE_LABELS_VI[self]


TITLE_LABELS_VI: dict[Title, str] = {
    Title.LDTT: "Lao động tiên tiến",
    Title.CSTDCS: "Chiến sĩ thi đua cơ sở",
    Title.CCHC: "Đề nghị khen thưởng đổi mới, sáng tạo trong CCHC",
}


class Step(StrEnum):
    """The phases of SPEC §5 a reason belongs to; their order is the explanation's order."""

    SERVICE_TIME = "service_time"
    SCORE = "score"
    LEVEL = "level"
    CEILING = "ceiling"
    QUOTA = "quota"
    TITLES = "titles"
    INFO = "info"


STEP_ORDER: dict[Step, int] = {step: i for i, step in enumerate(Step)}


@dataclass(frozen=True)
class Rule:
    """A rule a plugin declares: its id (``plugin.rule``), what it does and its legal basis.

    ``assumption`` marks rules no legal text states; the explanation says so next to the basis.
    """

    id: str
    title_vi: str
    basis: str
    step: Step
    assumption: bool = False

    @property
    def basis_text(self) -> str:
        return f"{self.basis} (giả định của dự án)" if self.assumption else self.basis


@dataclass(frozen=True)
class TableSpec:
    """An input table: file stem, pydantic row model, and whether the file must exist.

    A field whose ``json_schema_extra`` has ``{"key": True}`` must be unique; one with
    ``{"ref": "officials"}`` (or any table name) must name a row of that table.
    """

    name: str
    row_model: type[BaseModel]
    required: bool = True


@dataclass(frozen=True)
class PluginInfo:
    """What a plugin returns from ``xeploai_plugin_info``."""

    name: str
    version: str
    rules: tuple[Rule, ...]
    params_model: type[BaseModel] | None = None
    tables: tuple[TableSpec, ...] = ()
    description: str = ""

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


@dataclass(frozen=True)
class TitleContext:
    """Title parameters in force on the consideration date (SPEC §5 step 6)."""

    regime: str
    considered_on: dt.date
    cstdcs_share: float


@dataclass(frozen=True)
class RuleContext:
    """Everything a rule sees: the year, every input table, and each plugin's parameters.

    ``tables`` holds whole pandas DataFrames (all years, as loaded), so rules are vectorised
    over the province rather than looped per official.
    """

    year: int
    tables: Mapping[str, pd.DataFrame]
    params: Mapping[str, BaseModel]
    titles: TitleContext
    # the run's as-of date (SPEC §10): 31 December of the year, or earlier for a run made
    # before the year ends; None reads as 31 December
    as_of_date: dt.date | None = None

    @property
    def as_of(self) -> dt.date:
        return self.as_of_date or dt.date(self.year, 12, 31)

    @property
    def year_start(self) -> pd.Timestamp:
        return pd.Timestamp(self.year, 1, 1)

    @property
    def year_end(self) -> pd.Timestamp:
        return pd.Timestamp(self.year, 12, 31)

    def params_of(self, plugin: str) -> Any:
        return self.params[plugin]


# The columns of a findings table, in order. A finding is one rule's verdict on one official;
# a row may carry several effects at once (a discipline decision caps the level and blocks
# the titles), each column empty when the rule has no such effect.
FINDING_COLUMNS: tuple[str, ...] = (
    "official_id",  # str
    "rule",  # str: a rule id the plugin declared
    "points",  # float: added to the score (negative = deducted); 0.0 when none
    "ceiling",  # str level code or "": the highest level this finding allows
    "exclude",  # bool: not classified (KXL)
    "blocks_titles",  # str: ';'-joined title codes this finding rules out
    "qualifies_titles",  # str: ';'-joined title codes this finding makes the official eligible for
    "params",  # dict of the parameter values the rule used (the core writes it as JSON)
    "evidence",  # list of evidence record ids / document numbers (or a dict of such lists)
    "note",  # str: one Vietnamese sentence for HR staff and auditors
)


FINDING_DEFAULTS: dict[str, Any] = {
    "points": 0.0,
    "ceiling": "",
    "exclude": False,
    "blocks_titles": "",
    "qualifies_titles": "",
    "params": {},
    "evidence": [],
    "note": "",
}


# findings columns holding typed values (dicts, lists) rather than text
TYPED_COLUMNS: tuple[str, ...] = ("params", "evidence")


def findings_frame(df: pd.DataFrame | None = None, /, **columns: Any) -> pd.DataFrame:
    """Normalise a plugin's findings to :data:`FINDING_COLUMNS` with defaults and dtypes.

    ``columns`` may give scalars or Series to set on every row (``rule="x.y"``); ``params``
    and ``evidence`` are typed values — a dict or a list for every row, or a column of
    them — which the core writes as JSON (text already in JSON is accepted as it is).
    """
    out = pd.DataFrame(index=range(0)) if df is None else df.copy()
    n = len(out)
    for name, value in {**{k: FINDING_DEFAULTS[k] for k in TYPED_COLUMNS
                           if k not in out.columns}, **columns}.items():
        if isinstance(value, dict | list):  # one value for every row, not a mapping by row
            out[name] = pd.Series([value] * n, dtype=object, index=out.index)
        elif isinstance(value, str) or (isinstance(value, np.ndarray) and value.dtype == object):
            # kept as Python objects: pandas would store texts as Arrow's, which the
            # text columns below turn back into Python strings (twice the work)
            out[name] = pd.Series(np.full(n, value, dtype=object) if isinstance(value, str)
                                  else value, dtype=object, index=out.index)
        else:
            out[name] = value
    for name in FINDING_COLUMNS:
        if name not in out.columns:
            if name in ("official_id", "rule"):
                out[name] = pd.Series([""] * n, dtype=object, index=out.index)
            elif isinstance(FINDING_DEFAULTS[name], str):
                out[name] = pd.Series(np.full(n, FINDING_DEFAULTS[name], dtype=object),
                                      dtype=object, index=out.index)
            else:
                out[name] = FINDING_DEFAULTS[name]
    out = out[list(FINDING_COLUMNS)].reset_index(drop=True)
    for name in ("official_id", "rule", "ceiling", "blocks_titles", "qualifies_titles",
                 "note"):
        col = out[name]
        if col.dtype == object and pd.api.types.infer_dtype(col, skipna=False) == "string":
            continue  # already Python strings, nothing missing: the usual case, left as is
        if isinstance(col.dtype, pd.StringDtype):
            out[name] = pd.Series(col.fillna("").to_numpy(dtype=object), index=out.index,
                                  dtype=object)
        else:
            out[name] = col.fillna("").astype(object).astype(str).astype(object)
    out["points"] = out["points"].astype(float)
    out["exclude"] = out["exclude"].fillna(False).astype(bool)
    return out
