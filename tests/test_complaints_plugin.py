"""The worked external plugin (examples/plugins/complaints) end to end, through the public API
only: loaded by path in this process, and installed with pip into a fresh virtual
environment where xeploai finds it through its entry point."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import importlib.util
import io
import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from xeploai.scoring import api
from xeploai.scoring.cli import main
from xeploai.scoring.errors import InvalidInputError
from xeploai.scoring.plugins import _load_path_module
from xeploai.scoring.types import RuleContext, TitleContext

from .conftest import POLICY, ROOT, SAMPLE

EXAMPLE = ROOT / "examples" / "plugins" / "complaints"
EXAMPLE_POLICY = EXAMPLE / "policy.toml"
PLUGIN_DIR = EXAMPLE / "xeploai_complaints"
COLS = ["score", "provisional_level", "level", "titles"]

# What the plugin changes in the Bình Định sample (documented in the example's README.md):
# official -> (score, provisional, level, titles) without and with the plugin
DOCUMENTED = {
    # 6 upheld complaints in 2023: capped at HTTNV, loses HTXSNV and with it CSTDCS
    "BD0005": ((96.0, "HTXSNV", "HTXSNV", "CSTDCS;LDTT"), (96.0, "HTXSNV", "HTTNV", "LDTT")),
    # the excellent slot BD0005 frees in STP/chuyen_vien goes to the next in line
    "BD0006": ((92.0, "HTXSNV", "HTTNV", "LDTT"), (92.0, "HTXSNV", "HTXSNV", "CSTDCS;LDTT")),
    # 46 dossiers, all on time: +2
    "BD0019": ((83.0, "HTTNV", "HTTNV", "LDTT"), (85.0, "HTTNV", "HTTNV", "LDTT")),
    # 35 dossiers, all on time: +2 reaches 91, but the quota keeps UBND_TP's one slot
    "BD0032": ((89.0, "HTTNV", "HTTNV", "LDTT"), (91.0, "HTXSNV", "HTTNV", "LDTT")),
}


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """The Bình Định sample plus the example's complaints.csv."""
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns("*.py", "*.md"))
    shutil.copy(EXAMPLE / "data" / "complaints.csv", folder)
    return folder


