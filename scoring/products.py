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
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .frames import (
    TEXT,
    arrow_texts,
    concat_texts,
    is_in,
    join_rows,
    json_arrow_strings,
    json_texts,
    number_arrow_texts,
    number_text,
    pair_keys,
)
from .lateness import due_and_late, returned_by
from .policy import ProductsParams

PERIOD_PATTERN = r"^(?P<year>\d{4})-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4]))$"
PERIOD_FORMAT_TEXT = "kỳ dạng YYYY-MM (tháng) hoặc YYYY-Qn (quý, n từ 1 đến 4)"
CAUSE_VI = {"chu_quan": "chủ quan", "phan_mem": "lỗi phần mềm", "khach_quan": "khách quan"}


def parse_periods(values: pd.Series) -> pd.DataFrame:
    """``year``, ``first_month`` and ``months`` (1 or 3) of each period code; NaN where the
    code is not ``YYYY-MM`` or ``YYYY-Qn``. Each distinct code is parsed once (a province
    has a million rows and a few dozen codes)."""
    codes, distinct = pd.factorize(values.astype(str))
    parts = pd.Series(np.asarray(distinct, dtype=object)).str.extract(PERIOD_PATTERN)
    month = pd.to_numeric(parts["month"], errors="coerce")
    quarter = pd.to_numeric(parts["quarter"], errors="coerce")
    parsed = pd.DataFrame({
        "year": pd.to_numeric(parts["year"], errors="coerce"),
        "first_month": month.fillna((quarter - 1) * 3 + 1),
        "months": np.where(month.notna(), 1.0, np.where(quarter.notna(), 3.0, np.nan)),
    })
    # a blank cell (code -1) reads as no period: the last row, all NaN
    table = np.vstack([parsed.to_numpy(dtype=float), np.full((1, 3), np.nan)])
    return pd.DataFrame(table[codes], columns=parsed.columns, index=values.index)


