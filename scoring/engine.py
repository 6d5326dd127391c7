"""Turn the plugins' findings into levels, titles and an ordered trail of reasons (SPEC §5).

The engine knows no rule by name: it sums points, applies the lowest ceiling, honours
exclusions (KXL) and title blocks/qualifications, then applies the two shares the law puts
on results — the 20 % excellent quota per unit and peer group, and the 15 % CSTDCS cap per
unit. Everything is computed over whole tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .frames import (
    TEXT,
    arrow_texts,
    concat_texts,
    join_rows,
    json_texts,
    number_arrow_texts,
    number_texts,
    to_json,
)
from .input.dataset import Dataset
from .labels import peer_group_vi
from .plugins import PluginRegistry, plugin_params
from .policy import (
    LevelsParams,
    Policy,
    QuotaParams,
    TitlesParams,
    considered_on,
    validate_section,
)
from .regime import base_scores
from .shares import excellent_allowed, is_good, share_floor
from .types import (
    CODE_RANK,
    FINDING_COLUMNS,
    LEVEL_RANK,
    RANK_CODE,
    STEP_ORDER,
    Level,
    Rule,
    RuleContext,
    Step,
    Title,
    TitleContext,
)

CORE = "core"
DECREE_335 = "Nghị định 335/2025/NĐ-CP ngày 21/12/2025 (hiệu lực 01/01/2026)"
# a reason's text: one text for every official, or a function of the officials' mask that
# builds their texts only
Text = Callable[[np.ndarray], object] | str
# a reason's params, typed as a plugin's are: one dict for every official, or a function of
# the mask giving a frame with a column per parameter (a row per official in the mask)
ReasonParams = Callable[[np.ndarray], pd.DataFrame] | dict[str, object]
CORE_RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("core.not_classified", "Không xếp loại", "Nghị định 90/2020/NĐ-CP, Điều 2",
             Step.LEVEL),
        Rule("core.provisional_level", "Mức xếp loại tạm tính theo điểm",
             "Quy định 366-QĐ/TW (thang 100 điểm); ngưỡng điểm của tỉnh", Step.LEVEL),
        Rule("core.ceiling", "Áp mức trần thấp nhất",
             "Nghị định 90/2020/NĐ-CP sửa đổi bởi Nghị định 48/2023/NĐ-CP", Step.CEILING),
        Rule("core.quota", "Vượt tỷ lệ 20% Hoàn thành xuất sắc nhiệm vụ",
             "Nghị định 48/2023/NĐ-CP, khoản 6 Điều 1 (sửa Điều 2 NĐ 90/2020)", Step.QUOTA),
        Rule("core.title_ldtt", "Danh hiệu Lao động tiên tiến",
             "Luật Thi đua, khen thưởng (theo chế độ tại ngày xét)", Step.TITLES),
        Rule("core.title_cstdcs", "Danh hiệu Chiến sĩ thi đua cơ sở",
             "Luật Thi đua, khen thưởng (theo chế độ tại ngày xét)", Step.TITLES),
        Rule("core.title_cstdcs_cap", "Vượt tỷ lệ 15% Chiến sĩ thi đua cơ sở",
             "Nghị định 91/2017/NĐ-CP; Nghị định 98/2023/NĐ-CP (tỷ lệ 15%)", Step.TITLES),
        Rule("core.title_cchc", "Đề nghị khen thưởng đổi mới, sáng tạo trong CCHC",
             "QĐ 4510/QĐ-UBND ngày 29/12/2022 của UBND tỉnh Bình Định", Step.TITLES),
        Rule("core.products_period", "Điểm kỳ theo sản phẩm (số lượng, chất lượng, tiến độ)",
             f"{DECREE_335} (điểm tiêu chí chung tối đa 30, nhiệm vụ tối đa 70)", Step.SCORE),
        Rule("core.products_deduction", "Trừ 25% cho mỗi lỗi lớn, mỗi lần chậm tiến độ",
             DECREE_335, Step.SCORE),
        Rule("core.products_exempt", "Nguyên nhân khách quan đã được xác nhận: không trừ",
             DECREE_335, Step.SCORE),
        Rule("core.products_leader_d", "Tiêu chí d của lãnh đạo: kết quả công chức thuộc "
             "quyền quản lý trực tiếp", f"{DECREE_335}; mức kỳ đọc từ điểm kỳ, d = 1 khi "
             "không có ai", Step.SCORE, assumption=True),
        Rule("core.products_year", "Điểm năm: trung bình các kỳ theo số tháng", DECREE_335,
             Step.SCORE),
    )
}

# Under the 2022 Law, an HTXSNV level alone qualifies an LDTT holder for CSTDCS; under the
# 2003 Law only an initiative or research does (SPEC §5 step 6).
REGIME_VI: dict[str, str] = {"luat_2003": "Luật Thi đua, khen thưởng 2003",
                             "luat_2022": "Luật Thi đua, khen thưởng 2022"}
CSTDCS_BY_LEVEL: dict[str, Level | None] = {"luat_2022": Level.HTXSNV, "luat_2003": None}

REASON_COLUMNS: tuple[str, ...] = (
    "official_id", "seq", "step", "plugin", "rule", "points", "ceiling", "exclude",
    "blocks_titles", "qualifies_titles", "params", "evidence", "basis", "note",
)
RESULT_COLUMNS: tuple[str, ...] = (
    "official_id", "full_name", "unit_id", "peer_group", "year", "task_score", "points",
    "deducted", "score", "provisional_level", "level", "titles", "reasons",
)
# The shares a run applied, kept so councils see "quota used / allowed" and so an override
# can be checked against the same share later: one row per unit and peer group (HTXSNV)…
QUOTA_COLUMNS: tuple[str, ...] = (
    "unit_id", "peer_group", "share", "base", "good_count", "candidates", "allowed", "kept",
)
# …and one row per unit (its name for the council file, and the CSTDCS cap).
UNIT_COLUMNS: tuple[str, ...] = (
    "unit_id", "name", "cstdcs_share", "ldtt_count", "cstdcs_candidates", "cstdcs_cap",
    "cstdcs_kept",
)


@dataclass
class Classification:
    """The outcome of one classification: one row per official, and their reasons."""

    year: int
    results: pd.DataFrame  # RESULT_COLUMNS, sorted by official_id
    reasons: pd.DataFrame  # REASON_COLUMNS, sorted by official_id, seq
    plugins: dict[str, str]  # name -> version, in run order
    considered_on: dt.date
    quotas: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(QUOTA_COLUMNS)))
    units: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(UNIT_COLUMNS)))
    as_of: dt.date | None = None  # the date the records were read on (SPEC §10)


def _fmt(x: float) -> str:
    return f"{x:g}"


def explanation_order(reasons: pa.Table, official_ids: np.ndarray
                      ) -> tuple[pd.DataFrame, pd.Series]:
    """Reasons (:data:`TRAIL_SCHEMA`) sorted by official, step, plugin, rule and evidence (a
    stable sort), each numbered from 1 per official; and each official's rule ids joined
    by ';' (indexed by the sorted ``official_ids``, "" for an official with none).

    Sorting on integer codes with ``np.lexsort``: a five-column ``sort_values`` over
    ~150,000 rows of text costs several times more. Evidence only breaks ties (an official
    with two findings of one rule), so it is compared only where there are any. The rows
    are moved by Arrow's ``take`` (pandas' take of Arrow-backed columns cost a province
    run ≈ 0.3 s) and turned into pandas once, at the end."""
    n = reasons.num_rows
    names = np.sort(np.asarray(official_ids, dtype=object))
    off = pc.index_in(reasons["official_id"], value_set=pa.array(names, TEXT)) \
        .to_numpy(zero_copy_only=False).astype(np.int64)
    rules = pc.unique(reasons["rule"])
    rule = pc.index_in(reasons["rule"], value_set=rules.take(pc.sort_indices(rules))) \
        .to_numpy(zero_copy_only=False)
    step, plugin, within = (reasons[c].to_numpy() for c in ("_step", "_plugin", "_within"))
    order = np.lexsort((rule, within, plugin, step, off))
    keys = np.stack([off, step, plugin, within, rule])[:, order]
    tie = (keys[:, 1:] == keys[:, :-1]).all(axis=0)  # row i+1 ties with row i
    if tie.any():
        tied = np.flatnonzero(np.r_[tie, False] | np.r_[False, tie])
        run = np.cumsum(np.r_[True, ~tie])[tied]
        evidence = reasons["evidence"].take(order[tied]).to_numpy()
        by_evidence = np.lexsort((np.arange(len(tied)),
                                  pd.factorize(evidence, sort=True)[0], run))
        order[tied] = order[tied][by_evidence]
    out = reasons.take(order)
    off_sorted = off[order]
    starts = np.flatnonzero(np.r_[True, off_sorted[1:] != off_sorted[:-1]])[:n]
    ends = np.r_[starts[1:], n][:len(starts)].astype(np.int64)
    seq = np.arange(n) - np.repeat(starts, ends - starts) + 1
    columns = {c: out[c] for c in REASON_COLUMNS if c != "seq"} | {"seq": pa.array(seq)}
    frame = pa.table({c: columns[c] for c in REASON_COLUMNS}).to_pandas()
    # already by official: each official's rules joined in that order
    rule_lists = join_rows(out["rule"].combine_chunks(), off_sorted, len(names), ";")
    return frame, pd.Series(rule_lists.to_numpy(zero_copy_only=False), index=names,
                            dtype=object)


def collect_findings(dataset: Dataset, policy: Policy, registry: PluginRegistry,
                     year: int, considered: dt.date | None = None,
                     as_of: dt.date | None = None
                     ) -> tuple[pd.DataFrame, RuleContext, dict[str, str], list[str]]:
    """Run every enabled plugin; returns findings with plugin, step and basis columns."""
    end = dt.date(year, 12, 31)
    cons = considered or considered_on(policy, year)
    titles = validate_section(policy, "titles", TitlesParams, cons)
    active = registry.only(policy.enabled_plugins)
    params = plugin_params(registry, active, policy, end)
    ctx = RuleContext(year, dataset.tables, params,
                      TitleContext(titles.regime, cons, titles.cstdcs_share), as_of)
    frames = []
    order = [p.info.name for p in active]
    for rank, plugin in enumerate(active, start=1):  # the explanation's plugin order
        f = registry.findings(plugin, ctx)
        if f.empty:
            continue
        f = f.copy()
        f["plugin"] = plugin.info.name
        rules = plugin.info.rules
        # each finding's rule as a position in the declared rules (check_findings made sure
        # there is one): array lookups, not a Python call per finding (~100,000 a province)
        code = pd.Categorical(f["rule"], categories=[r.id for r in rules]).codes
        f["step"] = np.array([r.step.value for r in rules], dtype=object)[code]
        f["basis"] = np.array([r.basis_text for r in rules], dtype=object)[code]
        f["_step"] = np.array([STEP_ORDER[r.step] for r in rules], dtype=np.int64)[code]
        f["_plugin"] = rank
        frames.append(f)
    cols = [*FINDING_COLUMNS, "plugin", "step", "basis", "_step", "_plugin"]
    findings = (pd.concat(frames, ignore_index=True) if frames
                else pd.DataFrame({c: pd.Series(dtype=object) for c in cols}))
    findings["points"] = findings["points"].astype(float)
    findings["exclude"] = findings["exclude"].astype(bool)
    findings["_step"] = findings["_step"].astype(np.int64)
    findings["_plugin"] = findings["_plugin"].astype(np.int64)
    versions = {p.info.name: p.info.version for p in active}
    return findings, ctx, versions, order


def default_as_of(year: int, today: dt.date) -> dt.date:
    """A run's as-of date (SPEC §10): 31 December of the year, or today when earlier."""
    return min(dt.date(year, 12, 31), today)


