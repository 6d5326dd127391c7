"""Helpers to break things on purpose: database snapshots, failure injection, rogue plugins."""

from __future__ import annotations

import contextlib
import re
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text

from .conftest import POLICY


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table and every row of a database, in a comparable form (None: no database)."""
    engine = create_engine(url)
    try:
        out: dict[str, list[tuple[Any, ...]]] = {}
        with engine.connect() as conn:
            for table in sorted(inspect(conn).get_table_names()):
                rows = conn.execute(text(f'select * from "{table}"')).all()
                out[table] = sorted((tuple(r) for r in rows), key=repr)
        return out
    finally:
        engine.dispose()


@contextlib.contextmanager
def fail_on(statement: str, action: BaseException | Callable[[Any], Any],
            target: Any = Engine) -> Iterator[list[str]]:
    """Raise ``action`` (or call it with the connection) when a SQL statement starting
    with ``statement`` is about to be sent.

    Listens on every engine (or on ``target``), so it reaches engines the code under test
    creates itself. Yields the statements seen before the failure.
    """
    seen: list[str] = []
    pattern = re.compile(rf"^\s*{statement}", re.IGNORECASE)

    def before(conn, cursor, sql, params, context, executemany) -> None:
        if pattern.match(sql):
            if isinstance(action, BaseException):
                raise action
            action(conn)
        seen.append(sql.split("(")[0].strip())

    event.listen(target, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", before)


ROGUE_HEADER = '''
import math
import pandas as pd
from xeploai.scoring import hookimpl
from xeploai.scoring.types import PluginInfo, Rule, Step, findings_frame

RULES = (Rule("rogue.bonus", "Điểm thưởng thử nghiệm", "Căn cứ thử nghiệm", Step.SCORE),
         Rule("rogue.cap", "Mức trần thử nghiệm", "Căn cứ thử nghiệm", Step.CEILING))


@hookimpl
def xeploai_plugin_info():
    return PluginInfo("rogue", "0.1", RULES)


@hookimpl
def xeploai_findings(context):
    officials = context.tables["officials"]["official_id"]
    first = officials.iloc[0]
'''


def rogue_policy(folder: Path, body: str) -> Path:
    """A copy of the Bình Định policy that runs, last, a plugin whose findings hook is ``body``.

    ``body`` sees ``officials`` (the ids) and ``first`` (one valid id).
    """
    folder.mkdir(parents=True, exist_ok=True)
    plugin = folder / "rogue.py"
    plugin.write_text(ROGUE_HEADER + textwrap.indent(textwrap.dedent(body), "    "),
                      encoding="utf-8")
    text_ = POLICY.read_text(encoding="utf-8")
    text_ = re.sub(r'^plugins = \[(.*)\]$', r'plugins = [\1, "rogue"]', text_, count=1,
                   flags=re.MULTILINE)
    text_ = text_.replace("plugin_paths = []", 'plugin_paths = ["rogue.py"]', 1)
    policy = folder / "policy.toml"
    policy.write_text(text_, encoding="utf-8")
    return policy


def dbapi_error(name: str = "OperationalError", message: str = "injected failure"
                ) -> Callable[[Any], None]:
    """An action raising the driver's own error class (sqlite3 / psycopg), as a real
    failure of the database would."""

    def action(conn: Any) -> None:
        dbapi = conn.dialect.loaded_dbapi
        if name == "DiskFull" and conn.dialect.name == "postgresql":
            import psycopg

            raise psycopg.errors.DiskFull(message)
        raise getattr(dbapi, name, dbapi.OperationalError)(message)

    return action


def plugin_policy(folder: Path, name: str, source: str) -> Path:
    """A copy of the Bình Định policy that also runs, last, the path-loaded plugin ``name``
    whose module text is ``source``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(source, encoding="utf-8")
    text_ = POLICY.read_text(encoding="utf-8")
    text_ = re.sub(r'^plugins = \[(.*)\]$', rf'plugins = [\1, "{name}"]', text_, count=1,
                   flags=re.MULTILINE)
    text_ = text_.replace("plugin_paths = []", f'plugin_paths = ["{name}.py"]', 1)
    policy = folder / "policy.toml"
    policy.write_text(text_, encoding="utf-8")
    return policy
