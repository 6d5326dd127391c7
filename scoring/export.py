"""Council exports of a stored run (SPEC §7): csv (UTF-8 with BOM for Excel) and json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

import pandas as pd

EXPORT_COLUMNS: tuple[str, ...] = (
    "official_id", "full_name", "unit_id", "year", "score", "provisional_level", "level",
    "titles", "reasons",
)


def format_number(x: float) -> str:
    """Scores as people write them: 92, 92.5 — never 92.0 or 92.50000001."""
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def export_frame(results: pd.DataFrame) -> pd.DataFrame:
    out = results[list(EXPORT_COLUMNS)].copy()
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
        row["titles"] = row["titles"]
        row["reasons"] = by_official.get(row["official_id"], [])
    text = json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n"
    if isinstance(out, Path):
        out.write_text(text, encoding="utf-8")
    else:
        out.write(text)
