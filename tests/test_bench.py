"""bench/run.py, the whole-process benchmark, runs end to end at a tiny size and its table is
well formed (no timing asserted: speed is the benchmark's job, on real sizes)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from xeploai.scoring import api
from xeploai.scoring.generate import generate_dataset

ROOT = Path(__file__).resolve().parent.parent
OFFICIALS, DOSSIERS = 60, 900
NUMBER = r"[\d,]+(?:\.\d+)?"
pytestmark = [pytest.mark.skipif(sys.platform != "linux",
                                 reason="the benchmark reads /proc and forks"),
              pytest.mark.slow]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("xeploai_bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["xeploai_bench_run"] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules["xeploai_bench_run"]


def table_rows(printed: str) -> list[list[str]]:
    """The cells of the markdown table's data rows."""
    lines = [line for line in printed.splitlines() if line.startswith("|")]
    header, separator, *rows = lines
    width = header.count("|")
    assert separator.count("|") == width
    assert all(row.count("|") == width for row in rows)
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_the_table_has_one_well_formed_row_per_size(bench, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "figures.json"
    assert bench.main(["--officials", str(OFFICIALS), "--dossiers", str(DOSSIERS),
                       "--repeat", "3", "--workdir", str(tmp_path), "--json", str(out)]) == 0
    (cells,) = table_rows(capsys.readouterr().out)
    officials, dossiers, how, floor_s, run_s, ratio, cpu, peak, load = cells
    assert (officials, dossiers, how) == (f"{OFFICIALS:,}", f"{DOSSIERS:,}", "whole")
    assert re.fullmatch(NUMBER, floor_s)
    assert re.fullmatch(rf"{NUMBER} \({NUMBER}–{NUMBER}\)", run_s)
    assert re.fullmatch(rf"{NUMBER}× \({NUMBER}–{NUMBER}\)", ratio)
    assert re.fullmatch(rf"{NUMBER} / {NUMBER}", cpu)
    assert re.fullmatch(rf"{NUMBER} / {NUMBER} \({NUMBER}×\)", peak)
    assert re.fullmatch(rf"{NUMBER}→{NUMBER}", load)

    (row,) = json.loads(out.read_text())
    assert row["repeat"] == 3
    assert row["ratio_min"] <= row["ratio"] <= row["ratio_max"]
    assert row["run_min"] <= row["run_s"] <= row["run_max"]
    assert row["floor_min"] <= row["floor_s"] <= row["floor_max"]
    # the printed figures are the measured ones
    assert run_s == f"{row['run_s']:.2f} ({row['run_min']:.2f}–{row['run_max']:.2f})"
    assert ratio.startswith(f"{row['ratio']:.2f}×")
    # a whole process starting Python and importing pyarrow takes tens of MiB at least
    assert row["floor_peak"] > 20 << 20 and row["run_peak"] > 20 << 20
    assert row["peak_ratio"] == pytest.approx(row["run_peak"] / row["floor_peak"])
    # a process starting Python and importing pyarrow costs CPU, and no process gets more
    # CPU seconds than every core for as long as it ran (10 % for the clocks' granularity)
    cores = os.cpu_count() or 1
    assert 0.01 < row["floor_cpu"] <= 1.1 * row["floor_max"] * cores
    assert 0.01 < row["run_cpu"] <= 1.1 * row["run_max"] * cores
    assert cpu == f"{row['run_cpu']:.2f} / {row['floor_cpu']:.2f}"
    assert row["targets"] == {}  # no target is set for this size


def test_the_data_is_the_generated_data_with_dossiers_in_random_order(bench,
                                                                      tmp_path: Path) -> None:
    folder = bench.prepare(tmp_path / "bench", OFFICIALS, DOSSIERS)
    reference = tmp_path / "generated"
    generate_dataset(reference, officials=OFFICIALS, dossiers=DOSSIERS, year=bench.YEAR, seed=1)
    shuffled = (folder / "dossiers.csv").read_bytes().splitlines()
    generated = (reference / "dossiers.csv").read_bytes().splitlines()
    assert shuffled[0] == generated[0]  # the header stays first
    assert shuffled != generated and sorted(shuffled) == sorted(generated)
    ids = [line.split(b",")[0] for line in shuffled[1:]]
    assert ids != sorted(ids)
    for other in reference.glob("*.csv"):
        if other.name != "dossiers.csv":
            assert (folder / other.name).read_bytes() == other.read_bytes()
    # cached: a second call neither generates nor shuffles again
    assert bench.prepare(tmp_path / "bench", OFFICIALS, DOSSIERS) == folder
    assert (folder / "dossiers.csv").read_bytes().splitlines() == shuffled


def test_a_failing_run_stops_the_benchmark_with_its_message(bench, tmp_path: Path) -> None:
    folder = bench.prepare(tmp_path, OFFICIALS, DOSSIERS)
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in folder.glob("*.csv"):
        (broken / path.name).write_bytes(path.read_bytes())
    (broken / "officials.csv").write_text("not,an,officials,file\n1,2,3,4\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="exited 1"):
        bench.compare(broken, OFFICIALS, 1, tmp_path)


def test_peak_memory_counts_worker_processes_together(bench, tmp_path: Path) -> None:
    # two children holding 150 MiB each at once: no single ru_maxrss shows 300 MiB. They
    # hold it until the parent, having seen both ready, has let the sampler look for a
    # second (on a busy machine one child may start seconds after the other)
    hold = tmp_path / "hold.py"
    hold.write_text(
        "import pathlib, sys, time\n"
        "held = bytearray(150 << 20)\n"
        "held[::4096] = b'x' * len(held[::4096])  # touch every page\n"
        "folder = pathlib.Path(sys.argv[1])\n"
        "(folder / f'ready{sys.argv[2]}').touch()\n"
        "while not (folder / 'go').exists():\n"
        "    time.sleep(0.05)\n")
    parent = tmp_path / "parent.py"
    parent.write_text(
        "import pathlib, subprocess, sys, time\n"
        "folder = pathlib.Path(sys.argv[1])\n"
        f"kids = [subprocess.Popen([sys.executable, {str(hold)!r}, str(folder), str(n)])\n"
        "        for n in range(2)]\n"
        "while len(list(folder.glob('ready*'))) < 2:\n"
        "    time.sleep(0.05)\n"
        "time.sleep(1.0)\n"
        "(folder / 'go').touch()\n"
        "for kid in kids:\n"
        "    kid.wait()\n")
    both, alone = tmp_path / "both", tmp_path / "alone"
    both.mkdir()
    alone.mkdir()
    assert _peak_measured_from_a_small_process(
        bench, [sys.executable, str(parent), str(both)], tmp_path) > 290 << 20
    (alone / "go").touch()
    single = _peak_measured_from_a_small_process(
        bench, [sys.executable, str(hold), str(alone), "0"], tmp_path)
    assert 150 << 20 < single < 250 << 20


# A forked child's ru_maxrss starts at its parent's resident size (Linux folds the forked
# copy's high-water mark into it at exec), so measuring from pytest — hundreds of MB by the
# end of a suite — would count pytest; bench/run.py itself is a small process.
MEASURE = """
import importlib.util, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("bench_run", sys.argv[1])
bench = importlib.util.module_from_spec(spec)
sys.modules["bench_run"] = bench
spec.loader.exec_module(bench)
print(bench.measure(sys.argv[3:], {}, Path(sys.argv[2])).peak_bytes)
"""


def _peak_measured_from_a_small_process(bench, cmd: list[str], tmp_path: Path) -> int:
    done = subprocess.run([sys.executable, "-c", MEASURE, bench.__file__,
                           str(tmp_path / "out"), *cmd],
                          capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1])


def test_targets_apply_to_the_province_and_the_national_size(bench) -> None:
    def row(size: str, by_unit: int | None, ratio: float, run_peak: int,
            run_max: float) -> object:
        officials, dossiers = bench.SIZES[size]
        return bench.Row(officials, dossiers, by_unit, "iso", 1, 1.0, 1.0, 1.0, ratio,
                         ratio, run_max, ratio, ratio, ratio, 1 << 30, run_peak, 0.0, 0.0)

    province = row("province", None, 1.4, int(1.6 * (1 << 30)), 1.4)
    assert [met for _, met in province.targets()] == [True, False]
    assert [met for _, met in row("province", None, 1.6, 1 << 30, 1.6).targets()] == \
        [False, True]
    national = row("national", 100_000, 300.0, 7 << 30, 601.0)
    assert [met for _, met in national.targets()] == [True, False]
    assert [met for _, met in row("national", 100_000, 300.0, 9 << 30, 300.0).targets()] == \
        [False, True]
    assert row("small", None, 9.0, 9 << 30, 900.0).targets() == []


def test_vietnamese_dates_classify_the_same_data(bench, tmp_path: Path) -> None:
    folder = bench.prepare(tmp_path, OFFICIALS, DOSSIERS)
    vn = bench.vietnamese_dates(folder)
    assert re.search(r",\d\d/\d\d/\d{4}", (vn / "dossiers.csv").read_text(encoding="utf-8"))
    same = [api.run(d, bench.YEAR, store=False).classification for d in (folder, vn)]
    pd.testing.assert_frame_equal(same[0].results, same[1].results)
    pd.testing.assert_frame_equal(same[0].reasons, same[1].reasons)


def test_the_benchmark_runs_as_a_program_by_unit(tmp_path: Path) -> None:
    # the national size's path (xeploai run --by-unit, the floor parsed block by block)
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--officials", "40",
                           "--dossiers", "300", "--by-unit", "15", "--repeat", "1",
                           "--workdir", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (cells,) = table_rows(done.stdout)
    assert cells[:3] == ["40", "300", "--by-unit 15"]


def test_the_columnar_bound_is_measured_beside_the_run(bench, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    out = tmp_path / "figures.json"
    assert bench.main(["--officials", str(OFFICIALS), "--dossiers", str(DOSSIERS),
                       "--repeat", "2", "--bound", "--workdir", str(tmp_path),
                       "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    (row,) = json.loads(out.read_text())
    bound = row["bound"]
    assert bound["ratio_min"] <= bound["ratio"] <= bound["ratio_max"]
    assert bound["seconds_min"] <= bound["seconds"] <= bound["seconds_max"]
    assert bound["peak_bytes"] > 20 << 20 and bound["cpu_seconds"] > 0.01
    assert (f"{OFFICIALS:,} / {DOSSIERS:,}: columnar bound (bench/bound.py): "
            f"{bound['seconds']:.2f} s") in printed
    with pytest.raises(SystemExit):
        bench.main(["--size", "national", "--bound", "--workdir", str(tmp_path)])
    assert "--bound measures whole runs" in capsys.readouterr().err


def run_bound(folder: Path, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "bench" / "bound.py"), str(folder),
                           str(db), "2023"], capture_output=True, text=True, timeout=120)


def test_the_bound_does_the_work_it_claims(bench, tmp_path: Path) -> None:
    import sqlite3

    folder = bench.prepare(tmp_path, OFFICIALS, DOSSIERS)
    done = run_bound(folder, tmp_path / "bound.db")
    assert done.returncode == 0, done.stderr
    # each official's late dossiers of the year, counted apart with pandas from the file
    dossiers = pd.read_csv(folder / "dossiers.csv", parse_dates=["received_at", "returned_at",
                                                                  "due_at"])
    of_year = dossiers[dossiers["returned_at"].dt.year == 2023]
    late = of_year[of_year["returned_at"].dt.normalize() > of_year["due_at"]]
    expected = {handler: sorted(ids) for handler, ids
                in late.groupby("handler_id")["dossier_id"]}
    with sqlite3.connect(tmp_path / "bound.db") as con:
        stored = {official: json.loads(ids) for official, ids
                  in con.execute("SELECT official_id, late_dossiers FROM evidence")}
        counts = dict(con.execute("SELECT official_id, late FROM results WHERE late > 0"))
        (files,) = con.execute("SELECT files FROM runs").fetchone()
    assert expected and stored == expected
    assert counts == {official: len(ids) for official, ids in expected.items()}
    assert sorted(json.loads(files)) == sorted(p.name for p in folder.glob("*.csv"))


@pytest.mark.parametrize("breakage", ["duplicate dossier", "unknown handler",
                                      "space at an edge"])
def test_the_bound_refuses_data_breaking_its_checks(bench, tmp_path: Path,
                                                    breakage: str) -> None:
    import shutil

    folder = tmp_path / "broken"
    shutil.copytree(bench.prepare(tmp_path, OFFICIALS, DOSSIERS), folder)
    path = folder / "dossiers.csv"
    header, first, *rest = path.read_text(encoding="utf-8").splitlines()
    cells = first.split(",")
    if breakage == "duplicate dossier":
        rest.append(first)
    elif breakage == "unknown handler":
        cells[3] = "CB999999"
    else:
        cells[1] = cells[1] + " "
    path.write_text("\n".join([header, ",".join(cells), *rest]) + "\n", encoding="utf-8")
    done = run_bound(folder, tmp_path / "bound.db")
    assert done.returncode == 1 and "breaks a check" in done.stderr
