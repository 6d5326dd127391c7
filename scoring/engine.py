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
    number_text,
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


def explanation_order(reasons: pa.Table, official_ids: np.ndarray | pa.Array
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
    ids = arrow_texts(official_ids)
    # sorted by Arrow (code points, as Python compares strings), kept as Arrow: sorting a
    # province's ids as Python strings cost three times more
    names = ids.take(pc.sort_indices(ids))
    off = pc.index_in(reasons["official_id"], value_set=names) \
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
    return frame, pd.Series(rule_lists.to_numpy(zero_copy_only=False),
                            index=pd.Index(names.to_pandas()), dtype=object)


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
    of 50,000: ``pa.repeat`` writes a text's bytes once per row, seven times cheaper than a
    ``take`` of index 0), or a column (pandas, numpy, Arrow) of ``rows`` values."""
    if isinstance(value, str | bool | int | float | np.generic):
        return pa.repeat(pa.scalar(value, kind), rows)
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

    def __init__(self, findings: pd.DataFrame,
                 official_ids: np.ndarray | pd.api.extensions.ExtensionArray, core_rank: int
                 ) -> None:
        self.tables: list[pa.Table] = [
            trail_table({c: findings[c] for c in findings.columns}, len(findings))]
        self.arrow_ids = arrow_texts(official_ids)
        self.core_rank = core_rank  # the core's reasons come after every plugin's in a step

    def _rule_columns(self, rule: str) -> dict[str, object]:
        spec = CORE_RULES[rule]
        return {"rule": rule, "plugin": CORE, "step": spec.step.value,
                "basis": spec.basis_text, "_step": STEP_ORDER[spec.step],
                "_plugin": self.core_rank}

    def add(self, mask: np.ndarray, rule: str, note: Text,
            params: ReasonParams | None = None, evidence: Text = "[]",
            **effects: object) -> None:
        """One core rule's reasons for the officials in ``mask``. A text or params given
        as a function is called with the mask and builds only those officials' (the
        quota's are 1,600 of a province's 50,000). Params are typed values, written as
        JSON by the one writer of the plugins' params (:func:`frames.json_texts`)."""
        m = np.asarray(mask, dtype=bool)
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
        return explanation_order(pa.concat_tables(self.tables), self.arrow_ids)


@dataclass(frozen=True)
class OfficialKeys:
    """The officials' text keys as integers, made once per run: every step counts, groups
    and orders by them with numpy (pandas' groupby, ``map`` and sort of the Arrow-backed
    text columns, a few times per step, cost a province ≈ 0.1 s more)."""

    units: np.ndarray  # the unit ids, sorted (Python strings)
    unit: np.ndarray  # each official's unit: a position in ``units``
    peers: np.ndarray  # the peer groups, sorted
    peer: np.ndarray  # each official's peer group: a position in ``peers``
    group: np.ndarray  # each official's (unit, peer group): a position in the sorted pairs
    group_unit: np.ndarray  # each (unit, peer group)'s unit and peer group: positions
    group_peer: np.ndarray
    id_rank: np.ndarray  # each official's place in official id order

    @classmethod
    def of(cls, table: pd.DataFrame) -> OfficialKeys:
        unit, units = pd.factorize(table["unit_id"], sort=True)
        peer, peers = pd.factorize(table["peer_group"], sort=True)
        pairs = unit.astype(np.int64) * max(len(peers), 1) + peer
        group, distinct_pairs = pd.factorize(pairs, sort=True)
        by_id = pc.sort_indices(arrow_texts(table["official_id"].array)).to_numpy()
        id_rank = np.empty(len(table), dtype=np.int64)
        id_rank[by_id] = np.arange(len(table))
        return cls(np.asarray(units, dtype=object), unit, np.asarray(peers, dtype=object),
                   peer, group, distinct_pairs // max(len(peers), 1),
                   distinct_pairs % max(len(peers), 1), id_rank)


def official_table(dataset: Dataset, year: int) -> pd.DataFrame:
    """One row per official, in the file's order: the columns every step reads and adds
    to (the text columns stay Arrow's: no round trip through Python strings)."""
    off = dataset.tables["officials"]
    table = pd.DataFrame({name: off[name].astype(str).array
                          for name in ("official_id", "full_name", "unit_id", "peer_group")})
    table["task_score"] = off["task_score"].astype(float).to_numpy()
    table["year"] = year
    return table