def month_rows(periods: pd.DataFrame) -> pd.DataFrame:
    """One row per month each period covers: ``row`` (the period's position),
    ``official_id``, ``period``, ``month``."""
    spans = periods["months"].to_numpy(dtype=np.int64)
    at = np.repeat(np.arange(len(periods)), spans)
    offset = np.arange(len(at)) - np.repeat(np.cumsum(spans) - spans, spans)
    return pd.DataFrame({
        "row": at,
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


def params_texts(values: pd.DataFrame, more_where: np.ndarray | None = None,
                 more: Mapping[str, pd.Series | str] | None = None) -> np.ndarray:
    """The params of each explanation row: its typed values (a column per key) written by
    the one writer of params text, :func:`frames.json_texts` (keys sorted, numbers as JSON
    numbers); the rows of ``more_where`` also carry the keys of ``more`` (a leader's d, đ
    and e; who confirmed an exemption). Counts are integers, scores and quantities the
    floats they were computed as (docs/decisions.md 124)."""
    out = np.empty(len(values), dtype=object)
    if more_where is None or more is None:
        out[:] = json_texts(values).to_numpy()
        return out
    out[~more_where] = json_texts(values[~more_where]).to_numpy()
    if more_where.any():  # (an empty frame would take the index of a column assigned to it)
        out[more_where] = json_texts(values[more_where].assign(**more)).to_numpy()
    return out


@dataclass
class ProductScores:
    """The products regime's results for one year."""

    year_score: pd.Series  # official_id -> the months-weighted mean of the period scores
    periods: pd.DataFrame  # one row per official and period, with a, b, c, d, task, score
    # one row per work item (dossiers included), with its faults and its period's position
    # (``row``), in the order they came: work items, then dossiers
    items: pd.DataFrame


def _row_of(keys: pa.Array, rows: pa.Array) -> np.ndarray:
    """The position of each key among ``rows`` (-1 where absent)."""
    return pc.fill_null(pc.index_in(keys, value_set=rows), -1).to_numpy(
        zero_copy_only=False).astype(np.int64)


def _dossier_items(dossiers: pd.DataFrame, p: pd.DataFrame, year: int, as_of: dt.date,
                   params: ProductsParams, replaced: pd.Series) -> pd.DataFrame:
    """Each dossier due (by the as-of date) in a period its handler has a row for, as a
    work item of that period (SPEC §10 "Dossiers are products"); ``row`` is the period's
    position in ``p``.

    A dossier finds its period through integer keys (its handler's position among the
    periods' officials × 12 + the month it is due), and only the columns an item needs are
    taken, once: text keys and two filterings of every column of a province's 2,000,000
    dossiers cost 0.5–0.7 s (docs/decisions.md 124)."""
    in_scope, late = due_and_late(dossiers, year, as_of)
    kept = np.flatnonzero(in_scope & is_in(dossiers["handler_id"], p["official_id"])
                          & ~is_in(dossiers["dossier_id"], replaced))
    months = month_rows(p)
    official_of_row, officials = pd.factorize(p["official_id"])
    # (official, month of the year) -> the first month row covering it (the first period)
    month_keys = official_of_row[months["row"].to_numpy()] * 12 \
        + months["month"].to_numpy(dtype=np.int64) - 1
    distinct_keys, first = np.unique(month_keys, return_index=True)
    period_of_key = np.full(len(officials) * 12, -1, dtype=np.int64)
    period_of_key[distinct_keys] = months["row"].to_numpy()[first]
    # every kept dossier is due in ``year`` and handled by one of the periods' officials
    handler = _row_of(arrow_texts(dossiers["handler_id"].take(kept)),
                      arrow_texts(np.asarray(officials, dtype=object)))
    due_month = (dossiers["due_at"].to_numpy()[kept].astype("datetime64[M]")
                 - np.datetime64(f"{year}-01", "M")).astype(np.int64)
    at = period_of_key[handler * 12 + due_month]
    found = at >= 0
    chosen = kept[found]
    # text columns stay as they were read (a province's 2,000,000 dossiers: converting
    # them to Python objects and back costs more than the whole score)
    d = dossiers[["dossier_id", "procedure_code", "late_cause", "exemption_confirmed_by",
                  "returned_at"]].take(chosen).reset_index(drop=True)
    out = d[["dossier_id", "procedure_code", "late_cause", "exemption_confirmed_by"]].rename(
        columns={"procedure_code": "product_code", "late_cause": "cause"})
    out["item_id"] = d["dossier_id"]
    out["row"] = at[found]
    coefficient = params.dossier_coefficients
    out["coefficient"] = d["procedure_code"].map(coefficient).fillna(1.0).astype(float) \
        if coefficient else 1.0
    out["assigned_qty"] = 1.0
    out["done_qty"] = returned_by(d, as_of).astype(float)
    out["major_errors"] = 0.0
    out["delays"] = late[chosen].astype(float)
    return out


ITEM_COLUMNS = ("item_id", "product_code", "coefficient", "assigned_qty", "done_qty",
                "major_errors", "delays", "cause", "exemption_confirmed_by", "dossier_id")


def score_products(tables: dict[str, pd.DataFrame], officials: pd.DataFrame, year: int,
                   as_of: dt.date, params: ProductsParams) -> ProductScores:
    """Score the officials in ``officials`` (official_id, is_leader; those under the
    products regime) from their periods of ``year`` and their work items. Items find
    their period by position (``row``), so sums are array operations, not string joins."""
    ids = officials["official_id"]
    periods = tables["periods"]
    parsed = parse_periods(periods["period"])
    mine = (parsed["year"] == year).to_numpy() & is_in(periods["official_id"], ids)
    p = pd.concat([periods[mine], parsed.loc[mine, ["first_month", "months"]]], axis=1)
    p = p.sort_values(["official_id", "period"], kind="mergesort").reset_index(drop=True)
    period_keys = pair_keys(p["official_id"], p["period"])

    work = tables["work_items"]
    at = _row_of(pair_keys(work["official_id"], work["period"]), period_keys)
    work = work[at >= 0]
    items = work[list(ITEM_COLUMNS)].assign(row=at[at >= 0])
    if params.dossiers_as_items and len(p):
        items = pd.concat([items, _dossier_items(tables["dossiers"], p, year, as_of, params,
                                                 work["dossier_id"].dropna())],
                          ignore_index=True)
    # the items stay as they come (work items, then dossiers), not sorted by period: sums
    # by period add each period's items in the same order either way (so to the same
    # bits), and the explanation sorts the few it lists (docs/decisions.md 124)
    row = items["row"].to_numpy(dtype=np.int64)
    # taken as the text columns they are (as Python objects, 2,400,000 of each cost 0.2 s)
    items["official_id"] = p["official_id"].take(row).reset_index(drop=True)
    items["period"] = p["period"].take(row).reset_index(drop=True)

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

    for column in ("quantity", "quality", "progress", "base"):
        p[column] = np.bincount(row, weights=items[column].to_numpy(dtype=float),
                                minlength=len(p))
    p["base"] = p["base"].where(p["base"] > 0)  # a period with nothing assigned: NaN
    p["a"] = p["quantity"] / p["base"]
    p["b"] = p["quality"] / p["base"]
    p["c"] = p["progress"] / p["base"]
    leader = officials["is_leader"].astype(bool).to_numpy()
    p["is_leader"] = leader[pd.Index(ids.to_numpy(dtype=object)).get_indexer(
        p["official_id"].to_numpy(dtype=object))]
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

    weighted = (p["score"] * p["months"]).groupby(p["official_id"], sort=False).sum()
    months = p.groupby("official_id", sort=False)["months"].sum()
    return ProductScores((weighted / months).round(6), p, items)


# --- the explanation: rows the engine turns into reasons ---------------------------------


def _in_period_order(items: pd.DataFrame, chosen: np.ndarray) -> np.ndarray:
    """The positions of the ``chosen`` items by period (a stable sort: in a period, in the
    order they came)."""
    at = np.flatnonzero(chosen)
    return at[np.argsort(items["row"].to_numpy(dtype=np.int64)[at], kind="stable")]


def _sums_by_row_and_code(items: pd.DataFrame) -> tuple[np.ndarray, pa.Array, dict]:
    """The items of each period summed by product code: the period's position, the code's
    text, and the quantities (the coefficient is the code's first item's), in period then
    code order. Sorted integer keys and ``np.add.reduceat``: a two-key groupby of a
    province's 2,400,000 items costs several times more."""
    row = items["row"].to_numpy(dtype=np.int64)
    code_number, codes = pd.factorize(items["product_code"], sort=True)
    key = row * max(len(codes), 1) + code_number
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else \
        np.zeros(0, dtype=np.int64)
    sums = {name: np.add.reduceat(items[column].to_numpy(dtype=float)[order], starts)
            if len(starts) else np.zeros(0)
            for name, column in (("assigned", "assigned_qty"), ("done", "done_qty"),
                                 ("quantity", "quantity"), ("quality", "quality"),
                                 ("progress", "progress"))}
    sums["coefficient"] = items["coefficient"].to_numpy(dtype=float)[order][starts]
    names = arrow_texts(np.asarray(codes, dtype=object)).take(
        pa.array(code_number[order][starts]))
    return row[order][starts], names, sums


def period_notes(scores: ProductScores, params: ProductsParams) -> pd.DataFrame:
    """One row per official and period: note, params (JSON) and evidence (JSON list).

    Texts are Arrow arrays joined by C kernels (:func:`concat_texts`, :func:`join_rows`):
    a province has 300,000 periods and 1,800,000 period products, and one f-string per
    row cost seconds."""
    p, items = scores.periods, scores.items
    n = len(p)
    # each product of the period: its code, then quantities (items of one code summed)
    product_row, names, sums = _sums_by_row_and_code(items)
    num = {name: number_arrow_texts(values) for name, values in sums.items()}
    product_text = concat_texts(
        names, " (hệ số ", num["coefficient"], "): giao ", num["assigned"], ", hoàn thành ",
        num["done"], " → số lượng ", num["quantity"], ", chất lượng ", num["quality"],
        ", tiến độ ", num["progress"])
    products = join_rows(product_text, product_row, n, "; ")
    # evidence: the work items' ids; dossiers are counted per procedure in the note (a
    # clerk's hundreds a year) and each late one is its own reason with its id
    own = _in_period_order(items, items["dossier_id"].isna().to_numpy())
    evidence = join_rows(json_arrow_strings(items["item_id"].take(own)),
                         items["row"].to_numpy(dtype=np.int64)[own], n, ", ", "[", "]")
    lead = pa.array(p["is_leader"].to_numpy(dtype=bool))
    a, b, c = (number_arrow_texts(p[k]) for k in ("a", "b", "c"))
    d, dd, e = (number_arrow_texts(p[k].fillna(0) if k == "d" else p[k])
                for k in ("d", "leader_dd", "leader_e"))
    months, task, general, score = (number_arrow_texts(p[k]) for k in
                                    ("months", "task", "general_score", "score"))
    period, unit = arrow_texts(p["period"]), arrow_texts(p["unit_id"])
    leader_terms = pc.if_else(lead, concat_texts(" + d ", d, " + đ ", dd, " + e ", e, ") / 6"),
                              pa.scalar(") / 3", TEXT))
    note = concat_texts(
        "Kỳ ", period, " (", months, " tháng, đơn vị ", unit, "): điểm nhiệm vụ ",
        number_text(params.task_max), " × (a ", a, " + b ", b, " + c ", c, leader_terms, " = ",
        task, "; điểm tiêu chí chung ", general, " → điểm kỳ ", score, ". Sản phẩm: ",
        products)
    leader = p["is_leader"].to_numpy(dtype=bool)
    values = params_texts(pd.DataFrame({
        "period": p["period"], "months": p["months"].astype(np.int64), "unit_id": p["unit_id"],
        "general_score": p["general_score"].astype(float), "a": p["a"], "b": p["b"],
        "c": p["c"], "task_score": p["task"], "period_score": p["score"]}),
        leader, {"d": p["d"], "dd": p["leader_dd"].astype(float),
                 "e": p["leader_e"].astype(float)})
    # the Arrow arrays become pandas' text columns as they are (no Python string per row)
    return pd.DataFrame({"official_id": p["official_id"].to_numpy(),
                         "note": pd.Series(note, dtype="str"),
                         "params": values,
                         "evidence": pd.Series(evidence, dtype="str"),
                         "order": period_order(p["period"], 0)})


def fault_notes(scores: ProductScores, params: ProductsParams) -> pd.DataFrame:
    """One row per work item with a fault: deducted (``exempt`` False) or exempt, with the
    item's id (or dossier id) as evidence and who confirmed an exemption."""
    items = scores.items
    faulty = items.take(_in_period_order(
        items, ((items["major_errors"] > 0) | (items["delays"] > 0)).to_numpy()))
    pct = number_text(params.deduction_per_fault * 100)
    dossier = faulty["dossier_id"]
    what = pc.if_else(pa.array(dossier.notna().to_numpy()),
                      concat_texts("hồ sơ ", arrow_texts(dossier.fillna(""))),
                      concat_texts("mục ", arrow_texts(faulty["item_id"])))
    cause = arrow_texts(faulty["cause"].map(CAUSE_VI).fillna("chủ quan (không ghi nguyên "
                                                             "nhân)"))
    objective = pa.array(faulty["cause"].isin(params.objective_causes).to_numpy())
    exempt = pa.array(faulty["exempt"].to_numpy(dtype=bool))
    has_errors = pa.array((faulty["major_errors"] > 0).to_numpy())
    has_delays = pa.array((faulty["delays"] > 0).to_numpy())
    errors, delays = number_arrow_texts(faulty["major_errors"]), \
        number_arrow_texts(faulty["delays"])
    nothing = pa.scalar("", TEXT)
    faults = concat_texts(
        pc.if_else(has_errors, concat_texts(errors, " lỗi lớn"), nothing),
        pc.if_else(pc.and_(has_errors, has_delays), pa.scalar(", ", TEXT), nothing),
        pc.if_else(has_delays, concat_texts(delays, " lần chậm"), nothing))
    period, code = arrow_texts(faulty["period"]), arrow_texts(faulty["product_code"])
    deducted = concat_texts(
        " → trừ ", pct, "% mỗi lỗi/lần chậm: chất lượng ",
        number_arrow_texts(faulty["quality"]), ", tiến độ ",
        number_arrow_texts(faulty["progress"]), " (trên hệ số × hoàn thành ",
        number_arrow_texts(faulty["quantity"]), ")",
        pc.if_else(objective, pa.scalar("; nguyên nhân khách quan nhưng chưa được xác nhận "
                                        "nên vẫn bị trừ", TEXT), nothing))
    confirmed_by = faulty["exemption_confirmed_by"].fillna("")
    exempt_text = concat_texts(" → không trừ: nguyên nhân khách quan đã được xác nhận bởi ",
                               arrow_texts(confirmed_by.astype(str)))
    note = concat_texts("Kỳ ", period, ", sản phẩm ", code, " (", what, "): ", faults,
                        ", nguyên nhân ", cause, pc.if_else(exempt, exempt_text, deducted))
    evidence = concat_texts("[", json_arrow_strings(faulty["item_id"]), "]")
    is_exempt = faulty["exempt"].to_numpy(dtype=bool)
    values = params_texts(pd.DataFrame({
        "period": faulty["period"], "product_code": faulty["product_code"],
        "major_errors": faulty["major_errors"].astype(float),
        "delays": faulty["delays"].astype(float),
        "deduction_per_fault": float(params.deduction_per_fault), "exempt": is_exempt}),
        is_exempt, {"confirmed_by": confirmed_by.astype(str)})
    return pd.DataFrame({"official_id": faulty["official_id"].to_numpy(),
                         "exempt": is_exempt,
                         "note": pd.Series(note, dtype="str"),
                         "params": values,
                         "evidence": pd.Series(evidence, dtype="str"),
                         "order": period_order(faulty["period"], 2)})


def _grouped(texts: pa.Array, codes: np.ndarray, groups: int, sep: str) -> pa.Array:
    """``sep.join`` of the texts of each group (``codes``: each text's group, 0..groups-1),
    in the texts' order within a group."""
    order = np.argsort(codes, kind="stable")
    return join_rows(texts.take(pa.array(order, pa.int64())), codes[order], groups, sep)


def leader_notes(scores: ProductScores, params: ProductsParams) -> pd.DataFrame:
    """One row per leader and period: d and the officials behind it (evidence): the
    non-leaders of the same unit and period, grouped by integer codes of (period, unit)
    and joined by Arrow (no Python string per official and period)."""
    p = scores.periods
    is_leader = p["is_leader"].to_numpy(dtype=bool)
    staff, lead = p[~is_leader], p[is_leader]
    keys = arrow_texts(pair_keys(p["period"], p["unit_id"]))
    staff_keys = keys.filter(pa.array(~is_leader))
    lead_keys = keys.filter(pa.array(is_leader))
    encoded = pc.dictionary_encode(staff_keys)  # groups in order of first appearance
    group = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    distinct_keys = encoded.dictionary
    groups = len(distinct_keys)
    low = (staff["score"] < params.subordinate_min).to_numpy()
    staff_ids = arrow_texts(staff["official_id"])
    everyone = _grouped(json_arrow_strings(staff["official_id"]), group, groups, ", ")
    below = _grouped(concat_texts(staff_ids.filter(pa.array(low)), " (",
                                  number_arrow_texts(staff["score"].to_numpy()[low]),
                                  " điểm)"), group[low], groups, ", ")
    below_ids = _grouped(json_arrow_strings(staff["official_id"][low]), group[low], groups,
                         ", ")
    low_count = np.bincount(group[low], minlength=groups)
    # each leader's group among the staff's (-1: no non-leader in that unit and period)
    at = pc.fill_null(pc.index_in(lead_keys, value_set=distinct_keys), -1).to_numpy(
        zero_copy_only=False).astype(np.int64)
    has_staff = at >= 0
    has_low = has_staff & (low_count[np.maximum(at, 0)] > 0) if groups else has_staff
    index = pa.array(np.maximum(at, 0), pa.int64())
    if groups:
        below_of, below_ids_of, everyone_of = (g.take(index)
                                               for g in (below, below_ids, everyone))
    else:
        below_of = below_ids_of = everyone_of = pa.array([""] * len(lead), TEXT)
    period, unit = arrow_texts(lead["period"]), arrow_texts(lead["unit_id"])
    threshold = number_text(params.subordinate_min)
    note = pc.if_else(
        pa.array(has_low),
        concat_texts("Kỳ ", period, ": d = ", number_arrow_texts(lead["d"]),
                     " vì có công chức do lãnh đạo quản lý trực tiếp (đơn vị ", unit,
                     ") dưới ", threshold, " điểm trong kỳ: ", below_of),
        pc.if_else(pa.array(has_staff),
                   concat_texts("Kỳ ", period, ": d = 1, mọi công chức do lãnh đạo quản lý "
                                "trực tiếp (đơn vị ", unit, ") đạt từ ", threshold,
                                " điểm trong kỳ"),
                   concat_texts("Kỳ ", period, ": d = 1, không có công chức nào do lãnh đạo "
                                "quản lý trực tiếp có kết quả kỳ này (đơn vị ", unit, ")")))
    nothing = pa.scalar("", TEXT)
    evidence = concat_texts("[", pc.if_else(pa.array(has_low), below_ids_of,
                                            pc.if_else(pa.array(has_staff), everyone_of,
                                                       nothing)), "]")
    values = params_texts(pd.DataFrame({
        "period": lead["period"], "d": lead["d"],
        "subordinate_min": float(params.subordinate_min),
        "leader_d_below": float(params.leader_d_below)}))
    return pd.DataFrame({"official_id": lead["official_id"].to_numpy(),
                         "note": note.to_numpy(zero_copy_only=False),
                         "params": values,
                         "evidence": evidence.to_numpy(zero_copy_only=False),
                         "order": period_order(lead["period"], 1)})


def year_notes(scores: ProductScores) -> pd.DataFrame:
    """One row per official: the year's score as the months-weighted mean of the periods.

    The periods come sorted by official: each official's terms are joined by Arrow over
    consecutive rows (:func:`join_rows`), no Python string per period."""
    p = scores.periods
    ids = arrow_texts(p["official_id"])
    n = len(ids)
    starts = np.r_[True, pc.not_equal(ids[1:], ids[:-1]).to_numpy(zero_copy_only=False)] \
        if n else np.zeros(0, dtype=bool)
    first, group = np.flatnonzero(starts), np.cumsum(starts) - 1
    months = p["months"].to_numpy(dtype=float)
    terms = join_rows(concat_texts(number_arrow_texts(p["score"]), " × ",
                                   number_arrow_texts(months)), group, len(first), " + ")
    official = ids.take(pa.array(first, pa.int64()))
    month_sums = np.add.reduceat(months, first) if n else np.zeros(0)
    score = scores.year_score.reindex(pd.Index(official.to_numpy(zero_copy_only=False),
                                               dtype=object)).to_numpy(dtype=float)
    note = concat_texts("Điểm năm theo sản phẩm = (", terms, ") / ",
                        number_arrow_texts(month_sums), " tháng = ", number_arrow_texts(score),
                        " (trung bình các kỳ theo số tháng)")
    values = params_texts(pd.DataFrame({
        "periods": np.diff(np.r_[first, n]).astype(np.int64),
        "months": month_sums.astype(np.int64), "year_score": score}))
    return pd.DataFrame({"official_id": official.to_numpy(zero_copy_only=False),
                         "note": note.to_numpy(zero_copy_only=False),
                         "params": values, "evidence": "[]",
                         "order": YEAR_ORDER})
