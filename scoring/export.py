"""Council exports of a stored run (SPEC §7): csv (UTF-8 with BOM for Excel) and json.

The xlsx council workbook is in :mod:`xeploai.scoring.xlsx_export`. Every export shows final values
(after council overrides) in the SPEC columns, then the engine's values and the override.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from .errors import XeploaiError
from .i18n import os_reason

EXPORT_COLUMNS: tuple[str, ...] = (
    "official_id", "full_name", "unit_id", "year", "score", "provisional_level", "level",
    "titles", "reasons",
)
# after the SPEC columns ("at least these columns, in this order"): what the engine proposed
# and the council decision that changed it (empty when none)
COUNCIL_COLUMNS: tuple[str, ...] = (
    "engine_level", "engine_titles", "override_reason", "override_by", "override_basis",
    "override_against", "override_meeting", "flag",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV/formula injection):
# a name or a council note like "=HYPERLINK(...)" must stay text.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
TEXT_COLUMNS: tuple[str, ...] = (
    "official_id", "full_name", "unit_id", "titles", "reasons", "engine_titles",
    "override_reason", "override_by", "override_basis", "override_against",
    "override_meeting", "flag",
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
    for col in COUNCIL_COLUMNS[2:]:
        if col not in out.columns:
            out[col] = ""
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


class ExportError(XeploaiError):
    """The export file can't be written where asked (exists, no folder, no permission)."""


def check_target(out: Path, *, force: bool) -> None:
    """Refuse early, before any work, to write where an export can't or shouldn't go."""
    if out.is_dir():
        raise ExportError(f"{out} là một thư mục: hãy cho tên tệp, ví dụ {out / 'ket_qua.csv'}")
    if not out.parent.is_dir():
        raise ExportError(f"không có thư mục {out.parent} để ghi {out.name}")
    if out.exists() and not force:
        raise ExportError(f"tệp {out} đã có: thêm --force để ghi đè, hoặc chọn tên khác")


@contextlib.contextmanager
def atomic_path(out: Path, *, force: bool = False) -> Iterator[Path]:
    """A temporary path beside ``out``, renamed to ``out`` only once fully written.

    A failure or Ctrl-C while writing leaves no half-written file, and the old ``out`` (if
    any) as it was. Without ``force`` an existing ``out`` is never replaced, even one that
    appeared while the export was being written (a hard link can't overwrite).
    """
    check_target(out, force=force)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    except OSError as exc:  # a read-only folder, no permission, a full disk
        raise ExportError(f"không ghi được {out}: không tạo được tệp trong thư mục "
                          f"{out.parent} ({os_reason(exc)})") from None
    os.close(fd)
    tmp = Path(name)
    # mkstemp makes the file private (0600); an export gets the permissions of any new file
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o666 & ~umask)
    try:
        yield tmp
        if force:
            os.replace(tmp, out)
        else:
            try:
                os.link(tmp, out)
            except FileExistsError:
                raise ExportError(f"tệp {out} đã có: thêm --force để ghi đè, hoặc chọn tên "
                                  "khác") from None
            except OSError:  # a file system without hard links: check, then rename
                if out.exists():
                    raise ExportError(f"tệp {out} đã có: thêm --force để ghi đè") from None
                os.replace(tmp, out)
    except OSError as exc:
        raise ExportError(f"không ghi được {out}: {os_reason(exc)} — tệp cũ (nếu có) "
                          "giữ nguyên") from exc
    finally:
        tmp.unlink(missing_ok=True)


def write_to(out: Path | IO[str], write: Callable[[Path | IO[str]], None], *,
             force: bool = False) -> None:
    """Run ``write`` on a stream as is, or on a path through :func:`atomic_path`."""
    if isinstance(out, Path):
        with atomic_path(out, force=force) as tmp:
            write(tmp)
    else:
        write(out)


def write_csv(results: pd.DataFrame, out: Path | IO[str], *, bom: bool = True,
              force: bool = False) -> None:
    frame = export_frame(results)
    for col in TEXT_COLUMNS:
        # a lone CR is not quoted by the csv writer (the line ends with LF) and would split
        # the row in Excel and pandas: keep line breaks, as LF, inside the quoted cell
        frame[col] = frame[col].astype(str).map(neutralise) \
            .str.replace("\r\n", "\n", regex=False).str.replace("\r", "\n", regex=False)

    def write(target: Path | IO[str]) -> None:
        if isinstance(target, Path):
            frame.to_csv(target, index=False, encoding="utf-8-sig" if bom else "utf-8",
                         lineterminator="\n")
        else:
            frame.to_csv(target, index=False, lineterminator="\n")

    write_to(out, write, force=force)


def write_json(results: pd.DataFrame, reasons: pd.DataFrame, out: Path | IO[str], *,
               force: bool = False) -> None:
    frame = export_frame(results)
    frame["score"] = results["score"].astype(float)
    by_official = reason_objects(reasons)
    rows = frame.to_dict("records")
    for row in rows:
        row["reasons"] = by_official.get(row["official_id"], [])
    text = json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n"

    def write(target: Path | IO[str]) -> None:
        if isinstance(target, Path):
            target.write_text(text, encoding="utf-8")
        else:
            target.write(text)

    write_to(out, write, force=force)
