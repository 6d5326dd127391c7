"""What the ``xeploai`` command imports: a run pays only for what it uses, and the command
modules import each other in one direction (no circle)."""

from __future__ import annotations

import ast
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "binh_dinh_2023"

# the council's, the workspace's and the export writers' machinery: `xeploai run` stores a
# run and prints its summary without any of it
NOT_FOR_RUN = (
    "xeploai.scoring.cli_council", "xeploai.scoring.cli_web", "xeploai.scoring.overrides",
    "xeploai.scoring.signoff", "xeploai.scoring.reapply", "xeploai.scoring.compare",
    "xeploai.scoring.explain", "xeploai.scoring.export", "xeploai.scoring.xlsx_export",
    "xeploai.scoring.pdf_export",
    "xeploai.scoring.accounts", "xeploai.scoring.web", "argon2", "jinja2", "weasyprint",
    "starlette", "uvicorn", "rich.progress", "rich._emoji_codes",
    "openpyxl",  # read only when a data file is .xlsx
    # the schema's SQLModel classes and the ORM: a run creates and writes the tables through
    # their compiled Core form (xeploai.scoring.schema_tables, docs/decisions.md 114)
    "sqlmodel", "sqlalchemy.orm", "xeploai.scoring.run_tables",
    "xeploai.scoring.council_records", "xeploai.scoring.account_tables",
)

IMPORTED_BY_A_RUN = """
import json, sys
from xeploai.scoring.cli import main
try:
    main(sys.argv[1:], prog_name="xeploai")
except SystemExit as stop:
    assert not stop.code, stop.code
print(json.dumps(sorted(sys.modules)))
"""


def modules_imported(tmp_path: Path, *args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", IMPORTED_BY_A_RUN, *args], cwd=tmp_path,
                          capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_run_imports_no_council_web_or_export_machinery(tmp_path: Path):
    loaded = modules_imported(tmp_path, "run", "--data", str(SAMPLE), "--year", "2023",
                              "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert "xeploai.scoring.storage" in loaded  # it did store the run
    assert not [m for m in loaded if m.split(".")[0] in {"argon2", "jinja2"}
                or any(m == name or m.startswith(name + ".") for name in NOT_FOR_RUN)]
    # a stored run is read back with the ORM by the commands that show it
    with sqlite3.connect(tmp_path / "x.db") as conn:
        assert conn.execute("select count(*) from results").fetchone() == (44,)


def test_the_council_commands_load_when_asked_for(tmp_path: Path):
    loaded = modules_imported(tmp_path, "runs", "--help")
    assert "xeploai.scoring.cli_council" in loaded
    assert "xeploai.scoring.cli_web" not in loaded


def _import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (relative imports, at any depth)."""
    root = ROOT / "scoring"
    graph: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        parts = list(path.with_suffix("").relative_to(root).parts)
        package = parts[:-1]
        if parts[-1] == "__init__":
            parts = package
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package[:len(package) - node.level + 1]
                if node.module:
                    targets.add(".".join([*base, *node.module.split(".")]))
                else:
                    targets.update(".".join([*base, alias.name]) for alias in node.names)
        graph[".".join(parts)] = targets
    return {m: {t for t in targets if t in graph and t != m} for m, targets in graph.items()}


def _circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(component)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_the_command_modules_import_each_other_in_one_direction():
    graph = _import_graph()
    assert "i18n" in graph["cli_council"]  # the imports were read
    circles = _circles(graph)
    assert not circles, circles  # the input layer's circle (loader, fastload, partcheck) too
