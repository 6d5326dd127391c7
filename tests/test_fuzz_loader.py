"""Fuzzing the loaders: whatever bytes or cells a file holds, the answer is a dataset or a
list of problems — never a traceback."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xeploai.scoring.errors import InvalidInputError
from xeploai.scoring.input.loader import load_dataset
from xeploai.scoring.testing import COLUMNS, DatasetBuilder

TABLES = list(COLUMNS)


def small_dataset(folder: Path) -> Path:
    b = DatasetBuilder()
    for oid in ("A1", "A2", "A3"):
        b.official(oid, task_score=85, recruited_on="2020-01-01")
    b.late("A1", 2)
    b.reminder("A1", issued_on="2022-06-01")
    b.discipline("A2", decided_on="2023-05-01")
    b.innovation("A3", recognized_on="2023-09-09", cchc=True)
    b.write(folder)
    (folder / "titles_history.csv").write_text("official_id,year,title\nA1,2022,LDTT\n",
                                               encoding="utf-8")
    return folder


def check(folder: Path) -> None:
    """The property: a dataset, or problems that each name a file of the folder."""
    names = {p.name for p in folder.iterdir()} | {f"{t}.csv" for t in TABLES}
    try:
        ds = load_dataset(folder)
    except InvalidInputError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.file in names, p
            assert p.row is None or p.row >= 1, p
            assert str(p)  # renders
        return
    assert set(ds.tables) >= {"units", "officials", "dossiers"}


mutation = st.one_of(
    st.tuples(st.just("cell"), st.integers(0, 6), st.integers(0, 12),
              st.text(max_size=12)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.binary(min_size=1, max_size=6)),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 40)),
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("duplicate_line"), st.integers(0, 6)),
    st.tuples(st.just("encode"), st.sampled_from(["utf-16", "utf-16-le", "cp1258", "latin-1",
                                                  "utf-8-sig"])),
    st.tuples(st.just("separator"), st.sampled_from([";", "\t", "|", ""])),
    st.tuples(st.just("quote"), st.integers(0, 6)),
)


def mutate(data: bytes, op: tuple) -> bytes:
    kind = op[0]
    if kind == "cell":
        _, r, c, value = op
        lines = data.decode("utf-8", errors="replace").split("\n")
        r %= len(lines)
        cells = lines[r].split(",")
        cells[c % len(cells)] = value
        lines[r] = ",".join(cells)
        return "\n".join(lines).encode("utf-8", errors="surrogatepass")
    if kind == "insert":
        at = int(op[1] * len(data))
        return data[:at] + op[2] + data[at:]
    if kind == "delete":
        at = int(op[1] * len(data))
        return data[:at] + data[at + op[2]:]
    if kind == "truncate":
        return data[: int(op[1] * len(data))]
    if kind == "duplicate_line":
        lines = data.split(b"\n")
        i = op[1] % len(lines)
        return b"\n".join([*lines[: i + 1], lines[i], *lines[i + 1:]])
    if kind == "encode":
        return data.decode("utf-8", errors="replace").encode(op[1], errors="replace")
    if kind == "separator":
        return data.replace(b",", op[1].encode())
    if kind == "quote":
        lines = data.split(b"\n")
        i = op[1] % len(lines)
        lines[i] = b'"' + lines[i]
        return b"\n".join(lines)
    raise AssertionError(kind)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=st.sampled_from(TABLES), ops=st.lists(mutation, min_size=1, max_size=3))
def test_damaged_csv_never_crashes(table, ops):
    with tempfile.TemporaryDirectory() as tmp:
        folder = small_dataset(Path(tmp))
        path = folder / f"{table}.csv"
        data = path.read_bytes()
        for op in ops:
            data = mutate(data, op)
        path.write_bytes(data)
        check(folder)


# cells openpyxl can write: no control characters (the xlsx format has no place for them)
xlsx_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=10)
xlsx_value = st.one_of(
    st.none(), xlsx_text, st.integers(-10**12, 10**12), st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    st.sampled_from(["#N/A", "#REF!", "45000", "31/12/2023", "có", "chu_quan"]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=st.sampled_from(TABLES), title_rows=st.integers(0, 3),
       edits=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 12), xlsx_value),
                      max_size=6))
def test_damaged_xlsx_never_crashes(table, title_rows, edits):
    with tempfile.TemporaryDirectory() as tmp:
        folder = small_dataset(Path(tmp))
        path = folder / f"{table}.csv"
        rows = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]
        path.unlink()
        wb = openpyxl.Workbook()
        ws = wb.active
        for i in range(title_rows):
            ws.cell(row=i + 1, column=1, value="DANH SÁCH")
        for r, cells in enumerate(rows):
            for c, value in enumerate(cells):
                ws.cell(row=title_rows + r + 1, column=c + 1, value=value or None)
        for r, c, value in edits:
            ws.cell(row=r + 1, column=c + 1, value=value)
        wb.save(folder / f"{table}.xlsx")
        check(folder)
