"""Whole-process benchmark: ``xeploai run`` as a user runs it against a process that only
parses the same files with pyarrow (the floor).

    python bench/process.py --officials 50000 --dossiers 2000000      # a province
    python bench/process.py --growth                                   # 5k, 50k, 200k, 1M

Everything a user waits for is measured: interpreter start, imports, the CLI, reading,
validation, classification, reasons, storing (SQLite) and printing. The data is generated
once per size (cached in --workdir) and its dossier rows shuffled, so ids come in random
order as real exports give them. Runs of the two commands alternate (floor, run, floor,
run, …) so a disturbance of the shared machine hits both alike; the table gives the
median ratio, the range of the run's times, and peak memory (each process's ru_maxrss,
from wait4) against the floor's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2023
GROWTH = ((5_000, 200_000), (50_000, 2_000_000), (200_000, 8_000_000), (1_000_000, 40_000_000))
FLOOR = """
import sys
from pathlib import Path
import pyarrow.csv as pacsv
for path in sorted(Path(sys.argv[1]).glob("*.csv")):
    pacsv.read_csv(path)
"""


def prepare(workdir: Path, officials: int, dossiers: int) -> Path:
    """Generated data of that size with its dossiers in random order (cached)."""
    import numpy as np
    from xeploai.scoring.generate import generate_dataset

    folder = workdir / f"data_{officials}_{dossiers}_random"
    if (folder / "done").exists():
        return folder
    generate_dataset(folder, officials=officials, dossiers=dossiers, year=YEAR, seed=1)
    path = folder / "dossiers.csv"
    header, *rows = path.read_bytes().rstrip(b"\n").split(b"\n")
    order = np.random.default_rng(1).permutation(len(rows))
    path.write_bytes(b"\n".join([header, *(rows[i] for i in order.tolist())]) + b"\n")
    (folder / "done").touch()
    return folder


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in bytes and exit status of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{cmd[:3]} failed: {proc.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss * 1024, proc.returncode


def compare(folder: Path, repeat: int, workdir: Path) -> dict[str, float]:
    env = {**os.environ, "COLUMNS": "100"}
    floor_cmd = [sys.executable, "-c", FLOOR, str(folder)]
    floor, run = [], []
    for i in range(repeat):
        db = workdir / f"bench_{os.getpid()}_{i}.db"
        run_cmd = [str(Path(sys.executable).parent / "xeploai"), "run", "--data", str(folder),
                   "--year", str(YEAR), "--db", f"sqlite:///{db}"]
        floor.append(measure(floor_cmd, env))
        run.append(measure(run_cmd, env))
        db.unlink(missing_ok=True)
    ratios = [r[0] / f[0] for f, r in zip(floor, run, strict=True)]
    return {"floor_s": statistics.median(f[0] for f in floor),
            "run_s": statistics.median(r[0] for r in run),
            "run_min": min(r[0] for r in run), "run_max": max(r[0] for r in run),
            "ratio": statistics.median(ratios), "ratio_min": min(ratios),
            "ratio_max": max(ratios),
            "floor_peak": max(f[1] for f in floor), "run_peak": max(r[1] for r in run)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--officials", type=int, default=50_000)
    parser.add_argument("--dossiers", type=int, default=2_000_000)
    parser.add_argument("--growth", action="store_true", help="5k, 50k, 200k and 1M officials")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path,
                        default=Path(tempfile.gettempdir()) / "xeploai-bench")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    sizes = GROWTH if args.growth else ((args.officials, args.dossiers),)
    print("| officials | dossiers | floor s | run s (min–max) | ratio (min–max) "
          "| peak MiB run / floor (×) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for officials, dossiers in sizes:
        got = compare(prepare(args.workdir, officials, dossiers), args.repeat, args.workdir)
        mib = 1 << 20
        print(f"| {officials:,} | {dossiers:,} | {got['floor_s']:.2f} | {got['run_s']:.2f} "
              f"({got['run_min']:.2f}–{got['run_max']:.2f}) | {got['ratio']:.2f}× "
              f"({got['ratio_min']:.2f}–{got['ratio_max']:.2f}) | "
              f"{got['run_peak'] / mib:,.0f} / {got['floor_peak'] / mib:,.0f} "
              f"({got['run_peak'] / got['floor_peak']:.2f}×) |", flush=True)


if __name__ == "__main__":
    main()
