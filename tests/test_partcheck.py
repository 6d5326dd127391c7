"""A dossiers file checked part by part (national runs, ``--by-unit``) reports what reading it
whole reports, and classifies as a whole run does: same problems (file, row, column,
value), same warnings, same results and reasons."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xeploai.scoring import api
from xeploai.scoring.errors import InvalidInputError, Problem
from xeploai.scoring.generate import generate_dataset
from xeploai.scoring.input import split_by_unit
from xeploai.scoring.input.contract import column_rules
from xeploai.scoring.input.loader import load_dataset
from xeploai.scoring.input.partcheck import BigCsvCheck, count_line_breaks, split_parts
from xeploai.scoring.input.reference_read import read_tables
from xeploai.scoring.input.shard import core_specs
from xeploai.scoring.storage import load_reasons, load_results, open_db

from .conftest import POLICY

YEAR = 2023
# a generated dossiers file is ≈ 90 bytes a line: parts of a few dozen lines, or one part
PART_SIZES = [4_000, 40_000, 1 << 30]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen")
    generate_dataset(out, officials=200, dossiers=4_000, year=YEAR, seed=3)
    return out


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


class Lines:
    """A CSV file as lines, edited cell by cell (line 1 is the header)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines = path.read_text(encoding="utf-8").split("\n")
        self.header = self.lines[0].split(",")

    def cell(self, line: int, column: str) -> str:
        return next(csv.reader([self.lines[line - 1]]))[self.header.index(column)]

    def set(self, line: int, column: str, value: str) -> None:
        cells = next(csv.reader([self.lines[line - 1]]))
        cells[self.header.index(column)] = value
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(cells)
        self.lines[line - 1] = buf.getvalue()

    def save(self) -> None:
        self.path.write_text("\n".join(self.lines), encoding="utf-8")


def _key(p: Problem) -> tuple:
    return (p.file, p.row or 0, p.column or "", p.value or "", p.expected, p.check)


def _whole_problems(data: Path, warnings: frozenset[str] = frozenset()) -> list[tuple]:
    with pytest.raises(InvalidInputError) as err:
        load_dataset(data, warning_checks=warnings)
    return sorted(map(_key, err.value.problems))


def _sharded_problems(data: Path, part_bytes: int, db: str) -> list[tuple]:
    with pytest.raises(InvalidInputError) as err:
        api.run(data, YEAR, policy=POLICY, db=db, by_unit=api.ByUnit(30, part_bytes=part_bytes))
    return sorted(map(_key, err.value.problems))


@pytest.mark.parametrize("part_bytes", PART_SIZES)
def test_parts_report_every_problem_the_whole_file_reports(generated: Path, tmp_path: Path,
                                                           part_bytes: int) -> None:
    data = _copy(generated, tmp_path / "data")
    d = Lines(data / "dossiers.csv")
    d.set(12, "due_at", "2023-13-45")
    d.set(900, "handler_id", "KHONG_CO")
    d.set(2500, "dossier_id", d.cell(20, "dossier_id"))  # a key of another part
    d.set(2600, "dossier_id", " " + d.cell(21, "dossier_id"))  # equal once trimmed
    d.set(3000, "late_cause", "la")
    d.set(3100, "apology_issued", "maybe")
    d.set(3500, "returned_at", "2001-01-01")  # before it was received
    d.set(3600, "handler_id", "")
    d.set(3700, "procedure_code", "#REF!")
    d.set(3800, "unit_id", "a,b")
    d.save()
    o = Lines(data / "officials.csv")
    o.set(5, "task_score", "chín")
    o.save()
    whole = _whole_problems(data)
    assert len(whole) == 11
    assert ("dossiers.csv", 2600, "dossier_id") in {p[:3] for p in whole}
    assert _sharded_problems(data, part_bytes, f"sqlite:///{tmp_path / 'x.db'}") == whole
    assert not (tmp_path / "x.db").exists() or \
        pd.read_sql("select count(*) as n from runs", open_db(
            f"sqlite:///{tmp_path / 'x.db'}"))["n"].iloc[0] == 0