def finding_rows(table: pd.DataFrame, findings: pd.DataFrame) -> np.ndarray:
    """Each finding's official as a row of ``table`` (check_findings made sure there is
    one): one hash lookup, then every per-official sum and flag is a numpy scatter."""
    ids = findings["official_id"].to_numpy(dtype=object)
    return pc.index_in(pa.array(ids, TEXT), value_set=arrow_texts(table["official_id"].array)) \
        .to_numpy(zero_copy_only=False).astype(np.int64)


def _per_official(rows: np.ndarray, values: pd.Series | np.ndarray, n: int) -> np.ndarray:
    """Each official's sum of ``values`` (0.0 without any), summed as pandas' groupby sums
    (compensated, in row order): the same float as summing by official id."""
    sums = pd.Series(np.asarray(values, dtype=float)).groupby(rows, sort=False).sum()
    out = np.zeros(n)
    out[sums.index.to_numpy()] = sums.to_numpy()
    return out


# each level rank's code, looked up by rank
RANK_CODES: np.ndarray = np.array([RANK_CODE[rank] for rank in range(len(RANK_CODE))],
                                  dtype=object)


def _count_texts(values: np.ndarray) -> pa.Array:
    """Whole numbers as text (``str`` of each), by one Arrow cast."""
    return pa.array(np.asarray(values, dtype=np.int64)).cast(TEXT)


def service_time(table: pd.DataFrame, findings: pd.DataFrame, rows: np.ndarray) -> None:
    """Step 1: who is not classified (KXL) — a plugin's ``exclude`` finding."""
    excluded = np.zeros(len(table), dtype=bool)
    excluded[rows[findings["exclude"].to_numpy(dtype=bool)]] = True
    table["excluded"] = excluded


def score(table: pd.DataFrame, findings: pd.DataFrame, rows: np.ndarray, dataset: Dataset,
          policy: Policy, year: int, as_of: dt.date, trail: Trail) -> None:
    """Step 2: the score an official starts from (the head's task score, or work
    products, SPEC §10) plus every plugin's points; and the points deducted."""
    n = len(table)
    table["points"] = _per_official(rows, findings["points"], n)
    deducted = _per_official(rows, -findings["points"].clip(upper=0), n)
    base = base_scores(dataset, policy, year, as_of, table["excluded"].to_numpy())
    for rule, reason_rows in base.reasons:
        trail.add_rows(rule, reason_rows)
    table["under_products"] = base.under_products
    table["task_score"] = base.base
    # SPEC §10: "points deducted" in the quota's tie-break counts 0 under products
    deducted = np.where(base.under_products, 0.0, deducted)
    # round away float noise so equal scores tie exactly (84.6 + 1 vs 85.6)
    table["score"] = (table["task_score"] + table["points"]).round(6)
    table["deducted"] = np.round(deducted, 6)


def level(table: pd.DataFrame, levels: LevelsParams, trail: Trail) -> None:
    """Step 3: the provisional level from the score's cut-offs (KXL for the excluded)."""
    excluded = table["excluded"].to_numpy()
    score_now = table["score"].to_numpy()
    rank = np.select([score_now >= levels.excellent_min, score_now >= levels.good_min,
                      score_now >= levels.completed_min], [4, 3, 2], default=1)
    table["provisional_rank"] = np.where(excluded, 0, rank)
    trail.add(excluded, "core.not_classified",
              "Không xếp loại (KXL): không đủ thời gian công tác; vẫn tính điểm nhưng "
              "không xếp mức và không xét danh hiệu.")
    thresholds = {"excellent_min": levels.excellent_min, "good_min": levels.good_min,
                  "completed_min": levels.completed_min}
    code = arrow_texts(RANK_CODES[rank])
    label = pc.if_else(pa.array(table["under_products"].to_numpy(dtype=bool)),
                       pa.scalar("điểm theo sản phẩm", TEXT), pa.scalar("điểm nhiệm vụ", TEXT))
    # one Arrow kernel over every official's parts (a Python f-string each cost 3× more)
    trail.add(~excluded, "core.provisional_level",
              lambda m: concat_texts(
                  "Điểm ", number_arrow_texts(score_now[m]), " (",
                  label.filter(pa.array(m)), " ",
                  number_arrow_texts(table["task_score"].to_numpy()[m]), ", cộng/trừ ",
                  number_arrow_texts(table["points"].to_numpy()[m]), ") → mức tạm tính ",
                  code.filter(pa.array(m))),
              params=thresholds)


