"""Write the Gia Lai 2026 sample (SPEC §10) and hold its expected results, worked out by hand.

Run ``python make_sample.py`` to rewrite the CSV files. Four units after the 1 July 2025
reorganisation (two of tỉnh, two of xã; no huyện), 60 officials: in each unit nine công
chức scored from work products (one leader), three cán bộ and three viên chức who keep
the head's 0–100 score. T01 and X01 report monthly, T02 and X02 quarterly. Every công
chức's period has one work line whose quantities are all done, so a = b = c = 1 and the
period score is ``general_score + 70`` unless a case below says otherwise; the year score
is then the general score + 70. The cases (README.md works each out):

- T01-CC04: two major errors in May (coefficient 1.5, 4 assigned, 4 done);
- T01-CC07: transferred from T01 to X01 on 1 July (keeps the T01 periods);
- T02-CC08: two delays in Q3 with an objective cause nobody confirmed (deducted);
- T02-CC09: fails Q2 (3 of 30 done, general 10), so T02-CC01 (leader) gets d = 0.5 in Q2;
- X01-CC02: a late one-stop dossier in March (the handler's fault: 25 % of its progress);
- X01-CC03: a late dossier in June with an objective cause, confirmed (not deducted);
- X01-CC04: a dossier still open, due in October (not done, delayed);
- X01-CC09: recruited 1 September: 4 months worked, not classified (KXL);
- X02-CC03: a grassroots initiative (CSTDCS); X02-CC06: disciplined in 2026 (KHTNV).
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent
YEAR = 2026

UNITS = [
    ("T01", "Sở Nội vụ tỉnh Gia Lai", "", "tinh", "month"),
    ("T02", "Sở Tư pháp tỉnh Gia Lai", "", "tinh", "quarter"),
    ("X01", "UBND phường Quy Nhơn", "", "xa", "month"),
    ("X02", "UBND xã Tuy Phước", "", "xa", "quarter"),
]
# general score of công chức 01 (the leader) … 09 in each unit
GENERAL = {
    "T01": [27, 28, 25, 22, 20, 18, 15, 10, 5],
    "T02": [26, 28, 24, 21, 19, 16, 14, 12, 10],
    "X01": [25, 27, 26, 24, 20, 17, 13, 9, 20],
    "X02": [28, 27, 23, 21, 19, 16, 11, 8, 4],
}
# task scores of cán bộ 01–03 and viên chức 01–03 in each unit
TASK = {
    "T01": ([92, 85, 72], [95, 80, 48]),
    "T02": ([88, 76, 64], [91, 83, 70]),
    "X01": ([90, 78, 55], [86, 74, 69]),
    "X02": ([94, 81, 67], [89, 77, 52]),
}
# one work line per period: product code, coefficient, assigned (= done unless a case says)
WORK = {"T01": ("VB_THAM_MUU", 1.5, 4), "T02": ("HS_TU_PHAP", 1.0, 30),
        "X01": ("TIEP_CONG_DAN", 1.0, 10), "X02": ("HO_TICH", 1.0, 20)}
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi",
            "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
GIVEN = ["Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thị Giang", "Hữu Hải", "Thị Hoa",
         "Đức Khánh", "Thị Lan", "Văn Long", "Thị Mai", "Văn Nam", "Thị Oanh", "Thanh Phong",
         "Thị Quyên"]


def periods(kind: str, months: range = range(1, 13)) -> list[str]:
    if kind == "month":
        return [f"{YEAR}-{m:02d}" for m in months]
    return [f"{YEAR}-Q{q}" for q in range(1, 5) if (q - 1) * 3 + 1 in months]


def build() -> dict[str, list[list[object]]]:
    units = [[u, n, p, t] for u, n, p, t, _ in UNITS]
    officials, period_rows, items = [], [], []
    for ui, (unit, _, _, _, kind) in enumerate(UNITS):
        for i in range(1, 10):
            oid = f"{unit}-CC{i:02d}"
            name = f"{SURNAMES[(ui * 4 + i) % 15]} {GIVEN[(ui * 3 + i) % 15]}"
            home, months_worked, recruited = unit, 12, ""
            if oid == "T01-CC07":
                home = "X01"  # transferred on 1 July: the officials file holds today's unit
            if oid == "X01-CC09":
                months_worked, recruited = 4, f"{YEAR}-09-01"
            officials.append([oid, name, home, "cong_chuc", "lanh_dao" if i == 1 else
                              "chuyen_vien", "true" if i == 1 else "false", months_worked,
                              "false", "", 0, recruited])
            active = range(9, 13) if oid == "X01-CC09" else range(1, 13)
            for per in periods(kind, active):
                month = int(per[5:]) if kind == "month" else (int(per[-1]) - 1) * 3 + 1
                where, general = unit, GENERAL[unit][i - 1]
                if oid == "T01-CC07" and month >= 7:
                    where, general = "X01", 20
                code, coefficient, qty = WORK[where]
                done, errors, delays, cause = qty, 0, 0, ""
                if oid == "T01-CC04" and per == f"{YEAR}-05":
                    errors = 2
                if oid == "T02-CC08" and per == f"{YEAR}-Q3":
                    delays, cause = 2, "khach_quan"
                if oid == "T02-CC09" and per == f"{YEAR}-Q2":
                    done = 3
                period_rows.append([oid, per, where, general, "", ""])
                items.append([f"{oid}-{per}", oid, per, code, coefficient, qty, done, errors,
                              delays, cause, "", ""])
        for j, score in enumerate(TASK[unit][0], 1):
            officials.append([f"{unit}-CB{j:02d}", f"{SURNAMES[(ui + j) % 15]} "
                              f"{GIVEN[(ui * 5 + j + 3) % 15]}", unit, "can_bo", "can_bo",
                              "false", 12, "false", score, 0, ""])
        for j, score in enumerate(TASK[unit][1], 1):
            officials.append([f"{unit}-VC{j:02d}", f"{SURNAMES[(ui + j + 7) % 15]} "
                              f"{GIVEN[(ui * 7 + j + 5) % 15]}", unit, "vien_chuc",
                              "vien_chuc", "false", 12, "false", score, 0, ""])
    dossiers = [
        # X01-CC02: due 10/03, returned 12/03, cause blank (the handler's): a counted delay
        ["HS-X01-0001", "1.001612", "X01", "X01-CC02", f"{YEAR}-03-02 08:00",
         f"{YEAR}-03-10", f"{YEAR}-03-12 15:00", "", "true", ""],
        # X01-CC02: on time in April (adds one to assigned and done alike)
        ["HS-X01-0002", "1.001612", "X01", "X01-CC02", f"{YEAR}-04-01 08:00",
         f"{YEAR}-04-08", f"{YEAR}-04-08 16:30", "", "false", ""],
        # X01-CC03: late in June, objective cause confirmed by the chairman's letter
        ["HS-X01-0003", "2.000635", "X01", "X01-CC03", f"{YEAR}-06-08 09:00",
         f"{YEAR}-06-15", f"{YEAR}-06-20 10:00", "khach_quan", "true",
         "Công văn 45/UBND-VP ngày 22/06/2026"],
        # X01-CC04: due 5 October and still open
        ["HS-X01-0004", "2.000635", "X01", "X01-CC04", f"{YEAR}-09-28 14:00",
         f"{YEAR}-10-05", "", "", "false", ""],
        # X02-CC05: on time in Q2 (adds one to assigned and done alike)
        ["HS-X02-0001", "1.004884", "X02", "X02-CC05", f"{YEAR}-05-04 08:00",
         f"{YEAR}-05-11", f"{YEAR}-05-11 09:00", "", "false", ""],
        # a cán bộ's late dossier: the late-dossier points are off in 2026, nothing happens
        ["HS-X02-0002", "1.004884", "X02", "X02-CB02", f"{YEAR}-07-01 08:00",
         f"{YEAR}-07-08", f"{YEAR}-07-10 09:00", "chu_quan", "false", ""],
    ]
    return {
        "units": [["unit_id", "name", "parent_id", "tier"], *units],
        "officials": [["official_id", "full_name", "unit_id", "staff_type", "peer_group",
                       "is_leader", "months_worked", "maternity_leave", "task_score",
                       "months_absent", "recruited_on"], *officials],
        "periods": [["official_id", "period", "unit_id", "general_score", "leader_dd",
                     "leader_e"], *period_rows],
        "work_items": [["item_id", "official_id", "period", "product_code", "coefficient",
                        "assigned_qty", "done_qty", "major_errors", "delays", "cause",
                        "exemption_confirmed_by", "dossier_id"], *items],
        "dossiers": [["dossier_id", "procedure_code", "unit_id", "handler_id", "received_at",
                      "due_at", "returned_at", "late_cause", "apology_issued",
                      "exemption_confirmed_by"], *dossiers],
        "reminders": [["reminder_id", "official_id", "issued_on", "kind", "subject",
                       "document_no"]],
        "discipline": [["decision_id", "official_id", "form", "authority", "decided_on",
                        "violation_on", "document_no", "violation_id", "counted_in_year"],
                       ["KL-2026-01", "X02-CC06", "khien_trach", "chinh_quyen",
                        f"{YEAR}-08-20", f"{YEAR}-06-03", "312/QĐ-UBND", "", ""]],
        "innovations": [["award_id", "official_id", "title", "kind", "level", "recognized_on",
                         "document_no", "cchc"],
                        ["SK-2026-01", "X02-CC03", "Số hóa sổ hộ tịch của xã", "sang_kien",
                         "co_so", f"{YEAR}-10-15", "88/QĐ-UBND", "true"]],
    }


def clean(general: float) -> float:
    """A year of clean periods: a = b = c = 1, task 70."""
    return general + 70


# official -> (score, provisional level, level, titles), worked out by hand (README.md).
# Quota (good_only, 20 %): a group keeps k HTXSNV with k ≤ 0.2 × (good − k), i.e.
# ⌊good / 6⌋: every "chuyen_vien" group of công chức has 7 or 8 good → 1 kept; leaders,
# cán bộ and viên chức are groups of 1 or 3 → 0 kept. CSTDCS: 15 % of each unit's LDTT
# (13, 12, 13, 12) → 1 per unit, to the highest score among HTXSNV or initiative holders.
EXPECTED: dict[str, tuple[float, str, str, str]] = {
    # T01, monthly: VB_THAM_MUU, coefficient 1.5, 4 assigned
    "T01-CC01": (clean(27), "HTXSNV", "HTTNV", "LDTT"),  # leader, d = 1: group of 1, 0 kept
    "T01-CC02": (clean(28), "HTXSNV", "HTXSNV", "CSTDCS;LDTT"),  # kept (1st of 7 good)
    "T01-CC03": (clean(25), "HTXSNV", "HTTNV", "LDTT"),  # quota
    # May: 2 major errors: b = 1.5 × (4 − 2 × 0.25) / (1.5 × 4) = 0.875,
    # task = 70 × 2.875 / 3 = 67.083333; year = (11 × 92 + 22 + 67.083333) / 12
    "T01-CC04": ((11 * 92 + 22 + 70 * 2.875 / 3) / 12, "HTXSNV", "HTTNV", "LDTT"),
    "T01-CC05": (clean(20), "HTXSNV", "HTTNV", "LDTT"),  # quota
    "T01-CC06": (clean(18), "HTTNV", "HTTNV", "LDTT"),
    # transferred: Jan–Jun in T01 (general 15 → 85), Jul–Dec in X01 (general 20 → 90);
    # counted in X01, its unit in officials.csv
    "T01-CC07": ((6 * 85 + 6 * 90) / 12, "HTTNV", "HTTNV", "LDTT"),
    "T01-CC08": (clean(10), "HTTNV", "HTTNV", "LDTT"),
    "T01-CC09": (clean(5), "HTTNV", "HTTNV", "LDTT"),
    "T01-CB01": (92, "HTXSNV", "HTTNV", "LDTT"),  # group of 3: 0 kept
    "T01-CB02": (85, "HTTNV", "HTTNV", "LDTT"),
    "T01-CB03": (72, "HTTNV", "HTTNV", "LDTT"),
    "T01-VC01": (95, "HTXSNV", "HTTNV", "LDTT"),
    "T01-VC02": (80, "HTTNV", "HTTNV", "LDTT"),
    "T01-VC03": (48, "KHTNV", "KHTNV", ""),
    # T02, quarterly: HS_TU_PHAP, 30 assigned
    # leader: Q2 d = 0.5 (T02-CC09 at 17): task 70 × 5.5 / 6 = 64.166667 → 90.166667;
    # year = (3 × 96 × 3 + 90.166667 × 3) / 12
    "T02-CC01": ((9 * 96 + 3 * (26 + 70 * 5.5 / 6)) / 12, "HTXSNV", "HTTNV", "LDTT"),
    "T02-CC02": (clean(28), "HTXSNV", "HTXSNV", "CSTDCS;LDTT"),
    "T02-CC03": (clean(24), "HTXSNV", "HTTNV", "LDTT"),
    "T02-CC04": (clean(21), "HTXSNV", "HTTNV", "LDTT"),
    "T02-CC05": (clean(19), "HTTNV", "HTTNV", "LDTT"),
    "T02-CC06": (clean(16), "HTTNV", "HTTNV", "LDTT"),
    "T02-CC07": (clean(14), "HTTNV", "HTTNV", "LDTT"),
    # Q3: 2 delays, objective cause not confirmed: c = (30 − 0.5) / 30;
    # task = 70 × (2 + 29.5 / 30) / 3 = 69.611111; year = (9 × 82 + 3 × 81.611111) / 12
    "T02-CC08": ((9 * 82 + 3 * (12 + 70 * (2 + 29.5 / 30) / 3)) / 12, "HTTNV", "HTTNV",
                 "LDTT"),
    # Q2: 3 of 30 done: a = b = c = 0.1, task 7, period 17; year = (9 × 80 + 3 × 17) / 12
    "T02-CC09": ((9 * 80 + 3 * 17) / 12, "HTNV", "HTNV", ""),
    "T02-CB01": (88, "HTTNV", "HTTNV", "LDTT"),
    "T02-CB02": (76, "HTTNV", "HTTNV", "LDTT"),
    "T02-CB03": (64, "HTNV", "HTNV", ""),
    "T02-VC01": (91, "HTXSNV", "HTTNV", "LDTT"),
    "T02-VC02": (83, "HTTNV", "HTTNV", "LDTT"),
    "T02-VC03": (70, "HTTNV", "HTTNV", "LDTT"),
    # X01, monthly: TIEP_CONG_DAN, 10 assigned; dossiers are products
    "X01-CC01": (clean(25), "HTXSNV", "HTTNV", "LDTT"),
    # March: 10 done + dossier HS-X01-0001 late (1 delay): c = (10 + 0.75) / 11,
    # task = 70 × (2 + 10.75 / 11) / 3; April's on-time dossier changes nothing
    "X01-CC02": ((11 * 97 + 27 + 70 * (2 + 10.75 / 11) / 3) / 12, "HTXSNV", "HTXSNV",
                 "CSTDCS;LDTT"),
    # June: HS-X01-0003 late, objective cause confirmed: no deduction
    "X01-CC03": (clean(26), "HTXSNV", "HTTNV", "LDTT"),
    # October: HS-X01-0004 still open: done 0, 1 delay → a = b = c = 10 / 11
    "X01-CC04": ((11 * 94 + 24 + 70 * 10 / 11) / 12, "HTXSNV", "HTTNV", "LDTT"),
    "X01-CC05": (clean(20), "HTXSNV", "HTTNV", "LDTT"),
    "X01-CC06": (clean(17), "HTTNV", "HTTNV", "LDTT"),
    "X01-CC07": (clean(13), "HTTNV", "HTTNV", "LDTT"),
    "X01-CC08": (clean(9), "HTTNV", "HTTNV", "LDTT"),
    "X01-CC09": (clean(20), "KXL", "KXL", ""),  # 4 months worked: not classified
    "X01-CB01": (90, "HTXSNV", "HTTNV", "LDTT"),
    "X01-CB02": (78, "HTTNV", "HTTNV", "LDTT"),
    "X01-CB03": (55, "HTNV", "HTNV", ""),
    "X01-VC01": (86, "HTTNV", "HTTNV", "LDTT"),
    "X01-VC02": (74, "HTTNV", "HTTNV", "LDTT"),
    "X01-VC03": (69, "HTNV", "HTNV", ""),
    # X02, quarterly: HO_TICH, 20 assigned
    "X02-CC01": (clean(28), "HTXSNV", "HTTNV", "LDTT"),
    "X02-CC02": (clean(27), "HTXSNV", "HTXSNV", "CSTDCS;LDTT"),
    # initiative: CSTDCS candidate, second to X02-CC02 under the cap of 1; a cchc one
    "X02-CC03": (clean(23), "HTXSNV", "HTTNV", "CCHC;LDTT"),
    "X02-CC04": (clean(21), "HTXSNV", "HTTNV", "LDTT"),
    "X02-CC05": (clean(19), "HTTNV", "HTTNV", "LDTT"),  # + one on-time dossier in Q2
    "X02-CC06": (clean(16), "HTTNV", "KHTNV", ""),  # disciplined in 2026
    "X02-CC07": (clean(11), "HTTNV", "HTTNV", "LDTT"),
    "X02-CC08": (clean(8), "HTTNV", "HTTNV", "LDTT"),
    "X02-CC09": (clean(4), "HTTNV", "HTTNV", "LDTT"),
    "X02-CB01": (94, "HTXSNV", "HTTNV", "LDTT"),
    "X02-CB02": (81, "HTTNV", "HTTNV", "LDTT"),  # late dossier: no points in 2026
    "X02-CB03": (67, "HTNV", "HTNV", ""),
    "X02-VC01": (89, "HTTNV", "HTTNV", "LDTT"),
    "X02-VC02": (77, "HTTNV", "HTTNV", "LDTT"),
    "X02-VC03": (52, "HTNV", "HTNV", ""),
}


def write() -> None:
    for name, rows in build().items():
        with (HERE / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)


if __name__ == "__main__":
    write()
