"""Benchmark a 2026 province (Decree 335/2025, SPEC §10) against the floor of parsing its CSV.

    python bench/run_2026.py                    # 50,000 officials, 2,000,000 dossiers,
                                                # 12 months of periods and work items
    python bench/run_2026.py --officials 1000 --dossiers 40000

Whole processes, measured as bench/run.py measures them: the data are generated once
(cached in --workdir) as extracted on 30 November 2026, dossier rows shuffled; then
``xeploai run --year 2026 --as-of 2026-11-30`` (load, validate, the products score,
classify, reasons, store in SQLite, print) alternates with a process that only parses every
input file with pyarrow, work items included; medians, ranges and peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as base  # noqa: E402  (bench/run.py: data preparation and measuring)

YEAR = 2026
AS_OF = dt.date(2026, 11, 30)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--officials", type=int, default=50_000)
    ap.add_argument("--dossiers", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=5,
                    help="floors and runs alternated (medians are kept)")
    ap.add_argument("--workdir", type=Path,
                    default=Path(tempfile.gettempdir()) / "xeploai-bench")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = base.prepare(args.workdir, args.officials, args.dossiers, YEAR, AS_OF)
    rows = {p.name: sum(1 for _ in p.open("rb")) - 1 for p in sorted(data.glob("*.csv"))}
    print("rows: " + ", ".join(f"{name} {n:,}" for name, n in rows.items()), flush=True)

    load_before = os.getloadavg()[0]
    floors, runs, _ = base.compare(data, args.officials, max(1, args.repeat), args.workdir,
                                   run_args=["--as-of", AS_OF.isoformat()], year=YEAR)
    row = base.summarise(args.officials, args.dossiers, None, "iso", floors, runs,
                         (load_before, os.getloadavg()[0]))
    print(f"\n2026 province, as of {AS_OF:%d/%m/%Y}: {rows.get('periods.csv', 0):,} periods, "
          f"{rows.get('work_items.csv', 0):,} work items\n")
    print(base.HEADER)
    print(base.SEPARATOR)
    print(base.table_line(row))
    if args.json:
        args.json.write_text(json.dumps(asdict(row) | {"rows": rows,
                                                        "peak_ratio": row.peak_ratio},
                                        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
