"""The columnar bound: the least a run of the generated data can cost, as one process.

    python bench/bound.py DATA_FOLDER OUT.db YEAR

``bench/run.py --bound`` measures it beside the floor and ``xeploai run`` (decision 127).
It is not a second implementation of the rules: it does, with the fastest parts this
machine has (pyarrow's multithreaded CSV reader, DuckDB's vectorised SQL, the sqlite3
driver) and without pandas, SQLAlchemy, pydantic, pluggy or xeploai itself, a *subset*
of what every run of the product must do:

1. hash every input file (a run records what it read), beside the parsing;
2. parse every CSV file with its types inferred, as the floor does (blank cells null,
   procedure codes as text);
3. check the keys unique, the dossiers' handler and unit found, the required dates
   present and in order, and no text cell starting or ending with whitespace;
4. count each official's dossiers and late dossiers of the year, reminders of the year
   before, discipline, initiatives and past titles, and give a level from them;
5. list each official's late dossiers as JSON evidence;
6. store the results, the evidence and the run's file hashes in a new SQLite file.

What the product does beyond it is left out: Vietnamese aliases of columns and codes,
NFC, every declared row check, the exact messages of the reference path, policy files,
plugins, a reason with its legal basis for every effect, titles within quotas, the CLI's
summary. So a run meeting every other requirement of issue 13 cannot cost less than this.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import threading
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

# the tables, each with its key (read and checked by every run of the product)
KEYS = {"dossiers": "dossier_id", "officials": "official_id", "units": "unit_id",
        "reminders": "reminder_id", "discipline": "decision_id", "innovations": "award_id"}

CLASSIFY = """
WITH done AS (
    SELECT handler_id, dossier_id, returned_at::DATE > due_at AS late
    FROM dossiers WHERE year(returned_at) = $year),
handled AS (
    SELECT handler_id, count(*) AS dossiers, count(*) FILTER (WHERE late) AS late,
           to_json(list(dossier_id ORDER BY dossier_id) FILTER (WHERE late)) AS evidence
    FROM done GROUP BY handler_id),
reminded AS (SELECT official_id, count(*) AS reminders FROM reminders
             WHERE year(issued_on) = $year - 1 GROUP BY official_id),
disciplined AS (SELECT official_id, max(form) AS form FROM discipline
                WHERE counted_in_year = $year GROUP BY official_id),
initiatives AS (SELECT official_id, count(*) AS initiatives FROM innovations
                WHERE year(recognized_on) = $year GROUP BY official_id),
titled AS (SELECT official_id, count(*) AS titles FROM titles_history
           WHERE year >= $year - 2 GROUP BY official_id)
SELECT o.official_id, o.unit_id,
       CASE WHEN d.form IS NOT NULL THEN 'khong_hoan_thanh'
            WHEN r.reminders > 0 AND h.late > 0 THEN 'hoan_thanh'
            WHEN o.task_score >= 90 AND i.initiatives > 0 THEN 'xuat_sac'
            WHEN o.task_score >= 70 THEN 'tot'
            ELSE 'hoan_thanh' END AS level,
       o.task_score, coalesce(h.dossiers, 0), coalesce(h.late, 0), coalesce(t.titles, 0),
       CASE WHEN h.late > 0 THEN h.evidence END
FROM officials o
LEFT JOIN handled h ON h.handler_id = o.official_id
LEFT JOIN reminded r USING (official_id)
LEFT JOIN disciplined d USING (official_id)
LEFT JOIN initiatives i USING (official_id)
LEFT JOIN titled t USING (official_id)
ORDER BY o.official_id
"""


def file_hashes(folder: Path, into: dict[str, str]) -> None:
    for path in sorted(folder.glob("*.csv")):
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
        into[path.name] = digest.hexdigest()


def read(folder: Path) -> dict[str, pa.Table]:
    # inferred types, but a procedure code is a code ("1.010" is not the number 1.01)
    options = pacsv.ConvertOptions(null_values=[""], strings_can_be_null=True,
                                   column_types={"procedure_code": pa.string()})
    return {path.stem: pacsv.read_csv(path, convert_options=options)
            for path in sorted(folder.glob("*.csv"))}


def broken_rows(db: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table]) -> int:
    """Rows breaking a key, a reference, a required date or the dates' order, and text
    cells with whitespace at an edge (DuckDB's ``ascii`` of the first and last
    character: decision 118's cheapest edge test)."""
    counts = [f"(SELECT count(*) - count(DISTINCT hash({key})) FROM {name})"
              for name, key in KEYS.items() if name in tables]
    counts += [
        "(SELECT count(*) FROM dossiers WHERE handler_id NOT IN "
        "(SELECT official_id FROM officials))",
        "(SELECT count(*) FROM dossiers WHERE unit_id NOT IN (SELECT unit_id FROM units))",
        "(SELECT count(*) FROM dossiers WHERE received_at IS NULL OR due_at IS NULL "
        "OR returned_at < received_at)"]
    for name, table in tables.items():
        texts = [field.name for field in table.schema if pa.types.is_string(field.type)]
        if texts:
            edges = " OR ".join(f"ascii({c}) <= 32 OR ascii({c}[-1]) <= 32" for c in texts)
            counts.append(f"(SELECT count(*) FROM {name} WHERE {edges})")
    [found] = db.execute("SELECT " + " + ".join(counts)).fetchall()
    return int(found[0])


def store(out: Path, rows: list[tuple], hashes: dict[str, str]) -> None:
    with sqlite3.connect(out) as con:
        con.execute("CREATE TABLE runs (files TEXT)")
        con.execute("CREATE TABLE results (official_id TEXT PRIMARY KEY, unit_id TEXT, "
                    "level TEXT, task_score REAL, dossiers INT, late INT, titles INT)")
        con.execute("CREATE TABLE evidence (official_id TEXT, late_dossiers TEXT)")
        con.execute("INSERT INTO runs VALUES (?)", (json.dumps(hashes, sort_keys=True),))
        con.executemany("INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [row[:7] for row in rows])
        con.executemany("INSERT INTO evidence VALUES (?, ?)",
                        [(row[0], row[7]) for row in rows if row[7] is not None])


def main(argv: list[str]) -> int:
    folder, out, year = Path(argv[0]), Path(argv[1]), int(argv[2])
    hashes: dict[str, str] = {}
    hashing = threading.Thread(target=file_hashes, args=(folder, hashes))
    hashing.start()  # sha256 releases the GIL: it overlaps the parsing, as in the product
    tables = read(folder)
    db = duckdb.connect(config={"threads": os.cpu_count() or 1})
    for name, table in tables.items():
        db.register(name, table)
    if broken_rows(db, tables):
        print("the data breaks a check the bound makes", file=sys.stderr)
        return 1
    rows = db.execute(CLASSIFY, {"year": year}).fetchall()
    hashing.join()
    store(out, rows, hashes)
    late = sum(row[5] for row in rows)
    print(f"{len(rows)} officials, {late} late dossiers")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
