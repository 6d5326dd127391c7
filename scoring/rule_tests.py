"""Rule tests as data: small YAML files of input rows and expected results, run by pytest.

Like OpenFisca's YAML tests: a plugin author writes cases, not code. Each file named
``test_*.yaml`` (or ``.yml``) in a folder pytest collects holds::

    policy: ../../config/binh_dinh_2023.toml   # optional, relative to this file
    year: 2023                                  # optional default for every case
    cases:
      - name: nhắc nhở năm 2022, 3 hồ sơ trễ năm 2023 → tối đa HTNV
        parameters: {late_dossiers.repeat_threshold: 3}   # optional what-if values
        input:
          officials: [{official_id: A, task_score: 95}]
          dossiers:
            - {handler_id: A, due_at: 2023-03-01, returned_at: 2023-03-05, repeat: 3}
          reminders: [{official_id: A, issued_on: 2022-08-15}]
        expect:
          A:
            level: HTNV
            provisional_level: HTXSNV
            score: 92
            titles: []
            reasons: [late_dossiers.repeat_offence]     # must be among the reasons
            not_reasons: [core.quota]                   # must not be
            points: {late_dossiers.late: -3}            # points a rule applied

Rows use the column names of SPEC §3 (or of a plugin's row model); what a row leaves out
gets a default (see :meth:`xeploai.scoring.testing.DatasetBuilder.add`). ``repeat: n`` adds the
row n times (ids get ``-1`` … ``-n``). Turn the collector on with one line in a
``conftest.py``::

    pytest_plugins = ["xeploai.scoring.rule_tests"]
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from .frames import number_text
from .input.records import CORE_TABLES
from .testing import DatasetBuilder, Result
from .types import TableSpec

EXPECT_KEYS = frozenset({"level", "provisional_level", "score", "titles", "reasons",
                         "not_reasons", "points"})
CASE_KEYS = frozenset({"name", "year", "policy", "parameters", "input", "expect"})


class RuleCaseError(Exception):
    """A malformed test file (not a failing rule): says which file and case."""


class RuleCaseFailure(AssertionError):
    """The rule gave other results than the case expects; lists every difference."""


@dataclass
class RuleCase:
    name: str
    file: Path
    year: int
    policy: Path | None
    parameters: dict[str, Any]
    input: dict[str, list[dict[str, Any]]]
    expect: dict[str, dict[str, Any]]


def load_cases(path: str | Path) -> list[RuleCase]:
    """Read and check one YAML file of rule cases."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleCaseError(f"{path}: không đọc được YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("cases"), list):
        raise RuleCaseError(f"{path}: cần khóa 'cases' là một danh sách")
    unknown = set(doc) - {"policy", "year", "cases"}
    if unknown:
        raise RuleCaseError(f"{path}: khóa lạ {sorted(unknown)}")
    cases = []
    for i, raw in enumerate(doc["cases"]):
        where = f"{path}, case {i + 1}"
        if not isinstance(raw, dict) or not raw.get("name"):
            raise RuleCaseError(f"{where}: mỗi case cần 'name'")
        if set(raw) - CASE_KEYS:
            raise RuleCaseError(f"{where}: khóa lạ {sorted(set(raw) - CASE_KEYS)}")
        inp, expect = raw.get("input") or {}, raw.get("expect") or {}
        if not isinstance(inp, dict) or not all(isinstance(v, list) for v in inp.values()):
            raise RuleCaseError(f"{where}: 'input' ánh xạ tên bảng → danh sách dòng")
        if not expect:
            raise RuleCaseError(f"{where}: thiếu 'expect' (một case phải kiểm tra gì đó)")
        for oid, exp in expect.items():
            if not isinstance(exp, dict) or not exp or set(exp) - EXPECT_KEYS:
                raise RuleCaseError(f"{where}: expect.{oid} phải là bảng với các khóa "
                                    f"{sorted(EXPECT_KEYS)}")
        policy = raw.get("policy", doc.get("policy"))
        year = raw.get("year", doc.get("year"))
        if not isinstance(year, int):
            raise RuleCaseError(f"{where}: thiếu 'year' (năm đánh giá)")
        cases.append(RuleCase(str(raw["name"]), path, year,
                              (path.parent / policy).resolve() if policy else None,
                              dict(raw.get("parameters") or {}), inp,
                              {str(k): v for k, v in expect.items()}))
    return cases