# a reason as the trail holds it: REASON_COLUMNS but its number, and the sort keys (the
# step's place, the plugin's rank, an order within the plugin's step)
TRAIL_KEYS: tuple[str, ...] = ("_step", "_plugin", "_within")
_TRAIL_TYPES: dict[str, pa.DataType] = {"points": pa.float64(), "exclude": pa.bool_(),
                                        **dict.fromkeys(TRAIL_KEYS, pa.int64())}
TRAIL_SCHEMA = pa.schema([(c, _TRAIL_TYPES.get(c, TEXT))
                          for c in (*REASON_COLUMNS, *TRAIL_KEYS) if c != "seq"])


def _trail_column(value: object, rows: int, kind: pa.DataType) -> pa.Array:
    """One column of the trail: a value for every row (repeated by Arrow, not a Python list
    of 50,000), or a column (pandas, numpy, Arrow) of ``rows`` values."""
    if isinstance(value, str | bool | int | float | np.generic):
        return pa.array([value], kind).take(pa.array(np.zeros(rows, dtype=np.int32)))
    if isinstance(value, pd.Series):
        value = value.array if isinstance(value.dtype, pd.StringDtype) \
            else value.to_numpy()
    return pa.array(value, kind, from_pandas=True)


def trail_table(columns: Mapping[str, object], rows: int) -> pa.Table:
    """Reasons as one Arrow table of :data:`TRAIL_SCHEMA` (``_within`` 0 when not given)."""
    values = {"_within": 0, **columns}
    return pa.table({f.name: _trail_column(values[f.name], rows, f.type) for f in TRAIL_SCHEMA},
                    schema=TRAIL_SCHEMA)


