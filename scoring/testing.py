"""Helpers for testing rules: build a small dataset in a folder and classify it.

Used by xeploai's own tests and meant for plugin authors too::

    b = DatasetBuilder()
    b.official("A", task_score=95)
    b.dossier("A", due="2023-03-01", returned="2023-03-05")
    result = b.classify(tmp_path, year=2023)
    assert result.row("A")["level"] == "HTXSNV"
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .engine import Classification
from .input.records import CORE_TABLES
from .types import TableSpec

COLUMNS: dict[str, list[str]] = {name: list(model.model_fields) for name, (model, _) in
                                 CORE_TABLES.items()}


@dataclass
class Result:
    """A classification with lookups by official id."""

    classification: Classification

    @property
    def results(self) -> pd.DataFrame:
        return self.classification.results

    @property
    def reasons(self) -> pd.DataFrame:
        return self.classification.reasons

    def row(self, official_id: str) -> dict[str, Any]:
        rows = self.results[self.results["official_id"] == official_id]
        assert len(rows) == 1, f"no result for {official_id!r}"
        return rows.iloc[0].to_dict()

    def level(self, official_id: str) -> str:
        return str(self.row(official_id)["level"])

    def titles(self, official_id: str) -> list[str]:
        return [t for t in str(self.row(official_id)["titles"]).split(";") if t]

    def rules(self, official_id: str) -> list[str]:
        return self.reasons.loc[self.reasons["official_id"] == official_id, "rule"].tolist()

    def reason(self, official_id: str, rule: str) -> dict[str, Any]:
        r = self.reasons[(self.reasons["official_id"] == official_id)
                         & (self.reasons["rule"] == rule)]
        assert len(r) >= 1, f"{official_id!r} has no reason {rule!r}: {self.rules(official_id)}"
        return r.iloc[0].to_dict()


@dataclass
class DatasetBuilder:
    """Rows for each input table, with sensible defaults for what a test doesn't care about."""

    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in COLUMNS})
    _n: int = 0

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n:05d}"

    def unit(self, unit_id: str, *, name: str | None = None, parent_id: str = "",
             tier: str = "tinh") -> DatasetBuilder:
        self.rows["units"].append({"unit_id": unit_id, "name": name or f"Đơn vị {unit_id}",
                                   "parent_id": parent_id, "tier": tier})
        return self

    def official(self, official_id: str, *, unit_id: str = "U1", peer_group: str = "chuyen_vien",
                 task_score: float = 80, months_worked: float = 12, months_absent: float = 0,
                 maternity_leave: bool = False, recruited_on: str = "",
                 full_name: str | None = None, staff_type: str = "cong_chuc",
                 is_leader: bool = False) -> DatasetBuilder:
        if not any(u["unit_id"] == unit_id for u in self.rows["units"]):
            self.unit(unit_id)
        self.rows["officials"].append({
            "official_id": official_id, "full_name": full_name or f"Cán bộ {official_id}",
            "unit_id": unit_id, "staff_type": staff_type, "peer_group": peer_group,
            "is_leader": is_leader, "months_worked": months_worked,
            "maternity_leave": maternity_leave, "task_score": task_score,
            "months_absent": months_absent, "recruited_on": recruited_on})
        return self

    def peers(self, n: int, *, unit_id: str = "U1", peer_group: str = "chuyen_vien",
              task_score: float = 80, prefix: str = "P") -> list[str]:
        """``n`` unremarkable officials, so a group has room under the excellent quota."""
        ids = [f"{prefix}{unit_id}{peer_group}{i:03d}" for i in range(n)]
        for oid in ids:
            self.official(oid, unit_id=unit_id, peer_group=peer_group, task_score=task_score)
        return ids

    def _unit_of(self, official_id: str) -> str:
        for o in self.rows["officials"]:
            if o["official_id"] == official_id:
                return str(o["unit_id"])
        return "U1"

    def dossier(self, handler_id: str, *, due: str, returned: str = "", received: str = "",
                late_cause: str = "", apology_issued: bool = False,
                dossier_id: str | None = None) -> str:
        dossier_id = dossier_id or self._id("HS")
        due_day = dt.date.fromisoformat(due[:10])
        self.rows["dossiers"].append({
            "dossier_id": dossier_id, "procedure_code": "1.000001",
            "unit_id": self._unit_of(handler_id), "handler_id": handler_id,
            "received_at": received or (due_day - dt.timedelta(days=10)).isoformat(),
            "due_at": due, "returned_at": returned, "late_cause": late_cause,
            "apology_issued": apology_issued})
        return dossier_id

    def late(self, handler_id: str, n: int, *, year: int = 2023, apology: bool = True,
             late_cause: str = "") -> list[str]:
        """``n`` dossiers due in ``year``, each returned two days late."""
        return [self.dossier(handler_id, due=f"{year}-03-{(i % 28) + 1:02d}",
                             returned=f"{year}-04-{(i % 28) + 1:02d}",
                             apology_issued=apology, late_cause=late_cause) for i in range(n)]

    def reminder(self, official_id: str, *, issued_on: str, subject: str = "tre_han",
                 kind: str = "nhac_nho", document_no: str | None = None) -> str:
        rid = self._id("NN")
        self.rows["reminders"].append({
            "reminder_id": rid, "official_id": official_id, "issued_on": issued_on,
            "kind": kind, "subject": subject, "document_no": document_no or f"{rid}/TB-UBND"})
        return rid

    def discipline(self, official_id: str, *, decided_on: str, form: str = "khien_trach",
                   authority: str = "chinh_quyen", violation_on: str = "",
                   violation_id: str = "", counted_in_year: str = "",
                   document_no: str | None = None, decision_id: str | None = None) -> str:
        did = decision_id or self._id("KL")
        self.rows["discipline"].append({
            "decision_id": did, "official_id": official_id, "form": form,
            "authority": authority, "decided_on": decided_on,
            "violation_on": violation_on or decided_on, "document_no": document_no or
            f"{did}/QĐ-KL", "violation_id": violation_id, "counted_in_year": counted_in_year})
        return did

    def innovation(self, official_id: str, *, recognized_on: str, level: str = "co_so",
                   kind: str = "sang_kien", cchc: bool = False, title: str = "Sáng kiến") -> str:
        aid = self._id("SK")
        self.rows["innovations"].append({
            "award_id": aid, "official_id": official_id, "title": title, "kind": kind,
            "level": level, "recognized_on": recognized_on, "document_no": f"{aid}/QĐ-SK",
            "cchc": cchc})
        return aid

    def add(self, table: str, **row: Any) -> DatasetBuilder:
        """Add one row to any table, by its column names (SPEC §3 or a plugin's row model).

        Columns a core table needs but the row leaves out get the same defaults as the
        methods above (ids, a received date ten days before the due date, …); rows of a
        plugin's own table are written as given.
        """
        if table == "officials":
            return self.official(**row)
        if table == "units":
            return self.unit(**row)
        defaults: dict[str, Any] = {}
        if table == "dossiers":
            due = dt.date.fromisoformat(str(row["due_at"])[:10])
            defaults = {"dossier_id": self._id("HS"), "procedure_code": "1.000001",
                        "unit_id": self._unit_of(str(row["handler_id"])),
                        "received_at": (due - dt.timedelta(days=10)).isoformat(),
                        "returned_at": "", "late_cause": "", "apology_issued": False}
        elif table == "reminders":
            rid = self._id("NN")
            defaults = {"reminder_id": rid, "kind": "nhac_nho", "subject": "tre_han",
                        "document_no": f"{rid}/TB-UBND"}
        elif table == "discipline":
            did = str(row.get("decision_id") or self._id("KL"))
            defaults = {"decision_id": did, "form": "khien_trach", "authority": "chinh_quyen",
                        "violation_on": row.get("decided_on", ""),
                        "document_no": f"{did}/QĐ-KL", "violation_id": "",
                        "counted_in_year": ""}
        elif table == "periods":
            defaults = {"unit_id": self._unit_of(str(row["official_id"])), "leader_dd": "",
                        "leader_e": ""}
        elif table == "work_items":
            defaults = {"item_id": self._id("SP"), "product_code": "SP01", "coefficient": 1,
                        "assigned_qty": 1, "done_qty": row.get("assigned_qty", 1),
                        "major_errors": 0, "delays": 0, "cause": "",
                        "exemption_confirmed_by": "", "dossier_id": ""}
        elif table == "innovations":
            aid = self._id("SK")
            defaults = {"award_id": aid, "title": "Sáng kiến", "kind": "sang_kien",
                        "level": "co_so", "document_no": f"{aid}/QĐ-SK", "cchc": False}
        self.rows.setdefault(table, []).append({**defaults, **row})
        return self

    def write(self, folder: Path, extra_tables: Iterable[TableSpec] = ()) -> Path:
        """Write every table as CSV; a plugin table without rows gets its header only."""
        folder.mkdir(parents=True, exist_ok=True)
        columns = dict(COLUMNS)
        for spec in extra_tables:
            columns.setdefault(spec.name, list(spec.row_model.model_fields))
        for name, rows in self.rows.items():
            if name not in columns:
                columns[name] = list(dict.fromkeys(k for r in rows for k in r))
        for name, cols in columns.items():
            frame = pd.DataFrame(self.rows.get(name, []), columns=cols)
            frame = frame.map(lambda v: "true" if v is True else "false" if v is False
                              else "" if v is None else v)
            frame.to_csv(folder / f"{name}.csv", index=False)
        return folder

    def period(self, official_id: str, period: str, general_score: float = 30,
               **row: Any) -> DatasetBuilder:
        """A period row (SPEC §10) of ``official_id``, in their unit unless ``unit_id``."""
        return self.add("periods", official_id=official_id, period=period,
                        general_score=general_score, **row)

    def work_item(self, official_id: str, period: str, **row: Any) -> DatasetBuilder:
        """A work line (SPEC §10): one product, assigned 1 and done unless said otherwise."""
        return self.add("work_items", official_id=official_id, period=period, **row)

    def classify(self, folder: Path, year: int = 2023, *, policy: Any = None,
                 considered_on: dt.date | None = None, session: Any = None,
                 as_of: dt.date | None = None) -> Result:
        """Write the tables to ``folder`` and classify ``year`` under ``policy`` (a path or a
        :class:`~xeploai.scoring.policy.Policy`; default the bundled one in force for
        ``year``), or with an open :class:`~xeploai.scoring.api.Session`."""
        from .api import Session

        session = session or Session.open(policy, year)
        dataset = session.load(self.write(folder, session.extra_tables()))
        return Result(session.classify(dataset, year, considered_on, as_of))