@pytest.mark.parametrize("part_bytes", PART_SIZES[:2])
def test_rows_of_a_file_that_cannot_be_read_are_not_checked(generated: Path, tmp_path: Path,
                                                            part_bytes: int) -> None:
    # as the reference path: rows too short or too long are reported (with the whole file's
    # line numbers), and then no cell of that file, since its columns can't be trusted
    data = _copy(generated, tmp_path / "data")
    d = Lines(data / "dossiers.csv")
    d.set(40, "handler_id", "KHONG_CO")
    d.lines[1999] += ",extra"
    d.lines[3499] = d.lines[3499].rsplit(",", 1)[0]
    d.save()
    whole = _whole_problems(data)
    assert [p[1] for p in whole] == [2000, 3500]
    assert _sharded_problems(data, part_bytes, f"sqlite:///{tmp_path / 'x.db'}") == whole


def test_a_later_part_not_in_utf8_is_named_by_its_line(generated: Path, tmp_path: Path) -> None:
    data = _copy(generated, tmp_path / "data")
    path = data / "dossiers.csv"
    lines = path.read_bytes().split(b"\n")
    lines[2999] = lines[2999].replace(b",false", ",không".encode("cp1258"), 1) \
        .replace(b",true", ",không".encode("cp1258"), 1)
    path.write_bytes(b"\n".join(lines))
    (problem,) = _sharded_problems(data, 40_000, f"sqlite:///{tmp_path / 'x.db'}")
    assert problem[:3] == ("dossiers.csv", 3000, "apology_issued")
    assert problem[5] == "encoding"


def _vietnamese(data: Path) -> None:
    """What an HR export looks like: title rows, DD/MM/YYYY dates, some typed with a
    one-digit day, multi-line cells — valid, but not all of it the fast path vouches for
    (the one-digit days)."""
    path = data / "dossiers.csv"
    text = re.sub(r"(\d{4})-(\d{2})-(\d{2})", r"\3/\2/\1", path.read_text(encoding="utf-8"))
    lines = [re.sub(r"(^|,)0(\d)/", r"\1\2/", ln) if i % 50 == 7 else ln
             for i, ln in enumerate(text.split("\n"))]
    lines[0] += ",ghi_chu"  # a column no rule reads: kept as written
    for i in range(1, len(lines)):
        if lines[i]:
            # many multi-line cells: some of them span the end of a part
            lines[i] += ',"ghi chú\ndòng hai, ""trích"""' if i % 97 == 5 else ","
    path.write_text("SỞ NỘI VỤ — BÁO CÁO HỒ SƠ,,,\n,,\n" + "\n".join(lines), encoding="utf-8")


