"""Declared once, executed everywhere: every check the row models declare — each field's
type, required value, code list, range, key, reference and "not in the future", and every
check between columns in a model's ``checks`` — is broken in one row, and every reading
path must reject that row: the fast reader gives way (NotClean), the streamed ``--by-unit``
reader gives way, and the checked path, the whole run and ``--by-unit`` name the row, the
column and the check. The cases are generated from the declaration, so a check added to a
model (a plugin's included) is enumerated here by construction.

Also the bad inputs on which the paths used to disagree (a NUL byte, an empty or
column-less dossiers file under ``--by-unit``).
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from xeploai.scoring import api
from xeploai.scoring.errors import InvalidInputError, Problem
from xeploai.scoring.input import split_by_unit
from xeploai.scoring.input.contract import (
    ColumnRule,
    NotBefore,
    RowCheck,
    SumAtMost,
    column_rules,
    row_checks,
)
from xeploai.scoring.input.fastload import NotClean, load_fast
from xeploai.scoring.input.loader import load_dataset
from xeploai.scoring.input.shard import core_specs, subset
from xeploai.scoring.storage import load_reasons, load_results, open_db
from xeploai.scoring.types import TableSpec

from .conftest import SAMPLE
from .faults import plugin_policy

YEAR = 2023
ROW = 2  # the row broken (0-based, so the file's line 4): not the first, whose blank
# first cell the fast reader treats specially

PLUGIN = '''
import datetime as dt
from typing import ClassVar, Literal

import pandas as pd
from pydantic import BaseModel, Field
from xeploai.scoring import hookimpl
from xeploai.scoring.input.contract import NotBefore, RowCheck
from xeploai.scoring.types import PluginInfo, Rule, Step, TableSpec, findings_frame


class Commendation(BaseModel):
    commendation_id: str = Field(min_length=1, json_schema_extra={"key": True})
    official_id: str = Field(json_schema_extra={"ref": "officials"})
    level: Literal["co_so", "tinh"]
    proposed_on: dt.date
    given_on: dt.date = Field(json_schema_extra={"past": True})
    points: float = Field(default=1.0, ge=0, le=5)
    checks: ClassVar[tuple[RowCheck, ...]] = (
        NotBefore("given_on", "proposed_on", "ngày khen không được trước ngày đề nghị"),
    )


RULES = (Rule("commend.bonus", "Khen ngợi", "Căn cứ thử nghiệm", Step.SCORE),)


@hookimpl
def xeploai_plugin_info():
    return PluginInfo("commend", "0.1", RULES,
                      tables=(TableSpec("commendations", Commendation),))


@hookimpl
def xeploai_findings(context):
    c = context.tables["commendations"]
    return findings_frame(pd.DataFrame({"official_id": c["official_id"],
                                        "points": c["points"].astype(float)}),
                          rule="commend.bonus")
'''


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, tuple[TableSpec, ...]]:
    root = tmp_path_factory.mktemp("contract")
    data = root / "data"
    shutil.copytree(SAMPLE, data)
    officials = pd.read_csv(data / "officials.csv", dtype=str)["official_id"]
    pd.DataFrame({"commendation_id": [f"KN{i}" for i in range(5)],
                  "official_id": officials.iloc[:5].tolist(), "level": "co_so",
                  "proposed_on": "2023-04-01", "given_on": "2023-05-02", "points": "2"}
                 ).to_csv(data / "commendations.csv", index=False)
    policy = plugin_policy(root / "policy", "commend", PLUGIN)
    return data, policy, tuple(api.Session.open(policy).extra_tables())


@dataclass(frozen=True)
class Break:
    """One declared check, and cells that break it in row ``ROW`` of ``table``."""

    table: str
    column: str  # the column a problem must name
    check: str  # the check a problem must name
    cells: tuple[tuple[str, str], ...]  # (column, value) written into the row

    @property
    def id(self) -> str:
        return f"{self.table}.{self.column}:{self.check}"


def _column_breaks(table: str, rule: ColumnRule) -> list[Break]:
    def one(check: str, value: str) -> Break:
        return Break(table, rule.name, check, ((rule.name, value),))

    out = []
    if rule.required:
        out.append(one("required", ""))
    if rule.kind == "code":
        out.append(one("code", "khong_co_ma_nay"))
    if rule.kind in ("float", "int", "bool", "date", "datetime"):
        out.append(one("format", "abc"))
    if rule.kind in ("float", "int") and rule.le is not None:
        out.append(one("range", f"{rule.le + 1:g}"))
    if rule.kind in ("float", "int") and rule.ge is not None:
        out.append(one("range", f"{rule.ge - 1:g}"))
    if rule.past:
        out.append(one("future", (dt.date.today() + dt.timedelta(days=400)).isoformat()))
    if rule.ref is not None:
        out.append(one("reference", "KHONG_CO_MA_NAY"))
    if rule.key:
        out.append(one("duplicate", "<previous key>"))
    return out


def _row_check_breaks(table: str, check: RowCheck) -> list[Break]:
    if isinstance(check, NotBefore):
        cells = ((check.earlier, "2023-06-20"), (check.later, "2023-06-10"))
    elif isinstance(check, SumAtMost):
        cells = tuple((c, f"{check.limit:g}") for c in check.summed)
    else:  # a new kind of check: this test must learn to break it
        raise AssertionError(f"no way to break {check!r}")
    return [Break(table, check.column, check.check, cells)]


def _breaks(specs: list[TableSpec]) -> list[Break]:
    out = []
    for spec in specs:
        for rule in column_rules(spec.row_model):
            out += _column_breaks(spec.name, rule)
        for check in row_checks(spec.row_model):
            out += _row_check_breaks(spec.name, check)
    return out


def _extra_specs() -> tuple[TableSpec, ...]:
    """The plugin's table, without opening a policy (for the parametrisation)."""
    namespace: dict[str, object] = {}
    exec(compile(PLUGIN, "commend.py", "exec"), namespace)
    return namespace["xeploai_plugin_info"]().tables  # type: ignore[operator, no-any-return]


