"""The data contract as data: what each column of a row model requires, and the checks a
model declares between its columns.

A row model (pydantic) states the contract of one table: each field's type, allowed codes
(``Literal``), bounds (``ge``/``le``), default, and whether it is a key (``{"key": True}``)
or names a row of another table (``{"ref": "officials"}``). Checks between columns of a row
(one date not before another, a sum under a limit) are declared beside the fields::

    class Dossier(Row):
        received_at: dt.datetime
        due_at: dt.datetime
        checks: ClassVar[tuple[RowCheck, ...]] = (
            NotBefore("due_at", "received_at", by_day=True,
                      expected="ngày hẹn trả không được trước ngày tiếp nhận"),
        )

Every reading path executes exactly this declaration (:func:`column_rules` and
:func:`row_checks`): the checked path reports each row breaking it, the fast paths give way
to the checked path at the first one. A plugin's own row model declares its checks the same
way.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import annotated_types
import numpy as np
import pandas as pd
from pydantic import BaseModel
from pydantic.fields import FieldInfo

_DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class ColumnRule:
    """What one field of a row model requires of its column."""

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
    past: bool = False  # an event that has happened: not after the day of the run


def column_rules(model: type[BaseModel]) -> list[ColumnRule]:
    """The column rules of every field of ``model``, in field order."""
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
                      ge=ge, le=le, key=bool(extra.get("key")), ref=extra.get("ref"),  # type: ignore[arg-type]
                      past=bool(extra.get("past")))


class RowCheck:
    """A check between columns of one row. A problem names ``column`` and says
    ``expected``; ``check`` is its name (a policy may downgrade it to a warning)."""

    column: str
    expected: str
    check: str

    def columns(self) -> tuple[str, ...]:
        """The columns the check reads."""
        raise NotImplementedError

    def violations(self, frame: pd.DataFrame) -> np.ndarray:
        """One bool per row of ``frame`` (validated, typed): True where the row breaks the
        check. A row with a blank cell in a column the check reads never breaks it; a frame
        missing a column (reported already) breaks nothing."""
        if not set(self.columns()) <= set(frame.columns):
            return np.zeros(len(frame), dtype=bool)
        return self._violations(frame)

    def _violations(self, frame: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def failing_sql(self, column: Callable[[str], str]) -> str | None:
        """The same check as a DuckDB condition, true on a row that breaks it (``column``
        gives the SQL of a column by name); None when the check has no SQL form (a
        plugin's own kind of check), and is then run on the frame."""
        return None


def _instants(values: pd.Series, by_day: bool) -> tuple[np.ndarray, np.ndarray]:
    """Nanoseconds since 1970 (or whole days since then when ``by_day``), and which are
    blank: integer arithmetic on the datetime64 buffer, no per-value call."""
    raw = values.to_numpy(dtype="datetime64[ns]")
    blank = np.isnat(raw)
    ints = raw.view(np.int64)
    return (np.floor_divide(ints, _DAY_NS) if by_day else ints), blank


@dataclass(frozen=True)
class NotBefore(RowCheck):
    """``later`` is not before ``earlier`` (compared as calendar dates when ``by_day``)."""

    later: str
    earlier: str
    expected: str
    by_day: bool = False
    reported: str | None = None  # the column a problem names (default: ``later``)
    check: str = "date_order"

    @property
    def column(self) -> str:  # type: ignore[override]
        return self.reported or self.later

    def columns(self) -> tuple[str, ...]:
        return (self.later, self.earlier)

    def _violations(self, frame: pd.DataFrame) -> np.ndarray:
        late, late_blank = _instants(frame[self.later], self.by_day)
        early, early_blank = _instants(frame[self.earlier], self.by_day)
        return (late < early) & ~late_blank & ~early_blank

    def failing_sql(self, column: Callable[[str], str]) -> str:
        # a blank side makes the comparison NULL, which is not a violation
        later, earlier = column(self.later), column(self.earlier)
        if self.by_day:
            later, earlier = f"{later}::DATE", f"{earlier}::DATE"
        return f"{later} < {earlier}"


@dataclass(frozen=True)
class SumAtMost(RowCheck):
    """The sum of ``summed`` is at most ``limit``."""

    summed: tuple[str, ...]
    limit: float
    expected: str
    reported: str = ""  # the column a problem names (default: the last one summed)
    check: str = "sum_limit"

    @property
    def column(self) -> str:  # type: ignore[override]
        return self.reported or self.summed[-1]

    def columns(self) -> tuple[str, ...]:
        return self.summed

    def _violations(self, frame: pd.DataFrame) -> np.ndarray:
        total = sum(frame[c].astype(float).fillna(0.0).to_numpy() for c in self.summed)
        return np.asarray(total > self.limit + 1e-9, dtype=bool)

    def failing_sql(self, column: Callable[[str], str]) -> str:
        total = " + ".join(f"coalesce({column(c)}::DOUBLE, 0.0)" for c in self.summed)
        return f"{total} > '{float(self.limit + 1e-9)!r}'::DOUBLE"  # the exact float


def row_checks(model: type[BaseModel]) -> tuple[RowCheck, ...]:
    """The checks ``model`` declares between its columns (its ``checks`` class variable)."""
    declared = getattr(model, "checks", ())
    return tuple(declared) if isinstance(declared, tuple | list) else ()