def _rows(rows: list[dict[str, Any]], keys: list[str]) -> Iterator[dict[str, Any]]:
    """Expand ``repeat: n``; the table's own id columns get ``-1`` … ``-n``."""
    for row in rows:
        row = dict(row)
        n = int(row.pop("repeat", 1))
        for k in range(n):
            out = dict(row)
            if n > 1:
                for col in keys:
                    if col in out:
                        out[col] = f"{out[col]}-{k + 1}"
            yield out


def key_columns(specs: Iterable[TableSpec]) -> dict[str, list[str]]:
    """Each table's id columns: fields marked ``json_schema_extra={"key": True}``."""
    return {spec.name: [name for name, f in spec.row_model.model_fields.items()
                        if isinstance(f.json_schema_extra, dict) and f.json_schema_extra.get("key")]
            for spec in specs}


_sessions: dict[tuple[str, float], Any] = {}


def _session(policy: Path | None) -> Any:
    """One open session per policy file (opening loads every plugin)."""
    from .api import Session, resolve_policy_path

    path = resolve_policy_path(policy).resolve()
    key = (str(path), path.stat().st_mtime)
    if key not in _sessions:
        _sessions[key] = Session.open(path)
    return _sessions[key]


def run_case(case: RuleCase, folder: Path) -> Result:
    """Build the case's dataset in ``folder``, classify it, and check every expectation."""
    from .api import Session

    session = _session(case.policy)
    if case.parameters:
        session = Session(session.policy.with_values(case.parameters, dt.date(1, 1, 1)),
                          session.registry)
    b = DatasetBuilder()
    # officials first: other tables' defaults look up the official's unit
    specs = [TableSpec(n, m, r) for n, (m, r) in CORE_TABLES.items()] + session.extra_tables()
    keys = key_columns(specs)
    for table in sorted(case.input, key=lambda t: (t != "units", t != "officials", t)):
        for row in _rows(case.input[table], keys.get(table, [])):
            b.add(table, **row)
    result = b.classify(folder, case.year, session=session)
    problems = check(result, case.expect)
    if problems:
        raise RuleCaseFailure("\n".join([f"{case.file.name} — {case.name}:", *problems]))
    return result


def check(result: Result, expect: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every difference between ``result`` and the expected values, as readable lines."""
    problems: list[str] = []
    ids = set(result.results["official_id"])
    for oid, exp in expect.items():
        if oid not in ids:
            problems.append(f"  {oid}: không có trong kết quả")
            continue
        row, rules = result.row(oid), result.rules(oid)
        got = {"level": row["level"], "provisional_level": row["provisional_level"],
               "score": float(row["score"]), "titles": result.titles(oid)}
        for key in ("level", "provisional_level", "score"):
            if key in exp and (float(exp[key]) != got[key] if key == "score"
                               else str(exp[key]) != got[key]):
                problems.append(f"  {oid}: {key} mong đợi {exp[key]!r}, được {got[key]!r}")
        if "titles" in exp:
            want = sorted(exp["titles"] if isinstance(exp["titles"], list)
                          else [t for t in str(exp["titles"] or "").split(";") if t])
            if want != sorted(got["titles"]):
                problems.append(f"  {oid}: titles mong đợi {want}, được {sorted(got['titles'])}")
        for rule in exp.get("reasons", []):
            if rule not in rules:
                problems.append(f"  {oid}: thiếu lý do {rule} (có: {', '.join(rules)})")
        for rule in exp.get("not_reasons", []):
            if rule in rules:
                problems.append(f"  {oid}: không được có lý do {rule}")
        for rule, pts in (exp.get("points") or {}).items():
            r = result.reasons
            got_pts = r.loc[(r["official_id"] == oid) & (r["rule"] == rule), "points"].sum()
            if rule not in rules or float(got_pts) != float(pts):
                problems.append(f"  {oid}: {rule} mong đợi {number_text(pts)} điểm, được "
                                f"{number_text(float(got_pts))}"
                                + ("" if rule in rules else " (không có)"))
    return problems


# --- the pytest collector -----------------------------------------------------------------


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix in (".yaml", ".yml") and file_path.name.startswith("test_"):
        return RuleFile.from_parent(parent, path=file_path)
    return None


class RuleFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        for case in load_cases(self.path):
            yield RuleItem.from_parent(self, name=case.name, case=case)


class RuleItem(pytest.Item):
    def __init__(self, *, case: RuleCase, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        with tempfile.TemporaryDirectory(prefix="xeploai-rule-") as tmp:
            run_case(self.case, Path(tmp))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, RuleCaseFailure | RuleCaseError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"rule case: {self.name}"
