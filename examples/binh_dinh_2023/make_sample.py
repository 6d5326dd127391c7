#!/usr/bin/env python3
"""Build the bundled Bình Định 2023 sample dataset (xeploai, SPEC §3–§5).

    python make_sample.py            # (re)write the CSV files, then check them
    python make_sample.py --check    # only check the CSV files already on disk

Everything is deterministic: the hand-crafted scenario records are listed
literally below, and the background of ordinary on-time dossiers comes from a
seeded random generator (``random.Random(2023)``), so re-running the script
gives byte-identical files.

The check (pandas) verifies counts, referential integrity, unique ids, date
order and value ranges, then recomputes every official's expected result with
a small independent reading of SPEC §5 and compares it with the hand-written
table ``EXPECTED`` below (the same table is printed in README.md).
"""
from __future__ import annotations

import csv
import datetime as dt
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
YEAR = 2023

# ---------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------
UNITS = [
    # unit_id, name, parent_id, tier
    ("STP", "Sở Tư pháp tỉnh Bình Định", "", "tinh"),
    ("UBND_TP", "UBND huyện Tuy Phước", "", "huyen"),
    ("XA_PHUOCSON", "UBND xã Phước Sơn", "UBND_TP", "xa"),
]

# ---------------------------------------------------------------------------
# Officials
# (id, full_name, unit, staff_type, peer_group, is_leader, months_worked,
#  maternity_leave, task_score, months_absent, recruited_on)
# ---------------------------------------------------------------------------
T, F = True, False
OFFICIALS = [
    # --- Sở Tư pháp -------------------------------------------------------
    ("BD0001", "Nguyễn Văn An", "STP", "cong_chuc", "lanh_dao", T, 12, F, 93, 0, ""),
    ("BD0002", "Trần Thị Bích Ngọc", "STP", "cong_chuc", "lanh_dao", T, 12, F, 88, 0, ""),
    ("BD0003", "Lê Minh Tuấn", "STP", "cong_chuc", "lanh_dao", T, 12, F, 86, 0, ""),
    ("BD0004", "Phạm Quốc Huy", "STP", "cong_chuc", "lanh_dao", T, 12, F, 84, 0, ""),
    ("BD0005", "Hoàng Thị Thu Hà", "STP", "cong_chuc", "chuyen_vien", F, 12, F, 96, 0, ""),
    ("BD0006", "Võ Thanh Tùng", "STP", "cong_chuc", "chuyen_vien", F, 12, F, 94, 0, ""),
    ("BD0007", "Đặng Thị Mai Anh", "STP", "cong_chuc", "chuyen_vien", F, 12, F, 89, 0, ""),
    ("BD0008", "Bùi Văn Hải", "STP", "cong_chuc", "chuyen_vien", F, 12, F, 90, 0, ""),
    ("BD0009", "Ngô Thị Lan", "STP", "cong_chuc", "chuyen_vien", F, 12, F, 80, 0, ""),
    ("BD0010", "Đỗ Minh Khoa", "STP", "vien_chuc", "chuyen_vien", F, 12, F, 82, 0, ""),
    ("BD0011", "Huỳnh Thị Kim Oanh", "STP", "cong_chuc", "chuyen_vien", F, 12, F, 85, 0, ""),
    ("BD0012", "Phan Văn Lộc", "STP", "cong_chuc", "chuyen_vien", F, 12, F, 78, 0, ""),
    ("BD0013", "Trương Thị Hồng Nhung", "STP", "vien_chuc", "chuyen_vien", F, 12, F, 74, 0, ""),
    ("BD0014", "Lý Quang Vinh", "STP", "vien_chuc", "chuyen_vien", F, 12, F, 71, 0, "2021-09-01"),
    ("BD0015", "Dương Thị Thanh Tâm", "STP", "cong_chuc", "chuyen_vien", F, 5, F, 85, 0, ""),
    ("BD0016", "Mai Xuân Trường", "STP", "cong_chuc", "chuyen_vien", F, 8, F, 88, 4, ""),
    ("BD0017", "Nguyễn Thị Thùy Dung", "STP", "cong_chuc", "mot_cua", F, 12, F, 80, 0, ""),
    ("BD0018", "Cao Văn Phúc", "STP", "cong_chuc", "mot_cua", F, 12, F, 87, 0, ""),
    ("BD0019", "Tạ Thị Ngọc Hân", "STP", "cong_chuc", "mot_cua", F, 12, F, 83, 0, ""),
    ("BD0020", "Lâm Văn Thịnh", "STP", "cong_chuc", "mot_cua", F, 12, F, 86, 0, ""),
    # --- UBND huyện Tuy Phước --------------------------------------------
    ("BD0021", "Đinh Văn Thắng", "UBND_TP", "can_bo", "lanh_dao", T, 12, F, 88, 0, ""),
    ("BD0022", "Võ Thị Minh Châu", "UBND_TP", "can_bo", "lanh_dao", T, 12, F, 85, 0, ""),
    ("BD0023", "Nguyễn Hữu Phước", "UBND_TP", "cong_chuc", "lanh_dao", T, 12, F, 82, 0, ""),
    ("BD0024", "Trần Quang Minh", "UBND_TP", "cong_chuc", "chuyen_vien", F, 12, F, 91, 0, ""),
    ("BD0025", "Lê Thị Thu Trang", "UBND_TP", "cong_chuc", "chuyen_vien", F, 12, F, 91, 0, ""),
    ("BD0026", "Phạm Văn Đức", "UBND_TP", "cong_chuc", "chuyen_vien", F, 9, F, 84, 0, "2023-04-01"),
    ("BD0027", "Huỳnh Ngọc Sơn", "UBND_TP", "cong_chuc", "chuyen_vien", F, 12, F, 82, 0, ""),
    ("BD0028", "Nguyễn Thị Diệu Linh", "UBND_TP", "cong_chuc", "chuyen_vien", F, 11, F, 79, 1, ""),
    ("BD0029", "Trần Văn Hùng", "UBND_TP", "cong_chuc", "mot_cua", F, 12, F, 95, 0, ""),
    ("BD0030", "Lê Thị Kim Yến", "UBND_TP", "cong_chuc", "mot_cua", F, 12, F, 88, 0, ""),
    ("BD0031", "Phạm Ngọc Bảo", "UBND_TP", "cong_chuc", "mot_cua", F, 12, F, 89, 0, ""),
    ("BD0032", "Đoàn Thị Thanh Thủy", "UBND_TP", "cong_chuc", "mot_cua", F, 12, F, 84, 0, ""),
    ("BD0033", "Hồ Văn Nam", "UBND_TP", "cong_chuc", "mot_cua", F, 12, F, 68, 0, ""),
    # --- UBND xã Phước Sơn -----------------------------------------------
    ("BD0034", "Nguyễn Văn Bình", "XA_PHUOCSON", "can_bo", "lanh_dao", T, 12, F, 87, 0, ""),
    ("BD0035", "Trần Văn Lợi", "XA_PHUOCSON", "can_bo", "lanh_dao", T, 12, F, 83, 0, ""),
    ("BD0036", "Võ Thị Hoa", "XA_PHUOCSON", "can_bo", "lanh_dao", T, 11.5, F, 80, 0.5, ""),
    ("BD0037", "Lê Thị Thanh Hương", "XA_PHUOCSON", "cong_chuc", "mot_cua", F, 12, F, 90, 0, ""),
    ("BD0038", "Nguyễn Đình Quang", "XA_PHUOCSON", "cong_chuc", "mot_cua", F, 12, F, 88, 0, ""),
    ("BD0039", "Phan Thị Mỹ Duyên", "XA_PHUOCSON", "cong_chuc", "mot_cua", F, 12, F, 88, 0, ""),
    ("BD0040", "Trần Thị Ngọc Ánh", "XA_PHUOCSON", "cong_chuc", "chuyen_vien", F, 4, T, 86, 0, ""),
    ("BD0041", "Huỳnh Văn Tài", "XA_PHUOCSON", "cong_chuc", "chuyen_vien", F, 12, F, 88, 0, ""),
    ("BD0042", "Đỗ Văn Sang", "XA_PHUOCSON", "cong_chuc", "chuyen_vien", F, 12, F, 80, 0, ""),
    ("BD0043", "Ngô Thị Phương Thảo", "XA_PHUOCSON", "cong_chuc", "chuyen_vien", F, 12, F, 81, 0, ""),
    ("BD0044", "Võ Văn Hiếu", "XA_PHUOCSON", "cong_chuc", "chuyen_vien", F, 12, F, 45, 0, ""),
]

