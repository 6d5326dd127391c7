"""The data contract as DuckDB SQL, generated from the declaration in :mod:`.contract`.

The fast reader (:mod:`.fastload`) lets DuckDB read a CSV file as text and type and check
every column in the same pass, with SQL built here from the table's :class:`ColumnRule`
list: one generator for every kind of rule, so a column added to a row model in
``records.py`` (or a plugin's) is read and checked without a change here.

The SQL only ever *accepts* what the reference path reads to the same value: a cell it
cannot prove so (a date in a shape the reference path's byte reader leaves to pandas, a
number written ``1_000``, which DuckDB's own cast would read) breaks a check, and the
reference path then reads the file and names every problem. That is why the CSV reader
reads every column as text: DuckDB's typed reading is more lenient than the contract
(``2024-1-5``, a time zone dropped, ``24:00``, ``1_000``, 2020.5 rounded to an integer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .column_checks import EXCEL_ERRORS, FALSE_WORDS, TRUE_WORDS
from .contract import ColumnRule
from .csv_text import PY_WHITESPACE
from .dates import MAX_YEAR, MIN_YEAR


def literal(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def identifier(name: str) -> str:
    """``name`` as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def text_list(values: Iterable[str]) -> str:
    """``values`` as an SQL list (``list_contains(list, x)`` is a plain function: ``x IN
    (...)`` of more than a few values becomes a join, which costs more)."""
    return "[" + ", ".join(literal(v) for v in sorted(values)) + "]"


# the shapes of the dates the reference path reads itself (its byte reader,
# ``plain_datetimes``): YYYY-MM-DD or DD/MM/YYYY (told apart by the '/'), then nothing,
# " HH:MM" or " HH:MM:SS" (told apart by the length), as strptime formats
DATE_FORMATS = {form: {10: day, 16: f"{day} %H:%M", 19: f"{day} %H:%M:%S"}
                for form, day in (("-", "%Y-%m-%d"), ("/", "%d/%m/%Y"))}
# each format's cells as GLOB patterns (a GLOB costs two thirds of a regular expression:
# decision 104). The hour is checked here: DuckDB's cast reads 24:00 as the next day, which
# the byte reader refuses; the cast and strptime refuse 30/02 and 12:60 as it does.
_GLOB_FIELDS = {"%Y": "[0-9]" * 4, "%m": "[0-9]" * 2, "%d": "[0-9]" * 2, "%M": "[0-9]" * 2,
                "%S": "[0-9]" * 2}
_HOURS = ("[01][0-9]", "2[0-3]")


def _globs(form: str) -> tuple[str, ...]:
    """The GLOB patterns of the cells strptime reads with ``form``."""
    for field, digits in _GLOB_FIELDS.items():
        form = form.replace(field, digits)
    return tuple(form.replace("%H", hour) for hour in _HOURS) if "%H" in form else (form,)


def _by_form(cell: str, read: Callable[[str], str]) -> str:
    """A CASE over ``cell``'s form and length, ``read(format)`` in each branch (NULL when
    the length is none of :data:`DATE_FORMATS`')."""
    def by_length(formats: dict[int, str]) -> str:
        return (f"CASE strlen({cell}) "
                + " ".join(f"WHEN {n} THEN {read(form)}" for n, form in formats.items())
                + " END")
    return (f"CASE WHEN contains({cell}, '/') THEN {by_length(DATE_FORMATS['/'])} "
            f"ELSE {by_length(DATE_FORMATS['-'])} END")


def date_shape(cell: str) -> str:
    """SQL true when ``cell`` has one of the shapes of :data:`DATE_FORMATS`. The patterns
    are tried in a CASE: inside an expression DuckDB evaluates every side of an OR on
    every row."""
    return _by_form(cell, lambda form: "CASE " + " ".join(
        f"WHEN {cell} GLOB {literal(glob)} THEN true" for glob in _globs(form))
        + " ELSE false END")


def date_value(cell: str) -> str:
    """SQL reading ``cell`` as a timestamp: what it names when :func:`date_shape` holds
    (another cell fails that check, whatever this reads). An ISO cell is read by DuckDB's
    cast, a day-first one by strptime with the format of its length (building the ISO
    text and casting it cost seven times as much, a list of formats ten times as much
    when the first fails: decision 105)."""
    return _by_form(cell, lambda form: f"try_strptime({cell}, {literal(form)})::TIMESTAMP_NS"
                    if "/" in form else f"TRY_CAST({cell} AS TIMESTAMP_NS)")