def path_policy(tmp_path: Path, plugins: str | None = None) -> Path:
    """The example's policy, with the plugin loaded from a copy of its folder beside the
    policy file (no install): a path plugin must lie in the policy file's folder."""
    shutil.copytree(PLUGIN_DIR, tmp_path / PLUGIN_DIR.name, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    text = (f'[policy]\nextends = "{EXAMPLE_POLICY}"\n'
            f'plugin_paths = ["{PLUGIN_DIR.name}"]\n')
    if plugins is not None:
        text += f"plugins = {plugins}\n"
    path = tmp_path / "with_path.toml"
    path.write_text(text, encoding="utf-8")
    return path


def outcome(data: Path, policy: Path) -> dict[str, tuple]:
    res = api.run(data, 2023, policy=policy, store=False).classification.results
    return {r.official_id: (float(r.score), r.provisional_level, r.level, r.titles)
            for r in res.itertuples()}


def test_path_loaded_plugin_changes_the_sample_exactly_as_documented(tmp_path, dataset):
    before = outcome(dataset, POLICY)
    after = outcome(dataset, path_policy(tmp_path))
    changed = {oid for oid in before if before[oid] != after[oid]}
    assert changed == set(DOCUMENTED)
    for oid, (was, now) in DOCUMENTED.items():
        assert (before[oid], after[oid]) == (was, now), oid


def test_the_explanation_shows_the_complaints_with_their_legal_basis(tmp_path, dataset):
    res = api.run(dataset, 2023, policy=path_policy(tmp_path), store=False).classification
    r = res.reasons
    mine = r[(r["official_id"] == "BD0005") & (r["rule"] == "complaints.too_many_upheld")]
    assert len(mine) == 1
    row = mine.iloc[0]
    assert row["plugin"] == "complaints" and row["ceiling"] == "HTTNV"
    assert "KN-2023-006" in row["evidence"] and "KN-2023-013" not in row["evidence"]
    assert "Luật Khiếu nại" in row["basis"] and "giả định" in row["basis"]
    # five upheld (plus a partly upheld and a rejected one) is not "more than five"
    assert not ((r["official_id"] == "BD0024") & (r["plugin"] == "complaints")).any()
    assert res.plugins["complaints"] == "0.1.0"


def test_a_plugin_switched_off_in_the_policy_changes_nothing(tmp_path, dataset):
    off = path_policy(tmp_path, '["service_time", "late_dossiers", "discipline", "innovation"]')
    assert outcome(dataset, off) == outcome(dataset, POLICY)


def test_the_plugins_table_is_required_only_when_the_plugin_runs(tmp_path, dataset):
    (dataset / "complaints.csv").unlink()
    with pytest.raises(InvalidInputError, match=r"complaints\.csv.*thiếu tệp"):
        api.validate(dataset, policy=path_policy(tmp_path))
    api.validate(dataset, policy=POLICY)


def test_the_plugins_table_is_checked_like_a_core_table_every_problem_at_once(tmp_path,
                                                                              dataset):
    (dataset / "complaints.csv").write_text(
        "complaint_id,official_id,received_on,decided_on,outcome\n"
        "K1,BD0001,2023-01-02,30/02/2023,dung\n"
        "K1,BD9999,hôm qua,,chua_ro\n", encoding="utf-8")
    with pytest.raises(InvalidInputError) as exc:
        api.validate(dataset, policy=path_policy(tmp_path))
    found = {(p.file, p.row, p.column) for p in exc.value.problems}
    assert found == {("complaints.csv", 2, "decided_on"), ("complaints.csv", 3, "received_on"),
                     ("complaints.csv", 3, "outcome"), ("complaints.csv", 3, "complaint_id"),
                     ("complaints.csv", 3, "official_id")}


def test_xeploai_plugins_lists_the_path_plugin_with_hooks_parameters_and_table(tmp_path):
    policy = str(path_policy(tmp_path))
    unasked = CliRunner().invoke(main, ["plugins", "--policy", policy], catch_exceptions=False)
    assert unasked.exit_code == 0, unasked.output
    assert "chưa nạp" in unasked.output and "max_upheld" not in unasked.output
    result = CliRunner().invoke(main, ["plugins", "--load-path-plugins", "--policy", policy],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if "│ complaints" in ln)
    assert "0.1.0" in line and "path:" in line and "xeploai_findings" in line
    assert "max_upheld" in line and "│ complaints │" in line
    assert "built-in" in result.output


def _venv_install_args() -> list[str]:
    # Offline and fast when this setuptools can build an editable wheel by itself (≥ 70.1,
    # or with `wheel`); otherwise let pip fetch a recent setuptools for the build.
    import setuptools

    major_minor = tuple(int(x) for x in setuptools.__version__.split(".")[:2])
    if major_minor >= (70, 1) or importlib.util.find_spec("wheel") is not None:
        return ["--no-build-isolation"]
    return []


@pytest.mark.slow
def test_installed_plugin_in_a_fresh_venv_runs_end_to_end(tmp_path, dataset):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # The new venv sees the packages of the environment running this test (xeploai and its
    # dependencies, no download), whether that is a venv or the system interpreter:
    # ``--system-site-packages`` would give the base interpreter's, not a venv's. addsitedir
    # also runs that environment's .pth files, which is how an editable xeploai is found.
    purelib = Path(subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True).stdout.strip())
    running = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (purelib / "running_environment.pth").write_text(
        "".join(f"import site; site.addsitedir({p!r})\n" for p in running))
    py = str(venv / "bin" / "python")
    env = dict(os.environ)
    for var in ("XEPLOAI_PLUGINS", "XEPLOAI_TRACE_HOOKS", "XEPLOAI_DB"):
        env.pop(var, None)

    def run(*args: str, cwd: Path = ROOT, extra: dict[str, str] | None = None) -> str:
        proc = subprocess.run([py, *args], cwd=cwd, env={**env, **(extra or {})},
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout

    leftovers = [EXAMPLE / "xeploai_complaints.egg-info", EXAMPLE / ".benchmarks"]
    existed = {p for p in leftovers if p.exists()}
    try:
        _installed_plugin_checks(run, tmp_path, dataset)
    finally:  # the build and the plugin's own test run must not leave files in the checkout
        for p in leftovers:
            if p not in existed:
                shutil.rmtree(p, ignore_errors=True)


def _installed_plugin_checks(run, tmp_path: Path, dataset: Path) -> None:
    run("-m", "pip", "install", "--no-deps", "-q", *_venv_install_args(), "-e", str(EXAMPLE))
    listing = run("-m", "xeploai.scoring.cli", "plugins", "--policy", str(EXAMPLE_POLICY))
    line = next(ln for ln in listing.splitlines() if "│ complaints" in ln)
    assert "entry point: xeploai-complaints==0.1.0" in line

    # the plugin's own tests (pytest + YAML rule cases) pass against the installed plugin
    tests = run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=EXAMPLE)
    assert " passed" in tests and "failed" not in tests

    def export(policy: Path, extra: dict[str, str] | None = None) -> dict[str, dict]:
        db = f"sqlite:///{tmp_path / 'runs.db'}"
        run("-m", "xeploai.scoring.cli", "run", "--data", str(dataset), "--year", "2023",
            "--policy", str(policy), "--db", db, extra=extra)
        text = run("-m", "xeploai.scoring.cli", "export", "--format", "csv", "--out", "-",
                   "--db", db)
        return {r["official_id"]: r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}

    base = export(POLICY)
    with_plugin = export(EXAMPLE_POLICY)
    for oid, (was, now) in DOCUMENTED.items():
        assert [base[oid][c] for c in ("provisional_level", "level", "titles")] == list(was[1:])
        assert [with_plugin[oid][c] for c in ("provisional_level", "level", "titles")] == \
            list(now[1:])
    assert "complaints.too_many_upheld" in with_plugin["BD0005"]["reasons"]
    # the allow-list leaves the installed plugin out: the same results as without it
    allowed = "service_time,late_dossiers,discipline,innovation"
    assert export(EXAMPLE_POLICY, {"XEPLOAI_PLUGINS": allowed}) == base


