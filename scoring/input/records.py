"""Row models of the core input tables (SPEC §3), as pydantic models.

The models are the contract: every reading path derives its column-wise (vectorised) checks
from their fields — type, allowed codes (``Literal``), bounds (``ge``/``le``), optional
defaults, keys and references — and runs the checks between columns each model declares in
its ``checks`` (:mod:`xeploai.scoring.input.contract`), so a province's 2,000,000 dossiers are
validated without building 2,000,000 objects, yet the single source of truth stays here,
readable and usable for one row (``Dossier.model_validate(row)``).
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from .contract import NotBefore, RowCheck, SumAtMost


class Row(BaseModel):
    # a validator is built when a row is first validated, not on import: the readers
    # only read the fields (decision 117)
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class Unit(Row):
    unit_id: str = Field(min_length=1, json_schema_extra={"key": True})
    name: str = Field(min_length=1)
    parent_id: str | None = Field(default=None, json_schema_extra={"ref": "units"})
    tier: Literal["tinh", "huyen", "xa"]


class Official(Row):
    official_id: str = Field(min_length=1, json_schema_extra={"key": True})
    full_name: str = Field(min_length=1)
    unit_id: str = Field(json_schema_extra={"ref": "units"})
    staff_type: Literal["can_bo", "cong_chuc", "vien_chuc"]
    peer_group: str = Field(min_length=1)
    is_leader: bool
    months_worked: float = Field(ge=0, le=12)
    maternity_leave: bool
    # blank is allowed for an official scored from work products (SPEC §10); the engine
    # requires it of everyone under the task_score regime
    task_score: float | None = Field(default=None, ge=0, le=100)
    months_absent: float = Field(default=0.0, ge=0, le=12)
    recruited_on: dt.date | None = None
    checks: ClassVar[tuple[RowCheck, ...]] = (
        SumAtMost(("months_worked", "months_absent"), 12,
                  "số tháng công tác + số tháng nghỉ không được quá 12", check="months_total"),
    )


class Dossier(Row):
    dossier_id: str = Field(min_length=1, json_schema_extra={"key": True})
    procedure_code: str = Field(min_length=1)
    unit_id: str = Field(json_schema_extra={"ref": "units"})
    handler_id: str = Field(json_schema_extra={"ref": "officials"})
    received_at: dt.datetime = Field(json_schema_extra={"past": True})
    due_at: dt.datetime
    returned_at: dt.datetime | None = Field(default=None, json_schema_extra={"past": True})
    late_cause: Literal["chu_quan", "phan_mem", "khach_quan"] | None = None
    apology_issued: bool = False
    # who or which document confirmed an objective cause (SPEC §10): only then is a
    # dossier's delay exempt under the products regime
    exemption_confirmed_by: str | None = None
    # a result returned on the day it was received is on time, whatever the hours say
    checks: ClassVar[tuple[RowCheck, ...]] = (
        NotBefore("due_at", "received_at", "ngày hẹn trả không được trước ngày tiếp nhận",
                  by_day=True),
        NotBefore("returned_at", "received_at",
                  "ngày trả kết quả không được trước ngày tiếp nhận", by_day=True),
    )


class Reminder(Row):
    reminder_id: str = Field(min_length=1, json_schema_extra={"key": True})
    official_id: str = Field(json_schema_extra={"ref": "officials"})
    issued_on: dt.date = Field(json_schema_extra={"past": True})
    kind: Literal["nhac_nho", "chan_chinh"]
    subject: str = Field(min_length=1)
    document_no: str = Field(min_length=1)


class Discipline(Row):
    decision_id: str = Field(min_length=1, json_schema_extra={"key": True})
    official_id: str = Field(json_schema_extra={"ref": "officials"})
    form: Literal["khien_trach", "canh_cao", "ha_bac_luong", "giang_chuc", "cach_chuc",
                  "buoc_thoi_viec"]
    authority: Literal["dang", "chinh_quyen"]
    decided_on: dt.date
    violation_on: dt.date = Field(json_schema_extra={"past": True})
    document_no: str = Field(min_length=1)
    violation_id: str | None = None
    counted_in_year: int | None = Field(default=None, ge=1945, le=2100)
    checks: ClassVar[tuple[RowCheck, ...]] = (
        NotBefore("decided_on", "violation_on",
                  "ngày vi phạm không được sau ngày quyết định kỷ luật có hiệu lực",
                  reported="violation_on"),
    )


class Innovation(Row):
    award_id: str = Field(min_length=1, json_schema_extra={"key": True})
    official_id: str = Field(json_schema_extra={"ref": "officials"})
    title: str = Field(min_length=1)
    kind: Literal["sang_kien", "de_tai"]
    level: Literal["co_so", "tinh", "toan_quoc"]
    recognized_on: dt.date = Field(json_schema_extra={"past": True})
    document_no: str = Field(min_length=1)
    cchc: bool = False


class TitleHistory(Row):
    official_id: str = Field(json_schema_extra={"ref": "officials"})
    year: int = Field(ge=1945, le=2100)
    title: str = Field(min_length=1)


# periods and work items: the 2026 regime's input (SPEC §10). Optional files: the engine
# requires them only of officials under a policy's `products` regime. Their checks across
# rows (period format, overlaps, done ≤ assigned, periods with products) are in
# xeploai.scoring.input.product_checks.
class Period(Row):
    official_id: str = Field(json_schema_extra={"ref": "officials"})
    period: str = Field(min_length=1)  # YYYY-MM or YYYY-Qn
    unit_id: str = Field(json_schema_extra={"ref": "units"})
    general_score: float = Field(ge=0, le=30)
    leader_dd: float = Field(default=1.0, ge=0, le=1)
    leader_e: float = Field(default=1.0, ge=0, le=1)


class WorkItem(Row):
    item_id: str = Field(min_length=1, json_schema_extra={"key": True})
    official_id: str = Field(json_schema_extra={"ref": "officials"})
    period: str = Field(min_length=1)
    product_code: str = Field(min_length=1)
    coefficient: float = Field(gt=0)
    assigned_qty: float = Field(gt=0)
    done_qty: float = Field(ge=0)
    major_errors: float = Field(ge=0)
    delays: float = Field(ge=0)
    cause: Literal["chu_quan", "phan_mem", "khach_quan"] | None = None
    exemption_confirmed_by: str | None = None
    dossier_id: str | None = Field(default=None, json_schema_extra={"ref": "dossiers"})


# file stem -> (row model, required file?)
CORE_TABLES: dict[str, tuple[type[Row], bool]] = {
    "units": (Unit, True),
    "officials": (Official, True),
    "dossiers": (Dossier, True),
    "reminders": (Reminder, True),
    "discipline": (Discipline, True),
    "innovations": (Innovation, True),
    "titles_history": (TitleHistory, False),
    "periods": (Period, False),
    "work_items": (WorkItem, False),
}
# tables that must have at least one row: a year with no official or no unit is a wrong file
NONEMPTY_TABLES: frozenset[str] = frozenset({"units", "officials"})
