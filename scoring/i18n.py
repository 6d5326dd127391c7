"""The language of what a user reads: Vietnamese by default, English on request.

How it works (docs/decisions.md, decision 53):

- xeploai's own texts (messages, ``--help``, table titles) are written in Vietnamese in the
  code. A text shown in the CLI goes through :func:`_` (``_("Đã ghi {n} dòng").format(n=n)``,
  never an f-string inside ``_``); ``--help`` texts and docstrings of commands need nothing:
  :func:`activate` translates every command's help when the language is English.
- click writes its own messages (usage errors, "Usage:", "Options") through gettext's
  default domain. :func:`activate` makes ``xeploai`` that domain, bound to the catalogues
  shipped in ``locale/``: ``vi`` translates click's English texts into Vietnamese, ``en``
  translates xeploai's Vietnamese texts into English. A text missing from a catalogue is
  shown as written, so a new Vietnamese message is right by default.
- The language: ``--lang`` (vi, en), else ``XEPLOAI_LANG``, else Vietnamese.
- ``python -m xeploai.scoring.catalogues`` adds the new texts to ``locale/en/…/xeploai.po`` and
  compiles both catalogues (Babel); tests check the compiled files match the .po files.

Dates are shown DD/MM/YYYY and times in Vietnam's time zone (:func:`local_time`).
"""

from __future__ import annotations

import datetime as dt
import errno
import gettext
import importlib.resources
import os
import weakref
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

DOMAIN = "xeploai"
LANG_ENV = "XEPLOAI_LANG"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")  # the tzdata package ships it where the OS doesn't


def locale_dir() -> Path:
    return Path(str(importlib.resources.files("xeploai.scoring").joinpath("locale")))


def chosen_language(explicit: str | None = None) -> str:
    """``explicit`` (--lang), else XEPLOAI_LANG, else Vietnamese; ``en_US.UTF-8`` reads en."""
    for wanted in (explicit, os.environ.get(LANG_ENV)):
        code = (wanted or "").strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def current_language() -> str:
    return chosen_language(os.environ.get("LANGUAGE", "").split(":")[0] or None)


def activate(language: str, command: click.Command | None = None) -> None:
    """Speak ``language`` from now on: click's messages, xeploai's messages and, when
    ``command`` is given, the help texts of it and of every command under it."""
    gettext.bindtextdomain(DOMAIN, str(locale_dir()))
    gettext.textdomain(DOMAIN)
    # LANGUAGE is gettext's own choice of catalogue, over LC_ALL and LANG
    os.environ["LANGUAGE"] = language
    if command is not None:
        translate_help(command)


def _(message: str) -> str:
    """``message`` (Vietnamese, as written in the code) in the active language."""
    return gettext.dgettext(DOMAIN, message)


# the help texts as written in the code, for translating again after a language change
_SOURCE: weakref.WeakKeyDictionary[Any, dict[str, str | None]] = weakref.WeakKeyDictionary()
_HELP_ATTRIBUTES = ("help", "short_help", "epilog", "metavar")


def _walk(command: click.Command, every: bool = False
          ) -> Iterator[click.Command | click.Parameter]:
    """``command``, its parameters and the commands under it: those already loaded, or
    with ``every`` also the ones a group loads only when asked (``list_commands``)."""
    yield command
    yield from command.params
    if isinstance(command, click.Group):
        if every:
            ctx = click.Context(command)
            subs = [command.get_command(ctx, name) for name in command.list_commands(ctx)]
        else:
            subs = list(command.commands.values())
        for sub in subs:
            if sub is not None:
                yield from _walk(sub, every)


def help_texts(command: click.Command) -> Iterator[str]:
    """Every help text of ``command`` and the commands under it, as written in the code."""
    yield from USAGE_METAVARS.values()
    for item in _walk(command, every=True):
        source = _SOURCE.get(item) or {a: getattr(item, a, None) for a in _HELP_ATTRIBUTES}
        yield from (text for text in source.values() if text)


# what click writes in a usage line, in xeploai's words
USAGE_METAVARS = {"options_metavar": "[TÙY_CHỌN]", "subcommand_metavar": "LỆNH [THAM_SỐ]..."}


