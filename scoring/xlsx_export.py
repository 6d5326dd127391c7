"""The council workbook (SPEC §6): a summary sheet and one sheet per unit, in Vietnamese.

Written with xlsxwriter because its files are reproducible: zip entries carry a fixed
timestamp and the document's creation time is set from the run, so exporting the same run
twice gives the same bytes, and two runs of the same inputs differ only in the run id and
time. Every text goes in with ``write_string`` (never parsed as a formula) and a text that
looks like a formula also gets Excel's quote prefix, so editing the cell keeps it text.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import xlsxwriter
from xeploai.scoring.export import atomic_path, format_number, is_formula_like
from xeploai.scoring.labels import TITLE_ORDER, level_vi, titles_vi
from xeploai.scoring.overrides import CouncilView
from xeploai.scoring.storage import RunRecord
from xeploai.scoring.types import LEVEL_LABELS_VI, TITLE_LABELS_VI, Level, Title
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

SUMMARY_SHEET = "Tổng hợp"
LEVEL_ORDER: tuple[Level, ...] = (Level.HTXSNV, Level.HTTNV, Level.HTNV, Level.KHTNV, Level.KXL)
TITLE_SHORT_VI: dict[Title, str] = {Title.LDTT: "LĐTT", Title.CSTDCS: "CSTĐCS",
                                    Title.CCHC: "CCHC"}

# (header, width) of a unit sheet; the header row is frozen and filterable
UNIT_COLUMNS: tuple[tuple[str, float], ...] = (
    ("STT", 5), ("Mã cán bộ", 10), ("Họ và tên", 22), ("Đơn vị", 20), ("Nhóm chức danh", 13),
    ("Điểm", 7), ("Mức xếp loại", 20), ("Danh hiệu", 20), ("Lý do", 70),
    ("Mức tạm tính theo điểm", 20), ("Mức hệ thống đề xuất", 20),
    ("Danh hiệu hệ thống đề xuất", 20), ("Điều chỉnh của Hội đồng", 36), ("Cảnh báo", 26),
)
SUMMARY_COLUMNS: tuple[tuple[str, float], ...] = (
    ("Mã đơn vị", 13), ("Tên đơn vị", 28), ("Số người", 8),
    *((LEVEL_LABELS_VI[lv], 12) for lv in LEVEL_ORDER),
    *((TITLE_LABELS_VI[t], 13) for t in TITLE_ORDER),
    ("HTXSNV đã xếp", 10), ("HTXSNV được phép", 10),
    ("CSTĐCS đã xét", 10), ("CSTĐCS được phép", 10),
    ("Số điều chỉnh của Hội đồng", 12), ("Cảnh báo", 40),
)


def reasons_text(notes: Sequence[str]) -> str:
    """The reasons as numbered plain sentences, one per line."""
    return "\n".join(f"{i}. {n}" for i, n in enumerate(notes, 1))


def override_text(row: Mapping[str, Any]) -> str:
    if not row["override_reason"]:
        return ""
    parts = []
    if row["level"] != row["engine_level"]:
        parts.append(f"Mức: {level_vi(row['engine_level'])} → {level_vi(row['level'])}.")
    if row["titles"] != row["engine_titles"]:
        parts.append(f"Danh hiệu: {titles_vi(row['engine_titles']) or 'không'} → "
                     f"{titles_vi(row['titles']) or 'không'}.")
    parts.append(f"Lý do: {row['override_reason']}.")
    parts.append(f"Người quyết định: {row['override_by']}.")
    return " ".join(parts)


LINE_HEIGHT = 12.75  # points per line of 10-point Arial


def text_lines(text: str, width: float) -> int:
    """Lines ``text`` wraps to in a column ``width`` characters wide (a cautious estimate:
    spreadsheets do not re-measure rows on opening, so the file must carry the heights)."""
    per_line = max(int(width * 1.25), 1)
    return sum(max(1, -(-len(part) // per_line)) for part in str(text).split("\n"))


def sheet_name(text: str, taken: set[str]) -> str:
    """A valid, unique sheet name (Excel: ≤ 31 characters, none of []:*?/\\)."""
    base = re.sub(r"[\[\]:*?/\\]", "_", text).strip("'") or "Don_vi"
    name, n = base[:31], 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


class _Writer:
    BASE: ClassVar[dict[str, Any]] = {"font_name": "Arial", "font_size": 10, "valign": "top"}
    STYLES: ClassVar[dict[str, dict[str, Any]]] = {
        "text": {},
        "wrap": {"text_wrap": True},
        "num": {"num_format": "General"},
        "head": {"bold": True, "text_wrap": True, "bg_color": "#D9E1F2", "border": 1,
                 "valign": "vcenter", "align": "center"},
        "title": {"bold": True, "font_size": 13},
        "subtitle": {"italic": True},
        "section": {"bold": True, "font_size": 11},
        "total": {"bold": True, "top": 1},
        "warn": {"text_wrap": True, "font_color": "#C00000", "bold": True},
        "changed": {"text_wrap": True, "bg_color": "#FFF2CC"},
        "left_num": {"align": "left"},
        "status": {"align": "center"},
        "warn_status": {"align": "center", "font_color": "#C00000", "bold": True},
    }

    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self.wb = wb
        self.f: dict[str, Format] = {k: wb.add_format(self.BASE | v)
                                     for k, v in self.STYLES.items()}
        self.quoted: dict[str, Format] = {}

    def text(self, ws: Worksheet, r: int, c: int, value: Any, fmt: str = "text") -> None:
        s = "" if value is None else str(value)
        if is_formula_like(s):
            # a quote-prefixed string: shown as typed, stays text when edited
            if fmt not in self.quoted:
                self.quoted[fmt] = self.wb.add_format(
                    self.BASE | self.STYLES[fmt] | {"quote_prefix": True})
            ws.write_string(r, c, s, self.quoted[fmt])
        else:
            ws.write_string(r, c, s, self.f[fmt])

    def number(self, ws: Worksheet, r: int, c: int, value: float, fmt: str = "num") -> None:
        ws.write_number(r, c, float(value), self.f[fmt])

    def header(self, ws: Worksheet, r: int, columns: Sequence[tuple[str, float]]) -> None:
        for c, (name, width) in enumerate(columns):
            ws.write_string(r, c, name, self.f["head"])
            ws.set_column(c, c, width)


def _score(value: float) -> float | int:
    # 90 rather than 90.0 in the xml: same display, and stable across platforms
    text = format_number(float(value))
    return int(text) if re.fullmatch(r"-?\d+", text) else float(text)


def build_workbook(view: CouncilView, run: RunRecord, reasons: pd.DataFrame) -> bytes:
    """The council workbook of ``view`` as xlsx bytes."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {
        "in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
        "strings_to_urls": False,
    })
    created = run.created_at.replace(tzinfo=None)
    wb.set_properties({
        "title": f"Kết quả đánh giá, xếp loại năm {run.year}",
        "subject": f"Lần chạy số {run.id}",
        "author": f"xeploai {run.tool_version}",
        "created": created,
    })
    # modified = created: xlsxwriter writes "created" for both unless told otherwise
    w = _Writer(wb)
    notes = reasons.groupby("official_id", sort=False)["note"].agg(list).to_dict()
    results = view.results
    unit_names = dict(zip(view.units["unit_id"], view.units["name"], strict=True))
    taken: set[str] = set()
    summary = wb.add_worksheet(sheet_name(SUMMARY_SHEET, taken))
    _write_summary(w, summary, view, run, unit_names)
    by_unit = {u: g.to_dict("records") for u, g in results.groupby("unit_id", sort=False)}
    for unit_id in sorted(set(by_unit) | set(unit_names)):
        ws = wb.add_worksheet(sheet_name(str(unit_id), taken))
        _write_unit(w, ws, by_unit.get(unit_id, []), unit_names.get(unit_id, unit_id), notes)
    wb.close()
    return buf.getvalue()


