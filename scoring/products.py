"""The score of an official under the products regime (SPEC §10, Decree 335/2025/NĐ-CP).

Each month's or quarter's work products give quantity a, quality b and progress c; a
period's score is the head's general score (0–30) plus the task score (0–70); the year's
score is the mean of the period scores weighted by the months each covers. A leader's task
score adds d (how the officials they directly manage did in that period), đ and e, so
leaders are scored in a second pass, after everyone else. Everything is computed over
whole tables; the explanation's rows (period → product → each deduction or exemption,
and for a leader d with the officials behind it) are built here too, as data the engine
turns into reasons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from xeploai.scoring.frames import join_groups, json_strings, number_texts
from xeploai.scoring.lateness import due_and_late, returned_by
from xeploai.scoring.policy import ProductsParams

PERIOD_PATTERN = r"^(?P<year>\d{4})-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4]))$"
PERIOD_FORMAT_TEXT = "kỳ dạng YYYY-MM (tháng) hoặc YYYY-Qn (quý, n từ 1 đến 4)"
CAUSE_VI = {"chu_quan": "chủ quan", "phan_mem": "lỗi phần mềm", "khach_quan": "khách quan"}


def parse_periods(values: pd.Series) -> pd.DataFrame:
    """``year``, ``first_month`` and ``months`` (1 or 3) of each period code; NaN where the
    code is not ``YYYY-MM`` or ``YYYY-Qn``."""
    parts = values.astype(str).str.extract(PERIOD_PATTERN)
    month = pd.to_numeric(parts["month"], errors="coerce")
    quarter = pd.to_numeric(parts["quarter"], errors="coerce")
    return pd.DataFrame({
        "year": pd.to_numeric(parts["year"], errors="coerce"),
        "first_month": month.fillna((quarter - 1) * 3 + 1),
        "months": np.where(month.notna(), 1.0, np.where(quarter.notna(), 3.0, np.nan)),
    }, index=values.index)


def month_rows(periods: pd.DataFrame) -> pd.DataFrame:
    """One row per month each period covers: ``official_id``, ``period``, ``month``."""
    spans = periods["months"].to_numpy(dtype=np.int64)
    at = np.repeat(np.arange(len(periods)), spans)
    offset = np.arange(len(at)) - np.repeat(np.cumsum(spans) - spans, spans)
    return pd.DataFrame({
        "official_id": periods["official_id"].to_numpy()[at],
        "period": periods["period"].to_numpy()[at],
        "month": periods["first_month"].to_numpy(dtype=np.int64)[at] + offset,
    })


def period_order(period: pd.Series, kind: int) -> np.ndarray:
    """An explanation order: periods in calendar order (a quarter before its months'
    neighbours), then ``kind`` within a period (0 the period, 1 d, 2 a fault)."""
    parsed = parse_periods(period)
    return ((parsed["year"].to_numpy() * 100 + parsed["first_month"].to_numpy()) * 10
            + kind).astype(np.int64)


# the year's score comes after every period
YEAR_ORDER = 10_000_000


@dataclass
class ProductScores:
    """The products regime's results for one year."""

    year_score: pd.Series  # official_id -> the months-weighted mean of the period scores
    periods: pd.DataFrame  # one row per official and period, with a, b, c, d, task, score
    items: pd.DataFrame  # one row per work item (dossiers included), with its faults


def _dossier_items(dossiers: pd.DataFrame, months: pd.DataFrame, year: int, as_of: dt.date,
                   params: ProductsParams, replaced: pd.Series) -> pd.DataFrame:
    """Each dossier due (by the as-of date) in a period its handler has a row for, as a
    work item of that period (SPEC §10 "Dossiers are products")."""
    in_scope, late = due_and_late(dossiers, year, as_of)
    done = returned_by(dossiers, as_of)
    keep = in_scope & ~dossiers["dossier_id"].isin(replaced).to_numpy()
    d = dossiers.loc[keep, ["dossier_id", "handler_id", "procedure_code", "late_cause",
                            "exemption_confirmed_by", "due_at"]].copy()
    d["done_qty"] = done[keep].astype(float)
    d["delays"] = late[keep].astype(float)
    d["month"] = d["due_at"].dt.month.astype(np.int64)
    d = d.merge(months, left_on=["handler_id", "month"], right_on=["official_id", "month"])
    return pd.DataFrame({
        "item_id": d["dossier_id"].to_numpy(), "official_id": d["official_id"].to_numpy(),
        "period": d["period"].to_numpy(), "product_code": d["procedure_code"].to_numpy(),
        "coefficient": d["procedure_code"].map(params.dossier_coefficients).fillna(1.0)
        .astype(float).to_numpy(),
        "assigned_qty": 1.0, "done_qty": d["done_qty"].to_numpy(), "major_errors": 0.0,
        "delays": d["delays"].to_numpy(), "cause": d["late_cause"].to_numpy(),
        "exemption_confirmed_by": d["exemption_confirmed_by"].to_numpy(),
        "dossier_id": d["dossier_id"].to_numpy(),
    })


