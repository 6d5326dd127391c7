"""The council workbook (SPEC §6, §8): a summary sheet, one sheet per unit and a provenance
sheet, in Vietnamese, laid out to print: A4 landscape one page wide, a title row naming the
unit and year above the repeated header, page numbers in the footer, labels instead of codes,
and the run's hashes on the provenance sheet rather than on the page a council signs.

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
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from .assumptions import marked_reason_notes
from .export import atomic_path, format_number, is_formula_like
from .labels import TITLE_ORDER, decision_text, level_vi, peer_group_vi, titles_vi
from .overrides import CouncilView
from .run_tables import RunRecord
from .types import LEVEL_LABELS_VI, TITLE_LABELS_VI, Level, Title

SUMMARY_SHEET = "Tổng hợp"
PROVENANCE_SHEET = "Nguồn gốc"
A4 = 9  # xlsxwriter's paper code
FOOTER = "&CTrang &P/&N"
HEADER_ROW = 1  # row 0 is the sheet's title
LEVEL_ORDER: tuple[Level, ...] = (Level.HTXSNV, Level.HTTNV, Level.HTNV, Level.KHTNV, Level.KXL)
TITLE_SHORT_VI: dict[Title, str] = {Title.LDTT: "LĐTT", Title.CSTDCS: "CSTĐCS",
                                    Title.CCHC: "CCHC"}

# (header, width) of a unit sheet; the header row is frozen and filterable. The first
# PRINTED_UNIT_COLUMNS are what a council reads on paper (A4 landscape, one page wide); the
# engine's own values after them stay on screen for checking, outside the print area.
UNIT_COLUMNS: tuple[tuple[str, float], ...] = (
    ("STT", 5), ("Mã cán bộ", 9), ("Họ và tên", 20), ("Nhóm chức danh", 14),
    ("Điểm", 6), ("Mức xếp loại", 16), ("Danh hiệu", 16), ("Lý do", 58),
    ("Điều chỉnh của Hội đồng", 34), ("Cảnh báo", 24),
    ("Mức tạm tính theo điểm", 18), ("Mức hệ thống đề xuất", 18),
    ("Danh hiệu hệ thống đề xuất", 20),
)
PRINTED_UNIT_COLUMNS = 10
SUMMARY_COLUMNS: tuple[tuple[str, float], ...] = (
    ("Mã đơn vị", 11), ("Tên đơn vị", 22), ("Số người", 7),
    *((LEVEL_LABELS_VI[lv], 10) for lv in LEVEL_ORDER),
    *((TITLE_LABELS_VI[t], 10) for t in TITLE_ORDER),
    ("HTXSNV đã xếp", 8), ("HTXSNV được phép", 8),
    ("CSTĐCS đã xét", 8), ("CSTĐCS được phép", 8),
    ("Số điều chỉnh của Hội đồng", 9), ("Cảnh báo", 24),
)


def reasons_text(notes: Sequence[str]) -> str:
    """The reasons as numbered plain sentences, one per line."""
    return "\n".join(f"{i}. {n}" for i, n in enumerate(notes, 1))


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


def print_setup(ws: Worksheet, header_rows: int, last_row: int, last_col: int) -> None:
    """A4 landscape, one page wide, the title and header rows on every page, page numbers in
    the footer."""
    ws.set_landscape()
    ws.set_paper(A4)
    ws.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.6)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0, header_rows - 1)
    ws.set_footer(FOOTER)
    ws.print_area(0, 0, last_row, last_col)


def build_workbook(view: CouncilView, run: RunRecord, reasons: pd.DataFrame,
                   signoff: str = "") -> bytes:
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
    notes, _ = marked_reason_notes(reasons, json.loads(run.assumptions or "{}"))
    results = view.results
    unit_names = dict(zip(view.units["unit_id"], view.units["name"], strict=True))
    taken: set[str] = set()
    summary = wb.add_worksheet(sheet_name(SUMMARY_SHEET, taken))
    _write_summary(w, summary, view, run, unit_names)
    by_unit = {u: g.to_dict("records") for u, g in results.groupby("unit_id", sort=False)}
    for unit_id in sorted(set(by_unit) | set(unit_names)):
        ws = wb.add_worksheet(sheet_name(str(unit_id), taken))
        title = (f"KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI NĂM {run.year} — "
                 f"{str(unit_names.get(unit_id, unit_id)).upper()}")
        _write_unit(w, ws, by_unit.get(unit_id, []), title, notes)
    _write_provenance(w, wb.add_worksheet(sheet_name(PROVENANCE_SHEET, taken)), view, run,
                      signoff)
    wb.close()
    return buf.getvalue()


def _write_unit(w: _Writer, ws: Worksheet, rows: list[dict[str, Any]], title: str,
                notes: dict[str, list[str]]) -> None:
    ws.merge_range(0, 0, 0, PRINTED_UNIT_COLUMNS - 1, "", w.f["title"])
    ws.write_string(0, 0, title, w.f["title"])
    ws.set_row(0, 20)
    w.header(ws, HEADER_ROW, UNIT_COLUMNS)
    ws.set_row(HEADER_ROW, 30)
    ws.freeze_panes(HEADER_ROW + 1, 0)
    for i, row in enumerate(rows, 1):
        r = HEADER_ROW + i
        changed = bool(row["overridden"])
        final_fmt = "changed" if changed else "wrap"
        cells: list[tuple[str, str]] = [
            (row["official_id"], "text"), (row["full_name"], "wrap"),
            (peer_group_vi(row["peer_group"]), "wrap"), ("", ""),
            (level_vi(row["level"]), final_fmt), (titles_vi(row["titles"]), final_fmt),
            (reasons_text(notes.get(row["official_id"], [])), "wrap"),
            (decision_text(row), final_fmt if changed else "wrap"), (row["flag"], "warn"),
            (level_vi(row["provisional_level"]), "wrap"), (level_vi(row["engine_level"]), "wrap"),
            (titles_vi(row["engine_titles"]), "wrap"),
        ]
        w.number(ws, r, 0, i)
        lines = 1
        for c, (value, fmt) in enumerate(cells, 1):
            if fmt:
                w.text(ws, r, c, value, fmt)
                lines = max(lines, text_lines(value, UNIT_COLUMNS[c][1]))
        w.number(ws, r, 4, _score(row["score"]))
        ws.set_row(r, LINE_HEIGHT * lines + 2)
    ws.autofilter(HEADER_ROW, 0, HEADER_ROW + max(len(rows), 1), len(UNIT_COLUMNS) - 1)
    print_setup(ws, HEADER_ROW + 1, HEADER_ROW + max(len(rows), 1), PRINTED_UNIT_COLUMNS - 1)


def _write_summary(w: _Writer, ws: Worksheet, view: CouncilView, run: RunRecord,
                   unit_names: dict[str, str]) -> None:
    ncol = len(SUMMARY_COLUMNS)
    ws.merge_range(0, 0, 0, ncol - 1, "", w.f["title"])
    ws.write_string(0, 0, f"KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG CÁN BỘ, CÔNG CHỨC, VIÊN "
                          f"CHỨC NĂM {run.year} — TỔNG HỢP THEO ĐƠN VỊ", w.f["title"])
    ws.merge_range(1, 0, 1, ncol - 1, "", w.f["subtitle"])
    ws.write_string(1, 0, f"Lần chạy số {run.id}, chính sách {run.policy_name}. Mức và danh "
                          "hiệu là kết quả cuối cùng, đã gồm điều chỉnh của Hội đồng (nếu có); "
                          "chi tiết từng người ở các trang mang mã đơn vị, nguồn gốc ở trang "
                          f"{PROVENANCE_SHEET}.", w.f["subtitle"])
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
        w.text(ws, r, 1, peer_group_vi(gr["peer_group"]), "wrap")
        w.text(ws, r, 2, f"{format_number(float(gr['share']) * 100)}%")
        w.number(ws, r, 3, int(gr["good_final"]))
        w.number(ws, r, 4, int(gr["used"]))
        w.number(ws, r, 5, int(gr["allowed_final"]))
        w.text(ws, r, 6, "VƯỢT TỶ LỆ" if gr["over"] else "Trong tỷ lệ",
               "warn_status" if gr["over"] else "status")
        r += 1
    r += 1

    print_setup(ws, 3, r, ncol - 1)


def _write_provenance(w: _Writer, ws: Worksheet, view: CouncilView, run: RunRecord,
                      signoff: str) -> None:
    """What makes the run reproducible and checkable: its hashes, plugins, time, sign-off
    and the project assumptions it rests on — kept off the pages a council signs."""
    ws.merge_range(0, 0, 0, 3, "", w.f["title"])
    ws.write_string(0, 0, f"NGUỒN GỐC KẾT QUẢ NĂM {run.year} — LẦN CHẠY SỐ {run.id} "
                          "(để đối chiếu, kiểm tra lại)", w.f["title"])
    ws.set_column(0, 0, 38)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 3, 12)
    plugins = json.loads(run.plugins)
    hashes = json.loads(run.input_hashes)
    marks = json.loads(run.assumptions or "{}")
    info: list[tuple[str, Any]] = [
        ("Lần chạy số", int(run.id)),  # type: ignore[arg-type]
        ("Thời điểm chạy", f"{run.created_at:%d/%m/%Y %H:%M} (UTC)"),
        ("Năm đánh giá", int(run.year)),
        ("Ngày xét danh hiệu", run.considered_on.strftime("%d/%m/%Y")),
        ("Tình trạng", signoff or "chưa chốt"),
        ("Chính sách", run.policy_name),
        ("Mã băm tệp chính sách (SHA-256)", run.policy_hash),
        ("Phiên bản xeploai", run.tool_version),
        ("Quy tắc (plugin)", ", ".join(f"{k} {v}" for k, v in plugins.items())),
        *((f"Tệp dữ liệu {name} (SHA-256)", h) for name, h in sorted(hashes.items())),
        ("Số quyết định điều chỉnh của Hội đồng", len(view.decisions)),
        *((f"[giả định] {key}", f"{value['value']} — {value['reference']}")
          for key, value in sorted(marks.get("parameters", {}).items())),
        *((f"[giả định] quy tắc {rule}", basis)
          for rule, basis in sorted(marks.get("rules", {}).items())),
    ]
    if run.repeats_run:  # last: the rows above stay where they are in the run it repeats
        info.append(("Lặp lại lần chạy số", int(run.repeats_run)))
    for r, (label, value) in enumerate(info, 2):
        w.text(ws, r, 0, label)
        if isinstance(value, int):
            ws.write_number(r, 1, value, w.f["left_num"])
        else:
            w.text(ws, r, 1, value, "wrap")
            ws.set_row(r, LINE_HEIGHT * text_lines(value, 70) + 2)
    print_setup(ws, 1, len(info) + 1, 1)


def write_xlsx(view: CouncilView, run: RunRecord, reasons: pd.DataFrame, out: Path, *,
               force: bool = False, signoff: str = "") -> None:
    """Write the workbook through a temporary file and a rename (:func:`atomic_path`): a
    reader never sees half a workbook, and a failed export leaves the old file as it was."""
    data = build_workbook(view, run, reasons, signoff)
    with atomic_path(out, force=force) as tmp:
        tmp.write_bytes(data)
