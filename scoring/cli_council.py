"""The council's commands: override, overrides, runs, diff (registered on ``xeploai``).

Kept apart from :mod:`xeploai.scoring.cli` so the core commands stay short; like them, each is a
thin layer over a library function (:mod:`xeploai.scoring.overrides`,
:mod:`xeploai.scoring.compare`).
"""

from __future__ import annotations

import json

import click
import pandas as pd
from rich.table import Table
from xeploai.scoring.cli import db_option, err, main, out, user_errors
from xeploai.scoring.compare import Comparison, compare_runs
from xeploai.scoring.overrides import (
    council_view,
    load_overrides,
    pending_overrides,
    record_override,
)
from xeploai.scoring.storage import get_run, list_runs, open_db


def comparison_table(cmp: Comparison) -> Table:
    table = Table(title=f"Thay đổi: {cmp.label_a} → {cmp.label_b}", show_lines=True)
    for col in ("Mã cán bộ", "Họ và tên", "Đơn vị", "Điểm", "Mức", "Danh hiệu", "Vì sao"):
        table.add_column(col, overflow="fold")
    for r in cmp.changes.to_dict("records"):
        score = (f"{r['score_a']:g}" if r["score_a"] == r["score_b"]
                 else f"{r['score_a']:g} → {r['score_b']:g}")
        level = r["level_a"] if r["level_a"] == r["level_b"] else \
            f"{r['level_a']} → {r['level_b']}"
        titles = (r["titles_a"] or "–") if r["titles_a"] == r["titles_b"] else \
            f"{r['titles_a'] or '–'} → {r['titles_b'] or '–'}"
        why = [f"+ {n}" for n in r["added"]] + [f"− {n}" for n in r["removed"]]
        table.add_row(r["official_id"], r["full_name"], r["unit_id"], score, level, titles,
                      "\n".join(why) or "(cùng lý do; khác vì tỷ lệ của nhóm)")
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
    out.print(f"{cmp.compared} người được so sánh: {cmp.level_changes} người đổi mức, "
              f"{cmp.title_changes} người đổi danh hiệu.")
    if cmp.only_a or cmp.only_b:
        out.print(f"Chỉ có trong {cmp.label_a}: {', '.join(cmp.only_a) or 'không'}; "
                  f"chỉ có trong {cmp.label_b}: {', '.join(cmp.only_b) or 'không'}.")


