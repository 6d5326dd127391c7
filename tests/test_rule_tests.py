"""The YAML rule-test runner itself (xeploai.scoring.rule_tests): what a plugin author sees when a
case is wrong, malformed, or passes; and the pytest collector in a project of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from xeploai.scoring.rule_tests import RuleCaseError, RuleCaseFailure, load_cases, run_case

from .conftest import POLICY, ROOT

CASES = f"""
policy: {POLICY}
year: 2023
cases:
  - name: late and reminded
    input:
      officials: [{{official_id: A, task_score: 90}}, {{official_id: P, task_score: 80, repeat: 3}}]
      dossiers: [{{handler_id: A, due_at: 2023-03-01, returned_at: 2023-03-02, repeat: 3}}]
      reminders: [{{official_id: A, issued_on: 2022-08-15}}]
    expect:
      A: {{score: 84, level: HTNV, titles: [], reasons: [late_dossiers.repeat_offence],
          points: {{late_dossiers.late: -3, late_dossiers.no_apology: -3}}}}
      P-2: {{level: HTTNV, titles: [LDTT]}}
"""


def write(tmp_path: Path, text: str, name: str = "test_cases.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_passing_case_expands_repeats_with_suffixed_ids(tmp_path):
    (case,) = load_cases(write(tmp_path, CASES))
    result = run_case(case, tmp_path / "data")
    assert sorted(result.results["official_id"]) == ["A", "P-1", "P-2", "P-3"]
    evidence = json.loads(result.reason("A", "late_dossiers.late")["evidence"])
    assert len(set(evidence)) == 3  # three dossiers, each with an id of its own
    assert result.level("A") == "HTNV"


def test_a_failing_case_lists_every_difference(tmp_path):
    wrong = CASES.replace("score: 84, level: HTNV, titles: []",
                          "score: 85, level: HTTNV, titles: [LDTT]") \
        .replace("late_dossiers.late: -3,", "late_dossiers.late: -2,") \
        .replace("reasons: [late_dossiers.repeat_offence]", "reasons: [discipline.counted]")
    (case,) = load_cases(write(tmp_path, wrong))
    with pytest.raises(RuleCaseFailure) as exc:
        run_case(case, tmp_path / "data")
    lines = str(exc.value).splitlines()
    assert lines[0] == "test_cases.yaml — late and reminded:"
    assert "  A: level mong đợi 'HTTNV', được 'HTNV'" in lines
    assert "  A: score mong đợi 85, được 84.0" in lines
    assert "  A: titles mong đợi ['LDTT'], được []" in lines
    assert any(ln.startswith("  A: thiếu lý do discipline.counted") for ln in lines)
    assert "  A: late_dossiers.late mong đợi -2 điểm, được -3" in lines
    assert len(lines) == 6


def test_parameters_try_other_values(tmp_path):
    what_if = CASES.replace("  - name: late and reminded\n",
                            "  - name: late and reminded\n"
                            "    parameters: {late_dossiers.repeat_threshold: 4}\n")
    (case,) = load_cases(write(tmp_path, what_if))
    with pytest.raises(RuleCaseFailure, match=r"thiếu lý do late_dossiers\.repeat_offence"):
        run_case(case, tmp_path / "data")


@pytest.mark.parametrize(("text", "message"), [
    ("cases: {}", "'cases'"),
    ("year: 2023\ncases:\n  - input: {}\n    expect: {A: {level: HTTNV}}", "'name'"),
    ("year: 2023\ncases:\n  - name: x\n    input: {}", "thiếu 'expect'"),
    ("cases:\n  - name: x\n    expect: {A: {level: HTTNV}}", "thiếu 'year'"),
    ("year: 2023\ncases:\n  - name: x\n    expect: {A: {levle: HTTNV}}", "expect.A"),
    ("year: 2023\ncases:\n  - name: x\n    inputs: {}\n    expect: {A: {level: HTTNV}}",
     "khóa lạ"),
    ("cases: [\n", "YAML"),
])
def test_malformed_files_are_clear_errors_naming_the_file(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(RuleCaseError, match=message) as exc:
        load_cases(path)
    assert str(path) in str(exc.value)


@pytest.mark.slow
def test_the_collector_runs_yaml_files_in_a_project_of_its_own(tmp_path):
    project = tmp_path / "my_plugin_tests"
    project.mkdir()
    (project / "conftest.py").write_text('pytest_plugins = ["xeploai.scoring.rule_tests"]\n')
    write(project, CASES, "test_good.yaml")
    write(project, CASES.replace("level: HTNV", "level: HTXSNV"), "test_bad.yaml")
    write(project, CASES, "cases_not_collected.yaml")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(project)], cwd=project, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    out = proc.stdout
    assert proc.returncode == 1, out
    assert "1 failed, 1 passed" in out
    assert "test_bad.yaml::late and reminded" in out
    assert "A: level mong đợi 'HTXSNV', được 'HTNV'" in out