def score_products(tables: dict[str, pd.DataFrame], officials: pd.DataFrame, year: int,
                   as_of: dt.date, params: ProductsParams) -> ProductScores:
    """Score the officials in ``officials`` (official_id, is_leader; those under the
    products regime) from their periods of ``year`` and their work items."""
    ids = officials["official_id"]
    leader = officials.set_index("official_id")["is_leader"].astype(bool)
    periods = tables["periods"]
    parsed = parse_periods(periods["period"])
    mine = (parsed["year"] == year) & periods["official_id"].isin(ids)
    p = pd.concat([periods[mine], parsed.loc[mine, ["first_month", "months"]]], axis=1)
    p = p.sort_values(["official_id", "period"], kind="mergesort").reset_index(drop=True)

    work = tables["work_items"]
    work = work.merge(p[["official_id", "period"]], on=["official_id", "period"])
    items = work[["item_id", "official_id", "period", "product_code", "coefficient",
                  "assigned_qty", "done_qty", "major_errors", "delays", "cause",
                  "exemption_confirmed_by", "dossier_id"]]
    if params.dossiers_as_items and len(p):
        named = work["dossier_id"].dropna()
        items = pd.concat([items, _dossier_items(tables["dossiers"], month_rows(p), year,
                                                 as_of, params, named)], ignore_index=True)
    items = items.sort_values(["official_id", "period", "item_id"], kind="mergesort") \
        .reset_index(drop=True)

    # faults: an objective cause with a confirmation removes nothing (SPEC §10)
    confirmed = items["exemption_confirmed_by"].fillna("").astype(str).str.strip() != ""
    items["exempt"] = items["cause"].isin(params.objective_causes) & confirmed
    k = params.deduction_per_fault
    w = items["coefficient"].astype(float)
    done = items["done_qty"].astype(float)
    items["counted_errors"] = items["major_errors"].where(~items["exempt"], 0.0)
    items["counted_delays"] = items["delays"].where(~items["exempt"], 0.0)
    items["quantity"] = w * done
    items["quality"] = w * np.maximum(0.0, done - k * items["counted_errors"])
    items["progress"] = w * np.maximum(0.0, done - k * items["counted_delays"])
    items["base"] = w * items["assigned_qty"].astype(float)

    sums = items.groupby(["official_id", "period"])[["quantity", "quality", "progress",
                                                      "base"]].sum()
    p = p.join(sums, on=["official_id", "period"])
    p["a"] = p["quantity"] / p["base"]
    p["b"] = p["quality"] / p["base"]
    p["c"] = p["progress"] / p["base"]
    p["is_leader"] = p["official_id"].map(leader).astype(bool).to_numpy()
    p["task"] = params.task_max * (p["a"] + p["b"] + p["c"]) / 3
    p["score"] = p["general_score"] + p["task"]

    # second pass: d from the period scores of the non-leaders of the same unit and period
    staff = p[~p["is_leader"]]
    lowest = staff.groupby(["period", "unit_id"])["score"].min().rename("staff_min")
    p = p.join(lowest, on=["period", "unit_id"])
    below = p["staff_min"] < params.subordinate_min
    p["d"] = np.where(below, params.leader_d_below, 1.0)
    lead = p["is_leader"]
    p.loc[lead, "task"] = params.task_max * (
        p["a"] + p["b"] + p["c"] + p["d"] + p["leader_dd"] + p["leader_e"])[lead] / 6
    p.loc[lead, "score"] = p["general_score"][lead] + p["task"][lead]
    p.loc[~lead, "d"] = np.nan

    weighted = (p["score"] * p["months"]).groupby(p["official_id"]).sum()
    months = p.groupby("official_id")["months"].sum()
    return ProductScores((weighted / months).round(6), p, items)


# --- the explanation: rows the engine turns into reasons ---------------------------------


