"""The fast paths keep every result and reason: storage round trip, loader fast path vs
the reference path, and unit-by-unit classification vs the whole province."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xeploai.scoring import api
from xeploai.scoring.engine import (
    REASON_COLUMNS,
    RESULT_COLUMNS,
    TRAIL_SCHEMA,
    explanation_order,
    trail_table,
)
from xeploai.scoring.errors import InvalidInputError
from xeploai.scoring.frames import join_groups, json_lists, json_texts, lists_by, to_json
from xeploai.scoring.generate import generate_dataset
from xeploai.scoring.input.contract import column_rules
from xeploai.scoring.input.dataset import Dataset
from xeploai.scoring.input.fastload import load_fast
from xeploai.scoring.input.loader import load_dataset
from xeploai.scoring.input.shard import core_specs, subset, unit_groups
from xeploai.scoring.storage import load_reasons, load_results, open_db

from .conftest import POLICY, SAMPLE

YEAR = 2023


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # big enough that every rule fires somewhere (late, no apology, excluded, repeat, quota)
    out = tmp_path_factory.mktemp("gen")
    generate_dataset(out, officials=400, dossiers=30_000, year=YEAR, seed=11)
    return out


def _text(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as its text, so a float 80.6 read back from SQL compares to the frame's."""
    return df.astype(object).astype(str).reset_index(drop=True)


def test_stored_run_reads_back_identical(generated: Path, db_url: str) -> None:
    outcome = api.run(generated, YEAR, policy=POLICY, db=db_url)
    engine = open_db(db_url)
    c = outcome.classification
    assert len(c.reasons) > 2 * len(c.results)
    stored = load_results(engine, outcome.run_id)
    pd.testing.assert_frame_equal(_text(stored), _text(c.results[list(RESULT_COLUMNS)]))
    reasons = load_reasons(engine, outcome.run_id)
    reasons["exclude"] = reasons["exclude"].astype(bool)
    pd.testing.assert_frame_equal(_text(reasons), _text(c.reasons[list(REASON_COLUMNS)]))


# -- whole-table helpers used by the plugins instead of a lambda per official ----------

ids = st.text(alphabet=st.sampled_from(list('ab"\\\n\té Đ,[]')), max_size=6)


@given(st.lists(st.tuples(st.sampled_from(["CB2", "CB1", "Đ3", "a", None]), ids),
                max_size=40))
@settings(max_examples=150, deadline=None)
def test_json_lists_match_json_dumps_per_group(rows: list[tuple[str | None, str]]) -> None:
    """Groups sorted by key, items in their order, rows without a key left out."""
    frame = pd.DataFrame(rows, columns=["by", "item"], dtype=object)
    got = json_lists(frame["item"], frame["by"])
    want = frame.groupby("by", sort=True)["item"].agg(
        lambda s: json.dumps(list(s), ensure_ascii=False)) if rows else pd.Series([])
    assert list(got.index) == list(want.index)
    assert list(got) == list(want)
    for text in got:
        json.loads(text)


@given(st.lists(st.tuples(st.sampled_from(["x", "y"]), st.sampled_from(["phan_mem",
                                                                      "khach_quan"])),
                min_size=1, max_size=30))
@settings(max_examples=100, deadline=None)
def test_join_groups_matches_groupby_join(rows: list[tuple[str, str]]) -> None:
    frame = pd.DataFrame(rows, columns=["by", "item"], dtype=object)
    got = join_groups(frame["item"], frame["by"], "; ", "<", ">")
    want = frame.groupby("by", sort=True)["item"].agg(lambda s: "<" + "; ".join(s) + ">")
    assert got.to_dict() == want.to_dict()



# what a plugin may put in params or evidence: lists of ids (with the characters JSON
# escapes), empty lists, lists json.dumps writes itself (numbers, None, nested), dicts, text
# already in JSON, and one object shared by many rows
TEXT_ITEMS = st.text(alphabet=st.sampled_from(['a', 'Đ', '"', '\\', '\n', '\x00', '9']),
                     max_size=4)
