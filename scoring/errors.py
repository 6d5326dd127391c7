"""Error types, named for what went wrong. The CLI turns each into a message and exit code 1."""

from __future__ import annotations

from dataclasses import dataclass

MAX_SHOWN = 80  # characters of a cell quoted in a message


class XeploaiError(Exception):
    """Base of every error a user can cause and fix (bad input, bad policy, unknown id)."""


@dataclass(frozen=True)
class Problem:
    """One problem in the input: where it is, what was found and what was expected."""

    file: str
    row: int | None  # line number in the file as a spreadsheet shows it (header = 1)
    column: str | None
    value: str | None
    expected: str
    check: str = "format"  # the check's code, which a policy may downgrade to a warning
    header: str | None = None  # the column's header as the user's file writes it

    @property
    def column_label(self) -> str | None:
        """The column as a message names it: as the user's file writes it, with the
        canonical name in brackets when that differs (``Ngày hẹn trả [due_at]``)."""
        shown = (self.header or "").strip()
        if not self.column or not shown or shown == self.column:
            return self.column
        return f"{shown} [{self.column}]"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", dòng {self.row}"
        if self.column:
            where += f", cột {self.column_label}"
        # a whole pasted paragraph in a cell must not drown the list of problems
        shown = self.value if self.value is None or len(self.value) <= MAX_SHOWN \
            else self.value[:MAX_SHOWN] + f"… ({len(self.value)} ký tự)"
        value = "" if shown is None else f": giá trị {shown!r}"
        return f"{where}{value} — {self.expected}"


class InvalidInputError(XeploaiError):
    """The dataset has problems; every one of them is listed, nothing was stored."""

    def __init__(self, problems: list[Problem], warnings: list[Problem] | None = None) -> None:
        self.problems = problems
        self.warnings = warnings or []
        super().__init__(self.render())

    def render(self, limit: int = 200) -> str:
        lines = [f"Dữ liệu đầu vào có {len(self.problems)} lỗi (không có gì được lưu):"]
        lines += [f"  - {p}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"  … và {len(self.problems) - limit} lỗi khác")
        return "\n".join(lines)


class PolicyError(XeploaiError):
    """The policy file is missing, malformed, or a value has the wrong type."""


class PluginError(XeploaiError):
    """A plugin failed to load, raised, or returned something malformed."""

    def __init__(self, plugin: str, message: str, rule: str | None = None) -> None:
        self.plugin = plugin
        self.rule = rule
        where = f"plugin '{plugin}'" + (f", rule '{rule}'" if rule else "")
        super().__init__(f"{where}: {message}")


class UnknownRunError(XeploaiError):
    """No run with that id (or no run at all) in the database."""


class UnknownOfficialError(XeploaiError):
    """The official id is not in the run."""


class StorageError(XeploaiError):
    """The database can't be opened or written; a failed write leaves it as it was."""