# the 2026 regime's tables: the 2023 sample has no row of them, so they are broken in the
# 2026 sample (their checks across rows are xeploai.scoring.input.product_checks's, tested
# in test_products_input)
TABLES_2026 = frozenset({"periods", "work_items"})
SAMPLE_2026 = SAMPLE.parent / "gia_lai_2026"
BREAKS = _breaks([s for s in core_specs(_extra_specs()) if s.name not in TABLES_2026])
BREAKS_2026 = _breaks([s for s in core_specs() if s.name in TABLES_2026])


def _write_break(source: Path, folder: Path, brk: Break) -> int:
    """A copy of ``source`` with ``brk`` written into one row; the row's line in the file."""
    shutil.copytree(source, folder)
    path = folder / f"{brk.table}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column, value in brk.cells:
        if value == "<previous key>":
            value = frame.loc[ROW - 1, column]
        frame.loc[ROW, column] = value
    frame.to_csv(path, index=False)
    return ROW + 2


def _named(problems: list[Problem], brk: Break, line: int) -> bool:
    return any((p.file, p.row, p.column, p.check) == (f"{brk.table}.csv", line, brk.column,
                                                      brk.check) for p in problems)


def test_every_kind_of_declared_check_is_enumerated() -> None:
    kinds = {(b.table, b.check) for b in BREAKS}
    assert {("dossiers", "date_order"), ("discipline", "date_order"),
            ("officials", "months_total"), ("commendations", "date_order"),
            ("dossiers", "duplicate"), ("dossiers", "reference"), ("units", "code"),
            ("officials", "range"), ("reminders", "future"),
            ("titles_history", "reference")} <= kinds
    assert len(BREAKS) > 60


def _every_path_rejects(source: Path, policy: Path | None, extra: tuple[TableSpec, ...],
                        year: int, brk: Break, tmp_path: Path) -> None:
    data = tmp_path / "data"
    line = _write_break(source, data, brk)
    specs = core_specs(extra)
    rules = {s.name: column_rules(s.row_model) for s in specs}
    # the fast reader vouches for nothing it has not checked
    with pytest.raises(NotClean):
        load_fast(data, specs, rules)
    # so does the streamed reader of --by-unit (for the table it streams)
    if brk.table == split_by_unit.BIG:
        with pytest.raises(NotClean):
            split_by_unit.split_fast(data, specs, rules, data / "dossiers.csv",
                                     tmp_path / "g", 10)
    # the checked path, a whole run and --by-unit name the row, the column and the check
    with pytest.raises(InvalidInputError) as checked:
        load_dataset(data, extra, fast=False)
    assert _named(checked.value.problems, brk, line), checked.value.render()
    db = f"sqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(InvalidInputError) as whole:
        api.run(data, year, policy=policy, db=db)
    with pytest.raises(InvalidInputError) as by_unit:
        api.run(data, year, policy=policy, db=db, by_unit=api.ByUnit(10, workdir=tmp_path))
    assert whole.value.problems == checked.value.problems
    assert by_unit.value.problems == checked.value.problems
    assert not (tmp_path / "x.db").exists() or not holds_a_run(db)


def holds_a_run(db: str) -> bool:
    """Whether a database holds any run (a refused run must leave none)."""
    from xeploai.scoring.storage import list_runs

    engine = open_db(db)
    try:
        return len(list_runs(engine)) > 0
    finally:
        engine.dispose()


@pytest.mark.parametrize("brk", BREAKS, ids=[b.id for b in BREAKS])
def test_every_path_rejects_a_row_breaking_a_declared_check(setup, tmp_path: Path,
                                                            brk: Break) -> None:
    source, policy, extra = setup
    _every_path_rejects(source, policy, extra, YEAR, brk, tmp_path)


@pytest.mark.parametrize("brk", BREAKS_2026, ids=[b.id for b in BREAKS_2026])
def test_every_path_rejects_a_row_breaking_a_check_of_the_2026_tables(tmp_path: Path,
                                                                      brk: Break) -> None:
    """periods and work_items (Decree 335), broken in the 2026 sample, read under the
    policy in force for 2026."""
    _every_path_rejects(SAMPLE_2026, None, (), 2026, brk, tmp_path)