SHARED = {"share": [1, "x"]}
TYPED_VALUES = st.one_of(
    st.lists(TEXT_ITEMS, max_size=3), st.lists(st.one_of(TEXT_ITEMS, st.none(),
                                                          st.integers()), max_size=3),
    st.dictionaries(TEXT_ITEMS, st.integers(), max_size=2), st.just('["raw"]'),
    st.just(SHARED), st.just([]))


@given(st.lists(TYPED_VALUES, max_size=12), st.booleans())
@settings(max_examples=300, deadline=None)
def test_json_texts_write_what_json_dumps_writes(values: list, only_string_lists: bool
                                                 ) -> None:
    """Lists of strings go through Arrow kernels, everything else through json.dumps: both
    give the one JSON form (frames.to_json) of each value."""
    if only_string_lists:
        values = [v for v in values
                  if isinstance(v, list) and all(isinstance(i, str) for i in v)]
    got = json_texts(pd.Series(values, dtype=object)).tolist()
    assert got == [v if isinstance(v, str) else to_json(v) for v in values]


# typed params given as a frame (a key per column, an object per row), as the core's quota
# and cap give them: columns of each kind Arrow writes, and of kinds left to json.dumps
FRAME_COLUMNS = {
    "int": st.integers(-(2**63), 2**63 - 1),
    "float": st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just(-0.0),
                       st.sampled_from([0.1, 0.15, 1e-7, 1e22, 66.66666666666667])),
    "bool": st.booleans(),
    "text": TEXT_ITEMS,
    "blank_text": st.one_of(TEXT_ITEMS, st.none()),
    "mixed": st.one_of(TEXT_ITEMS, st.integers(-5, 5)),
}


@given(st.dictionaries(st.sampled_from(["share", "cap", "Đơn vị", 'k"\\', "a", "z"]),
                       st.sampled_from(sorted(FRAME_COLUMNS)), max_size=4),
       st.integers(0, 6), st.data())
@settings(max_examples=300, deadline=None)
def test_json_texts_of_a_frame_write_each_row_as_json_dumps_writes_its_dict(
        kinds: dict[str, str], rows: int, data: st.DataObject) -> None:
    """One JSON object per row, keys sorted, each value as json.dumps writes the row's
    native value: frames.to_json of the row's dict, whichever path wrote it."""
    columns = {key: data.draw(st.lists(FRAME_COLUMNS[kind], min_size=rows, max_size=rows))
               for key, kind in kinds.items()}
    dtypes = {"int": np.int64, "float": np.float64, "bool": bool}
    frame = pd.DataFrame({key: pd.Series(values, dtype=dtypes.get(kinds[key], object))
                          for key, values in columns.items()}, index=range(rows))
    got = json_texts(frame).tolist()
    assert got == [to_json(row) for row in frame.to_dict("records")]


@given(st.lists(st.tuples(st.sampled_from(["CB2", "CB10", "Đ3"]), TEXT_ITEMS), max_size=30))
@settings(max_examples=150, deadline=None)
def test_lists_by_matches_groupby_list(rows: list[tuple[str, str]]) -> None:
    frame = pd.DataFrame(rows, columns=["by", "item"], dtype=object)
    got = lists_by(frame["item"], frame["by"])
    want = frame.groupby("by", sort=True)["item"].agg(list) if rows else pd.Series([])
    assert got.to_dict() == want.to_dict()
    assert list(got.index) == list(want.index)


REASON_ROWS = st.lists(st.tuples(
    st.sampled_from(["CB2", "CB10", "CB1", "Đ3"]), st.integers(0, 3), st.integers(1, 3),
    st.sampled_from(["b.x", "a.y", "core.z"]), st.sampled_from(["[]", '["HS2"]', '["HS10"]']),
    st.integers(0, 9)), max_size=40)


