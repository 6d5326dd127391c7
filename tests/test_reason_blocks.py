"""Reasons stored as compressed Arrow blocks: exact round trip, one-official lookups across
block boundaries, identical bytes, and the migration of a version-1 (row-per-reason) database.

BLOCK_ROWS is made small so that a few hundred reasons fill several blocks.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    text,
)
from xeploai.scoring import __version__, api, storage
from xeploai.scoring.engine import REASON_COLUMNS, Classification
from xeploai.scoring.errors import StorageError
from xeploai.scoring.generate import generate_dataset
from xeploai.scoring.storage import (
    RunMeta,
    decode_reason_blocks,
    encode_reason_blocks,
    load_reasons,
    open_db,
    save_run,
)

from .conftest import POLICY, SAMPLE
from .faults import snapshot

YEAR = 2023
# what load_reasons has always returned (pd.read_sql of the row-per-reason table)
DTYPES = {c: "str" for c in REASON_COLUMNS} | {"seq": "int64", "points": "float64",
                                                "exclude": "bool"}


def meta() -> RunMeta:
    return RunMeta(policy_name="p", policy_path="p.toml", policy_hash="h", data_dir="d",
                   input_hashes={}, tool_version=__version__,
                   created_at=dt.datetime(2024, 1, 15, 8, 0, tzinfo=dt.UTC))


@pytest.fixture(scope="module")
def generated() -> Classification:
    """A generated province small enough to be quick, with a few reasons per official."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        generate_dataset(Path(tmp), officials=150, dossiers=8_000, year=YEAR, seed=3)
        session = api.Session.open(POLICY)
        return session.classify(session.load(Path(tmp)), YEAR)


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(storage, "BLOCK_ROWS", 37)
    return 37


def _blocks(engine, run_id: int) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(text("select block, first_official, last_official, rows, data "
                                "from reason_blocks where run_id = :r order by block"),
                           conn, params={"r": run_id})


def _spanning(reasons: pd.DataFrame, rows: int) -> list[str]:
    """Officials whose reasons start in one block and end in the next."""
    ids = reasons["official_id"]
    return sorted({ids.iloc[i] for i in range(rows, len(ids), rows)
                   if ids.iloc[i] == ids.iloc[i - 1]})


