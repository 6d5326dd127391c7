"""Policy files: `extends` keeps the base's plugin list (plugins_add adds to it), a section
whose plugin is off is a warning, a dated value cites its own source; and a policy file's
code loading is explicit: path plugins only beside the policy file unless allowed on the
command line, never imported by `policy show` or `plugins` unasked."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from xeploai.scoring.api import Session
from xeploai.scoring.cli import main
from xeploai.scoring.errors import PolicyError
from xeploai.scoring.policy import load_policy, parameter_values

from .conftest import POLICY, SAMPLE

BUILT_IN = ("service_time", "late_dossiers", "discipline", "innovation")

# a path plugin that leaves a mark when its code runs
MARKING = '''
from pathlib import Path
from xeploai.scoring import hookimpl
from xeploai.scoring.types import PluginInfo

Path(__file__).with_name("imported.mark").write_text("ran")

@hookimpl
def xeploai_plugin_info():
    return PluginInfo("marking", "1.0", ())
'''


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def invoke(*args: str, expect: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), env={"XEPLOAI_LANG": ""})
    assert result.exit_code == expect, (result.output, result.exception)
    assert "Traceback" not in result.output
    return result.output


# --- extends and the plugin list --------------------------------------------------------------

def test_extends_keeps_the_base_plugin_list(tmp_path):
    child = write(tmp_path / "child.toml", f'[policy]\nextends = "{POLICY}"\nname = "con"\n')
    assert load_policy(child).enabled_plugins == BUILT_IN


def test_plugins_add_appends_without_restating(tmp_path):
    write(tmp_path / "marking.py", MARKING)
    child = write(tmp_path / "child.toml", f'''
        [policy]
        extends = "{POLICY}"
        plugins_add = ["marking", "innovation"]
        plugin_paths = ["marking.py"]
        ''')
    policy = load_policy(child)
    assert policy.enabled_plugins == (*BUILT_IN, "marking")
    session = Session.open(policy)
    assert [p.info.name for p in session.registry.only(policy.enabled_plugins)] == \
        [*BUILT_IN, "marking"]
    grandchild = write(tmp_path / "grandchild.toml",
                       '[policy]\nextends = "child.toml"\nplugins_add = ["late_dossiers"]\n')
    assert load_policy(grandchild).enabled_plugins == (*BUILT_IN, "marking")


def test_an_explicit_plugins_list_replaces_the_base_one(tmp_path):
    child = write(tmp_path / "child.toml",
                  f'[policy]\nextends = "{POLICY}"\nplugins = ["service_time", "discipline"]\n')
    assert load_policy(child).enabled_plugins == ("service_time", "discipline")


def test_a_section_whose_plugin_is_off_is_a_warning(tmp_path):
    child = write(tmp_path / "child.toml", f'''
        [policy]
        extends = "{POLICY}"
        plugins = ["service_time", "late_dossiers", "discipline"]
        ''')
    session = Session.open(child)
    assert len(session.warnings) == 1 and "[innovation]" in session.warnings[0]
    assert "plugins_add" in session.warnings[0]
    assert Session.open(POLICY).warnings == []
    output = invoke("run", "--data", str(SAMPLE), "--year", "2023", "--dry-run",
                    "--policy", str(child))
    assert "cảnh báo:" in output and "[innovation]" in output


def test_a_dated_value_cites_its_own_source(tmp_path):
    child = write(tmp_path / "child.toml", f'''
        [policy]
        extends = "{POLICY}"

        [late_dossiers.repeat_threshold]
        description = "Số hồ sơ trễ hạn để coi là tái phạm"
        reference = "QĐ 4510/QĐ-UBND ngày 29/12/2022"
        values = [{{ from = 2023-01-01, value = 3 }},
                  {{ from = 2025-01-01, value = 2, reference = "QĐ 99/2024/QĐ-UBND" }}]
        ''')
    policy = load_policy(child)
    history = [r for r in parameter_values(policy) if r.key == "late_dossiers.repeat_threshold"]
    assert [(r.value, r.reference) for r in history] == [
        (3, "QĐ 4510/QĐ-UBND ngày 29/12/2022"), (2, "QĐ 99/2024/QĐ-UBND")]
    shown = json.loads(invoke("policy", "show", "--year", "2025", "--json", "--policy",
                              str(child)))
    row = next(p for p in shown["parameters"] if p["key"] == "late_dossiers.repeat_threshold")
    assert (row["value"], row["reference"]) == (2, "QĐ 99/2024/QĐ-UBND")


def test_every_value_needs_a_source(tmp_path):
    child = write(tmp_path / "child.toml", f'''
        [policy]
        extends = "{POLICY}"

        [late_dossiers.repeat_threshold]
        values = [{{ from = 2023-01-01, value = 3, reference = "QĐ 4510" }},
                  {{ from = 2025-01-01, value = 2 }}]
        ''')
    with pytest.raises(PolicyError, match="repeat_threshold thiếu 'reference'"):
        load_policy(child)


# --- a policy file is code ---------------------------------------------------------------------

def plugin_policy(folder: Path, plugin_path: str) -> Path:
    return write(folder / "policy.toml", f'''
        [policy]
        extends = "{POLICY}"
        plugins_add = ["marking"]
        plugin_paths = ["{plugin_path}"]
        ''')


@pytest.mark.parametrize("where", ["../elsewhere/marking.py", "absolute"])
def test_a_plugin_outside_the_policy_folder_needs_the_user_s_leave(tmp_path, where):
    plugin = write(tmp_path / "elsewhere" / "marking.py", MARKING)
    policy = plugin_policy(tmp_path / "policies", str(plugin) if where == "absolute" else where)
    output = invoke("validate", "--data", str(SAMPLE), "--policy", str(policy), expect=1)
    assert "--allow-plugin-path" in output and str(plugin) in output
    assert not (plugin.parent / "imported.mark").exists()
    invoke("validate", "--data", str(SAMPLE), "--policy", str(policy),
           "--allow-plugin-path", str(tmp_path / "elsewhere"))
    assert (plugin.parent / "imported.mark").exists()


def test_a_symlink_out_of_the_policy_folder_is_outside(tmp_path):
    plugin = write(tmp_path / "elsewhere" / "marking.py", MARKING)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "marking.py").symlink_to(plugin)
    policy = plugin_policy(tmp_path / "policies", "marking.py")
    with pytest.raises(PolicyError, match="ngoài thư mục"):
        Session.open(policy)


def test_policy_show_and_plugins_never_import_a_path_plugin_unasked(tmp_path):
    write(tmp_path / "marking.py", MARKING)
    policy = plugin_policy(tmp_path, "marking.py")
    mark = tmp_path / "imported.mark"
    invoke("policy", "show", "--policy", str(policy))
    assert "path:" in invoke("plugins", "--policy", str(policy))
    listed = json.loads(invoke("plugins", "--json", "--policy", str(policy)))
    assert {"source": f"path: {tmp_path / 'marking.py'}", "loaded": False}.items() <= \
        listed[-1].items()
    assert not mark.exists()
    assert "marking" in invoke("plugins", "--load-path-plugins", "--policy", str(policy))
    assert mark.exists()
