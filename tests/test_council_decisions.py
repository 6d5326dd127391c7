"""SPEC §8: council decisions checked against the reasons behind the result, the meeting
record, carrying decisions onto a new run, sign-off, and a repeated run — through the
library API and the command line, on real SQLite files (and PostgreSQL in CI)."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from xeploai.scoring import api
from xeploai.scoring.explain import explanation, render_text
from xeploai.scoring.overrides import (
    DecisionAgainstRulesError,
    Meeting,
    OverrideError,
    check_override,
    council_view,
    load_overrides,
    record_override,
)
from xeploai.scoring.reapply import ALREADY, APPLIED, CONFLICT, reapply_decisions
from xeploai.scoring.signoff import (
    RunLockedError,
    SignOffError,
    default_run,
    finalize_run,
    reopen_run,
    signoff_state,
)

from .conftest import POLICY, SAMPLE

MEETING = Meeting("12/BB-HĐTĐKT", dt.date(2024, 1, 10), 7, 1, 0)


# --- decisions against the rules behind the result ---------------------------------------


@pytest.mark.parametrize(("official", "change", "rule", "effect"), [
    # the repeat offender capped at HTNV by QĐ 4510 (the issue's first finding)
    ("BD0029", {"level": "HTTNV"}, "late_dossiers.repeat_offence", "ceiling"),
    # under 6 months of service: not classified, no title (KXL)
    ("BD0015", {"level": "HTTNV"}, "service_time.not_classified", "exclude"),
    ("BD0015", {"titles": ["LDTT"]}, "service_time.not_classified", "exclude"),
    # disciplined in the year: ceiling KHTNV, no title
    ("BD0041", {"level": "HTNV"}, "discipline.counted", "ceiling"),
    ("BD0041", {"titles": ["LDTT"]}, "discipline.counted", "title"),
    # 3 to under 6 months of leave: ceiling HTNV and no LDTT
    ("BD0016", {"level": "HTTNV"}, "service_time.leave_ceiling", "ceiling"),
    ("BD0016", {"titles": ["LDTT"]}, "service_time.leave_no_ldtt", "title"),
])
def test_decision_against_a_rule_is_refused_without_basis(engine, sample_run, official, change,
                                                          rule, effect):
    with pytest.raises(DecisionAgainstRulesError) as caught:
        record_override(engine, official, reason="Hội đồng xét lại", by="A", **change)
    assert [(c.rule, c.effect) for c in caught.value.conflicts] == [(rule, effect)]
    assert rule in str(caught.value) and "--basis" in str(caught.value)
    assert load_overrides(engine).empty  # nothing recorded


def test_raising_kxl_with_a_title_names_the_rule_once(engine, sample_run):
    check = check_override(engine, "BD0015", level="HTTNV", titles=["LDTT"])
    assert [c.rule for c in check.conflicts] == ["service_time.not_classified"]
    assert check.changes_something and not check.problems


def test_decision_with_basis_is_recorded_and_flagged_everywhere(engine, sample_run, tmp_path):
    outcome = record_override(engine, "BD0029", level="HTTNV", reason="Khiếu nại được chấp nhận",
                              by="Chủ tịch HĐ", basis="QĐ 15/QĐ-UBND ngày 08/01/2024",
                              meeting=MEETING)
    assert [c.rule for c in outcome.conflicts] == ["late_dossiers.repeat_offence"]
    assert "trái quy định" in outcome.flag and "QĐ 15/QĐ-UBND" in outcome.flag
    stored = load_overrides(engine).iloc[0]
    assert stored["basis"] == "QĐ 15/QĐ-UBND ngày 08/01/2024"
    assert "late_dossiers.repeat_offence" in stored["against_rules"]

    exp = explanation(engine, "BD0029")
    assert exp["overrides"][0]["basis"] == "QĐ 15/QĐ-UBND ngày 08/01/2024"
    assert "late_dossiers.repeat_offence" in exp["overrides"][0]["against_rules"]
    assert "trái quy định" in exp["override_warning"]
    text = render_text(exp)
    assert "trái quy định" in text and "QĐ 15/QĐ-UBND" in text and "nan" not in text

    out = tmp_path / "k.csv"
    api.export_run(engine, "csv", out)
    df = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False) \
        .set_index("official_id")
    assert df.loc["BD0029", "override_basis"] == "QĐ 15/QĐ-UBND ngày 08/01/2024"
    assert "late_dossiers.repeat_offence" in df.loc["BD0029", "override_against"]
    assert "12/BB-HĐTĐKT" in df.loc["BD0029", "override_meeting"]
    assert "7 tán thành" in df.loc["BD0029", "override_meeting"]
    assert df.loc["BD0001", "override_against"] == ""

    rows = json.loads((lambda p: (api.export_run(engine, "json", p), p.read_text())[1])(
        tmp_path / "k.json"))
    bd29 = next(r for r in rows if r["official_id"] == "BD0029")
    assert "trái quy định" in bd29["flag"]


def test_lowering_below_a_ceiling_needs_no_basis(engine, sample_run):
    outcome = record_override(engine, "BD0029", level="KHTNV", reason="r", by="A")
    assert outcome.conflicts == [] and outcome.flag == ""


def test_decision_that_changes_nothing_is_refused(engine, sample_run):
    with pytest.raises(OverrideError, match="không thay đổi gì"):
        record_override(engine, "BD0001", titles=["LDTT"], reason="r", by="A")
    record_override(engine, "BD0033", level="HTTNV", reason="r", by="A")
    with pytest.raises(OverrideError, match="không thay đổi gì"):  # against the final value
        record_override(engine, "BD0033", level="HTTNV", reason="lại", by="B")
    assert len(load_overrides(engine)) == 1


def test_meeting_is_recorded_and_checked(engine, sample_run):
    record_override(engine, "BD0033", level="HTTNV", reason="r", by="A", meeting=MEETING)
    stored = load_overrides(engine).iloc[0]
    assert (stored["minutes_no"], stored["votes_for"], stored["votes_against"],
            stored["votes_abstaining"]) == ("12/BB-HĐTĐKT", 7, 1, 0)
    assert pd.Timestamp(stored["meeting_date"]).date() == dt.date(2024, 1, 10)
    with pytest.raises(OverrideError, match="tán thành"):
        record_override(engine, "BD0030", level="HTNV", titles=[], reason="r", by="A",
                        meeting=Meeting("13", dt.date(2024, 1, 10), 3, 4, 0))


def test_explain_after_an_override_prints_no_nan(engine, sample_run):
    record_override(engine, "BD0033", level="HTTNV", reason="r", by="A")
    record_override(engine, "BD0033", titles=["LDTT"], reason="r2", by="B")
    text = render_text(explanation(engine, "BD0033"))
    assert "nan" not in text
    assert "mức HTNV → HTTNV" in text and "danh hiệu không → LDTT" in text
    assert "chưa ghi biên bản họp" in text


# --- sign-off ---------------------------------------------------------------------------


def test_finalize_blocks_decisions_and_reopen_allows_them(engine, sample_run):
    finalize_run(engine, sample_run, by="Trưởng phòng")
    assert signoff_state(engine, sample_run).finalized
    with pytest.raises(RunLockedError, match="reopen"):
        record_override(engine, "BD0033", level="HTTNV", reason="r", by="A")
    with pytest.raises(SignOffError):
        finalize_run(engine, sample_run, by="B")
    with pytest.raises(SignOffError, match="lý do"):
        reopen_run(engine, sample_run, by="B", reason=" ")
    reopen_run(engine, sample_run, by="Chủ tịch", reason="Khiếu nại mới")
    record_override(engine, "BD0033", level="HTTNV", reason="r", by="A")
    state = signoff_state(engine, sample_run)
    assert [h.action for h in state.history] == ["finalize", "reopen"]
    assert "Khiếu nại mới" in state.describe()
    with pytest.raises(SignOffError, match="chưa chốt"):
        reopen_run(engine, sample_run, by="B", reason="x")


def test_a_finalised_run_is_the_default_for_its_years_exports(engine, sample_run, tmp_path):
    second = api.run(SAMPLE, 2023, db=engine, again=True).run_id
    assert default_run(engine).id == second
    finalize_run(engine, sample_run, by="A")
    assert default_run(engine).id == sample_run
    assert default_run(engine, 2023).id == sample_run
    rid, _ = api.export_run(engine, "csv", tmp_path / "k.csv")
    assert rid == sample_run


# --- carrying decisions onto a new run -----------------------------------------------------


def crafted(builder, folder):
    builder.peers(8, task_score=80)
    builder.official("R2", task_score=85)  # reminded in 2022, 2 late in 2023
    builder.reminder("R2", issued_on="2022-06-01")
    builder.late("R2", 2)
    builder.official("N2", task_score=75)
    builder.official("N3", task_score=72)
    return builder.write(folder)


def test_reapply_carries_rechecks_and_lists_conflicts(builder, data_dir, engine, tmp_path):
    folder = crafted(builder, data_dir)
    first = api.run(folder, 2023, policy=POLICY, db=engine).run_id
    # R2: HTTNV by the rules of the first run; the council raises N2 and R2's title stays
    record_override(engine, "R2", level="HTXSNV", reason="thành tích đột xuất", by="HĐ",
                    meeting=MEETING, run_id=first)
    record_override(engine, "N2", level="HTXSNV", reason="r", by="HĐ", run_id=first)
    record_override(engine, "N3", titles=[], reason="không đề nghị", by="HĐ", run_id=first)
    # a corrected policy: two late dossiers after a reminder are now a repeat offence
    strict = tmp_path / "strict.toml"
    strict.write_text(POLICY.read_text(encoding="utf-8").replace(
        "values = [{ from = 2020-01-01, value = 3 }]",
        "values = [{ from = 2020-01-01, value = 2 }]"), encoding="utf-8")
    second = api.run(folder, 2023, policy=strict, db=engine).run_id
    assert council_view(engine, second).results.set_index("official_id") \
        .loc["R2", "level"] == "HTNV"

    outcome = reapply_decisions(engine, first, by="Thư ký", target_run=second)
    status = {i.official_id: i.status for i in outcome.items}
    assert status == {"R2": CONFLICT, "N2": APPLIED, "N3": APPLIED}
    conflict = outcome.conflicts[0]
    assert "late_dossiers.repeat_offence" in conflict.message
    carried = load_overrides(engine, second).set_index("official_id")
    assert list(carried.index) == ["N2", "N3"]
    assert carried.loc["N2", "carried_by"] == "Thư ký"
    assert carried.loc["N2", "decided_by"] == "HĐ"  # the council's decision, carried
    # carrying again records nothing twice, and says so
    again = reapply_decisions(engine, first, by="Thư ký", target_run=second)
    assert {i.official_id: i.status for i in again.items} == \
        {"R2": CONFLICT, "N2": ALREADY, "N3": ALREADY}
    assert len(load_overrides(engine, second)) == 2


def test_reapply_of_a_decision_the_new_run_already_gives(builder, data_dir, engine):
    folder = crafted(builder, data_dir)
    first = api.run(folder, 2023, policy=POLICY, db=engine).run_id
    record_override(engine, "N2", level="HTXSNV", reason="r", by="HĐ", run_id=first)
    second = api.run(folder, 2023, policy=POLICY, db=engine, again=True).run_id
    record_override(engine, "N2", level="HTXSNV", reason="riêng", by="HĐ", run_id=second)
    outcome = reapply_decisions(engine, first, by="T", target_run=second)
    assert [i.status for i in outcome.items] == [CONFLICT]  # its own decision: listed
    assert "quyết định riêng" in outcome.items[0].message


def test_reapply_refuses_another_year_and_a_locked_run(builder, data_dir, engine):
    folder = crafted(builder, data_dir)
    first = api.run(folder, 2023, policy=POLICY, db=engine).run_id
    other = api.run(folder, 2022, policy=POLICY, db=engine).run_id
    with pytest.raises(OverrideError, match="cùng một năm"):
        reapply_decisions(engine, first, by="T", target_run=other)
    second = api.run(folder, 2023, policy=POLICY, db=engine, again=True).run_id
    finalize_run(engine, second, by="A")
    with pytest.raises(RunLockedError):
        reapply_decisions(engine, first, by="T", target_run=second)


# --- a repeated run ---------------------------------------------------------------------


def test_identical_run_is_refused_without_again(engine, sample_run):
    with pytest.raises(api.RepeatRunError) as caught:
        api.run(SAMPLE, 2023, db=engine)
    assert caught.value.earlier_run == sample_run and "--again" in str(caught.value)
    outcome = api.run(SAMPLE, 2023, db=engine, again=True)
    assert outcome.repeats_run == sample_run
    # another year, or another policy, is not a repeat
    assert api.run(SAMPLE, 2022, db=engine).repeats_run is None



def test_a_by_unit_run_is_refused_as_a_repeat_like_a_whole_run(engine, sample_run, cli,
                                                               tmp_path):
    """--by-unit goes through the same run: the same inputs read group by group are the same
    run, refused without --again before anything is classified or stored."""
    runs = "select count(*) from runs"
    by_unit = api.ByUnit(10, workdir=tmp_path)
    with pytest.raises(api.RepeatRunError) as caught:
        api.run(SAMPLE, 2023, db=engine, by_unit=by_unit)
    assert caught.value.earlier_run == sample_run
    with engine.connect() as conn:
        assert conn.exec_driver_sql(runs).scalar() == 1
    outcome = api.run(SAMPLE, 2023, db=engine, again=True, by_unit=by_unit)
    assert outcome.repeats_run == sample_run and outcome.groups > 1
    assert outcome.officials == 44
    # the command line: refused (exit 1, naming the earlier run), then stored with --again
    res = cli("run", "--data", str(SAMPLE), "--year", "2023", "--by-unit", "10", expect=1)
    assert f"lần chạy số {outcome.run_id}" in res.output and "--again" in res.output
    res = cli("run", "--data", str(SAMPLE), "--year", "2023", "--by-unit", "10", "--again")
    assert f"lặp lại lần chạy số {outcome.run_id}" in res.output
    assert "theo 3 nhóm đơn vị" in res.output
    with engine.connect() as conn:
        assert conn.exec_driver_sql(runs).scalar() == 3


# --- the command line ---------------------------------------------------------------------


def test_cli_refusals_flags_signoff_and_reapply(cli, tmp_path):
    cli("run", "--data", str(SAMPLE), "--year", "2023")
    res = cli("override", "BD0029", "--level", "HTTNV", "--reason", "r", "--by", "A", expect=1)
    assert "trái quy định" in res.output and "late_dossiers.repeat_offence" in res.output
    assert "Traceback" not in res.output
    res = cli("override", "BD0001", "--title", "LDTT", "--reason", "r", "--by", "A", expect=1)
    assert "không thay đổi gì" in res.output
    res = cli("override", "BD0029", "--level", "HTTNV", "--reason", "Khiếu nại", "--by", "A",
              "--basis", "QĐ 15/QĐ-UBND", "--minutes", "12/BB", "--meeting-date", "10/01/2024",
              "--votes", "7/1/0")
    assert "Đã ghi quyết định số 1" in res.output and "QĐ 15/QĐ-UBND" in res.output
    cli("override", "BD0033", "--level", "HTTNV", "--reason", "r", "--by", "A",
        "--minutes", "12/BB", expect=2)  # a meeting needs all three fields
    listing = cli("overrides").output
    assert "trái quy định" in listing or "repeat_offence" in listing
    assert "12/BB" in listing and "7 tán" in listing

    res = cli("run", "--data", str(SAMPLE), "--year", "2023", expect=1)
    assert "giống hệt lần chạy số 1" in res.output and "--again" in res.output
    res = cli("run", "--data", str(SAMPLE), "--year", "2023", "--again")
    assert "lặp lại lần chạy số 1" in res.output
    res = cli("override", "--reapply-from", "1", "--by", "Thư ký")
    assert "đã áp dụng" in res.output and "BD0029" in res.output
    cli("override", "--reapply-from", "1", "--by", "T", "--level", "HTTNV", expect=2)

    cli("finalize", "2", "--by", "Trưởng phòng")
    res = cli("override", "BD0033", "--level", "HTTNV", "--reason", "r", "--by", "A", expect=1)
    assert "đã chốt" in res.output and "reopen" in res.output
    assert "đã chốt bởi Trưởng phòng" in cli("runs").output
    cli("reopen", "2", "--by", "Chủ tịch", "--reason", "Khiếu nại mới")
    cli("override", "BD0033", "--level", "HTTNV", "--reason", "r", "--by", "A")
    assert "Khiếu nại mới" in cli("overrides", "--run", "2").output


# --- schema version 2 -> 3 ---------------------------------------------------------------


@pytest.mark.parametrize("version", [2, 3])
def test_an_older_database_is_migrated_keeping_runs_and_decisions(db_url, version):
    """A database written by an earlier xeploai — schema 3 (main before the council columns)
    or 2 (before the as-of date too) — opens, gains the columns, and keeps every run and
    decision."""
    from sqlalchemy import create_engine, inspect, text
    from xeploai.scoring.storage import open_db

    engine = open_db(db_url)
    run_id = api.run(SAMPLE, 2023, db=engine).run_id
    record_override(engine, "BD0033", level="HTTNV", reason="trước khi nâng cấp", by="A")
    engine.dispose()
    raw = create_engine(db_url)
    with raw.begin() as conn:  # back to the version-2 layout
        for table, columns in (
                ("runs", ("repeats_run", "assumptions", *(("as_of",) if version == 2 else ()))),
                ("overrides", ("basis", "against_rules", "minutes_no", "meeting_date",
                               "votes_for", "votes_against", "votes_abstaining",
                               "carried_from", "carried_by"))):
            for column in columns:
                conn.execute(text(f'ALTER TABLE {table} DROP COLUMN "{column}"'))
        conn.execute(text("DROP TABLE run_signoffs"))
        conn.execute(text(f"UPDATE xeploai_schema SET version = {version}"))
    assert "basis" not in {c["name"] for c in inspect(raw).get_columns("overrides")}
    raw.dispose()

    engine = open_db(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("select version from xeploai_schema")).scalar_one() == 4
    assert "as_of" in {c["name"] for c in inspect(engine).get_columns("runs")}
    cols = {c["name"] for c in inspect(engine).get_columns("overrides")}
    assert {"basis", "minutes_no", "carried_by"} <= cols
    assert inspect(engine).has_table("run_signoffs")
    old = load_overrides(engine).iloc[0]
    assert (old["official_id"], old["level"], old["basis"], old["minutes_no"]) == \
        ("BD0033", "HTTNV", None, None)
    # the migrated database works: a decision with a meeting, a sign-off, explain
    record_override(engine, "BD0030", level="KHTNV", reason="r", by="A", meeting=MEETING)
    finalize_run(engine, run_id, by="A")
    assert "chưa ghi biên bản họp" in render_text(explanation(engine, "BD0033"))
    engine.dispose()


# --- assumption marks ---------------------------------------------------------------------


def test_explain_marks_the_assumption_behind_the_repeat_offence(engine, sample_run, cli_json):
    exp = explanation(engine, "BD0029")
    repeat = next(r for r in exp["reasons"] if r["rule"] == "late_dossiers.repeat_offence")
    assert [(a["what"], a["value"]) for a in repeat["assumptions"]] == \
        [("late_dossiers.repeat_threshold", "3")]
    assert "nhiều lần" in repeat["assumptions"][0]["reference"]
    assert "[giả định] late_dossiers.repeat_threshold = 3" in render_text(exp)
    # a rule resting on the law alone carries no mark
    discipline = next(r for r in explanation(engine, "BD0041")["reasons"]
                      if r["rule"] == "discipline.counted")
    assert discipline["assumptions"] == []
    # the JSON of `explain --json` carries the same marks
    repeat_json = next(r for r in cli_json("explain", "BD0029", "--json")["reasons"]
                       if r["rule"] == "late_dossiers.repeat_offence")
    assert repeat_json["assumptions"] == repeat["assumptions"]
    # for a filter: who has a reason resting on an assumption (not BD0015, KXL by the law)
    from xeploai.scoring.assumptions import officials_with_assumptions
    from xeploai.scoring.storage import get_run, load_reasons

    marks = json.loads(get_run(engine, sample_run).assumptions)
    marked = officials_with_assumptions(load_reasons(engine, sample_run), marks)
    assert "BD0029" in marked and "BD0015" not in marked and "BD0041" not in marked


@pytest.fixture
def cli_json(db_url):
    from click.testing import CliRunner
    from xeploai.scoring.cli import main

    def invoke(*args: str):
        result = CliRunner().invoke(main, [*args], env={"XEPLOAI_DB": db_url},
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    return invoke
