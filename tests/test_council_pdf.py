"""The council's pdf (SPEC §8) read back with a real PDF reader (pypdf): the text with its
diacritics, A4 pages, the motto and signature blocks of each document, embedded fonts."""

from __future__ import annotations

import datetime as dt

import pytest
from pypdf import PdfReader
from xeploai.scoring import api
from xeploai.scoring.overrides import Meeting, record_override
from xeploai.scoring.pdf_export import DocumentError, DocumentSettings, load_settings

A4 = sorted((595.28, 841.89))
MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"


@pytest.fixture
def council_pdf(engine, sample_run, tmp_path):
    record_override(engine, "BD0029", level="HTTNV", reason="Khiếu nại được chấp nhận",
                    by="Chủ tịch HĐ", basis="QĐ 15/QĐ-UBND ngày 08/01/2024",
                    meeting=Meeting("12/BB-HĐTĐKT", dt.date(2024, 1, 10), 7, 1, 0))
    out = tmp_path / "hoi_dong.pdf"
    settings = DocumentSettings(agency="Sở Nội vụ", parent_agency="UBND tỉnh Bình Định",
                                place="Bình Định", date=dt.date(2024, 1, 15),
                                number_titles="05/DS-HĐTĐKT", chair="Nguyễn Văn Chủ")
    api.export_run(engine, "pdf", out, settings=settings)
    return PdfReader(out)


def test_pdf_pages_text_and_blocks(council_pdf):
    pages = council_pdf.pages
    texts = [p.extract_text() for p in pages]
    for page in pages:
        assert sorted((round(float(page.mediabox.width), 2),
                       round(float(page.mediabox.height), 2))) == A4
    # three unit lists (landscape), the proposal list (portrait), the summary (landscape)
    starts = [i for i, t in enumerate(texts) if MOTTO in t]
    assert len(starts) == 5
    assert float(pages[starts[3]].mediabox.width) < float(pages[starts[3]].mediabox.height)
    assert float(pages[starts[0]].mediabox.width) > float(pages[starts[0]].mediabox.height)
    whole = " ".join("\n".join(texts).split())  # table cells wrap: compare flat text
    assert whole.count("Độc lập - Tự do - Hạnh phúc") == 5
    assert "Bình Định, ngày 15 tháng 01 năm 2024" in whole
    assert "Số: 05/DS-HĐTĐKT" in whole
    assert whole.count("NGƯỜI LẬP BIỂU") == 5
    assert whole.count("THỦ TRƯỞNG ĐƠN VỊ") == 3 and whole.count("CHỦ TỊCH HỘI ĐỒNG") == 2
    assert "Nguyễn Văn Chủ" in whole
    assert "Trần Văn Hùng" in whole and "Hoàn thành tốt nhiệm vụ" in whole
    assert "ĐỀ NGHỊ CÔNG NHẬN DANH HIỆU LAO ĐỘNG TIÊN TIẾN" in whole.upper()
    # the summary ends with a total row over the three units (44 officials in the sample)
    summary = " ".join("\n".join(texts[starts[4]:]).split())
    assert "Tổng cộng 44" in summary
    # labels, not codes
    assert "Lãnh đạo, quản lý" in whole and "Bộ phận một cửa" in whole
    # the decision is marked with its meeting and the rule it lifted; assumptions are shown
    assert "Văn bản cho phép: QĐ 15" in whole and "biên bản số 12/BB" in whole
    assert "[giả định]" in whole and "repeat_threshold" in whole
    # page numbers: in the top margin from a document's second page on
    lines = [{line.strip() for line in t.splitlines()} for t in texts]
    # counted from each document's first page (which shows none)
    assert "2" in lines[starts[0] + 1] and "1" not in lines[starts[0]]
    assert "2" in lines[starts[1] + 1] and str(starts[1] + 2) not in lines[starts[1] + 1]