# --- the rule's invariants, on the plugin function itself -------------------------------------

@functools.cache
def example_module():
    return _load_path_module(str(PLUGIN_DIR))


complaint_rows = st.lists(st.tuples(
    st.sampled_from(["A", "B", "C"]),                       # official
    st.sampled_from([2022, 2023, 2024]),                   # year decided (None = pending)
    st.sampled_from(["dung", "dung_mot_phan", "sai", None])), max_size=40)


@settings(max_examples=40, deadline=None)
@given(rows=complaint_rows, max_upheld=st.integers(0, 6),
       outcomes=st.sets(st.sampled_from(["dung", "dung_mot_phan", "sai"]), min_size=1))
def test_ceiling_exactly_when_more_than_max_upheld_decided_in_the_year(rows, max_upheld,
                                                                        outcomes):
    module = example_module()
    params = module.ComplaintsParams(
        max_upheld=max_upheld, upheld_outcomes=sorted(outcomes), ceiling="HTTNV",
        on_time_min_dossiers=1, on_time_rate=1.0, on_time_points=2)
    complaints = pd.DataFrame({
        "complaint_id": [f"K{i}" for i in range(len(rows))],
        "official_id": [r[0] for r in rows],
        "received_on": pd.to_datetime(["2022-01-01"] * len(rows)),
        "decided_on": pd.to_datetime([None if r[2] is None else f"{r[1]}-06-01"
                                      for r in rows]),
        "outcome": pd.Series([r[2] for r in rows], dtype=object),
    })
    context = RuleContext(2023, {"complaints": complaints}, {"complaints": params},
                          TitleContext("luat_2022", dt.date(2024, 1, 15), 0.15))
    found = module.too_many_upheld(context, params)
    counts = {o: sum(1 for r in rows if r[0] == o and r[1] == 2023 and r[2] in outcomes)
              for o in "ABC"}
    assert set(found["official_id"]) == {o for o, n in counts.items() if n > max_upheld}
    assert (found["ceiling"] == "HTTNV").all() and (found["points"] == 0).all()
    for row in found.itertuples():
        assert len(json.loads(row.evidence)) == counts[row.official_id]