class Trail:
    """The reasons of one classification, added step by step: the plugins' findings first,
    then the core's own, each with its rule's step, basis and the core's plugin rank. They
    are kept as Arrow tables: one concatenation and one ``take`` order them all."""

    def __init__(self, findings: pd.DataFrame, official_ids: np.ndarray, core_rank: int
                 ) -> None:
        self.tables: list[pa.Table] = [
            trail_table({c: findings[c] for c in findings.columns}, len(findings))]
        self.ids = official_ids
        self.arrow_ids = pa.array(official_ids, TEXT)
        self.core_rank = core_rank  # the core's reasons come after every plugin's in a step

    def _rule_columns(self, rule: str) -> dict[str, object]:
        spec = CORE_RULES[rule]
        return {"rule": rule, "plugin": CORE, "step": spec.step.value,
                "basis": spec.basis_text, "_step": STEP_ORDER[spec.step],
                "_plugin": self.core_rank}

    def add(self, mask: pd.Series, rule: str, note: Text,
            params: ReasonParams | None = None, evidence: Text = "[]",
            **effects: object) -> None:
        """One core rule's reasons for the officials in ``mask``. A text or params given
        as a function is called with the mask and builds only those officials' (the
        quota's are 1,600 of a province's 50,000). Params are typed values, written as
        JSON by the one writer of the plugins' params (:func:`frames.json_texts`)."""
        m = mask.to_numpy(dtype=bool)
        rows = int(m.sum())
        if not rows:
            return
        columns: dict[str, object] = {"official_id": self.arrow_ids.filter(pa.array(m))}
        for name, value in (("note", note), ("evidence", evidence)):
            columns[name] = value(m) if callable(value) else value
        if callable(params):  # one object per official: the frame's rows
            columns["params"] = json_texts(params(m))
        else:
            columns["params"] = to_json(params or {})
        for name, default in (("points", 0.0), ("ceiling", ""), ("exclude", False),
                              ("blocks_titles", ""), ("qualifies_titles", "")):
            columns[name] = effects.get(name, default)
        self.tables.append(trail_table(columns | self._rule_columns(rule), rows))

    def add_rows(self, rule: str, rows: pd.DataFrame) -> None:
        """Reasons already built per row (``official_id``, ``note``, ``params``,
        ``evidence`` and an ``order`` within the step), with no effect of their own."""
        if len(rows):
            self.tables.append(trail_table(
                {"official_id": rows["official_id"], "note": rows["note"],
                 "params": rows["params"], "evidence": rows["evidence"],
                 "_within": rows["order"].fillna(0).astype(np.int64), "points": 0.0,
                 "ceiling": "", "exclude": False, "blocks_titles": "",
                 "qualifies_titles": ""} | self._rule_columns(rule), len(rows)))

    def ordered(self) -> tuple[pd.DataFrame, pd.Series]:
        return explanation_order(pa.concat_tables(self.tables), self.ids)