# ---------------------------------------------------------------------------
# Reminders (nhắc nhở, chấn chỉnh)
# ---------------------------------------------------------------------------
REMINDERS = [
    # reminder_id, official_id, issued_on, kind, subject, document_no
    ("NN-001", "BD0029", "2022-08-15", "nhac_nho", "tre_han", "125/TB-UBND"),   # sc 1: Y-1, tre_han
    ("NN-002", "BD0030", "2022-10-24", "chan_chinh", "tre_han", "214/TB-UBND"),  # sc 1b: Y-1, other kind
    ("NN-003", "BD0031", "2022-11-08", "nhac_nho", "tre_han", "238/TB-UBND"),   # sc 2: only 2 late
    ("NN-004", "BD0037", "2021-12-28", "nhac_nho", "tre_han", "45/TB-UBND"),    # sc 3a: Y-2
    ("NN-005", "BD0038", "2023-01-06", "chan_chinh", "tre_han", "03/TB-UBND"),  # sc 3b: Y
    ("NN-006", "BD0039", "2022-06-20", "nhac_nho", "thai_do", "27/TB-UBND"),    # sc 4: other subject
    ("NN-007", "BD0018", "2022-09-12", "chan_chinh", "tre_han", "56/TB-STP"),   # sc 5: late all excluded
    ("NN-008", "BD0020", "2022-05-09", "nhac_nho", "tre_han", "31/TB-STP"),     # sc 12: same-day returns
    ("NN-009", "BD0019", "2022-03-15", "nhac_nho", "tre_han", "18/TB-STP"),     # improved: 0 late in 2023
    ("NN-010", "BD0013", "2023-09-05", "nhac_nho", "gio_giac", "97/TB-STP"),    # unrelated subject
]

# ---------------------------------------------------------------------------
# Discipline (quyết định kỷ luật)
# ---------------------------------------------------------------------------
DISCIPLINE = [
    # decision_id, official_id, form, authority, decided_on, violation_on,
    # document_no, violation_id, counted_in_year
    ("KL-001", "BD0041", "khien_trach", "chinh_quyen", "2023-08-14", "2023-05-22",
     "215/QĐ-UBND", "", ""),                                   # counted in 2023
    ("KL-002", "BD0023", "khien_trach", "dang", "2022-11-25", "2022-07-10",
     "45-QĐ/UBKTHU", "", ""),                                  # took effect 2022
    ("KL-003", "BD0042", "canh_cao", "chinh_quyen", "2023-02-20", "2022-09-12",
     "38/QĐ-UBND", "", "2022"),                                # already counted in 2022
    ("KL-004", "BD0035", "khien_trach", "dang", "2022-12-05", "2022-08-03",
     "08-QĐ/ĐU", "VP-XPS-2022-01", ""),                        # Party, 2022
    ("KL-005", "BD0035", "khien_trach", "chinh_quyen", "2023-01-16", "2022-08-03",
     "12/QĐ-UBND", "VP-XPS-2022-01", ""),                      # same act, 2023
]

