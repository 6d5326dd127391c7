"""Meta-tests that keep the house in order (as datasette does for its hooks):

* every hook has its signature in docs/plugins.md, exactly as scoring/hookspecs.py declares it,
  and a test of its own (a test function named ``test_hook_<hook name>...``);
* every finding column is documented;
* every rule of every plugin we ship has a legal basis, and one that says it is an assumption
  is marked as one; every parameter has a reference, with the same rule;
* every rule of the built-in plugins is exercised by a YAML rule case in tests/rules.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
from xeploai.scoring import hookspecs
from xeploai.scoring.api import Session
from xeploai.scoring.plugins import PluginRegistry, _load_path_module
from xeploai.scoring.policy import load_policy
from xeploai.scoring.rule_tests import load_cases
from xeploai.scoring.types import FINDING_COLUMNS

from .conftest import POLICY, ROOT

DOC = ROOT / "docs" / "plugins.md"
EXAMPLE = ROOT / "examples" / "plugins" / "complaints"
ASSUMPTION_WORDS = re.compile(r"giả định|quy định riêng của tỉnh", re.IGNORECASE)


def declared_signature(name: str) -> str:
    """``def name(arg: Type) -> Return:`` as written in hookspecs.py (annotations are text)."""
    sig = inspect.signature(getattr(hookspecs, name))
    args = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
    return f"def {name}({args}) -> {sig.return_annotation}:"


def documented_signatures() -> dict[str, str]:
    found = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"def (xeploai_\w+)\(.*\).*:$", line)
        if m:
            found.setdefault(m.group(1), line)
    return found


@pytest.mark.parametrize("hook", hookspecs.HOOK_NAMES)
def test_every_hook_is_documented_with_its_exact_signature(hook):
    documented = documented_signatures()
    assert hook in documented, f"docs/plugins.md does not document {hook}"
    assert documented[hook] == declared_signature(hook)
    assert f"### `{hook}`" in DOC.read_text(encoding="utf-8")


def test_the_doc_documents_no_hook_that_does_not_exist():
    assert set(documented_signatures()) <= set(hookspecs.HOOK_NAMES)


def test_hook_names_list_every_hookspec():
    specs = {n for n, f in vars(hookspecs).items()
             if callable(f) and hasattr(f, "xeploai_spec")}
    assert specs == set(hookspecs.HOOK_NAMES)


def test_the_test_scanner_sees_a_test_function(tmp_path):
    # the scanner below must see a test it is shown, or the next test proves nothing
    (tmp_path / "test_x.py").write_text("def test_hook_xeploai_demo_works():\n    pass\n")
    assert "test_hook_xeploai_demo_works" in _test_names(tmp_path)


def _test_names(folder: Path) -> set[str]:
    names = set()
    for path in folder.rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                names.add(node.name)
    return names


@pytest.mark.parametrize("hook", hookspecs.HOOK_NAMES)
def test_every_hook_has_a_test_of_its_own(hook):
    tests = _test_names(ROOT / "tests")
    assert any(t.startswith(f"test_hook_{hook}") for t in tests), \
        f"no test named test_hook_{hook}_… in tests/"


def test_every_finding_column_is_documented():
    doc = DOC.read_text(encoding="utf-8")
    for column in FINDING_COLUMNS:
        assert f"| `{column}` |" in doc, column


def shipped_registry() -> PluginRegistry:
    """The built-in plugins and the worked example."""
    registry = Session.open(POLICY).registry
    registry.register(_load_path_module(str(EXAMPLE / "xeploai_complaints")), "path",
                      label="complaints example")
    return registry


def test_every_rule_has_a_basis_and_assumptions_are_marked():
    registry = shipped_registry()
    assert {"service_time", "late_dossiers", "discipline", "innovation", "complaints"} <= \
        set(registry.plugins)
    for plugin in registry.plugins.values():
        assert plugin.info.rules, plugin.info.name
        for rule in plugin.info.rules:
            assert len(rule.basis.strip()) > 5, rule.id
            if ASSUMPTION_WORDS.search(rule.basis):
                assert rule.assumption, f"{rule.id}: its basis says it is an assumption"
            if rule.assumption:
                assert "giả định của dự án" in rule.basis_text


@pytest.mark.parametrize("policy", [POLICY, EXAMPLE / "policy.toml"],
                         ids=["binh_dinh_2023", "complaints_example"])
def test_every_parameter_has_a_reference_and_assumptions_are_marked(policy):
    params = [p for s in load_policy(policy).sections.values() for p in s.values()]
    assert params
    for p in params:
        assert len(p.reference.strip()) > 5, p.key
        if ASSUMPTION_WORDS.search(p.reference):
            assert p.assumption, f"{p.key}: its reference says it is an assumption"


def test_every_parameter_of_every_plugin_model_is_in_the_policy():
    registry = shipped_registry()
    policy = load_policy(EXAMPLE / "policy.toml")
    for name, plugin in registry.plugins.items():
        model = plugin.info.params_model
        if model is not None:
            assert set(model.model_fields) == set(policy.sections.get(name, {})), name


def test_every_builtin_rule_has_a_yaml_rule_case():
    named: set[str] = set()
    for path in (ROOT / "tests" / "rules").glob("test_*.yaml"):
        for case in load_cases(path):
            for exp in case.expect.values():
                # a rule counts as exercised only when a case expects it to apply
                named |= set(exp.get("reasons", [])) | set(exp.get("points") or {})
    registry = Session.open(POLICY).registry
    missing = sorted(r.id for p in registry.plugins.values() if p.source == "built-in"
                     for r in p.info.rules if r.id not in named)
    assert not missing, f"rules with no case in tests/rules/*.yaml: {missing}"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_guides_code_is_the_example_plugins_code():
    # a reader rebuilds the plugin from the guide: what it shows must be what runs
    sources = "\n".join(p.read_text(encoding="utf-8") for p in
                        [EXAMPLE / "xeploai_complaints" / "__init__.py",
                         *(EXAMPLE / "tests").glob("*.py")])
    checked = 0
    for block in python_blocks(DOC.read_text(encoding="utf-8")):
        try:
            tree = ast.parse(block)
        except SyntaxError:  # a bare signature (the hook reference), not example code
            continue
        for node in tree.body:
            segment = ast.get_source_segment(block, node, padded=False)
            decorated = getattr(node, "decorator_list", [])
            if decorated:  # include "@hookimpl" lines
                segment = "\n".join(block.splitlines()[decorated[0].lineno - 1:node.end_lineno])
            if isinstance(node, ast.Expr) or segment is None:
                continue
            assert segment in sources, f"docs/plugins.md shows code not in the example:\n{segment}"
            checked += 1
    assert checked >= 10


def test_the_guide_states_the_example_plugins_true_length():
    doc = " ".join(DOC.read_text(encoding="utf-8").split())
    m = re.search(r"`xeploai_complaints/__init__\.py` is (\d+) lines \((\d+) without blank "
                  r"lines and comments\)", doc)
    assert m, "docs/plugins.md must say how long the example plugin is"
    lines = (EXAMPLE / "xeploai_complaints" / "__init__.py").read_text(
        encoding="utf-8").splitlines()
    code = [ln for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    assert (int(m.group(1)), int(m.group(2))) == (len(lines), len(code))