@given(REASON_ROWS)
@settings(max_examples=200, deadline=None)
def test_explanation_order_is_the_stable_five_key_sort(rows: list[tuple]) -> None:
    """The engine's lexsort on integer codes orders and numbers reasons exactly like a
    stable ``sort_values`` on official, step, plugin, rule, evidence (ties included)."""
    frame = pd.DataFrame(rows, columns=["official_id", "_step", "_plugin", "rule", "evidence",
                                        "note"], dtype=object)
    frame[["_step", "_plugin"]] = frame[["_step", "_plugin"]].astype("int64")
    frame["note"] = frame["note"].astype(str) + "/" + frame.index.astype(str)  # who is who
    for col in TRAIL_SCHEMA.names:
        if col not in frame:
            frame[col] = 0 if col == "_within" else ""
    frame["points"], frame["exclude"] = 0.0, False
    got, rule_lists = explanation_order(trail_table(frame, len(frame)),
                                        pd.unique(frame["official_id"].to_numpy()))
    want = frame.sort_values(["official_id", "_step", "_plugin", "rule", "evidence"],
                             kind="mergesort").reset_index(drop=True)
    want["seq"] = want.groupby("official_id").cumcount() + 1
    assert got["note"].tolist() == want["note"].tolist()
    assert got["seq"].tolist() == want["seq"].tolist()
    assert rule_lists.to_dict() == want.groupby("official_id")["rule"].agg(";".join).to_dict()


# -- loader: the typed pyarrow path against the reference (text + pandas) path -----------


def _both(folder: Path) -> tuple[Dataset | Exception, Dataset | Exception]:
    out: list[Dataset | Exception] = []
    for fast in (True, False):
        try:
            out.append(load_dataset(folder, fast=fast))
        except InvalidInputError as exc:
            out.append(exc)
    return out[0], out[1]


def _assert_same_load(folder: Path) -> Dataset | InvalidInputError:
    fast, ref = _both(folder)
    if isinstance(ref, InvalidInputError):
        assert isinstance(fast, InvalidInputError)
        assert [str(p) for p in fast.problems] == [str(p) for p in ref.problems]
        return ref
    assert isinstance(fast, Dataset), fast
    assert fast.file_hashes == ref.file_hashes
    assert list(fast.tables) == list(ref.tables)
    for name in ref.tables:
        pd.testing.assert_frame_equal(fast.tables[name], ref.tables[name], obj=name)
    return ref


def test_fast_load_equals_reference_and_classifies_identically(generated: Path) -> None:
    specs = core_specs()
    # clean generated data must take the fast path (NotClean would be raised otherwise)
    load_fast(generated, specs, {s.name: column_rules(s.row_model) for s in specs})
    _assert_same_load(generated)
    session = api.Session.open(POLICY)
    fast = session.classify(load_dataset(generated, fast=True), YEAR)
    ref = session.classify(load_dataset(generated, fast=False), YEAR)
    pd.testing.assert_frame_equal(fast.results, ref.results)
    pd.testing.assert_frame_equal(fast.reasons, ref.reasons)


def _edit(folder: Path, file: str, column: str, row: int, value: str) -> None:
    path = folder / file
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row, column] = value
    frame.to_csv(path, index=False)


