"""SPEC §3 "Optional means optional": every optional file and optional column, absent,
header-only or blank in every row, runs on every way the product reads input, with the
defaults. The cases are generated from the row models (every field with a default, every
table declared ``required=False``, a path-loaded plugin's table included), so a new optional
column or table is covered without touching this file.

Each case is compared with the same data where the default is written out: the paths must
not only run, they must all read the default.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from xeploai.scoring import api
from xeploai.scoring.generate import generate_dataset
from xeploai.scoring.input.contract import column_rules
from xeploai.scoring.input.fastload import NotClean, load_fast
from xeploai.scoring.input.loader import load_dataset
from xeploai.scoring.input.shard import core_specs
from xeploai.scoring.storage import load_reasons, load_results, open_db
from xeploai.scoring.types import TableSpec

from .faults import plugin_policy

YEAR = 2023

PLUGIN = '''
import datetime as dt

import pandas as pd
from pydantic import BaseModel, Field
from xeploai.scoring import hookimpl
from xeploai.scoring.types import PluginInfo, Rule, Step, TableSpec, findings_frame


class Commendation(BaseModel):
    commendation_id: str = Field(min_length=1, json_schema_extra={"key": True})
    official_id: str = Field(json_schema_extra={"ref": "officials"})
    given_on: dt.date
    points: float = Field(default=1.0, ge=0, le=5)
    note: str | None = None


RULES = (Rule("commend.bonus", "Khen ngợi", "Căn cứ thử nghiệm", Step.SCORE),)
TABLES = (TableSpec("commendations", Commendation, required=False),)


@hookimpl
def xeploai_plugin_info():
    return PluginInfo("commend", "0.1", RULES, tables=TABLES)


@hookimpl
def xeploai_findings(context):
    c = context.tables["commendations"]
    c = c[c["given_on"].dt.year == context.year]
    return findings_frame(pd.DataFrame({"official_id": c["official_id"],
                                        "points": c["points"].astype(float),
                                        "note": c["note"].fillna("khen").astype(str)}),
                          rule="commend.bonus")
'''


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, tuple[TableSpec, ...]]:
    root = tmp_path_factory.mktemp("optional")
    data = root / "data"
    generate_dataset(data, officials=60, dossiers=1_500, year=YEAR, seed=7)
    officials = pd.read_csv(data / "officials.csv", dtype=str, keep_default_na=False)
    pd.DataFrame({"commendation_id": [f"KN{i}" for i in range(6)],
                  "official_id": officials["official_id"].iloc[::10].tolist(),
                  "given_on": "2023-05-02", "points": "2", "note": "tốt"}
                 ).to_csv(data / "commendations.csv", index=False)
    policy = plugin_policy(root / "policy", "commend", PLUGIN)
    extra = tuple(api.Session.open(policy).extra_tables())
    return data, policy, extra


# blank only for officials scored from work products (SPEC §10): under the task_score
# regime the run requires it (decision 73), so it is not optional there
NOT_OPTIONAL = frozenset({("officials", "task_score")})
# the 2026 regime's tables: a 2023 dataset has no file of them, so no column to leave out
# (the files themselves are in the optional-file cases below)
NOT_IN_2023 = frozenset({"periods", "work_items"})


def _optional_columns() -> list[tuple[str, str]]:
    specs = core_specs()
    from_plugin = [("commendations", "points"), ("commendations", "note")]
    return [(s.name, r.name) for s in specs for r in column_rules(s.row_model)
            if r.has_default and (s.name, r.name) not in NOT_OPTIONAL
            and s.name not in NOT_IN_2023] + from_plugin


def _default_text(table: str, column: str, extra: tuple[TableSpec, ...]) -> str:
    spec = next(s for s in [*core_specs(), *extra] if s.name == table)
    rule = next(r for r in column_rules(spec.row_model) if r.name == column)
    if rule.default is None:
        return ""
    if rule.kind == "bool":
        return "true" if rule.default else "false"
    return f"{rule.default:g}" if isinstance(rule.default, float) else str(rule.default)


def _edit_column(folder: Path, table: str, column: str, how: str, default: str) -> None:
    path = folder / f"{table}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if how == "absent":
        frame = frame.drop(columns=[column], errors="ignore")  # a generator may omit it
    else:
        frame[column] = "" if how == "blank" else default
    frame.to_csv(path, index=False)


def _edit_file(folder: Path, table: str, how: str) -> None:
    path = folder / f"{table}.csv"
    spec = next(s for s in core_specs() if s.name == table) if not path.exists() else None
    header = (",".join(spec.row_model.model_fields) if spec is not None
              else path.read_text(encoding="utf-8").splitlines()[0])
    if how == "absent":
        path.unlink(missing_ok=True)
    elif how == "header-only":
        path.write_text(header + "\n", encoding="utf-8")
    else:  # every row blank: an export of a table with its rows cleared
        path.write_text(header + "\n" + (header.count(",") * "," + "\n") * 5,
                        encoding="utf-8")


# -- the four reading paths -----------------------------------------------------------------


def _fast(folder: Path, extra: tuple[TableSpec, ...]) -> dict[str, pd.DataFrame] | None:
    """The fast reader alone: None when it hands the data to the checked path (allowed
    only for what the checked path treats specially, such as blank rows)."""
    specs = core_specs(extra)
    try:
        dataset = load_fast(folder, specs, {s.name: column_rules(s.row_model) for s in specs})
    except NotClean:
        return None
    return dataset.tables


def _checked(folder: Path, extra: tuple[TableSpec, ...]) -> dict[str, pd.DataFrame]:
    return load_dataset(folder, extra, fast=False).tables


def _stored(url: str, run_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    engine = open_db(url)
    try:
        return load_results(engine, run_id), load_reasons(engine, run_id)
    finally:
        engine.dispose()


def _runs(folder: Path, policy: Path, db: Path) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """A whole run and a ``--by-unit`` run (several groups) of ``folder``, as stored."""
    url = f"sqlite:///{db}"
    whole = api.run(folder, YEAR, policy=policy, db=url)
    by_unit = api.run(folder, YEAR, policy=policy, db=url, again=True,
                      by_unit=api.ByUnit(25, workdir=db.parent))
    # split by unit, unless a work_items file refers to dossiers (read whole: decision 97)
    assert by_unit.groups > 1 or (folder / "work_items.csv").exists()
    return [_stored(url, int(whole.run_id or 0)), _stored(url, int(by_unit.run_id or 0))]


def _assert_all_paths_read_the_default(setup, edit, default_edit, fast_may_defer: bool,
                                       tmp_path: Path) -> None:
    source, policy, extra = setup
    case, expected = tmp_path / "case", tmp_path / "expected"
    for folder, change in ((case, edit), (expected, default_edit)):
        shutil.copytree(source, folder)
        change(folder)
    want_tables = _checked(expected, extra)
    fast = _fast(case, extra)
    assert fast is not None or fast_may_defer, "the fast reader refused valid data"
    for tables in (_checked(case, extra), fast):
        if tables is None:
            continue
        assert list(tables) == list(want_tables)
        for name in want_tables:
            pd.testing.assert_frame_equal(tables[name], want_tables[name], obj=name)
    (tmp_path / "db").mkdir()
    (tmp_path / "db_expected").mkdir()
    want = _runs(expected, policy, tmp_path / "db_expected" / "x.db")[0]
    for results, reasons in _runs(case, policy, tmp_path / "db" / "x.db"):
        pd.testing.assert_frame_equal(results, want[0])
        pd.testing.assert_frame_equal(reasons, want[1])


@pytest.mark.parametrize("how", ["absent", "blank"])
@pytest.mark.parametrize(("table", "column"), _optional_columns(),
                         ids=[f"{t}.{c}" for t, c in _optional_columns()])
def test_optional_column_missing_or_blank_runs_on_every_path(setup, tmp_path: Path,
                                                             table: str, column: str,
                                                             how: str) -> None:
    default = _default_text(table, column, setup[2])
    _assert_all_paths_read_the_default(
        setup, lambda f: _edit_column(f, table, column, how, default),
        lambda f: _edit_column(f, table, column, "default", default), False, tmp_path)


def _optional_tables() -> list[str]:
    return [s.name for s in core_specs() if not s.required] + ["commendations"]


@pytest.mark.parametrize("how", ["absent", "header-only", "blank-rows"])
@pytest.mark.parametrize("table", _optional_tables())
def test_optional_file_absent_header_only_or_blank_runs_on_every_path(
        setup, tmp_path: Path, table: str, how: str) -> None:
    _assert_all_paths_read_the_default(
        setup, lambda f: _edit_file(f, table, how),
        lambda f: _edit_file(f, table, "header-only"), how == "blank-rows", tmp_path)


def test_the_matrix_covers_every_optional_field() -> None:
    """The generated cases reach every optional field of the core models and a plugin's
    optional table (a model change that adds one is covered by construction)."""
    cases = set(_optional_columns())
    assert {("officials", "months_absent"), ("officials", "recruited_on"),
            ("dossiers", "returned_at"), ("dossiers", "late_cause"),
            ("dossiers", "apology_issued"), ("discipline", "violation_id"),
            ("discipline", "counted_in_year"), ("innovations", "cchc"),
            ("units", "parent_id")} <= cases
    assert {"titles_history", "commendations"} <= set(_optional_tables())