def period_notes(scores: ProductScores, params: ProductsParams) -> pd.DataFrame:
    """One row per official and period: note, params (JSON) and evidence (JSON list)."""
    p, items = scores.periods, scores.items
    key = p["official_id"] + "\x1f" + p["period"]
    # each product of the period: its code, then quantities (items of one code summed)
    by_code = items.groupby(["official_id", "period", "product_code"], sort=True).agg(
        assigned=("assigned_qty", "sum"), done=("done_qty", "sum"),
        coefficient=("coefficient", "first"), quantity=("quantity", "sum"),
        quality=("quality", "sum"), progress=("progress", "sum")).reset_index()
    product_text = (by_code["product_code"] + " (hệ số " + number_texts(by_code["coefficient"])
                    + "): giao " + number_texts(by_code["assigned"]) + ", hoàn thành "
                    + number_texts(by_code["done"]) + " → số lượng "
                    + number_texts(by_code["quantity"]) + ", chất lượng "
                    + number_texts(by_code["quality"]) + ", tiến độ "
                    + number_texts(by_code["progress"]))
    products = join_groups(product_text, by_code["official_id"] + "\x1f" + by_code["period"],
                           "; ").reindex(key).fillna("").to_numpy()
    evidence = join_groups(json_strings(items["item_id"]),
                           items["official_id"] + "\x1f" + items["period"], ", ", "[", "]") \
        .reindex(key).fillna("[]").to_numpy()
    lead = p["is_leader"].to_numpy()
    abc = ("a " + number_texts(p["a"]) + " + b " + number_texts(p["b"]) + " + c "
           + number_texts(p["c"]))
    leader_terms = (" + d " + number_texts(p["d"].fillna(0)) + " + đ "
                    + number_texts(p["leader_dd"]) + " + e " + number_texts(p["leader_e"]))
    formula = np.where(lead, number_texts(pd.Series(params.task_max, index=p.index))
                       + " × (" + abc + leader_terms + ") / 6",
                       number_texts(pd.Series(params.task_max, index=p.index))
                       + " × (" + abc + ") / 3")
    note = ("Kỳ " + p["period"] + " (" + number_texts(p["months"]) + " tháng, đơn vị "
            + p["unit_id"] + "): điểm nhiệm vụ " + formula + " = " + number_texts(p["task"])
            + "; điểm tiêu chí chung " + number_texts(p["general_score"]) + " → điểm kỳ "
            + number_texts(p["score"]) + ". Sản phẩm: " + products)
    values = ('{"period": ' + json_strings(p["period"]) + ', "months": '
              + number_texts(p["months"]) + ', "unit_id": ' + json_strings(p["unit_id"])
              + ', "general_score": ' + number_texts(p["general_score"]) + ', "a": '
              + number_texts(p["a"]) + ', "b": ' + number_texts(p["b"]) + ', "c": '
              + number_texts(p["c"]) + ', "task_score": ' + number_texts(p["task"])
              + ', "period_score": ' + number_texts(p["score"])
              + np.where(lead, ', "d": ' + number_texts(p["d"].fillna(0)) + ', "dd": '
                         + number_texts(p["leader_dd"]) + ', "e": '
                         + number_texts(p["leader_e"]), "") + "}")
    return pd.DataFrame({"official_id": p["official_id"].to_numpy(), "note": note.to_numpy(),
                         "params": values.to_numpy(), "evidence": evidence,
                         "order": period_order(p["period"], 0)})


def fault_notes(scores: ProductScores, params: ProductsParams) -> pd.DataFrame:
    """One row per work item with a fault: deducted (``exempt`` False) or exempt, with the
    item's id (or dossier id) as evidence and who confirmed an exemption."""
    items = scores.items
    faulty = items[(items["major_errors"] > 0) | (items["delays"] > 0)]
    pct = number_texts(pd.Series(params.deduction_per_fault * 100, index=faulty.index))
    what = np.where(faulty["dossier_id"].notna(), "hồ sơ " + faulty["dossier_id"].fillna(""),
                    "mục " + faulty["item_id"])
    cause = faulty["cause"].map(CAUSE_VI).fillna("chủ quan (không ghi nguyên nhân)")
    objective = faulty["cause"].isin(params.objective_causes)
    faults = (np.where(faulty["major_errors"] > 0,
                       number_texts(faulty["major_errors"]) + " lỗi lớn", "")
              + np.where((faulty["major_errors"] > 0) & (faulty["delays"] > 0), ", ", "")
              + np.where(faulty["delays"] > 0, number_texts(faulty["delays"]) + " lần chậm",
                         ""))
    head = ("Kỳ " + faulty["period"] + ", sản phẩm " + faulty["product_code"] + " (" + what
            + "): " + faults + ", nguyên nhân " + cause)
    deducted = (" → trừ " + pct + "% mỗi lỗi/lần chậm: chất lượng "
                + number_texts(faulty["quality"]) + ", tiến độ "
                + number_texts(faulty["progress"]) + " (trên hệ số × hoàn thành "
                + number_texts(faulty["quantity"]) + ")"
                + np.where(objective, "; nguyên nhân khách quan nhưng chưa được xác nhận nên "
                           "vẫn bị trừ", ""))
    exempt = (" → không trừ: nguyên nhân khách quan đã được xác nhận bởi "
              + faulty["exemption_confirmed_by"].fillna("").astype(str))
    note = head + np.where(faulty["exempt"], exempt, deducted)
    evidence = "[" + json_strings(faulty["item_id"]) + "]"
    values = ('{"period": ' + json_strings(faulty["period"]) + ', "product_code": '
              + json_strings(faulty["product_code"]) + ', "major_errors": '
              + number_texts(faulty["major_errors"]) + ', "delays": '
              + number_texts(faulty["delays"]) + ', "deduction_per_fault": '
              + number_texts(pd.Series(params.deduction_per_fault, index=faulty.index))
              + ', "exempt": ' + np.where(faulty["exempt"], "true", "false")
              + np.where(faulty["exempt"], ', "confirmed_by": '
                         + json_strings(faulty["exemption_confirmed_by"].fillna("")), "")
              + "}")
    return pd.DataFrame({"official_id": faulty["official_id"].to_numpy(),
                         "exempt": faulty["exempt"].to_numpy(dtype=bool),
                         "note": note.to_numpy(), "params": values.to_numpy(),
                         "evidence": evidence.to_numpy(),
                         "order": period_order(faulty["period"], 2)})


