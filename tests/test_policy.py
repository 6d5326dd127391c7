"""Policy files: dated values, legal references, and clear errors."""

from __future__ import annotations

import datetime as dt

import pytest
from xeploai.scoring.api import Session
from xeploai.scoring.errors import PolicyError
from xeploai.scoring.policy import load_policy, parse_policy

from .conftest import POLICY

DATED = """
[policy]
name = "t"
[late_dossiers.repeat_threshold]
reference = "QĐ test"
values = [{ from = 2023-01-01, value = 3 }, { from = 2025-01-01, value = 2 }]
"""


def test_value_in_force_on_a_date():
    p = parse_policy(DATED).parameter("late_dossiers.repeat_threshold")
    assert p.at(dt.date(2023, 12, 31)) == 3
    assert p.at(dt.date(2024, 12, 31)) == 3
    assert p.at(dt.date(2025, 1, 1)) == 2
    with pytest.raises(PolicyError, match="2022-12-31"):
        p.at(dt.date(2022, 12, 31))


def test_every_parameter_has_a_reference_and_assumptions_are_marked():
    policy = load_policy(POLICY)
    params = [p for section in policy.sections.values() for p in section.values()]
    assert len(params) > 20
    for p in params:
        assert p.reference.strip(), p.key
        if "giả định" in p.reference.lower():
            assert p.assumption, f"{p.key} says it is an assumption but is not marked"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[levels.good_min]\nvalues = [{ from = 2020-01-01, value = 70 }]', "reference"),
        ('[levels.good_min]\nreference = "x"\nvalues = []', "không rỗng"),
        ('[levels.good_min]\nreference = "x"\nvalues = [{ from = "hôm qua", value = 1 }]',
         "một ngày"),
        ("[levels\n", "TOML"),
    ],
)
def test_malformed_policy_is_a_clear_error(text, message):
    with pytest.raises(PolicyError, match=message):
        parse_policy(text)


def test_wrong_type_in_a_plugin_section_names_the_parameter(tmp_path, builder, data_dir):
    text = POLICY.read_text(encoding="utf-8")
    start = text.index("[late_dossiers.repeat_threshold]")
    text = text[:start] + text[start:].replace("value = 3 }]", 'value = "ba" }]', 1)
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    builder.official("A")
    with pytest.raises(PolicyError, match=r"late_dossiers\.repeat_threshold"):
        builder.classify(data_dir, policy=path)


def test_missing_parameter_is_a_clear_error(tmp_path, builder, data_dir):
    text = POLICY.read_text(encoding="utf-8")
    start = text.index("[innovation.cstdcs_kinds]")
    path = tmp_path / "p.toml"
    path.write_text(text[:start], encoding="utf-8")
    builder.official("A")
    with pytest.raises(PolicyError, match="cstdcs_kinds"):
        builder.classify(data_dir, policy=path)


def test_disabled_plugin_changes_nothing_of_its_own(tmp_path, builder, data_dir):
    text = POLICY.read_text(encoding="utf-8").replace(
        '"service_time", "late_dossiers", "discipline", "innovation"',
        '"service_time", "discipline", "innovation"')
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    builder.official("A", task_score=80)
    builder.late("A", 3, apology=False)
    on = builder.classify(data_dir)
    off = builder.classify(data_dir, policy=path)
    assert on.row("A")["score"] == 74
    assert off.row("A")["score"] == 80
    assert not any(r.startswith("late_dossiers.") for r in off.rules("A"))


def test_enabling_an_uninstalled_plugin_is_a_clear_error(tmp_path):
    text = POLICY.read_text(encoding="utf-8").replace(
        '"innovation"]', '"innovation", "khieu_nai"]')
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(Exception, match="khieu_nai"):
        Session.open(path).extra_tables()


def test_every_rule_of_every_plugin_has_a_basis():
    session = Session.open(POLICY)
    for plugin in session.registry.plugins.values():
        assert plugin.info.rules, plugin.info.name
        for rule in plugin.info.rules:
            assert rule.basis.strip(), rule.id