def official_table(dataset: Dataset, year: int) -> pd.DataFrame:
    """One row per official, indexed by id: the columns every step reads and adds to."""
    off = dataset.tables["officials"]
    table = pd.DataFrame({
        "official_id": off["official_id"].astype(str).to_numpy(),
        "full_name": off["full_name"].astype(str).to_numpy(),
        "unit_id": off["unit_id"].astype(str).to_numpy(),
        "peer_group": off["peer_group"].astype(str).to_numpy(),
        "task_score": off["task_score"].astype(float).to_numpy(),
    })
    table["year"] = year
    return table.set_index("official_id", drop=False).rename_axis(None)


def _per_official(table: pd.DataFrame, values: pd.Series, fill: object) -> pd.Series:
    return values.reindex(table.index, fill_value=fill)


def service_time(table: pd.DataFrame, findings: pd.DataFrame) -> None:
    """Step 1: who is not classified (KXL) — a plugin's ``exclude`` finding."""
    excluded = findings.groupby("official_id", sort=False)["exclude"].any()
    table["excluded"] = _per_official(table, excluded, False).astype(bool)


def score(table: pd.DataFrame, findings: pd.DataFrame, dataset: Dataset, policy: Policy,
          year: int, as_of: dt.date, trail: Trail) -> None:
    """Step 2: the score an official starts from (the head's task score, or work
    products, SPEC §10) plus every plugin's points; and the points deducted."""
    points = findings.groupby("official_id", sort=False)["points"].sum()
    table["points"] = _per_official(table, points, 0.0).astype(float)
    deducted = (-findings["points"].clip(upper=0)).groupby(findings["official_id"]).sum()
    table["deducted"] = _per_official(table, deducted, 0.0).astype(float)
    base = base_scores(dataset, policy, year, as_of, table["excluded"].to_numpy())
    for rule, rows in base.reasons:
        trail.add_rows(rule, rows)
    table["under_products"] = base.under_products
    table["task_score"] = base.base
    # SPEC §10: "points deducted" in the quota's tie-break counts 0 under products
    table["deducted"] = table["deducted"].where(~table["under_products"], 0.0)
    # round away float noise so equal scores tie exactly (84.6 + 1 vs 85.6)
    table["score"] = (table["task_score"] + table["points"]).round(6)
    table["deducted"] = table["deducted"].round(6)


