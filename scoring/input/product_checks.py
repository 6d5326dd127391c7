"""The checks across rows of the products regime's input (SPEC §10), declared once and run
by both reading paths: the reference loader reports each failing row, the fast path gives
up to it at the first one.

Column-wise checks (types, codes, bounds, references) come from the row models in
``records.py``; these are the rest: period codes, quantities, overlapping periods, and
periods and work items that must come in pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..frames import pair_keys, pairs_in
from ..products import PERIOD_FORMAT_TEXT, parse_periods


@dataclass(frozen=True)
class RowCheck:
    """Rows of ``table`` failing one check: the mask, the column to name and what was
    expected (``check`` is the code a policy could downgrade, see cross_checks.DOWNGRADABLE)."""

    table: str
    failing: pd.Series
    column: str
    expected: str
    check: str = "format"


def products_checks(tables: Mapping[str, pd.DataFrame]) -> list[RowCheck]:
    """Every cross-row check of ``periods`` and ``work_items`` (empty tables pass)."""
    periods, items = tables.get("periods"), tables.get("work_items")
    if periods is None or items is None or (periods.empty and items.empty):
        return []
    if not ({"official_id", "period"} <= set(periods.columns) and {
            "official_id", "period", "coefficient", "assigned_qty", "done_qty"}
            <= set(items.columns)):
        return []  # a missing column is reported already (missing_column)
    out: list[RowCheck] = []
    parsed = parse_periods(periods["period"])
    out.append(RowCheck("periods", parsed["months"].isna(), "period", PERIOD_FORMAT_TEXT))
    out.append(RowCheck("work_items", parse_periods(items["period"])["months"].isna(),
                        "period", PERIOD_FORMAT_TEXT))
    # bounds the column rules don't carry (strictly positive) and between two columns
    out.append(RowCheck("work_items", ~(items["coefficient"] > 0), "coefficient",
                        "hệ số quy đổi phải lớn hơn 0"))
    out.append(RowCheck("work_items", ~(items["assigned_qty"] > 0), "assigned_qty",
                        "số lượng giao phải lớn hơn 0"))
    out.append(RowCheck("work_items", items["done_qty"] > items["assigned_qty"] + 1e-9,
                        "done_qty", "số lượng hoàn thành không được lớn hơn số lượng giao"))

    # an official's periods must not overlap (a month in two rows, a quarter and its month)
    valid = parsed["months"].notna().to_numpy()
    spans = parsed["months"].fillna(0).to_numpy(dtype=np.int64)
    at = np.repeat(np.arange(len(periods)), spans)
    month = (np.repeat(parsed["first_month"].fillna(0).to_numpy(dtype=np.int64), spans)
             + np.arange(len(at)) - np.repeat(np.cumsum(spans) - spans, spans))
    covered = pd.DataFrame({"row": at, "official_id": periods["official_id"].to_numpy()[at],
                            "year": parsed["year"].to_numpy()[at], "month": month})
    clash = covered.duplicated(["official_id", "year", "month"], keep=False)
    overlapping = np.zeros(len(periods), dtype=bool)
    overlapping[covered.loc[clash, "row"].to_numpy()] = True
    out.append(RowCheck("periods", pd.Series(overlapping & valid, index=periods.index),
                        "period", "các kỳ của một người không được trùng nhau (một tháng chỉ "
                        "thuộc một kỳ)"))

    # every period with a product (a work item or a dossier due in it), every item a period
    period_keys = pair_keys(periods["official_id"], periods["period"])
    item_keys = pair_keys(items["official_id"], items["period"])
    with_item = pairs_in(period_keys, item_keys)
    dossiers = tables.get("dossiers")
    if dossiers is not None and len(dossiers) and len(covered) \
            and {"due_at", "handler_id"} <= set(dossiers.columns):
        # a dossier due in a month of the period: compare (official, month number)
        due = dossiers["due_at"].to_numpy().astype("datetime64[M]").astype(np.int64)
        handled = pair_keys(dossiers["handler_id"], pd.Series(due).astype(str))
        month_number = ((covered["year"].to_numpy(dtype=np.int64) - 1970) * 12
                        + covered["month"].to_numpy(dtype=np.int64) - 1)
        months = pair_keys(covered["official_id"], pd.Series(month_number).astype(str))
        rows_with_dossier = covered["row"].to_numpy()[pairs_in(months, handled)]
        with_item |= np.isin(np.arange(len(periods)), rows_with_dossier)
    out.append(RowCheck("periods", pd.Series(~with_item & valid, index=periods.index),
                        "period", "kỳ đánh giá không có sản phẩm nào (work_items hoặc hồ sơ "
                        "hẹn trả trong kỳ)", "reference"))
    out.append(RowCheck("work_items", pd.Series(~pairs_in(item_keys, period_keys),
                                                index=items.index), "period",
                        "không có dòng periods nào của người này cho kỳ này", "reference"))
    return out