def ceiling(table: pd.DataFrame, findings: pd.DataFrame, rows: np.ndarray, trail: Trail
            ) -> None:
    """Step 4: the lowest ceiling any plugin set."""
    ceilings = findings["ceiling"].to_numpy(dtype=object)
    has = ceilings != ""
    codes, distinct = pd.factorize(ceilings[has])
    cap_rank = np.full(len(table), max(RANK_CODE) + 1, dtype=np.int64)  # above every level
    np.minimum.at(cap_rank, rows[has],
                  np.array([CODE_RANK[c] for c in distinct], dtype=np.int64)[codes])
    prov = table["provisional_rank"].to_numpy()
    excluded = table["excluded"].to_numpy()
    rank = np.where(excluded, 0, np.minimum(prov, cap_rank))
    table["rank"] = rank
    capped = (rank < prov) & ~excluded
    trail.add(capped, "core.ceiling",
              lambda m: concat_texts("Áp mức trần thấp nhất: ", arrow_texts(RANK_CODES[rank[m]]),
                                     " thay cho ", arrow_texts(RANK_CODES[prov[m]])),
              ceiling=RANK_CODES[rank[capped]])


def group_positions(candidates: np.ndarray, group: np.ndarray, score_now: np.ndarray,
                    deducted: np.ndarray, id_rank: np.ndarray) -> np.ndarray:
    """Each candidate's place in its group (1 = first), in the order of the shares:
    highest score, then fewer points deducted, then official id (``id_rank``); 0 for
    non-candidates. One ``np.lexsort`` over integer and float keys: pandas' ``sort_values``
    of the text columns cost several times more."""
    rows = np.flatnonzero(candidates)
    order = rows[np.lexsort((id_rank[rows], deducted[rows], -score_now[rows], group[rows]))]
    in_order = group[order]
    starts = np.flatnonzero(np.r_[True, in_order[1:] != in_order[:-1]]) \
        if len(order) else np.zeros(0, dtype=np.int64)
    first = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    position = np.zeros(len(candidates), dtype=np.int64)
    position[order] = np.arange(len(order)) - first + 1
    return position


