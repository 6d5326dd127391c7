"""The fast reader (DuckDB, SQL generated from the row model) against the reference reader,
cell by cell: whatever a cell holds, the fast reader either gives way (NotClean) or reads
exactly what the reference path reads, with no problem there. A cell the fast reader
accepts and the reference path reports (or reads otherwise) is the bug this catches:
DuckDB's own casts read ``2024-1-5``, ``24:00``, ``1_000`` and time zones.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
import unicodedata
from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field
from xeploai.scoring.errors import Problem
from xeploai.scoring.input.column_checks import (
    ARROW_TYPES,
    as_frame,
    default_column,
    validate_table,
)
from xeploai.scoring.input.contract import ColumnRule, column_rules
from xeploai.scoring.input.contract_sql import NOT_NFC_STABLE
from xeploai.scoring.input.fastload import NotClean, load_fast, with_defaults
from xeploai.scoring.input.reference_read import read_tables
from xeploai.scoring.types import TableSpec


class Probe(BaseModel):
    probe_id: str = Field(min_length=1, json_schema_extra={"key": True})
    moment: dt.datetime | None = None
    day: dt.date | None = None
    amount: float | None = Field(default=None, ge=-50, le=100)
    count: int | None = None
    flag: bool = False
    note: str | None = None
    kind: Literal["tinh", "xa"] | None = None


SPECS = [TableSpec("probe", Probe, True)]
RULES = {"probe": column_rules(Probe)}
COLUMNS = list(Probe.model_fields)

SPACES = " \t\xa0\u3000\u2003\x0b"
DIGITS = "0123456789"


def _date_like() -> st.SearchStrategy[str]:
    """Cells near the shapes dates are written in: the right shapes with any digits (30/02,
    24:00, year 0099), and shapes just off them (one digit, a T, a zone, two spaces)."""
    d = st.text(DIGITS, min_size=1, max_size=4)
    sep = st.sampled_from(["-", "/", " ", ":", "T", "  ", "+07:00", "Z", "."])
    exact = st.builds(lambda y, m, dd, hh, mm, ss, form, timed: (
        f"{y}-{m}-{dd}" if form else f"{dd}/{m}/{y}") + (
        f" {hh}:{mm}" + (f":{ss}" if timed == 2 else "") if timed else ""),
        st.text(DIGITS, min_size=4, max_size=4), st.text(DIGITS, min_size=2, max_size=2),
        st.text(DIGITS, min_size=2, max_size=2), st.text(DIGITS, min_size=2, max_size=2),
        st.text(DIGITS, min_size=2, max_size=2), st.text(DIGITS, min_size=2, max_size=2),
        st.booleans(), st.integers(0, 2))
    real = st.builds(lambda t, form, timed: t.strftime(
        ("%Y-%m-%d" if form else "%d/%m/%Y") + (" %H:%M" if timed else "")),
        st.datetimes(dt.datetime(1890, 1, 1), dt.datetime(2110, 12, 31)),
        st.booleans(), st.booleans())
    loose = st.lists(st.one_of(d, sep), min_size=1, max_size=7).map("".join)
    return st.one_of(real, exact, loose)


def _number_like() -> st.SearchStrategy[str]:
    return st.one_of(
        st.floats(-60, 110, allow_nan=False).map(lambda v: f"{v:.3f}".rstrip("0")),
        st.floats(-1e6, 1e6, allow_nan=False).map(repr),
        st.decimals(-100, 100, places=12).map(str),
        st.integers(-60, 110).map(str),
        st.text("0123456789.,-+e_ x", min_size=1, max_size=8),
        st.sampled_from(["-0", "-0.0", "8,5", "1_000", "1e3", ".5", "5.", "inf", "nan",
                         "2020.5", "2020.0", "9007199254740993", "0x1A", "１２"]))


def _text_like() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(st.sampled_from("aAbcoó\u0301#N/" + SPACES), max_size=6),
        st.sampled_from(["#N/A", "#REF!", " x ", "\u3000Có\u3000", "co\u0301", "tinh",
                         "Tỉnh", "xa", " Cấp  xã ", "x\u00a0", "Huyện"]))


def _bool_like() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["true", "FALSE", "1", "0", "yes", "No", "có", "CÓ", "co\u0301",
                         "không", "khong", "x", "X", "đúng", "t", "y", " true", "true\xa0"]),
        st.text("tfyesnoxcó" + SPACES, max_size=5))


def _cell(column: str) -> st.SearchStrategy[str]:
    kinds = {"moment": _date_like(), "day": _date_like(), "amount": _number_like(),
             "count": _number_like(), "flag": _bool_like(), "note": _text_like(),
             "kind": _text_like()}
    return st.one_of(st.just(""), st.sampled_from(SPACES), kinds[column])


# one column at a time, the others blank: a row breaking two columns would hide the one
ROWS = st.sampled_from(COLUMNS[1:]).flatmap(lambda column: st.lists(
    _cell(column).map(lambda cell: {c: cell if c == column else "" for c in COLUMNS[1:]}),
    min_size=1, max_size=3))


def _rows(column: str, *cells: str) -> list[dict[str, str]]:
    return [{c: cell if c == column else "" for c in COLUMNS[1:]} for cell in cells]


def _write(folder: Path, rows: list[dict[str, str]]) -> None:
    with (folder / "probe.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        for i, row in enumerate(rows):
            writer.writerow([f"P{i}", *(row[c] for c in COLUMNS[1:])])


def _both(folder: Path) -> tuple[pd.DataFrame | None, pd.DataFrame | None, list[Problem]]:
    """The fast reader's frame (None when it gives way) and the reference reader's, with
    the reference reader's problems."""
    try:
        fast = load_fast(folder, SPECS, RULES).tables["probe"]
    except NotClean:
        fast = None
    problems: list[Problem] = []
    reference = read_tables(folder, SPECS, problems).tables.get("probe")
    return fast, reference, problems


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ROWS)
# what DuckDB's own casts read and the reference path does not (or reads otherwise)
@example(_rows("moment", "2024-01-01 24:00"))
@example(_rows("moment", "2024-01-01 10:00+07:00"))
@example(_rows("day", "2024-1-5"))
# a space or sign where a digit belongs, in a cell of the right length and separators:
# DuckDB's cast reads them (as 12:08, 29 December, 02:48, …), the reference path does not
@example(_rows("moment", "2023-12-29 12: 8"))
@example(_rows("moment", "2023-12-2  12:48"))
@example(_rows("moment", "2023-12-29  2:48:07"))
@example(_rows("moment", "2023-12-29 12:48: 7"))
@example(_rows("day", "+023-12-29"))
@example(_rows("amount", "1_000"))
@example(_rows("count", "2020.5"))
@example(_rows("amount", "-0"))
@example(_rows("flag", "t"))
@example(_rows("note", "x\u3000"))
def test_the_fast_reader_accepts_only_what_the_reference_reader_reads_alike(rows) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write(folder, rows)
        fast, reference, problems = _both(folder)
    if fast is None:
        return
    assert not problems, (rows, problems)
    pd.testing.assert_frame_equal(fast, reference)