# Values the reference path reads (or reports) in its own way: the fast path must either
# read them identically or hand the file to the reference path.
TRICKY = [
    ("officials.csv", "official_id", " BD0001 "),
    ("officials.csv", "full_name", "  Nguyễn\u00a0Văn A\u3000"),
    ("officials.csv", "task_score", "8,5"),
    ("officials.csv", "task_score", "-0"),
    ("officials.csv", "task_score", "nan"),
    ("officials.csv", "task_score", "1e1"),
    ("officials.csv", "task_score", " 90 "),
    ("officials.csv", "is_leader", "Có"),
    ("officials.csv", "is_leader", "X"),
    ("officials.csv", "is_leader", "TRUE"),
    ("officials.csv", "is_leader", ""),
    ("officials.csv", "months_absent", ""),
    ("officials.csv", "recruited_on", "01/03/2023"),
    ("officials.csv", "recruited_on", "2023-03-01 10:30"),
    ("officials.csv", "recruited_on", "-1"),  # an ISO year pandas parses, then overflowed
    ("officials.csv", "recruited_on", "0099-01-01"),
    ("officials.csv", "staff_type", "CONG_CHUC"),
    ("officials.csv", "unit_id", "KHONG_CO"),
    ("officials.csv", "official_id", ""),
    ("dossiers.csv", "received_at", "2023-13-01"),
    ("dossiers.csv", "due_at", "02/01/2020"),
    ("dossiers.csv", "returned_at", "   "),
    ("dossiers.csv", "late_cause", " phan_mem"),
    ("dossiers.csv", "apology_issued", "không"),
    ("units.csv", "parent_id", "  "),
    # the byte-level pre-checks must not wave these through
    ("units.csv", "name", "#REF!"),
    ("units.csv", "name", "#1 Phường"),  # a '#' that is not an Excel error
    ("officials.csv", "full_name", "Nguye\u0302\u0303n Văn A"),  # decomposed, not NFC
    ("dossiers.csv", "due_at", "2023-01-05 10:00"),  # a time in a date column
    ("dossiers.csv", "received_at", "1899-12-31 10:00"),
    ("dossiers.csv", "returned_at", "2101-01-01 08:00"),
]


@pytest.mark.parametrize(("file", "column", "value"), TRICKY,
                         ids=[f"{f}:{c}={v!r}" for f, c, v in TRICKY])
def test_tricky_cells_load_as_the_reference_path_does(tmp_path: Path, file: str, column: str,
                                                      value: str) -> None:
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    _edit(data, file, column, 2, value)
    _assert_same_load(data)


