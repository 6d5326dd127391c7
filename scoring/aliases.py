"""Vietnamese column headers HR staff see in their one-stop and HR software.

The one place where a header is mapped to the canonical column of SPEC §3. Matching
ignores case, surrounding spaces and repeated spaces. Add an alias here (and a test row
in tests/test_loader.py) when a province's software exports another label.
"""

from __future__ import annotations

import re
import unicodedata

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


def canonical_columns(headers: list[str], known: set[str]) -> dict[str, str]:
    """Map each header to its canonical name (unknown headers map to themselves, stripped)."""
    lookup = {normalise_header(c): c for c in known}
    for canonical, labels in ALIASES.items():
        if canonical in known:
            for label in labels:
                lookup.setdefault(normalise_header(label), canonical)
    return {h: lookup.get(normalise_header(h), str(h).strip()) for h in headers}
