"""Fresh virtual environments for tests, built from the environment running the tests.

A new venv is given the running interpreter's import path (its site-packages and whatever
they chain to) as plain lines of a ``.pth`` file, so xeploai's dependencies are found without
a download, whether the tests run in a venv or on the system interpreter. Plain lines, not
``site.addsitedir``: the running environment's own ``.pth`` files (an editable xeploai among
them) are not executed, so the only xeploai the new venv imports is the one installed in it.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

# environment variables a test's own settings must not leak into the new environment
CLEARED = ("XEPLOAI_PLUGINS", "XEPLOAI_TRACE_HOOKS", "XEPLOAI_DB", "XEPLOAI_LANG",
           "XEPLOAI_TEST_PG_URL", "PYTHONPATH", "VIRTUAL_ENV")


def running_path(exclude: Path) -> list[str]:
    """The running interpreter's import path minus its standard library and ``exclude``
    (a source checkout whose folders must not shadow the installed package)."""
    stdlib = {Path(sysconfig.get_path(k)).resolve() for k in ("stdlib", "platstdlib")}
    kept = []
    for entry in sys.path:
        if not entry or not Path(entry).is_dir():
            continue
        resolved = Path(entry).resolve()
        if resolved in stdlib or resolved == exclude.resolve() or resolved.suffix == ".zip" \
                or (resolved.parent in stdlib and resolved.name == "lib-dynload"):
            continue
        kept.append(str(resolved))
    return list(dict.fromkeys(kept))


def make_venv(venv: Path, *, with_pip: bool, exclude: Path) -> Path:
    """A new venv at ``venv`` that sees the running environment's packages; its python."""
    args = [sys.executable, "-m", "venv", str(venv)]
    if not with_pip:
        args.insert(3, "--without-pip")
    subprocess.run(args, check=True, capture_output=True)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True).stdout.strip())
    (purelib / "zz_running_environment.pth").write_text(
        "".join(f"{p}\n" for p in running_path(exclude)))
    return python


def venv_env(venv: Path) -> dict[str, str]:
    """The environment of a shell in which ``. venv/bin/activate`` was run."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    if can_build_without_isolation():
        # pip builds with the setuptools already there instead of downloading one
        env["PIP_NO_BUILD_ISOLATION"] = "0"
    return env


def can_build_without_isolation() -> bool:
    """Whether this setuptools builds an (editable) wheel by itself (≥ 70.1, or with
    ``wheel``); otherwise pip must fetch a recent setuptools for the build."""
    import setuptools

    major_minor = tuple(int(x) for x in setuptools.__version__.split(".")[:2])
    return major_minor >= (70, 1) or importlib.util.find_spec("wheel") is not None
