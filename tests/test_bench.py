"""The benchmark script runs end to end on a tiny generated dataset (no timing asserted:
speed is bench/run.py's job, on real sizes)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from xeploai.scoring import api

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch):
    spec = importlib.util.spec_from_file_location("xeploai_bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "xeploai_bench_run", module)
    spec.loader.exec_module(module)
    monkeypatch.setitem(module.SIZES, "small", (60, 900))
    return module


@pytest.mark.skipif(sys.platform == "win32", reason="the script forks a child per figure")
def test_bench_reports_the_full_run_and_its_steps(bench, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "figures.json"
    assert bench.main(["--size", "small", "--repeat", "1", "--workdir", str(tmp_path),
                       "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    printed = capsys.readouterr().out
    assert "(b)'s steps: load+validate" in printed
    steps = [figures[f"full_run_{s}_s"] for s in ("load", "classify", "store")]
    assert all(s > 0 for s in steps)
    assert sum(steps) <= figures["full_run_s"]
    assert figures["ratio_full_to_floor"] == pytest.approx(
        figures["full_run_s"] / figures["floor_s"])
    # the run measured is the real one: same reasons as classifying the data here
    expected = api.run(tmp_path / "small-seed0", bench.YEAR, policy=bench.POLICY, store=False)
    assert figures["reasons"] == len(expected.classification.reasons)


@pytest.mark.skipif(sys.platform == "win32", reason="the script forks a child per figure")
def test_bench_with_vietnamese_dates_classifies_the_same_data(bench, tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    assert bench.main(["--size", "small", "--repeat", "1", "--workdir", str(tmp_path),
                       "--dates", "vn", "--json", str(out)]) == 0
    vn = tmp_path / "small-seed0-vn"
    assert "/" in (vn / "dossiers.csv").read_text(encoding="utf-8").splitlines()[1]
    same = [api.run(d, bench.YEAR, policy=bench.POLICY, store=False).classification
            for d in (tmp_path / "small-seed0", vn)]
    pd.testing.assert_frame_equal(same[0].results, same[1].results)
    pd.testing.assert_frame_equal(same[0].reasons, same[1].reasons)
    assert json.loads(out.read_text())["reasons"] == len(same[1].reasons)
