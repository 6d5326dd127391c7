"""The ``xeploai`` command: a thin layer over :mod:`xeploai.scoring.api` (SPEC §7).

Exit codes: 0 success, 1 a user error (bad input, unknown id) with a message and no
traceback, 2 wrong usage (click's own).

Language (:mod:`xeploai.scoring.i18n`): texts are written in Vietnamese; a printed line goes
through ``_()`` with ``.format`` for its values; help texts are translated by the group
itself. ``--json`` output is ``json.dumps`` of plain structures (:func:`print_json`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich.table import Table

from . import __version__, api
from .cli_common import (
    XeploaiGroup,
    allow_paths_option,
    db_option,
    err,
    json_option,
    load_paths_option,
    out,
    policy_option,
    print_json,
    user_errors,
    warn,
)
from .i18n import LANG_ENV, LANGUAGES, _, format_date
from .policy import parameter_values
from .summary import LEVELS, SHOWN_UNITS, summarise

# the council's commands and the workspace's, imported only when one of them is asked for
# (``xeploai run`` needs none of their machinery)
LAZY_COMMANDS: dict[str, str] = {
    **{name: f"{__package__}.cli_council:{attribute}"
       for name, attribute in (("diff", "diff"), ("override", "override"),
                               ("overrides", "overrides_cmd"), ("finalize", "finalize"),
                               ("reopen", "reopen"), ("runs", "runs"))},
    **{name: f"{__package__}.cli_web:{name}" for name in ("serve", "user")},
}

@click.group(cls=XeploaiGroup, context_settings={"help_option_names": ["-h", "--help"]},
             lazy_commands=LAZY_COMMANDS)
@click.version_option(__version__, prog_name="xeploai")
@click.option("--lang", type=click.Choice(LANGUAGES), envvar=LANG_ENV, is_eager=True,
              expose_value=False,
              help="Ngôn ngữ: vi (tiếng Việt, mặc định) hoặc en (tiếng Anh); hoặc biến môi "
                   "trường XEPLOAI_LANG.")
def main() -> None:
    """xeploai — đánh giá, xếp loại chất lượng cán bộ, công chức, viên chức.

    Xếp loại mọi cán bộ, công chức, viên chức của một năm từ dữ liệu trong một thư mục, lưu
    lần chạy cùng mọi lý do, và xuất các tệp Hội đồng thi đua – khen thưởng cần.

    \b
    Ví dụ:
      xeploai run --data examples/binh_dinh_2023 --year 2023
      xeploai explain BD0001
    """


def summary_table(results: pd.DataFrame, title: str, all_units: bool = False) -> Table:
    """Totals and the largest units (every unit with ``all_units``): a province's thousands
    of unit rows would bury the run id and cost seconds to print."""
    summary = summarise(results, all_units)
    table = Table(title=title, show_footer=True)
    footers = (_("Tổng cộng"), *(str(v) for v in summary.total))
    unit_column = _("Đơn vị")
    for col, footer in zip((unit_column, _("Số người"), *LEVELS, "LĐTT", "CSTĐCS", "CCHC"),
                           footers, strict=True):
        table.add_column(col, footer=footer, justify="left" if col == unit_column else "right")
    for unit, row in summary.shown.iterrows():  # at most SHOWN_UNITS rows unless --all
        table.add_row(str(unit), *(str(v) for v in row))
    if summary.folded_units:
        table.add_row(_("… {units} đơn vị khác (--all để xem hết)")
                      .format(units=summary.folded_units), *(str(v) for v in summary.folded))
    return table


all_option = click.option("--all", "all_units", is_flag=True,
                          help="In mọi đơn vị trong bảng tóm tắt (mặc định: tổng cộng và "
                               f"{SHOWN_UNITS} đơn vị đông người nhất).")


@contextlib.contextmanager
def progress_steps(steps: tuple[str, ...]) -> Iterator[Callable[[str], None]]:
    """A progress bar over named steps on a terminal; nothing in logs, pipes and tests."""
    if not err.is_terminal:
        yield lambda _name: None
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("", total=len(steps))
        started = [False]

        def advance(name: str) -> None:
            bar.update(task, description=name, advance=1 if started[0] else 0)
            started[0] = True

        yield advance
        bar.update(task, completed=len(steps))


@main.command()
@click.option("--data", "data_dir", required=True, type=click.Path(file_okay=False),
              metavar="THƯ_MỤC",
              help="Thư mục dữ liệu (units, officials, dossiers, … dạng .csv hoặc .xlsx).")
@click.option("--year", required=True, type=int, metavar="NĂM",
              help="Năm đánh giá, ví dụ 2023.")
@click.option("--set", "settings", multiple=True, metavar="MỤC.THAM_SỐ=GIÁ_TRỊ",
              help="Chạy thử: cho một tham số chính sách giá trị khác từ ngày 1 tháng 1 của "
                   "NĂM (lặp lại được; cần --dry-run).")
@click.option("--dry-run", is_flag=True,
              help="Xếp loại và hiện kết quả nhưng không lưu; với --set, hiện ai đổi mức hoặc "
                   "danh hiệu so với chính sách hiện hành, và vì sao.")
@click.option("--by-unit", "by_unit", type=click.IntRange(min=1), default=None, metavar="N",
              help="Cho dữ liệu quá lớn so với bộ nhớ (cả nước): đọc hồ sơ theo khối và xếp "
                   "loại từng nhóm đơn vị có tối đa N người; cùng kết quả, một lần chạy được "
                   "lưu.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"]),
              default=None, metavar="NGÀY",
              help="Ngày chốt số liệu (YYYY-MM-DD hoặc DD/MM/YYYY): hồ sơ hẹn trả sau ngày "
                   "này chưa đến hạn; mặc định 31/12 của năm đánh giá, hoặc hôm nay nếu "
                   "sớm hơn. Được ghi vào lần chạy.")
@click.option("--again", is_flag=True,
              help="Vẫn lưu khi dữ liệu, chính sách và quy tắc giống hệt một lần chạy đã có "
                   "(mặc định: từ chối và chỉ ra lần chạy đó).")
@all_option
@policy_option
@allow_paths_option
@db_option
@user_errors
def run(data_dir: str, year: int, settings: tuple[str, ...], dry_run: bool,
        by_unit: int | None, as_of: dt.datetime | None, again: bool, all_units: bool,
        policy: str | None, allow_plugin_paths: tuple[str, ...], db: str | None) -> None:
    """Kiểm tra dữ liệu, xếp loại mọi cán bộ của NĂM và lưu lần chạy.

    \b
    Ví dụ:
      xeploai run --data examples/binh_dinh_2023 --year 2023
      xeploai run --data examples/binh_dinh_2023 --year 2023 \\
          --set late_dossiers.repeat_threshold=2 --dry-run
      xeploai run --data ca_nuoc_2023 --year 2023 --by-unit 100000
      xeploai run --data examples/gia_lai_2026 --year 2026 --as-of 2026-11-30
    """
    if by_unit is not None and (settings or dry_run):
        raise click.UsageError(_("--by-unit lưu một lần chạy: không dùng cùng --set hoặc "
                                 "--dry-run được"))
    if settings and not dry_run:
        raise click.UsageError(_("--set cần --dry-run: lần chạy được lưu luôn theo một tệp "
                                 "chính sách; muốn lưu với giá trị khác, hãy sửa tệp đó"))
    if settings:
        from .cli_council import print_comparison
        from .compare import parse_settings, what_if

        wi = what_if(data_dir, year, parse_settings(settings), policy=policy)
        out.print(summary_table(wi.results, _("Chạy thử năm {year} — {label} (không lưu)")
                                .format(year=year, label=wi.comparison.label_b), all_units))
        print_comparison(wi.comparison, as_json=False)
        return
    with progress_steps(api.RUN_STEPS if not dry_run else api.RUN_STEPS[:2]) as step:
        outcome = api.run(data_dir, year, policy=policy, db=db, store=not dry_run,
                          again=again, on_step=step,
                          as_of=as_of.date() if as_of else None,
                          allow_plugin_paths=allow_plugin_paths,
                          by_unit=None if by_unit is None else api.ByUnit(by_unit))
    for w in [*outcome.policy_warnings, *outcome.dataset.warnings]:
        warn(w)
    if dry_run:
        out.print(summary_table(outcome.classification.results,
                                _("Kết quả xếp loại năm {year} — chạy thử, không lưu")
                                .format(year=year), all_units))
        return
    if outcome.classification is None or by_unit is not None:  # stored group by group
        out.print(_("Đã xếp loại {officials} người ({reasons} lý do) theo {groups} nhóm đơn "
                    "vị — lần chạy số {run}").format(officials=outcome.officials,
                                                      reasons=outcome.reasons,
                                                      groups=outcome.groups,
                                                      run=outcome.run_id))
    else:
        out.print(summary_table(outcome.classification.results,
                                _("Kết quả xếp loại năm {year} — lần chạy số {run}")
                                .format(year=year, run=outcome.run_id), all_units))
    if outcome.repeats_run is not None:
        warn(_("lần chạy số {run} lặp lại lần chạy số {earlier} (cùng dữ liệu, chính sách và "
               "quy tắc; lưu vì --again)").format(run=outcome.run_id,
                                                  earlier=outcome.repeats_run))
    out.print(_("Mã lần chạy: {run}").format(run=outcome.run_id))


run_option = click.option("--run", "run_id", type=int, default=None, metavar="SỐ",
                          help="Mã lần chạy (mặc định: lần mới nhất).")


@main.command()
@click.argument("official_id", metavar="MÃ_CÁN_BỘ")
@run_option
@click.option("--json", "as_json", is_flag=True, help="In phần giải thích dạng JSON.")
@db_option
@user_errors
def explain(official_id: str, run_id: int | None, as_json: bool, db: str | None) -> None:
    """Mọi lý do đằng sau kết quả của một cán bộ: quy tắc, chứng cứ, tham số, căn cứ pháp lý.

    \b
    Ví dụ:
      xeploai explain BD0001
      xeploai explain BD0001 --run 3 --json
    """
    # imported here: the council's view and sign-off behind an explanation are not what
    # `xeploai run` needs at start-up
    from .explain import explanation, render_text
    from .storage import open_db

    exp = explanation(open_db(db), official_id, run_id)
    if as_json:
        print_json(exp)
    else:
        click.echo(render_text(exp))


@main.command()
@click.option("--run", "run_id", type=int, default=None, metavar="SỐ",
              help="Số lần chạy (mặc định: lần chạy đã chốt của năm, nếu có, không thì lần "
                   "chạy mới nhất của năm).")
@click.option("--year", type=int, default=None, metavar="NĂM",
              help="Năm đánh giá khi không ghi --run (mặc định: năm của lần chạy mới nhất).")
@click.option("--format", "fmt", type=click.Choice(api.EXPORT_FORMATS), required=True,
              help="xlsx (sổ tính cho Hội đồng: trang tổng hợp và một trang mỗi đơn vị), csv "
                   "(UTF-8 có BOM, mở được bằng Excel) hoặc json (đầy đủ các lý do).")
@click.option("--out", "out_path", required=True, metavar="TỆP",
              help="Tệp ghi ra, hoặc - để in ra màn hình (chỉ csv và json).")
@click.option("--force", is_flag=True,
              help="Ghi đè tệp nếu đã có (mặc định không bao giờ ghi đè tệp đã có).")
@click.option("--settings", "settings_path", type=click.Path(dir_okay=False), default=None,
              help="pdf: tệp TOML cấu hình văn bản ([document]: agency, parent_agency, place, "
                   "date, number_results, number_titles, number_summary, preparer, head, "
                   "chair; [peer_groups]: tên nhóm chức danh).")
@click.option("--agency", default=None, help="pdf: cơ quan ban hành (thay giá trị trong tệp).")
@click.option("--parent-agency", default=None, help="pdf: cơ quan chủ quản (dòng trên).")
@click.option("--place", default=None, help="pdf: địa danh ghi trước ngày tháng.")
@click.option("--doc-date", default=None, metavar="DD/MM/YYYY",
              help="pdf: ngày văn bản (mặc định để trống, điền tay).")
@db_option
@user_errors
def export(run_id: int | None, year: int | None, fmt: str, out_path: str, force: bool,
           settings_path: str | None, agency: str | None, parent_agency: str | None,
           place: str | None, doc_date: str | None, db: str | None) -> None:
    """Ghi tệp cho Hội đồng của một lần chạy: mỗi cán bộ một dòng với mức và danh hiệu cuối
    cùng (sau điều chỉnh của Hội đồng), đề xuất của chương trình và các lý do; hoặc các văn
    bản pdf Hội đồng ký.

    \b
    Ví dụ:
      xeploai export --format xlsx --out ket_qua_2023.xlsx
      xeploai export --format csv --out ket_qua_2023.csv
      xeploai export --run 3 --format json --out -
      xeploai export --format xlsx --out ket_qua_2023.xlsx --force   # ghi đè
      xeploai export --format pdf --out hoi_dong_2023.pdf --settings van_ban.toml
    """
    if out_path == "-" and fmt in ("xlsx", "pdf"):
        raise click.UsageError(_("{format} cần một tên tệp: --out ket_qua.{format}")
                               .format(format=fmt))
    settings = None
    if fmt == "pdf":
        from .overrides import parse_date
        from .pdf_export import DocumentSettings, load_settings

        base = load_settings(Path(settings_path)) if settings_path else DocumentSettings()
        settings = base.with_options(agency=agency, parent_agency=parent_agency, place=place,
                                     date=parse_date(doc_date) if doc_date else None)
    target = sys.stdout if out_path == "-" else Path(out_path)
    busy = err.status(_("Đang ghi tệp…")) if err.is_terminal and out_path != "-" \
        else contextlib.nullcontext()
    with busy:
        rid, n = api.export_run(db, fmt, target, run_id, force=force,  # type: ignore[arg-type]
                                year=year, settings=settings)
    if out_path != "-":
        err.print(_("Đã ghi {rows} dòng (lần chạy số {run}) vào {path}")
                  .format(rows=n, run=rid, path=out_path))


@main.command()
@click.option("--data", "data_dir", required=True, type=click.Path(file_okay=False),
              metavar="THƯ_MỤC", help="Thư mục dữ liệu cần kiểm tra.")
@click.option("--year", type=int, default=None, metavar="NĂM",
              help="Năm đánh giá: kiểm tra thêm năm có hợp lệ và dữ liệu có gì thuộc năm đó.")
@policy_option
@allow_paths_option
@user_errors
def validate(data_dir: str, year: int | None, policy: str | None,
             allow_plugin_paths: tuple[str, ...]) -> None:
    """Chỉ kiểm tra dữ liệu đầu vào và liệt kê mọi lỗi (không lưu gì).

    \b
    Ví dụ:
      xeploai validate --data examples/binh_dinh_2023
    """
    dataset = api.validate(data_dir, policy=policy, year=year,
                           allow_plugin_paths=allow_plugin_paths)
    for w in dataset.warnings:
        warn(w)
    counts = ", ".join(f"{name}: {len(df)}" for name, df in dataset.tables.items())
    out.print(_("Dữ liệu hợp lệ ({counts})").format(counts=counts))


@main.command()
@click.option("--officials", type=click.IntRange(min=1), required=True, metavar="SỐ",
              help="Số cán bộ (một tỉnh có khoảng 50.000).")
@click.option("--dossiers", type=click.IntRange(min=0), required=True, metavar="SỐ",
              help="Số hồ sơ (một tỉnh giải quyết khoảng 2.000.000 hồ sơ mỗi năm).")
@click.option("--year", required=True, type=click.IntRange(1900, 9000), metavar="NĂM",
              help="Năm đánh giá mà dữ liệu mô tả, ví dụ 2023.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              metavar="THƯ_MỤC", help="Thư mục ghi các tệp CSV (tạo mới nếu chưa có).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              metavar="SỐ",
              help="Hạt giống ngẫu nhiên: cùng hạt giống và cỡ dữ liệu luôn cho cùng các tệp.")
@click.option("--force", is_flag=True,
              help="Ghi vào thư mục đã có tệp (mặc định từ chối, để không ghi đè dữ liệu thật).")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"]),
              default=None, metavar="NGÀY",
              help="Dữ liệu trích xuất vào ngày này, trước khi hết năm: không có việc gì xảy "
                   "ra sau ngày đó (mặc định: trích xuất ngày 10/01 năm sau).")
@user_errors
def generate(officials: int, dossiers: int, year: int, out_dir: str, seed: int,
             force: bool, as_of: dt.datetime | None) -> None:
    """Ghi một bộ dữ liệu tổng hợp (các tệp CSV theo đặc tả) để kiểm thử, trình diễn và đo
    tốc độ.

    Tên, đơn vị và tỷ lệ (hồ sơ trễ hạn, nhắc nhở, kỷ luật, sáng kiến) giống một tỉnh thật;
    không dòng nào mô tả người thật. Hồ sơ được ghi theo từng khối, nên cả cỡ cả nước
    (100.000.000 hồ sơ) cũng cần ít bộ nhớ.

    \b
    Ví dụ:
      xeploai generate --officials 1000 --dossiers 40000 --year 2023 --out data/nho
      xeploai run --data data/nho --year 2023
      xeploai generate --officials 1000 --dossiers 40000 --year 2026 --as-of 2026-11-30 \
          --out data/2026
    """
    from .generate import generate_dataset

    counts = generate_dataset(Path(out_dir), officials=officials, dossiers=dossiers,
                              year=year, seed=seed, force=force,
                              as_of=as_of.date() if as_of else None)
    for name, n in counts.items():
        out.print(_("{name}: {rows} dòng").format(name=name, rows=n))
    out.print(_("Đã ghi dữ liệu tổng hợp vào {path}").format(path=out_dir))


@main.command()
@policy_option
@load_paths_option
@allow_paths_option
@json_option
@user_errors
def plugins(policy: str | None, load_path_plugins: bool, allow_plugin_paths: tuple[str, ...],
            as_json: bool) -> None:
    """Liệt kê các plugin quy tắc: tên, phiên bản, nguồn, hook, quy tắc, tham số, bảng dữ liệu.

    Nguồn: built-in (đi kèm), entry point (một gói đã cài) hoặc path (tệp ghi trong
    plugin_paths của tệp chính sách; chỉ được nạp khi có --load-path-plugins).
    XEPLOAI_PLUGINS=a,b chỉ nạp các plugin đã cài có tên đó; XEPLOAI_TRACE_HOOKS=1 in mọi
    lời gọi hook và kết quả ra stderr.

    \b
    Ví dụ:
      xeploai plugins
      xeploai plugins --json
    """
    session = api.Session.open(policy, load_path_plugins=load_path_plugins,
                               allow_plugin_paths=allow_plugin_paths)
    enabled = session.policy.enabled_plugins
    listed: list[dict[str, Any]] = []
    for name in sorted(session.registry.plugins):
        p = session.registry.plugins[name]
        listed.append({
            "name": name, "version": p.info.version, "source": p.source,
            "enabled": enabled is None or name in enabled, "loaded": True,
            "hooks": list(p.hooks),
            "rules": [{"id": r.id, "assumption": r.assumption} for r in p.info.rules],
            "parameters": list(p.info.params_model.model_fields) if p.info.params_model else [],
            "tables": [t.name for t in p.info.tables]})
    for name, target in sorted(session.registry.skipped.items()):
        listed.append({"name": name, "version": None, "source": f"entry point: {target}",
                       "enabled": False, "loaded": False, "skipped_by": "XEPLOAI_PLUGINS",
                       "hooks": [], "rules": [], "parameters": [], "tables": []})
    for path in session.unloaded_paths:
        listed.append({"name": None, "version": None, "source": f"path: {path}",
                       "enabled": None, "loaded": False, "hooks": [], "rules": [],
                       "parameters": [], "tables": []})
    for w in session.warnings:
        warn(w)
    if as_json:
        print_json(listed)
        return
    table = Table(title=_("Plugin quy tắc"))
    for col in (_("Tên"), _("Phiên bản"), _("Nguồn"), _("Bật"), "Hooks", _("Quy tắc"),
                _("Tham số"), _("Bảng")):
        table.add_column(col, overflow="fold")
    yes, no = _("có"), _("không")
    for item in listed:
        if item.get("skipped_by"):
            state = _("không (XEPLOAI_PLUGINS)")
        elif not item["loaded"]:
            state = _("chưa nạp (thêm --load-path-plugins)")
        else:
            state = yes if item["enabled"] else no
        table.add_row(
            item["name"] or "", item["version"] or "", item["source"], state,
            "\n".join(item["hooks"]),
            "\n".join(r["id"] + (_(" [giả định]") if r["assumption"] else "")
                      for r in item["rules"]),
            "\n".join(item["parameters"]), "\n".join(item["tables"]))
    out.print(table)


@main.group()
def policy() -> None:
    """Đọc một tệp chính sách: các tham số theo ngày áp dụng và căn cứ pháp lý của chúng.

    \b
    Ví dụ:
      xeploai policy show --year 2023
    """


@policy.command("show")
@click.option("--year", type=int, default=None, metavar="NĂM",
              help="Chỉ hiện các giá trị có hiệu lực cho năm đánh giá này (mặc định: mọi giá "
                   "trị theo ngày).")
@policy_option
@load_paths_option
@allow_paths_option
@json_option
@user_errors
def policy_show(year: int | None, policy: str | None, load_path_plugins: bool,
                allow_plugin_paths: tuple[str, ...], as_json: bool) -> None:
    """In giá trị của từng tham số, ngày bắt đầu áp dụng và căn cứ pháp lý.

    Với --year: các giá trị có hiệu lực cho năm đó, đọc vào ngày 31 tháng 12, riêng danh
    hiệu đọc vào ngày xét danh hiệu. Tệp chính sách được kiểm tra trước (mục lạ, sai kiểu,
    thiếu giá trị là lỗi); mục của plugin theo đường dẫn chỉ được kiểm tra khi có
    --load-path-plugins.

    \b
    Ví dụ:
      xeploai policy show --year 2023
      xeploai policy show --policy examples/plugins/complaints/policy.toml --json
    """
    session = api.Session.open(policy, load_path_plugins=load_path_plugins,
                               allow_plugin_paths=allow_plugin_paths)
    rows = parameter_values(session.policy, year)
    for w in session.warnings:
        warn(w)
    if as_json:
        print_json({"policy": session.policy.name, "year": year,
                    "plugins": list(session.policy.enabled_plugins)
                    if session.policy.enabled_plugins is not None else None,
                    "parameters": [{"key": r.key, "value": r.value,
                                    "from": r.start.isoformat() if r.start else None,
                                    "read_on": r.read_on.isoformat() if r.read_on else None,
                                    "reference": r.reference, "assumption": r.assumption,
                                    "description": r.description} for r in rows]})
        return
    if year is None:
        title = _("Chính sách {name}").format(name=session.policy.name)
    else:
        title = _("Chính sách {name} — giá trị áp dụng cho năm đánh giá {year}").format(
            name=session.policy.name, year=year)
    table = Table(title=title)
    for col in (_("Tham số"), _("Giá trị"), _("Áp dụng từ"), _("Căn cứ")):
        table.add_column(col, overflow="fold")
    for r in rows:
        basis = (_("[giả định] ") if r.assumption else "") + r.reference
        value = _("— chưa có giá trị") if r.start is None else json.dumps(
            r.value, ensure_ascii=False, default=str)
        start = "" if r.start is None else format_date(r.start)
        if r.read_on is not None and r.read_on != dt.date(year or 1, 12, 31):
            start += _(" (đọc ngày {date})").format(date=format_date(r.read_on))
        table.add_row(r.key, value, start, basis)
    out.print(table)


if __name__ == "__main__":  # pragma: no cover
    main()
