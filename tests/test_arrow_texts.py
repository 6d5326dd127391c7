"""The Arrow text helpers the products regime writes its reasons with give exactly what
the row-by-row Python they replace gives (json.dumps, ``{:g}``, str.join)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st
from xeploai.scoring.frames import (
    arrow_texts,
    concat_texts,
    join_rows,
    json_arrow_strings,
    number_arrow_texts,
    number_texts,
)

# texts with what JSON must escape (quotes, backslashes, control characters) and Vietnamese
TEXTS = st.text(alphabet=st.sampled_from(['a', 'Đ', 'ữ', '"', '\\', '\n', '\t', '\x01', ' ',
                                          '→', '1']), max_size=8)


@settings(max_examples=80, deadline=None)
@given(st.lists(TEXTS, max_size=30))
def test_json_arrow_strings_are_json_dumps(values: list[str]) -> None:
    got = json_arrow_strings(pd.Series(values, dtype=object)).to_pylist()
    assert got == [json.dumps(v, ensure_ascii=False) for v in values]
    # pandas' Arrow-backed text columns come in chunks after a concat
    half = len(values) // 2
    chunked = pd.concat([pd.Series(values[:half], dtype="str"),
                         pd.Series(values[half:], dtype="str")], ignore_index=True)
    assert json_arrow_strings(chunked).to_pylist() == got


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_infinity=False), st.integers(-10**6, 10**6)),
                max_size=30))
@example([0.0, -0.0])  # two values equal as numbers but written apart ("0", "-0")
def test_number_arrow_texts_are_the_notes_numbers(values: list[float]) -> None:
    series = pd.Series(values, dtype=float)
    got = number_arrow_texts(series).to_pylist()
    assert got == [f"{v:g}" for v in series.tolist()]
    assert got == number_texts(series).tolist()
    assert all(isinstance(t, str) for t in got) and len(got) == len(values)
    assert all(t == "nan" for t, v in zip(got, series.tolist(), strict=True) if math.isnan(v))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), TEXTS, TEXTS), max_size=30))
def test_concat_and_join_rows_are_python_join(rows: list[tuple[int, str, str]]) -> None:
    rows = sorted(rows, key=lambda r: r[0])  # join_rows takes texts in row order
    first = pd.Series([a for _, a, _ in rows], dtype=object)
    second = pd.Series([b for _, _, b in rows], dtype=object)
    pieces = concat_texts(arrow_texts(first), " × ", arrow_texts(second))
    assert pieces.to_pylist() == [f"{a} × {b}" for _, a, b in rows]
    joined = join_rows(pieces, np.array([r for r, _, _ in rows], dtype=np.int64), 7, "; ",
                       "[", "]").to_pylist()
    assert joined == ["[" + "; ".join(f"{a} × {b}" for r, a, b in rows if r == row) + "]"
                      for row in range(7)]