def level(table: pd.DataFrame, levels: LevelsParams, trail: Trail) -> None:
    """Step 3: the provisional level from the score's cut-offs (KXL for the excluded)."""
    excluded = table["excluded"]
    rank = pd.Series(np.select(
        [table["score"] >= levels.excellent_min, table["score"] >= levels.good_min,
         table["score"] >= levels.completed_min], [4, 3, 2], default=1), index=table.index)
    table["provisional_rank"] = rank.where(~excluded, 0)
    trail.add(excluded, "core.not_classified",
              "Không xếp loại (KXL): không đủ thời gian công tác; vẫn tính điểm nhưng "
              "không xếp mức và không xét danh hiệu.")
    thresholds = {"excellent_min": levels.excellent_min, "good_min": levels.good_min,
                  "completed_min": levels.completed_min}
    code = arrow_texts(rank.map(RANK_CODE).to_numpy(dtype=object))
    label = pc.if_else(pa.array(table["under_products"].to_numpy(dtype=bool)),
                       pa.scalar("điểm theo sản phẩm", TEXT), pa.scalar("điểm nhiệm vụ", TEXT))
    # one Arrow kernel over every official's parts (a Python f-string each cost 3× more)
    trail.add(~excluded, "core.provisional_level",
              lambda m: concat_texts(
                  "Điểm ", number_arrow_texts(table["score"].to_numpy()[m]), " (",
                  label.filter(pa.array(m)), " ",
                  number_arrow_texts(table["task_score"].to_numpy()[m]), ", cộng/trừ ",
                  number_arrow_texts(table["points"].to_numpy()[m]), ") → mức tạm tính ",
                  code.filter(pa.array(m))),
              params=thresholds)