# ---------------------------------------------------------------------------
# Innovations (sáng kiến, đề tài)
# ---------------------------------------------------------------------------
INNOVATIONS = [
    # award_id, official_id, title, kind, level, recognized_on, document_no, cchc
    ("SK-2023-01", "BD0007",
     "Giải pháp nâng cao chất lượng thẩm định dự thảo văn bản quy phạm pháp luật cấp tỉnh",
     "sang_kien", "co_so", "2023-11-20", "1215/QĐ-STP", F),
    ("SK-2023-02", "BD0009",
     "Mô hình Câu lạc bộ pháp luật cộng đồng tại các xã ven biển",
     "sang_kien", "toan_quoc", "2023-09-18", "2105/QĐ-BTP", F),
    ("DT-2023-01", "BD0010",
     "Nghiên cứu giải pháp nâng cao hiệu quả trợ giúp pháp lý cho người dân tộc thiểu số tỉnh Bình Định",
     "de_tai", "tinh", "2023-10-25", "3120/QĐ-UBND", F),
    ("SK-2022-07", "BD0011",
     "Số hóa sổ hộ tịch lưu trữ phục vụ cấp bản sao trích lục trực tuyến",
     "sang_kien", "co_so", "2022-12-12", "1402/QĐ-STP", T),     # recognised 2022: ignored
    ("SK-2023-03", "BD0027",
     "Ứng dụng Zalo OA tra cứu tình trạng hồ sơ thủ tục hành chính huyện Tuy Phước",
     "sang_kien", "tinh", "2023-12-05", "3987/QĐ-UBND", T),     # cchc
    ("SK-2023-04", "BD0032",
     "Sổ tay nghiệp vụ tiếp nhận hồ sơ đăng ký hộ kinh doanh tại Bộ phận Một cửa huyện",
     "sang_kien", "co_so", "2023-06-16", "1890/QĐ-UBND", F),
    ("SK-2023-05", "BD0032",
     "Quy trình đối chiếu, trả kết quả hồ sơ hộ kinh doanh qua dịch vụ bưu chính công ích",
     "sang_kien", "tinh", "2023-12-05", "3988/QĐ-UBND", F),
    ("SK-2023-06", "BD0043",
     "Phương pháp tuyên truyền phòng chống tảo hôn qua loa truyền thanh thôn",
     "sang_kien", "co_so", "2023-11-28", "4410/QĐ-UBND", F),
]

# ---------------------------------------------------------------------------
# Titles received in past years
# ---------------------------------------------------------------------------
TITLES_HISTORY = [
    ("BD0001", 2021, "LDTT"), ("BD0001", 2021, "CSTDCS"), ("BD0001", 2022, "LDTT"),
    ("BD0002", 2021, "LDTT"), ("BD0002", 2022, "LDTT"), ("BD0002", 2022, "CSTDCS"),
    ("BD0003", 2022, "LDTT"), ("BD0004", 2021, "LDTT"), ("BD0004", 2022, "LDTT"),
    ("BD0005", 2021, "LDTT"), ("BD0005", 2022, "LDTT"), ("BD0005", 2022, "CSTDCS"),
    ("BD0006", 2022, "LDTT"), ("BD0007", 2022, "LDTT"), ("BD0008", 2022, "LDTT"),
    ("BD0009", 2021, "LDTT"), ("BD0009", 2022, "LDTT"), ("BD0011", 2022, "LDTT"),
    ("BD0012", 2022, "LDTT"), ("BD0017", 2021, "LDTT"), ("BD0019", 2021, "LDTT"),
    ("BD0021", 2021, "LDTT"), ("BD0021", 2021, "CSTDCS"), ("BD0021", 2022, "LDTT"),
    ("BD0022", 2022, "LDTT"), ("BD0024", 2022, "LDTT"), ("BD0025", 2022, "LDTT"),
    ("BD0027", 2022, "LDTT"), ("BD0029", 2021, "LDTT"), ("BD0032", 2022, "LDTT"),
    ("BD0034", 2021, "LDTT"), ("BD0034", 2022, "LDTT"), ("BD0036", 2022, "LDTT"),
    ("BD0037", 2022, "LDTT"), ("BD0040", 2021, "LDTT"), ("BD0042", 2021, "LDTT"),
    ("BD0043", 2022, "LDTT"),
]

# ---------------------------------------------------------------------------
# Procedures (illustrative codes in the national-portal style), per unit:
# (procedure_code, name, working days allowed; 0 = returned the same day)
# ---------------------------------------------------------------------------
PROCEDURES = {
    "STP": [
        ("2.000488", "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam", 10),
        ("1.001071", "Đăng ký hành nghề và cấp Thẻ công chứng viên", 5),
        ("2.000789", "Đăng ký hoạt động Văn phòng công chứng", 10),
        ("1.001815", "Cấp Thẻ đấu giá viên", 5),
        ("1.002032", "Thay đổi nội dung đăng ký hoạt động của tổ chức hành nghề luật sư", 7),
    ],
    "UBND_TP": [
        ("2.000720", "Đăng ký thành lập hộ kinh doanh", 3),
        ("1.009997", "Cấp giấy phép xây dựng nhà ở riêng lẻ", 15),
        ("2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", 0),
        ("1.001695", "Đăng ký khai sinh có yếu tố nước ngoài", 10),
        ("2.000635", "Cấp bản sao trích lục hộ tịch", 0),
    ],
    "XA_PHUOCSON": [
        ("1.001193", "Đăng ký khai sinh", 0),
        ("1.000894", "Đăng ký kết hôn", 3),
        ("2.000884", "Chứng thực chữ ký trong các giấy tờ, văn bản", 0),
        ("1.004873", "Cấp Giấy xác nhận tình trạng hôn nhân", 3),
        ("1.000656", "Đăng ký khai tử", 0),
    ],
}
# dossier id prefix (national-portal style "agency code.H08"), per unit
AGENCY_CODE = {"STP": "000.00.16.H08", "UBND_TP": "000.00.31.H08",
               "XA_PHUOCSON": "000.31.20.H08"}

