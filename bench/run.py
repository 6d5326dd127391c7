"""Whole-process benchmark: ``xeploai run`` as a user runs it, against a process that only
parses the same files with pyarrow (the floor).

    python bench/run.py --size province            # 50,000 officials, 2,000,000 dossiers
    python bench/run.py --growth                   # 5k, 50k, 200k and 1M officials
    python bench/run.py --size national            # 2M / 100M: xeploai run --by-unit 100000
    python bench/run.py --officials N --dossiers M [--by-unit N] [--dates vn]

Everything a user waits for is measured: interpreter start, imports, the CLI, reading,
validation, classification, reasons, storing (a new SQLite file) and printing. The data is
generated once per size (cached in --workdir, generated and shuffled at nice 19 so a shared
machine's other work goes first) and its dossier rows shuffled, so ids come in random order
as real exports give them. Runs of the two commands alternate (floor, run, floor, run, …)
so a disturbance of the shared machine hits both alike; the table gives the median ratio
with its range, the run's seconds with their range, and each process's peak memory (its
ru_maxrss from wait4; with worker processes, the sampled sum of the process tree's PSS when
larger) against the floor's, and the load average while it ran. Each stored run is checked
to hold one result per official.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

YEAR = 2023
GIB = 1 << 30
MIB = 1 << 20
SIZES: dict[str, tuple[int, int]] = {
    "small": (1_000, 40_000),
    "province": (50_000, 2_000_000),
    "national": (2_000_000, 100_000_000),
}
GROWTH = ((5_000, 200_000), (50_000, 2_000_000), (200_000, 8_000_000), (1_000_000, 40_000_000))
#: ``--by-unit`` group size of the national run
NATIONAL_BY_UNIT = 100_000
#: issue 13 item 9: province against the floor; national within 8 GiB and 10 minutes
PROVINCE_TARGET = {"ratio": 1.5, "peak_ratio": 1.5}
NATIONAL_TARGET = {"peak_bytes": 8 * GIB, "seconds": 600.0}
#: CSV bytes per generated dossier row (9.3 GB for 100M), for the free-space checks
BYTES_PER_DOSSIER = 95

FLOOR = """
import sys
from pathlib import Path
import pyarrow.csv as pacsv
for path in sorted(Path(sys.argv[1]).glob("*.csv")):
    pacsv.read_csv(path)
"""
#: the least a run can cost (decision 127): measured beside the run with --bound
BOUND = Path(__file__).with_name("bound.py")
# --by-unit: parsed block by block, each block dropped (parsed whole, 100M dossiers would not
# fit in memory either); the run then streams too
FLOOR_STREAMED = """
import sys
from pathlib import Path
import pyarrow.csv as pacsv
for path in sorted(Path(sys.argv[1]).glob("*.csv")):
    for block in pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=64 << 20)):
        pass
"""


@dataclass(frozen=True)
class Process:
    """One measured process: wall seconds, peak memory in bytes and CPU seconds (user and
    system, of the process and the children it waited for): on a shared machine the CPU a
    run costs moves less than its wall time."""

    seconds: float
    peak_bytes: int
    cpu_seconds: float


@dataclass(frozen=True)
class Bound:
    """The columnar bound (``bench/bound.py``), each measured right after a floor of its
    own: medians with their ranges, as the run's."""

    seconds: float
    seconds_min: float
    seconds_max: float
    ratio: float
    ratio_min: float
    ratio_max: float
    cpu_seconds: float
    peak_bytes: int

    @classmethod
    def of(cls, pairs: list[tuple[Process, Process]]) -> Bound:
        return cls(*median_range([bound.seconds for _, bound in pairs]),
                   *median_range([bound.seconds / floor.seconds for floor, bound in pairs]),
                   statistics.median(bound.cpu_seconds for _, bound in pairs),
                   max(bound.peak_bytes for _, bound in pairs))

    def line(self) -> str:
        return (f"columnar bound (bench/bound.py): {self.seconds:.2f} s "
                f"({self.seconds_min:.2f}–{self.seconds_max:.2f}), {self.ratio:.2f}× its "
                f"floor ({self.ratio_min:.2f}–{self.ratio_max:.2f}), CPU "
                f"{self.cpu_seconds:.2f} s, peak {self.peak_bytes / MIB:,.0f} MiB")


