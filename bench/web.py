"""Benchmark the review workspace's two heaviest pages through a real server (SPEC §9: "a
unit page of 2,000 officials and the summary of a 50,000-official run each answer in well
under a second").

    python bench/web.py                       # 50,000 officials, one unit of 2,000
    python bench/web.py --officials 5000 --big-unit 500 --repeat 3

Generates a dataset (``xeploai generate``), moves ``--big-unit`` officials (with the dossiers
they handle) into one unit, classifies and stores it in a SQLite file, records a few council
decisions, starts ``xeploai serve`` on a free localhost port, logs in as a council member and
times, over HTTP, each page once ("first": the server reads the run from the database) then
``--repeat`` times (the server keeps the run in memory until a decision changes it): the run
summary (``/runs/{id}``), the big unit's page, the same page filtered, and one official's
page. Prints the first, best and
median times and the page sizes. Data and database are kept in --workdir between invocations.
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd

BIG_UNIT = "DV_BENCH_2000"
PASSWORD = "mat-khau-bench-web"
YEAR = 2023


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(workdir: Path, officials: int, dossiers: int, big: int) -> tuple[str, str]:
    """The dataset with one unit of ``big`` officials, stored; returns (db URL, an official
    of the big unit)."""
    from xeploai.scoring import api
    from xeploai.scoring.accounts import add_user
    from xeploai.scoring.overrides import record_override
    from xeploai.scoring.storage import load_results, open_db

    data = workdir / f"data_{officials}_{dossiers}_{big}"
    db_path = workdir / f"web_{officials}_{dossiers}_{big}.db"
    url = f"sqlite:///{db_path}"
    if not db_path.exists():
        if not (data / "officials.csv").exists():
            subprocess.run([sys.executable, "-m", "xeploai.scoring.cli", "generate",
                            "--officials", str(officials), "--dossiers", str(dossiers),
                            "--year", str(YEAR), "--out", str(data)], check=True)
            moved = pd.read_csv(data / "officials.csv", dtype=str, keep_default_na=False)
            ids = set(moved["official_id"].iloc[:big])
            moved.loc[moved["official_id"].isin(ids), "unit_id"] = BIG_UNIT
            moved.to_csv(data / "officials.csv", index=False)
            units = pd.read_csv(data / "units.csv", dtype=str, keep_default_na=False)
            extra = {c: "" for c in units.columns} | {
                "unit_id": BIG_UNIT, "name": "Đơn vị thử 2.000 người", "tier": "tinh"}
            pd.concat([units, pd.DataFrame([extra])]).to_csv(data / "units.csv", index=False)
            handled = pd.read_csv(data / "dossiers.csv", dtype=str, keep_default_na=False)
            handled.loc[handled["handler_id"].isin(ids), "unit_id"] = BIG_UNIT
            handled.to_csv(data / "dossiers.csv", index=False)
        started = time.perf_counter()
        engine = open_db(url)
        run = api.run(data, YEAR, db=engine)
        print(f"classified and stored {officials:,} officials in "
              f"{time.perf_counter() - started:.1f} s (run {run.run_id})")
        add_user(engine, "bench", "council", PASSWORD)
        first = run.classification.results
        titled = first[(first["unit_id"] == BIG_UNIT) & (first["titles"] != "")]
        for oid in titled["official_id"].iloc[:5]:
            record_override(engine, oid, reason="bench", by="bench", titles=[])
        engine.dispose()
    results = load_results(open_db(url), 1)
    return url, str(results.loc[results["unit_id"] == BIG_UNIT, "official_id"].iloc[0])


def time_pages(base: str, pages: dict[str, str], repeat: int) -> None:
    with httpx.Client(base_url=base, timeout=120) as client:
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"username": "bench", "password": PASSWORD,
                                    "csrf_token": token})
        print(f"{'page':<34} {'first':>8} {'best':>8} {'median':>8} {'size':>9}")
        for label, path in pages.items():
            times, size = [], 0
            for _ in range(repeat + 1):
                started = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, (path, response.status_code)
                size = len(response.content)
            print(f"{label:<34} {times[0]:>7.3f}s {min(times[1:]):>7.3f}s "
                  f"{statistics.median(times[1:]):>7.3f}s {size / 1024:>7.0f} kB")
        # a decision changes the run: the next page reads it again
        official = pages["official page"]
        page = client.get(official).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        posted = client.post(f"{official}/decisions", data={
            "csrf_token": token, "reason": "bench",
            "level": "KHTNV" if "(KHTNV)</strong>" not in page else "HTNV"})
        assert posted.status_code == 303, posted.text  # recorded, sent back to the page
        for label in ("run summary", "unit page"):
            path = next(p for k, p in pages.items() if k.startswith(label))
            started = time.perf_counter()
            assert client.get(path).status_code == 200
            print(f"{label + ', after a decision':<34} {time.perf_counter() - started:>7.3f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--officials", type=int, default=50_000)
    parser.add_argument("--dossiers", type=int, default=200_000)
    parser.add_argument("--big-unit", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/xeploai-bench-web"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    url, official = prepare(args.workdir, args.officials, args.dossiers, args.big_unit)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "xeploai.scoring.cli", "serve", "--db", url,
                               "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        print(f"{args.officials:,} officials; unit {BIG_UNIT} holds {args.big_unit:,}; "
              f"best / median of {args.repeat}")
        time_pages(f"http://127.0.0.1:{port}", {
            f"run summary ({args.officials:,})": "/runs/1",
            f"unit page ({args.big_unit:,})": f"/runs/1/units/{BIG_UNIT}",
            "unit page, filtered": f"/runs/1/units/{BIG_UNIT}?level=HTTNV&assumption=no",
            "official page": f"/runs/1/officials/{official}",
        }, args.repeat)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
