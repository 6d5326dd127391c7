"""Reading a CSV file's cells: files with no quote and no blank line are cut by pyarrow,
the others read by pandas; both give the frame pandas gives for the whole text."""

from __future__ import annotations

import io

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from xeploai.scoring.errors import Problem
from xeploai.scoring.input.csv_text import LINE_BREAK, read_csv_bytes

KNOWN = {"official_id", "full_name", "task_score"}
cell = st.text(alphabet=st.sampled_from([*list("aé 1.,;\t-#Đ\xa0"), "ệ"]), max_size=6)


def _pandas(raw: bytes, header: int, sep: str) -> pd.DataFrame:
    text = raw.decode("utf-8-sig")
    return pd.read_csv(io.StringIO("\n".join(LINE_BREAK.split(text)[header:])), sep=sep,
                       dtype=str, keep_default_na=False, na_filter=False,
                       skip_blank_lines=False)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(cell, min_size=3, max_size=3), max_size=30),
       sep=st.sampled_from([",", ";"]), titles=st.integers(0, 2),
       newline=st.sampled_from(["\n", "\r\n", "\r"]), end=st.booleans(),
       blank=st.booleans(), bom=st.booleans())
def test_cells_are_what_pandas_reads(rows: list[list[str]], sep: str, titles: int,
                                     newline: str, end: bool, blank: bool, bom: bool) -> None:
    lines = [f"BÁO CÁO {i}" for i in range(titles)] + [sep.join(sorted(KNOWN))]
    lines += [sep.join(c.replace(sep, "") for c in r) for r in rows]
    if blank and rows:
        lines.insert(titles + 1 + len(rows) // 2, "  ")
    raw = (("\ufeff" if bom else "") + newline.join(lines) + (newline if end else "")).encode()
    problems: list[Problem] = []
    read = read_csv_bytes("t.csv", raw, problems, KNOWN)
    expected = _pandas(raw, titles, sep)
    assert not problems
    assert read is not None and read.first_line == titles + 2
    pd.testing.assert_frame_equal(read.frame, expected)


def test_a_long_or_short_row_is_reported_by_its_line() -> None:
    raw = b"official_id,full_name,task_score\nA,B,1\nC,D\nE,F,2,3\n\nG,H,4\n"
    problems: list[Problem] = []
    assert read_csv_bytes("t.csv", raw, problems, KNOWN) is None
    assert [(p.row, p.check) for p in problems] == [(3, "format"), (4, "format")]
    assert "2 ô" in problems[0].expected and "4 ô" in problems[1].expected


def test_plain_files_are_cut_by_pyarrow_and_others_read_by_pandas(monkeypatch) -> None:
    from xeploai.scoring.input import csv_text

    cut: list[bool] = []
    plain = csv_text._plain_cells

    def spy(*args: object) -> pd.DataFrame | None:
        frame = plain(*args)
        cut.append(frame is not None)
        return frame

    monkeypatch.setattr(csv_text, "_plain_cells", spy)
    header = "official_id,full_name,task_score\r\n"
    for body, expected in (("A, B ,1\r\nC,Đ,2\r\n", [True]),  # plain
                           ('A,"B, C",1\r\n', []),  # a quote: pandas
                           ("A,B,1\r\n \r\nC,D,2\r\n", [False])):  # a blank line: pandas
        cut.clear()
        read = read_csv_bytes("t.csv", (header + body).encode(), [], KNOWN)
        assert cut == expected
        assert read is not None
        pd.testing.assert_frame_equal(read.frame, _pandas((header + body).encode(), 0, ","))
    assert read.frame.shape == (3, 3)