@dataclass(frozen=True)
class Row:
    """One line of the table: a size, measured ``repeat`` times against the floor."""

    officials: int
    dossiers: int
    by_unit: int | None
    dates: str
    repeat: int
    floor_s: float
    floor_min: float
    floor_max: float
    run_s: float
    run_min: float
    run_max: float
    ratio: float
    ratio_min: float
    ratio_max: float
    floor_peak: int
    run_peak: int
    load_before: float
    load_after: float
    floor_cpu: float = 0.0  # median CPU seconds (user + system)
    run_cpu: float = 0.0
    bound: Bound | None = None  # with --bound: the columnar bound against its floors

    @property
    def peak_ratio(self) -> float:
        return self.run_peak / self.floor_peak

    def targets(self) -> list[tuple[str, bool]]:
        """The issue's targets that apply to this size, each with whether it is met."""
        if (self.officials, self.dossiers) == SIZES["province"] and not self.by_unit:
            return [(f"run ≤ {PROVINCE_TARGET['ratio']}× floor (median)",
                     self.ratio <= PROVINCE_TARGET["ratio"]),
                    (f"peak ≤ {PROVINCE_TARGET['peak_ratio']}× floor's",
                     self.peak_ratio <= PROVINCE_TARGET["peak_ratio"])]
        if (self.officials, self.dossiers) == SIZES["national"]:
            return [(f"peak ≤ {NATIONAL_TARGET['peak_bytes'] / GIB:g} GiB",
                     self.run_peak <= NATIONAL_TARGET["peak_bytes"]),
                    (f"run ≤ {NATIONAL_TARGET['seconds'] / 60:g} min",
                     self.run_max <= NATIONAL_TARGET["seconds"])]
        return []


# --- data ---------------------------------------------------------------------------------

def xeploai() -> str:
    """The ``xeploai`` command installed beside this interpreter, as a user starts it."""
    return shutil.which("xeploai", path=str(Path(sys.executable).parent)) or "xeploai"


def niced(cmd: Sequence[str]) -> None:
    """Run ``cmd`` at nice 19: preparing data gives way to the shared machine's other work
    (the measured processes are started at normal priority)."""
    subprocess.run(["nice", "-n", "19", *cmd], check=True)


# The dossier lines after the header in an order given by a hash of each line, written byte
# for byte: DuckDB sorts out of core (2 GB of memory, the rest spilled to a folder), so 100M
# rows never sit in memory at once. Lines are read whole (no column split, no quoting):
# generated files hold no line break inside a field. argv: source, target, spill folder.
SHUFFLE = """
import sys
import duckdb
src, dst, spill = sys.argv[1:]
with open(src, "rb") as fh:
    header = fh.readline().rstrip(b"\\n").decode()
con = duckdb.connect()
con.execute("SET memory_limit = '2GB'")
con.execute("SET threads = 2")
con.execute("SET preserve_insertion_order = false")
con.execute("SET enable_progress_bar = false")
con.execute(f"SET temp_directory = '{spill}'")
lines = ("read_csv(?, columns = {'line': 'VARCHAR'}, delim = '\\x01', quote = '', "
         "escape = '', header = false, auto_detect = false)")
# the header sorts first (false < true), every other line by its hash
con.execute(f"COPY (SELECT line FROM {lines} ORDER BY line <> ?, hash(line)) TO '{dst}' "
            "(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\\x01')",
            [src, header])
"""


def check_free_space(where: Path, need: int, what: str) -> None:
    free = shutil.disk_usage(where).free
    if free < need:
        raise SystemExit(f"{what} needs ≈ {need / GIB:.0f} GiB free in {where}; "
                         f"{free / GIB:.1f} GiB free")