@main.command()
@click.argument("run_a", type=int)
@click.argument("run_b", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
@db_option
@user_errors
def diff(run_a: int, run_b: int, as_json: bool, db: str | None) -> None:
    """Compare two stored runs: who changes level or title, and the reasons that differ
    (final values, after council overrides).

    \b
    Example:
      xeploai diff 1 2
      xeploai diff 1 2 --json
    """
    print_comparison(compare_runs(open_db(db), run_a, run_b), as_json)


@main.command()
@click.argument("official_id")
@click.option("--level", default=None, metavar="CODE",
              help="Final level: HTXSNV, HTTNV, HTNV, KHTNV or KXL.")
@click.option("--title", "titles", multiple=True, metavar="CODE",
              help="A final title (LDTT, CSTDCS, CCHC); repeat for several. The list "
                   "replaces the engine's titles.")
@click.option("--no-title", is_flag=True, help="The official gets no title.")
@click.option("--reason", required=True, help="Why the council decided so (kept in exports).")
@click.option("--by", "by", required=True, metavar="NAME", help="Who decided.")
@click.option("--run", "run_id", type=int, default=None, help="Run id (default: latest).")
@db_option
@user_errors
def override(official_id: str, level: str | None, titles: tuple[str, ...], no_title: bool,
             reason: str, by: str, run_id: int | None, db: str | None) -> None:
    """Record a council decision that changes one official's level and/or titles.

    The engine's value stays visible beside the decision in exports and `explain`; a
    decision that breaks the 20 % or 15 % share is recorded but flagged.

    \b
    Example:
      xeploai override BD0029 --level HTTNV --reason "Biên bản họp HĐ số 12 ngày 10/01/2024" \\
          --by "Nguyễn Văn A"
      xeploai override BD0005 --title LDTT --reason "..." --by "..." --run 3
      xeploai override BD0007 --no-title --reason "..." --by "..."
    """
    if titles and no_title:
        raise click.UsageError("--title and --no-title exclude each other")
    title_list = list(titles) if titles else ([] if no_title else None)
    outcome = record_override(open_db(db), official_id, reason=reason, by=by, level=level,
                              titles=title_list, run_id=run_id)
    rec = outcome.record
    what = []
    if rec.level is not None:
        what.append(f"mức {rec.engine_level} → {rec.level}")
    if rec.titles is not None:
        what.append(f"danh hiệu {rec.engine_titles or 'không'} → {rec.titles or 'không'}")
    out.print(f"Đã ghi quyết định số {rec.id} (lần chạy số {rec.run_id}): {official_id}: "
              f"{'; '.join(what)}", markup=False)
    if outcome.flag:
        err.print(f"[yellow]cảnh báo:[/] {outcome.flag} — quyết định vẫn được ghi", markup=True)


def _overrides_table(decisions: pd.DataFrame, title: str, flags: dict[str, str]) -> Table:
    table = Table(title=title, show_lines=True)
    for col in ("Số", "Lần chạy", "Mã cán bộ", "Mức", "Danh hiệu", "Lý do", "Người quyết định",
                "Ngày", "Cảnh báo"):
        table.add_column(col, overflow="fold")
    for d in decisions.to_dict("records"):
        level = "–" if d["level"] is None or pd.isna(d["level"]) else \
            f"{d['engine_level']} → {d['level']}"
        titles = "–" if d["titles"] is None or pd.isna(d["titles"]) else \
            f"{d['engine_titles'] or 'không'} → {d['titles'] or 'không'}"
        table.add_row(str(d["id"]), str(d["run_id"]), d["official_id"], level, titles,
                      d["reason"], d["decided_by"], str(d["created_at"])[:10],
                      flags.get(d["official_id"], ""))
    return table


@main.command("overrides")
@click.option("--run", "run_id", type=int, default=None, help="Run id (default: latest).")
@click.option("--all", "all_runs", is_flag=True, help="Every run's decisions.")
@db_option
@user_errors
def overrides_cmd(run_id: int | None, all_runs: bool, db: str | None) -> None:
    """List the council's decisions on a run, with the engine's values and any warning,
    and the decisions of an earlier run of the same year not yet re-applied.

    \b
    Example:
      xeploai overrides
      xeploai overrides --run 2
      xeploai overrides --all
    """
    engine = open_db(db)
    if all_runs:
        out.print(_overrides_table(load_overrides(engine), "Mọi quyết định điều chỉnh", {}))
        return
    view = council_view(engine, run_id)
    flags = dict(zip(view.results["official_id"], view.results["flag"], strict=True))
    if view.decisions.empty:
        out.print(f"Lần chạy số {view.run_id} chưa có quyết định điều chỉnh nào.")
    else:
        out.print(_overrides_table(view.decisions,
                                   f"Điều chỉnh của Hội đồng — lần chạy số {view.run_id}",
                                   {k: v for k, v in flags.items() if v}))
    pending = pending_overrides(engine, view.run_id)
    if not pending.empty:
        out.print(_overrides_table(
            pending, f"Chờ áp dụng lại: quyết định của lần chạy trước, chưa có trong lần chạy "
                     f"số {view.run_id}", {}))
        out.print("Mỗi quyết định thuộc về một lần chạy; muốn giữ, ghi lại bằng "
                  f"'xeploai override … --run {view.run_id}'.")


@main.command()
@db_option
@user_errors
def runs(db: str | None) -> None:
    """List the stored runs with what makes each reproducible: policy hash, input file
    hashes, plugin versions, tool version and time.

    \b
    Example:
      xeploai runs
    """
    engine = open_db(db)
    records = list_runs(engine)
    if not records:
        get_run(engine)  # the "no run yet" message
    decisions = load_overrides(engine)
    per_run = decisions.groupby("run_id").size().to_dict() if len(decisions) else {}
    table = Table(title="Các lần chạy")
    for col in ("Số", "Năm", "Thời điểm (UTC)", "Số người", "Chính sách", "Mã băm chính sách",
                "Tệp dữ liệu (mã băm)", "Quy tắc", "Phiên bản", "Điều chỉnh"):
        table.add_column(col, overflow="fold")
    for r in records:
        hashes = json.loads(r.input_hashes)
        plugins = json.loads(r.plugins)
        table.add_row(str(r.id), str(r.year), f"{r.created_at:%Y-%m-%d %H:%M:%S}",
                      str(r.officials), r.policy_name, r.policy_hash[:12],
                      "\n".join(f"{k} {v[:12]}" for k, v in sorted(hashes.items())),
                      "\n".join(f"{k} {v}" for k, v in plugins.items()), r.tool_version,
                      str(per_run.get(r.id, 0)))
    out.print(table)
