"""Full-text search over the articles, kept in step by the database (``repub search``, ``repub serve``).

SQLite: an FTS5 table ``articles_fts`` over title, byline, authors, credits and body (external content:
the text is not stored twice), three triggers that keep it in step with ``articles`` in the writing
transaction, and the rows stored so far indexed (the backfill, FTS5's 'rebuild'). ``authors`` and
``credits`` are indexed as their JSON text; lists written before this revision escaped non-ASCII
letters ("M\\u00fcller"), so those lists are first written again as text ("Müller"), as the store now
writes them. PostgreSQL: a generated ``tsvector`` column ``articles.search_vector`` (computed for every
stored row when it is added) and its GIN index.
The statements are ``repub.store.fts``'s as of this revision, frozen here: a migration must not change
when the code does. A fresh database gets the same from ``repub.store.fts.install``
(tests/test_migrations.py compares the two).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = "title, byline, authors, credits, body_text"
_NEW = "new.id, new.title, new.byline, new.authors, new.credits, new.body_text"
_OLD = "'delete', old.id, old.title, old.byline, old.authors, old.credits, old.body_text"

SQLITE = (
    f"CREATE VIRTUAL TABLE articles_fts USING fts5({_COLUMNS}, content='articles', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN "
    f"INSERT INTO articles_fts(rowid, {_COLUMNS}) VALUES ({_NEW}); END",
    "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN "
    f"INSERT INTO articles_fts(articles_fts, rowid, {_COLUMNS}) VALUES ({_OLD}); END",
    f"CREATE TRIGGER articles_fts_update AFTER UPDATE OF {_COLUMNS} ON articles WHEN "
    "old.title IS NOT new.title OR old.byline IS NOT new.byline OR old.authors IS NOT new.authors "
    "OR old.credits IS NOT new.credits OR old.body_text IS NOT new.body_text BEGIN "
    f"INSERT INTO articles_fts(articles_fts, rowid, {_COLUMNS}) VALUES ({_OLD}); "
    f"INSERT INTO articles_fts(rowid, {_COLUMNS}) VALUES ({_NEW}); END",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS articles_fts_update",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_insert",
    "DROP TABLE IF EXISTS articles_fts",
)


def _vector(column: str, weight: str) -> str:
    return f"setweight(to_tsvector('simple'::regconfig, coalesce({column}, '')), '{weight}')"


def _names(column: str) -> str:
    return (f"setweight(json_to_tsvector('simple'::regconfig, coalesce({column}, '[]'::json), "
            f"'[\"string\"]'::jsonb), 'B')")


POSTGRESQL = (
    "ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    + " || ".join((_vector("title", "A"), _vector("byline", "B"), _names("authors"), _names("credits"),
                   _vector("body_text", "D")))
    + ") STORED",
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
)
POSTGRESQL_DOWN = (
    "DROP INDEX IF EXISTS ix_articles_search_vector",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector",
)
BATCH = 500


def _unescape_names(conn: sa.Connection) -> None:
    """``authors`` / ``credits`` lists holding ``\\u`` escapes, written again as plain text."""
    table = sa.table("articles", sa.column("id", sa.Integer()), sa.column("authors", sa.Text()),
                     sa.column("credits", sa.Text()))
    escaped = sa.or_(table.c.authors.contains("\\u", autoescape=True),
                     table.c.credits.contains("\\u", autoescape=True))
    rows = conn.execute(sa.select(table.c.id, table.c.authors, table.c.credits).where(escaped)).all()
    update = table.update().where(table.c.id == sa.bindparam("b_id")).values(
        authors=sa.bindparam("b_authors"), credits=sa.bindparam("b_credits"))

    def plain(text: str | None) -> str | None:
        return None if text is None else json.dumps(json.loads(text), ensure_ascii=False)

    params = [{"b_id": r.id, "b_authors": plain(r.authors), "b_credits": plain(r.credits)} for r in rows]
    for start in range(0, len(params), BATCH):
        conn.execute(update, params[start:start + BATCH])


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        _unescape_names(conn)
    statements = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(conn.dialect.name, ())
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    statements = {"sqlite": SQLITE_DOWN, "postgresql": POSTGRESQL_DOWN}.get(op.get_bind().dialect.name, ())
    for statement in statements:
        op.execute(statement)