def test_the_2026_tables_checks_are_enumerated() -> None:
    kinds = {(b.table, b.column, b.check) for b in BREAKS_2026}
    assert {("periods", "official_id", "reference"), ("periods", "general_score", "range"),
            ("work_items", "item_id", "duplicate"), ("work_items", "dossier_id", "reference"),
            ("work_items", "cause", "code"), ("work_items", "done_qty", "range")} <= kinds


# -- inputs on which the paths used to disagree ----------------------------------------------


def _problems_on_every_path(data: Path, tmp_path: Path) -> list[Problem]:
    """The problems of ``data``: the same from the checked path, a whole run and --by-unit."""
    db = f"sqlite:///{tmp_path / 'x.db'}"
    found = []
    for run in (lambda: load_dataset(data, fast=False), lambda: load_dataset(data),
                lambda: api.run(data, YEAR, db=db),
                lambda: api.run(data, YEAR, db=db, by_unit=api.ByUnit(10, workdir=tmp_path))):
        with pytest.raises(InvalidInputError) as err:
            run()
        found.append(err.value.problems)
    assert all(f == found[0] for f in found), found
    return found[0]


def test_a_nul_byte_in_a_name_is_refused_by_every_path(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    path = data / "officials.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    text[3] = text[3].replace(",", ",Nguy\x00n ", 1).replace(",", "", 1)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    specs = core_specs()
    with pytest.raises(NotClean):
        load_fast(data, specs, {s.name: column_rules(s.row_model) for s in specs})
    problems = _problems_on_every_path(data, tmp_path)
    assert [(p.file, p.row, p.check) for p in problems] == [("officials.csv", 4, "encoding")]


@pytest.mark.parametrize("content", ["", "a,b\n", "a,b\n1,2\n", "dossier_id\n"],
                         ids=["zero-byte", "header-only-no-columns", "no-columns",
                              "header-only-missing-columns"])
def test_a_dossiers_file_without_its_columns_is_refused_by_every_path(
        tmp_path: Path, content: str) -> None:
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    (data / "dossiers.csv").write_text(content, encoding="utf-8")
    problems = _problems_on_every_path(data, tmp_path)
    assert problems and all(p.file == "dossiers.csv" for p in problems)
    assert {p.check for p in problems} <= {"format", "missing_column"}


def test_the_streamed_reader_takes_dossier_ids_in_any_order(tmp_path: Path) -> None:
    """Real exports list dossiers in no particular id order: the streamed --by-unit reader
    proves their ids unique without the checked path, and stores what a whole run does."""
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    path = data / "dossiers.csv"
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([header, *reversed(rows)]) + "\n", encoding="utf-8")
    specs = core_specs()
    rules = {s.name: column_rules(s.row_model) for s in specs}
    split = split_by_unit.split_fast(data, specs, rules, path, tmp_path / "g", 10)
    # each group's dossiers are the whole run's dossiers of its units, in file order, with
    # the whole run's dtypes
    whole_read = load_dataset(data)
    read = 0
    for units, (part, _) in zip(split.groups, split.parts(), strict=True):
        expected = subset(whole_read, units).tables["dossiers"]
        pd.testing.assert_frame_equal(part.tables["dossiers"], expected)
        read += len(expected)
    assert len(split.groups) > 1 and read == len(rows)
    db = f"sqlite:///{tmp_path / 'x.db'}"
    whole = api.run(data, YEAR, db=db)
    by_unit = api.run(data, YEAR, db=db, again=True, by_unit=api.ByUnit(10, workdir=tmp_path))
    engine = open_db(db)
    for load in (load_results, load_reasons):
        pd.testing.assert_frame_equal(load(engine, by_unit.run_id),
                                      load(engine, int(whole.run_id or 0)))
    engine.dispose()


def test_a_period_whose_only_product_is_a_dossier_runs_alike_whole_and_by_unit(
        tmp_path: Path) -> None:
    """A products-regime period may have no work item but a dossier due in it (SPEC §10).
    --by-unit used to check the periods without the streamed dossiers and refuse it; the
    dossiers of such a folder are now read whole (decision 97), so both runs store the
    same results."""
    data = tmp_path / "data"
    shutil.copytree(SAMPLE_2026, data)
    path = data / "work_items.csv"
    items = pd.read_csv(path, dtype=str, keep_default_na=False)
    dropped = (items["official_id"] == "X01-CC02") & (items["period"] == "2026-03")
    assert dropped.sum() == 1
    items[~dropped].to_csv(path, index=False)
    db = f"sqlite:///{tmp_path / 'x.db'}"
    whole = api.run(data, 2026, db=db)
    by_unit = api.run(data, 2026, db=db, again=True,
                      by_unit=api.ByUnit(10, workdir=tmp_path))
    engine = open_db(db)
    for load in (load_results, load_reasons):
        pd.testing.assert_frame_equal(load(engine, int(by_unit.run_id or 0)),
                                      load(engine, int(whole.run_id or 0)))
    engine.dispose()