@pytest.mark.parametrize("cells", [
    {"moment": "05/03/2023 14:30", "day": "2023-03-05", "amount": "8,5", "count": "12",
     "flag": "Có", "note": "  Nguyễn\u3000", "kind": "Cấp tỉnh"},
    {"moment": "2023-03-05 14:30:59", "day": "05/03/2023", "amount": "-0.25", "count": "",
     "flag": "", "note": "", "kind": ""},
    {"moment": "", "day": "", "amount": "", "count": "-7", "flag": "KHÔNG", "note": "#x",
     "kind": "xa"},
    {"moment": "05/03/2023 14:30:59", "day": "31/12/2023", "amount": "100", "count": "0",
     "flag": "false", "note": "x", "kind": "tinh"},
], ids=["vietnamese", "iso-seconds", "blanks", "day-first-seconds"])
def test_clean_cells_in_hr_shapes_take_the_fast_reader(tmp_path: Path, cells) -> None:
    # the property above must not hold by the fast reader giving way to everything
    _write(tmp_path, [cells, cells])
    fast, reference, problems = _both(tmp_path)
    assert fast is not None and not problems
    pd.testing.assert_frame_equal(fast, reference)


def test_a_header_only_file_reads_as_frames_pandas_can_join(tmp_path: Path) -> None:
    # DuckDB returns no chunk for no row, and pandas' Arrow text of no chunk broke a merge
    # in the engine (header-only periods.csv); the fast reader's frame must join like the
    # reference reader's
    _write(tmp_path, [])
    fast, reference, problems = _both(tmp_path)
    assert fast is not None and not problems
    pd.testing.assert_frame_equal(fast, reference)
    keys = ["probe_id", "note"]
    assert fast.join(fast.set_index(keys), on=keys, rsuffix="_other").empty