def leader_notes(scores: ProductScores, params: ProductsParams) -> pd.DataFrame:
    """One row per leader and period: d and the officials behind it (evidence)."""
    p = scores.periods
    staff = p[~p["is_leader"]]
    lead = p[p["is_leader"]]
    key = staff["period"] + "\x1f" + staff["unit_id"]
    low = staff["score"] < params.subordinate_min
    everyone = join_groups(json_strings(staff["official_id"]), key, ", ")
    below = join_groups(staff["official_id"][low] + " (" + number_texts(staff["score"][low])
                        + " điểm)", key[low], ", ")
    below_ids = join_groups(json_strings(staff["official_id"][low]), key[low], ", ")
    lkey = lead["period"] + "\x1f" + lead["unit_id"]
    has_staff = lkey.isin(everyone.index).to_numpy()
    has_low = lkey.isin(below.index).to_numpy()
    threshold = number_texts(pd.Series(params.subordinate_min, index=lead.index))
    note = np.where(
        has_low,
        "Kỳ " + lead["period"] + ": d = " + number_texts(lead["d"])
        + " vì có công chức do lãnh đạo quản lý trực tiếp (đơn vị " + lead["unit_id"]
        + ") dưới " + threshold + " điểm trong kỳ: " + lkey.map(below).astype(object).fillna(""),
        np.where(has_staff,
                 "Kỳ " + lead["period"] + ": d = 1, mọi công chức do lãnh đạo quản lý trực "
                 "tiếp (đơn vị " + lead["unit_id"] + ") đạt từ " + threshold
                 + " điểm trong kỳ",
                 "Kỳ " + lead["period"] + ": d = 1, không có công chức nào do lãnh đạo quản "
                 "lý trực tiếp có kết quả kỳ này (đơn vị " + lead["unit_id"] + ")"))
    evidence = "[" + np.where(has_low, lkey.map(below_ids).astype(object).fillna(""),
                              lkey.map(everyone).astype(object).fillna("")) + "]"
    values = ('{"period": ' + json_strings(lead["period"]) + ', "d": '
              + number_texts(lead["d"]) + ', "subordinate_min": ' + threshold
              + ', "leader_d_below": '
              + number_texts(pd.Series(params.leader_d_below, index=lead.index)) + "}")
    return pd.DataFrame({"official_id": lead["official_id"].to_numpy(),
                         "note": np.asarray(note, dtype=object),
                         "params": values.to_numpy(),
                         "evidence": np.asarray(evidence, dtype=object),
                         "order": period_order(lead["period"], 1)})


def year_notes(scores: ProductScores) -> pd.DataFrame:
    """One row per official: the year's score as the months-weighted mean of the periods."""
    p = scores.periods
    terms = join_groups(number_texts(p["score"]) + " × " + number_texts(p["months"]),
                        p["official_id"], " + ")
    months = p.groupby("official_id")["months"].sum()
    n = p.groupby("official_id").size()
    ids = terms.index
    score = scores.year_score.reindex(ids)
    note = ("Điểm năm theo sản phẩm = (" + terms + ") / " + number_texts(months.reindex(ids))
            + " tháng = " + number_texts(score) + " (trung bình các kỳ theo số tháng)")
    values = ('{"periods": ' + n.reindex(ids).astype(str) + ', "months": '
              + number_texts(months.reindex(ids)) + ', "year_score": ' + number_texts(score)
              + "}")
    return pd.DataFrame({"official_id": ids.to_numpy(dtype=object), "note": note.to_numpy(),
                         "params": values.to_numpy(), "evidence": "[]",
                         "order": YEAR_ORDER})
