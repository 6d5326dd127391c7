"""Runs, results and reasons in a database (SQLite file by default, PostgreSQL by URL).

One run is written in one transaction: either every result and reason of the run is
there, or none is. Results go in with bulk inserts; reasons — hundreds of thousands in a
province run — go in as a few compressed Arrow blocks (``reason_blocks``, decision 40),
read back by :func:`load_reasons`.

The schema is stated by SQLModel classes (:mod:`.run_tables`, :mod:`.council_records`,
:mod:`.account_tables`); this module creates and writes it through their compiled Core form
(:mod:`.schema_tables`), so ``xeploai run`` never imports the ORM (docs/decisions.md 114).
A change to a class is compiled with ``python -m xeploai.scoring.schema_compile``.

Schema changes: the ``xeploai_schema`` table holds one row, the schema version. Tables
that are new in a version are created by :func:`create_tables`; a change to an existing table
bumps :data:`SCHEMA_VERSION` and adds a function to :data:`MIGRATIONS`, which
:func:`open_db` runs in order, in the same transaction as the version update.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.schema import CreateIndex, CreateTable

from . import schema_tables as schema
from .engine import (
    QUOTA_COLUMNS,
    REASON_COLUMNS,
    RESULT_COLUMNS,
    UNIT_COLUMNS,
    Classification,
)
from .errors import StorageError

if TYPE_CHECKING:
    from .run_tables import RunRecord

DEFAULT_DB = "sqlite:///xeploai.db"
DB_ENV = "XEPLOAI_DB"
SCHEMA_VERSION = 4
# reasons per stored block: large enough that zstd sees plenty of repetition and a province
# is a handful of rows, small enough that reading one official's reasons decodes little
BLOCK_ROWS = 65_536
# PostgreSQL advisory lock held while the schema is checked, so that two first runs
# started at once don't both try to create the tables
_SCHEMA_LOCK = 0x7865706C  # "xepl"
# seconds a SQLite connection waits for another process's write before giving up
SQLITE_WAIT = 300
# parameters of one SQLite statement: builds before 3.32 bind at most 999
SQLITE_PARAMETERS = 999


# The Arrow types of a stored block. Text is large_string: offsets can't overflow whatever a
# plugin puts in params or evidence (and zstd packs them smaller than 32-bit ones).
_REASON_TYPES: dict[str, pa.DataType] = {"seq": pa.int64(), "points": pa.float64(),
                                         "exclude": pa.bool_()}
REASON_SCHEMA = pa.schema([(c, _REASON_TYPES.get(c, pa.large_string())) for c in REASON_COLUMNS])
# Few distinct values per block: dictionary-encoded they are stored once (a third smaller
# blocks on a province, at no cost in time)
_DICTIONARY_COLUMNS = frozenset({"step", "plugin", "rule", "basis", "ceiling", "blocks_titles",
                                 "qualifies_titles"})
_IPC_OPTIONS = pa.ipc.IpcWriteOptions(compression="zstd")


def encode_reason_blocks(reasons: pd.DataFrame, rows: int | None = None
                         ) -> Iterator[tuple[str, str, int, bytes]]:
    """``(first_official, last_official, rows, data)`` for consecutive blocks of ``rows``
    reasons (default :data:`BLOCK_ROWS`). The same frame gives the same bytes: no pandas
    metadata, dictionaries in order of first appearance, one record batch per block."""
    rows = rows or BLOCK_ROWS
    missing = [c for c in REASON_COLUMNS if c not in reasons.columns]
    if missing:
        raise StorageError(f"không lưu được lần chạy: thiếu cột lý do {', '.join(missing)} "
                           "— không có gì được lưu")
    try:
        table = pa.Table.from_pandas(reasons[list(REASON_COLUMNS)], schema=REASON_SCHEMA,
                                     preserve_index=False).replace_schema_metadata(None)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise StorageError(f"không lưu được lần chạy: lý do có giá trị sai kiểu ({exc}) "
                           "— không có gì được lưu") from exc
    # every column is NOT NULL, as it was in the row-per-reason table
    blank = [c for c in REASON_COLUMNS if table[c].null_count]
    if blank:
        where = ", ".join(
            f"{c} (cán bộ {table['official_id'][pc.index(pc.is_null(table[c]), True).as_py()]})"
            for c in blank)
        raise StorageError(f"không lưu được lần chạy: lý do thiếu giá trị ở cột {where} "
                           "— không có gì được lưu")
    for start in range(0, table.num_rows, rows):
        part = table.slice(start, rows).combine_chunks()
        block = pa.table([pc.dictionary_encode(part[c]) if c in _DICTIONARY_COLUMNS else part[c]
                          for c in REASON_COLUMNS], names=list(REASON_COLUMNS))
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, block.schema, options=_IPC_OPTIONS) as writer:
            writer.write_table(block)
        bounds = pc.min_max(part["official_id"])
        yield (bounds["min"].as_py(), bounds["max"].as_py(), part.num_rows,
               sink.getvalue().to_pybytes())


def decode_reason_blocks(blobs: Iterable[bytes], official_id: str | None = None
                         ) -> pd.DataFrame:
    """The reasons of stored blocks as one frame, ordered by official_id then seq (blocks of
    a sharded run's parts interleave: a stable sort puts them back in order); with
    ``official_id``, only that official's rows are turned into pandas."""
    tables = []
    for blob in blobs:
        table = pa.ipc.open_stream(pa.py_buffer(blob)).read_all()
        if official_id is not None:
            table = table.filter(pc.equal(table["official_id"], official_id))
        tables.append(table.cast(REASON_SCHEMA))
    if not any(t.num_rows for t in tables):
        # what reading no row of the row-per-reason table gave
        return pd.DataFrame(columns=list(REASON_COLUMNS))
    table = pa.concat_tables(tables).combine_chunks()
    if not _in_order(table):
        table = table.take(pc.sort_indices(table, [("official_id", "ascending"),
                                                   ("seq", "ascending")]))
    return table.to_pandas()


def _in_order(table: pa.Table) -> bool:
    """Whether the rows are already by (official_id, seq): a few ms, where sorting a
    province's reasons takes a tenth of a second."""
    n = table.num_rows
    if n < 2:
        return True
    ids, seq = table["official_id"], table["seq"]
    later, earlier = ids.slice(1), ids.slice(0, n - 1)
    step = pc.or_(pc.greater(later, earlier),
                  pc.and_(pc.equal(later, earlier),
                          pc.greater(seq.slice(1), seq.slice(0, n - 1))))
    return bool(pc.all(step).as_py())


def database_url(url: str | None = None) -> str:
    """The database a command uses: ``url``, else ``XEPLOAI_DB``, else :data:`DEFAULT_DB`.
    A value without ``://`` is the path of a SQLite file (docs/decisions.md 113)."""
    value = url or os.environ.get(DB_ENV) or DEFAULT_DB
    if "://" in value:
        return value
    # built, not written as text: a '?' or '#' in the path stays part of the file's name
    return URL.create("sqlite", database=value).render_as_string(hide_password=False)


EXPECTED_DB = ("một địa chỉ như sqlite:///xeploai.db hoặc postgresql+psycopg://người_dùng@máy/"
               "tên_cơ_sở_dữ_liệu, hoặc đường dẫn một tệp SQLite")


def check_database_url(url: str | None = None) -> str:
    """The URL of :func:`database_url`, once it names a database this installation can
    open: a URL SQLAlchemy reads, of a kind it has a driver for, and for a SQLite file a
    folder that exists. Checked before a command does any work (a run reads and classifies
    for seconds before it stores); whether the server answers is known only when it is
    opened. Raises :class:`StorageError` saying what is expected."""
    url = database_url(url)
    try:
        parsed = make_url(url)
        parsed.get_dialect().import_dbapi()
    except (ArgumentError, ImportError) as exc:
        raise StorageError(hide_secrets(f"địa chỉ cơ sở dữ liệu không hợp lệ {safe_url(url)!r} "
                                        f"({exc}): cần {EXPECTED_DB}", url)) from None
    if parsed.get_backend_name() == "sqlite" and parsed.database \
            and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
        folder = Path(parsed.database).parent
        if not folder.is_dir():
            raise StorageError(f"không có thư mục {str(folder)!r} để đặt tệp cơ sở dữ liệu "
                               f"{parsed.database!r}: hãy tạo thư mục đó hoặc chọn đường dẫn "
                               "khác")
    return url


# query parameters of a database URL that carry a secret (``?password=…`` as libpq and
# psycopg accept it, ``sslpassword``, tokens): hidden like the ``user:password@`` part
_SECRET_KEY = re.compile(r"pass|pwd|secret|token|key", re.I)
_URL_PASSWORD = re.compile(r"(://[^/@:?#]*:)[^/@?#]*@")
_QUERY_SECRET = re.compile(r"([?&][^=&#]*(?:pass|pwd|secret|token|key)[^=&#]*=)[^&#]*", re.I)
HIDDEN = "***"


def url_secrets(url: str) -> list[str]:
    """The secret values a database URL holds: its password and secret query values."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        found = [m.group(0)[len(m.group(1)):-1] for m in _URL_PASSWORD.finditer(url)]
        found += [m.group(0)[len(m.group(1)):] for m in _QUERY_SECRET.finditer(url)]
        return [s for s in found if s]
    found = [parsed.password] if parsed.password else []
    for key, value in parsed.query.items():
        if _SECRET_KEY.search(key):
            found += [value] if isinstance(value, str) else list(value)
    return [str(s) for s in found if s]


def hide_secrets(text: str, url: str) -> str:
    """``text`` (a message, a driver's error) with every secret of ``url`` replaced."""
    for secret in sorted(url_secrets(url), key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
        text = text.replace(quote(secret, safe=""), HIDDEN)
    return text


def safe_url(url: str) -> str:
    """The URL with its password and secret query values hidden, for messages."""
    hidden = _QUERY_SECRET.sub(lambda m: m.group(1) + HIDDEN, _URL_PASSWORD.sub(
        lambda m: m.group(1) + HIDDEN + "@", url))
    return hide_secrets(hidden, url)


def open_db(url: str | None = None) -> Engine:
    """Connect, create the schema if missing and upgrade it if older (idempotent)."""
    url = database_url(url)
    try:
        is_sqlite = make_url(url).get_backend_name() == "sqlite"
        # another process's write (a run being stored) is waited for, not an error
        engine = create_engine(url, connect_args={"timeout": SQLITE_WAIT} if is_sqlite else {})
    except (ArgumentError, ImportError) as exc:
        raise StorageError(hide_secrets(f"địa chỉ cơ sở dữ liệu không hợp lệ {safe_url(url)!r}: "
                                        f"{exc}", url)) from None
    try:
        with engine.connect() as conn:
            if is_sqlite:
                # SQLite has no advisory lock: take the write lock before looking at the
                # schema, so two first runs on a new file create it one after the other
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            elif conn.dialect.name == "postgresql":
                conn.execute(text("select pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
            create_tables(conn)
            _upgrade(conn)
            conn.commit()
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StorageError(hide_secrets(f"không mở được cơ sở dữ liệu {safe_url(url)}: "
                                        f"{_db_message(exc)}", url)) from None
    return engine


def create_tables(conn: Connection, names: Iterable[str] | None = None) -> None:
    """Create the schema's tables (those ``names`` only, if given) that ``conn``'s database
    lacks, each followed by its indexes in name order. SQLAlchemy's ``create_all`` takes a
    table's indexes from a set, whose order changes from one process to the next, so two
    new databases' schemas would differ (decision 128)."""
    present = set(inspect(conn).get_table_names())
    wanted = None if names is None else set(names)
    for table in schema.metadata.sorted_tables:
        if table.name in present or (wanted is not None and table.name not in wanted):
            continue
        conn.execute(CreateTable(table))
        for index in sorted(table.indexes, key=lambda index: str(index.name)):
            conn.execute(CreateIndex(index))


def _db_message(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip().splitlines()[0]


def _upgrade(conn: Connection) -> None:
    version = conn.execute(select(schema.xeploai_schema.c.version)).scalar_one_or_none()
    if version is None:
        # a new database, or one made before the version table existed: version 1, whose
        # runs must go through the migrations like any other version-1 database
        has_runs = conn.execute(select(schema.runs.c.id).limit(1)).first() is not None
        version = 1 if has_runs else SCHEMA_VERSION
        conn.execute(insert(schema.xeploai_schema).values(id=1, version=version))
    if version > SCHEMA_VERSION:
        raise StorageError(f"cơ sở dữ liệu có lược đồ phiên bản {version}, mới hơn phiên bản "
                           f"{SCHEMA_VERSION} của xeploai này: hãy cập nhật xeploai")
    for target in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[target](conn)
    if version < SCHEMA_VERSION:
        conn.execute(update(schema.xeploai_schema).values(version=SCHEMA_VERSION))


def _reasons_to_blocks(conn: Connection) -> None:
    """Version 2: the row-per-reason ``reasons`` table becomes ``reason_blocks``, run by
    run, each run's rows read in order and streamed block by block; then it is dropped."""
    if not inspect(conn).has_table("reasons"):
        return
    old = _v1_reasons_table()
    runs = conn.execute(select(old.c.run_id).distinct().order_by(old.c.run_id)).scalars().all()
    for run_id in runs:
        query = select(*(old.c[c] for c in REASON_COLUMNS)).where(old.c.run_id == run_id) \
            .order_by(old.c.official_id, old.c.seq)
        # yield_per streams (a server-side cursor on PostgreSQL) for this query only
        rows = conn.execute(query, execution_options={"yield_per": BLOCK_ROWS})
        block = 0
        for chunk in rows.partitions(BLOCK_ROWS):
            frame = pd.DataFrame.from_records(chunk, columns=list(REASON_COLUMNS))
            for first, last, n, data in encode_reason_blocks(frame):
                _insert_block(conn, run_id, block, first, last, n, data)
                block += 1
    old.drop(conn)


def _v1_reasons_table() -> Table:
    """The version-1 ``reasons`` table, known only to the migration that removes it (its
    column types give the same Python values the old ``load_reasons`` read)."""
    texts = [c for c in REASON_COLUMNS if c not in ("seq", "points", "exclude")]
    return Table("reasons", MetaData(),
                 Column("run_id", Integer, primary_key=True),
                 Column("seq", Integer, primary_key=True),
                 Column("points", Float), Column("exclude", Boolean),
                 *(Column(c, String, primary_key=c == "official_id") for c in texts))


def _add_as_of(conn: Connection) -> None:
    """Version 3: runs record their as-of date (SPEC §10); older runs read it as NULL."""
    if "as_of" not in {c["name"] for c in inspect(conn).get_columns("runs")}:
        conn.execute(text("ALTER TABLE runs ADD COLUMN as_of DATE"))




# Version 4's new columns (SPEC §8), as DDL both SQLite and PostgreSQL accept; nullable or
# with a default, so existing rows stay valid
_V4_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "runs": (("repeats_run", "INTEGER"), ("assumptions", "VARCHAR NOT NULL DEFAULT '{}'")),
    "overrides": (("basis", "VARCHAR"), ("against_rules", "VARCHAR"),
                  ("minutes_no", "VARCHAR"), ("meeting_date", "DATE"),
                  ("votes_for", "INTEGER"), ("votes_against", "INTEGER"),
                  ("votes_abstaining", "INTEGER"), ("carried_from", "INTEGER"),
                  ("carried_by", "VARCHAR")),
}


def _council_columns(conn: Connection) -> None:
    """Version 4: decisions get their legal basis, meeting and origin; runs what they repeat
    and their assumptions. A table made by this version's :func:`create_tables` already has
    them."""
    inspector = inspect(conn)
    quote = conn.dialect.identifier_preparer.quote
    for table, columns in _V4_COLUMNS.items():
        if not inspector.has_table(table):
            continue
        have = {c["name"] for c in inspector.get_columns(table)}
        for name, ddl in columns:
            if name not in have:
                conn.execute(text(f"ALTER TABLE {quote(table)} ADD COLUMN {quote(name)} {ddl}"))


# version n -> the function that upgrades a version n-1 database to n
MIGRATIONS: dict[int, Callable[[Connection], None]] = {2: _reasons_to_blocks, 3: _add_as_of,
                                                       4: _council_columns}


def _insert_block(conn: Connection, run_id: int, block: int, first: str, last: str, rows: int,
                  data: bytes) -> None:
    conn.execute(insert(schema.reason_blocks).values(run_id=run_id, block=block,
                                              first_official=first, last_official=last,
                                              rows=rows, data=data))


@dataclass(frozen=True)
class RunMeta:
    policy_name: str
    policy_path: str
    policy_hash: str
    data_dir: str
    input_hashes: dict[str, str]
    tool_version: str
    created_at: dt.datetime
    repeats_run: int | None = None
    assumptions: str = "{}"  # JSON (xeploai.scoring.assumptions.run_assumptions)


def _bulk_insert(conn: Connection, into: Table, df: pd.DataFrame, columns: tuple[str, ...],
                 run_id: int) -> None:
    """Insert a frame in the connection's transaction: on PostgreSQL through ``COPY``, on
    SQLite through the driver's own ``executemany`` of many-row ``INSERT`` statements.

    Row dicts and SQLAlchemy's per-row parameter processing cost more than SQLite's own
    work (≈ 14 s for a province's 150,000 reasons); plain tuples built column by column
    take about a second. Columns become Python scalars with ``tolist()`` (no numpy types
    reach the driver)."""
    if df.empty:
        return
    quote = conn.dialect.identifier_preparer.quote
    names = ["run_id", *columns]
    table, column_list = quote(into.name), ", ".join(quote(n) for n in names)
    if conn.dialect.name == "postgresql":
        _copy_insert(conn, table, column_list, df[list(columns)].assign(run_id=run_id)[names])
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    row_marks = f"({', '.join([mark] * len(names))})"
    grid = np.empty((len(df), len(names)), dtype=object)
    grid[:, 0] = run_id
    for position, column in enumerate(columns, start=1):
        grid[:, position] = df[column].tolist()  # Python scalars: no numpy type reaches SQLite
    # many rows per statement: SQLite steps once per statement, not once per row (a
    # province's results: 0.18 → 0.12 s CPU, docs/decisions.md 114)
    rows_per_insert = SQLITE_PARAMETERS // len(names)
    whole = len(df) - len(df) % rows_per_insert
    insert_sql = f"INSERT INTO {table} ({column_list}) VALUES "
    # exec_driver_sql hands the parameters to the driver's executemany as they are, and
    # still goes through SQLAlchemy's events and error wrapping (StorageError, fault tests)
    if whole:
        statements = grid[:whole].reshape(-1, rows_per_insert * len(names)).tolist()
        conn.exec_driver_sql(insert_sql + ", ".join([row_marks] * rows_per_insert),
                             [tuple(values) for values in statements])
    if whole < len(df):
        conn.exec_driver_sql(insert_sql + ", ".join([row_marks] * (len(df) - whole)),
                             tuple(grid[whole:].ravel().tolist()))


def _copy_insert(conn: Connection, table: str, column_list: str, rows: pd.DataFrame) -> None:
    """PostgreSQL: the rows as one CSV text (pyarrow's writer: every text quoted, so a
    blank stays a blank and only a missing value is NULL) through ``COPY`` into a
    temporary table, then one ``INSERT … SELECT`` into ``table``.

    ``COPY`` takes a province's 50,000 results in ≈ 0.15 s where ``executemany`` takes
    ≈ 1.1 s; the final ``INSERT`` still goes through SQLAlchemy (its events, its error
    wrapping), so a failure is reported and rolled back like any other statement."""
    staging = "xeploai_incoming"
    csv = pa.BufferOutputStream()
    pacsv.write_csv(pa.Table.from_pandas(rows, preserve_index=False), csv,
                    pacsv.WriteOptions(include_header=False))
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {staging} (LIKE {table}) ON COMMIT DROP")
    copy_sql = f"COPY {staging} ({column_list}) FROM STDIN WITH (FORMAT csv)"
    driver = conn.connection.dbapi_connection
    try:
        with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:  # type: ignore[union-attr]
            copy.write(csv.getvalue().to_pybytes())
    except conn.dialect.loaded_dbapi.Error as exc:  # the driver's own error, as SQLAlchemy's
        raise DBAPIError.instance(copy_sql, None, exc, conn.dialect.loaded_dbapi.Error) \
            from exc
    conn.exec_driver_sql(f"INSERT INTO {table} ({column_list}) "
                         f"SELECT {column_list} FROM {staging}")
    conn.exec_driver_sql(f"DROP TABLE {staging}")


def save_run(engine: Engine, result: Classification, meta: RunMeta) -> int:
    """Store a classification as a new run, atomically. Returns the run id.

    Any failure (a database error, a full disk, Ctrl-C) rolls the whole run back: the
    database is left as it was. Database errors become :class:`StorageError`.
    """
    return save_run_parts(engine, [result], meta)


def save_run_parts(engine: Engine, parts: Iterable[Classification], meta: RunMeta) -> int:
    """Store the classifications of disjoint groups of units as one run, in one
    transaction (``--by-unit``: :mod:`xeploai.scoring.input.split_by_unit`); ``parts`` may
    be a generator that classifies each group as it is asked for, so only one group is in
    memory at a time."""
    try:
        return _insert_run(engine, parts, meta)
    except SQLAlchemyError as exc:
        url = engine.url.render_as_string(hide_password=False)
        raise StorageError(hide_secrets(f"không lưu được lần chạy vào {safe_url(url)}: "
                                        f"{_db_message(exc)} — không có gì được lưu", url)) \
            from exc
    except OSError as exc:
        raise StorageError(f"không lưu được lần chạy: {exc} — không có gì được lưu") from exc


def _insert_run(engine: Engine, parts: Iterable[Classification], meta: RunMeta) -> int:
    pending = iter(parts)
    first = next(pending)
    with engine.begin() as conn:
        run_id = int(conn.execute(insert(schema.runs).values(
            year=first.year, created_at=meta.created_at, policy_name=meta.policy_name,
            policy_path=meta.policy_path, policy_hash=meta.policy_hash, data_dir=meta.data_dir,
            input_hashes=json.dumps(meta.input_hashes, sort_keys=True),
            plugins=json.dumps(first.plugins), tool_version=meta.tool_version,
            considered_on=first.considered_on, officials=len(first.results),
            as_of=first.as_of, repeats_run=meta.repeats_run, assumptions=meta.assumptions,
        ).returning(schema.runs.c.id)).scalar_one())
        officials = 0
        block = 0  # numbered across parts: a run's blocks are 0..n-1
        # the reasons are compressed in a thread while the results go in: Arrow and SQLite
        # both leave the interpreter's lock while they work, so on a second core (idle while
        # a run stores) the province's 49 ms of encoding costs no time (docs/decisions.md 125)
        for result in itertools.chain([first], pending):
            officials += len(result.results)
            with ThreadPoolExecutor(max_workers=1) as encoder:
                encoded = encoder.submit(list, encode_reason_blocks(result.reasons))
                if len(result.results):
                    _bulk_insert(conn, schema.results, result.results, RESULT_COLUMNS, run_id)
                blocks = encoded.result()
            for first_official, last_official, rows, data in blocks:
                _insert_block(conn, run_id, block, first_official, last_official, rows, data)
                block += 1
            if len(result.quotas):
                _bulk_insert(conn, schema.run_quotas, result.quotas, QUOTA_COLUMNS, run_id)
            if len(result.units):
                _bulk_insert(conn, schema.run_units, result.units, UNIT_COLUMNS, run_id)
        if officials != len(first.results):  # split by unit: every group's officials
            conn.execute(update(schema.runs).where(schema.runs.c.id == run_id)
                         .values(officials=officials))
    return run_id


def get_run(engine: Engine, run_id: int | None = None) -> RunRecord:
    """The run with ``run_id``, or the latest run, as a record (SQLModel's ORM, imported by
    the commands that read runs, not by ``xeploai run``)."""
    from .run_tables import get_run as run_record

    return run_record(engine, run_id)


def list_runs(engine: Engine) -> list[RunRecord]:
    from .run_tables import list_runs as run_records

    return run_records(engine)


def find_repeated_run(engine: Engine, year: int, policy_hash: str,
                      input_hashes: dict[str, str], plugins: dict[str, str],
                      tool_version: str, as_of: dt.date | None = None) -> int | None:
    """The latest stored run of ``year`` with the same policy content, input files (names and
    SHA-256), plugin versions and xeploai version — one whose results a new run would repeat
    byte for byte — or None."""
    query = select(schema.runs.c.id, schema.runs.c.input_hashes, schema.runs.c.plugins) \
        .where(schema.runs.c.year == year, schema.runs.c.policy_hash == policy_hash,
               schema.runs.c.tool_version == tool_version, schema.runs.c.as_of == as_of) \
        .order_by(schema.runs.c.id.desc())
    with engine.connect() as conn:
        for run_id, stored_inputs, stored_plugins in conn.execute(query):
            if json.loads(stored_inputs) == input_hashes \
                    and json.loads(stored_plugins) == plugins:
                return int(run_id)
    return None


def load_results(engine: Engine, run_id: int) -> pd.DataFrame:
    query = select(schema.results).where(schema.results.c.run_id == run_id) \
        .order_by(schema.results.c.official_id)
    with engine.connect() as conn:
        df = pd.read_sql(query, conn)
    return df.drop(columns=["run_id"])[list(RESULT_COLUMNS)]


def load_reasons(engine: Engine, run_id: int, official_id: str | None = None) -> pd.DataFrame:
    """The run's reasons (REASON_COLUMNS, by official_id then seq); with ``official_id``
    only that official's, decoding only the blocks whose id range holds it."""
    query = select(schema.reason_blocks.c.data).where(schema.reason_blocks.c.run_id == run_id)
    with engine.connect() as conn:
        if official_id is not None:
            # the ranges are compared here, in code point order as they were computed:
            # a PostgreSQL collation may order the ids otherwise
            bounds = conn.execute(
                select(schema.reason_blocks.c.block, schema.reason_blocks.c.first_official,
                       schema.reason_blocks.c.last_official)
                .where(schema.reason_blocks.c.run_id == run_id)).all()
            blocks = [b for b, first, last in bounds if first <= official_id <= last]
            if not blocks:
                return decode_reason_blocks([])
            query = query.where(schema.reason_blocks.c.block.in_(blocks))
        blobs = conn.execute(query.order_by(schema.reason_blocks.c.block)).scalars().all()
    return decode_reason_blocks(blobs, official_id)


def load_quotas(engine: Engine, run_id: int) -> pd.DataFrame:
    query = select(schema.run_quotas).where(schema.run_quotas.c.run_id == run_id) \
        .order_by(schema.run_quotas.c.unit_id, schema.run_quotas.c.peer_group)
    with engine.connect() as conn:
        df = pd.read_sql(query, conn)
    return df.drop(columns=["run_id"])[list(QUOTA_COLUMNS)]


def load_units(engine: Engine, run_id: int) -> pd.DataFrame:
    query = select(schema.run_units).where(schema.run_units.c.run_id == run_id) \
        .order_by(schema.run_units.c.unit_id)
    with engine.connect() as conn:
        df = pd.read_sql(query, conn)
    return df.drop(columns=["run_id"])[list(UNIT_COLUMNS)]
