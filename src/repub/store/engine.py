"""Database URL resolution and engine creation. Everything SQLite-specific in repub lives here."""

from __future__ import annotations

import functools
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session

from repub.errors import ConfigError, StoreError

DEFAULT_DB_FILE = "repub.db"

# Applied to every new SQLite connection. WAL lets readers run beside one writer; busy_timeout makes a
# second process wait for the write lock instead of failing at once; foreign keys are off by default.
SQLITE_PRAGMAS: tuple[tuple[str, str], ...] = (
    ("journal_mode", "WAL"),
    ("busy_timeout", "30000"),
    ("foreign_keys", "ON"),
    ("synchronous", "NORMAL"),
)

# JSON columns hold text as written ("Jürgen", not "J\u00fcrgen"): the full-text index reads the names in
# ``authors`` and ``credits`` off their JSON text (repub.store.searchindex), and the text is shorter.
json_dumps = functools.partial(json.dumps, ensure_ascii=False)


def driver_message(exc: BaseException) -> str:
    """What the database said, on one line, for an error message: the driver's own words ("no such
    table: url_aliases", "connection refused Is the server running on that host…"), without what
    SQLAlchemy adds to them: the statement and its parameters (which may hold an article's whole text,
    and went into error lines and the web app's answers) and a link to its docs."""
    # SQLAlchemy's statement and all after it; PostgreSQL's "LINE 3: ...the statement... ^" pointer
    text = re.split(r"\[SQL: |\nLINE \d+: ", str(getattr(exc, "orig", None) or exc), maxsplit=1)[0]
    lines = (line.strip() for line in text.splitlines())
    kept = [line for line in lines if line and not line.startswith("(Background on this error at:")]
    return " ".join(kept) or type(exc).__name__


# Execution option that marks an engine whose transactions will write (see ``write_engine``).
WRITE_OPTION = "repub_write"


def _sqlite_url_for_path(path: str) -> str:
    if path == ":memory:":
        return "sqlite:///:memory:"
    return f"sqlite:///{Path(path).expanduser().absolute()}"


def resolve_database_url(db_path: str | None = None) -> str:
    """``--db PATH``, else $REPUB_DATABASE_URL (any SQLAlchemy URL), else $REPUB_DB (a path), else ./repub.db.

    A ``db_path`` that already looks like a URL (``postgresql://…``) is taken as one.
    """
    if db_path:
        url = db_path if "://" in db_path else _sqlite_url_for_path(db_path)
    elif env_url := os.environ.get("REPUB_DATABASE_URL"):
        url = env_url
    elif env_path := os.environ.get("REPUB_DB"):
        url = _sqlite_url_for_path(env_path)
    else:
        url = _sqlite_url_for_path(DEFAULT_DB_FILE)
    try:
        make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"not a database URL: {url!r}") from exc
    return url


def is_sqlite(url: str | sa.URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str | sa.URL) -> Path | None:
    """The database file of a SQLite URL, None for in-memory databases and other backends."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def create_engine(url: str, *, read_only: bool = False) -> Engine:
    """The one place engines are made. For SQLite: parent directory created, PRAGMAs set per connection.

    ``read_only``: no connection of the engine can write (``repub serve``): SQLite opens the file with
    ``mode=ro`` (it must exist) and ``query_only``; PostgreSQL sessions start with
    ``default_transaction_read_only``. Writes fail in the database, whatever the code asks.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() != "sqlite":
        shown = parsed.render_as_string(hide_password=True)
        options: dict[str, object] = {}
        if read_only and parsed.get_backend_name() == "postgresql":
            options["connect_args"] = {"options": "-c default_transaction_read_only=on"}
        try:
            return sa.create_engine(parsed, json_serializer=json_dumps, **options)
        except NoSuchModuleError:
            raise ConfigError(f"cannot open database {shown}: no database driver for "
                              f"{parsed.drivername!r}") from None
        except ImportError as exc:  # a known kind whose Python driver is not installed
            raise ConfigError(f"cannot open database {shown}: its driver is not installed ({exc})") from None

    path = sqlite_file(parsed)
    if read_only:
        if path is None:
            raise ConfigError(f"a read-only database must be a file: {url!r}")
        if not path.is_file():
            raise StoreError(f"no database at {path}")
        # The URI form is the only way to ask SQLite for mode=ro; the path is quoted for it.
        parsed = make_url(f"sqlite:///file:{quote(str(path.absolute()))}?mode=ro&uri=true")
    elif path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create directory for database {path}: {exc}") from exc
    engine = sa.create_engine(parsed, json_serializer=json_dumps)
    _install_sqlite_hooks(engine, read_only=read_only)
    return engine


