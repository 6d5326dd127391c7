"""Council exports of a stored run (SPEC §7): csv (UTF-8 with BOM for Excel) and json.

The xlsx council workbook is in :mod:`scoring.xlsx_export`. Every export shows final values
(after council overrides) in the SPEC columns, then the engine's values and the override.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

import pandas as pd

EXPORT_COLUMNS: tuple[str, ...] = (
    "official_id", "full_name", "unit_id", "year", "score", "provisional_level", "level",
    "titles", "reasons",
)
# after the SPEC columns ("at least these columns, in this order"): what the engine proposed
# and the council decision that changed it (empty when none)
COUNCIL_COLUMNS: tuple[str, ...] = (
    "engine_level", "engine_titles", "override_reason", "override_by",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV/formula injection):
# a name or a council note like "=HYPERLINK(...)" must stay text.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
TEXT_COLUMNS: tuple[str, ...] = (
    "official_id", "full_name", "unit_id", "titles", "reasons", "engine_titles",
    "override_reason", "override_by",
)


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def neutralise(text: str) -> str:
    """Prefix a formula-like text with ``'`` (what spreadsheets themselves use for text)."""
    return "'" + text if is_formula_like(text) else text


def format_number(x: float) -> str:
    """Scores as people write them: 92, 92.5 — never 92.0 or 92.50000001."""
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def export_frame(results: pd.DataFrame) -> pd.DataFrame:
    """The export columns; ``results`` may be raw (no override columns) or final."""
    out = results.copy()
    if "engine_level" not in out.columns:
        out["engine_level"], out["engine_titles"] = out["level"], out["titles"]
        out["override_reason"] = out["override_by"] = ""
    out = out[[*EXPORT_COLUMNS, *COUNCIL_COLUMNS]]
    out["score"] = out["score"].map(format_number)
    return out


def reason_objects(reasons: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """Reasons grouped per official, with params and evidence decoded from JSON."""
    out: dict[str, list[dict[str, Any]]] = {}
    for rec in reasons.to_dict("records"):
        rec = dict(rec)
        rec["params"] = json.loads(rec["params"] or "{}")
        rec["evidence"] = json.loads(rec["evidence"] or "[]")
        rec["blocks_titles"] = [t for t in rec["blocks_titles"].split(";") if t]
        rec["qualifies_titles"] = [t for t in rec["qualifies_titles"].split(";") if t]
        rec["exclude"] = bool(rec["exclude"])
        rec["points"] = float(rec["points"])
        out.setdefault(rec.pop("official_id"), []).append(rec)
    return out


def write_csv(results: pd.DataFrame, out: Path | IO[str], *, bom: bool = True) -> None:
    frame = export_frame(results)
    for col in TEXT_COLUMNS:
        frame[col] = frame[col].astype(str).map(neutralise)
    if isinstance(out, Path):
        frame.to_csv(out, index=False, encoding="utf-8-sig" if bom else "utf-8",
                     lineterminator="\n")
    else:
        frame.to_csv(out, index=False, lineterminator="\n")


def write_json(results: pd.DataFrame, reasons: pd.DataFrame, out: Path | IO[str]) -> None:
    frame = export_frame(results)
    frame["score"] = results["score"].astype(float)
    by_official = reason_objects(reasons)
    rows = frame.to_dict("records")
    for row in rows:
        row["reasons"] = by_official.get(row["official_id"], [])
    text = json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n"
    if isinstance(out, Path):
        out.write_text(text, encoding="utf-8")
    else:
        out.write(text)