def prepare(workdir: Path, officials: int, dossiers: int, year: int = YEAR,
            as_of: dt.date | None = None) -> Path:
    """Generated data of that size (``year``, extracted on ``as_of``: the generator's
    default when None) with its dossier rows in random order (cached)."""
    name = f"data_{officials}_{dossiers}" if year == YEAR else \
        f"data{year}_{officials}_{dossiers}"
    folder = workdir / (name + (f"_asof{as_of:%Y%m%d}" if as_of else "") + "_random")
    if (folder / "done").exists():
        return folder
    workdir.mkdir(parents=True, exist_ok=True)
    # generated, shuffled copy, DuckDB's spill: about three times the CSV at once
    check_free_space(workdir, 3 * BYTES_PER_DOSSIER * dossiers, "preparing the data")
    if not (folder / "generated").exists():
        shutil.rmtree(folder, ignore_errors=True)
        print(f"generating {officials:,} officials, {dossiers:,} dossiers → {folder}",
              flush=True)
        niced([xeploai(), "generate", "--officials", str(officials), "--dossiers",
               str(dossiers), "--year", str(year), "--seed", "1", "--out", str(folder),
               *(["--as-of", as_of.isoformat()] if as_of else [])])
        (folder / "generated").touch()
    print(f"shuffling the dossier rows of {folder}", flush=True)
    dossier_file = folder / "dossiers.csv"
    shuffled = folder / "dossiers.shuffled"
    spill = workdir / "spill"
    niced([sys.executable, "-c", SHUFFLE, str(dossier_file), str(shuffled), str(spill)])
    shutil.rmtree(spill, ignore_errors=True)
    shuffled.replace(dossier_file)
    (folder / "done").touch()
    return folder


_ISO_DAY = re.compile(rb"(\d{4})-(\d{2})-(\d{2})")


def vietnamese_dates(data: Path) -> Path:
    """A copy of ``data`` with every date written ``DD/MM/YYYY`` as HR staff's exports
    write them (cached beside it)."""
    out = data.with_name(data.name + "_vn")
    if (out / "done").exists():
        return out
    out.mkdir(exist_ok=True)
    for path in sorted(data.glob("*.csv")):
        with path.open("rb") as src, (out / path.name).open("wb") as dst:
            for lines in iter(lambda src=src: src.readlines(64 << 20), []):
                dst.write(_ISO_DAY.sub(rb"\3/\2/\1", b"".join(lines)))
    (out / "done").touch()
    return out


# --- measuring ----------------------------------------------------------------------------

