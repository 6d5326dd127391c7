"""Benchmark a 2026 province (Decree 335/2025, SPEC §10) against the floor of parsing its CSV.

    python bench/run_2026.py                    # 50,000 officials, 2,000,000 dossiers,
                                                # 12 months of periods and work items
    python bench/run_2026.py --officials 1000 --dossiers 40000

The data are generated once (cached in --workdir) as extracted on 30 November 2026, the
run made with that as-of date; then, each in a fresh forked child (bench/run.py's
machinery: best of --repeat, peak memory of the child):

(a) floor     — ``pyarrow.csv.read_csv`` of every input file, work items included;
(b) full run  — ``xeploai.scoring.api.run`` for 2026: load + validate + the products
                score + classify + reasons + store (SQLite);
(c) classify  — ``Session.classify`` alone, on an already loaded dataset.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as base  # noqa: E402  (bench/run.py: the child-process measuring machinery)

YEAR = 2026
AS_OF = dt.date(2026, 11, 30)
GIB = 1024**3


def ensure_data(workdir: Path, officials: int, dossiers: int, seed: int) -> Path:
    from xeploai.scoring.generate import generate_dataset

    data = workdir / f"y2026-{officials}-{dossiers}-seed{seed}"
    marker = data / ".complete"
    if not marker.exists():
        print(f"generating 2026: {officials:,} officials, {dossiers:,} dossiers, periods and "
              f"work items → {data}", flush=True)
        started = time.perf_counter()
        generate_dataset(data, officials=officials, dossiers=dossiers, year=YEAR, seed=seed,
                         as_of=AS_OF)
        marker.write_text("ok")
        print(f"  generated in {time.perf_counter() - started:.1f} s", flush=True)
    return data


def full_run(data: Path, db_dir: Path) -> dict[str, Any]:
    from xeploai.scoring import api

    db = db_dir / f"bench-{os.getpid()}.db"
    marks: list[float] = []
    started = time.perf_counter()
    outcome = api.run(data, YEAR, db=f"sqlite:///{db}", as_of=AS_OF,
                      on_step=lambda _step: marks.append(time.perf_counter()))
    done = time.perf_counter()
    c = outcome.classification
    size = db.stat().st_size
    db.unlink()
    phases = [b - a for a, b in itertools.pairwise([*marks, done])]
    return {"seconds": done - started, "officials": len(c.results), "reasons": len(c.reasons),
            "db_bytes": size, "phases": phases,
            "products_officials": int((c.reasons["rule"] == "core.products_year").sum())}


def classify_only(data: Path) -> dict[str, Any]:
    from xeploai.scoring import api

    session = api.Session.open(None, YEAR)
    started = time.perf_counter()
    dataset = session.load(data)
    loaded = time.perf_counter()
    session.classify(dataset, YEAR, as_of=AS_OF)
    done = time.perf_counter()
    return {"seconds": done - loaded, "load_seconds": loaded - started}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--officials", type=int, default=50_000)
    ap.add_argument("--dossiers", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (best is kept)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workdir", type=Path,
                    default=Path(tempfile.gettempdir()) / "xeploai-bench")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = ensure_data(args.workdir, args.officials, args.dossiers, args.seed)
    rows = {p.name: sum(1 for _ in p.open("rb")) - 1 for p in sorted(data.glob("*.csv"))}
    print("rows: " + ", ".join(f"{name} {n:,}" for name, n in rows.items()), flush=True)

    figures: dict[str, dict[str, Any]] = {}
    for name, fn, fn_args in (("floor", base.floor, (data,)),
                              ("full_run", full_run, (data, args.workdir)),
                              ("classify", classify_only, (data,))):
        runs = [base._in_child(fn, *fn_args) for _ in range(args.repeat)]
        figures[name] = base.best(runs)
        print(f"  {name}: {figures[name]['seconds']:.2f} s, peak "
              f"{figures[name]['peak_bytes'] / GIB:.2f} GiB", flush=True)

    ratio = figures["full_run"]["seconds"] / figures["floor"]["seconds"]
    load, classify, store = figures["full_run"]["phases"]
    print(f"\n2026 province: {args.officials:,} officials, {rows.get('dossiers.csv', 0):,} "
          f"dossiers, {rows.get('periods.csv', 0):,} periods, "
          f"{rows.get('work_items.csv', 0):,} work items")
    print(f"(a) floor     {figures['floor']['seconds']:8.2f} s")
    print(f"(b) full run  {figures['full_run']['seconds']:8.2f} s  = {ratio:.2f} × floor; "
          f"load+validate {load:.2f} s, classify {classify:.2f} s, store {store:.2f} s; "
          f"{figures['full_run']['reasons']:,} reasons, peak "
          f"{figures['full_run']['peak_bytes'] / GIB:.2f} GiB")
    print(f"(c) classify  {figures['classify']['seconds']:8.2f} s  (load alone "
          f"{figures['classify']['load_seconds']:.2f} s)")
    if args.json:
        args.json.write_text(json.dumps({
            "officials": args.officials, "rows": rows,
            "floor_s": figures["floor"]["seconds"], "full_run_s": figures["full_run"]["seconds"],
            "full_run_load_s": load, "full_run_classify_s": classify, "full_run_store_s": store,
            "classify_s": figures["classify"]["seconds"],
            "ratio_full_to_floor": ratio, "reasons": figures["full_run"]["reasons"],
            "products_officials": figures["full_run"]["products_officials"],
            "peak_bytes": figures["full_run"]["peak_bytes"]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
