"""Vietnamese column headers HR staff see in their one-stop and HR software.

The one place where a header is mapped to the canonical column of SPEC §3. Matching
ignores case, surrounding spaces and repeated spaces. Add an alias here (and a test row
in tests/test_loader.py) when a province's software exports another label.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pandas as pd

# canonical column -> accepted Vietnamese labels
ALIASES: dict[str, tuple[str, ...]] = {
    # units
    "unit_id": ("Mã đơn vị", "Mã cơ quan"),
    "name": ("Tên đơn vị", "Tên cơ quan"),
    "parent_id": ("Mã đơn vị cấp trên", "Đơn vị cấp trên"),
    "tier": ("Cấp", "Cấp hành chính"),
    # officials
    "official_id": ("Mã cán bộ", "Mã CBCCVC", "Mã công chức"),
    "full_name": ("Họ và tên", "Họ tên"),
    "staff_type": ("Loại cán bộ", "Đối tượng"),
    "peer_group": ("Nhóm chức danh", "Nhóm vị trí"),
    "is_leader": ("Lãnh đạo", "Là lãnh đạo"),
    "months_worked": ("Số tháng công tác", "Số tháng làm việc"),
    "maternity_leave": ("Nghỉ thai sản",),
    "task_score": ("Điểm nhiệm vụ", "Điểm đánh giá"),
    "months_absent": ("Số tháng nghỉ", "Số tháng nghỉ phép"),
    "recruited_on": ("Ngày tuyển dụng",),
    # dossiers
    "dossier_id": ("Mã hồ sơ", "Số hồ sơ"),
    "procedure_code": ("Mã thủ tục", "Mã TTHC"),
    "handler_id": ("Cán bộ xử lý", "Mã cán bộ xử lý"),
    "received_at": ("Ngày tiếp nhận", "Ngày nhận"),
    "due_at": ("Ngày hẹn trả",),
    "returned_at": ("Ngày trả kết quả", "Ngày trả"),
    "late_cause": ("Nguyên nhân trễ hạn", "Nguyên nhân"),
    "apology_issued": ("Phiếu xin lỗi", "Đã xin lỗi"),
    # reminders
    "reminder_id": ("Mã nhắc nhở",),
    "issued_on": ("Ngày ban hành",),
    "kind": ("Hình thức nhắc nhở", "Loại"),
    "subject": ("Nội dung", "Lý do nhắc nhở"),
    "document_no": ("Số văn bản", "Số hiệu văn bản"),
    # discipline
    "decision_id": ("Mã quyết định",),
    "form": ("Hình thức kỷ luật",),
    "authority": ("Cơ quan kỷ luật", "Thẩm quyền"),
    "decided_on": ("Ngày có hiệu lực",),
    "violation_on": ("Ngày vi phạm",),
    "violation_id": ("Mã hành vi vi phạm",),
    "counted_in_year": ("Đã tính vào năm",),
    # innovations
    "award_id": ("Mã sáng kiến", "Mã công nhận"),
    "title": ("Tên sáng kiến", "Tên đề tài", "Danh hiệu"),
    "level": ("Cấp công nhận",),
    "recognized_on": ("Ngày công nhận",),
    "cchc": ("Phục vụ CCHC", "Cải cách hành chính"),
    # titles_history
    "year": ("Năm",),
    # dossiers, work_items (SPEC §10)
    "exemption_confirmed_by": ("Người xác nhận miễn trừ", "Văn bản xác nhận miễn trừ",
                               "Xác nhận khách quan"),
    # periods
    "period": ("Kỳ đánh giá", "Kỳ"),
    "general_score": ("Điểm tiêu chí chung", "Điểm chung"),
    "leader_dd": ("Điểm đ lãnh đạo", "Tiêu chí đ"),
    "leader_e": ("Điểm e lãnh đạo", "Tiêu chí e"),
    # work_items
    "item_id": ("Mã sản phẩm giao", "Mã công việc"),
    "product_code": ("Mã sản phẩm", "Mã danh mục sản phẩm"),
    "coefficient": ("Hệ số quy đổi", "Hệ số"),
    "assigned_qty": ("Số lượng giao", "Khối lượng giao"),
    "done_qty": ("Số lượng hoàn thành", "Khối lượng hoàn thành"),
    "major_errors": ("Số lỗi lớn", "Lỗi lớn"),
    "delays": ("Số lần chậm tiến độ", "Chậm tiến độ"),
    "cause": ("Nguyên nhân chậm, lỗi",),
}


def normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFC", str(text)).strip().lower()
    return re.sub(r"\s+", " ", text)


HEADER_SCAN = 10  # title rows an HR export may put above the header (merged in xlsx)


def header_score(cells: list[Any], known: set[str]) -> int:
    """How many of a table's columns (``known``) a row of cells names: the header is the
    top row naming the most."""
    labels = [str(c) for c in cells if isinstance(c, str) and c.strip()]
    return len({v for v in canonical_columns(labels, known).values() if v in known})


def pick_header(rows: list[list[Any]], known: set[str]) -> int:
    """The first of the top rows naming the most known columns (0 when none does)."""
    best, best_score = 0, 0
    for i, cells in enumerate(rows[:HEADER_SCAN]):
        score = header_score(cells, known)
        if score > best_score:
            best, best_score = i, score
    return best


def canonical_columns(headers: list[str], known: set[str]) -> dict[str, str]:
    """Map each header to its canonical name (unknown headers map to themselves, stripped)."""
    lookup = {normalise_header(c): c for c in known}
    for canonical, labels in ALIASES.items():
        if canonical in known:
            for label in labels:
                lookup.setdefault(normalise_header(label), canonical)
    return {h: lookup.get(normalise_header(h), str(h).strip()) for h in headers}


# code -> the Vietnamese labels HR software shows for it (SPEC §3 "HR's own words"). A code
# column accepts its codes as written and these labels compared like headers (case,
# surrounding and repeated spaces ignored, after NFC; diacritics count).
VALUE_ALIASES: dict[str, tuple[str, ...]] = {
    # officials.staff_type
    "can_bo": ("Cán bộ",),
    "cong_chuc": ("Công chức",),
    "vien_chuc": ("Viên chức",),
    # dossiers.late_cause
    "chu_quan": ("Chủ quan", "Lỗi chủ quan"),
    "phan_mem": ("Lỗi phần mềm", "Phần mềm"),
    "khach_quan": ("Khách quan", "Lý do khách quan"),
    # reminders.kind, reminders.subject
    "nhac_nho": ("Nhắc nhở",),
    "chan_chinh": ("Chấn chỉnh",),
    "tre_han": ("Trễ hạn", "Trễ hạn hồ sơ"),
    # discipline.form, discipline.authority
    "khien_trach": ("Khiển trách",),
    "canh_cao": ("Cảnh cáo",),
    "ha_bac_luong": ("Hạ bậc lương",),
    "giang_chuc": ("Giáng chức",),
    "cach_chuc": ("Cách chức",),
    "buoc_thoi_viec": ("Buộc thôi việc",),
    "dang": ("Đảng", "Kỷ luật Đảng"),
    "chinh_quyen": ("Chính quyền", "Kỷ luật chính quyền"),
    # innovations.kind, innovations.level, units.tier
    "sang_kien": ("Sáng kiến",),
    "de_tai": ("Đề tài", "Đề tài khoa học"),
    "co_so": ("Cơ sở", "Cấp cơ sở"),
    "tinh": ("Tỉnh", "Cấp tỉnh"),
    "toan_quoc": ("Toàn quốc", "Cấp toàn quốc"),
    "huyen": ("Huyện", "Cấp huyện"),
    "xa": ("Xã", "Cấp xã"),
    # titles_history.title
    "LDTT": ("Lao động tiên tiến",),
    "CSTDCS": ("Chiến sĩ thi đua cơ sở",),
}

# Columns whose row model allows any text but which hold codes HR software labels: the
# value aliases apply to them too, (table, column) -> the codes they may be written as.
OPEN_CODE_COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {
    ("titles_history", "title"): ("LDTT", "CSTDCS"),
    ("reminders", "subject"): ("tre_han",),
}


def value_codes(table: str, column: str, codes: tuple[str, ...]) -> tuple[str, ...]:
    """The codes a column's Vietnamese labels may stand for: its closed list (``codes``,
    from its row model) or, for a free-text column holding codes, the ones listed in
    :data:`OPEN_CODE_COLUMNS`; empty when the column takes no value alias."""
    return codes or OPEN_CODE_COLUMNS.get((table, column), ())


def canonical_values(values: pd.Series, codes: tuple[str, ...]) -> pd.Series:
    """``values`` with every Vietnamese label of one of ``codes`` replaced by its code.

    The one statement of the value aliases: every reading path calls it on a code column
    (stripped text, blanks as ""), before checking the codes. Values already codes, blanks
    and values that are no label stay as they are (an unknown value is then reported as
    written). Looked up once per distinct value, so a column of millions costs little."""
    if not codes or values.empty:
        return values
    labels = {normalise_header(label): code for code in codes
              for label in VALUE_ALIASES.get(code, ())}
    other = values[~values.isin(codes) & (values != "")]
    if other.empty:
        return values
    found = {v: labels[key] for v in other.unique()
             if (key := normalise_header(v)) in labels}
    if not found:
        return values
    replaced = other.map(found)
    replaced = replaced[replaced.notna()]
    out = values.copy()
    out.loc[replaced.index] = replaced
    return out



def expected_codes(codes: tuple[str, ...]) -> str:
    """What a message says a code column expects: the codes, each with its first label."""
    return "một trong: " + ", ".join(
        f"{code} ({VALUE_ALIASES[code][0]})" if code in VALUE_ALIASES else code
        for code in codes)