def _write_unit(w: _Writer, ws: Worksheet, rows: list[dict[str, Any]], unit_name: str,
                notes: dict[str, list[str]]) -> None:
    w.header(ws, 0, UNIT_COLUMNS)
    ws.set_row(0, 30)
    ws.freeze_panes(1, 0)
    for i, row in enumerate(rows, 1):
        changed = bool(row["overridden"])
        final_fmt = "changed" if changed else "wrap"
        cells: list[tuple[str, str]] = [
            (row["official_id"], "text"), (row["full_name"], "wrap"), (unit_name, "wrap"),
            (row["peer_group"], "wrap"), ("", ""),
            (level_vi(row["level"]), final_fmt), (titles_vi(row["titles"]), final_fmt),
            (reasons_text(notes.get(row["official_id"], [])), "wrap"),
            (level_vi(row["provisional_level"]), "wrap"), (level_vi(row["engine_level"]), "wrap"),
            (titles_vi(row["engine_titles"]), "wrap"),
            (override_text(row), final_fmt if changed else "wrap"), (row["flag"], "warn"),
        ]
        w.number(ws, i, 0, i)
        lines = 1
        for c, (value, fmt) in enumerate(cells, 1):
            if fmt:
                w.text(ws, i, c, value, fmt)
                lines = max(lines, text_lines(value, UNIT_COLUMNS[c][1]))
        w.number(ws, i, 5, _score(row["score"]))
        ws.set_row(i, LINE_HEIGHT * lines + 2)
    ws.autofilter(0, 0, max(len(rows), 1), len(UNIT_COLUMNS) - 1)
    ws.set_landscape()
    ws.set_paper(8)  # A3: fourteen columns stay legible on one page width
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def _write_summary(w: _Writer, ws: Worksheet, view: CouncilView, run: RunRecord,
                   unit_names: dict[str, str]) -> None:
    ncol = len(SUMMARY_COLUMNS)
    ws.merge_range(0, 0, 0, ncol - 1, "", w.f["title"])
    ws.write_string(0, 0, f"KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG CÁN BỘ, CÔNG CHỨC, VIÊN "
                          f"CHỨC NĂM {run.year} — TỔNG HỢP THEO ĐƠN VỊ", w.f["title"])
    ws.merge_range(1, 0, 1, ncol - 1, "", w.f["subtitle"])
    ws.write_string(1, 0, f"Chính sách: {run.policy_name}. Mức và danh hiệu là kết quả cuối "
                          "cùng, đã gồm điều chỉnh của Hội đồng (nếu có); chi tiết từng người "
                          "ở các trang mang mã đơn vị.", w.f["subtitle"])
    w.header(ws, 2, SUMMARY_COLUMNS)
    ws.set_row(2, 58)
    ws.freeze_panes(3, 0)
    res = view.results
    units = view.units.set_index("unit_id")
    level_counts = pd.crosstab(res["unit_id"], res["level"])
    exploded = res[["unit_id", "titles"]].assign(t=res["titles"].str.split(";")).explode("t")
    title_counts = pd.crosstab(exploded["unit_id"], exploded["t"])
    sizes = res.groupby("unit_id").size()
    changed = res.groupby("unit_id")["overridden"].sum()
    quota_sums = view.quotas.groupby("unit_id")[["used", "allowed_final"]].sum()
    over_groups = view.quotas[view.quotas["over"]].groupby("unit_id")

    def count(table: pd.DataFrame, unit: str, col: str) -> int:
        return int(table.at[unit, col]) if unit in table.index and col in table.columns else 0

    r = 3
    totals = [0] * (ncol - 3)
    for unit_id in sorted(set(res["unit_id"]) | set(unit_names)):
        u = units.loc[unit_id] if unit_id in units.index else None
        warnings = []
        if unit_id in over_groups.groups:
            for gr in over_groups.get_group(unit_id).to_dict("records"):
                warnings.append(f"Vượt tỷ lệ HTXSNV nhóm {gr['peer_group']} "
                                f"({int(gr['used'])}/{int(gr['allowed_final'])})")
        if u is not None and bool(u["cstdcs_over"]):
            warnings.append(f"Vượt tỷ lệ CSTĐCS ({int(u['cstdcs_used'])}/"
                            f"{int(u['cstdcs_allowed'])})")
        values = [
            int(sizes.get(unit_id, 0)),
            *(count(level_counts, unit_id, lv.value) for lv in LEVEL_ORDER),
            *(count(title_counts, unit_id, t.value) for t in TITLE_ORDER),
            count(quota_sums, unit_id, "used"), count(quota_sums, unit_id, "allowed_final"),
            int(u["cstdcs_used"]) if u is not None else 0,
            int(u["cstdcs_allowed"]) if u is not None else 0,
            int(changed.get(unit_id, 0)),
        ]
        w.text(ws, r, 0, unit_id)
        w.text(ws, r, 1, unit_names.get(unit_id, ""), "wrap")
        for c, v in enumerate(values, 2):
            w.number(ws, r, c, v)
            totals[c - 2] += v
        w.text(ws, r, ncol - 1, "; ".join(warnings), "warn")
        r += 1
    ws.write_string(r, 0, "Tổng cộng", w.f["total"])
    ws.write_string(r, 1, "", w.f["total"])
    for c, v in enumerate(totals, 2):
        ws.write_number(r, c, v, w.f["total"])
    ws.write_string(r, ncol - 1, "", w.f["total"])
    r += 2

    ws.write_string(r, 0, "Tỷ lệ Hoàn thành xuất sắc nhiệm vụ theo đơn vị và nhóm chức danh",
                    w.f["section"])
    r += 1
    quota_cols = (("Mã đơn vị", 0), ("Nhóm chức danh", 0), ("Tỷ lệ tối đa", 0),
                  ("Số đạt HTTNV trở lên", 0), ("HTXSNV đã xếp", 0), ("Được phép", 0),
                  ("Tình trạng", 0))
    for c, (name, _) in enumerate(quota_cols):
        ws.write_string(r, c, name, w.f["head"])
    ws.set_row(r, 30)
    r += 1
    for gr in view.quotas.to_dict("records"):
        w.text(ws, r, 0, gr["unit_id"])
        w.text(ws, r, 1, gr["peer_group"], "wrap")
        w.text(ws, r, 2, f"{format_number(float(gr['share']) * 100)}%")
        w.number(ws, r, 3, int(gr["good_final"]))
        w.number(ws, r, 4, int(gr["used"]))
        w.number(ws, r, 5, int(gr["allowed_final"]))
        w.text(ws, r, 6, "VƯỢT TỶ LỆ" if gr["over"] else "Trong tỷ lệ",
               "warn_status" if gr["over"] else "status")
        r += 1
    r += 1

    ws.write_string(r, 0, "Thông tin lần chạy (để đối chiếu, kiểm tra lại)", w.f["section"])
    r += 1
    plugins = json.loads(run.plugins)
    hashes = json.loads(run.input_hashes)
    info: list[tuple[str, Any]] = [
        ("Lần chạy số", int(run.id)),  # type: ignore[arg-type]
        ("Thời điểm chạy", f"{run.created_at:%d/%m/%Y %H:%M} (UTC)"),
        ("Năm đánh giá", int(run.year)),
        ("Ngày xét danh hiệu", run.considered_on.strftime("%d/%m/%Y")),
        ("Chính sách", run.policy_name),
        ("Mã băm tệp chính sách (SHA-256)", run.policy_hash),
        ("Phiên bản xeploai", run.tool_version),
        ("Quy tắc (plugin)", ", ".join(f"{k} {v}" for k, v in plugins.items())),
        *((f"Tệp dữ liệu {name}", h) for name, h in sorted(hashes.items())),
        ("Số quyết định điều chỉnh của Hội đồng", len(view.decisions)),
    ]
    for label, value in info:
        w.text(ws, r, 0, label)
        if isinstance(value, int):
            ws.write_number(r, 3, value, w.f["left_num"])
        else:
            w.text(ws, r, 3, value)
        r += 1
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)


def write_xlsx(view: CouncilView, run: RunRecord, reasons: pd.DataFrame, out: Path, *,
               force: bool = False) -> None:
    """Write the workbook through a temporary file and a rename (:func:`atomic_path`): a
    reader never sees half a workbook, and a failed export leaves the old file as it was."""
    data = build_workbook(view, run, reasons)
    with atomic_path(out, force=force) as tmp:
        tmp.write_bytes(data)
