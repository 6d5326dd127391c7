"""The council's commands: override, overrides, runs, diff (registered on ``xeploai``).

Kept apart from :mod:`xeploai.scoring.cli` so the core commands stay short; like them, each is a
thin layer over a library function (:mod:`xeploai.scoring.overrides`,
:mod:`xeploai.scoring.compare`).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click
import pandas as pd
from rich.table import Table

from .cli_common import db_option, err, json_option, out, print_json, user_errors
from .compare import Comparison, compare_runs
from .frames import number_text
from .i18n import _, format_date, format_datetime
from .labels import decision_change
from .overrides import (
    OverrideError,
    council_view,
    load_overrides,
    meeting_from_fields,
    meeting_text,
    pending_overrides,
    record_override,
)
from .reapply import STATUS_VI, ReapplyOutcome, reapply_decisions
from .signoff import finalize_run, reopen_run, signoff_state
from .storage import get_run, list_runs, open_db


def comparison_table(cmp: Comparison) -> Table:
    table = Table(title=_("Thay đổi: {a} → {b}").format(a=cmp.label_a, b=cmp.label_b),
                  show_lines=True)
    for col in (_("Mã cán bộ"), _("Họ và tên"), _("Đơn vị"), _("Điểm"), _("Mức"),
                _("Danh hiệu"), _("Vì sao")):
        table.add_column(col, overflow="fold")
    for r in cmp.changes.to_dict("records"):
        score = (number_text(r["score_a"]) if r["score_a"] == r["score_b"]
                 else f"{number_text(r['score_a'])} → {number_text(r['score_b'])}")
        level = r["level_a"] if r["level_a"] == r["level_b"] else \
            f"{r['level_a']} → {r['level_b']}"
        titles = (r["titles_a"] or "–") if r["titles_a"] == r["titles_b"] else \
            f"{r['titles_a'] or '–'} → {r['titles_b'] or '–'}"
        why = [f"+ {n}" for n in r["added"]] + [f"− {n}" for n in r["removed"]]
        table.add_row(r["official_id"], r["full_name"], r["unit_id"], score, level, titles,
                      "\n".join(why) or _("(cùng lý do; khác vì tỷ lệ của nhóm)"))
    return table


def print_comparison(cmp: Comparison, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({
            "a": cmp.label_a, "b": cmp.label_b, "compared": cmp.compared,
            "only_a": cmp.only_a, "only_b": cmp.only_b,
            "changes": cmp.changes.to_dict("records"),
        }, ensure_ascii=False, indent=2, default=str))
        return
    if len(cmp.changes):
        out.print(comparison_table(cmp))
    out.print(_("{compared} người được so sánh: {levels} người đổi mức, {titles} người đổi "
                "danh hiệu.").format(compared=cmp.compared, levels=cmp.level_changes,
                                     titles=cmp.title_changes))
    if cmp.only_a or cmp.only_b:
        none = _("không")
        out.print(_("Chỉ có trong {a}: {only_a}; chỉ có trong {b}: {only_b}.").format(
            a=cmp.label_a, only_a=", ".join(cmp.only_a) or none,
            b=cmp.label_b, only_b=", ".join(cmp.only_b) or none))


@click.command()
@click.argument("run_a", type=int, metavar="LẦN_CHẠY_A")
@click.argument("run_b", type=int, metavar="LẦN_CHẠY_B")
@click.option("--json", "as_json", is_flag=True, help="In các thay đổi dạng JSON.")
@db_option
@user_errors
def diff(run_a: int, run_b: int, as_json: bool, db: str | None) -> None:
    """So sánh hai lần chạy đã lưu: ai đổi mức hoặc danh hiệu, và những lý do khác nhau
    (giá trị cuối cùng, sau điều chỉnh của Hội đồng).

    \b
    Ví dụ:
      xeploai diff 1 2
      xeploai diff 1 2 --json
    """
    print_comparison(compare_runs(open_db(db), run_a, run_b), as_json)


@click.command()
@click.argument("official_id", required=False)
@click.option("--level", default=None, metavar="MÃ",
              help="Mức cuối cùng: HTXSNV, HTTNV, HTNV, KHTNV hoặc KXL.")
@click.option("--title", "titles", multiple=True, metavar="MÃ",
              help="Danh hiệu cuối cùng (LDTT, CSTDCS, CCHC); lặp lại cho nhiều danh hiệu. "
                   "Danh sách này thay danh hiệu hệ thống đề xuất.")
@click.option("--no-title", is_flag=True, help="Cán bộ không được danh hiệu nào.")
@click.option("--reason", default=None, help="Lý do Hội đồng quyết định (ghi vào tệp xuất).")
@click.option("--by", "by", required=True, metavar="TÊN",
              help="Người quyết định (hoặc người áp dụng lại, với --reapply-from).")
@click.option("--basis", default=None, metavar="VĂN_BẢN",
              help="Số, ngày văn bản cho phép quyết định trái một quy định (ví dụ quyết định "
                   "giải quyết khiếu nại); không có thì quyết định trái quy định bị từ chối.")
@click.option("--minutes", "minutes_no", default=None, metavar="SỐ",
              help="Số biên bản họp Hội đồng.")
@click.option("--meeting-date", default=None, metavar="DD/MM/YYYY", help="Ngày họp.")
@click.option("--votes", default=None, metavar="TT/KTT/KBQ",
              help="Biểu quyết: tán thành/không tán thành/không biểu quyết, ví dụ 7/1/0.")
@click.option("--reapply-from", "reapply_from", type=int, default=None, metavar="LẦN_CHẠY",
              help="Mang mọi quyết định còn hiệu lực của lần chạy này (cùng năm) sang lần "
                   "chạy --run (mặc định: mới nhất), kiểm tra lại từng quyết định.")
@click.option("--run", "run_id", type=int, default=None,
              help="Số lần chạy (mặc định: mới nhất).")
@db_option
@user_errors
def override(official_id: str | None, level: str | None, titles: tuple[str, ...],
             no_title: bool, reason: str | None, by: str, basis: str | None,
             minutes_no: str | None, meeting_date: str | None, votes: str | None,
             reapply_from: int | None, run_id: int | None, db: str | None) -> None:
    """Ghi một quyết định của Hội đồng thay đổi mức và/hoặc danh hiệu của một cán bộ, hoặc
    mang các quyết định của một lần chạy trước sang lần chạy mới (--reapply-from).

    Quyết định được kiểm tra theo các lý do của kết quả: nâng mức quá mức trần một quy tắc
    đặt ra (KXL, KHTNV, HTNV…) hoặc cho danh hiệu một quy tắc đã chặn thì bị từ chối, trừ
    khi dẫn văn bản cho phép (--basis) — khi đó quyết định được ghi và gắn cảnh báo ở mọi
    nơi. Quyết định không thay đổi gì bị từ chối. Vượt tỷ lệ 20 %/15 % được ghi kèm cảnh báo.

    \b
    Ví dụ:
      xeploai override BD0008 --level HTXSNV --reason "Thành tích đột xuất" \\
          --by "Nguyễn Văn A" --minutes 12/BB-HĐTĐKT --meeting-date 10/01/2024 --votes 7/1/0
      xeploai override BD0029 --level HTTNV --reason "Khiếu nại được chấp nhận" \\
          --by "Nguyễn Văn A" --basis "QĐ 15/QĐ-UBND ngày 08/01/2024"
      xeploai override --reapply-from 3 --by "Trần Thị B"
    """
    if reapply_from is not None:
        extra = [name for name, given in (
            ("OFFICIAL_ID", official_id), ("--level", level), ("--title", titles),
            ("--no-title", no_title), ("--reason", reason), ("--basis", basis),
            ("--minutes", minutes_no), ("--meeting-date", meeting_date), ("--votes", votes))
            if given]
        if extra:
            raise click.UsageError(f"--reapply-from không dùng cùng {', '.join(extra)}: mỗi "
                                   "quyết định giữ lý do, căn cứ và biên bản của nó")
        print_reapply(reapply_decisions(open_db(db), reapply_from, by=by, target_run=run_id))
        return
    if official_id is None:
        raise click.UsageError("thiếu OFFICIAL_ID (mã cán bộ), hoặc dùng --reapply-from")
    if reason is None:
        raise click.UsageError("thiếu --reason (lý do Hội đồng quyết định)")
    if titles and no_title:
        raise click.UsageError("--title và --no-title không dùng cùng nhau")
    try:
        meeting = meeting_from_fields(minutes_no, meeting_date, votes,
                                      ("--minutes", "--meeting-date", "--votes"))
    except OverrideError as error:
        if all(v is not None for v in (minutes_no, meeting_date, votes)):
            raise  # a value that does not read (a date, the votes): a problem of the input
        raise click.UsageError(str(error)) from None
    title_list = list(titles) if titles else ([] if no_title else None)
    outcome = record_override(open_db(db), official_id, reason=reason, by=by, level=level,
                              titles=title_list, run_id=run_id, basis=basis, meeting=meeting)
    rec = outcome.record
    change = decision_change(rec.engine_level, rec.level, rec.engine_titles, rec.titles)
    out.print(f"Đã ghi quyết định số {rec.id} (lần chạy số {rec.run_id}): {official_id}: "
              f"{change}", markup=False)
    if outcome.conflicts:
        err.print(f"cảnh báo: quyết định trái quy định, ghi theo văn bản {rec.basis}:",
                  markup=False)
        for c in outcome.conflicts:
            err.print(f"  - {c.text}", markup=False)
    if outcome.flag:
        err.print(f"cảnh báo: {outcome.flag} — quyết định vẫn được ghi", markup=False)


def print_reapply(outcome: ReapplyOutcome) -> None:
    table = Table(title=f"Áp dụng lại quyết định của lần chạy số {outcome.source_run} sang "
                        f"lần chạy số {outcome.target_run}", show_lines=True)
    for col in ("Quyết định", "Mã cán bộ", "Nội dung", "Kết quả", "Ghi chú"):
        table.add_column(col, overflow="fold")
    for item in outcome.items:
        table.add_row(str(item.source_id), item.official_id,
                      decision_change("…", item.level, "…", item.titles),
                      STATUS_VI[item.status], item.message)
    out.print(table)
    out.print(f"{len(outcome.applied)} quyết định đã áp dụng, {len(outcome.conflicts)} "
              "quyết định không áp dụng được (cần Hội đồng xem lại).")
    if outcome.conflicts:
        err.print("cảnh báo: có quyết định không mang sang được: "
                  + ", ".join(f"số {i.source_id} ({i.official_id})" for i in outcome.conflicts),
                  markup=False)


def _overrides_table(decisions: pd.DataFrame, title: str, flags: dict[str, str]) -> Table:
    table = Table(title=title, show_lines=True)
    for col in ("Số", "Lần chạy", "Mã cán bộ", "Mức", "Danh hiệu", "Lý do", "Người quyết định",
                "Ngày", "Biên bản họp", "Trái quy định (căn cứ)", "Cảnh báo"):
        table.add_column(col, overflow="fold")
    for d in decisions.to_dict("records"):
        level = "–" if d["level"] is None else f"{d['engine_level']} → {d['level']}"
        titles = "–" if d["titles"] is None else \
            f"{d['engine_titles'] or 'không'} → {d['titles'] or 'không'}"
        against = "" if not d["against_rules"] else \
            f"{d['against_rules']}\n(văn bản cho phép: {d['basis']})"
        carried = f"\n(mang từ quyết định số {d['carried_from']}, {d['carried_by']})" \
            if d["carried_from"] is not None else ""
        table.add_row(*(str(v) for v in (
            d["id"], d["run_id"], d["official_id"], level, titles, d["reason"] + carried,
            d["decided_by"], format_date(pd.Timestamp(d["created_at"]).to_pydatetime()),
            meeting_text(d), against, flags.get(d["official_id"], ""))))
    return table


def decision_records(decisions: pd.DataFrame, flags: dict[str, str]) -> list[dict[str, Any]]:
    """Decisions as plain JSON-ready records (missing values as null, times in ISO 8601)."""
    records = []
    for d in decisions.to_dict("records"):
        record = {k: (None if not isinstance(v, list | dict) and pd.isna(v) else v)
                  for k, v in d.items()}
        record["created_at"] = pd.Timestamp(d["created_at"]).isoformat()
        record["flag"] = flags.get(d["official_id"], "") or None
        records.append(record)
    return records


@click.command("overrides")
@click.option("--run", "run_id", type=int, default=None,
              help="Số lần chạy (mặc định: mới nhất).")
@click.option("--all", "all_runs", is_flag=True, help="Quyết định của mọi lần chạy.")
@json_option
@db_option
@user_errors
def overrides_cmd(run_id: int | None, all_runs: bool, as_json: bool, db: str | None) -> None:
    """Liệt kê các quyết định của Hội đồng trên một lần chạy, với giá trị hệ thống đề xuất,
    biên bản họp, quy định bị vượt (nếu có) và cảnh báo; tình trạng chốt; và các quyết định
    của lần chạy trước cùng năm chưa được mang sang.

    \b
    Ví dụ:
      xeploai overrides
      xeploai overrides --run 2
      xeploai overrides --all --json
    """
    engine = open_db(db)
    if all_runs:
        decisions = load_overrides(engine)
        if as_json:
            print_json({"decisions": decision_records(decisions, {})})
            return
        out.print(_overrides_table(decisions, _("Mọi quyết định điều chỉnh"), {}))
        return
    view = council_view(engine, run_id)
    flags = {k: v for k, v in zip(view.results["official_id"], view.results["flag"],
                                  strict=True) if v}
    pending = pending_overrides(engine, view.run_id)
    state = signoff_state(engine, view.run_id).describe()
    if as_json:
        print_json({"run_id": view.run_id, "signoff": state,
                    "decisions": decision_records(view.decisions, flags),
                    "pending": decision_records(pending, {})})
        return
    out.print(f"Lần chạy số {view.run_id}: {state}.")
    if view.decisions.empty:
        out.print(_("Lần chạy số {run} chưa có quyết định điều chỉnh nào.")
                  .format(run=view.run_id))
    else:
        out.print(_overrides_table(view.decisions,
                                   _("Điều chỉnh của Hội đồng — lần chạy số {run}")
                                   .format(run=view.run_id), flags))
    if not pending.empty:
        out.print(_overrides_table(
            pending, _("Chờ áp dụng lại: quyết định của lần chạy trước, chưa có trong lần chạy "
                       "số {run}").format(run=view.run_id), {}))
        source = int(pending["run_id"].iloc[0])
        out.print(f"Mang sang (kiểm tra lại từng quyết định): 'xeploai override "
                  f"--reapply-from {source} --run {view.run_id} --by TÊN'.", markup=False)


@click.command()
@click.argument("run_id", type=int, required=False)
@click.option("--by", "by", required=True, metavar="TÊN", help="Người chốt kết quả.")
@db_option
@user_errors
def finalize(run_id: int | None, by: str, db: str | None) -> None:
    """Chốt kết quả một lần chạy (mặc định: mới nhất): không ghi thêm quyết định được cho tới
    khi mở lại; lần chạy đã chốt là lần chạy mặc định khi xuất tệp của năm đó.

    \b
    Ví dụ:
      xeploai finalize 3 --by "Nguyễn Văn A"
    """
    engine = open_db(db)
    rec = finalize_run(engine, run_id, by=by)
    out.print(f"Đã chốt lần chạy số {rec.run_id} ({rec.by}, {format_datetime(rec.at)}).")


@click.command()
@click.argument("run_id", type=int)
@click.option("--by", "by", required=True, metavar="TÊN", help="Người mở lại.")
@click.option("--reason", required=True, help="Lý do mở lại (được lưu và hiển thị).")
@db_option
@user_errors
def reopen(run_id: int, by: str, reason: str, db: str | None) -> None:
    """Mở lại một lần chạy đã chốt để Hội đồng ghi thêm quyết định.

    \b
    Ví dụ:
      xeploai reopen 3 --by "Nguyễn Văn A" --reason "Khiếu nại mới của ông X"
    """
    rec = reopen_run(open_db(db), run_id, by=by, reason=reason)
    out.print(f"Đã mở lại lần chạy số {rec.run_id} ({rec.by}, {format_datetime(rec.at)}): "
              f"{rec.reason}")


@click.command()
@json_option
@db_option
@user_errors
def runs(as_json: bool, db: str | None) -> None:
    """Liệt kê các lần chạy đã lưu với những gì giúp chạy lại y hệt: mã băm chính sách, mã
    băm các tệp dữ liệu, phiên bản plugin, phiên bản chương trình và thời điểm (giờ Việt
    Nam).

    \b
    Ví dụ:
      xeploai runs
      xeploai runs --json
    """
    engine = open_db(db)
    records = list_runs(engine)
    if not records:
        get_run(engine)  # the "no run yet" message
    decisions = load_overrides(engine)
    per_run = decisions.groupby("run_id").size().to_dict() if len(decisions) else {}
    if as_json:
        print_json([{"id": r.id, "year": r.year,
                     "created_at": r.created_at.replace(tzinfo=r.created_at.tzinfo or dt.UTC)
                     .isoformat(),
                     "officials": r.officials, "policy_name": r.policy_name,
                     "policy_path": r.policy_path, "policy_hash": r.policy_hash,
                     "data_dir": r.data_dir, "input_hashes": json.loads(r.input_hashes),
                     "plugins": json.loads(r.plugins), "tool_version": r.tool_version,
                     "considered_on": r.considered_on.isoformat(),
                     "overrides": int(per_run.get(r.id, 0)),
                     "signoff": signoff_state(engine, int(r.id)).describe(),  # type: ignore[arg-type]
                     "repeats_run": r.repeats_run} for r in records])
        return
    table = Table(title=_("Các lần chạy"))
    for col in (_("Số"), _("Năm"), _("Thời điểm (giờ Việt Nam)"), _("Số người"),
                _("Chính sách"), _("Mã băm chính sách"), _("Tệp dữ liệu (mã băm)"),
                _("Quy tắc"), _("Phiên bản"), _("Điều chỉnh"), _("Chốt")):
        table.add_column(col, overflow="fold")
    for r in records:
        hashes = json.loads(r.input_hashes)
        plugins = json.loads(r.plugins)
        table.add_row(str(r.id), str(r.year), format_datetime(r.created_at),
                      str(r.officials), r.policy_name, r.policy_hash[:12],
                      "\n".join(f"{k} {v[:12]}" for k, v in sorted(hashes.items())),
                      "\n".join(f"{k} {v}" for k, v in plugins.items()), r.tool_version,
                      str(per_run.get(r.id, 0)),
                      signoff_state(engine, int(r.id)).describe()  # type: ignore[arg-type]
                      + (f"\nlặp lại lần chạy số {r.repeats_run}" if r.repeats_run else ""))
    out.print(table)