# numbers read alike by DuckDB and pandas: digits, a point or a decimal comma ("8,5": the
# reference path reads it as 8.5). Others ("1e3", ".5", "1_000") go to the reference path.
NUMBER_SHAPE = r"-?\d+(?:[.,]\d+)?"


# a character outside those NFC leaves alone whatever surrounds them (combining class 0,
# quick check Yes, never the second of a composed pair): Latin-1 to Latin Extended-B and
# Latin Extended Additional, which hold every Vietnamese letter (tests/test_contract_sql.py)
NOT_NFC_STABLE = r"[^\x{1}-\x{2ff}\x{1e00}-\x{1eff}]"

PARSED = "{parsed}"  # where ColumnSql's value and checks name the cell as parsed


@dataclass(frozen=True)
class ColumnSql:
    """One column of a table read as text, in three steps over ``cell`` (the column's
    cell: trimmed and NULL when blank for text, as read for the others): ``parsed`` reads
    it once (None: nothing to read), ``value`` is what the frame holds and ``failing``
    each way a cell can break the rule (what, SQL true on a breaking cell), tried in
    order. ``value`` and ``failing`` name the parsed cell ``{parsed}``."""

    parsed: str | None
    value: str
    failing: tuple[tuple[str, str], ...]


def column_sql(rule: ColumnRule, cell: str, today: dt.date) -> ColumnSql:
    """The SQL reading and checking ``cell`` (an SQL expression) under ``rule``."""
    failing: list[tuple[str, str]] = []
    if rule.required:
        failing.append(("blank", f"{cell} IS NULL"))
    if rule.kind in ("str", "code"):
        failing += [
            # prefix() costs half of starts_with() (decision 104)
            ("Excel error cell", f"(prefix({cell}, '#') AND "
                                 f"regexp_full_match({cell}, {literal(EXCEL_ERRORS)}))"),
            # the reference path normalises to NFC (Python's): a cell that would change is
            # left to it; strlen (bytes) = length (characters) only for ASCII, and
            # nfc_normalize (0.45 µs a name) is tried only past NFC_STABLE's letters
            ("not NFC", f"(strlen({cell}) <> length({cell}) AND regexp_matches({cell}, "
                        f"{literal(NOT_NFC_STABLE)}) AND {cell} <> nfc_normalize({cell}))"),
        ]
        # codes (and their Vietnamese labels) are settled over the distinct values
        return ColumnSql(None, cell, tuple(failing))
    if rule.kind == "bool":
        # a cell written as a word in lower case (most are) is settled without lower(),
        # in a CASE: inside an expression DuckDB evaluates every side of an OR
        words, true = frozenset(TRUE_WORDS | FALSE_WORDS) - {""}, TRUE_WORDS - {""}
        as_written = f"{cell} IN ({', '.join(map(literal, sorted(words)))})"
        failing.append(("not a bool word", f"CASE WHEN {as_written} THEN false ELSE NOT "
                                           f"list_contains({text_list(words)}, lower({cell})) END"))
        return ColumnSql(None, f"CASE WHEN {as_written} THEN {cell} IN "
                               f"({', '.join(map(literal, sorted(true)))}) ELSE coalesce("
                               f"list_contains({text_list(true)}, lower({cell})), false) END",
                         tuple(failing))
    if rule.kind in ("float", "int"):
        number = PARSED
        readable = [f"regexp_full_match({cell}, {literal(NUMBER_SHAPE)})",
                    # "-0" is 0 there (an integer parse), -0.0 here
                    f"NOT ({number} = 0 AND starts_with({cell}, '-'))"]
        if rule.kind == "int":  # a whole number a float holds exactly (the reference
            # path blanks a bigger one, read as an integer there and rounded here)
            readable += [f"{number} = round({number})", f"abs({number}) < {float(2**53)!r}"]
        failing.append(("not a number",
                        f"{cell} IS NOT NULL AND NOT coalesce({' AND '.join(readable)}, false)"))
        if rule.ge is not None:
            failing.append(("range", f"{number} < '{rule.ge!r}'::DOUBLE"))
        if rule.le is not None:
            failing.append(("range", f"{number} > '{rule.le!r}'::DOUBLE"))
        value = number
        if rule.has_default and rule.default is not None:
            value = f"coalesce({number}, '{float(rule.default)!r}'::DOUBLE)"
        return ColumnSql(f"TRY_CAST(replace({cell}, ',', '.') AS DOUBLE)",
                         f"({value})::BIGINT" if rule.kind == "int" else value,
                         tuple(failing))
    if rule.kind in ("date", "datetime"):
        moment = PARSED
        readable = (f"{date_shape(cell)} AND "
                    f"year({moment}) BETWEEN {MIN_YEAR} AND {MAX_YEAR}")
        failing.append(("not a date", f"{cell} IS NOT NULL AND NOT coalesce({readable}, false)"))
        if rule.past:
            tomorrow = today + dt.timedelta(days=1)
            failing.append(("future", f"{moment} >= TIMESTAMP_NS '{tomorrow.isoformat()}'"))
        value = f"{moment}::DATE::TIMESTAMP_NS" if rule.kind == "date" else moment
        return ColumnSql(date_value(cell), value, tuple(failing))
    raise ValueError(f"no SQL for a column of kind {rule.kind!r}")