def test_headers_bom_crlf_and_blank_lines_load_alike(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    path = data / "officials.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("official_id", "Mã cán bộ").replace("task_score", "Điểm nhiệm vụ")
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    loaded = _assert_same_load(data)
    assert isinstance(loaded, Dataset)
    path.write_text("\n".join([*lines[:3], "", ",,,,,,,,,,", *lines[3:]]) + "\n",
                    encoding="utf-8")
    _assert_same_load(data)


@given(st.lists(st.tuples(st.sampled_from(["task_score", "months_worked", "months_absent",
                                           "is_leader", "recruited_on", "peer_group"]),
                          st.integers(0, 43),
                          st.sampled_from(["", " ", "7", "7.5", "7,5", "-1", "13", "abc",
                                           "true", "Không", "2023-02-28", "31/12/2022",
                                           "2023-02-30", "lanh_dao", " x "])),
                min_size=1, max_size=4))
@settings(max_examples=25, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
def test_any_edit_loads_or_fails_as_the_reference_path(tmp_path: Path,
                                                        edits: list[tuple[str, int, str]]
                                                        ) -> None:
    data = Path(tempfile.mkdtemp(dir=tmp_path)) / "data"
    shutil.copytree(SAMPLE, data)
    for column, row, value in edits:
        _edit(data, "officials.csv", column, row, value)
    _assert_same_load(data)
    shutil.rmtree(data)


# -- unit by unit ------------------------------------------------------------------------


@pytest.mark.parametrize("max_officials", [1, 37])
def test_unit_by_unit_equals_whole(generated: Path, max_officials: int) -> None:
    session = api.Session.open(POLICY)
    dataset = session.load(generated)
    whole = session.classify(dataset, YEAR)
    parts = [session.classify(subset(dataset, units), YEAR)
             for units in unit_groups(dataset.tables["officials"], max_officials)]
    results = pd.concat([p.results for p in parts]).sort_values(
        "official_id", kind="mergesort").reset_index(drop=True)
    reasons = pd.concat([p.reasons for p in parts]).sort_values(
        ["official_id", "seq"], kind="mergesort").reset_index(drop=True)
    pd.testing.assert_frame_equal(results, whole.results)
    pd.testing.assert_frame_equal(reasons, whole.reasons)
    # the generated province exercises the rules this property is about
    rules = set(whole.reasons["rule"])
    assert {"core.quota", "core.title_cstdcs", "late_dossiers.late"} <= rules


# -- sharded run: streamed dossiers, one group of units at a time, one stored run ---------


@pytest.mark.parametrize("max_officials", [50, 1_000_000])
def test_sharded_run_stores_what_a_whole_run_stores(generated: Path, db_url: str,
                                                    tmp_path: Path, max_officials: int
                                                    ) -> None:
    whole = api.run(generated, YEAR, policy=POLICY, db=db_url)
    out = api.run(generated, YEAR, policy=POLICY, db=db_url, again=True,
                  by_unit=api.ByUnit(max_officials, workdir=tmp_path))
    assert out.groups > 1 if max_officials == 50 else out.groups == 1
    engine = open_db(db_url)
    for load in (load_results, load_reasons):
        pd.testing.assert_frame_equal(load(engine, out.run_id),
                                      load(engine, whole.run_id))
    with engine.connect() as conn:
        for table in ("run_quotas", "run_units"):
            a, b = (pd.read_sql(f"select * from {table} where run_id = {r} order by unit_id"
                                + (", peer_group" if table == "run_quotas" else ""), conn)
                    .drop(columns="run_id") for r in (out.run_id, whole.run_id))
            pd.testing.assert_frame_equal(a, b, obj=table)
        runs = pd.read_sql("select * from runs order by id", conn)
    assert runs["officials"].tolist() == [400, 400]
    assert runs["input_hashes"].iloc[0] == runs["input_hashes"].iloc[1]


def test_sharded_run_on_bad_input_names_the_problem_and_stores_nothing(
        tmp_path: Path, db_url: str) -> None:
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    _edit(data, "dossiers.csv", "handler_id", 3, "KHONG_CO")
    with pytest.raises(InvalidInputError, match=r"dossiers.csv, dòng 5, cột handler_id"):
        api.run(data, YEAR, policy=POLICY, db=db_url, by_unit=api.ByUnit(10))
    from sqlalchemy import inspect
    engine = open_db(db_url)
    assert "runs" not in inspect(engine).get_table_names() or \
        pd.read_sql("select count(*) as n from runs", engine)["n"].iloc[0] == 0


def test_cli_run_by_unit_stores_the_same_results(generated: Path, db_url: str) -> None:
    from click.testing import CliRunner
    from xeploai.scoring.cli import main

    runner = CliRunner()
    env = {"XEPLOAI_DB": db_url}
    args = ["run", "--data", str(generated), "--year", str(YEAR), "--policy", str(POLICY)]
    first = runner.invoke(main, args, env=env, catch_exceptions=False)
    # the same inputs: refused as a repeat of run 1, as a whole run would be, unless --again
    refused = runner.invoke(main, [*args, "--by-unit", "60"], env=env, catch_exceptions=False)
    assert refused.exit_code == 1 and "lần chạy số 1" in refused.output
    second = runner.invoke(main, [*args, "--by-unit", "60", "--again"], env=env,
                           catch_exceptions=False)
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "Mã lần chạy: 2" in second.output and "nhóm đơn vị" in second.output
    engine = open_db(db_url)
    pd.testing.assert_frame_equal(load_results(engine, 2), load_results(engine, 1))
    bad = runner.invoke(main, [*args, "--by-unit", "60", "--dry-run"], env=env)
    assert bad.exit_code == 2


def test_run_gives_the_collector_back_everything_it_froze(sqlite_url: str) -> None:
    """api.run freezes what exists once the data is read (the collector no longer walks it)
    and unfreezes it at the end, also when the run is refused: a long-lived process (the
    workspace) must not keep a run's cyclic garbage for ever."""
    import gc

    before = gc.get_freeze_count()
    api.run(SAMPLE, YEAR, policy=POLICY, db=sqlite_url)
    assert gc.get_freeze_count() == before
    with pytest.raises(api.RepeatRunError):
        api.run(SAMPLE, YEAR, policy=POLICY, db=sqlite_url)
    assert gc.get_freeze_count() == before
