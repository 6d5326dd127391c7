"""Benchmark xeploai on generated data against the floor of merely parsing the CSV files.

    python bench/run.py --size province          # 50,000 officials, 2,000,000 dossiers
    python bench/run.py --size small             # 1,000 / 40,000
    python bench/run.py --size national          # 2,000,000 / 100,000,000 (≈ 9 GB of CSV)

One invocation generates the data once (cached in --workdir), then measures on it:

(a) floor     — ``pyarrow.csv.read_csv`` of every input file, nothing else;
(b) full run  — ``xeploai.scoring.api.run``: load + validate + classify + reasons + store (SQLite);
(c) classify  — ``Session.classify`` alone, on an already loaded dataset;

each in a fresh forked child, so every figure has its own peak memory (ru_maxrss). Times are
the best of ``--repeat`` runs (the machine is shared: the best run is the least disturbed).
Prints a table, the ratio (b)/(a), rows per second and whether the targets are met.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing as mp
import os
import re
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES: dict[str, tuple[int, int]] = {
    "small": (1_000, 40_000),
    "province": (50_000, 2_000_000),
    "national": (2_000_000, 100_000_000),
}
YEAR = 2023
POLICY = ROOT / "config" / "binh_dinh_2023.toml"
GIB = 1024**3
# issue #5 targets
TARGETS = {"province": {"ratio": 1.5, "seconds": 10.0, "peak": 2 * GIB},
           "national": {"peak": 8 * GIB}}


def default_workers() -> int:
    from xeploai.scoring.input.partcheck import default_workers

    return default_workers()


class _TreeMemory:
    """The peak memory of this process and its worker processes together, sampled every
    50 ms as PSS (a page the processes share counts once in all): RSS would count a forked
    worker's shared pages again. Linux only (``peak`` stays 0 elsewhere)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> _TreeMemory:
        if Path("/proc/self/smaps_rollup").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _watch(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, sum(map(self._pss, self._tree(me))))

    @classmethod
    def _tree(cls, pid: int) -> list[int]:
        found = [pid]
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                kids = task.read_text().split()
            except OSError:
                continue
            for kid in kids:
                found += cls._tree(int(kid))
        return found

    @staticmethod
    def _pss(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
        except (OSError, ValueError):
            pass
        return 0


def _in_child(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``fn`` in a forked child; return its figures plus the child's peak RSS (with
    its worker processes', when ``fn`` says it had some)."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)

    def target() -> None:
        try:
            with _TreeMemory() as tree:
                out = fn(*args)
            own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            # worker processes checking parts of a big file (decision 42) run beside it:
            # then the peak is the sampled PSS of all of them (fn starts no other process)
            worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
            out["peak_bytes"] = max(own, tree.peak) if worker and tree.peak else own
            if worker:
                # an upper bound, if sampling missed the peak: each at the largest's RSS
                out["peak_bound_bytes"] = own + default_workers() * worker
            child.send(out)
        except BaseException as exc:  # report, don't hang the parent
            child.send({"error": f"{type(exc).__name__}: {exc}"})
            raise

    proc = ctx.Process(target=target)
    proc.start()
    result = parent.recv()
    proc.join()
    if "error" in result:
        raise RuntimeError(result["error"])
    return result


def floor(data: Path, stream: bool = False) -> dict[str, Any]:
    """pyarrow's parse of every file; ``stream``: block by block, dropping each block (a
    national dossiers file parsed whole would not fit in memory either)."""
    import pyarrow.csv as pacsv

    started = time.perf_counter()
    rows = 0
    for path in sorted(data.glob("*.csv")):
        if stream:
            rows += sum(b.num_rows for b in pacsv.open_csv(
                path, read_options=pacsv.ReadOptions(block_size=64 << 20)))
        else:
            rows += pacsv.read_csv(path).num_rows
    return {"seconds": time.perf_counter() - started, "rows": rows}


def sharded_run(data: Path, db_dir: Path, max_officials: int) -> dict[str, Any]:
    from xeploai.scoring.sharded import run_sharded

    db = db_dir / f"bench-{os.getpid()}.db"
    started = time.perf_counter()
    out = run_sharded(data, YEAR, policy=POLICY, db=f"sqlite:///{db}",
                      max_officials=max_officials, workdir=db_dir)
    seconds = time.perf_counter() - started
    size = db.stat().st_size
    db.unlink()
    return {"seconds": seconds, "officials": out.officials, "reasons": out.reasons,
            "db_bytes": size, "groups": out.groups, "classify_seconds": out.classify_seconds}


def full_run(data: Path, db_dir: Path) -> dict[str, Any]:
    from xeploai.scoring import api

    db = db_dir / f"bench-{os.getpid()}.db"
    marks: list[float] = []
    started = time.perf_counter()
    outcome = api.run(data, YEAR, policy=POLICY, db=f"sqlite:///{db}",
                      on_step=lambda _step: marks.append(time.perf_counter()))
    done = time.perf_counter()
    c = outcome.classification
    size = db.stat().st_size
    db.unlink()
    # the run's own steps (api.RUN_STEPS: load+validate, classify, store), same process
    edges = [*marks, done]
    phases = [b - a for a, b in itertools.pairwise(edges)]
    return {"seconds": done - started, "officials": len(c.results), "reasons": len(c.reasons),
            "db_bytes": size, "phases": phases}


def classify_only(data: Path) -> dict[str, Any]:
    from xeploai.scoring import api

    session = api.Session.open(POLICY)
    started = time.perf_counter()
    dataset = session.load(data)
    loaded = time.perf_counter()
    session.classify(dataset, YEAR)
    done = time.perf_counter()
    return {"seconds": done - loaded, "load_seconds": loaded - started}


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    fastest = min(runs, key=lambda r: r["seconds"])
    return fastest | {"peak_bytes": max(r["peak_bytes"] for r in runs)}


def ensure_data(workdir: Path, size: str, seed: int) -> Path:
    from xeploai.scoring.generate import generate_dataset

    officials, dossiers = SIZES[size]
    data = workdir / f"{size}-seed{seed}"
    marker = data / ".complete"
    if not marker.exists():
        if size == "national":
            free = shutil.disk_usage(workdir).free
            if free < 25 * GIB:  # 9.3 GB of CSV, as much again of groups, 2.5 GB of SQLite
                sys.exit(f"national needs ≈ 25 GB in {workdir}; {free / GIB:.1f} GiB free")
        print(f"generating {size}: {officials:,} officials, {dossiers:,} dossiers → {data}",
              flush=True)
        started = time.perf_counter()
        generate_dataset(data, officials=officials, dossiers=dossiers, year=YEAR, seed=seed)
        marker.write_text("ok")
        print(f"  generated in {time.perf_counter() - started:.1f} s", flush=True)
    return data


_ISO_DAY = re.compile(rb"(\d{4})-(\d{2})-(\d{2})")


def vietnamese_dates(data: Path) -> Path:
    """A copy of ``data`` with every date written ``DD/MM/YYYY`` as HR staff's exports
    write them (valid input the fast path does not read: the reference path does)."""
    out = data.with_name(data.name + "-vn")
    if (out / ".complete").exists():
        return out
    out.mkdir(exist_ok=True)
    print(f"writing its dates DD/MM/YYYY → {out}", flush=True)
    for path in sorted(data.glob("*.csv")):
        with path.open("rb") as src, (out / path.name).open("wb") as dst:
            for lines in iter(lambda src=src: src.readlines(64 << 20), []):
                dst.write(_ISO_DAY.sub(rb"\3/\2/\1", b"".join(lines)))
    (out / ".complete").write_text("ok")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", choices=sorted(SIZES), default="province")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (best is kept)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workdir", type=Path,
                    default=Path(tempfile.gettempdir()) / "xeploai-bench")
    ap.add_argument("--dates", choices=("iso", "vn"), default="iso",
                    help="vn: the same data with dates written DD/MM/YYYY, as HR exports "
                         "write them")
    ap.add_argument("--cleanup", action="store_true", help="delete the generated data after")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    ap.add_argument("--by-unit", type=int, metavar="N", default=None,
                    help="sharded run (xeploai.scoring.sharded): groups of units of at most N "
                         "officials; default for national: 100000")
    args = ap.parse_args(argv)
    if args.size == "national" and args.by_unit is None:
        args.by_unit = 100_000
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = ensure_data(args.workdir, args.size, args.seed)
    if args.dates == "vn":
        data = vietnamese_dates(data)
    repeat = 1 if args.size == "national" else max(1, args.repeat)
    load_before = os.getloadavg()

    if args.by_unit:
        # bounded memory: stream the dossiers, classify one group of units at a time
        a = best([_in_child(floor, data, True) for _ in range(repeat)])
        b = best([_in_child(sharded_run, data, args.workdir, args.by_unit)
                  for _ in range(repeat)])
        c = {"seconds": b["classify_seconds"], "load_seconds": float("nan"),
             "peak_bytes": b["peak_bytes"]}
    else:
        a = best([_in_child(floor, data) for _ in range(repeat)])
        b = best([_in_child(full_run, data, args.workdir) for _ in range(repeat)])
        c = best([_in_child(classify_only, data) for _ in range(repeat)])
    load_after = os.getloadavg()

    officials, dossiers = SIZES[args.size]
    ratio = b["seconds"] / a["seconds"]
    figures = {
        "size": args.size, "dates": args.dates, "officials": officials, "dossiers": dossiers,
        "input_rows": a["rows"], "input_bytes": sum(p.stat().st_size
                                                    for p in data.glob("*.csv")),
        "floor_s": a["seconds"], "floor_peak": a["peak_bytes"],
        "full_run_s": b["seconds"], "full_run_peak": b["peak_bytes"],
        "classify_s": c["seconds"], "load_s": c["load_seconds"],
        "classify_peak": c["peak_bytes"], "ratio_full_to_floor": ratio,
        "rows_per_s": a["rows"] / b["seconds"], "reasons": b["reasons"],
        "db_bytes": b["db_bytes"], "cpus": os.cpu_count(),
        "loadavg_before": load_before[0], "loadavg_after": load_after[0],
        "repeat": repeat, "by_unit": args.by_unit, "groups": b.get("groups", 1),
    }
    print(f"\nxeploai benchmark — {args.size}"
          + (" (dates DD/MM/YYYY)" if args.dates == "vn" else "")
          + f": {officials:,} officials, {dossiers:,} dossiers "
          f"({figures['input_rows']:,} input rows, {figures['input_bytes'] / 1e6:,.0f} MB CSV)")
    print(f"machine: {os.cpu_count()} CPUs, load average {load_before[0]:.2f} before / "
          f"{load_after[0]:.2f} after; best of {repeat}\n")
    print("| measure | seconds | peak memory | rows/s |")
    print("|---|---:|---:|---:|")
    mode = f", by unit: {b['groups']} groups of ≤ {args.by_unit:,} officials" \
        if args.by_unit else ""
    streamed = " (streamed)" if args.by_unit else ""
    for label, fig in ((f"(a) floor: pyarrow parse of the CSV files{streamed}", a),
                       (f"(b) full run: load+validate+classify+reasons+store{mode}", b),
                       ("(c) classify only" + (" (sum over groups, inside (b))" if args.by_unit
                                               else " (dataset already loaded)"), c)):
        print(f"| {label} | {fig['seconds']:.2f} | {fig['peak_bytes'] / GIB:.2f} GiB | "
              f"{a['rows'] / fig['seconds']:,.0f} |")
    if "phases" in b:
        load_s, classify_s, store_s = b["phases"]
        figures |= {"full_run_load_s": load_s, "full_run_classify_s": classify_s,
                    "full_run_store_s": store_s}
        # load and store alone, against the ratio target: what is left for classifying
        print(f"\n(b)'s steps: load+validate {load_s:.2f} s ({load_s / a['seconds']:.2f}× (a)), "
              f"classify {classify_s:.2f} s, store {store_s:.2f} s "
              f"({store_s / a['seconds']:.2f}× (a)); load+store alone "
              f"{(load_s + store_s) / a['seconds']:.2f}× (a)")
    if b.get("peak_bound_bytes"):
        print(f"\n(b) checked parts in {default_workers()} worker processes: its peak is "
              "theirs and the run's together (PSS, sampled every 50 ms); counting each "
              f"worker at its own RSS peak instead: {b['peak_bound_bytes'] / GIB:.2f} GiB")
    print(f"\nratio (b)/(a): {ratio:.2f}×   load+validate inside (c)'s child: "
          f"{c['load_seconds']:.2f} s   reasons stored: {b['reasons']:,} "
          f"({b['db_bytes'] / 1e6:,.0f} MB SQLite)")
    target = TARGETS.get(args.size, {})
    checks = []
    if "ratio" in target:
        checks.append((f"full run ≤ {target['ratio']}× floor", ratio <= target["ratio"]))
    if "seconds" in target:
        checks.append((f"full run < {target['seconds']:g} s",
                       b["seconds"] < target["seconds"]))
    if "peak" in target:
        peak = max(b["peak_bytes"], c["peak_bytes"])
        checks.append((f"peak memory < {target['peak'] / GIB:g} GiB", peak < target["peak"]))
    for label, ok in checks:
        print(f"target {label}: {'met' if ok else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    if args.cleanup:
        shutil.rmtree(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