class TreePeak:
    """The largest sum, over a process and its descendants, of their PSS (a page they share
    counts once in all), sampled every 0.1 s while the process runs: a run with worker
    processes holds their memory beside its own, which no single ru_maxrss shows. Linux
    only (stays 0 elsewhere)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.workers_seen = pid, 0, False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> TreePeak:
        if Path(f"/proc/{self.pid}/smaps_rollup").exists():
            self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(0.1):
            tree = self._tree(self.pid)
            self.workers_seen |= len(tree) > 1
            self.peak = max(self.peak, sum(map(self._pss, tree)))

    @classmethod
    def _tree(cls, pid: int) -> list[int]:
        found = [pid]
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                children = task.read_text().split()
            except OSError:
                continue
            for child in children:
                found += cls._tree(int(child))
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


def measure(cmd: Sequence[str], env: dict[str, str], output: Path) -> Process:
    """Run ``cmd`` to its end (its output into ``output``); its wall seconds and peak memory.
    A failing command stops the benchmark with its last output."""
    started = time.perf_counter()
    with output.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env or None, stdout=out, stderr=subprocess.STDOUT)
        with TreePeak(proc.pid) as tree:
            _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        tail = output.read_bytes()[-3000:].decode(errors="replace")
        raise SystemExit(f"{' '.join(cmd[:4])} … exited {proc.returncode}:\n{tail}")
    own = usage.ru_maxrss * 1024  # the largest of the process and each waited-for child
    return Process(seconds, max(own, tree.peak) if tree.workers_seen else own,
                   usage.ru_utime + usage.ru_stime)


def stored_results(db: Path) -> int:
    with sqlite3.connect(db) as con:
        return int(con.execute("SELECT count(*) FROM results").fetchone()[0])


def compare(folder: Path, officials: int, repeat: int, workdir: Path,
            by_unit: int | None = None, run_args: Sequence[str] = (),
            year: int = YEAR, bound: bool = False
            ) -> tuple[list[Process], list[Process], list[tuple[Process, Process]]]:
    """``repeat`` floors and runs, alternated. With ``bound``, each pair also meets a floor
    and the columnar bound (``bench/bound.py``), the two pairs in turn in either order, so
    the run and the bound each follow a floor of their own and each kind of floor follows
    the run as often as the bound (a process pays for the memory the one before it left:
    decision 127). Each SQLite file written is checked to hold one result per official,
    then deleted."""
    env = {**os.environ, "COLUMNS": "100"}
    floor_cmd = [sys.executable, "-c", FLOOR_STREAMED if by_unit else FLOOR, str(folder)]
    floors, runs, bounds = [], [], []
    for i in range(repeat):
        db = workdir / f"bench_{os.getpid()}_{i}.db"
        run_cmd = [xeploai(), "run", "--data", str(folder), "--year", str(year),
                   "--db", f"sqlite:///{db}", *run_args]
        if by_unit:
            run_cmd += ["--by-unit", str(by_unit)]
        kinds = ["run", "bound"] if bound else ["run"]
        for kind in kinds if i % 2 == 0 else reversed(kinds):
            floor = measure(floor_cmd, env, workdir / "floor.out")
            if kind == "run":
                floors.append(floor)
                runs.append(measure(run_cmd, env, workdir / "run.out"))
            else:
                bound_cmd = [sys.executable, str(BOUND), str(folder), str(db), str(year)]
                bounds.append((floor, measure(bound_cmd, env, workdir / "bound.out")))
            check_stored(db, officials, f"the {kind}")
    return floors, runs, bounds


def check_stored(db: Path, officials: int, what: str) -> None:
    """Stop unless ``db`` holds one result per official; delete it."""
    stored = stored_results(db)
    db.unlink()
    if stored != officials:
        raise SystemExit(f"{what} stored {stored:,} results for {officials:,} officials")


def median_range(values: list[float]) -> tuple[float, float, float]:
    """The median of ``values``, then their least and greatest (a table's "x (min–max)")."""
    return statistics.median(values), min(values), max(values)


def summarise(officials: int, dossiers: int, by_unit: int | None, dates: str,
              floors: list[Process], runs: list[Process],
              load: tuple[float, float],
              bounds: list[tuple[Process, Process]] | None = None) -> Row:
    ratios = [r.seconds / f.seconds for f, r in zip(floors, runs, strict=True)]
    return Row(officials, dossiers, by_unit, dates, len(runs),
               *median_range([f.seconds for f in floors]),
               *median_range([r.seconds for r in runs]), *median_range(ratios),
               max(f.peak_bytes for f in floors), max(r.peak_bytes for r in runs), *load,
               statistics.median(f.cpu_seconds for f in floors),
               statistics.median(r.cpu_seconds for r in runs),
               Bound.of(bounds) if bounds else None)


HEADER = ("| officials | dossiers | run | floor s | run s (min–max) | ratio (min–max) "
          "| CPU s run / floor | peak MiB run / floor (×) | load avg |")
SEPARATOR = "|---:|---:|---|---:|---:|---:|---:|---:|---:|"


def table_line(row: Row) -> str:
    how = f"--by-unit {row.by_unit:,}" if row.by_unit else "whole"
    if row.dates == "vn":
        how += ", dates DD/MM/YYYY"
    return (f"| {row.officials:,} | {row.dossiers:,} | {how} | {row.floor_s:.2f} | "
            f"{row.run_s:.2f} ({row.run_min:.2f}–{row.run_max:.2f}) | {row.ratio:.2f}× "
            f"({row.ratio_min:.2f}–{row.ratio_max:.2f}) | "
            f"{row.run_cpu:.2f} / {row.floor_cpu:.2f} | {row.run_peak / MIB:,.0f} / "
            f"{row.floor_peak / MIB:,.0f} ({row.peak_ratio:.2f}×) | "
            f"{row.load_before:.1f}→{row.load_after:.1f} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", choices=sorted(SIZES), default="province")
    ap.add_argument("--officials", type=int, help="another size (with --dossiers)")
    ap.add_argument("--dossiers", type=int)
    ap.add_argument("--growth", action="store_true", help="5k, 50k, 200k and 1M officials")
    ap.add_argument("--by-unit", type=int, metavar="N",
                    help="xeploai run --by-unit N (national: 100000 unless given)")
    ap.add_argument("--repeat", type=int,
                    help="floors and runs alternated per size (default 5; national: 1)")
    ap.add_argument("--dates", choices=("iso", "vn"), default="iso",
                    help="vn: the same data with dates written DD/MM/YYYY, as HR exports "
                         "write them")
    ap.add_argument("--workdir", type=Path,
                    default=Path(tempfile.gettempdir()) / "xeploai-bench")
    ap.add_argument("--bound", action="store_true",
                    help="also measure the columnar bound (bench/bound.py, decision 127): "
                         "the least a run can cost; whole runs only")
    ap.add_argument("--prepare-only", action="store_true",
                    help="generate and shuffle the data, measure nothing")
    ap.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = ap.parse_args(argv)
    if (args.officials is None) != (args.dossiers is None):
        ap.error("--officials and --dossiers go together")
    if args.bound and (args.by_unit or args.size == "national" or args.dates == "vn"):
        ap.error("--bound measures whole runs of ISO-dated data only")
    if args.growth:
        sizes = list(GROWTH)
    elif args.officials is not None:
        sizes = [(args.officials, args.dossiers)]
    else:
        sizes = [SIZES[args.size]]
    args.workdir.mkdir(parents=True, exist_ok=True)
    folders = {size: prepare(args.workdir, *size) for size in sizes}
    if args.dates == "vn":
        folders = {size: vietnamese_dates(folder) for size, folder in folders.items()}
    if args.prepare_only:
        return 0

    rows: list[Row] = []
    print(f"{os.cpu_count()} CPUs; medians of interleaved runs (floor, run, floor, run, …)\n")
    print(HEADER)
    print(SEPARATOR, flush=True)
    for officials, dossiers in sizes:
        national = (officials, dossiers) == SIZES["national"]
        by_unit = args.by_unit or (NATIONAL_BY_UNIT if national else None)
        repeat = args.repeat or (1 if national else 5)
        if by_unit:  # the run writes its groups beside the data it streams
            check_free_space(args.workdir, int(1.2 * BYTES_PER_DOSSIER * dossiers),
                             "a --by-unit run")
        load_before = os.getloadavg()[0]
        floors, runs, bounds = compare(folders[officials, dossiers], officials,
                                       max(1, repeat), args.workdir, by_unit,
                                       bound=args.bound)
        row = summarise(officials, dossiers, by_unit, args.dates, floors, runs,
                        (load_before, os.getloadavg()[0]), bounds)
        rows.append(row)
        print(table_line(row), flush=True)
    print()
    for row in rows:
        if row.bound:
            print(f"{row.officials:,} / {row.dossiers:,}: {row.bound.line()}")
        for label, met in row.targets():
            print(f"{row.officials:,} / {row.dossiers:,}: {label}: "
                  f"{'met' if met else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps(
            [asdict(row) | {"peak_ratio": row.peak_ratio,
                            "targets": {label: met for label, met in row.targets()}}
             for row in rows], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
