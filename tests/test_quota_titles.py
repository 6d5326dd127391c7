"""The 20 % excellent quota and the 15 % CSTDCS cap: rounding down, no minimum, ties."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xeploai.scoring.api import Session
from xeploai.scoring.engine import TITLE_BITS, TITLE_TEXTS, group_positions, title_flags
from xeploai.scoring.frames import to_json
from xeploai.scoring.policy import load_policy
from xeploai.scoring.types import Title

from .conftest import POLICY


def policy_with(tmp_path: Path, **replace: str) -> Path:
    text = POLICY.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_twenty_percent_rounded_down_per_unit_and_peer_group(builder, data_dir):
    for i, score in enumerate([95, 94, 93, 92, 91, 80, 80, 80, 80, 80]):
        builder.official(f"A{i}", task_score=score)
    # same scores in another peer group: its own quota
    for i, score in enumerate([95, 94, 80, 80, 80]):
        builder.official(f"B{i}", task_score=score, peer_group="mot_cua")
    res = builder.classify(data_dir)
    levels = {oid: res.level(oid) for oid in res.results["official_id"]}
    assert [oid for oid, lv in sorted(levels.items()) if lv == "HTXSNV"] == ["A0", "A1", "B0"]
    reason = res.reason("A2", "core.quota")
    assert '"allowed": 2' in reason["params"] and '"position": 3' in reason["params"]
    assert res.level("A2") == "HTTNV"


def test_group_under_five_keeps_no_excellent(builder, data_dir):
    for i in range(4):
        builder.official(f"A{i}", task_score=99)
    res = builder.classify(data_dir)
    assert set(res.results["level"]) == {"HTTNV"}
    assert all("core.quota" in res.rules(f"A{i}") for i in range(4))


def test_ties_broken_by_fewer_points_deducted_then_official_id(builder, data_dir):
    builder.official("Z", task_score=90)  # 90, nothing deducted
    builder.official("M", task_score=92)
    builder.late("M", 2, apology=True)  # 90 after -2
    builder.official("B", task_score=90)  # 90, nothing deducted, id B < Z
    builder.peers(7)  # 10 good -> 2 kept
    res = builder.classify(data_dir)
    assert res.level("B") == "HTXSNV"
    assert res.level("Z") == "HTXSNV"
    assert res.level("M") == "HTTNV"


def test_unit_share_raises_the_quota_and_says_so(builder, data_dir, tmp_path):
    for i in range(4):
        builder.official(f"A{i}", task_score=99, unit_id="TOT")
    path = policy_with(tmp_path, **{"value = {} }": "value = { TOT = 0.5 } }"})
    res = builder.classify(data_dir, policy=path)
    assert sorted(res.results["level"]) == ["HTTNV", "HTTNV", "HTXSNV", "HTXSNV"]
    assert "tỷ lệ riêng" in res.reason("A3", "core.quota")["note"]


def test_good_only_base(builder, data_dir, tmp_path):
    # 4 at >= 90, 6 good: good_or_above keeps floor(0.2*10) = 2; good_only keeps the largest
    # k with k <= floor(0.2 * (6 + 4 - k)) -> k = 1
    for i in range(4):
        builder.official(f"X{i}", task_score=95 - i)
    builder.peers(6)
    path = policy_with(tmp_path, **{'value = "good_or_above"': 'value = "good_only"'})
    res = builder.classify(data_dir, policy=path)
    assert (res.results["level"] == "HTXSNV").sum() == 1
    res2 = builder.classify(data_dir)
    assert (res2.results["level"] == "HTXSNV").sum() == 2


@pytest.mark.parametrize(("n_ldtt", "cap"), [(6, 0), (7, 1), (13, 1), (14, 2), (20, 3)])
def test_cstdcs_cap_fifteen_percent_of_unit_ldtt(builder, data_dir, n_ldtt, cap):
    # every one has an initiative: all are candidates; 0.15 * 20 must give 3 (exact arithmetic)
    for i in range(n_ldtt):
        oid = f"A{i:02d}"
        builder.official(oid, task_score=80 + (i % 3), peer_group=f"g{i % 2}")
        builder.innovation(oid, recognized_on="2023-06-01")
    res = builder.classify(data_dir)
    assert (res.results["titles"] == "CSTDCS;LDTT").sum() == cap
    assert (res.results["titles"] == "LDTT").sum() == n_ldtt - cap
    over = res.results.loc[res.results["titles"] == "LDTT", "official_id"]
    assert all("core.title_cstdcs_cap" in res.rules(o) for o in over)


def test_cstdcs_cap_follows_quota_order(builder, data_dir):
    for i in range(7):
        builder.official(f"A{i}", task_score=80)
        builder.innovation(f"A{i}", recognized_on="2023-06-01")
    builder.late("A0", 1)  # 3 + 80 - 1: fewer points than the rest
    res = builder.classify(data_dir)
    winners = res.results.loc[res.results["titles"].str.contains("CSTDCS"), "official_id"]
    assert list(winners) == ["A1"]  # equal scores, equal deductions -> lowest id after A0


def test_htxsnv_alone_qualifies_for_cstdcs_only_under_2022_law(builder, data_dir):
    builder.official("A", task_score=95)
    builder.peers(9)  # 10 good: 2 excellent allowed, 1 LDTT in 7 gives 1 CSTDCS
    res_2023 = builder.classify(data_dir, year=2023)  # considered 15/01/2024: luat_2022
    assert res_2023.titles("A") == ["CSTDCS", "LDTT"]
    res_2022 = builder.classify(data_dir, year=2022)  # considered 15/01/2023: luat_2003
    assert res_2022.titles("A") == ["LDTT"]


def test_title_regime_read_at_consideration_date():
    policy = load_policy(POLICY)
    regime = policy.parameter("titles.regime")
    assert regime.at(dt.date(2024, 1, 15)) == "luat_2022"
    assert regime.at(dt.date(2023, 12, 31)) == "luat_2003"


def test_considered_on_override_changes_regime(builder, data_dir):
    builder.official("A", task_score=95)
    builder.peers(9)
    res = builder.classify(data_dir, year=2023, considered_on=dt.date(2023, 12, 30))
    assert res.titles("A") == ["LDTT"]


def test_quota_note_names_the_peer_group_in_words(builder, data_dir):
    # the council's documents say "Bộ phận một cửa", not the file's code "mot_cua"; a code
    # the project has no words for is shown with spaces, never dropped
    for group in ("mot_cua", "to_ky_thuat"):
        for i in range(4):
            builder.official(f"{group}{i}", task_score=99, unit_id="U9", peer_group=group)
    res = builder.classify(data_dir)
    one_stop = res.reason("mot_cua0", "core.quota")["note"]
    assert "của đơn vị U9, nhóm Bộ phận một cửa:" in one_stop
    assert "mot_cua" not in one_stop
    assert "của đơn vị U9, nhóm to ky thuat:" in res.reason("to_ky_thuat0", "core.quota")["note"]


def test_core_params_are_typed_and_written_as_plugins_params_are(builder, data_dir, tmp_path):
    """The core's params (quota, CSTDCS cap, thresholds, regime) are typed values written by
    the one JSON writer of the plugins' params: keys sorted, numbers as numbers, a unit's
    own share as a boolean — the values the quota and the cap worked with."""
    for i, score in enumerate([95, 94, 93, 92, 91, 80, 80, 80, 80, 80]):
        builder.official(f"A{i}", task_score=score)
    for i in range(4):
        builder.official(f"T{i}", task_score=99, unit_id="TOT")
    for i in range(7):
        builder.official(f"C{i}", task_score=80, unit_id="U2")
        builder.innovation(f"C{i}", recognized_on="2023-06-01")
    path = policy_with(tmp_path, **{"value = {} }": "value = { TOT = 0.5 } }"})
    res = builder.classify(data_dir, policy=path)
    core = res.reasons[res.reasons["plugin"] == "core"]
    assert set(core["rule"]) >= {"core.quota", "core.title_cstdcs", "core.title_cstdcs_cap",
                                 "core.provisional_level", "core.title_ldtt"}
    for text in core["params"]:
        assert text == to_json(json.loads(text))
    quota = json.loads(res.reason("A2", "core.quota")["params"])
    assert quota == {"allowed": 2, "base": "good_or_above", "good_count": 10,
                     "position": 3, "share": 0.2, "unit_share": False}
    own = json.loads(res.reason("T3", "core.quota")["params"])
    assert own["unit_share"] is True and own["share"] == 0.5 and own["allowed"] == 2
    assert all(type(own[k]) is int for k in ("allowed", "good_count", "position"))
    over = res.results.loc[(res.results["unit_id"] == "U2")
                           & (res.results["titles"] == "LDTT"), "official_id"].iloc[0]
    cap = json.loads(res.reason(over, "core.title_cstdcs_cap")["params"])
    assert cap["cap"] == 1 and cap["ldtt_count"] == 7 and cap["share"] == 0.15
    assert cap["position"] > 1 and type(cap["position"]) is int


# The shares' order and the titles' flags are numpy over integer keys; each must answer
# what the plain pandas statement of the rule answers.
POSITION_ROWS = st.lists(st.tuples(
    st.booleans(), st.integers(0, 3), st.sampled_from([80.0, 85.5, 90.0, -0.0, 0.0, np.nan]),
    st.sampled_from([0.0, 1.0, 2.5])), max_size=40)


@given(POSITION_ROWS)
@settings(max_examples=200, deadline=None)
def test_group_positions_are_the_stable_sort_of_the_shares(rows: list[tuple]) -> None:
    """Place in group = cumcount after a stable sort by group, score (high first),
    deducted (low first) and official id, as ``sort_values`` orders them (NaN last)."""
    frame = pd.DataFrame(rows, columns=["candidate", "group", "score", "deducted"])
    frame["official_id"] = [f"CB{i:03d}" for i in range(len(frame))][::-1]
    id_rank = frame["official_id"].rank(method="first").to_numpy(dtype=np.int64) - 1
    got = group_positions(frame["candidate"].to_numpy(dtype=bool),
                          frame["group"].to_numpy(dtype=np.int64),
                          frame["score"].to_numpy(dtype=float),
                          frame["deducted"].to_numpy(dtype=float), id_rank)
    ranked = frame.loc[frame["candidate"].astype(bool)].sort_values(
        ["group", "score", "deducted", "official_id"], ascending=[True, False, True, True],
        kind="mergesort")
    want = (ranked.groupby("group").cumcount() + 1).reindex(frame.index).fillna(0)
    assert got.tolist() == want.astype(np.int64).tolist()


@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from(
    ["", "LDTT", "CSTDCS", "CCHC;LDTT", "LDTT;CSTDCS;CCHC", "XLDTT", "CCHC;"])), max_size=30))
@settings(max_examples=150, deadline=None)
def test_title_flags_name_what_any_finding_names(rows: list[tuple[int, str]]) -> None:
    findings = pd.DataFrame(rows, columns=["row", "blocks_titles"], dtype=object)
    flags = title_flags(findings, findings["row"].to_numpy(dtype=np.int64), 5,
                        "blocks_titles")
    for official in range(5):
        named = {code for row, value in rows if row == official for code in value.split(";")}
        for title in Title:
            assert bool(flags[official] & TITLE_BITS[title.value]) == (title.value in named)
    for index, text in enumerate(TITLE_TEXTS):
        assert text == ";".join(sorted(code for code, bit in TITLE_BITS.items()
                                       if index & {"CCHC": 4, "CSTDCS": 2, "LDTT": 1}[code]))


def test_units_without_officials_count_zero_even_when_no_unit_has_any(builder, data_dir):
    """The units' table lists every unit, with zero counts where nobody works; a part of
    a dataset (a group of units read with --by-unit) may hold no official at all."""
    builder.official("A", task_score=95)
    builder.unit("EMPTY")
    builder.write(data_dir)
    session = Session.open(POLICY, 2023)
    dataset = session.load(data_dir)
    for officials in (dataset.tables["officials"], dataset.tables["officials"].iloc[:0]):
        dataset.tables["officials"] = officials
        units = session.classify(dataset, 2023).units.set_index("unit_id")
        assert units.loc["EMPTY", ["ldtt_count", "cstdcs_candidates", "cstdcs_cap",
                                   "cstdcs_kept"]].tolist() == [0, 0, 0, 0]
    assert units["ldtt_count"].sum() == 0
