"""Loading plugins: each hook's contract, load-time errors that name the plugin (import error,
bad hook signature, unknown hook, invalid parameters), the XEPLOAI_PLUGINS allow-list and
XEPLOAI_TRACE_HOOKS tracing. Errors in what a plugin *returns* are tested in test_storage.py
(check_findings)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from xeploai.scoring.api import Session
from xeploai.scoring.cli import main
from xeploai.scoring.errors import PluginError, PolicyError
from xeploai.scoring.plugins import build_registry
from xeploai.scoring.testing import DatasetBuilder
from xeploai.scoring.types import PluginInfo

from .conftest import POLICY

GOOD = '''
import pandas as pd
from pydantic import Field
from xeploai.scoring import hookimpl
from xeploai.scoring.policy import Params
from xeploai.scoring.types import PluginInfo, Rule, Step, findings_frame

class BonusParams(Params):
    points: float = Field(ge=0)

@hookimpl
def xeploai_plugin_info():
    return PluginInfo("bonus", "2.1", (Rule("bonus.all", "Thưởng", "Giả định", Step.SCORE,
                                            assumption=True),), BonusParams)

@hookimpl
def xeploai_findings(context):
    p = context.params_of("bonus")
    ids = context.tables["officials"]["official_id"]
    return findings_frame(pd.DataFrame({"official_id": ids}), rule="bonus.all",
                          points=p.points)
'''

BONUS_SECTION = ('\n[bonus.points]\nreference = "Giả định của dự án"\nassumption = true\n'
                 'values = [{ from = 2020-01-01, value = %s }]\n')


def plugin_file(tmp_path: Path, source: str, name: str = "bonus.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def policy_with(tmp_path: Path, plugin: Path, points: str = "2", enable: bool = True) -> Path:
    plugins = '["service_time", "late_dossiers", "discipline", "innovation"' + (
        ', "bonus"]' if enable else "]")
    text = (f'[policy]\nextends = "{POLICY}"\nplugin_paths = ["{plugin}"]\n'
            f"plugins = {plugins}\n" + (BONUS_SECTION % points if points else ""))
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- each hook, on its own -------------------------------------------------------------------


def test_hook_xeploai_plugin_info_registers_name_version_rules_and_parameters(tmp_path):
    session = Session.open(policy_with(tmp_path, plugin_file(tmp_path, GOOD)))
    plugin = session.registry.plugins["bonus"]
    assert isinstance(plugin.info, PluginInfo)
    assert (plugin.info.name, plugin.info.version) == ("bonus", "2.1")
    assert plugin.source == f"path: {tmp_path / 'bonus.py'}"
    assert plugin.hooks == ("xeploai_findings", "xeploai_plugin_info")
    assert list(plugin.info.params_model.model_fields) == ["points"]


def test_hook_xeploai_findings_adds_points_read_from_the_policy(tmp_path):
    b = DatasetBuilder()
    b.official("A", task_score=80)
    res = b.classify(tmp_path / "d", policy=policy_with(tmp_path, plugin_file(tmp_path, GOOD),
                                                        points="2.5"))
    assert res.row("A")["score"] == 82.5
    reason = res.reason("A", "bonus.all")
    assert reason["plugin"] == "bonus" and reason["points"] == 2.5
    assert reason["basis"] == "Giả định (giả định của dự án)"


# --- load-time errors name the plugin ---------------------------------------------------------


def test_import_error_in_a_path_plugin_names_the_file_and_the_error(tmp_path):
    bad = plugin_file(tmp_path, "import khong_co_goi_nay\n", "broken.py")
    with pytest.raises(PluginError) as exc:
        Session.open(policy_with(tmp_path, bad, points=""))
    assert "broken.py" in str(exc.value)
    assert "ModuleNotFoundError" in str(exc.value) and "khong_co_goi_nay" in str(exc.value)


def test_syntax_error_in_a_path_plugin_is_a_clear_error(tmp_path):
    bad = plugin_file(tmp_path, "def xeploai_plugin_info(:\n", "typo.py")
    with pytest.raises(PluginError, match=r"typo\.py.*SyntaxError"):
        build_registry([str(bad)])


def test_missing_plugin_file_is_a_clear_error(tmp_path):
    with pytest.raises(PluginError, match="không tìm thấy tệp plugin"):
        build_registry([str(tmp_path / "nowhere.py")])


def test_bad_hook_signature_names_the_plugin_and_the_argument(tmp_path):
    bad = plugin_file(tmp_path, GOOD.replace("def xeploai_findings(context):",
                                             "def xeploai_findings(ctx):"))
    with pytest.raises(PluginError) as exc:
        build_registry([str(bad)])
    assert "bonus.py" in str(exc.value) and "ctx" in str(exc.value)


def test_misspelt_hook_is_an_error_not_a_silent_no_op(tmp_path):
    bad = plugin_file(tmp_path, GOOD.replace("def xeploai_findings(", "def xeploai_finding("))
    with pytest.raises(PluginError, match=r"bonus\.py'.*không tồn tại: xeploai_finding \("):
        build_registry([str(bad)])


def test_plugin_without_plugin_info_is_an_error(tmp_path):
    bad = plugin_file(tmp_path, "from xeploai.scoring import hookimpl\n@hookimpl\n"
                                "def xeploai_findings(context):\n    return None\n")
    with pytest.raises(PluginError, match="thiếu hook xeploai_plugin_info"):
        build_registry([str(bad)])


def test_rule_without_legal_basis_is_refused(tmp_path):
    bad = plugin_file(tmp_path, GOOD.replace('"Thưởng", "Giả định"', '"Thưởng", " "'))
    with pytest.raises(PluginError, match=r"bonus.*bonus\.all.*căn cứ pháp lý"):
        build_registry([str(bad)])


def test_two_plugins_with_one_name_is_an_error_naming_both_sources(tmp_path):
    first = plugin_file(tmp_path, GOOD, "one.py")
    second = plugin_file(tmp_path, GOOD, "two.py")
    with pytest.raises(PluginError, match=r"'bonus'.*trùng tên.*one\.py"):
        build_registry([str(first), str(second)])


@pytest.mark.parametrize(("points", "message"), [
    ('"hai"', r"bonus\.points.*hai"),     # wrong type
    ("-1", r"bonus\.points.*phải lớn hơn hoặc bằng 0"),   # out of the model's range
    ("", r"\[bonus\].*bonus\.points.*thiếu giá trị bắt buộc"),      # missing value
])
def test_invalid_parameters_name_the_plugin_section_and_value(tmp_path, points, message):
    path = policy_with(tmp_path, plugin_file(tmp_path, GOOD), points=points)
    with pytest.raises(PolicyError, match=message):
        Session.open(path)


def test_parameter_the_model_does_not_know_is_an_error(tmp_path):
    path = policy_with(tmp_path, plugin_file(tmp_path, GOOD))
    path.write_text(path.read_text(encoding="utf-8") + BONUS_SECTION.replace(
        "bonus.points", "bonus.pionts") % 1, encoding="utf-8")
    with pytest.raises(PolicyError, match=r"bonus\.pionts.*khóa lạ"):
        Session.open(path)


def test_broken_installed_plugin_names_its_entry_point(tmp_path, monkeypatch):
    # a real distribution on sys.path whose entry point cannot be imported
    site = tmp_path / "site"
    dist = site / "xeploai_broken-0.3.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: xeploai-broken\n"
                                   "Version: 0.3\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[xeploai.plugins]\nbroken = xeploai_broken\n",
                                           encoding="utf-8")
    (site / "xeploai_broken.py").write_text("raise RuntimeError('thiếu cấu hình')\n",
                                            encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(PluginError) as exc:
        build_registry()
    assert "plugin 'broken'" in str(exc.value)
    assert "RuntimeError: thiếu cấu hình" in str(exc.value)
    # the allow-list is the way round a broken installed plugin
    monkeypatch.setenv("XEPLOAI_PLUGINS", "service_time,late_dossiers,discipline,innovation")
    assert "broken" in build_registry().skipped


def test_load_errors_reach_the_cli_as_a_message_and_exit_code_1(tmp_path):
    bad = plugin_file(tmp_path, "import khong_co_goi_nay\n", "broken.py")
    result = CliRunner().invoke(main, ["plugins", "--load-path-plugins", "--policy",
                                       str(policy_with(tmp_path, bad, points=""))])
    assert result.exit_code == 1
    assert "broken.py" in result.output and "Traceback" not in result.output


# --- the allow-list and tracing -----------------------------------------------------------------


def test_allow_list_leaves_an_installed_plugin_out_and_changes_nothing_else(
        tmp_path, monkeypatch):
    b = DatasetBuilder()
    b.official("A", task_score=80)
    b.late("A", 3, apology=False)
    b.innovation("A", recognized_on="2023-05-01")
    full = b.classify(tmp_path / "a")
    monkeypatch.setenv("XEPLOAI_PLUGINS", "service_time, discipline,innovation")
    session = Session.open(POLICY)
    assert set(session.registry.skipped) == {"late_dossiers"}
    limited = b.classify(tmp_path / "b", session=session)
    assert full.row("A")["score"] == 80 - 6 + 3
    assert limited.row("A")["score"] == 80 + 3
    assert not any(r.startswith("late_dossiers.") for r in limited.rules("A"))
    assert limited.classification.plugins == {"service_time": "1.0.0", "discipline": "1.0.0",
                                              "innovation": "1.0.0"}
    listing = CliRunner().invoke(main, ["plugins"], catch_exceptions=False).output
    assert "XEPLOAI_PLUGINS" in next(ln for ln in listing.splitlines() if "late_dossiers" in ln)


def test_trace_prints_every_hook_call_with_its_result(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XEPLOAI_TRACE_HOOKS", "1")
    b = DatasetBuilder()
    b.official("A", task_score=80)
    b.official("B", task_score=70)
    b.classify(tmp_path / "d", policy=policy_with(tmp_path, plugin_file(tmp_path, GOOD)))
    err = capsys.readouterr().err
    assert "[xeploai hook] " in err
    info = next(ln for ln in err.splitlines() if "xeploai_plugin_info()" in ln and "bonus" in ln)
    assert "-> bonus 2.1; rules: bonus.all; parameters: points; tables: -" in info
    call = next(ln for ln in err.splitlines() if "bonus.xeploai_findings(year=2023)" in ln)
    assert "-> 2 findings" in call
    assert "bonus.all" in err  # the findings themselves are printed


def test_no_trace_without_the_variable(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("XEPLOAI_TRACE_HOOKS", raising=False)
    b = DatasetBuilder()
    b.official("A")
    b.classify(tmp_path / "d")
    assert "[xeploai hook]" not in capsys.readouterr().err
