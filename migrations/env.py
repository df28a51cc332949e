"""Alembic environment for repub.

Run programmatically by ``repub.store.migrate`` (which hands over an open connection in
``config.attributes["connection"]``) or by developers with ``alembic`` and the top-level alembic.ini.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from repub.store.engine import create_engine, resolve_database_url
from repub.store.models import Base
from repub.store.searchindex import not_the_index

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.get_section("loggers") is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    return config.attributes.get("url") or config.get_main_option("sqlalchemy.url") or resolve_database_url()


def _configure_and_run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=not_the_index,  # the full-text index is not a model (repub.store.searchindex)
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    engine = create_engine(_url())
    try:
        with engine.begin() as conn:
            _configure_and_run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
