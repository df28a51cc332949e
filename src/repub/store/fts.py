"""The full-text index over articles, one per backend, kept in step by the database itself.

What is searched: ``title``, ``byline``, ``authors``, ``credits`` and ``body_text``. The index is written
in the same transaction as the article row, by the database, so no write path (saving, merging a stub,
re-extracting, a future one) can forget it:

- SQLite: an FTS5 table ``articles_fts`` over the articles (external content: the text is not stored
  twice) and three triggers on ``articles`` (insert, delete, and an update of a searched column whose
  value changed). ``authors`` and ``credits`` are indexed as their JSON text, whose brackets, quotes
  and commas the tokenizer skips; names are written unescaped (``repub.store.engine.json_dumps``:
  "Müller", not "M\\u00fcller"), so they are found as written.
- PostgreSQL: a generated ``tsvector`` column ``articles.search_vector`` (title weight A, byline and
  names B, body D) with a GIN index.

Both tokenize without stemming (FTS5 ``unicode61``, PostgreSQL's ``simple`` configuration), so a word
finds the same articles on both; SQLite also folds diacritics ("muller" finds "Müller"), PostgreSQL
does not (its ``unaccent`` is not immutable, so it cannot build a generated column).

The index is not a model: ``install`` runs after the models' tables are created (``Store.open`` on an
empty database, ``repub.store.migrate.create_at_head``), and migration 0007 runs the same statements,
frozen in its own text (tests/test_migrations.py checks that both give the same schema). A later migration
that rebuilds ``articles`` (SQLite batch mode) drops the triggers with it and must create them again.
"""

from __future__ import annotations

import sqlalchemy as sa

# The FTS5 table and the shadow tables FTS5 makes for it (none for content: it reads the articles).
SQLITE_TABLES = ("articles_fts", "articles_fts_data", "articles_fts_idx", "articles_fts_docsize",
                 "articles_fts_config")
SEARCHED = ("title", "byline", "authors", "credits", "body_text")
# Relevance weights of the searched columns, in SEARCHED's order (FTS5 bm25; PostgreSQL uses A/B/D).
WEIGHTS = (10.0, 4.0, 4.0, 4.0, 1.0)


_COLUMNS = ", ".join(SEARCHED)
_CHANGED = " OR ".join(f"old.{c} IS NOT new.{c}" for c in SEARCHED)


def _values(row: str) -> str:
    return ", ".join(f"{row}.{c}" for c in SEARCHED)


SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE articles_fts USING fts5({_COLUMNS}, content='articles', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN "
    f"INSERT INTO articles_fts(rowid, {_COLUMNS}) VALUES (new.id, {_values('new')}); END",
    "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN "
    f"INSERT INTO articles_fts(articles_fts, rowid, {_COLUMNS}) VALUES ('delete', old.id, {_values('old')}); "
    "END",
    f"CREATE TRIGGER articles_fts_update AFTER UPDATE OF {_COLUMNS} ON articles WHEN {_CHANGED} BEGIN "
    f"INSERT INTO articles_fts(articles_fts, rowid, {_COLUMNS}) VALUES ('delete', old.id, {_values('old')}); "
    f"INSERT INTO articles_fts(rowid, {_COLUMNS}) VALUES (new.id, {_values('new')}); END",
)
# the rows already stored, read from the articles
SQLITE_BACKFILL = "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')"
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS articles_fts_update", "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_insert", "DROP TABLE IF EXISTS articles_fts",
)


def _vector(column: str, weight: str, *, names: bool = False) -> str:
    if names:
        text = f"json_to_tsvector('simple'::regconfig, coalesce({column}, '[]'::json), '[\"string\"]'::jsonb)"
    else:
        text = f"to_tsvector('simple'::regconfig, coalesce({column}, ''))"
    return f"setweight({text}, '{weight}')"


PG_VECTOR = " || ".join((
    _vector("title", "A"), _vector("byline", "B"), _vector("authors", "B", names=True),
    _vector("credits", "B", names=True), _vector("body_text", "D"),
))
# Adding a generated column computes it for every stored row: that is the backfill.
PG_DDL = (
    f"ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({PG_VECTOR}) STORED",
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
)
PG_DROP = ("DROP INDEX IF EXISTS ix_articles_search_vector",
           "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector")


def install(conn: sa.Connection) -> None:
    """Create the index for ``conn``'s backend (the articles table exists, perhaps with rows)."""
    if conn.dialect.name == "sqlite":
        for statement in SQLITE_DDL:
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql(SQLITE_BACKFILL)
    elif conn.dialect.name == "postgresql":
        for statement in PG_DDL:
            conn.exec_driver_sql(statement)


def uninstall(conn: sa.Connection) -> None:
    statements = {"sqlite": SQLITE_DROP, "postgresql": PG_DROP}.get(conn.dialect.name, ())
    for statement in statements:
        conn.exec_driver_sql(statement)


def not_the_index(name: str | None, type_: str, _parents: object = None) -> bool:
    """Alembic's ``include_name``: False for what the index adds that the models do not declare (its
    tables, PostgreSQL's column and index), so comparing models and database leaves them out."""
    if type_ == "table":
        return name not in SQLITE_TABLES
    if type_ == "column":
        return name != "search_vector"
    if type_ == "index":
        return name != "ix_articles_search_vector"
    return True
