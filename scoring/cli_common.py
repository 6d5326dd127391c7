"""What every command module of the ``xeploai`` command shares: the consoles, the common
options, JSON output, the user-error wrapper and the command group class.

Kept apart from :mod:`xeploai.scoring.cli` so the council's and the workspace's command
modules (:mod:`xeploai.scoring.cli_council`, :mod:`xeploai.scoring.cli_web`) need nothing
from it: the group loads them by name only when one of their commands is asked for, so
``xeploai run`` never imports the council's or the web's machinery.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
from collections.abc import Callable, Mapping
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from .errors import InvalidInputError, XeploaiError
from .i18n import _, activate, chosen_language, os_reason, translate_help
from .suggest import close_names

# a pipe or a test runner has no width: give tables room rather than 80 truncated columns.
# markup=False, emoji=False: what a user types or a data file holds ("STP [/cu]",
# "[bold]X[/bold]", ":thumbs_up:") is shown as written, never read as rich markup or an emoji
# code (which also spares every run the import of rich's emoji table); our own colours go
# through Text styles.
err = Console(stderr=True, highlight=False, markup=False, emoji=False,
              width=None if sys.stderr.isatty() else 200)
out = Console(highlight=False, markup=False, emoji=False,
              width=None if sys.stdout.isatty() else 200)


def warn(message: object) -> None:
    """One warning line on stderr: the label in colour, the message as written."""
    err.print(Text.assemble((_("cảnh báo:"), "yellow"), " ", str(message)))


def checked_database(_ctx: click.Context, _param: click.Parameter, value: str | None
                     ) -> str | None:
    """``--db`` (or ``XEPLOAI_DB``) as the URL of a database that can be opened, or a usage
    error (exit 2) before the command does any work: a run would otherwise read and classify
    a province before saying its ``--db`` is wrong."""
    if value is None:
        return None
    from .storage import check_database_url  # the storage's SQLAlchemy, only when given

    try:
        return check_database_url(value)
    except XeploaiError as problem:
        raise click.BadParameter(str(problem)) from None


db_option = click.option("--db", "db", metavar="URL", envvar="XEPLOAI_DB", default=None,
                         callback=checked_database,
                         help="Cơ sở dữ liệu: một địa chỉ (mặc định sqlite:///xeploai.db trong "
                              "thư mục đang đứng; postgresql+psycopg://… cho PostgreSQL) hoặc "
                              "đường dẫn một tệp SQLite; hoặc biến môi trường XEPLOAI_DB.")
policy_option = click.option("--policy", type=click.Path(dir_okay=False), default=None,
                             metavar="TỆP",
                             help="Tệp chính sách (mặc định: binh_dinh_2023.toml đi kèm "
                                  "xeploai).")
json_option = click.option("--json", "as_json", is_flag=True,
                           help="In kết quả dạng JSON (cho chương trình khác đọc).")

allow_paths_option = click.option(
    "--allow-plugin-path", "allow_plugin_paths", multiple=True, metavar="THƯ_MỤC",
    type=click.Path(file_okay=False),
    help="Cho phép chạy tệp plugin (plugin_paths của tệp chính sách) nằm trong THƯ_MỤC này "
         "(lặp lại được). Mặc định chỉ chạy tệp nằm trong thư mục của tệp chính sách: "
         "tệp plugin là mã chương trình.")
load_paths_option = click.option(
    "--load-path-plugins", is_flag=True,
    help="Nạp (chạy mã) cả các plugin theo đường dẫn của tệp chính sách để kiểm tra tham số "
         "của chúng; mặc định chỉ liệt kê, không nạp.")


def print_json(data: object) -> None:
    """Typed data as JSON on stdout: dates and times in ISO 8601, text as written."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


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
            err.print(_("Lỗi: {message}").format(message=exc))
            sys.exit(1)
        except OSError as exc:  # a file or folder the system refuses: a message, not a traceback
            err.print(_("Lỗi: không đọc hoặc ghi được {path}: {reason}").format(
                path=exc.filename or "", reason=os_reason(exc)))
            sys.exit(1)
        except KeyboardInterrupt:
            # a run is one transaction and exports go through a temporary file, so an
            # interruption leaves nothing half-written
            err.print(_("Đã dừng (Ctrl-C): không có gì được lưu hoặc ghi dở."))
            sys.exit(130)

    return wrapper


def _language_in(args: list[str]) -> str | None:
    """The value of ``--lang`` among the arguments, read before click parses them."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
        if arg == "--lang" and i + 1 < len(args):
            return args[i + 1]
    return None


class XeploaiGroup(click.Group):
    """xeploai's command groups: they speak the chosen language from click's first message
    on (usage errors included) and name the closest command to a mistyped one.

    ``lazy_commands`` maps a command's name to ``"module:attribute"``: the module is
    imported the first time the command is asked for (click's documented pattern for lazy
    subcommands), so a command pays only for what it uses."""

    def __init__(self, *args: Any, lazy_commands: Mapping[str, str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            module, attribute = self.lazy_commands[cmd_name].split(":")
            command = getattr(importlib.import_module(module), attribute)
            translate_help(command)  # in the language already chosen for this invocation
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        if parent is None:
            activate(chosen_language(_language_in(args)), self)
        return super().make_context(info_name, args, parent=parent, **extra)

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            close = close_names(name, self.list_commands(ctx))
            ctx.fail(_("Không có lệnh {name!r}.").format(name=name) + (
                " " + _("Có phải ý bạn là {names}?").format(names=", ".join(map(repr, close)))
                if close else ""))
        return super().resolve_command(ctx, args)


XeploaiGroup.group_class = XeploaiGroup