@dataclass(frozen=True)
class TableSql:
    """The query reading one table: its output columns are ``o0, o1, …`` (the values asked
    for, in order), then ``__fail``: 0 on a row that keeps every rule, else the 1-based
    number of the first check it breaks (``checks``)."""

    query: str
    checks: tuple[str, ...]


def table_sql(source: str, cells: dict[str, str], values: list[tuple[str, str]],
              rules: list[ColumnRule], first: str, today: dt.date) -> TableSql:
    """The query over ``source`` (a relation of text columns) reading ``values`` (output
    name, column of ``source``: a rule's column when the name is a rule's, else a column
    kept as written) and checking each rule's column.

    ``cells`` gives each rule's column of ``source`` (present columns only); ``first`` is
    the source's first column: a blank cell there means a row the reference path may drop
    as blank, so it breaks a check too."""
    by_name = {r.name: r for r in rules}
    # the reference path strips what str.strip() strips. DuckDB's trim() with those
    # characters costs ten times a plain read, so only cells beginning or ending with
    # anything but a visible ASCII character are trimmed (hardly any, but many names).
    # Only text is trimmed: a date, number or bool with a space around it breaks its
    # shape, and the reference path reads it.
    edge = "ascii({0}) NOT BETWEEN 33 AND 126 OR ascii({0}[-1]) NOT BETWEEN 33 AND 126"

    def trimmed(column: str) -> str:
        cell = identifier(column)
        return (f"CASE WHEN {edge.format(cell)} THEN "
                f"nullif(trim({cell}, {literal(PY_WHITESPACE)}), '') ELSE {cell} END")

    inner: list[str] = []
    middle: list[str] = []
    outer: list[str] = []
    checks: list[tuple[str, str]] = []
    for k, (name, src) in enumerate(values):
        if name not in by_name:  # kept as written, like the reference path
            inner.append(f"coalesce({identifier(src)}, '') AS x{k}")
            outer.append(f"x{k} AS o{k}")
            continue
        rule, cell = by_name[name], f"t{k}"
        text = rule.kind in ("str", "code")
        inner.append(f"{trimmed(src) if text else identifier(src)} AS {cell}")
        if src == first:
            first = cell if text else first
        sql = column_sql(rule, cell, today)
        if sql.parsed is not None:
            middle.append(f"{sql.parsed} AS p{k}")
        outer.append(sql.value.replace(PARSED, f"p{k}") + f" AS o{k}")
        checks += [(f"{name}: {what}", cond.replace(PARSED, f"p{k}"))
                   for what, cond in sql.failing]
    if not first.startswith("t"):
        inner.append(f"{trimmed(first)} AS t_first")
        first = "t_first"
    if (blank := f"{first} IS NULL") not in (cond for _, cond in checks):
        checks.insert(0, ("blank first cell", blank))  # unless that is a check already
    fail = " ".join(f"WHEN {cond} THEN {i}" for i, (_, cond) in enumerate(checks, start=1))
    query = (f"SELECT {', '.join(outer)}, CASE {fail} ELSE 0 END AS __fail FROM "
             f"(SELECT *{''.join(', ' + m for m in middle)} FROM "
             f"(SELECT {', '.join(inner)} FROM {source}))")
    return TableSql(query, tuple(what for what, _ in checks))