def test_round_trip_is_exact_over_several_blocks(db_url, generated, small_blocks):
    engine = open_db(db_url)
    run_id = save_run(engine, generated, meta())
    got = load_reasons(engine, run_id)
    assert {c: str(t) for c, t in got.dtypes.items()} == DTYPES
    pd.testing.assert_frame_equal(got, generated.reasons, check_dtype=False, check_exact=True)
    blocks = _blocks(engine, run_id)
    n = len(generated.reasons)
    assert blocks["block"].tolist() == list(range(-(-n // small_blocks)))
    assert blocks["rows"].sum() == n and blocks["rows"].max() == small_blocks
    ids = generated.reasons["official_id"]
    for b in blocks.itertuples():
        mine = ids.iloc[b.block * small_blocks:(b.block + 1) * small_blocks]
        assert (b.first_official, b.last_official) == (mine.min(), mine.max())
    engine.dispose()


def test_one_official_across_a_block_boundary(db_url, generated, small_blocks):
    engine = open_db(db_url)
    run_id = save_run(engine, generated, meta())
    reasons = generated.reasons
    spanning = _spanning(reasons, small_blocks)
    assert spanning, "the block size should split some official's reasons"
    some = reasons["official_id"].drop_duplicates().iloc[::25].tolist()
    for official in [*spanning, *some]:
        want = reasons[reasons["official_id"] == official].reset_index(drop=True)
        got = load_reasons(engine, run_id, official)
        assert {c: str(t) for c, t in got.dtypes.items()} == DTYPES
        pd.testing.assert_frame_equal(got, want, check_dtype=False, check_exact=True)
    # before the first id, after the last and between two existing ids: nothing
    for absent in ("", "CB000000", reasons["official_id"].iloc[0] + "!", "ZZZ"):
        assert load_reasons(engine, run_id, absent).empty
    engine.dispose()


def test_same_run_saved_twice_gives_identical_blocks(db_url, generated, small_blocks):
    engine = open_db(db_url)
    first, second = (save_run(engine, generated, meta()) for _ in range(2))
    a, b = _blocks(engine, first), _blocks(engine, second)
    assert len(a) > 1
    pd.testing.assert_frame_equal(a, b)
    # what the database holds is exactly what the encoder makes
    assert [bytes(d) for d in a["data"]] == [
        d for *_, d in encode_reason_blocks(generated.reasons, small_blocks)]
    engine.dispose()


def test_sharded_run_numbers_blocks_across_parts(tmp_path, small_blocks):
    data = tmp_path / "gen"
    generate_dataset(data, officials=150, dossiers=8_000, year=YEAR, seed=3)
    db = f"sqlite:///{tmp_path / 'x.db'}"
    whole = api.run(data, YEAR, policy=POLICY, db=db)
    out = api.run(data, YEAR, policy=POLICY, db=db, again=True,
                  by_unit=api.ByUnit(40, workdir=tmp_path))
    assert out.groups > 1
    engine = open_db(db)
    blocks = _blocks(engine, out.run_id)
    assert blocks["block"].tolist() == list(range(len(blocks)))
    assert len(blocks) > -(-len(whole.classification.reasons) // small_blocks)  # part ends
    pd.testing.assert_frame_equal(load_reasons(engine, out.run_id),
                                  load_reasons(engine, whole.run_id))
    for official in whole.classification.reasons["official_id"].drop_duplicates().iloc[::10]:
        pd.testing.assert_frame_equal(load_reasons(engine, out.run_id, official),
                                      load_reasons(engine, whole.run_id, official))
    engine.dispose()


def test_parts_whose_official_ids_interleave(db_url, generated, small_blocks):
    """Units need not hold consecutive ids: each part's blocks then span ids of the other
    part, and an official's reasons are found among blocks of both."""
    officials = generated.results["official_id"]
    odd = set(officials.iloc[1::2])

    def part(mine: bool) -> Classification:
        return Classification(
            YEAR, generated.results[officials.isin(odd) == mine].reset_index(drop=True),
            generated.reasons[generated.reasons["official_id"].isin(odd) == mine]
            .reset_index(drop=True), generated.plugins, generated.considered_on)

    engine = open_db(db_url)
    run_id = storage.save_run_parts(engine, [part(False), part(True)], meta())
    blocks = _blocks(engine, run_id)
    assert (blocks["first_official"].iloc[1:].to_numpy()
            < blocks["last_official"].iloc[:-1].to_numpy()).any()
    pd.testing.assert_frame_equal(load_reasons(engine, run_id), generated.reasons,
                                  check_dtype=False, check_exact=True)
    for official in [*_spanning(generated.reasons, small_blocks)[:5], *sorted(odd)[:5]]:
        want = generated.reasons[generated.reasons["official_id"] == official]
        pd.testing.assert_frame_equal(load_reasons(engine, run_id, official),
                                      want.reset_index(drop=True), check_dtype=False)
    engine.dispose()


# -- the encoder on its own -------------------------------------------------------------

texts = st.text(alphabet=st.sampled_from(list("aZ09 _-.\"\\\n\té Đ,;[]{}\x00😀")), max_size=8)
reason_rows = st.lists(
    st.tuples(st.sampled_from(["CB1", "CB10", "CB2", "Đ1", "a", ""]), st.integers(1, 9),
              texts, st.floats(-100, 100, allow_nan=False), st.booleans(), texts),
    max_size=60)


@given(reason_rows, st.integers(1, 20))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_blocks_give_back_the_reasons_ordered_by_official_and_seq(rows, block_rows):
    """Any text, any order, any block size: decoding gives the rows, stable-sorted by
    (official_id, seq); one official's rows alone when asked for."""
    frame = pd.DataFrame(
        [{"official_id": o, "seq": s, "step": t, "plugin": t[:2], "rule": t, "points": p,
          "ceiling": "", "exclude": e, "blocks_titles": "", "qualifies_titles": t,
          "params": n, "evidence": "[]", "basis": t, "note": n}
         for o, s, t, p, e, n in rows], columns=list(REASON_COLUMNS))
    blocks = list(encode_reason_blocks(frame, block_rows))
    assert [b[2] for b in blocks] == [min(block_rows, len(rows) - i)
                                      for i in range(0, len(rows), block_rows)]
    want = frame.sort_values(["official_id", "seq"], kind="mergesort").reset_index(drop=True)
    got = decode_reason_blocks(b[3] for b in blocks)
    if rows:
        pd.testing.assert_frame_equal(got, want, check_dtype=False, check_exact=True)
    else:
        assert got.empty and list(got.columns) == list(REASON_COLUMNS)
    for official in {r[0] for r in rows}:
        holding = [b[3] for b in blocks if b[0] <= official <= b[1]]
        one = decode_reason_blocks(holding, official)
        pd.testing.assert_frame_equal(
            one, want[want["official_id"] == official].reset_index(drop=True),
            check_dtype=False, check_exact=True)


def test_a_reason_of_the_wrong_type_is_refused(generated):
    bad = generated.reasons.copy()
    bad["seq"] = bad["seq"].astype(object)
    bad.loc[bad.index[3], "seq"] = "ba"
    with pytest.raises(StorageError, match=r"sai kiểu.*không có gì"):
        list(encode_reason_blocks(bad))


# -- schema version 1 -> 2 ----------------------------------------------------------------


def _v1_reasons(metadata: MetaData) -> Table:
    """The row-per-reason table of schema version 1, as SQLModel created it."""
    text_ = [c for c in REASON_COLUMNS if c not in ("official_id", "seq", "points", "exclude")]
    return Table("reasons", metadata,
                 Column("run_id", Integer, ForeignKey("runs.id"), primary_key=True),
                 Column("official_id", String, primary_key=True),
                 Column("seq", Integer, primary_key=True),
                 Column("points", Float, nullable=False),
                 Column("exclude", Boolean, nullable=False),
                 *(Column(c, String, nullable=False) for c in text_))


def _make_version_1(url: str, runs: dict[int, pd.DataFrame], version_row: bool) -> None:
    """Turn a database written by this xeploai into the version-1 layout: the reasons one
    row each in ``reasons``, no ``reason_blocks``, ``xeploai_schema.version = 1`` (or, for a
    database older than the version table, no version row at all)."""
    engine = create_engine(url)
    metadata = MetaData()
    metadata.reflect(engine, only=["runs"])
    old = _v1_reasons(metadata)
    with engine.begin() as conn:
        old.create(conn)
        for run_id, frame in runs.items():
            conn.execute(old.insert(), [{"run_id": run_id, **row}
                                        for row in frame.to_dict("records")])
        conn.execute(text("drop table reason_blocks"))
        if version_row:
            conn.execute(text("update xeploai_schema set version = 1"))
        else:
            conn.execute(text("delete from xeploai_schema"))
    engine.dispose()


@pytest.mark.parametrize("version_row", [True, False], ids=["version-1", "no-version-table-row"])
def test_a_version_1_database_is_migrated_losing_nothing(db_url, generated, monkeypatch,
                                                          version_row):
    session = api.Session.open()
    sample = session.classify(session.load(SAMPLE), YEAR)
    engine = open_db(db_url)
    ids = [save_run(engine, c, meta()) for c in (sample, generated, sample)]
    before = {r: load_reasons(engine, r) for r in ids}
    engine.dispose()
    _make_version_1(db_url, before, version_row)
    others = {k: v for k, v in snapshot(db_url).items() if k != "xeploai_schema"}
    assert "reasons" in others and "reason_blocks" not in others

    monkeypatch.setattr(storage, "BLOCK_ROWS", 100)  # the generated run takes several blocks
    engine = open_db(db_url)
    after = snapshot(db_url)
    assert "reasons" not in after
    assert after["xeploai_schema"] == [(1, storage.SCHEMA_VERSION)]
    assert {k: v for k, v in after.items() if k not in ("xeploai_schema", "reason_blocks")} \
        == {k: v for k, v in others.items() if k != "reasons"}  # runs, results… untouched
    for run_id, frame in before.items():
        got = load_reasons(engine, run_id)
        pd.testing.assert_frame_equal(got, frame, check_exact=True)
    assert len(_blocks(engine, ids[1])) == -(-len(generated.reasons) // 100)
    official = _spanning(generated.reasons, 100)[0]
    pd.testing.assert_frame_equal(
        load_reasons(engine, ids[1], official),
        before[ids[1]][before[ids[1]]["official_id"] == official].reset_index(drop=True))
    engine.dispose()
    open_db(db_url).dispose()  # opening again migrates nothing
    assert snapshot(db_url) == after