class Target(BaseModel):
    target_id: str = Field(min_length=1, json_schema_extra={"key": True})


class Pointer(BaseModel):
    pointer_id: str = Field(min_length=1, json_schema_extra={"key": True})
    target_id: str | None = Field(default=None, json_schema_extra={"ref": "target"})


@pytest.mark.parametrize("named", ["T1", ""])
def test_a_reference_into_a_table_of_no_row_is_checked(tmp_path: Path, named: str) -> None:
    # the cross-table checks skip scanning a table of no row (it breaks nothing), but a
    # table referring to it still must find what it names there
    specs = [TableSpec("target", Target, True), TableSpec("pointer", Pointer, True)]
    rules = {spec.name: column_rules(spec.row_model) for spec in specs}
    (tmp_path / "target.csv").write_text("target_id\n", encoding="utf-8")
    (tmp_path / "pointer.csv").write_text(f"pointer_id,target_id\nP1,{named}\n",
                                          encoding="utf-8")
    if named:
        with pytest.raises(NotClean, match="reference"):
            load_fast(tmp_path, specs, rules)
    else:
        assert load_fast(tmp_path, specs, rules).tables["pointer"]["pointer_id"].tolist() == ["P1"]


A_DEFAULT = {"str": "x", "code": "x", "float": 1.5, "int": 3, "bool": True,
             "date": dt.date(2023, 1, 1), "datetime": dt.datetime(2023, 1, 1)}


@pytest.mark.parametrize("given", [False, True])
@pytest.mark.parametrize("kind", sorted(ARROW_TYPES))
def test_a_missing_optional_column_is_typed_as_a_read_blank_one(kind: str, given: bool) -> None:
    # the fast reader builds a missing column in Arrow (default_array); both paths must
    # hand the rules a column of the dtype a read column has (a text column of nulls turned
    # to an object column when converted alone), holding the default
    default = A_DEFAULT[kind] if given else None
    rule = ColumnRule("column", kind, required=False, has_default=True, default=default)
    blank = pd.DataFrame({"other": ["a", "b"], "column": ["", ""]})
    read, _ = validate_table("t", "t.csv", blank, [rule], [])
    missing = default_column(rule, read.index)
    assert missing.dtype == read["column"].dtype
    if kind in ("date", "datetime") or default is None:  # a date's default is no date
        assert missing.isna().all() if kind != "bool" else not missing.any()
    else:
        assert (missing == default).all()
    fast = as_frame(with_defaults(pa.table({"other": ["a", "b"]}), [rule]))
    assert list(fast.columns) == ["column", "other"]
    pd.testing.assert_series_equal(fast["column"], missing)


def test_the_letters_the_nfc_check_skips_are_left_alone_by_nfc() -> None:
    # the fast reader compares a cell with nfc_normalize only when it holds a character
    # outside NOT_NFC_STABLE's letters: each of them must keep NFC whatever surrounds it (no
    # combining class, unchanged alone, never the second of a pair NFC composes)
    with duckdb.connect() as db:
        stable = [cp for (cp,) in db.execute(
            "SELECT cp FROM range(1, 1114112) t(cp) WHERE cp NOT BETWEEN 55296 AND 57343 "
            "AND NOT regexp_matches(chr(cp::INTEGER), ?)", [NOT_NFC_STABLE]).fetchall()]
    composed_second = {int(parts[1], 16) for cp in range(0x110000)
                       if len(parts := unicodedata.decomposition(chr(cp)).split()) == 2
                       and not parts[0].startswith("<")}
    assert len(stable) > 700 and {ord(c) for c in "Nguyễn Đặng Ưởng Ổi"} <= set(stable)
    for cp in stable:
        assert unicodedata.combining(chr(cp)) == 0 and unicodedata.is_normalized("NFC", chr(cp))
        assert cp not in composed_second and not 0x1161 <= cp <= 0x11C2, hex(cp)
