"""bench/run_2026.py runs end to end on a tiny 2026 dataset (no timing asserted: speed is
the script's job, on a real province)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(sys.platform == "win32", reason="the script forks a child per figure")
def test_bench_2026_reports_the_products_run(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("xeploai_bench_2026",
                                                  ROOT / "bench" / "run_2026.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "figures.json"
    assert module.main(["--officials", "80", "--dossiers", "900", "--repeat", "1",
                        "--workdir", str(tmp_path), "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert figures["rows"]["work_items.csv"] > 0 and figures["rows"]["periods.csv"] > 0
    assert figures["products_officials"] > 0
    assert figures["ratio_full_to_floor"] == pytest.approx(
        figures["full_run_s"] / figures["floor_s"])
