"""bench/run_2026.py runs end to end on a tiny 2026 dataset and reports a well-formed row (no
timing asserted: speed is the script's job, on a real province)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="the benchmark reads /proc")
def test_bench_2026_reports_the_products_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("xeploai_bench_2026",
                                                  ROOT / "bench" / "run_2026.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "figures.json"
    assert module.main(["--officials", "80", "--dossiers", "900", "--repeat", "2",
                        "--workdir", str(tmp_path), "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert figures["rows"]["work_items.csv"] > 0 and figures["rows"]["periods.csv"] > 0
    assert figures["rows"]["dossiers.csv"] == 900
    assert figures["repeat"] == 2
    assert figures["ratio_min"] <= figures["ratio"] <= figures["ratio_max"]
    assert figures["run_min"] <= figures["run_s"] <= figures["run_max"]
    table = [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]
    assert len(table) == 3 and table[2].startswith("| 80 | 900 | whole |")
    assert f"{figures['run_s']:.2f} ({figures['run_min']:.2f}–" in table[2]
