"""The year must make sense (SPEC §3) and the CLI summary stays bounded (issue 13)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xeploai.scoring import api
from xeploai.scoring.input.evaluation_year import YearError
from xeploai.scoring.summary import COUNTS, LEVELS, SHOWN_UNITS, TITLES, summarise, unit_counts

from .conftest import POLICY, SAMPLE
from .faults import snapshot


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xeploai.scoring.cli", *args],
                          capture_output=True, text=True, cwd=cwd)


NEXT_YEAR = dt.date.today().year + 1


@pytest.mark.parametrize("year", [23, 2019, NEXT_YEAR, 2032, 0, -2023])
def test_a_year_out_of_range_is_refused_before_reading(tmp_path: Path, year: int) -> None:
    # the folder does not even exist: the year is refused first
    with pytest.raises(YearError, match=f"năm đánh giá {year} không hợp lệ"):
        api.run(tmp_path / "none", year, policy=POLICY, store=False)
    with pytest.raises(YearError):
        api.validate(tmp_path / "none", policy=POLICY, year=year)


def test_two_digit_year_gets_a_hint() -> None:
    with pytest.raises(YearError, match="có phải 2023"):
        api.run(SAMPLE, 23, policy=POLICY, store=False)


@pytest.mark.parametrize("year", ["2032", "23", "2020"])
def test_cli_refuses_the_year_and_stores_nothing(tmp_path: Path, year: str) -> None:
    """2020 is in range, but the sample holds nothing dated in it."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    first = cli("run", "--data", str(SAMPLE), "--year", "2023", "--policy", str(POLICY),
                "--db", url, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = snapshot(url)
    done = cli("run", "--data", str(SAMPLE), "--year", year, "--policy", str(POLICY),
               "--db", url, cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "Không có gì được lưu" in done.stderr
    if year == "2020":
        assert "dữ liệu không có gì thuộc năm 2020" in done.stderr
        assert "2023 (" in done.stderr  # the years the data does hold
    else:
        assert f"năm đánh giá {year} không hợp lệ" in done.stderr
    assert snapshot(url) == before
    checked = cli("validate", "--data", str(SAMPLE), "--year", year, "--policy", str(POLICY),
                  cwd=tmp_path)
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
    dry = cli("run", "--data", str(SAMPLE), "--year", year, "--policy", str(POLICY),
              "--dry-run", cwd=tmp_path)
    assert dry.returncode == 1 and "Traceback" not in dry.stderr


def test_a_year_with_only_one_kind_of_dated_row_is_accepted(tmp_path: Path) -> None:
    """One reminder dated in the year is enough: the year is not a typing slip."""
    folder = Path(shutil.copytree(SAMPLE, tmp_path / "data"))
    with pytest.raises(YearError):
        api.validate(folder, policy=POLICY, year=2020)
    path = folder / "reminders.csv"
    path.write_text(path.read_text(encoding="utf-8")
                    + "NN-999,BD0001,2020-05-05,nhac_nho,tre_han,1/TB\n", encoding="utf-8")
    api.validate(folder, policy=POLICY, year=2020)
    assert cli("validate", "--data", str(folder), "--year", "2020", "--policy", str(POLICY),
               cwd=tmp_path).returncode == 0


@pytest.mark.parametrize("year", ["2032", "2020"])
def test_by_unit_refuses_the_year_and_stores_nothing(tmp_path: Path, year: str) -> None:
    """--by-unit streams the dossiers: 2020 is refused from what the streamed dossiers and
    the other tables hold (nothing dated in it), 2032 before anything is read."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    args = ["--data", str(SAMPLE), "--policy", str(POLICY), "--db", url, "--by-unit", "10"]
    assert cli("run", "--year", "2023", *args, cwd=tmp_path).returncode == 0
    before = snapshot(url)
    done = cli("run", "--year", year, *args, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert ("không hợp lệ" if year == "2032" else "dữ liệu không có gì thuộc năm 2020") \
        in done.stderr
    assert snapshot(url) == before


# -- the summary -------------------------------------------------------------------------


def many_units(n: int) -> pd.DataFrame:
    """Results of ``n`` units, unit k having k officials."""
    rows = [{"unit_id": f"U{k:04d}", "level": ("HTTNV", "HTNV", "KXL")[i % 3],
             "titles": ("LDTT;CSTDCS" if i == 0 else "LDTT" if i % 2 else "")}
            for k in range(1, n + 1) for i in range(k)]
    return pd.DataFrame(rows)


def test_unit_counts_match_a_count_by_hand() -> None:
    results = many_units(7)
    counts = unit_counts(results)
    for unit, row in counts.iterrows():
        mine = results[results["unit_id"] == unit]
        assert row["officials"] == len(mine)
        assert row["HTTNV"] == (mine["level"] == "HTTNV").sum()
        assert row["LDTT"] == sum("LDTT" in t.split(";") for t in mine["titles"])
        assert row["CSTDCS"] == sum("CSTDCS" in t.split(";") for t in mine["titles"])


def test_summary_keeps_the_largest_units_and_the_totals() -> None:
    results = many_units(100)
    summary = summarise(results)
    assert len(summary.shown) == SHOWN_UNITS
    assert set(summary.shown.index) == {f"U{k:04d}" for k in range(61, 101)}
    assert summary.folded_units == 60
    assert summary.folded["officials"] == sum(range(1, 61))
    assert summary.total["officials"] == len(results)
    assert (summary.shown.sum() + summary.folded == summary.total).all()
    assert len(summarise(results, all_units=True).shown) == 100


def test_cli_summary_is_bounded_and_all_shows_every_unit(tmp_path: Path) -> None:
    from xeploai.scoring.testing import DatasetBuilder

    builder = DatasetBuilder()
    units = SHOWN_UNITS + 20
    for k in range(units):
        builder.unit(f"U{k:03d}")
        builder.official(f"O{k:03d}", unit_id=f"U{k:03d}")
    builder.late("O000", 1)
    data = builder.write(tmp_path / "data")
    short = cli("run", "--data", str(data), "--year", "2023", "--dry-run", cwd=tmp_path)
    assert short.returncode == 0, short.stderr
    lines = short.stdout.splitlines()
    assert "Tổng cộng" in short.stdout and "--all để xem hết" in short.stdout
    assert len(lines) < SHOWN_UNITS + 15
    every = cli("run", "--data", str(data), "--year", "2023", "--dry-run", "--all",
                cwd=tmp_path)
    assert every.returncode == 0
    assert "--all để xem hết" not in every.stdout
    assert len(every.stdout.splitlines()) >= units + 5


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["U1", "U2", "Đ3", "u10"]),
                          st.sampled_from([*LEVELS, "?"]),
                          st.lists(st.sampled_from(TITLES), unique=True, max_size=3)),
                max_size=40))
def test_unit_counts_are_the_counts_of_each_official(rows: list) -> None:
    """Whatever the units, levels (an unknown one counts nowhere) and titles, each count is
    the number of the unit's officials with that level or that title among theirs."""
    results = pd.DataFrame({"unit_id": [u for u, _, _ in rows],
                            "level": [lv for _, lv, _ in rows],
                            "titles": [";".join(t) for _, _, t in rows]})
    expected: dict[str, Counter] = {}
    for unit, lv, titles in rows:
        counter = expected.setdefault(unit, Counter())
        counter.update(["officials", lv, *titles])
    counts = unit_counts(results)
    assert list(counts.index) == sorted(expected)
    assert list(counts.columns) == list(COUNTS)
    for unit, row in counts.iterrows():
        assert row.to_dict() == {name: expected[unit][name] for name in COUNTS}
