"""A plugin that misbehaves is named with its rule, exit code 1, and nothing is stored.

Each case runs the real Bình Định sample with a province plugin loaded from a path (as a
reform office would ship it), run last, whose findings hook does one wrong thing.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from xeploai.scoring import api
from xeploai.scoring.cli import main
from xeploai.scoring.errors import PluginError
from xeploai.scoring.plugins import _is_json

from .conftest import SAMPLE
from .faults import rogue_policy, snapshot

# one valid finding to break: `df` has one row for `first` under rule rogue.bonus
ONE = ('df = findings_frame(pd.DataFrame({"official_id": [first], "rule": ["rogue.bonus"]}))\n')

CASES: dict[str, tuple[str, list[str]]] = {
    "raises": ("def bonus(ids):\n    return 1 / len(ids[ids == 'x'])\nbonus(officials)\n",
               ["rogue", "ZeroDivisionError", "rogue.py", "hàm bonus"]),
    "returns a list": ("return [first]\n", ["rogue", "pandas.DataFrame", "list"]),
    "returns a dict": ("return {'official_id': first}\n", ["rogue", "dict"]),
    "missing columns": ('return pd.DataFrame({"official_id": [first], "rule": ["rogue.bonus"]})\n',
                        ["rogue", "thiếu cột", "points", "ceiling"]),
    "duplicate columns": (ONE + "return pd.concat([df, df[['note']]], axis=1)\n",
                          ["rogue", "lặp lại", "note"]),
    "unknown official": (ONE + 'df["official_id"] = "KHONG_CO"\nreturn df\n',
                         ["rogue", "rogue.bonus", "KHONG_CO", "officials"]),
    "official id missing": (ONE + 'df["official_id"] = None\nreturn df\n',
                            ["rogue", "rogue.bonus", "official_id", "None"]),
    "unknown level": (ONE + 'df["rule"] = "rogue.cap"\ndf["ceiling"] = "XUAT_SAC"\nreturn df\n',
                      ["rogue", "rogue.cap", "XUAT_SAC", "HTXSNV"]),
    "level in lower case": (ONE + 'df["ceiling"] = "htnv"\nreturn df\n',
                            ["rogue.bonus", "'htnv'"]),
    "undeclared rule": (ONE + 'df["rule"] = "rogue.secret"\nreturn df\n',
                        ["rogue", "rogue.secret", "chưa khai báo"]),
    "another plugin's rule": (ONE + 'df["rule"] = "late_dossiers.per_dossier"\nreturn df\n',
                              ["rogue", "late_dossiers.per_dossier", "chưa khai báo"]),
    "points not a number": (ONE + 'df["points"] = "năm"\nreturn df\n',
                            ["rogue.bonus", "'năm'", "số"]),
    "points NaN": (ONE + 'df["points"] = float("nan")\nreturn df\n', ["rogue.bonus", "nan"]),
    "points infinite": (ONE + 'df["points"] = math.inf\nreturn df\n', ["rogue.bonus", "inf"]),
    "points absurd": (ONE + 'df["points"] = -500.0\nreturn df\n',
                      ["rogue.bonus", "-500", "100"]),
    "exclude as text": (ONE + 'df["exclude"] = "no"\nreturn df\n',
                        ["rogue.bonus", "exclude", "'no'"]),
    "note missing": (ONE + 'df["note"] = None\nreturn df\n', ["rogue.bonus", "note", "None"]),
    "NUL in note": (ONE + 'df["note"] = "trễ\\x00hạn"\nreturn df\n', ["rogue.bonus", "NUL"]),
    "unknown title": (ONE + 'df["blocks_titles"] = "LDTT;NOBEL"\nreturn df\n',
                      ["rogue.bonus", "NOBEL", "CSTDCS"]),
    "params not JSON": (ONE + 'df["params"] = "threshold=3"\nreturn df\n',
                        ["rogue.bonus", "params", "threshold=3"]),
    "params a list": (ONE + 'df["params"] = "[3]"\nreturn df\n', ["rogue.bonus", "params"]),
    "evidence not JSON": (ONE + 'df["evidence"] = "HS-1, HS-2"\nreturn df\n',
                          ["rogue.bonus", "evidence", "HS-1, HS-2"]),
    "params with text after": (ONE + 'df["params"] = \'{"n": 3} x\'\nreturn df\n',
                               ["rogue.bonus", "params", "x"]),
    "params a number": (ONE + 'df["params"] = 3\nreturn df\n',
                        ["rogue.bonus", "params", "một dict", "3"]),
    "evidence a set": (ONE + 'df["evidence"] = [{"HS-1"}]\nreturn df\n',
                       ["rogue.bonus", "evidence", "{'HS-1'}"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_misbehaving_plugin_is_named_and_nothing_is_stored(case, tmp_path, sqlite_url):
    body, expected = CASES[case]
    policy = rogue_policy(tmp_path / "plugin", body)
    api.run(SAMPLE, 2023, db=sqlite_url)  # one good run, so 'nothing stored' is visible
    before = snapshot(sqlite_url)
    with pytest.raises(PluginError) as info:
        api.run(SAMPLE, 2023, db=sqlite_url, policy=policy)
    message = str(info.value)
    assert message.startswith("plugin 'rogue'")
    for piece in expected:
        assert piece in message, (piece, message)
    assert snapshot(sqlite_url) == before


def test_a_well_behaved_rogue_passes(tmp_path, sqlite_url):
    """The cases above differ from a valid plugin by the one thing they break."""
    policy = rogue_policy(tmp_path / "plugin", ONE + 'df["points"] = 2.5\nreturn df\n')
    outcome = api.run(SAMPLE, 2023, db=sqlite_url, policy=policy)
    rules = outcome.classification.reasons["rule"]
    assert (rules == "rogue.bonus").sum() == 1


def test_cli_names_plugin_and_rule_exit_1_no_traceback(tmp_path, db_url):
    policy = rogue_policy(tmp_path / "plugin", ONE + 'df["ceiling"] = "A+"\nreturn df\n')
    result = CliRunner().invoke(main, ["run", "--data", str(SAMPLE), "--year", "2023",
                                       "--policy", str(policy), "--db", db_url])
    assert result.exit_code == 1, result.output
    assert "plugin 'rogue', rule 'rogue.bonus'" in result.output
    assert "'A+'" in result.output and "Traceback" not in result.output
    assert snapshot(db_url) == {}  # the database was not even opened


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8)
JSON_TEXTS = st.one_of(
    JSON_VALUES.map(lambda v: json.dumps(v, ensure_ascii=False)),
    st.tuples(JSON_VALUES, st.sampled_from(["", " ", "\n", "\t "]),
              st.sampled_from(["", " ", "x", ",1", "]", "}"])).map(
        lambda t: t[1] + json.dumps(t[0]) + t[2]),
    st.text(max_size=20))


def _reference_is_json(value: str, kind: type | tuple[type, ...]) -> bool:
    try:
        return isinstance(json.loads(value), kind)
    except ValueError:
        return False


@given(JSON_TEXTS, st.sampled_from([dict, (list, dict)]))
def test_json_check_agrees_with_json_loads(value, kind):
    """The findings check calls json's scanner directly for speed: it must accept and
    reject exactly what ``json.loads`` does (whitespace around, text after, not JSON)."""
    assert _is_json(value, kind) == _reference_is_json(value, kind)
