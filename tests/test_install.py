"""Installing xeploai as a user would: README's quick start in a fresh clone inside a fresh
venv, and the wheel (not editable) installed into a fresh venv and run from another folder.

Both venvs see the running environment's packages (tests/venvs.py), so nothing is downloaded;
the xeploai they run is the one they installed (checked)."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import ROOT
from .venvs import make_venv, venv_env

# set in the quick start's own test run, which must not start this file's tests again
NESTED = "XEPLOAI_INSTALL_TEST_NESTED"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bool(os.environ.get(NESTED)),
                                 reason="already inside the quick-start test's own run")]


def quick_start_commands() -> list[str]:
    """The commands of README's "Quick start" code block, as a user copies them."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README's Quick start has no bash block"
    return [ln for ln in block.group(1).splitlines() if ln.strip() and not ln.startswith("#")]


def fresh_clone(tmp_path: Path) -> Path:
    clone = tmp_path / "xeploai"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(clone)],
                   check=True, capture_output=True)
    return clone


def test_readme_quick_start_in_a_fresh_clone_and_venv(tmp_path: Path) -> None:
    commands = quick_start_commands()
    assert len(commands) == 2 and commands[0].startswith("pip install -e .") \
        and "python -m pytest" in commands[1]
    clone = fresh_clone(tmp_path)
    venv = tmp_path / "v"
    make_venv(venv, with_pip=True, exclude=ROOT)
    env = {**venv_env(venv), NESTED: "1"}
    timings = []
    for command in commands:
        started = time.perf_counter()
        proc = subprocess.run(["bash", "-c", command], cwd=clone, env=env,
                              capture_output=True, text=True, timeout=1500)
        timings.append(time.perf_counter() - started)
        assert proc.returncode == 0, f"{command}\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
        if "xeploai run" in command:
            assert "Kết quả xếp loại năm 2023" in proc.stdout
            assert (clone / "xeploai.db").is_file()
        else:
            assert " passed" in proc.stdout and " failed" not in proc.stdout
    # the xeploai that ran is the clone's, installed in the new venv
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import xeploai.scoring as s; print(s.__file__)"],
                           env=env, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(clone)
    print("\nREADME quick start in a fresh venv: "
          + "; ".join(f"command {i}: {t:.0f} s" for i, t in enumerate(timings, 1)))


def test_wheel_installed_in_a_fresh_venv_classifies_from_another_folder(tmp_path: Path) -> None:
    clone = fresh_clone(tmp_path)  # built from a clean tree: no build/ left in the checkout
    venv = tmp_path / "w"
    python = make_venv(venv, with_pip=False, exclude=ROOT)
    env = venv_env(venv)
    dist = tmp_path / "dist"
    subprocess.run([str(python), "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist),
                    str(clone)], env=env, check=True, capture_output=True, timeout=600)
    wheel = next(dist.glob("xeploai-*.whl"))
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    str(wheel)], env=env, check=True, capture_output=True, timeout=600)
    elsewhere = tmp_path / "somewhere_else"
    elsewhere.mkdir()
    where = subprocess.run([str(python), "-c", "import xeploai.scoring as s; print(s.__file__)"],
                           env=env, cwd=elsewhere, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout
    sample = clone / "examples" / "binh_dinh_2023"
    proc = subprocess.run([str(venv / "bin" / "xeploai"), "run", "--data", str(sample),
                           "--year", "2023"], cwd=elsewhere, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Kết quả xếp loại năm 2023" in proc.stdout
    assert (elsewhere / "xeploai.db").is_file()
    shown = subprocess.run([str(venv / "bin" / "xeploai"), "policy", "show", "--year", "2023"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)
    assert shown.returncode == 0 and "late_dossiers.repeat_threshold" in shown.stdout, \
        shown.stdout + shown.stderr
    # the message catalogues are package data: click's errors are Vietnamese there too
    typo = subprocess.run([str(venv / "bin" / "xeploai"), "run", "--yaer", "2023"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)
    assert typo.returncode == 2 and "Không có tùy chọn '--yaer'" in typo.stderr, typo.stderr