def test_pdf_embeds_a_font_with_vietnamese_glyphs(council_pdf):
    fonts = set()
    for page in council_pdf.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor  # embedded
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
    assert "Liberation-Serif" in fonts and "Liberation-Serif-Bold" in fonts


def test_settings_file_and_its_problems(tmp_path):
    good = tmp_path / "van_ban.toml"
    good.write_text('[document]\nagency = "Sở Nội vụ"\ndate = 2024-01-15\n'
                    '[peer_groups]\nke_toan = "Kế toán"\n', encoding="utf-8")
    settings = load_settings(good)
    assert settings.place_date.endswith("ngày 15 tháng 01 năm 2024")
    assert settings.peer_groups == {"ke_toan": "Kế toán"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[document]\nagnecy = "x"\ndate = "15/01/2024"\n', encoding="utf-8")
    with pytest.raises(DocumentError) as caught:
        load_settings(bad)
    assert "agnecy" in str(caught.value) and "[document].date" in str(caught.value)


def test_cli_pdf_export(cli, tmp_path):
    cli("run", "--data", str(__import__("tests.conftest", fromlist=["SAMPLE"]).SAMPLE),
        "--year", "2023")
    out = tmp_path / "k.pdf"
    cli("export", "--format", "pdf", "--out", str(out), "--agency", "Sở Nội vụ",
        "--place", "Quy Nhơn", "--doc-date", "05/02/2024")
    whole = "\n".join(p.extract_text() for p in PdfReader(out).pages)
    assert "Quy Nhơn, ngày 05 tháng 02 năm 2024" in whole
    cli("export", "--format", "pdf", "--out", "-", expect=2)


def test_the_pdf_and_the_xlsx_word_a_decision_the_same(engine, sample_run, tmp_path):
    """One wording of a council decision (labels.decision_text) in every document."""
    from openpyxl import load_workbook
    from xeploai.scoring.labels import decision_text
    from xeploai.scoring.overrides import council_view

    record_override(engine, "BD0029", level="HTTNV", titles=["LDTT"],
                    reason="Khiếu nại được chấp nhận", by="Chủ tịch HĐ",
                    basis="QĐ 15/QĐ-UBND ngày 08/01/2024",
                    meeting=Meeting("12/BB-HĐTĐKT", dt.date(2024, 1, 10), 7, 1, 0))
    rows = council_view(engine, sample_run).results.set_index("official_id")
    expected = decision_text(rows.loc["BD0029"].to_dict())
    assert expected.startswith("Mức Hoàn thành nhiệm vụ → Hoàn thành tốt nhiệm vụ; danh hiệu "
                               "không → Lao động tiên tiến. Lý do: Khiếu nại được chấp nhận.")
    api.export_run(engine, "pdf", tmp_path / "a.pdf")
    api.export_run(engine, "xlsx", tmp_path / "a.xlsx")
    # a table cell wraps where it must (even after "12/"): compare without white space
    pdf = "".join("".join(p.extract_text() for p in PdfReader(tmp_path / "a.pdf").pages)
                  .split())
    assert "".join(expected.split()) in pdf
    cells = {c.value for ws in load_workbook(tmp_path / "a.xlsx").worksheets
             for row in ws.iter_rows() for c in row}
    assert expected in cells


def test_every_peer_group_of_the_bundled_samples_has_a_label():
    """The council's documents print words, not codes: "can bo" without its diacritics
    was printed for the Gia Lai 2026 sample's groups."""
    from pathlib import Path

    import pandas as pd
    from xeploai.scoring.labels import PEER_GROUP_LABELS_VI

    examples = Path(__file__).resolve().parent.parent / "examples"
    groups = set()
    for officials in examples.glob("*/officials.csv"):
        groups |= set(pd.read_csv(officials, dtype=str)["peer_group"].dropna())
    assert groups and groups <= set(PEER_GROUP_LABELS_VI), groups - set(PEER_GROUP_LABELS_VI)
