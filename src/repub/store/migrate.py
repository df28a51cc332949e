"""Alembic, run from code: the scripts ship inside the package as ``repub.migrations``.

Alembic is imported only when a migration may run: every command opens the store, and importing it
costs ~70 ms, while most opens find the schema at the head revision already. ``upgrade_engine`` reads
the stored revision with one SELECT and the head from the scripts' ``revision``/``down_revision``
lines (``script_head``); an empty database is created from the models at the head revision
(``create_at_head``); anything else goes the Alembic way, as before.
"""

from __future__ import annotations

import functools
import re
from importlib.resources import files
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from repub.errors import StoreError
from repub.store.engine import create_engine, driver_message, serialize_migrations, write_engine

if TYPE_CHECKING:
    from alembic.config import Config

# `revision: str = "0004"` / `down_revision: str | None = "0003"` (or None), as script.py.mako writes them
_REVISION = re.compile(r"""^revision(?:\s*:[^=\n]*)?\s*=\s*["']([^"'\n]+)["']\s*$""", re.M)
_DOWN = re.compile(r"""^down_revision(?:\s*:[^=\n]*)?\s*=\s*(?:None|["']([^"'\n]+)["'])\s*$""", re.M)


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the installed migration scripts; no alembic.ini needed."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(files("repub.migrations")))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser interpolates '%'
    cfg.attributes["url"] = url
    return cfg


def head_revision(url: str = "sqlite://") -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


@functools.cache
def script_head() -> str | None:
    """The head revision read off the scripts' text without Alembic; None when that reading is not
    certain (a merge revision, two heads, a script it cannot parse): callers then ask Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in files("repub.migrations").joinpath("versions").iterdir():
        if not script.name.endswith(".py") or script.name.startswith("_"):
            continue
        text = script.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(text), _DOWN.findall(text)
        if len(revision) != 1 or len(down) != 1:
            return None
        revisions.add(revision[0])
        if down[0]:
            parents.add(down[0])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def stored_revision(engine: Engine) -> str | None:
    """The one revision in the alembic_version table; None when there is no table, no row or several."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:
        return None
    return rows[0][0] if len(rows) == 1 else None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_engine(engine: Engine, revision: str = "head") -> bool:
    """Upgrade the database behind ``engine``; returns whether any migration ran.

    A database already at the head returns False without Alembic. Otherwise the revision check and
    the upgrade share one write transaction, so two processes opening a fresh database at once do
    not both try to create the tables.
    """
    if revision == "head" and (head := script_head()) is not None:
        stored = stored_revision(engine)
        if stored == head:
            return False
        if stored is None and create_at_head(engine, head):
            return True
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    target = ScriptDirectory.from_config(cfg).get_current_head() if revision == "head" else revision
    try:
        with write_engine(engine).begin() as conn:
            serialize_migrations(conn)
            if MigrationContext.configure(conn).get_current_revision() == target:
                return False
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            return True
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate database {engine.url!r}: {driver_message(exc)}") from exc


def create_at_head(engine: Engine, head: str) -> bool:
    """An empty database gets the models' tables and the head revision stamped, in one write
    transaction, as Alembic's docs suggest for new databases (``create_all`` then ``stamp``): the
    migrations replayed one by one cost ~0.1 s of every fresh database's first open, Alembic's import
    included. False, and nothing done, when the database holds any table (a partly migrated one, one
    another process has just created): the migrations path decides then. tests/test_migrations.py
    checks that both paths give the same schema, names included (later migrations and downgrades
    address indexes and constraints by name), on SQLite and PostgreSQL. It cannot see rows: a future
    migration that also writes rows (0006 only rewrites rows that exist) must have them written here too.
    On PostgreSQL the work queue's engine schema (procrastinate's, migration 0008) goes in with them."""
    from repub.store import searchindex
    from repub.store.jobs import apply_engine_schema
    from repub.store.models import Base

    try:
        with write_engine(engine).begin() as conn:
            serialize_migrations(conn)
            if sa.inspect(conn).get_table_names():
                return False
            Base.metadata.create_all(conn)
            searchindex.install(conn)  # the search index: not a model (see repub.store.searchindex)
            apply_engine_schema(conn)
            conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                                 "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
            conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": head})
            return True
    except SQLAlchemyError as exc:
        why = driver_message(exc)
        raise StoreError(f"cannot create the tables of database {engine.url!r}: {why}") from exc


def downgrade_engine(engine: Engine, revision: str) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with write_engine(engine).begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate database {engine.url!r}: {driver_message(exc)}") from exc
    except CommandError as exc:  # a revision the scripts do not know, or not below the current one
        why = str(exc)
        if why.startswith("Can't locate revision"):
            known = sorted(s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions())
            why = f"no such revision (known: {', '.join(['base', *known])})"
        raise StoreError(f"cannot downgrade the database to {revision!r}: {why}") from None


def upgrade(url: str, revision: str = "head") -> bool:
    engine = create_engine(url)
    try:
        return upgrade_engine(engine, revision)
    finally:
        engine.dispose()


def downgrade(url: str, revision: str = "base") -> None:
    engine = create_engine(url)
    try:
        downgrade_engine(engine, revision)
    finally:
        engine.dispose()