# ---------------------------------------------------------------------------
# Hand-crafted scenario dossiers.  One tuple per dossier:
# (handler, procedure_code, received_at, due_at, returned_at ("" = open),
#  late_cause, apology_issued, note)
# Only the unit's procedures are used; the dossier's unit is the handler's.
# ---------------------------------------------------------------------------
SCENARIO_DOSSIERS = [
    # sc 1 — BD0029 repeat offender: 3 counted late in 2023 (+2 late in 2022)
    ("BD0029", "1.009997", "2023-03-14 09:30", "2023-04-04", "2023-04-07 10:15", "chu_quan", T, "counted"),
    ("BD0029", "2.000720", "2023-06-05 14:20", "2023-06-08", "2023-06-12 08:40", "", F, "counted"),
    ("BD0029", "1.009997", "2023-12-05 10:05", "2023-12-26", "", "", F, "counted (open, due 2023)"),
    ("BD0029", "2.000720", "2022-09-06 08:15", "2022-09-09", "2022-09-14 09:00", "chu_quan", F, "year 2022"),
    ("BD0029", "1.009997", "2022-11-15 09:45", "2022-12-06", "2022-12-12 14:00", "chu_quan", T, "year 2022"),
    # sc 1b — BD0030 repeat offender (chan_chinh reminder): 4 counted, all with apology
    ("BD0030", "2.000720", "2023-02-07 08:45", "2023-02-10", "2023-02-14 15:00", "chu_quan", T, "counted"),
    ("BD0030", "1.001695", "2023-04-25 09:10", "2023-05-09", "2023-05-11 10:30", "chu_quan", T, "counted"),
    ("BD0030", "2.000720", "2023-08-22 13:30", "2023-08-25", "2023-08-29 09:00", "", T, "counted"),
    ("BD0030", "1.009997", "2023-10-10 10:00", "2023-10-31", "2023-11-03 16:00", "chu_quan", T, "counted"),
    ("BD0030", "2.000720", "2022-07-11 14:00", "2022-07-14", "2022-07-19 08:30", "chu_quan", F, "year 2022"),
    # sc 2 — BD0031 reminder 2022 but only 2 counted late in 2023
    ("BD0031", "2.000720", "2023-05-16 09:00", "2023-05-19", "2023-05-23 14:00", "chu_quan", T, "counted"),
    ("BD0031", "1.009997", "2023-09-05 15:10", "2023-09-26", "2023-09-28 09:20", "", F, "counted"),
    ("BD0031", "2.000720", "2023-07-03 08:30", "2023-07-06", "2023-07-10 10:00", "phan_mem", T, "excluded"),
    ("BD0031", "1.009997", "2022-12-07 09:00", "2022-12-28", "2023-01-05 08:30", "chu_quan", F, "year 2022"),
    ("BD0031", "1.009997", "2023-12-22 10:45", "2024-01-12", "", "", F, "year 2024 (open)"),
    # sc 6 — BD0017: 8 counted late, 6 without apology (raw -14, capped -10)
    ("BD0017", "2.000488", "2022-12-26 08:30", "2023-01-09", "2023-01-12 09:15", "chu_quan", F, "counted (received 2022, due 2023)"),
    ("BD0017", "2.000488", "2023-02-20 09:40", "2023-03-06", "2023-03-08 14:30", "chu_quan", T, "counted"),
    ("BD0017", "2.000488", "2023-03-27 10:15", "2023-04-10", "2023-04-13 08:00", "", F, "counted"),
    ("BD0017", "2.000488", "2023-05-22 14:00", "2023-06-05", "2023-06-06 16:20", "chu_quan", F, "counted"),
    ("BD0017", "2.000488", "2023-07-10 08:05", "2023-07-24", "2023-07-31 10:00", "chu_quan", F, "counted"),
    ("BD0017", "2.000488", "2023-08-14 09:25", "2023-08-28", "2023-08-29 11:45", "", T, "counted"),
    ("BD0017", "2.000488", "2023-10-02 15:30", "2023-10-16", "2023-10-20 09:10", "chu_quan", F, "counted"),
    ("BD0017", "2.000488", "2023-12-13 10:20", "2023-12-27", "", "", F, "counted (open, due 2023)"),
    # sc 5 — BD0018: 4 late, all phan_mem / khach_quan -> excluded
    ("BD0018", "2.000488", "2023-03-06 09:00", "2023-03-20", "2023-03-23 10:00", "phan_mem", T, "excluded"),
    ("BD0018", "2.000488", "2023-06-12 10:30", "2023-06-26", "2023-06-28 15:00", "phan_mem", F, "excluded"),
    ("BD0018", "2.000488", "2023-09-11 08:20", "2023-09-25", "2023-09-27 09:30", "khach_quan", F, "excluded"),
    ("BD0018", "2.000488", "2023-11-06 14:10", "2023-11-20", "2023-11-24 08:45", "khach_quan", T, "excluded"),
    # sc 12 — BD0020: returned on the due date late in the day (on time) + 2 counted
    ("BD0020", "2.000488", "2023-04-26 08:10", "2023-05-10", "2023-05-10 16:45", "", F, "on time (same day)"),
    ("BD0020", "2.000488", "2023-09-05 09:00", "2023-09-19", "2023-09-19 17:30", "", F, "on time (same day)"),
    ("BD0020", "2.000488", "2023-07-06 10:00", "2023-07-20", "2023-07-21 07:35", "", F, "counted (next morning)"),
    ("BD0020", "2.000488", "2023-10-19 14:00", "2023-11-02", "2023-11-06 09:30", "chu_quan", T, "counted"),
    # sc 10 — BD0006 (specialist handling the delaying step): 2 counted, with apology
    ("BD0006", "1.001071", "2023-04-10 09:00", "2023-04-17", "2023-04-18 10:00", "chu_quan", T, "counted"),
    ("BD0006", "2.000789", "2023-08-07 10:00", "2023-08-21", "2023-08-23 15:00", "chu_quan", T, "counted"),
    # sc 3a — BD0037 reminder in 2021: 3 counted, all with apology
    ("BD0037", "1.000894", "2023-02-13 08:30", "2023-02-16", "2023-02-17 09:00", "chu_quan", T, "counted"),
    ("BD0037", "1.004873", "2023-06-19 09:15", "2023-06-22", "2023-06-26 10:00", "", T, "counted"),
    ("BD0037", "1.000894", "2023-11-13 14:00", "2023-11-16", "2023-11-20 08:30", "chu_quan", T, "counted"),
    # sc 3b — BD0038 reminder in 2023: 3 counted, 1 without apology
    ("BD0038", "1.004873", "2023-03-13 08:00", "2023-03-16", "2023-03-20 09:40", "chu_quan", T, "counted"),
    ("BD0038", "1.000894", "2023-07-17 10:20", "2023-07-20", "2023-07-21 15:10", "", F, "counted"),
    ("BD0038", "1.004873", "2023-10-23 14:30", "2023-10-26", "2023-10-30 08:15", "chu_quan", T, "counted"),
    # sc 4 — BD0039 reminder 2022 on 'thai_do': 4 counted, 2 without apology
    ("BD0039", "1.000894", "2023-01-09 09:00", "2023-01-12", "2023-01-16 10:00", "chu_quan", F, "counted"),
    ("BD0039", "1.004873", "2023-04-10 08:30", "2023-04-13", "2023-04-14 14:20", "chu_quan", T, "counted"),
    ("BD0039", "1.000894", "2023-08-07 13:45", "2023-08-10", "2023-08-15 09:00", "", F, "counted"),
    ("BD0039", "1.004873", "2023-11-27 10:10", "2023-11-30", "2023-12-04 16:00", "chu_quan", T, "counted"),
    # BD0033 (low performer): 1 counted, with apology
    ("BD0033", "2.000720", "2023-05-08 09:30", "2023-05-11", "2023-05-15 10:45", "chu_quan", T, "counted"),
    # BD0019 (reminder 2022, improved): late dossiers of other years only
    ("BD0019", "2.000488", "2022-02-14 08:40", "2022-02-28", "2022-03-03 10:20", "chu_quan", F, "year 2022"),
    ("BD0019", "2.000488", "2023-12-20 09:00", "2024-01-03", "2024-01-08 10:00", "chu_quan", F, "year 2024"),
]