def write_engine(engine: Engine) -> Engine:
    """A view of ``engine`` (same pool) whose transactions take the write lock up front.

    On SQLite a deferred transaction that reads and then writes can fail with SQLITE_BUSY when another
    connection committed in between (busy_timeout cannot help there), so writers use BEGIN IMMEDIATE.
    Other backends ignore the option.
    """
    return engine.execution_options(**{WRITE_OPTION: True})


# PostgreSQL advisory lock key held while the schema is migrated (runs.py holds another for whole runs).
MIGRATION_LOCK_KEY = 0x72657075625F6D  # "repub_m"


def serialize_migrations(conn: sa.Connection) -> None:
    """Make a migrating transaction wait for any other on the same database, before it reads the revision.

    SQLite already does (the transaction began with BEGIN IMMEDIATE). PostgreSQL takes a transaction-level
    advisory lock, released at commit: without it, processes opening a fresh database at once each
    created the same tables, and waited on each other's catalog rows for good."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})


def database_now(conn: sa.Connection | Session) -> datetime | None:
    """The database server's clock, for times several machines compare (queue leases, host slots), so
    a worker whose clock is off neither steals live leases nor keeps a host waiting. None on SQLite:
    one machine, this one, whose clock is the only one."""
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    if bind.dialect.name != "postgresql":
        return None
    found = conn.execute(sa.text("SELECT clock_timestamp()")).scalar()
    return found.astimezone(UTC) if isinstance(found, datetime) else None


# A read-only connection sets what it may: the journal mode is the writers' (WAL, kept in the file).
SQLITE_READ_ONLY_PRAGMAS: tuple[tuple[str, str], ...] = (("busy_timeout", "30000"), ("query_only", "ON"))


def _install_sqlite_hooks(engine: Engine, *, read_only: bool = False) -> None:
    pragmas = SQLITE_READ_ONLY_PRAGMAS if read_only else SQLITE_PRAGMAS

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Take transaction control away from pysqlite so that "begin" below decides how to BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for name, value in pragmas:
                cursor.execute(f"PRAGMA {name}={value}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def insert_ignoring_conflicts(conn_or_session: sa.Connection | object, table: sa.Table,
                              rows: list[dict[str, object]], key: str) -> None:
    """INSERT rows, skipping any whose ``key`` already exists (ON CONFLICT DO NOTHING), per dialect.

    SQLite and PostgreSQL both spell it ON CONFLICT; other backends fall back to look-then-insert.
    """
    if not rows:
        return
    target: Any = conn_or_session  # a Connection or a Session: both execute, one gives its bind
    bind = target.get_bind() if hasattr(target, "get_bind") else target
    name = bind.dialect.name
    execute = target.execute
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        execute(pg_insert(table).values(rows).on_conflict_do_nothing(index_elements=[key]))
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        execute(sqlite_insert(table).values(rows).on_conflict_do_nothing(index_elements=[key]))
    else:
        column = table.c[key]
        known = set(execute(sa.select(column).where(column.in_([r[key] for r in rows]))).scalars())
        fresh = [r for r in rows if r[key] not in known]
        if fresh:
            execute(sa.insert(table), fresh)