def translate_help(command: click.Command) -> None:
    for item in _walk(command):
        source = _SOURCE.setdefault(item, {a: getattr(item, a, None) for a in _HELP_ATTRIBUTES
                                           if hasattr(item, a)})
        for attribute, text in source.items():
            setattr(item, attribute, _(text) if text else text)
        for attribute, text in USAGE_METAVARS.items():
            if isinstance(item, click.Command) and hasattr(item, attribute):
                setattr(item, attribute, _(text))
        # click creates each command's --help option once, in the language of that moment,
        # and keeps it (Command._help_option, click ≥ 8.1.8): give it click's text again
        help_option = getattr(item, "_help_option", None)
        if isinstance(help_option, click.Option):
            help_option.help = gettext.dgettext(DOMAIN, "Show this message and exit.")


# the operating system's reasons (strerror is English whatever the language), by errno
OS_REASONS: Mapping[int, str] = {
    errno.EACCES: "không có quyền", errno.EPERM: "không được phép",
    errno.EROFS: "ổ đĩa chỉ cho đọc", errno.ENOSPC: "ổ đĩa hết chỗ trống",
    errno.ENOENT: "không có tệp hoặc thư mục này", errno.EISDIR: "là một thư mục",
    errno.ENOTDIR: "không phải thư mục", errno.EEXIST: "đã có",
    errno.EDQUOT: "vượt hạn mức ổ đĩa",
}


def os_reason(error: OSError) -> str:
    """Why the system refused, in the active language."""
    reason = OS_REASONS.get(error.errno or 0)
    return _(reason) if reason else str(error.strerror or error)


# --- dates and times as a Vietnamese reader writes them --------------------------------


def local_time(moment: dt.datetime) -> dt.datetime:
    """A stored moment (UTC; naive ones are UTC, as the database gives them back) in
    Vietnam's time zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(VIETNAM)


def format_datetime(moment: dt.datetime) -> str:
    """``30/11/2026 17:38:34`` (Vietnam's time)."""
    return f"{local_time(moment):%d/%m/%Y %H:%M:%S}"


def format_date(day: dt.date | dt.datetime) -> str:
    """``30/11/2026``; a moment is first read in Vietnam's time zone."""
    if isinstance(day, dt.datetime):
        day = local_time(day).date()
    return f"{day:%d/%m/%Y}"


# --- pydantic's validation errors, in the reader's language ----------------------------

# pydantic error type -> the message, with the error's ``ctx`` values in braces
PYDANTIC_MESSAGES: Mapping[str, str] = {
    "missing": "thiếu giá trị bắt buộc",
    "extra_forbidden": "khóa lạ, không được phép",
    "int_parsing": "phải là số nguyên",
    "int_type": "phải là số nguyên",
    "int_from_float": "phải là số nguyên, không có phần thập phân",
    "float_parsing": "phải là số",
    "float_type": "phải là số",
    "bool_parsing": "phải là true/false (có/không)",
    "bool_type": "phải là true/false (có/không)",
    "string_type": "phải là chuỗi ký tự",
    "date_parsing": "phải là ngày YYYY-MM-DD",
    "date_from_datetime_parsing": "phải là ngày YYYY-MM-DD",
    "date_type": "phải là ngày YYYY-MM-DD",
    "dict_type": "phải là một bảng {…}",
    "list_type": "phải là một danh sách […]",
    "greater_than": "phải lớn hơn {gt}",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "less_than": "phải nhỏ hơn {lt}",
    "less_than_equal": "phải nhỏ hơn hoặc bằng {le}",
    "literal_error": "phải là một trong: {expected}",
    "enum": "phải là một trong: {expected}",
    "string_pattern_mismatch": "không đúng mẫu {pattern}",
    "string_too_short": "phải có ít nhất {min_length} ký tự",
    "string_too_long": "có nhiều nhất {max_length} ký tự",
    "too_short": "phải có ít nhất {min_length} phần tử",
    "too_long": "có nhiều nhất {max_length} phần tử",
    "finite_number": "phải là số hữu hạn",
}


def pydantic_message(error: Mapping[str, Any]) -> str:
    """One of pydantic's ``ValidationError.errors()``, in the active language (its own
    English message when English is asked for or the type is not known)."""
    template = PYDANTIC_MESSAGES.get(str(error.get("type")))
    if template is None or current_language() == "en":
        return str(error.get("msg", ""))
    try:
        return template.format(**dict(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template