# Background volume of ordinary (on-time) dossiers per handler, due in 2023.
BACKGROUND_2023 = {
    "BD0017": 42, "BD0018": 44, "BD0019": 46, "BD0020": 40,           # STP desk
    "BD0006": 4, "BD0011": 5, "BD0012": 5,                            # STP specialists
    "BD0029": 33, "BD0030": 32, "BD0031": 30, "BD0032": 36, "BD0033": 28,  # district desk
    "BD0028": 5,                                                      # district specialist
    "BD0037": 24, "BD0038": 22, "BD0039": 23,                         # commune desk
    "BD0043": 4,                                                      # commune specialist
}
# Background dossiers of other years (due in late 2022 / early 2024), plain clerks only.
BACKGROUND_OTHER_YEARS = {"BD0019": 4, "BD0032": 4, "BD0033": 4, "BD0038": 3}


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------
def _days(first: str, last: str) -> set[dt.date]:
    a, z = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return {a + dt.timedelta(days=i) for i in range((z - a).days + 1)}


# Public holidays (days off) around 2023: New Year, Tết, 30/4–1/5, National Day.
HOLIDAYS = (_days("2022-09-01", "2022-09-02") | _days("2023-01-02", "2023-01-02")
            | _days("2023-01-20", "2023-01-26") | _days("2023-04-29", "2023-05-03")
            | _days("2023-09-01", "2023-09-04") | _days("2024-01-01", "2024-01-01"))


def is_workday(d: dt.date) -> bool:
    return d.weekday() < 5 and d not in HOLIDAYS


def add_working_days(d: dt.date, n: int) -> dt.date:
    while n > 0:
        d += dt.timedelta(days=1)
        if is_workday(d):
            n -= 1
    return d