def ceiling(table: pd.DataFrame, findings: pd.DataFrame, trail: Trail) -> None:
    """Step 4: the lowest ceiling any plugin set."""
    caps = findings[findings["ceiling"] != ""]
    cap_rank = caps["ceiling"].map(CODE_RANK).groupby(caps["official_id"]).min() \
        .reindex(table.index)
    prov = table["provisional_rank"]
    rank = prov.where(cap_rank.isna() | (prov <= cap_rank), cap_rank).astype(int)
    table["rank"] = rank.where(~table["excluded"], 0)
    capped = (table["rank"] < prov) & ~table["excluded"]
    trail.add(capped, "core.ceiling",
              lambda m: "Áp mức trần thấp nhất: " + table["rank"][m].map(RANK_CODE)
              + " thay cho " + prov[m].map(RANK_CODE),
              ceiling=table["rank"].map(RANK_CODE)[capped].to_numpy())


def _priority(table: pd.DataFrame, candidates: pd.Series, group: list[str]) -> pd.Series:
    """Each candidate's place in its group (1 = first), in the quota's order: highest
    score, then fewer points deducted, then official id (NaN for non-candidates)."""
    cols = [*group, "score", "deducted", "official_id"]
    ranked = table.loc[candidates, cols].sort_values(
        cols, ascending=[True] * len(group) + [False, True, True], kind="mergesort")
    return (ranked.groupby(group).cumcount() + 1).reindex(table.index)


