"""Tests for the synthetic dataset generator (xeploai.scoring.generate)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xeploai.scoring.generate import COLUMNS, FILES, FIRST_PRODUCTS_YEAR, generate_dataset

YEAR = 2023
DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
DATETIME_RE = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"
BOOLS = {"true", "false"}


def _hashes(folder: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in FILES.values()
    }


def _read(folder: Path) -> dict[str, pd.DataFrame]:
    # Everything as text: the test checks the literal cells the product will parse.
    return {
        name: pd.read_csv(folder / file, dtype=str, keep_default_na=False)
        for name, file in FILES.items()
    }


def _as_dt(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series.where(series != ""), format="ISO8601")


def _check_valid(folder: Path, year: int) -> dict[str, pd.DataFrame]:
    """Assert every SPEC §3 condition the validator enforces; return the tables."""
    for name, file in FILES.items():
        raw = (folder / file).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf"), f"{file} has a BOM"
        assert b"\r" not in raw, f"{file} has CR line ends"
        raw.decode("utf-8")
        header = raw.split(b"\n", 1)[0].decode()
        assert header == ",".join(COLUMNS[name]), f"{file} header {header!r}"
    t = _read(folder)
    units, off, dos = t["units"], t["officials"], t["dossiers"]
    rem, disc, inn, hist = t["reminders"], t["discipline"], t["innovations"], t["titles_history"]

    for name, key in [("units", "unit_id"), ("officials", "official_id"),
                      ("dossiers", "dossier_id"), ("reminders", "reminder_id"),
                      ("discipline", "decision_id"), ("innovations", "award_id")]:  # fmt: skip
        ids = t[name][key]
        assert ids.is_unique, f"duplicate {key}"
        assert (ids != "").all(), f"blank {key}"

    # Units: a tree of tinh → huyen → xa with existing parents.
    assert set(units.tier) <= {"tinh", "huyen", "xa"}
    tier_of = units.set_index("unit_id").tier
    has_parent = units.parent_id != ""
    assert units.parent_id[has_parent].isin(units.unit_id).all()
    parent_tier = units.parent_id[has_parent].map(tier_of)
    child_tier = units.tier[has_parent]
    # from 2026 the district level is gone: communes sit under the province (SPEC §10)
    products = year >= FIRST_PRODUCTS_YEAR
    assert (parent_tier[child_tier == "xa"] == ("tinh" if products else "huyen")).all()
    assert not products or "huyen" not in set(units.tier)
    assert (parent_tier[child_tier.isin(["huyen", "tinh"])] == "tinh").all()
    assert (units.tier[~has_parent] == "tinh").all()
    assert (units.name != "").all()

    # Officials.
    assert off.unit_id.isin(units.unit_id).all()
    assert set(off.staff_type) <= {"can_bo", "cong_chuc", "vien_chuc"}
    assert set(off.peer_group) <= {"lanh_dao", "mot_cua", "chuyen_vien"}
    for col in ("is_leader", "maternity_leave"):
        assert set(off[col]) <= BOOLS
    assert (off.full_name.str.split().str.len() >= 3).all()
    # công chức scored from work products have no task score from 2026
    by_products = (off.staff_type == "cong_chuc") & products
    assert (off.task_score[by_products] == "").all()
    score = off.task_score[~by_products].astype(float)
    assert score.between(0, 100).all()
    assert off.task_score[~by_products].str.fullmatch(r"\d{1,3}(\.\d)?").all()  # 1 decimal
    worked = off.months_worked.astype(float)
    absent = pd.to_numeric(off.months_absent.where(off.months_absent != ""), errors="raise")
    assert worked.between(0, 12).all()
    assert absent.dropna().between(0, 12).all()
    assert (worked + absent.fillna(0) <= 12).all()
    recruited = off.recruited_on != ""
    assert off.recruited_on[recruited].str.fullmatch(DATE_RE).all()
    rec_day = _as_dt(off.recruited_on[recruited])
    assert (rec_day.dt.year == year).all()
    # Months before recruitment are not on duty: worked ≤ months left in the year.
    left = (pd.Timestamp(year + 1, 1, 1) - rec_day).dt.days / 365 * 12
    assert (worked[recruited] <= left + 0.1).all()
    assert (absent[recruited].isna()).all()

    # Dossiers.
    assert dos.unit_id.isin(units.unit_id).all()
    assert dos.handler_id.isin(off.official_id).all()
    unit_of = off.set_index("official_id").unit_id
    assert (dos.handler_id.map(unit_of) == dos.unit_id).all(), "handler outside the unit"
    assert dos.received_at.str.fullmatch(DATETIME_RE).all()
    assert dos.due_at.str.fullmatch(DATE_RE).all()
    returned = dos.returned_at != ""
    assert dos.returned_at[returned].str.fullmatch(DATETIME_RE).all()
    received, due, ret = _as_dt(dos.received_at), _as_dt(dos.due_at), _as_dt(dos.returned_at)
    # Strict form: even read as midnight, a date-only due_at is not before reception.
    assert (due >= received).all()
    assert (ret[returned] >= received[returned]).all()
    assert set(dos.late_cause) <= {"", "chu_quan", "phan_mem", "khach_quan"}
    assert set(dos.apology_issued) <= BOOLS
    assert dos.procedure_code.str.fullmatch(r"[12]\.\d{6}").all()
    # Late in its own terms at extraction (10 January of year+1): returned after the due
    # date, or still open past it. Causes and apologies exist only for those.
    late = (ret.dt.normalize() > due) | (ret.isna() & (due <= pd.Timestamp(year + 1, 1, 10)))
    assert (dos.late_cause[~late] == "").all()
    assert (dos.apology_issued[~late] == "false").all()

    # Reminders.
    assert rem.official_id.isin(off.official_id).all()
    assert rem.issued_on.str.fullmatch(DATE_RE).all()
    assert set(rem.kind) <= {"nhac_nho", "chan_chinh"}
    assert (rem.subject != "").all() and (rem.document_no != "").all()

    # Discipline.
    assert disc.official_id.isin(off.official_id).all()
    assert set(disc.form) <= {"khien_trach", "canh_cao", "ha_bac_luong", "giang_chuc",
                              "cach_chuc", "buoc_thoi_viec"}  # fmt: skip
    assert set(disc.authority) <= {"dang", "chinh_quyen"}
    assert disc.decided_on.str.fullmatch(DATE_RE).all()
    assert disc.violation_on.str.fullmatch(DATE_RE).all()
    assert (_as_dt(disc.violation_on) <= _as_dt(disc.decided_on)).all()
    shared = disc.violation_id != ""
    assert disc.violation_id[shared].isin(disc.decision_id).all()
    owner = disc.set_index("decision_id").official_id
    assert (disc.violation_id[shared].map(owner) == disc.official_id[shared]).all()
    counted = disc.counted_in_year[disc.counted_in_year != ""]
    assert counted.str.fullmatch(r"\d{4}").all()

    # Innovations.
    assert inn.official_id.isin(off.official_id).all()
    assert set(inn.kind) <= {"sang_kien", "de_tai"}
    assert set(inn.level) <= {"co_so", "tinh", "toan_quoc"}
    assert set(inn.cchc) <= BOOLS
    assert inn.recognized_on.str.fullmatch(DATE_RE).all()
    assert (inn.title != "").all()

    # Titles history: past years only, known codes, CSTDCS always with LDTT.
    assert hist.official_id.isin(off.official_id).all()
    assert set(hist.title) <= {"LDTT", "CSTDCS"}
    assert (hist.year.astype(int) < year).all()
    assert not hist.duplicated().any()
    cst = hist[hist.title == "CSTDCS"][["official_id", "year"]]
    ldtt = hist[hist.title == "LDTT"][["official_id", "year"]]
    assert len(cst.merge(ldtt)) == len(cst)
    return t


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("small")
    counts = generate_dataset(out, officials=300, dossiers=5000, year=YEAR, seed=7)
    return out, counts


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    out = tmp_path_factory.mktemp("medium")
    generate_dataset(out, officials=20_000, dossiers=300_000, year=YEAR, seed=3)
    return _read(out)


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    a = generate_dataset(tmp_path / "a", officials=300, dossiers=5000, year=YEAR, seed=11)
    b = generate_dataset(tmp_path / "b", officials=300, dossiers=5000, year=YEAR, seed=11)
    assert a == b
    assert _hashes(tmp_path / "a") == _hashes(tmp_path / "b")


def test_different_seed_or_year_differs(tmp_path: Path) -> None:
    generate_dataset(tmp_path / "a", officials=300, dossiers=5000, year=YEAR, seed=1)
    generate_dataset(tmp_path / "b", officials=300, dossiers=5000, year=YEAR, seed=2)
    generate_dataset(tmp_path / "c", officials=300, dossiers=5000, year=YEAR + 1, seed=1)
    a, b, c = (_hashes(tmp_path / x) for x in "abc")
    for name in ("officials.csv", "dossiers.csv", "reminders.csv", "innovations.csv"):
        assert a[name] != b[name], name
    assert a["dossiers.csv"] != c["dossiers.csv"]


def test_row_counts_match_request_and_files(small: tuple[Path, dict[str, int]]) -> None:
    out, counts = small
    assert list(counts) == list(FILES.values())
    assert counts["officials.csv"] == 300
    assert counts["dossiers.csv"] == 5000
    for name, n in counts.items():
        lines = (out / name).read_bytes().count(b"\n")
        assert lines == n + 1, name  # header + one line per row
    assert all(counts[f] > 0 for f in ("units.csv", "reminders.csv", "discipline.csv",
                                       "innovations.csv", "titles_history.csv"))  # fmt: skip


def test_small_dataset_is_valid(small: tuple[Path, dict[str, int]]) -> None:
    out, _ = small
    t = _check_valid(out, YEAR)
    names = t["officials"].full_name
    assert names.str.contains(r"[ạảãàáâậầấẩẫăắằặẳẵêệềếểễôộồốổỗơớờợởỡưứừựửữđĐ]").mean() > 0.5
    assert names.str.startswith("Nguyễn ").mean() > 0.2


def test_vietnamese_text_is_nfc(small: tuple[Path, dict[str, int]]) -> None:
    import unicodedata

    out, _ = small
    for file in ("units.csv", "officials.csv", "innovations.csv", "discipline.csv"):
        text = (out / file).read_text(encoding="utf-8")
        assert unicodedata.normalize("NFC", text) == text, file


def test_chunking_does_not_change_bytes(tmp_path: Path) -> None:
    # 250,000 rows spans several internal random blocks; odd chunk sizes cut across them.
    kwargs = {"officials": 2000, "dossiers": 250_000, "year": YEAR, "seed": 5}
    generate_dataset(tmp_path / "one", chunk_rows=10**7, **kwargs)
    generate_dataset(tmp_path / "odd", chunk_rows=70_001, **kwargs)
    generate_dataset(tmp_path / "default", **kwargs)
    one = _hashes(tmp_path / "one")
    assert _hashes(tmp_path / "odd") == one
    assert _hashes(tmp_path / "default") == one


def test_tiny_chunks_match_single_chunk(tmp_path: Path) -> None:
    kwargs = {"officials": 300, "dossiers": 5000, "year": YEAR, "seed": 9}
    generate_dataset(tmp_path / "one", chunk_rows=5000, **kwargs)
    generate_dataset(tmp_path / "many", chunk_rows=777, **kwargs)
    assert _hashes(tmp_path / "one") == _hashes(tmp_path / "many")


def test_dossier_ids_are_sequential_across_chunks(tmp_path: Path) -> None:
    generate_dataset(tmp_path, officials=100, dossiers=2500, year=YEAR, chunk_rows=1000)
    ids = pd.read_csv(tmp_path / "dossiers.csv", dtype=str).dossier_id
    assert ids.is_unique
    assert ids.str[2:].astype(int).tolist() == list(range(1, 2501))


def test_officials_do_not_depend_on_dossier_count(tmp_path: Path) -> None:
    generate_dataset(tmp_path / "a", officials=300, dossiers=100, year=YEAR, seed=4)
    generate_dataset(tmp_path / "b", officials=300, dossiers=9000, year=YEAR, seed=4)
    a, b = _hashes(tmp_path / "a"), _hashes(tmp_path / "b")
    for name in FILES.values():
        if name != "dossiers.csv":
            assert a[name] == b[name], name


def test_zero_dossiers_writes_header_only(tmp_path: Path) -> None:
    counts = generate_dataset(tmp_path, officials=50, dossiers=0, year=YEAR)
    assert counts["dossiers.csv"] == 0
    assert (tmp_path / "dossiers.csv").read_text() == ",".join(COLUMNS["dossiers"]) + "\n"
    _check_valid(tmp_path, YEAR)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"officials": 0, "dossiers": 0},
        {"officials": 10, "dossiers": -1},
        {"officials": 10, "dossiers": 10, "chunk_rows": 0},
        {"officials": 10, "dossiers": 10, "seed": -1},
    ],
)
def test_bad_arguments_are_refused(tmp_path: Path, kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        generate_dataset(tmp_path, year=YEAR, **kwargs)


def test_proportions_are_realistic(medium: dict[str, pd.DataFrame]) -> None:
    off, dos, units = medium["officials"], medium["dossiers"], medium["units"]
    n = len(off)

    sizes = off.unit_id.value_counts()
    assert sizes.median() >= 10 and sizes.max() <= 260
    assert set(units.tier) == {"tinh", "huyen", "xa"}
    peer = off.peer_group.value_counts(normalize=True)
    assert 0.20 <= peer["mot_cua"] <= 0.30
    assert 0.05 <= peer["lanh_dao"] <= 0.15
    assert (off.is_leader == "true").eq(off.peer_group == "lanh_dao").all()

    score = off.task_score.astype(float)
    assert 80 <= score.mean() <= 84 and 6.5 <= score.std() <= 9.5
    worked = off.months_worked.astype(float)
    absent = pd.to_numeric(off.months_absent.where(off.months_absent != "")).fillna(0)
    maternity = off.maternity_leave == "true"
    assert (worked == 12).mean() > 0.8
    assert 0.01 <= (worked < 6).mean() <= 0.04
    assert 0.005 <= maternity.mean() <= 0.02
    assert 0.01 <= absent.between(3, 6, inclusive="left").mean() <= 0.03
    assert 0.01 <= (off.recruited_on != "").mean() <= 0.03

    # About 90 % of dossiers handled at the one-stop desk.
    peer_of = off.set_index("official_id").peer_group
    assert dos.handler_id.map(peer_of).eq("mot_cua").mean() > 0.85
    due = _as_dt(dos.due_at)
    in_year = due.dt.year.value_counts(normalize=True)
    assert in_year[YEAR] > 0.9
    assert 0.01 < in_year[YEAR - 1] < 0.06 and 0.01 < in_year[YEAR + 1] < 0.06
    ret = _as_dt(dos.returned_at)
    late = (ret.dt.normalize() > due) | (ret.isna() & (due <= pd.Timestamp(YEAR, 12, 31)))
    assert 0.03 <= late.mean() <= 0.05
    cause = dos.late_cause[late]
    assert 0.62 <= cause.isin(["", "chu_quan"]).mean() <= 0.78
    assert (cause == "").any() and (cause == "phan_mem").any() and (cause == "khach_quan").any()
    assert 0.4 <= (dos.apology_issued[late] == "true").mean() <= 0.6
    assert ret.isna()[late].any(), "some late dossiers must still be open"

    rem = medium["reminders"]
    issued_year = rem.issued_on.str[:4].astype(int)
    late_prev = rem[(rem.subject == "tre_han") & (issued_year == YEAR - 1)].official_id
    assert 0.015 <= late_prev.nunique() / n <= 0.025
    assert ((rem.subject == "tre_han") & (issued_year == YEAR)).any()
    assert ((rem.subject == "tre_han") & (issued_year == YEAR - 2)).any()
    assert (rem.subject != "tre_han").any()
    # Reminded clerks are the ones who let dossiers run late: the repeat-offence rule
    # (reminder in Y-1 and ≥ 3 counted late in Y) must find people.
    counted = dos[late & (due.dt.year == YEAR) & dos.late_cause.isin(["", "chu_quan"])]
    per_handler = counted.groupby("handler_id").size()
    assert (per_handler.reindex(late_prev.unique()).fillna(0) >= 3).sum() > 10

    disc = medium["discipline"]
    assert 0.004 <= disc.official_id.nunique() / n <= 0.007
    decided_year = disc.decided_on.str[:4].astype(int)
    assert (decided_year == YEAR).any() and (decided_year < YEAR).any()
    assert (disc.violation_id != "").any() and (disc.counted_in_year != "").any()
    shared = disc[disc.violation_id != ""].violation_id
    pairs = disc.assign(v=disc.violation_id.where(disc.violation_id != "", disc.decision_id))
    assert (pairs.groupby("v").authority.nunique() == 2).any(), "Party + admin on one act"
    assert len(shared) > 0

    inn = medium["innovations"]
    assert 0.04 <= inn.official_id.nunique() / n <= 0.06
    assert set(inn.level) == {"co_so", "tinh", "toan_quoc"}
    assert set(inn.kind) == {"sang_kien", "de_tai"}
    assert set(inn.cchc) == {"true", "false"}
    assert (inn.recognized_on.str[:4].astype(int) == YEAR).mean() > 0.75


def test_names_and_units_look_vietnamese(small: tuple[Path, dict[str, int]]) -> None:
    out, _ = small
    units = pd.read_csv(out / "units.csv", dtype=str, keep_default_na=False)
    assert re.match(r"UBND (tỉnh|thành phố) ", units.name.iloc[0])
    assert units.name[units.tier == "xa"].str.match(r"UBND (xã|phường|thị trấn) ").all()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    officials=st.integers(1, 120),
    dossiers=st.integers(0, 600),
    year=st.integers(2000, 2100),
    seed=st.integers(0, 2**32 - 1),
    chunk_rows=st.integers(1, 700),
)
def test_any_small_dataset_is_valid(
    tmp_path_factory: pytest.TempPathFactory,
    officials: int,
    dossiers: int,
    year: int,
    seed: int,
    chunk_rows: int,
) -> None:
    out = tmp_path_factory.mktemp("prop")
    counts = generate_dataset(
        out, officials=officials, dossiers=dossiers, year=year, seed=seed, chunk_rows=chunk_rows
    )
    assert counts["officials.csv"] == officials and counts["dossiers.csv"] == dossiers
    _check_valid(out, year)
