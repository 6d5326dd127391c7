"""The score each official starts from, by the scoring regime the policy gives their staff
type (SPEC §10): the head's ``task_score`` (§5), or the products score of Decree 335.

Also the checks that need the year and the regime, which the loader can't know: a
``task_score`` for everyone under that regime, periods for everyone under ``products``
(unless not classified), a product in every period, and no district unit after 2025.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import InvalidInputError, Problem
from .input.dataset import Dataset
from .policy import Policy, ProductsParams, RegimeParams, validate_section
from .products import (
    YEAR_ORDER,
    fault_notes,
    leader_notes,
    period_notes,
    score_products,
    year_notes,
)

# the district level ended on 1 July 2025 (SPEC §10 "Units by date")
LAST_YEAR_WITH_DISTRICTS = 2025


@dataclass
class BaseScores:
    """Per official (in the officials table's order): the score before plugins' points,
    whether it comes from work products, and the explanation rows (rule id → frame of
    ``official_id``, ``note``, ``params``, ``evidence``)."""

    base: np.ndarray
    under_products: np.ndarray
    reasons: list[tuple[str, pd.DataFrame]] = field(default_factory=list)


def staff_regimes(policy: Policy, year: int, staff_type: pd.Series) -> pd.Series:
    """The scoring regime of each official, read on 31 December of ``year``."""
    regime: RegimeParams = validate_section(policy, "regime", RegimeParams,
                                            dt.date(year, 12, 31))  # type: ignore[assignment]
    return staff_type.astype(str).map(regime.model_dump()).fillna("task_score")


def base_scores(dataset: Dataset, policy: Policy, year: int, as_of: dt.date,
                excluded: np.ndarray) -> BaseScores:
    """The base score of every official; raises :class:`InvalidInputError` listing every
    problem the year and the regimes reveal."""
    off = dataset.tables["officials"]
    problems = district_problems(dataset.tables["units"], year)
    under = (staff_regimes(policy, year, off["staff_type"]) == "products").to_numpy()
    task = off["task_score"].astype(float).to_numpy()
    missing = ~under & np.isnan(task)
    problems += [Problem("officials", None, "task_score", str(oid),
                         "thiếu điểm nhiệm vụ (0–100): chính sách chấm người này theo điểm "
                         "nhiệm vụ")
                 for oid in off["official_id"][missing]]
    base = task.copy()
    out = BaseScores(base, under)
    if under.any():
        params: ProductsParams = validate_section(
            policy, "products", ProductsParams, dt.date(year, 12, 31))  # type: ignore[assignment]
        scored = score_products(dataset.tables, off[under], year, as_of, params)
        no_items = scored.periods[scored.periods["base"].isna()]
        problems += [Problem("periods", None, "period", f"{oid} {per}",
                             "kỳ đánh giá không có sản phẩm nào (work_items hoặc hồ sơ)")
                     for oid, per in zip(no_items["official_id"], no_items["period"],
                                         strict=True)]
        year_score = scored.year_score.reindex(off["official_id"]).to_numpy()
        no_period = under & np.isnan(year_score) & ~excluded
        problems += [Problem("periods", None, "official_id", str(oid),
                             f"công chức chấm theo sản phẩm không có kỳ đánh giá nào năm {year}")
                     for oid in off["official_id"][no_period]]
        base[under] = year_score[under]
        # not classified and no period: SPEC §10 leaves the score blank; a stored result
        # holds a number, so 0, with a reason saying why (docs/decisions.md 73)
        blank = under & np.isnan(base)
        base[blank] = 0.0
        faults = fault_notes(scored, params)
        no_score = pd.DataFrame({
            "official_id": off["official_id"][blank].to_numpy(dtype=object),
            "note": f"Không có kỳ đánh giá nào năm {year} (không xếp loại): điểm để trống, "
                    "ghi 0", "params": "{}", "evidence": "[]", "order": YEAR_ORDER})
        out.reasons = [
            ("core.products_period", period_notes(scored, params)),
            ("core.products_deduction", faults[~faults["exempt"]].drop(columns="exempt")),
            ("core.products_exempt", faults[faults["exempt"]].drop(columns="exempt")),
            ("core.products_leader_d", leader_notes(scored, params)),
            ("core.products_year", pd.concat([year_notes(scored), no_score],
                                             ignore_index=True)),
        ]
    if problems:
        raise InvalidInputError(problems)
    return out


def district_problems(units: pd.DataFrame, year: int) -> list[Problem]:
    """Tier ``huyen`` is refused for a year after 2025."""
    if year <= LAST_YEAR_WITH_DISTRICTS:
        return []
    return [Problem("units", None, "tier", f"{uid}: huyen",
                    f"cấp huyện đã kết thúc từ 01/07/2025: năm {year} chỉ nhận cấp tinh hoặc xa")
            for uid in units.loc[units["tier"] == "huyen", "unit_id"]]
