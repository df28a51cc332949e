"""repub on a real PostgreSQL server (tests/pg.py starts one per session, or these tests skip saying
no binaries were found): migrations up and down, models == migrations (procrastinate's own tables
aside: migration 0008 applies its schema as it ships). The workers: tests/test_workers.py."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from repub.store import create_engine, current_revision, downgrade, upgrade
from repub.store.models import Base
from repub.store.searchindex import not_the_index
from test_migrations import ENGINE_TABLES, HEAD, TABLES, TABLES_0003, TABLES_0004


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_up_down_up(pg_url: str) -> None:
    assert upgrade(pg_url) is True
    assert _tables(pg_url) == TABLES | ENGINE_TABLES
    engine = create_engine(pg_url)
    try:
        assert current_revision(engine) == HEAD
        with engine.connect() as conn:
            # procrastinate's tables are its own; the search index is not a model (repub.store.searchindex)
            opts = {"compare_type": True, "include_name": lambda name, kind, parent: not (
                kind == "table" and (name or "").startswith("procrastinate_")) and not_the_index(
                    name, kind, parent)}
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()
    downgrade(pg_url, "0007")  # 0011-0009 go, then procrastinate's schema: the queue table is back
    assert _tables(pg_url) == TABLES_0004
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            left = conn.execute(sa.text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%' "
                                        "UNION ALL SELECT count(*) FROM pg_type WHERE typname LIKE "
                                        "'procrastinate%'")).scalars().all()
    finally:
        engine.dispose()
    assert left == [0, 0]
    downgrade(pg_url, "0003")
    assert _tables(pg_url) == TABLES_0003
    downgrade(pg_url, "base")
    assert _tables(pg_url) == set()
    assert upgrade(pg_url) is True
    assert upgrade(pg_url) is False
    assert _tables(pg_url) == TABLES | ENGINE_TABLES