def quota(table: pd.DataFrame, keys: OfficialKeys, params: QuotaParams, trail: Trail
          ) -> pd.DataFrame:
    """Step 5: the HTXSNV share per unit and peer group; returns one row per group."""
    # a unit's own share (quota.unit_share) where the policy gives one, else the general
    own_share_of_unit = pd.Series(params.unit_share, dtype=float).reindex(keys.units)
    own_unit = own_share_of_unit.notna().to_numpy()
    share_of_unit = own_share_of_unit.fillna(params.share).to_numpy()
    groups_n = len(keys.group_unit)
    rank = table["rank"].to_numpy().copy()
    good_of_group = np.bincount(keys.group[is_good(rank)], minlength=groups_n)
    excellent = rank == LEVEL_RANK[Level.HTXSNV]
    excellent_of_group = np.bincount(keys.group[excellent], minlength=groups_n)
    share_of_group = share_of_unit[keys.group_unit]
    allowed_of_group = np.zeros(groups_n, dtype=np.int64)
    for share in sorted(set(share_of_group.tolist())):
        m = share_of_group == share
        may_keep = excellent_allowed(share, params.base, pd.Series(good_of_group[m])) \
            .to_numpy()
        # good_only: stored as the number kept, never more than the candidates
        allowed_of_group[m] = np.minimum(excellent_of_group[m], may_keep) \
            if params.base == "good_only" else may_keep
    n_good = good_of_group[keys.group]
    allowed = allowed_of_group[keys.group]
    unit_share = share_of_unit[keys.unit]
    own_share = own_unit[keys.unit]
    position = group_positions(excellent, keys.group, table["score"].to_numpy(),
                               table["deducted"].to_numpy(), keys.id_rank)
    demoted = excellent & (position > allowed)
    rank[demoted] = LEVEL_RANK[Level.HTTNV]
    table["rank"] = rank
    # the peer group in words, as the council's documents name it (one lookup per group)
    peer_words = np.array([peer_group_vi(code) for code in keys.peers], dtype=object)

    def quota_params(m: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({"base": params.base, "good_count": n_good[m],
                             "allowed": allowed[m], "position": position[m],
                             "share": unit_share[m], "unit_share": own_share[m]})

    trail.add(demoted, "core.quota",
              lambda m: concat_texts(
                  "Vượt ", arrow_texts(np.where(own_share[m], "tỷ lệ riêng của đơn vị ",
                                                "tỷ lệ ").astype(object)),
                  number_arrow_texts(unit_share[m] * 100), "% HTXSNV của đơn vị ",
                  arrow_texts(keys.units[keys.unit[m]]), ", nhóm ",
                  arrow_texts(peer_words[keys.peer[m]]), ": được giữ ",
                  _count_texts(allowed[m]), " trên ", _count_texts(n_good[m]),
                  " người đạt tốt trở lên; xếp thứ ", _count_texts(position[m]), " → HTTNV"),
              params=quota_params, ceiling="HTTNV")
    groups = pd.DataFrame({
        "unit_id": keys.units[keys.group_unit], "peer_group": keys.peers[keys.group_peer],
        "share": share_of_group, "good_count": good_of_group,
        "candidates": excellent_of_group, "allowed": allowed_of_group,
        "kept": np.bincount(keys.group[excellent & ~demoted], minlength=groups_n)})
    groups["base"] = params.base
    return groups[list(QUOTA_COLUMNS)]


TITLE_BITS: dict[str, int] = {title.value: 1 << i for i, title in enumerate(Title)}


def title_flags(findings: pd.DataFrame, rows: np.ndarray, n: int, column: str
                ) -> np.ndarray:
    """Each official's titles named by any of their findings' ``column`` (';'-joined
    codes), one bit per title (:data:`TITLE_BITS`); the few distinct values are split,
    not every finding's."""
    codes, distinct = pd.factorize(findings[column].to_numpy(dtype=object))
    bits = np.array([sum(TITLE_BITS.get(code, 0) for code in set(value.split(";")))
                     for value in distinct], dtype=np.int64)[codes] if len(distinct) \
        else np.zeros(len(codes), dtype=np.int64)
    flags = np.zeros(n, dtype=np.int64)
    named = bits != 0
    np.bitwise_or.at(flags, rows[named], bits[named])
    return flags


# an official's titles looked up by their bits (TITLE_BITS), ';'-joined in alphabetical order
TITLE_TEXTS: np.ndarray = np.array(
    [";".join(sorted(code for code, bit in TITLE_BITS.items() if index & bit))
     for index in range(1 << len(TITLE_BITS))], dtype=object)


def titles(table: pd.DataFrame, findings: pd.DataFrame, rows: np.ndarray, keys: OfficialKeys,
           context: TitleContext, units_in: pd.DataFrame, trail: Trail) -> pd.DataFrame:
    """Step 6: LDTT, CSTDCS within 15 % of a unit's LDTT, the CCHC nomination; returns
    one row per unit (its name and the CSTDCS cap)."""
    n = len(table)
    rank = table["rank"].to_numpy()
    final_good = is_good(rank) & ~table["excluded"].to_numpy()
    blocked = title_flags(findings, rows, n, "blocks_titles")
    qualified = title_flags(findings, rows, n, "qualifies_titles")

    def flagged(flags: np.ndarray, title: Title) -> np.ndarray:
        return (flags & TITLE_BITS[title.value]) != 0

    ldtt = final_good & ~flagged(blocked, Title.LDTT)
    by_level = CSTDCS_BY_LEVEL[context.regime]
    qualifies = flagged(qualified, Title.CSTDCS)
    if by_level is not None:
        qualifies = qualifies | (rank == LEVEL_RANK[by_level])
    candidates = ldtt & ~flagged(blocked, Title.CSTDCS) & qualifies
    ldtt_of_unit = np.bincount(keys.unit[ldtt], minlength=len(keys.units))
    cap_of_unit = share_floor(context.cstdcs_share, pd.Series(ldtt_of_unit)).to_numpy()
    n_ldtt = ldtt_of_unit[keys.unit]
    cap = cap_of_unit[keys.unit]
    position = group_positions(candidates, keys.unit, table["score"].to_numpy(),
                               table["deducted"].to_numpy(), keys.id_rank)
    cstdcs = candidates & (position <= cap)
    over_cap = candidates & ~cstdcs
    cchc = final_good & ~flagged(blocked, Title.CCHC) & flagged(qualified, Title.CCHC)

    regime = {"regime": context.regime, "considered_on": context.considered_on}
    trail.add(ldtt, "core.title_ldtt",
              f"Đạt Lao động tiên tiến (theo {REGIME_VI[context.regime]}, xét ngày "
              f"{context.considered_on:%d/%m/%Y})", params=regime, qualifies_titles="LDTT")

    def cap_params(m: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({"cap": cap[m], "ldtt_count": n_ldtt[m],
                             "position": position[m], "regime": context.regime,
                             "share": context.cstdcs_share})

    trail.add(cstdcs, "core.title_cstdcs",
              lambda m: concat_texts("Đạt Chiến sĩ thi đua cơ sở (thứ ",
                                     _count_texts(position[m]), " trong giới hạn ",
                                     _count_texts(cap[m]), " của đơn vị)"),
              params=cap_params, qualifies_titles="CSTDCS")
    trail.add(over_cap, "core.title_cstdcs_cap",
              lambda m: concat_texts(
                  "Đủ điều kiện Chiến sĩ thi đua cơ sở nhưng vượt tỷ lệ ",
                  number_text(context.cstdcs_share * 100), "% của đơn vị (được ",
                  _count_texts(cap[m]), " trên ", _count_texts(n_ldtt[m]),
                  " người đạt LĐTT; xếp thứ ", _count_texts(position[m]),
                  ") → giữ Lao động tiên tiến"),
              params=cap_params, blocks_titles="CSTDCS")
    trail.add(cchc, "core.title_cchc", "Đề nghị khen thưởng đổi mới, sáng tạo trong CCHC",
              params=regime, qualifies_titles="CCHC")

    table["titles"] = TITLE_TEXTS[sum(given * TITLE_BITS[title.value] for given, title in
                                      ((ldtt, Title.LDTT), (cstdcs, Title.CSTDCS),
                                       (cchc, Title.CCHC)))]
    units = pd.DataFrame({"unit_id": units_in["unit_id"].astype(str).to_numpy(),
                          "name": units_in["name"].astype(str).to_numpy()})
    at = pd.Index(keys.units, dtype=object).get_indexer(units["unit_id"].to_numpy(dtype=object))
    for column, of_unit in (
            ("ldtt_count", ldtt_of_unit), ("cstdcs_candidates",
                                           np.bincount(keys.unit[candidates],
                                                       minlength=len(keys.units))),
            ("cstdcs_cap", cap_of_unit),
            ("cstdcs_kept", np.bincount(keys.unit[cstdcs], minlength=len(keys.units)))):
        # a unit without officials (-1) reads the 0 put after the last unit's count
        units[column] = np.append(np.asarray(of_unit, dtype=np.int64), 0)[at]
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
    keys = OfficialKeys.of(table)
    rows = finding_rows(table, findings)
    trail = Trail(findings, table["official_id"].array, len(order) + 1)
    service_time(table, findings, rows)
    score(table, findings, rows, dataset, policy, year, as_of, trail)
    level(table, levels, trail)
    ceiling(table, findings, rows, trail)
    quotas = quota(table, keys, quota_params, trail)
    units = titles(table, findings, rows, keys, ctx.titles, dataset.tables["units"], trail)

    reasons, rule_lists = trail.ordered()
    table["provisional_level"] = RANK_CODES[table["provisional_rank"].to_numpy()]
    table["level"] = RANK_CODES[table["rank"].to_numpy()]
    # rule_lists is in official id order, one entry per official
    table["reasons"] = pd.Series(rule_lists.to_numpy(dtype=object)[keys.id_rank],
                                 index=table.index, dtype=object)
    by_id = np.argsort(keys.id_rank)
    results = table[list(RESULT_COLUMNS)].take(by_id).reset_index(drop=True)
    return Classification(year, results, reasons, versions, ctx.titles.considered_on,
                          quotas, units, as_of)
