"""Who changes level or title between two results, and why (SPEC §6: "a comparison of two
runs or of two policies").

Two stored runs are compared on their final values (after council overrides); a what-if
compares the policy file with the same policy with some parameters set differently, on the
same data, in memory — nothing is stored. "Why" is the reasons one side has and the other
has not: their plain Vietnamese sentences carry the numbers, so a changed threshold shows up
as the sentence that appears or disappears.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from .errors import XeploaiError
from .input.evaluation_year import check_year, check_year_range
from .overrides import council_view
from .policy import Policy
from .storage import load_reasons

CHANGE_COLUMNS: tuple[str, ...] = (
    "official_id", "full_name", "unit_id", "score_a", "score_b", "level_a", "level_b",
    "titles_a", "titles_b", "added", "removed",
)


@dataclass
class Comparison:
    label_a: str
    label_b: str
    changes: pd.DataFrame  # CHANGE_COLUMNS; added/removed are lists of reason sentences
    only_a: list[str]  # officials in A only
    only_b: list[str]
    compared: int  # officials in both

    @property
    def level_changes(self) -> int:
        return int((self.changes["level_a"] != self.changes["level_b"]).sum())

    @property
    def title_changes(self) -> int:
        return int((self.changes["titles_a"] != self.changes["titles_b"]).sum())


def _reason_sets(reasons: pd.DataFrame) -> dict[str, list[str]]:
    return reasons.groupby("official_id", sort=False)["note"].agg(list).to_dict()


def compare_results(results_a: pd.DataFrame, reasons_a: pd.DataFrame,
                    results_b: pd.DataFrame, reasons_b: pd.DataFrame,
                    label_a: str = "A", label_b: str = "B") -> Comparison:
    """Officials whose level or titles differ between A and B, with the reasons that differ.

    ``results_*`` may carry ``override_reason`` (a council decision): it counts as a reason.
    """
    a = results_a.set_index("official_id")
    b = results_b.set_index("official_id")
    both = a.index.intersection(b.index)
    changed = both[(a.loc[both, "level"] != b.loc[both, "level"])
                   | (a.loc[both, "titles"] != b.loc[both, "titles"])]
    notes_a, notes_b = _reason_sets(reasons_a), _reason_sets(reasons_b)
    rows: list[dict[str, Any]] = []
    for oid in sorted(changed):
        na, nb = list(notes_a.get(oid, [])), list(notes_b.get(oid, []))
        for side, frame in ((na, a), (nb, b)):
            if "override_reason" in frame.columns and frame.loc[oid, "override_reason"]:
                side.append(f"Hội đồng điều chỉnh: {frame.loc[oid, 'override_reason']} "
                            f"({frame.loc[oid, 'override_by']})")
        rows.append({
            "official_id": oid, "full_name": b.loc[oid, "full_name"],
            "unit_id": b.loc[oid, "unit_id"],
            "score_a": float(a.loc[oid, "score"]), "score_b": float(b.loc[oid, "score"]),
            "level_a": a.loc[oid, "level"], "level_b": b.loc[oid, "level"],
            "titles_a": a.loc[oid, "titles"], "titles_b": b.loc[oid, "titles"],
            "added": [n for n in nb if n not in na],
            "removed": [n for n in na if n not in nb],
        })
    changes = pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))
    return Comparison(label_a, label_b, changes,
                      sorted(a.index.difference(b.index)), sorted(b.index.difference(a.index)),
                      len(both))


def compare_runs(engine: Engine, run_a: int, run_b: int) -> Comparison:
    """Compare two stored runs on their final values (after overrides)."""
    va, vb = council_view(engine, run_a), council_view(engine, run_b)
    return compare_results(va.results, load_reasons(engine, va.run_id),
                           vb.results, load_reasons(engine, vb.run_id),
                           f"lần chạy {va.run_id}", f"lần chạy {vb.run_id}")


def parse_settings(items: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``section.name=value`` pairs; the value is read as TOML (2, 0.25, true, "HTNV",
    ["chu_quan"]) and otherwise taken as text."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or "." not in key or not raw.strip():
            raise XeploaiError(f"--set {item!r}: cần dạng muc.tham_so=giá_trị, ví dụ "
                               "late_dossiers.repeat_threshold=2")
        try:
            value = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()
        out[key] = value
    return out


@dataclass
class WhatIf:
    comparison: Comparison
    policy: Policy  # the policy with the settings applied
    results: pd.DataFrame  # the what-if results (nothing is stored)


def what_if(data_dir: str | Path, year: int, settings: dict[str, Any], *,
            policy: str | Path | Policy | None = None) -> WhatIf:
    """Classify ``data_dir`` under the policy and under the policy with ``settings`` from
    1 January of ``year`` on; compare the two. Stores nothing."""
    from .api import Session

    check_year_range(year)
    base = Session.open(policy, year)
    for key in settings:
        base.policy.parameter(key)  # an unknown parameter is an error, not a silent no-op
    changed = Session.open(base.policy.with_values(settings, dt.date(year, 1, 1)))
    dataset = base.load(data_dir)
    check_year(year, dataset.tables)
    ra = base.classify(dataset, year)
    rb = changed.classify(dataset, year)
    shown = ", ".join(f"{k}={v!r}" for k, v in settings.items())
    cmp = compare_results(ra.results, ra.reasons, rb.results, rb.reasons,
                          "chính sách hiện hành", f"chạy thử với {shown}")
    return WhatIf(cmp, changed.policy, rb.results)
