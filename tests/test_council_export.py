"""The council workbook and csv: re-opened with openpyxl/pandas and checked cell by cell."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from xeploai.scoring import api
from xeploai.scoring.overrides import council_view, quota_status, record_override
from xeploai.scoring.storage import load_quotas, load_units
from xeploai.scoring.xlsx_export import UNIT_COLUMNS, sheet_name, text_lines

from .conftest import SAMPLE


def export_xlsx(engine, tmp_path: Path, run_id: int, name: str = "k.xlsx") -> Path:
    out = tmp_path / name
    api.export_run(engine, "xlsx", out, run_id)
    return out


def rows_by_id(ws) -> dict[str, dict[str, object]]:
    header = [c.value for c in ws[2]]  # row 1 is the sheet's title
    out = {}
    for row in ws.iter_rows(min_row=3, values_only=True):
        rec = dict(zip(header, row, strict=True))
        out[str(rec["Mã cán bộ"])] = rec
    return out


def test_workbook_sheets_headers_and_frozen_rows(engine, sample_run, tmp_path):
    wb = openpyxl.load_workbook(export_xlsx(engine, tmp_path, sample_run))
    assert wb.sheetnames == ["Tổng hợp", "STP", "UBND_TP", "XA_PHUOCSON", "Nguồn gốc"]
    ws = wb["UBND_TP"]
    assert [c.value for c in ws[2]] == [name for name, _ in UNIT_COLUMNS]
    assert ws.freeze_panes == "A3"
    assert ws.column_dimensions["H"].width > 50  # the reasons column is wide enough to read
    assert wb["Tổng hợp"].freeze_panes == "A4"
    # pandas reads a unit sheet as a plain table below its title row
    stp = pd.read_excel(tmp_path / "k.xlsx", sheet_name="STP", header=1,
                        dtype={"Mã cán bộ": str})
    assert len(stp) == 20 and stp["Mã cán bộ"].is_unique


def test_unit_sheet_cells_for_the_repeat_offender(engine, sample_run, tmp_path):
    wb = openpyxl.load_workbook(export_xlsx(engine, tmp_path, sample_run))
    rec = rows_by_id(wb["UBND_TP"])["BD0029"]
    assert rec["Họ và tên"] == "Trần Văn Hùng"
    assert rec["Nhóm chức danh"] == "Bộ phận một cửa"  # a label, not the code mot_cua
    assert rec["Điểm"] == 90
    assert rec["Mức xếp loại"] == "Hoàn thành nhiệm vụ"
    assert rec["Mức tạm tính theo điểm"] == "Hoàn thành xuất sắc nhiệm vụ"
    assert rec["Mức hệ thống đề xuất"] == "Hoàn thành nhiệm vụ"
    assert rec["Danh hiệu"] in ("", None)
    reasons = str(rec["Lý do"])
    assert reasons.startswith("1. ")
    assert "125/TB-UBND" in reasons and "tối đa HTNV" in reasons
    assert "late_dossiers" not in reasons and "core." not in reasons  # sentences, not rule ids
    assert rec["Điều chỉnh của Hội đồng"] in ("", None)


def test_titles_in_vietnamese(engine, sample_run, tmp_path):
    wb = openpyxl.load_workbook(export_xlsx(engine, tmp_path, sample_run))
    rec = rows_by_id(wb["STP"])["BD0005"]
    assert rec["Danh hiệu"] == "Lao động tiên tiến; Chiến sĩ thi đua cơ sở"
    assert rec["Điểm"] == 96


def test_summary_counts_and_quota_use(engine, sample_run, tmp_path):
    ws = openpyxl.load_workbook(export_xlsx(engine, tmp_path, sample_run))["Tổng hợp"]
    header = [c.value for c in ws[3]]
    rows = {r[0]: dict(zip(header, r, strict=True))
            for r in ws.iter_rows(min_row=4, max_row=7, values_only=True)}
    stp = rows["STP"]
    assert stp["Tên đơn vị"] == "Sở Tư pháp tỉnh Bình Định"
    assert (stp["Số người"], stp["Hoàn thành xuất sắc nhiệm vụ"],
            stp["Hoàn thành tốt nhiệm vụ"], stp["Hoàn thành nhiệm vụ"],
            stp["Không hoàn thành nhiệm vụ"], stp["Không xếp loại"]) == (20, 2, 16, 1, 0, 1)
    assert (stp["Lao động tiên tiến"], stp["Chiến sĩ thi đua cơ sở"]) == (18, 2)
    assert (stp["HTXSNV đã xếp"], stp["HTXSNV được phép"]) == (2, 2)
    assert (stp["CSTĐCS đã xét"], stp["CSTĐCS được phép"]) == (2, 2)
    assert rows["Tổng cộng"]["Số người"] == 44
    assert rows["XA_PHUOCSON"]["Không hoàn thành nhiệm vụ"] == 2
    book = openpyxl.load_workbook(tmp_path / "k.xlsx")
    labels = {r[0]: r[1] for r in book["Nguồn gốc"].iter_rows(values_only=True) if r[0]}
    assert labels["Lần chạy số"] == sample_run
    assert labels["Năm đánh giá"] == 2023
    assert len(labels["Mã băm tệp chính sách (SHA-256)"]) == 64
    # the hashes are on the provenance sheet, not on the page a council signs
    assert not any("SHA-256" in str(v) for r in ws.iter_rows(values_only=True) for v in r)


def test_stored_quotas_match_the_final_counts_without_overrides(engine, sample_run):
    """The share recomputed from final levels (used for flagging overrides) agrees with
    what the engine applied, group by group."""
    final = council_view(engine, sample_run).results
    groups, units = quota_status(final, load_quotas(engine, sample_run),
                                 load_units(engine, sample_run))
    assert (groups["allowed_final"] == groups["allowed"]).all()
    assert (groups["used"] == groups["kept"]).all()
    assert (units["cstdcs_allowed"] == units["cstdcs_cap"]).all()
    assert (units["cstdcs_used"] == units["cstdcs_kept"]).all()
    assert not groups["over"].any()
    # the numbers are real: the STP specialist group keeps 2 of 4 HTXSNV candidates
    stp = groups.set_index(["unit_id", "peer_group"]).loc[("STP", "chuyen_vien")]
    assert (stp["candidates"], stp["allowed"], stp["kept"]) == (4, 2, 2)


INJECTIONS = ['=HYPERLINK("http://x.invalid","bấm")', "+84 123", "-1+1", "@SUM(A1:A2)"]


def test_formula_like_names_are_neutralised(builder, data_dir, engine, tmp_path):
    for i, name in enumerate(INJECTIONS):
        builder.official(f"X{i}", full_name=name, task_score=80)
    builder.unit("U2", name="=1+1")
    builder.official("Y0", unit_id="U2")
    # a run needs something dated in its year (SPEC §3): one dossier returned on time
    builder.dossier("Y0", due="2023-05-02", returned="2023-05-02")
    run_id = api.run(builder.write(data_dir), 2023, db=engine).run_id
    csv_path = tmp_path / "k.csv"
    api.export_run(engine, "csv", csv_path, run_id)
    df = pd.read_csv(csv_path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    names = dict(zip(df["official_id"], df["full_name"], strict=True))
    for i, name in enumerate(INJECTIONS):
        assert names[f"X{i}"] == "'" + name
    assert names["Y0"] == "Cán bộ Y0"  # ordinary text is left alone

    wb = openpyxl.load_workbook(export_xlsx(engine, tmp_path, run_id))
    cells = {c.value: c for row in wb["U1"].iter_rows(min_row=2) for c in row}
    for name in INJECTIONS:
        cell = cells[name]  # shown exactly as typed…
        assert cell.data_type == "s" and cell.quotePrefix  # …stored as text, stays text
    title = wb["U2"]["A1"]  # the unit's name is in the sheet's title row
    assert "=1+1" in title.value and title.data_type == "s"
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row)


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _all_values(path: Path) -> dict[tuple[str, str], object]:
    wb = openpyxl.load_workbook(path)
    return {(ws.title, c.coordinate): c.value for ws in wb.worksheets
            for row in ws.iter_rows() for c in row}


def test_same_run_exports_identical_bytes(engine, sample_run, tmp_path):
    a = export_xlsx(engine, tmp_path, sample_run, "a.xlsx")
    b = export_xlsx(engine, tmp_path, sample_run, "b.xlsx")
    assert a.read_bytes() == b.read_bytes()


def test_two_runs_of_the_same_input_differ_only_in_run_id_and_time(engine, tmp_path):
    first = api.run(SAMPLE, 2023, db=engine).run_id
    second = api.run(SAMPLE, 2023, db=engine, again=True).run_id
    a = export_xlsx(engine, tmp_path, first, "a.xlsx")
    b = export_xlsx(engine, tmp_path, second, "b.xlsx")
    ma, mb = _members(a), _members(b)
    assert ma.keys() == mb.keys()
    # the unit sheets, styles and workbook structure are byte-identical
    differing = {n for n in ma if ma[n] != mb[n]}
    assert differing <= {"docProps/core.xml", "xl/worksheets/sheet1.xml",
                         f"xl/worksheets/sheet{len(openpyxl.load_workbook(a).worksheets)}.xml",
                         "xl/sharedStrings.xml",
                         # the provenance sheet's print area takes its "repeats run 1" row
                         "xl/workbook.xml"}
    va, vb = _all_values(a), _all_values(b)
    changed = {k for k in va if va[k] != vb.get(k)}
    assert changed  # run ids 1 and 2 are shown
    labels = {va[(k[0], f"A{k[1][1:]}")] for k in changed}
    # the run's number and time: provenance rows, its title, the summary's subtitle
    assert labels <= {"Lần chạy số", "Thời điểm chạy", va[("Nguồn gốc", "A1")],
                      va[("Tổng hợp", "A2")]}
    for fmt in ("csv", "json"):
        pa, pb = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
        api.export_run(engine, fmt, pa, first)
        api.export_run(engine, fmt, pb, second)
        assert pa.read_bytes() == pb.read_bytes()


def test_sheet_names_are_valid_and_unique():
    taken: set[str] = set()
    names = [sheet_name(t, taken) for t in ("Tổng hợp", "A/B:C", "x" * 40, "x" * 40, "TỔNG HỢP")]
    assert names[1] == "A_B_C"
    assert all(len(n) <= 31 for n in names)
    assert len({n.lower() for n in names}) == len(names)


def test_row_height_estimate_counts_wrapped_lines():
    assert text_lines("ngắn", 20) == 1
    assert text_lines("a" * 60, 20) == 3  # 25 characters a line at width 20
    assert text_lines("một\nhai\nba", 70) == 3


@given(st.text(max_size=30))
def test_neutralise_never_leaves_a_formula_start_and_loses_nothing(text):
    from xeploai.scoring.export import FORMULA_STARTS, neutralise

    safe = neutralise(text)
    assert not safe.startswith(FORMULA_STARTS)
    assert safe == text or safe == "'" + text


def test_every_sheet_prints_on_a4_with_title_row_and_page_numbers(engine, sample_run,
                                                                  tmp_path):
    record_override(engine, "BD0029", level="HTTNV", reason="Khiếu nại", by="HĐ",
                    basis="QĐ 15/QĐ-UBND")
    wb = openpyxl.load_workbook(export_xlsx(engine, tmp_path, sample_run))
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert (int(setup.paperSize), setup.orientation) == (9, "landscape"), ws.title
        # fit to one page wide (fitToWidth absent = 1, the OOXML default)
        assert ws.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth in (None, 1)
        assert setup.fitToHeight == 0  # as many pages tall as needed
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        assert "2023" in str(ws["A1"].value)  # the title row names the year…
    for unit_id, name in (("STP", "SỞ TƯ PHÁP TỈNH BÌNH ĐỊNH"),
                          ("UBND_TP", "UBND HUYỆN TUY PHƯỚC")):
        ws = wb[unit_id]
        assert name in ws["A1"].value  # …and the unit
        assert ws.print_title_rows == "$1:$2"  # title and header on every page
        last = ws.max_row
        assert ws.print_area == f"'{unit_id}'!$A$1:$J${last}"  # engine's columns: on screen
    rec = rows_by_id(wb["UBND_TP"])["BD0029"]
    assert "Văn bản cho phép: QĐ 15/QĐ-UBND" in rec["Điều chỉnh của Hội đồng"]
    assert "chưa ghi biên bản họp" in rec["Điều chỉnh của Hội đồng"]
    assert "trái quy định" in rec["Cảnh báo"]
    # the repeat offence's cap rests on repeat_threshold = 3, a project assumption
    assert any("tối đa HTNV [giả định]" in line for line in rec["Lý do"].split("\n"))
    assert rows_by_id(wb["STP"])["BD0005"]["Danh hiệu"] == \
        "Lao động tiên tiến; Chiến sĩ thi đua cơ sở"  # labels, not CSTDCS;LDTT