@pytest.mark.parametrize("part_bytes", PART_SIZES)
def test_checked_parts_classify_like_a_whole_run(generated: Path, tmp_path: Path,
                                                 part_bytes: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    data = _copy(generated, tmp_path / "data")
    _vietnamese(data)
    used: list[str] = []
    checked = split_by_unit.split_checked
    monkeypatch.setattr(split_by_unit, "split_checked",
                        lambda *a, **k: used.append("checked") or checked(*a, **k))
    db = f"sqlite:///{tmp_path / 'x.db'}"
    whole = api.run(data, YEAR, policy=POLICY, db=db)
    out = api.run(data, YEAR, policy=POLICY, db=db, again=True,
                  by_unit=api.ByUnit(30, workdir=tmp_path, part_bytes=part_bytes))
    assert used == ["checked"] and out.groups > 1
    engine = open_db(db)
    for load in (load_results, load_reasons):
        pd.testing.assert_frame_equal(load(engine, out.run_id), load(engine, whole.run_id))
    assert "late_dossiers.late" in set(load_reasons(engine, out.run_id)["rule"])
    assert not list(tmp_path.glob("xeploai-groups-*"))  # the group files are gone


def test_warnings_leave_out_the_rows_a_whole_run_leaves_out(generated: Path,
                                                            tmp_path: Path) -> None:
    data = _copy(generated, tmp_path / "data")
    d = Lines(data / "dossiers.csv")
    late = d.cell(30, "handler_id")
    d.set(30, "handler_id", "KHONG_CO")
    d.set(3000, "dossier_id", d.cell(31, "dossier_id"))
    d.save()
    policy = tmp_path / "policy.toml"
    policy.write_text(f'[policy]\nextends = "{POLICY.as_posix()}"\n'
                      '[validation]\nwarnings = ["reference", "duplicate"]\n', encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    whole = api.run(data, YEAR, policy=policy, db=db)
    out = api.run(data, YEAR, policy=policy, db=db, again=True,
                  by_unit=api.ByUnit(30, part_bytes=4_000))
    assert sorted(map(_key, out.dataset.warnings)) == sorted(map(_key, whole.dataset.warnings))
    assert [w.row for w in sorted(out.dataset.warnings, key=_key)] == [30, 3000]
    engine = open_db(db)
    for load in (load_results, load_reasons):
        pd.testing.assert_frame_equal(load(engine, out.run_id), load(engine, whole.run_id))
    assert late  # the row left out had a real handler before the edit


def test_parts_are_numbered_as_a_whole_read_numbers_them(generated: Path,
                                                        tmp_path: Path) -> None:
    # multi-line cells and title rows: a part's rows are numbered once the parts ahead of
    # it are read, not from its first line
    data = _copy(generated, tmp_path / "data")
    _vietnamese(data)
    spec = next(s for s in core_specs() if s.name == "dossiers")
    check = BigCsvCheck(data / "dossiers.csv", "dossiers", column_rules(spec.row_model), 4_000)
    here = [(source.line.tolist(), frame["dossier_id"].tolist())
            for frame, source in check.parts()]
    assert len(here) > 50 and not check.problems
    problems: list[Problem] = []
    whole = read_tables(data, [spec], problems)
    assert not problems
    assert [n for lines, _ in here for n in lines] == whole.sources["dossiers"].line.tolist()
    assert [i for _, ids in here for i in ids] == whole.tables["dossiers"]["dossier_id"].tolist()


# -- cutting a file into parts ----------------------------------------------------------

cell = st.text(alphabet=st.sampled_from(list('ab,"\r\né')), max_size=5)
row = st.lists(cell, min_size=1, max_size=4)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(row, min_size=1, max_size=60), part_bytes=st.integers(1, 80),
       crlf=st.booleans())
def test_parts_are_whole_lines_cut_outside_quotes(tmp_path_factory: pytest.TempPathFactory,
                                                  rows: list[list[str]], part_bytes: int,
                                                  crlf: bool) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n" if crlf else "\n").writerows(rows)
    data = buf.getvalue().encode()
    path = tmp_path_factory.mktemp("cut") / "f.csv"
    path.write_bytes(data)
    parts = list(split_parts(path, part_bytes))
    assert b"".join(p.data for p in parts) == data
    assert [p.index for p in parts] == list(range(len(parts)))
    seen = b""
    for p in parts:
        assert p.line == 1 + count_line_breaks(seen)
        seen += p.data
        if p is not parts[-1]:
            # cut after a line break, with every quoted cell closed
            assert seen.endswith(b"\n") and seen.count(b'"') % 2 == 0
    # the parts read as the whole file reads
    assert [r for p in parts for r in csv.reader(io.StringIO(p.data.decode(), newline=""))] \
        == list(csv.reader(io.StringIO(data.decode(), newline="")))


def test_a_file_smaller_than_a_part_is_read_as_one_part(generated: Path,
                                                        tmp_path: Path) -> None:
    # every CSV file of the reference path goes through the parts: a small one must be read
    # as a whole read reads it, its last line (without a line break) included — here its
    # encoding problem counts every line not in UTF-8
    data = _copy(generated, tmp_path / "data")
    path = data / "officials.csv"
    lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
    names = lines[0].split(",").index("full_name")
    for i in range(1, len(lines)):
        cells = lines[i].split(",")
        cells[names] = "Lê Văn Hùng"
        lines[i] = ",".join(cells)
    path.write_bytes("\n".join(lines).encode("cp1258"))
    assert len(list(split_parts(path, 1 << 20))) == 1
    problems = [p for p in _whole_problems(data) if p[0] == "officials.csv"]
    assert [p[1:3] for p in problems] == [(2, "full_name")]
    assert f"{len(lines) - 1} dòng như vậy" in problems[0][4]


# -- whole runs: a big file read in parts ---------------------------------------------------

def _loaded(data: Path, monkeypatch: pytest.MonkeyPatch, parts: bool):
    from xeploai.scoring.input import partcheck as partcheck

    monkeypatch.setattr(partcheck, "PART_BYTES", 20_000 if parts else 1 << 30)
    return load_dataset(data, fast=False)


def test_a_big_file_read_in_parts_loads_as_one_read(generated: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    data = _copy(generated, tmp_path / "data")
    _vietnamese(data)  # multi-line cells and title rows: rows ≠ lines
    assert (data / "dossiers.csv").stat().st_size > 100_000
    whole, parts = (_loaded(data, monkeypatch, p) for p in (False, True))
    assert whole.tables.keys() == parts.tables.keys()
    for name in whole.tables:
        pd.testing.assert_frame_equal(parts.tables[name], whole.tables[name])


def test_a_big_file_read_in_parts_reports_as_one_read(generated: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    data = _copy(generated, tmp_path / "data")
    d = Lines(data / "dossiers.csv")
    d.set(12, "due_at", "2023-13-45")
    d.set(2500, "dossier_id", d.cell(20, "dossier_id"))  # a key of another part
    d.set(3600, "handler_id", "KHONG_CO")
    d.save()
    reports = []
    for parts in (False, True):
        with pytest.raises(InvalidInputError) as err:
            _loaded(data, monkeypatch, parts)
        reports.append(sorted(map(_key, err.value.problems)))
    assert len(reports[0]) == 3 and reports[1] == reports[0]


def test_a_repeated_column_is_reported_when_read_in_parts(generated: Path,
                                                          tmp_path: Path) -> None:
    data = _copy(generated, tmp_path / "data")
    d = Lines(data / "dossiers.csv")
    d.lines[0] = d.lines[0].replace("late_cause", "unit_id")
    d.save()
    whole = _whole_problems(data)
    assert [(p[1], p[2], p[5]) for p in whole] == [(1, "unit_id", "format")]
    assert _sharded_problems(data, 4_000, f"sqlite:///{tmp_path / 'x.db'}") == whole


def test_dd_mm_yyyy_dates_are_streamed_on_the_fast_path(generated: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    data = _copy(generated, tmp_path / "data")
    for path in data.glob("*.csv"):
        path.write_text(re.sub(r"(\d{4})-(\d{2})-(\d{2})", r"\3/\2/\1",
                               path.read_text(encoding="utf-8")), encoding="utf-8")
    used: list[str] = []
    monkeypatch.setattr(split_by_unit, "split_checked", lambda *a, **k: used.append("checked"))
    db = f"sqlite:///{tmp_path / 'x.db'}"
    whole = api.run(data, YEAR, policy=POLICY, db=db)
    out = api.run(data, YEAR, policy=POLICY, db=db, again=True, by_unit=api.ByUnit(30))
    assert not used and out.groups > 1
    engine = open_db(db)
    for load in (load_results, load_reasons):
        pd.testing.assert_frame_equal(load(engine, out.run_id), load(engine, whole.run_id))
    assert "late_dossiers.late" in set(load_reasons(engine, out.run_id)["rule"])
