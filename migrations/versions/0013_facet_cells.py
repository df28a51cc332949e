"""Search facets counted per cell number: ``article_counts`` numbers its cells (``cell``) and a new table
``article_cells`` holds each article's cell number, both kept by the triggers of 0009 made again
(SQLite only; PostgreSQL counts live and gains nothing here).

The search page counts a search's matches per (site, status, copy or not, diverged or not). Reading
those four facts through ``ix_articles_facets`` (a wide index: it holds URLs) and grouping by them took
most of the page's time at 100k articles; a seek per match in a table of two integers and an integer
GROUP BY take less than half of it (bench/results/web-2026-12-06.md). The counts and the cells are counted
again from the articles (a GROUP BY and one INSERT ... SELECT: seconds at 100k). The statements are
``repub.store.searchindex``'s as of this revision, frozen here (tests/test_migrations.py compares a
fresh database with a migrated one); the downgrade makes 0009's ``article_counts`` and triggers again.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROP = (
    "DROP TRIGGER IF EXISTS article_counts_update",
    "DROP TRIGGER IF EXISTS article_counts_delete",
    "DROP TRIGGER IF EXISTS article_counts_insert",
    "DROP TABLE IF EXISTS article_cells",
    "DROP TABLE IF EXISTS article_counts",
)
SQLITE = (
    'CREATE TABLE article_counts (site VARCHAR(255) NOT NULL, status VARCHAR(16) NOT NULL, copy '
    'BOOLEAN NOT NULL, diverged BOOLEAN NOT NULL, n INTEGER NOT NULL, cell INTEGER NOT NULL, PRIMARY '
    'KEY (site, status, copy, diverged)) WITHOUT ROWID',
    'CREATE TABLE article_cells (id INTEGER PRIMARY KEY, cell INTEGER NOT NULL)',
    'CREATE TRIGGER article_counts_insert AFTER INSERT ON articles BEGIN INSERT INTO article_counts '
    "(site, status, copy, diverged, n, cell) VALUES (coalesce(new.site, ''), new.status, "
    'new.original_url IS NOT NULL OR new.original_outlet IS NOT NULL, new.diverged_since IS NOT NULL, '
    '1, (SELECT coalesce(max(cell), 0) + 1 FROM article_counts)) ON CONFLICT (site, status, copy, '
    'diverged) DO UPDATE SET n = n + 1; INSERT INTO article_cells (id, cell) VALUES (new.id, (SELECT '
    "cell FROM article_counts WHERE site = coalesce(new.site, '') AND status = new.status AND copy = "
    '(new.original_url IS NOT NULL OR new.original_outlet IS NOT NULL) AND diverged = '
    '(new.diverged_since IS NOT NULL))); END',
    'CREATE TRIGGER article_counts_delete AFTER DELETE ON articles BEGIN INSERT INTO article_counts '
    "(site, status, copy, diverged, n, cell) VALUES (coalesce(old.site, ''), old.status, "
    'old.original_url IS NOT NULL OR old.original_outlet IS NOT NULL, old.diverged_since IS NOT NULL, '
    '-1, (SELECT coalesce(max(cell), 0) + 1 FROM article_counts)) ON CONFLICT (site, status, copy, '
    'diverged) DO UPDATE SET n = n + -1; DELETE FROM article_cells WHERE id = old.id; END',
    'CREATE TRIGGER article_counts_update AFTER UPDATE OF site, status, original_url, '
    "original_outlet, diverged_since ON articles WHEN coalesce(old.site, '') IS NOT "
    "coalesce(new.site, '') OR old.status IS NOT new.status OR (old.original_url IS NOT NULL OR "
    'old.original_outlet IS NOT NULL) IS NOT (new.original_url IS NOT NULL OR new.original_outlet IS '
    'NOT NULL) OR (old.diverged_since IS NULL) IS NOT (new.diverged_since IS NULL) BEGIN INSERT INTO '
    "article_counts (site, status, copy, diverged, n, cell) VALUES (coalesce(old.site, ''), "
    'old.status, old.original_url IS NOT NULL OR old.original_outlet IS NOT NULL, old.diverged_since '
    'IS NOT NULL, -1, (SELECT coalesce(max(cell), 0) + 1 FROM article_counts)) ON CONFLICT (site, '
    'status, copy, diverged) DO UPDATE SET n = n + -1; INSERT INTO article_counts (site, status, '
    "copy, diverged, n, cell) VALUES (coalesce(new.site, ''), new.status, new.original_url IS NOT "
    'NULL OR new.original_outlet IS NOT NULL, new.diverged_since IS NOT NULL, 1, (SELECT '
    'coalesce(max(cell), 0) + 1 FROM article_counts)) ON CONFLICT (site, status, copy, diverged) DO '
    'UPDATE SET n = n + 1; UPDATE article_cells SET cell = (SELECT cell FROM article_counts WHERE '
    "site = coalesce(new.site, '') AND status = new.status AND copy = (new.original_url IS NOT NULL "
    'OR new.original_outlet IS NOT NULL) AND diverged = (new.diverged_since IS NOT NULL)) WHERE id = '
    'new.id; END',
)
BACKFILL = (
    "INSERT INTO article_counts (site, status, copy, diverged, n, cell) SELECT coalesce(site, ''), "
    'status, original_url IS NOT NULL OR original_outlet IS NOT NULL, diverged_since IS NOT NULL, '
    "count(*), row_number() OVER (ORDER BY coalesce(site, ''), status, original_url IS NOT NULL OR "
    'original_outlet IS NOT NULL, diverged_since IS NOT NULL) FROM articles GROUP BY 1, 2, 3, 4',
    'INSERT INTO article_cells (id, cell) SELECT a.id, k.cell FROM articles AS a JOIN article_counts '
    "AS k ON k.site = coalesce(a.site, '') AND k.status = a.status AND k.copy = (a.original_url IS "
    'NOT NULL OR a.original_outlet IS NOT NULL) AND k.diverged = (a.diverged_since IS NOT NULL)',
)


def _sqlite_0009() -> tuple[str, ...]:
    """0009's statements of ``article_counts`` (its table, triggers and backfill), as it froze them."""
    spec = importlib.util.spec_from_file_location("m0009", Path(__file__).with_name("0009_search_index.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return tuple(s for s in module.SQLITE if "article_counts" in s)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in (*DROP, *SQLITE, *BACKFILL):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in (*DROP, *_sqlite_0009()):
        op.execute(statement)
