"""Full-text search over the articles, kept in step by the database (``repub search``, ``repub serve``).

SQLite: an FTS5 table ``articles_fts`` over title, byline, authors, credits and body (external content:
the text is not stored twice), three triggers that keep it in step with ``articles`` in the writing
transaction, and the rows stored so far indexed (the backfill, FTS5's 'rebuild'); ``article_counts``
(articles per site, status, copy or not, diverged or not) kept by triggers too, and an index of the
columns facets read (``ix_articles_facets``), for the search page's counts. ``authors`` and
``credits`` are indexed as their JSON text; lists written before this revision escaped non-ASCII
letters ("M\\u00fcller"), so those lists are first written again as text ("Müller"), as the store now
writes them. PostgreSQL: a generated ``tsvector`` column ``articles.search_vector`` (computed for every
stored row when it is added) and its GIN index. Both: indexes on ``published_at`` (lists by date) and
``diverged_since`` (the diverged copies).
The statements are ``repub.store.searchindex``'s as of this revision, frozen here: a migration must not change
when the code does. A fresh database gets the same from ``repub.store.searchindex.install``
(tests/test_migrations.py compares the two).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = "title, byline, authors, credits, body_text"
_NEW = "new.id, new.title, new.byline, new.authors, new.credits, new.body_text"
_OLD = "'delete', old.id, old.title, old.byline, old.authors, old.credits, old.body_text"


def _count(row: str, step: str) -> str:
    return ("INSERT INTO article_counts (site, status, copy, diverged, n) VALUES ("
            f"coalesce({row}.site, ''), {row}.status, {row}.original_url IS NOT NULL OR "
            f"{row}.original_outlet IS NOT NULL, {row}.diverged_since IS NOT NULL, {step}) "
            f"ON CONFLICT (site, status, copy, diverged) DO UPDATE SET n = n + {step};")


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
    "CREATE TABLE article_counts (site VARCHAR(255) NOT NULL, status VARCHAR(16) NOT NULL, "
    "copy BOOLEAN NOT NULL, diverged BOOLEAN NOT NULL, n INTEGER NOT NULL, "
    "PRIMARY KEY (site, status, copy, diverged)) WITHOUT ROWID",
    f"CREATE TRIGGER article_counts_insert AFTER INSERT ON articles BEGIN {_count('new', '1')} END",
    f"CREATE TRIGGER article_counts_delete AFTER DELETE ON articles BEGIN {_count('old', '-1')} END",
    "CREATE TRIGGER article_counts_update AFTER UPDATE OF site, status, original_url, original_outlet, "
    "diverged_since ON articles WHEN coalesce(old.site, '') IS NOT coalesce(new.site, '') "
    "OR old.status IS NOT new.status "
    "OR (old.original_url IS NOT NULL OR old.original_outlet IS NOT NULL) IS NOT "
    "(new.original_url IS NOT NULL OR new.original_outlet IS NOT NULL) "
    "OR (old.diverged_since IS NULL) IS NOT (new.diverged_since IS NULL) "
    f"BEGIN {_count('old', '-1')} {_count('new', '1')} END",
    "CREATE INDEX ix_articles_facets ON articles (id, site, status, published_at, first_seen_at, "
    "diverged_since, original_id, original_outlet, original_url)",
    # the rows stored before this revision: the index read from the articles, the counts counted
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
    "INSERT INTO article_counts (site, status, copy, diverged, n) "
    "SELECT coalesce(site, ''), status, original_url IS NOT NULL OR original_outlet IS NOT NULL, "
    "diverged_since IS NOT NULL, count(*) FROM articles GROUP BY 1, 2, 3, 4",
)
SQLITE_DOWN = (
    "DROP INDEX IF EXISTS ix_articles_facets",
    "DROP TRIGGER IF EXISTS article_counts_update",
    "DROP TRIGGER IF EXISTS article_counts_delete",
    "DROP TRIGGER IF EXISTS article_counts_insert",
    "DROP TABLE IF EXISTS article_counts",
    "DROP TRIGGER IF EXISTS articles_fts_update",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_insert",
    "DROP TABLE IF EXISTS articles_fts",
)


# "Russia’s" would be one word to PostgreSQL: typographic apostrophes are made ASCII first
_PLAIN = "translate({}, '’‘', '" + "'" * 4 + "')"


def _vector(column: str, weight: str) -> str:
    text = _PLAIN.format(f"coalesce({column}, '')")
    return f"setweight(to_tsvector('simple'::regconfig, {text}), '{weight}')"


def _names(column: str) -> str:
    text = _PLAIN.format(f"coalesce({column}, '[]'::json)::text")
    return f"setweight(json_to_tsvector('simple'::regconfig, {text}::json, '[\"string\"]'::jsonb), 'B')"


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
    # lists by date and the diverged copies, on every backend
    op.create_index("ix_articles_published_at", "articles", ["published_at"])
    op.create_index("ix_articles_diverged_since", "articles", ["diverged_since"])
    if conn.dialect.name == "sqlite":
        _unescape_names(conn)
    statements = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(conn.dialect.name, ())
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    statements = {"sqlite": SQLITE_DOWN, "postgresql": POSTGRESQL_DOWN}.get(op.get_bind().dialect.name, ())
    for statement in statements:
        op.execute(statement)
    op.drop_index("ix_articles_diverged_since", table_name="articles")
    op.drop_index("ix_articles_published_at", table_name="articles")