def random_weekday(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    while True:
        d = start + dt.timedelta(days=rng.randrange((end - start).days + 1))
        if is_workday(d):
            return d


def random_time(rng: random.Random, after: dt.time | None = None) -> dt.time:
    lo = 7 * 60 + 30 if after is None else after.hour * 60 + after.minute + 15
    hi = 17 * 60
    lo = min(lo, hi)
    m = rng.randrange(lo, hi + 1, 5) if lo < hi else hi
    return dt.time(m // 60, m % 60)


def fmt_dt(d: dt.date, t: dt.time) -> str:
    return f"{d.isoformat()} {t.strftime('%H:%M')}"


def on_time_dossier(rng, unit, window_start, window_end, due_max, returned=True):
    """One ordinary dossier returned on or before its due date."""
    code, _name, days = rng.choice(PROCEDURES[unit])
    while True:
        rec = random_weekday(rng, window_start, window_end)
        due = add_working_days(rec, days)
        if due <= due_max:
            break
    rec_t = random_time(rng)
    if not returned:
        return code, fmt_dt(rec, rec_t), due.isoformat(), ""
    # returned between received date and due date; 1 in 5 exactly on the due date
    span = (due - rec).days
    if span == 0 or rng.random() < 0.2:
        ret = due
    else:
        ret = rec + dt.timedelta(days=rng.randrange(span + 1))
        if not is_workday(ret):
            ret = due
    ret_t = random_time(rng, after=rec_t if ret == rec else None)
    return code, fmt_dt(rec, rec_t), due.isoformat(), fmt_dt(ret, ret_t)


def build_dossiers() -> list[dict]:
    rng = random.Random(YEAR)
    unit_of = {o[0]: o[2] for o in OFFICIALS}
    raw = []  # (unit, handler, code, received, due, returned, cause, apology)
    for h, code, rec, due, ret, cause, apo, _note in SCENARIO_DOSSIERS:
        raw.append((unit_of[h], h, code, rec, due, ret, cause, apo))
    for h, n in BACKGROUND_2023.items():
        u = unit_of[h]
        for _ in range(n):
            code, rec, due, ret = on_time_dossier(
                rng, u, dt.date(2022, 12, 19), dt.date(2023, 12, 8), dt.date(2023, 12, 29))
            if due[:4] != "2023":      # keep the 2023 background strictly in 2023
                continue
            raw.append((u, h, code, rec, due, ret, "", False))
    for h, n in BACKGROUND_OTHER_YEARS.items():
        u = unit_of[h]
        for i in range(n):
            if i % 2 == 0:   # due in 2022, returned on time in 2022
                code, rec, due, ret = on_time_dossier(
                    rng, u, dt.date(2022, 11, 1), dt.date(2022, 12, 9), dt.date(2022, 12, 30))
            else:            # received late 2023, due in January 2024; half still open
                code, rec, due, ret = on_time_dossier(
                    rng, u, dt.date(2023, 12, 20), dt.date(2023, 12, 29), dt.date(2024, 1, 31),
                    returned=(i % 4 == 1))
                if due[:4] != "2024":
                    continue
            raw.append((u, h, code, rec, due, ret, "", False))
    # stable order by received time, then ids in the national-portal style
    raw.sort(key=lambda r: (r[3], r[1], r[2]))
    rows, seq = [], {}
    for u, h, code, rec, due, ret, cause, apo in raw:
        day = rec[2:4] + rec[5:7] + rec[8:10]
        seq[(u, day)] = seq.get((u, day), 0) + 1
        rows.append({
            "dossier_id": f"{AGENCY_CODE[u]}-{day}-{seq[(u, day)]:04d}",
            "procedure_code": code, "unit_id": u, "handler_id": h,
            "received_at": rec, "due_at": due, "returned_at": ret,
            "late_cause": cause, "apology_issued": b(apo),
        })
    return rows


def b(x: bool) -> str:
    return "true" if x else "false"


def write_csv(name: str, header: list[str], rows: list) -> None:
    with open(HERE / name, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([r[k] for k in header] if isinstance(r, dict) else r)


def write_all() -> None:
    write_csv("units.csv", ["unit_id", "name", "parent_id", "tier"], UNITS)
    write_csv("officials.csv",
              ["official_id", "full_name", "unit_id", "staff_type", "peer_group", "is_leader",
               "months_worked", "maternity_leave", "task_score", "months_absent", "recruited_on"],
              [(o[0], o[1], o[2], o[3], o[4], b(o[5]), o[6], b(o[7]), o[8], o[9], o[10])
               for o in OFFICIALS])
    write_csv("dossiers.csv",
              ["dossier_id", "procedure_code", "unit_id", "handler_id", "received_at", "due_at",
               "returned_at", "late_cause", "apology_issued"], build_dossiers())
    write_csv("reminders.csv",
              ["reminder_id", "official_id", "issued_on", "kind", "subject", "document_no"],
              REMINDERS)
    write_csv("discipline.csv",
              ["decision_id", "official_id", "form", "authority", "decided_on", "violation_on",
               "document_no", "violation_id", "counted_in_year"], DISCIPLINE)
    write_csv("innovations.csv",
              ["award_id", "official_id", "title", "kind", "level", "recognized_on",
               "document_no", "cchc"],
              [(*i[:7], b(i[7])) for i in INNOVATIONS])
    write_csv("titles_history.csv", ["official_id", "year", "title"], TITLES_HISTORY)


# ---------------------------------------------------------------------------
# Expected results for 2023, worked out by hand from SPEC §5 (default policy:
# cut-offs 90/70/50, late -1/-1 capped at -10, repeat offence threshold 3,
# quota 20 % of good_or_above per unit+peer_group, CSTDCS 15 % of the unit's
# LDTT, titles regime luat_2022).
# official_id: (counted_late, late_points, innovation_points, score,
#               provisional_level, level, titles)
# ---------------------------------------------------------------------------
EXPECTED = {
    "BD0001": (0, 0, 0, 93, "HTXSNV", "HTTNV", "LDTT"),        # quota: group of 4 -> 0 kept
    "BD0002": (0, 0, 0, 88, "HTTNV", "HTTNV", "LDTT"),
    "BD0003": (0, 0, 0, 86, "HTTNV", "HTTNV", "LDTT"),
    "BD0004": (0, 0, 0, 84, "HTTNV", "HTTNV", "LDTT"),
    "BD0005": (0, 0, 0, 96, "HTXSNV", "HTXSNV", "CSTDCS;LDTT"),
    "BD0006": (2, -2, 0, 92, "HTXSNV", "HTTNV", "LDTT"),       # quota: tie lost on deductions
    "BD0007": (0, 0, 3, 92, "HTXSNV", "HTXSNV", "CSTDCS;LDTT"),  # tie won on deductions
    "BD0008": (0, 0, 0, 90, "HTXSNV", "HTTNV", "LDTT"),        # quota: 4th of 4
    "BD0009": (0, 0, 8, 88, "HTTNV", "HTTNV", "LDTT"),         # CSTDCS cap
    "BD0010": (0, 0, 5, 87, "HTTNV", "HTTNV", "LDTT"),         # CSTDCS cap
    "BD0011": (0, 0, 0, 85, "HTTNV", "HTTNV", "LDTT"),         # 2022 cchc initiative ignored
    "BD0012": (0, 0, 0, 78, "HTTNV", "HTTNV", "LDTT"),
    "BD0013": (0, 0, 0, 74, "HTTNV", "HTTNV", "LDTT"),
    "BD0014": (0, 0, 0, 71, "HTTNV", "HTTNV", "LDTT"),
    "BD0015": (0, 0, 0, 85, "KXL", "KXL", ""),                 # 5 months, no maternity
    "BD0016": (0, 0, 0, 88, "HTTNV", "HTNV", ""),              # 4 months absent
    "BD0017": (8, -10, 0, 70, "HTTNV", "HTTNV", "LDTT"),       # raw -14 capped -10
    "BD0018": (0, 0, 0, 87, "HTTNV", "HTTNV", "LDTT"),         # 4 late, all excluded
    "BD0019": (0, 0, 0, 83, "HTTNV", "HTTNV", "LDTT"),
    "BD0020": (2, -3, 0, 83, "HTTNV", "HTTNV", "LDTT"),        # same-day returns on time
    "BD0021": (0, 0, 0, 88, "HTTNV", "HTTNV", "LDTT"),
    "BD0022": (0, 0, 0, 85, "HTTNV", "HTTNV", "LDTT"),
    "BD0023": (0, 0, 0, 82, "HTTNV", "HTTNV", "LDTT"),         # discipline took effect 2022
    "BD0024": (0, 0, 0, 91, "HTXSNV", "HTXSNV", "CSTDCS;LDTT"),  # tie won on official_id
    "BD0025": (0, 0, 0, 91, "HTXSNV", "HTTNV", "LDTT"),        # tie lost on official_id
    "BD0026": (0, 0, 0, 84, "HTTNV", "HTTNV", "LDTT"),         # recruited 2023-04-01
    "BD0027": (0, 0, 5, 87, "HTTNV", "HTTNV", "CCHC;LDTT"),    # CSTDCS cap
    "BD0028": (0, 0, 0, 79, "HTTNV", "HTTNV", "LDTT"),
    "BD0029": (3, -5, 0, 90, "HTXSNV", "HTNV", ""),            # repeat offence
    "BD0030": (4, -4, 0, 84, "HTTNV", "HTNV", ""),             # repeat offence (chan_chinh)
    "BD0031": (2, -3, 0, 86, "HTTNV", "HTTNV", "LDTT"),        # only 2 counted
    "BD0032": (0, 0, 5, 89, "HTTNV", "HTTNV", "LDTT"),         # co_so + tinh -> +5; CSTDCS cap
    "BD0033": (1, -1, 0, 67, "HTNV", "HTNV", ""),
    "BD0034": (0, 0, 0, 87, "HTTNV", "HTTNV", "LDTT"),
    "BD0035": (0, 0, 0, 83, "HTTNV", "HTTNV", "LDTT"),         # same violation, 2022 first
    "BD0036": (0, 0, 0, 80, "HTTNV", "HTTNV", "LDTT"),
    "BD0037": (3, -3, 0, 87, "HTTNV", "HTTNV", "LDTT"),        # reminder Y-2
    "BD0038": (3, -4, 0, 84, "HTTNV", "HTTNV", "LDTT"),        # reminder Y
    "BD0039": (4, -6, 0, 82, "HTTNV", "HTTNV", "LDTT"),        # reminder thai_do
    "BD0040": (0, 0, 0, 86, "HTTNV", "HTTNV", "LDTT"),         # maternity, 4 months
    "BD0041": (0, 0, 0, 88, "HTTNV", "KHTNV", ""),             # khien_trach 2023
    "BD0042": (0, 0, 0, 80, "HTTNV", "HTTNV", "LDTT"),         # counted_in_year 2022
    "BD0043": (0, 0, 3, 84, "HTTNV", "HTTNV", "CSTDCS;LDTT"),
    "BD0044": (0, 0, 0, 45, "KHTNV", "KHTNV", ""),
}


# ---------------------------------------------------------------------------
# Check
# ---------------------------------------------------------------------------
RANK = {"KHTNV": 1, "HTNV": 2, "HTTNV": 3, "HTXSNV": 4}
LEVEL_OF = {v: k for k, v in RANK.items()}
INNOV_POINTS = {"co_so": 3, "tinh": 5, "toan_quoc": 8}


def check() -> int:
    import pandas as pd

    def load(name):
        return pd.read_csv(HERE / name, dtype=str, keep_default_na=False, encoding="utf-8")

    units, off, dos = load("units.csv"), load("officials.csv"), load("dossiers.csv")
    rem, dis, inn = load("reminders.csv"), load("discipline.csv"), load("innovations.csv")
    tih = load("titles_history.csv")
    errors: list[str] = []

    def need(cond, msg):
        if not cond:
            errors.append(msg)

    # --- counts -------------------------------------------------------------
    print(f"units {len(units)}, officials {len(off)}, dossiers {len(dos)}, reminders {len(rem)}, "
          f"discipline {len(dis)}, innovations {len(inn)}, titles_history {len(tih)}")
    need(len(units) == 3, "3 units expected")
    need(35 <= len(off) <= 45, "about 40 officials expected")
    need(300 <= len(dos) <= 500, "300-500 dossiers expected")

    # --- ids, references ----------------------------------------------------
    for df, col, name in [(units, "unit_id", "units"), (off, "official_id", "officials"),
                          (dos, "dossier_id", "dossiers"), (rem, "reminder_id", "reminders"),
                          (dis, "decision_id", "discipline"), (inn, "award_id", "innovations")]:
        dup = df[df[col].duplicated()][col].tolist()
        need(not dup, f"{name}: duplicate {col} {dup}")
    need(not tih.duplicated().any(), "titles_history: duplicate rows")
    need(not off["full_name"].duplicated().any(), "officials: duplicate full_name")
    uids, oids = set(units.unit_id), set(off.official_id)
    need(set(units.parent_id) - {""} <= uids, "units: unknown parent_id")
    need(set(off.unit_id) <= uids, "officials: unknown unit_id")
    need(set(dos.unit_id) <= uids, "dossiers: unknown unit_id")
    need(set(dos.handler_id) <= oids, "dossiers: unknown handler_id")
    for df, name in [(rem, "reminders"), (dis, "discipline"), (inn, "innovations"),
                     (tih, "titles_history")]:
        need(set(df.official_id) <= oids, f"{name}: unknown official_id")
    unit_of = dict(zip(off.official_id, off.unit_id))
    need((dos.handler_id.map(unit_of) == dos.unit_id).all(), "dossiers: unit differs from handler's")

    # --- codes and ranges ---------------------------------------------------
    need(set(units.tier) <= {"tinh", "huyen", "xa"}, "units: tier")
    need(set(off.staff_type) <= {"can_bo", "cong_chuc", "vien_chuc"}, "officials: staff_type")
    for c in ["is_leader", "maternity_leave"]:
        need(set(off[c]) <= {"true", "false"}, f"officials: {c}")
    need(set(dos.apology_issued) <= {"true", "false"}, "dossiers: apology_issued")
    need(set(inn.cchc) <= {"true", "false"}, "innovations: cchc")
    need(set(dos.late_cause) <= {"", "chu_quan", "phan_mem", "khach_quan"}, "dossiers: late_cause")
    need(set(rem.kind) <= {"nhac_nho", "chan_chinh"}, "reminders: kind")
    need(set(dis.form) <= {"khien_trach", "canh_cao", "ha_bac_luong", "giang_chuc", "cach_chuc",
                           "buoc_thoi_viec"}, "discipline: form")
    need(set(dis.authority) <= {"dang", "chinh_quyen"}, "discipline: authority")
    need(set(inn.kind) <= {"sang_kien", "de_tai"}, "innovations: kind")
    need(set(inn.level) <= {"co_so", "tinh", "toan_quoc"}, "innovations: level")
    ts = off.task_score.astype(float)
    need(ts.between(0, 100).all(), "officials: task_score out of 0-100")
    for c in ["months_worked", "months_absent"]:
        need(off[c].astype(float).between(0, 12).all(), f"officials: {c} out of 0-12")

    # --- dates --------------------------------------------------------------
    rec = pd.to_datetime(dos.received_at, format="mixed")
    due = pd.to_datetime(dos.due_at, format="ISO8601")
    ret = pd.to_datetime(dos.returned_at.replace("", None), format="mixed")
    need((due.dt.normalize() >= rec.dt.normalize()).all(), "dossiers: due_at before received_at")
    need((ret.isna() | (ret >= rec)).all(), "dossiers: returned_at before received_at")
    for col, ser in [("received_at", rec), ("due_at", due), ("returned_at", ret)]:
        bad = [str(x.date()) for x in ser.dropna() if not is_workday(x.date())]
        need(not bad, f"dossiers: {col} on a weekend or holiday {bad}")
    for df, cols in [(rem, ["issued_on"]), (dis, ["decided_on", "violation_on"]),
                     (inn, ["recognized_on"]), (off, ["recruited_on"])]:
        for c in cols:
            pd.to_datetime(df[c].replace("", None), format="ISO8601")  # raises if bad
    need((pd.to_datetime(dis.violation_on) <= pd.to_datetime(dis.decided_on)).all(),
         "discipline: violation after decision")

    # --- independent reading of SPEC §5 -------------------------------------
    dos = dos.assign(rec=rec, due=due.dt.date, ret=ret.dt.date)
    y_end = dt.date(YEAR, 12, 31)
    in_y = dos.due.map(lambda d: d.year == YEAR)
    # late: returned on a later calendar date, or still open and due by 31 Dec Y
    late = dos.apply(lambda r: (r.due <= y_end) if pd.isna(r.ret) else (r.ret > r.due), axis=1)
    counted = dos[in_y & late & dos.late_cause.isin(["", "chu_quan"])]
    excluded = dos[in_y & late & ~dos.late_cause.isin(["", "chu_quan"])]
    print(f"year {YEAR}: {int(in_y.sum())} dossiers, {int((in_y & late).sum())} late, "
          f"{len(counted)} counted, {len(excluded)} excluded; "
          f"{int((~in_y).sum())} dossiers of other years")

    res = {}
    for o in off.itertuples():
        oid = o.official_id
        mine = counted[counted.handler_id == oid]
        n_late = len(mine)
        n_noapo = int((mine.apology_issued == "false").sum())
        late_pts = max(-(n_late + n_noapo), -10)
        my_inn = inn[(inn.official_id == oid) & inn.recognized_on.str.startswith(str(YEAR))]
        inn_pts = max([INNOV_POINTS[lv] for lv in my_inn.level], default=0)
        score = float(o.task_score) + late_pts + inn_pts
        prov = ("HTXSNV" if score >= 90 else "HTTNV" if score >= 70
                else "HTNV" if score >= 50 else "KHTNV")
        mat = o.maternity_leave == "true"
        kxl = float(o.months_worked) < 6 and not mat
        leave_cap = 3 <= float(o.months_absent) < 6 and not mat
        caps = []
        if leave_cap:
            caps.append("HTNV")
        r = rem[(rem.official_id == oid) & (rem.subject == "tre_han")
                & rem.issued_on.str.startswith(str(YEAR - 1))]
        if len(r) and n_late >= 3:
            caps.append("HTNV")
        disc = False
        for d in dis[dis.official_id == oid].itertuples():
            if not d.decided_on.startswith(str(YEAR)):
                continue
            if d.counted_in_year and int(d.counted_in_year) != YEAR:
                continue
            vid = d.violation_id or d.decision_id
            same = dis[(dis.violation_id.where(dis.violation_id != "", dis.decision_id) == vid)
                       & (dis.decided_on.str[:4].astype(int) < YEAR)]
            if len(same):
                continue
            disc = True
        if disc:
            caps.append("KHTNV")
        if kxl:
            level = prov_out = "KXL"
        else:
            prov_out = prov
            level = LEVEL_OF[min([RANK[prov]] + [RANK[c] for c in caps])]
        res[oid] = dict(unit=o.unit_id, group=o.peer_group, counted=n_late, late_pts=late_pts,
                        inn_pts=inn_pts, score=score, prov=prov_out, level=level,
                        deducted=-late_pts, disc=disc, leave=leave_cap,
                        inn=my_inn, titles=set())

    def order(ids):
        return sorted(ids, key=lambda i: (-res[i]["score"], res[i]["deducted"], i))

    # quota per unit + peer group (exact integer arithmetic: floor(n/5))
    for key in sorted({(v["unit"], v["group"]) for v in res.values()}):
        grp = [i for i, v in res.items() if (v["unit"], v["group"]) == key]
        base = sum(res[i]["level"] in ("HTTNV", "HTXSNV") for i in grp)
        k = base * 20 // 100
        top = order([i for i in grp if res[i]["level"] == "HTXSNV"])
        for i in top[k:]:
            res[i]["level"] = "HTTNV"
        print(f"quota {key}: base {base}, k {k}, HTXSNV before {top}, kept {top[:k]}")
    # titles (luat_2022)
    for unit in sorted(set(units.unit_id)):
        ids = [i for i, v in res.items() if v["unit"] == unit]
        ldtt = [i for i in ids if res[i]["level"] in ("HTTNV", "HTXSNV")
                and not res[i]["disc"] and not res[i]["leave"]]
        for i in ldtt:
            res[i]["titles"].add("LDTT")
        cand = [i for i in ldtt if res[i]["level"] == "HTXSNV" or len(res[i]["inn"])]
        cap = len(ldtt) * 15 // 100
        chosen = order(cand)[:cap]
        for i in chosen:
            res[i]["titles"].add("CSTDCS")
        print(f"CSTDCS {unit}: LDTT {len(ldtt)}, cap {cap}, candidates {order(cand)}, "
              f"chosen {chosen}")
        for i in ids:
            v = res[i]
            if (v["level"] in ("HTTNV", "HTXSNV") and not v["disc"]
                    and (v["inn"].cchc == "true").any()):
                v["titles"].add("CCHC")

    for oid, v in res.items():
        got = (v["counted"], v["late_pts"], v["inn_pts"], v["score"], v["prov"], v["level"],
               ";".join(sorted(v["titles"])))
        exp = EXPECTED.get(oid)
        need(exp is not None and tuple(got) == tuple(exp),
             f"{oid}: computed {got} != expected {exp}")
    need(set(EXPECTED) == set(res), "EXPECTED lists other officials than officials.csv")

    if errors:
        print("PROBLEMS:\n  " + "\n  ".join(errors))
        return 1
    print("all checks passed; computed results equal EXPECTED for", len(res), "officials")
    return 0


if __name__ == "__main__":
    if "--check" not in sys.argv[1:]:
        write_all()
    sys.exit(check())