def quota(table: pd.DataFrame, params: QuotaParams, trail: Trail) -> pd.DataFrame:
    """Step 5: the HTXSNV share per unit and peer group; returns one row per group."""
    group = [table["unit_id"], table["peer_group"]]
    unit_share = table["unit_id"].map(params.unit_share).fillna(params.share).astype(float)
    n_good = is_good(table["rank"]).groupby(group).transform("sum")
    excellent = table["rank"] == LEVEL_RANK[Level.HTXSNV]
    n_exc = excellent.groupby(group).transform("sum")
    allowed = pd.Series(0, index=table.index, dtype=np.int64)
    for share in sorted(set(unit_share.tolist())):
        m = unit_share == share
        may_keep = excellent_allowed(share, params.base, n_good[m])
        # good_only: stored as the number kept, never more than the candidates
        allowed[m] = np.minimum(n_exc[m], may_keep) if params.base == "good_only" \
            else may_keep
    position = _priority(table, excellent, ["unit_id", "peer_group"])
    demoted = excellent & (position > allowed)
    table.loc[demoted, "rank"] = LEVEL_RANK[Level.HTTNV]
    own_share = table["unit_id"].isin(list(params.unit_share)).to_numpy()
    position_no = position.fillna(0).astype(np.int64)
    pos_text = position_no.astype(str)
    # the peer group in words, as the council's documents name it (one lookup per group)
    group_words = table["peer_group"].map(
        {code: peer_group_vi(code) for code in table["peer_group"].unique()})

    def quota_params(m: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({"base": params.base, "good_count": n_good[m],
                             "allowed": allowed[m], "position": position_no[m],
                             "share": unit_share[m], "unit_share": own_share[m]})

    trail.add(demoted, "core.quota",
              lambda m: "Vượt " + np.where(own_share[m], "tỷ lệ riêng của đơn vị ", "tỷ lệ ")
              + number_texts(unit_share[m] * 100) + "% HTXSNV của đơn vị "
              + table["unit_id"][m] + ", nhóm " + group_words[m] + ": được giữ "
              + allowed[m].astype(str) + " trên " + n_good[m].astype(str)
              + " người đạt tốt trở lên; xếp thứ " + pos_text[m] + " → HTTNV",
              params=quota_params, ceiling="HTTNV")
    per_official = pd.DataFrame({"unit_id": table["unit_id"],
                                 "peer_group": table["peer_group"], "share": unit_share,
                                 "good_count": n_good, "candidates": n_exc,
                                 "allowed": allowed, "kept": excellent & ~demoted})
    groups = per_official.groupby(["unit_id", "peer_group"], sort=True).agg(
        share=("share", "first"), good_count=("good_count", "first"),
        candidates=("candidates", "first"), allowed=("allowed", "first"),
        kept=("kept", "sum")).reset_index()
    groups["base"] = params.base
    return groups[list(QUOTA_COLUMNS)]


def _flagged(table: pd.DataFrame, findings: pd.DataFrame, column: str, title: Title
             ) -> pd.Series:
    """Officials with a finding whose ``column`` (';'-joined codes) names ``title``."""
    values = findings[column]
    # split the few distinct values, not every finding's
    hit = [v for v in values.unique() if title.value in v.split(";")]
    return table.index.to_series().isin(findings.loc[values.isin(hit), "official_id"])


def titles(table: pd.DataFrame, findings: pd.DataFrame, context: TitleContext,
           units_in: pd.DataFrame, trail: Trail) -> pd.DataFrame:
    """Step 6: LDTT, CSTDCS within 15 % of a unit's LDTT, the CCHC nomination; returns
    one row per unit (its name and the CSTDCS cap)."""
    final_good = is_good(table["rank"]) & ~table["excluded"]
    ldtt = final_good & ~_flagged(table, findings, "blocks_titles", Title.LDTT)
    by_level = CSTDCS_BY_LEVEL[context.regime]
    qualifies = _flagged(table, findings, "qualifies_titles", Title.CSTDCS)
    if by_level is not None:
        qualifies = qualifies | (table["rank"] == LEVEL_RANK[by_level])
    candidates = ldtt & ~_flagged(table, findings, "blocks_titles", Title.CSTDCS) & qualifies
    n_ldtt = ldtt.groupby(table["unit_id"]).transform("sum")
    cap = share_floor(context.cstdcs_share, n_ldtt)
    position = _priority(table, candidates, ["unit_id"])
    cstdcs = candidates & (position <= cap)
    over_cap = candidates & ~cstdcs
    cchc = final_good & ~_flagged(table, findings, "blocks_titles", Title.CCHC) \
        & _flagged(table, findings, "qualifies_titles", Title.CCHC)

    regime = {"regime": context.regime, "considered_on": context.considered_on}
    trail.add(ldtt, "core.title_ldtt",
              f"Đạt Lao động tiên tiến (theo {REGIME_VI[context.regime]}, xét ngày "
              f"{context.considered_on:%d/%m/%Y})", params=regime, qualifies_titles="LDTT")
    position_no = position.fillna(0).astype(np.int64)
    pos_text = position_no.astype(str)

    def cap_params(m: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({"cap": cap[m], "ldtt_count": n_ldtt[m],
                             "position": position_no[m], "regime": context.regime,
                             "share": context.cstdcs_share})

    trail.add(cstdcs, "core.title_cstdcs",
              lambda m: "Đạt Chiến sĩ thi đua cơ sở (thứ " + pos_text[m]
              + " trong giới hạn " + cap[m].astype(str) + " của đơn vị)", params=cap_params,
              qualifies_titles="CSTDCS")
    trail.add(over_cap, "core.title_cstdcs_cap",
              lambda m: "Đủ điều kiện Chiến sĩ thi đua cơ sở nhưng vượt tỷ lệ "
              + _fmt(context.cstdcs_share * 100) + "% của đơn vị (được " + cap[m].astype(str)
              + " trên " + n_ldtt[m].astype(str) + " người đạt LĐTT; xếp thứ "
              + pos_text[m] + ") → giữ Lao động tiên tiến",
              params=cap_params, blocks_titles="CSTDCS")
    trail.add(cchc, "core.title_cchc", "Đề nghị khen thưởng đổi mới, sáng tạo trong CCHC",
              params=regime, qualifies_titles="CCHC")

    # titles in alphabetical order: CCHC;CSTDCS;LDTT
    joined = (pd.Series(np.where(cchc, "CCHC", ""), index=table.index) + ";"
              + np.where(cstdcs, "CSTDCS", "") + ";" + np.where(ldtt, "LDTT", ""))
    table["titles"] = joined.str.replace(r";{2,}", ";", regex=True).str.strip(";")

    per_unit = pd.DataFrame({"unit_id": table["unit_id"], "ldtt": ldtt, "cand": candidates,
                             "kept": cstdcs, "cap": cap}).groupby("unit_id").agg(
        ldtt_count=("ldtt", "sum"), cstdcs_candidates=("cand", "sum"),
        cstdcs_cap=("cap", "first"), cstdcs_kept=("kept", "sum"))
    units = pd.DataFrame({"unit_id": units_in["unit_id"].astype(str).to_numpy(),
                          "name": units_in["name"].astype(str).to_numpy()})
    counts = ("ldtt_count", "cstdcs_candidates", "cstdcs_cap", "cstdcs_kept")
    units = units.join(per_unit, on="unit_id").fillna(dict.fromkeys(counts, 0))
    for col in counts:
        units[col] = units[col].astype(np.int64)
    units["cstdcs_share"] = float(context.cstdcs_share)
    return units[list(UNIT_COLUMNS)].sort_values("unit_id", kind="mergesort") \
        .reset_index(drop=True)


def classify(dataset: Dataset, policy: Policy, registry: PluginRegistry, year: int,
             considered: dt.date | None = None,
             as_of: dt.date | None = None) -> Classification:
    """Classify every official of ``dataset`` for evaluation year ``year`` under ``policy``
    (records dated after ``as_of`` are not yet due; None: 31 December of the year): the
    plugins' findings, then each step of SPEC §5 (and §10) in order."""
    end = dt.date(year, 12, 31)
    as_of = as_of or end
    levels: LevelsParams = validate_section(policy, "levels", LevelsParams, end)  # type: ignore[assignment]
    quota_params: QuotaParams = validate_section(policy, "quota", QuotaParams, end)  # type: ignore[assignment]
    findings, ctx, versions, order = collect_findings(dataset, policy, registry, year,
                                                      considered, as_of)
    table = official_table(dataset, year)
    trail = Trail(findings, table.index.to_numpy(dtype=object), len(order) + 1)
    service_time(table, findings)
    score(table, findings, dataset, policy, year, as_of, trail)
    level(table, levels, trail)
    ceiling(table, findings, trail)
    quotas = quota(table, quota_params, trail)
    units = titles(table, findings, ctx.titles, dataset.tables["units"], trail)

    reasons, rule_lists = trail.ordered()
    table["provisional_level"] = table["provisional_rank"].map(RANK_CODE)
    table["level"] = table["rank"].map(RANK_CODE)
    table["reasons"] = rule_lists.reindex(table.index, fill_value="")
    results = table.reset_index(drop=True)[list(RESULT_COLUMNS)] \
        .sort_values("official_id", kind="mergesort").reset_index(drop=True)
    return Classification(year, results, reasons, versions, ctx.titles.considered_on,
                          quotas, units, as_of)
