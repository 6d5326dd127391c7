"""Reading dates: the byte-level reading of the usual shapes (``YYYY-MM-DD``,
``DD/MM/YYYY``, with or without a time) gives what pandas gives, cell for cell, and leaves
pandas everything else."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xeploai.scoring.input.dates import pandas_datetimes, parse_datetimes, plain_datetime_series


def _two(n: int, pad: bool) -> str:
    return f"{n:02d}" if pad else str(n)


@st.composite
def date_cell(draw: st.DrawFn) -> str:
    y = draw(st.integers(1850, 2150))
    m = draw(st.integers(0, 14))
    d = draw(st.integers(0, 33))
    pad = draw(st.booleans() | st.just(True))
    if draw(st.booleans()):
        text = f"{y:04d}-{_two(m, pad)}-{_two(d, pad)}"
    else:
        text = f"{_two(d, pad)}/{_two(m, pad)}/{y:04d}"
    kind = draw(st.sampled_from(["date", "minutes", "seconds"]))
    if kind != "date":
        sep = draw(st.sampled_from([" ", " ", "T", "  "]))
        text += f"{sep}{_two(draw(st.integers(0, 25)), pad)}:{draw(st.integers(0, 61)):02d}"
        if kind == "seconds":
            text += f":{draw(st.integers(0, 61)):02d}"
    return text + draw(st.sampled_from(["", "", "", "Z", "+07:00", ".5", "x"]))


cells = st.lists(date_cell() | st.text(max_size=20), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(cells)
def test_plain_reading_is_pandas_reading(values: list[str]) -> None:
    s = pd.Series([v.strip() for v in values], dtype="str")
    plain, done = plain_datetime_series(s)
    pandas = pandas_datetimes(s)
    # where the byte reading answers, it answers what pandas does; and it answers for every
    # well-formed cell, so pandas is left only the odd ones
    pd.testing.assert_series_equal(plain[done], pandas[done])
    time = r"( ([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?)?"  # pandas also reads second 60 (a leap)
    assert (pandas[~done].isna() | ~s[~done].str.fullmatch(
        rf"\d{{4}}-\d\d-\d\d{time}|\d\d/\d\d/\d{{4}}{time}")).all()
    pd.testing.assert_series_equal(parse_datetimes(pd.Series(values, dtype="str")), pandas)


def test_a_province_column_shape_by_shape() -> None:
    values = ["2023-09-25", "25/09/2023", "25/09/2023 16:12", "2023-09-25 16:12:59",
              "29/02/2024", "29/02/2023", "5/9/2023", "2023-09-25T16:12", "31/04/2023",
              "01/01/1899", "", "25/09/2023 24:00", "2100-12-31 23:59:59",
              "29/02/1900", "29/02/2000", "2100-02-29", "2023-09-25 24:00"]
    s = pd.Series(values, dtype="str")
    _, done = plain_datetime_series(s)
    assert done.tolist() == [True, True, True, True, True, False, False, False, False,
                             False, False, False, True, False, True, False, False]
    got = parse_datetimes(s)
    assert got.iloc[2] == pd.Timestamp("2023-09-25 16:12")
    assert got.iloc[4] == pd.Timestamp("2024-02-29")
    assert got.iloc[6] == pd.Timestamp("2023-09-05")  # day first, read by pandas
    assert got.iloc[14] == pd.Timestamp("2000-02-29")  # 1900 and 2100 are not leap years
    assert got.iloc[[5, 8, 9, 10, 11, 13, 15, 16]].isna().all()
    pd.testing.assert_series_equal(got, pandas_datetimes(s))


def test_a_dataset_in_dd_mm_yyyy_takes_the_fast_path_and_loads_the_same(
        tmp_path, monkeypatch) -> None:
    import re

    from xeploai.scoring.generate import generate_dataset
    from xeploai.scoring.input import fastload as fastload
    from xeploai.scoring.input.loader import load_dataset

    generate_dataset(tmp_path, officials=80, dossiers=3_000, year=2023, seed=5)
    for path in tmp_path.glob("*.csv"):
        path.write_text(re.sub(r"(\d{4})-(\d{2})-(\d{2})", r"\3/\2/\1",
                               path.read_text(encoding="utf-8")), encoding="utf-8")
    fast: list[str] = []
    load_fast = fastload.load_fast
    monkeypatch.setattr(fastload, "load_fast",
                        lambda *a, **k: (load_fast(*a, **k), fast.append("yes"))[0])
    got = load_dataset(tmp_path)
    assert fast == ["yes"] and not got.warnings  # it returned: the fast path's own frames
    reference = load_dataset(tmp_path, fast=False)
    for name, frame in reference.tables.items():
        pd.testing.assert_frame_equal(got.tables[name], frame)
    assert got.tables["dossiers"]["received_at"].notna().all()
    # one cell the byte reader leaves to pandas sends the whole dataset to the reference path
    d = tmp_path / "dossiers.csv"
    lines = d.read_text(encoding="utf-8").split("\n")
    lines[5] = re.sub(r"\b0(\d)/", r"\1/", lines[5], count=1)  # a one-digit day or month
    d.write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.setattr(fastload, "load_fast", load_fast)
    with pytest.raises(fastload.NotClean):
        fastload.load_fast(tmp_path, *_specs_and_rules())
    pd.testing.assert_frame_equal(load_dataset(tmp_path).tables["dossiers"],
                                  load_dataset(tmp_path, fast=False).tables["dossiers"])


def _specs_and_rules() -> tuple[list, dict]:
    from xeploai.scoring.input.contract import column_rules
    from xeploai.scoring.input.shard import core_specs

    specs = core_specs()
    return specs, {s.name: column_rules(s.row_model) for s in specs}


def test_an_excel_export_with_title_rows_and_semicolons_takes_the_fast_path(
        tmp_path, monkeypatch) -> None:
    # Vietnamese Excel saves "CSV" with ';', HR systems put a title above the header
    import re

    from xeploai.scoring.generate import generate_dataset
    from xeploai.scoring.input import fastload as fastload
    from xeploai.scoring.input.loader import load_dataset

    generate_dataset(tmp_path, officials=80, dossiers=3_000, year=2023, seed=6)
    for path in tmp_path.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        assert '"' not in text and ";" not in text
        text = re.sub(r"(\d{4})-(\d{2})-(\d{2})", r"\3/\2/\1", text).replace(",", ";")
        path.write_text(f"SỞ NỘI VỤ TỈNH BÌNH ĐỊNH\nBáo cáo {path.stem}\n\n{text}",
                        encoding="utf-8")
    fast: list[str] = []
    load_fast = fastload.load_fast
    monkeypatch.setattr(fastload, "load_fast",
                        lambda *a, **k: (load_fast(*a, **k), fast.append("yes"))[0])
    got = load_dataset(tmp_path)
    reference = load_dataset(tmp_path, fast=False)
    assert fast == ["yes"]
    for name, frame in reference.tables.items():
        pd.testing.assert_frame_equal(got.tables[name], frame)
    assert len(got.tables["dossiers"]) == 3_000
