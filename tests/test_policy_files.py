"""Policy files as a province edits them: sections checked against the plugins found,
every dated value validated when the file is opened, ``extends``, and ``policy show``."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from xeploai.scoring.api import Session
from xeploai.scoring.cli import main
from xeploai.scoring.errors import PolicyError
from xeploai.scoring.policy import load_policy, parameter_values

from .conftest import POLICY


def write(tmp_path, text: str, name: str = "p.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def extending(tmp_path, body: str, name: str = "p.toml"):
    return write(tmp_path, f'[policy]\nextends = "{POLICY}"\n{body}', name)


def show(*args: str, expect: int = 0) -> str:
    result = CliRunner().invoke(main, ["policy", "show", *args], catch_exceptions=False)
    assert result.exit_code == expect, result.output
    return result.output


def test_unknown_section_is_an_error_naming_it_and_the_known_ones(tmp_path):
    path = extending(tmp_path, '[khieu_nai.max_upheld]\nreference = "x"\n'
                               'values = [{ from = 2023-01-01, value = 5 }]\n')
    with pytest.raises(PolicyError) as exc:
        Session.open(path)
    msg = str(exc.value)
    assert "[khieu_nai]" in msg
    assert "late_dossiers" in msg and "levels" in msg


def test_unknown_policy_setting_is_an_error(tmp_path):
    path = extending(tmp_path, 'plugin_path = ["x.py"]\n')
    with pytest.raises(PolicyError, match="plugin_path"):
        load_policy(path)


def test_wrong_type_in_a_future_value_is_caught_when_the_policy_opens(tmp_path):
    # classifying 2023 would never read the 2030 value: the file is still wrong
    path = extending(tmp_path, '[late_dossiers.repeat_threshold]\nreference = "QĐ x"\n'
                               'values = [{ from = 2020-01-01, value = 3 },'
                               ' { from = 2030-01-01, value = "ba" }]\n')
    with pytest.raises(PolicyError, match=r"late_dossiers\.repeat_threshold"):
        Session.open(path)


def test_extends_takes_the_base_and_replaces_whole_parameters(tmp_path):
    path = extending(tmp_path, 'name = "Tỉnh X"\n[late_dossiers.repeat_threshold]\n'
                               'reference = "QĐ 1/QĐ-UBND tỉnh X"\n'
                               'values = [{ from = 2023-01-01, value = 2 }]\n')
    base, child = load_policy(POLICY), load_policy(path)
    assert child.name == "Tỉnh X"
    assert child.enabled_plugins == base.enabled_plugins
    p = child.parameter("late_dossiers.repeat_threshold")
    assert p.at(dt.date(2023, 12, 31)) == 2
    assert p.reference == "QĐ 1/QĐ-UBND tỉnh X"
    assert not p.assumption
    assert child.parameter("levels.good_min") == base.parameter("levels.good_min")
    assert child.content_hash != base.content_hash


def test_the_hash_of_an_extending_policy_covers_its_base(tmp_path):
    base = write(tmp_path, POLICY.read_text(encoding="utf-8"), "base.toml")
    child = write(tmp_path, '[policy]\nextends = "base.toml"\n', "child.toml")
    before = load_policy(child).content_hash
    base.write_text(base.read_text(encoding="utf-8").replace(
        "value = 90 }", "value = 91 }"), encoding="utf-8")
    after = load_policy(child)
    assert after.parameter("levels.excellent_min").at(dt.date(2023, 12, 31)) == 91
    assert after.content_hash != before


def test_extends_cycle_and_missing_base_are_clear_errors(tmp_path):
    write(tmp_path, '[policy]\nextends = "b.toml"\n', "a.toml")
    write(tmp_path, '[policy]\nextends = "a.toml"\n', "b.toml")
    with pytest.raises(PolicyError, match="vòng lặp"):
        load_policy(tmp_path / "a.toml")
    with pytest.raises(PolicyError, match=r"nowhere\.toml"):
        load_policy(write(tmp_path, '[policy]\nextends = "nowhere.toml"\n', "c.toml"))


def test_plugin_paths_of_a_base_stay_relative_to_the_base(tmp_path):
    (tmp_path / "base").mkdir()
    write(tmp_path / "base", '[policy]\nplugin_paths = ["rules/local.py"]\n', "base.toml")
    child = load_policy(write(tmp_path, '[policy]\nextends = "base/base.toml"\n'))
    assert child.plugin_paths == (str((tmp_path / "base" / "rules" / "local.py").resolve()),)


def test_parameter_values_in_force_for_a_year_read_titles_on_the_consideration_date():
    policy = load_policy(POLICY)
    rows = {r.key: r for r in parameter_values(policy, 2023)}
    assert rows["late_dossiers.repeat_in_force"].value is True
    assert rows["late_dossiers.repeat_in_force"].start == dt.date(2023, 1, 1)
    # the 2023 titles are considered on 15/01/2024, under the 2022 Law
    assert rows["titles.regime"].value == "luat_2022"
    assert rows["titles.regime"].read_on == dt.date(2024, 1, 15)
    assert rows["levels.good_min"].read_on == dt.date(2023, 12, 31)
    assert rows["late_dossiers.max_deduction"].assumption
    old = {r.key: r for r in parameter_values(policy, 2022)}
    assert old["late_dossiers.repeat_in_force"].value is False
    assert old["titles.regime"].value == "luat_2003"
    history = [r for r in parameter_values(policy) if r.key == "titles.regime"]
    assert [(r.start, r.value) for r in history] == [
        (dt.date(2004, 1, 1), "luat_2003"), (dt.date(2024, 1, 1), "luat_2022")]


def test_a_parameter_without_a_value_yet_is_shown_as_such(tmp_path):
    path = extending(tmp_path, '[late_dossiers.repeat_threshold]\nreference = "QĐ x"\n'
                               'values = [{ from = 2023-01-01, value = 3 }]\n')
    row = next(r for r in parameter_values(load_policy(path), 2021)
               if r.key == "late_dossiers.repeat_threshold")
    assert row.start is None and row.value is None
    assert "chưa có giá trị" in show("--year", "2021", "--policy", str(path))


def test_policy_show_prints_values_dates_and_sources_for_a_year():
    out = show("--year", "2023", "--policy", str(POLICY))
    line = next(ln for ln in out.splitlines() if "late_dossiers.repeat_in_force" in ln)
    assert "true" in line and "01/01/2023" in line and "QĐ 4510/QĐ-UBND" in line
    assert "false" not in line
    regime = next(ln for ln in out.splitlines() if "titles.regime" in ln)
    assert "luat_2022" in regime and "15/01/2024" in regime
    threshold = next(ln for ln in out.splitlines() if "late_dossiers.repeat_threshold" in ln)
    assert "[giả định]" in threshold
    everything = show("--policy", str(POLICY))
    assert sum("late_dossiers.repeat_in_force" in ln for ln in everything.splitlines()) == 2


def test_policy_show_rejects_a_bad_policy_with_exit_code_1(tmp_path):
    path = extending(tmp_path, '[lates_dossiers.repeat_threshold]\nreference = "x"\n'
                               'values = [{ from = 2023-01-01, value = 3 }]\n')
    out = show("--policy", str(path), expect=1)
    assert "[lates_dossiers]" in out
    assert "Traceback" not in out
