"""Alembic, run from code: the scripts ship inside the package as ``repub.migrations``."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from repub.errors import StoreError
from repub.store.engine import create_engine, serialize_migrations, write_engine


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the installed migration scripts; no alembic.ini needed."""
    cfg = Config()
    cfg.set_main_option("script_location", str(files("repub.migrations")))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser interpolates '%'
    cfg.attributes["url"] = url
    return cfg


def head_revision(url: str = "sqlite://") -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_engine(engine: Engine, revision: str = "head") -> bool:
    """Upgrade the database behind ``engine``; returns whether any migration ran.

    The revision check and the upgrade share one write transaction, so two processes opening a fresh
    database at once do not both try to create the tables.
    """
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
        raise StoreError(f"cannot migrate database {engine.url!r}: {exc}") from exc


def downgrade_engine(engine: Engine, revision: str) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with write_engine(engine).begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate database {engine.url!r}: {exc}") from exc


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
