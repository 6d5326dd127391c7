"""The ``xeploai`` command: a thin layer over :mod:`xeploai.scoring.api` (SPEC §7).

Exit codes: 0 success, 1 a user error (bad input, unknown id) with a message and no
traceback, 2 wrong usage (click's own).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text
from xeploai.scoring import __version__, api
from xeploai.scoring.errors import InvalidInputError, XeploaiError
from xeploai.scoring.explain import explanation, render_text
from xeploai.scoring.policy import parameter_values
from xeploai.scoring.storage import open_db
from xeploai.scoring.summary import LEVELS, SHOWN_UNITS, summarise

# a pipe or a test runner has no width: give tables room rather than 80 truncated columns.
# markup=False: what a user types or a data file holds ("STP [/cu]", "[bold]X[/bold]") is
# shown as written, never read as rich markup; our own colours go through Text styles.
err = Console(stderr=True, highlight=False, markup=False,
              width=None if sys.stderr.isatty() else 200)
out = Console(highlight=False, markup=False, width=None if sys.stdout.isatty() else 200)


def warn(message: object) -> None:
    """One warning line on stderr: the label in colour, the message as written."""
    err.print(Text.assemble(("cảnh báo:", "yellow"), " ", str(message)))

db_option = click.option("--db", "db", metavar="URL", envvar="XEPLOAI_DB", default=None,
                         help="Database URL (default sqlite:///xeploai.db; env XEPLOAI_DB).")
policy_option = click.option("--policy", type=click.Path(dir_okay=False), default=None,
                             help="Policy file (default config/binh_dinh_2023.toml).")


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the errors a user can fix into a message and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InvalidInputError as exc:
            for w in exc.warnings:
                warn(w)
            err.print(exc.render(limit=10_000))
            sys.exit(1)
        except XeploaiError as exc:
            err.print(f"Lỗi: {exc}")
            sys.exit(1)
        except OSError as exc:  # a file or folder the system refuses: a message, not a traceback
            where = f" {exc.filename}" if exc.filename else ""
            err.print(f"Lỗi: không đọc hoặc ghi được{where}: {exc.strerror or exc}")
            sys.exit(1)
        except KeyboardInterrupt:
            # a run is one transaction and exports go through a temporary file, so an
            # interruption leaves nothing half-written
            err.print("Đã dừng (Ctrl-C): không có gì được lưu hoặc ghi dở.")
            sys.exit(130)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xeploai")
def main() -> None:
    """xeploai — đánh giá, xếp loại chất lượng cán bộ, công chức, viên chức.

    Classifies every official of a year from the records in a dataset folder, stores the
    run with every reason, and exports what the commendation council needs.

    \b
    Example:
      xeploai run --data examples/binh_dinh_2023 --year 2023
      xeploai explain BD0001
    """


def summary_table(results: pd.DataFrame, title: str, all_units: bool = False) -> Table:
    """Totals and the largest units (every unit with ``all_units``): a province's thousands
    of unit rows would bury the run id and cost seconds to print."""
    summary = summarise(results, all_units)
    table = Table(title=title, show_footer=True)
    footers = ("Tổng cộng", *(str(v) for v in summary.total))
    for col, footer in zip(("Đơn vị", "Số người", *LEVELS, "LĐTT", "CSTĐCS", "CCHC"),
                           footers, strict=True):
        table.add_column(col, footer=footer, justify="left" if col == "Đơn vị" else "right")
    for unit, row in summary.shown.iterrows():  # at most SHOWN_UNITS rows unless --all
        table.add_row(escape(str(unit)), *(str(v) for v in row))
    if summary.folded_units:
        table.add_row(f"… {summary.folded_units} đơn vị khác (--all để xem hết)",
                      *(str(v) for v in summary.folded))
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
              help="Dataset folder (units, officials, dossiers, … as .csv or .xlsx).")
@click.option("--year", required=True, type=int, help="Evaluation year, e.g. 2023.")
@click.option("--set", "settings", multiple=True, metavar="SECTION.NAME=VALUE",
              help="What-if: give a policy parameter another value from 1 January of YEAR "
                   "(repeatable; needs --dry-run).")
@click.option("--dry-run", is_flag=True,
              help="Classify and show the result but store nothing; with --set, show who "
                   "changes level or title against the policy as it is, and why.")
@click.option("--by-unit", "by_unit", type=click.IntRange(min=1), default=None, metavar="N",
              help="For data too big for memory (a whole country): read the dossiers in "
                   "blocks and classify groups of units of at most N officials at a time; "
                   "same results, one stored run.")
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
@db_option
@user_errors
def run(data_dir: str, year: int, settings: tuple[str, ...], dry_run: bool,
        by_unit: int | None, as_of: dt.datetime | None, again: bool, all_units: bool,
        policy: str | None, db: str | None) -> None:
    """Validate the data, classify every official of YEAR and store the run.

    \b
    Example:
      xeploai run --data examples/binh_dinh_2023 --year 2023
      xeploai run --data examples/binh_dinh_2023 --year 2023 \\
          --set late_dossiers.repeat_threshold=2 --dry-run
      xeploai run --data ca_nuoc_2023 --year 2023 --by-unit 100000
      xeploai run --data examples/gia_lai_2026 --year 2026 --as-of 2026-11-30
    """
    if by_unit is not None:
        if settings or dry_run:
            raise click.UsageError("--by-unit stores a run: it can't be combined with --set "
                                   "or --dry-run")
        from xeploai.scoring.sharded import run_sharded

        done = run_sharded(data_dir, year, policy=policy, db=db, max_officials=by_unit)
        for w in done.warnings:
            warn(w)
        out.print(f"Đã xếp loại {done.officials} người ({done.reasons} lý do) theo "
                  f"{done.groups} nhóm đơn vị — lần chạy số {done.run_id}")
        out.print(f"run id: {done.run_id}")
        return
    if settings and not dry_run:
        raise click.UsageError("--set needs --dry-run: a stored run always follows a policy "
                               "file; change the file to store a run with other values")
    if settings:
        from xeploai.scoring.cli_council import print_comparison
        from xeploai.scoring.compare import parse_settings, what_if

        wi = what_if(data_dir, year, parse_settings(settings), policy=policy)
        out.print(summary_table(wi.results, f"Chạy thử năm {year} — {wi.comparison.label_b} "
                                            "(không lưu)", all_units))
        print_comparison(wi.comparison, as_json=False)
        return
    with progress_steps(api.RUN_STEPS if not dry_run else api.RUN_STEPS[:2]) as step:
        outcome = api.run(data_dir, year, policy=policy, db=db, store=not dry_run,
                          again=again, on_step=step,
                          as_of=as_of.date() if as_of else None)
    for w in outcome.dataset.warnings:
        warn(w)
    if dry_run:
        out.print(summary_table(outcome.classification.results,
                                f"Kết quả xếp loại năm {year} — chạy thử, không lưu",
                                all_units))
        return
    out.print(summary_table(outcome.classification.results,
                            f"Kết quả xếp loại năm {year} — lần chạy số {outcome.run_id}",
                            all_units))
    if outcome.repeats_run is not None:
        err.print(f"cảnh báo: lần chạy số {outcome.run_id} lặp lại lần chạy số "
                  f"{outcome.repeats_run} (cùng dữ liệu, chính sách và quy tắc; lưu vì --again)",
                  markup=False)
    out.print(f"run id: {outcome.run_id}")


@main.command()
@click.argument("official_id")
@click.option("--run", "run_id", type=int, default=None, help="Run id (default: latest).")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@db_option
@user_errors
def explain(official_id: str, run_id: int | None, as_json: bool, db: str | None) -> None:
    """Show every reason behind one official's result: rule, evidence, parameters, basis.

    \b
    Example:
      xeploai explain BD0001
      xeploai explain BD0001 --run 3 --json
    """
    exp = explanation(open_db(db), official_id, run_id)
    if as_json:
        click.echo(json.dumps(exp, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(render_text(exp))


@main.command()
@click.option("--run", "run_id", type=int, default=None,
              help="Số lần chạy (mặc định: lần chạy đã chốt của năm, nếu có, không thì lần "
                   "chạy mới nhất của năm).")
@click.option("--year", type=int, default=None,
              help="Năm đánh giá khi không ghi --run (mặc định: năm của lần chạy mới nhất).")
@click.option("--format", "fmt", type=click.Choice(api.EXPORT_FORMATS), required=True,
              help="xlsx (council workbook: summary + one sheet per unit, Vietnamese), "
                   "csv (UTF-8 with BOM, opens in Excel) or json (full reason objects).")
@click.option("--out", "out_path", required=True,
              help="Output file, or - for stdout (csv and json only).")
@click.option("--force", is_flag=True,
              help="Replace the output file if it exists (by default an existing file is "
                   "never overwritten).")
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
    """Write the council file of a run: one row per official with the final level and
    titles (after council overrides), the engine's proposal and the reasons.

    \b
    Example:
      xeploai export --format xlsx --out ket_qua_2023.xlsx
      xeploai export --format csv --out ket_qua_2023.csv
      xeploai export --run 3 --format json --out -
      xeploai export --format xlsx --out ket_qua_2023.xlsx --force   # replace it
      xeploai export --format pdf --out hoi_dong_2023.pdf --settings van_ban.toml
    """
    if out_path == "-" and fmt in ("xlsx", "pdf"):
        raise click.UsageError(f"{fmt} cần một tên tệp: --out ket_qua.{fmt}")
    settings = None
    if fmt == "pdf":
        from xeploai.scoring.overrides import parse_date
        from xeploai.scoring.pdf_export import DocumentSettings, load_settings

        base = load_settings(Path(settings_path)) if settings_path else DocumentSettings()
        settings = base.with_options(agency=agency, parent_agency=parent_agency, place=place,
                                     date=parse_date(doc_date) if doc_date else None)
    target = sys.stdout if out_path == "-" else Path(out_path)
    busy = err.status("Đang ghi tệp…") if err.is_terminal and out_path != "-" \
        else contextlib.nullcontext()
    with busy:
        rid, n = api.export_run(db, fmt, target, run_id, force=force,  # type: ignore[arg-type]
                                year=year, settings=settings)
    if out_path != "-":
        err.print(f"Đã ghi {n} dòng (lần chạy số {rid}) vào {out_path}")


@main.command()
@click.option("--data", "data_dir", required=True, type=click.Path(file_okay=False),
              help="Dataset folder to check.")
@click.option("--year", type=int, default=None,
              help="Năm đánh giá: kiểm tra thêm năm có hợp lệ và dữ liệu có gì thuộc năm đó.")
@policy_option
@user_errors
def validate(data_dir: str, year: int | None, policy: str | None) -> None:
    """Check the input files only and list every problem (nothing is stored).

    \b
    Example:
      xeploai validate --data examples/binh_dinh_2023
    """
    dataset = api.validate(data_dir, policy=policy, year=year)
    for w in dataset.warnings:
        warn(w)
    counts = ", ".join(f"{name}: {len(df)}" for name, df in dataset.tables.items())
    out.print(f"Dữ liệu hợp lệ ({counts})")


@main.command()
@click.option("--officials", type=click.IntRange(min=1), required=True,
              help="Number of officials (a province has about 50,000).")
@click.option("--dossiers", type=click.IntRange(min=0), required=True,
              help="Number of dossiers (a province handles about 2,000,000 a year).")
@click.option("--year", required=True, type=click.IntRange(1900, 9000),
              help="Evaluation year the data describes, e.g. 2023.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write the CSV files into (created if missing).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Random seed: the same seed and sizes always give the same files.")
@user_errors
def generate(officials: int, dossiers: int, year: int, out_dir: str, seed: int) -> None:
    """Write a synthetic dataset (SPEC §3 CSV files) for tests, demos and benchmarks.

    The names, units and proportions (late dossiers, reminders, discipline, initiatives)
    look like a real province's; nothing describes a real person. Dossiers are written in
    chunks, so even national sizes (100,000,000 dossiers) need little memory.

    \b
    Example:
      xeploai generate --officials 1000 --dossiers 40000 --year 2023 --out data/nho
      xeploai run --data data/nho --year 2023
    """
    from xeploai.scoring.generate import generate_dataset

    counts = generate_dataset(Path(out_dir), officials=officials, dossiers=dossiers,
                              year=year, seed=seed)
    for name, n in counts.items():
        out.print(f"{name}: {n} dòng")
    out.print(f"Đã ghi dữ liệu tổng hợp vào {out_dir}")


@main.command()
@policy_option
@user_errors
def plugins(policy: str | None) -> None:
    """List the rule plugins: name, version, source, hooks, rules, parameters, input tables.

    Sources: built-in, entry point (an installed package) or path (named in the policy's
    plugin_paths). XEPLOAI_PLUGINS=a,b loads only those installed plugins;
    XEPLOAI_TRACE_HOOKS=1 prints every hook call and its result on stderr.

    \b
    Example:
      xeploai plugins
    """
    session = api.Session.open(policy)
    enabled = session.policy.enabled_plugins
    table = Table(title="Plugin quy tắc")
    for col in ("Tên", "Phiên bản", "Nguồn", "Bật", "Hooks", "Quy tắc", "Tham số", "Bảng"):
        table.add_column(col, overflow="fold")
    for name in sorted(session.registry.plugins):
        p = session.registry.plugins[name]
        on = enabled is None or name in enabled
        params = list(p.info.params_model.model_fields) if p.info.params_model else []
        table.add_row(*((
            name, p.info.version, p.source, "có" if on else "không", "\n".join(p.hooks),
            "\n".join(r.id + (" [giả định]" if r.assumption else "") for r in p.info.rules),
            "\n".join(params), "\n".join(t.name for t in p.info.tables))))
    for name, target in sorted(session.registry.skipped.items()):
        table.add_row(name, "", f"entry point: {target}",
                      "không (XEPLOAI_PLUGINS)", "", "", "", "")
    out.print(table)


@main.group()
def policy() -> None:
    """Read a policy file: its dated parameters and their legal sources.

    \b
    Example:
      xeploai policy show --year 2023
    """


@policy.command("show")
@click.option("--year", type=int, default=None,
              help="Show only the values in force for this evaluation year (default: every "
                   "dated value).")
@policy_option
@user_errors
def policy_show(year: int | None, policy: str | None) -> None:
    """Print each parameter's value, the date it applies from and its legal source.

    With --year, the values in force for that year: read on 31 December, the titles on the
    consideration date. The policy is checked first (unknown section, wrong type, missing
    value are errors).

    \b
    Example:
      xeploai policy show --year 2023
      xeploai policy show --policy examples/plugins/complaints/policy.toml
    """
    session = api.Session.open(policy)
    rows = parameter_values(session.policy, year)
    title = f"Chính sách {session.policy.name}"
    if year is not None:
        title += f" — giá trị áp dụng cho năm đánh giá {year}"
    table = Table(title=title)
    for col in ("Tham số", "Giá trị", "Áp dụng từ", "Căn cứ"):
        table.add_column(col, overflow="fold")
    for r in rows:
        basis = ("[giả định] " if r.assumption else "") + r.reference
        value = "— chưa có giá trị" if r.start is None else json.dumps(
            r.value, ensure_ascii=False, default=str)
        start = "" if r.start is None else f"{r.start:%d/%m/%Y}"
        if r.read_on is not None and r.read_on != dt.date(year or 1, 12, 31):
            start += f" (đọc ngày {r.read_on:%d/%m/%Y})"
        table.add_row(*((r.key, value, start, basis)))
    out.print(table)


# the council's commands (override, overrides, runs, diff) and the workspace's (serve, user)
# register themselves on `main`
from xeploai.scoring import cli_council, cli_web  # noqa: E402, F401

if __name__ == "__main__":  # pragma: no cover
    # run as `python -m xeploai.scoring.cli`: use the module the council commands registered on
    from xeploai.scoring.cli import main as _main

    _main()
