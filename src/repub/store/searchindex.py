"""What search reads besides the articles, kept in step by the database itself.

The full-text index covers ``title``, ``byline``, ``authors``, ``credits`` and ``body_text``. It is
written in the same transaction as the article row, by the database, so no write path (saving, merging
a stub, re-extracting, a future one) can forget it:

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

SQLite keeps more for the search page's counts (``repub.store.search``), because an article row holds
its whole body and a scan of 100k of them reads the whole file: ``article_counts``, the number of
articles per (site, status, copy or not, diverged or not), each such cell numbered, kept by triggers,
which answers the totals and facets of a list without words at once; ``article_cells``, each
article's cell number (an integer key and an integer: the narrowest table SQLite can seek), so the
matches of a search are counted per cell by a seek each and an integer GROUP BY (migration 0013); and
``ix_articles_facets``, an index on the id and the columns facets and sorts read, for searches that
also filter on dates.
PostgreSQL reads its narrow rows (long text is stored apart) and counts live.

None of this is a model: ``install`` runs after the models' tables are created (``Store.open`` on an
empty database, ``repub.store.migrate.create_at_head``), and migration 0009 runs the same statements,
frozen in its own text (tests/test_migrations.py checks that both give the same schema). A later
migration that rebuilds ``articles`` (SQLite batch mode) drops the triggers with it and must create
them again.
"""

from __future__ import annotations

import sqlalchemy as sa

# The FTS5 table and the shadow tables FTS5 makes for it (none for content: it reads the articles), and
# the counts table.
SQLITE_TABLES = ("articles_fts", "articles_fts_data", "articles_fts_idx", "articles_fts_docsize",
                 "articles_fts_config", "article_counts", "article_cells")
SQLITE_INDEXES = ("ix_articles_facets",)
SEARCHED = ("title", "byline", "authors", "credits", "body_text")
# Relevance weights of the searched columns, in SEARCHED's order (FTS5 bm25; PostgreSQL uses A/B/D).
WEIGHTS = (10.0, 4.0, 4.0, 4.0, 1.0)

_COLUMNS = ", ".join(SEARCHED)
_CHANGED = " OR ".join(f"old.{c} IS NOT new.{c}" for c in SEARCHED)


def _values(row: str) -> str:
    return ", ".join(f"{row}.{c}" for c in SEARCHED)


def _key(row: str) -> str:
    """An article's cell in article_counts: (site, status, copy, diverged)."""
    return (f"coalesce({row}.site, ''), {row}.status, "
            f"{row}.original_url IS NOT NULL OR {row}.original_outlet IS NOT NULL, "
            f"{row}.diverged_since IS NOT NULL")


def _count(row: str, step: str) -> str:
    """Count the article in its cell; a cell seen for the first time gets the next number."""
    return ("INSERT INTO article_counts (site, status, copy, diverged, n, cell) "
            f"VALUES ({_key(row)}, {step}, (SELECT coalesce(max(cell), 0) + 1 FROM article_counts)) "
            f"ON CONFLICT (site, status, copy, diverged) DO UPDATE SET n = n + {step};")


def _cell(row: str) -> str:
    """The number of the article's cell (its row in article_counts exists: ``_count`` made it)."""
    return (f"(SELECT cell FROM article_counts WHERE site = coalesce({row}.site, '') "
            f"AND status = {row}.status "
            f"AND copy = ({row}.original_url IS NOT NULL OR {row}.original_outlet IS NOT NULL) "
            f"AND diverged = ({row}.diverged_since IS NOT NULL))")


_KEY_CHANGED = ("coalesce(old.site, '') IS NOT coalesce(new.site, '') OR old.status IS NOT new.status "
                "OR (old.original_url IS NOT NULL OR old.original_outlet IS NOT NULL) IS NOT "
                "(new.original_url IS NOT NULL OR new.original_outlet IS NOT NULL) "
                "OR (old.diverged_since IS NULL) IS NOT (new.diverged_since IS NULL)")

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
    "CREATE TABLE article_counts (site VARCHAR(255) NOT NULL, status VARCHAR(16) NOT NULL, "
    "copy BOOLEAN NOT NULL, diverged BOOLEAN NOT NULL, n INTEGER NOT NULL, cell INTEGER NOT NULL, "
    "PRIMARY KEY (site, status, copy, diverged)) WITHOUT ROWID",
    "CREATE TABLE article_cells (id INTEGER PRIMARY KEY, cell INTEGER NOT NULL)",
    "CREATE TRIGGER article_counts_insert AFTER INSERT ON articles BEGIN "
    f"{_count('new', '1')} INSERT INTO article_cells (id, cell) VALUES (new.id, {_cell('new')}); END",
    "CREATE TRIGGER article_counts_delete AFTER DELETE ON articles BEGIN "
    f"{_count('old', '-1')} DELETE FROM article_cells WHERE id = old.id; END",
    "CREATE TRIGGER article_counts_update AFTER UPDATE OF site, status, original_url, original_outlet, "
    f"diverged_since ON articles WHEN {_KEY_CHANGED} BEGIN {_count('old', '-1')} {_count('new', '1')} "
    f"UPDATE article_cells SET cell = {_cell('new')} WHERE id = new.id; END",
    "CREATE INDEX ix_articles_facets ON articles (id, site, status, published_at, first_seen_at, "
    "diverged_since, original_id, original_outlet, original_url)",
)
# the rows already stored: the counts counted (each cell numbered), each article's cell noted
COUNTS_BACKFILL = (
    "INSERT INTO article_counts (site, status, copy, diverged, n, cell) "
    "SELECT coalesce(site, ''), status, original_url IS NOT NULL OR original_outlet IS NOT NULL, "
    "diverged_since IS NOT NULL, count(*), row_number() OVER (ORDER BY coalesce(site, ''), status, "
    "original_url IS NOT NULL OR original_outlet IS NOT NULL, diverged_since IS NOT NULL) "
    "FROM articles GROUP BY 1, 2, 3, 4",
    "INSERT INTO article_cells (id, cell) SELECT a.id, k.cell FROM articles AS a JOIN article_counts AS k "
    "ON k.site = coalesce(a.site, '') AND k.status = a.status "
    "AND k.copy = (a.original_url IS NOT NULL OR a.original_outlet IS NOT NULL) "
    "AND k.diverged = (a.diverged_since IS NOT NULL)",
)
# ... and the index read from the articles
SQLITE_BACKFILL = ("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')", *COUNTS_BACKFILL)
SQLITE_DROP = (
    "DROP INDEX IF EXISTS ix_articles_facets",
    "DROP TRIGGER IF EXISTS article_counts_update", "DROP TRIGGER IF EXISTS article_counts_delete",
    "DROP TRIGGER IF EXISTS article_counts_insert", "DROP TABLE IF EXISTS article_cells",
    "DROP TABLE IF EXISTS article_counts",
    "DROP TRIGGER IF EXISTS articles_fts_update", "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_insert", "DROP TABLE IF EXISTS articles_fts",
)


# PostgreSQL's parser keeps a typographic apostrophe inside a word ("Russia’s" is one token, and "russia"
# would not find it); as an ASCII one it splits the word, as FTS5 does. The words searched go through
# the same translation (repub.store.searchquery.tsquery).
APOSTROPHES = "’‘"
SQL_TWO_QUOTES = "'" * 4  # the SQL literal of two ASCII apostrophes, one for each of APOSTROPHES


def _plain(text: str) -> str:
    return f"translate({text}, '{APOSTROPHES}', '{SQL_TWO_QUOTES}')"


def _vector(column: str, weight: str, *, names: bool = False) -> str:
    if names:
        names_text = _plain(f"coalesce({column}, '[]'::json)::text")
        text = f"json_to_tsvector('simple'::regconfig, {names_text}::json, '[\"string\"]'::jsonb)"
    else:
        text = f"to_tsvector('simple'::regconfig, {_plain(f'coalesce({column}, {chr(39)}{chr(39)})')})"
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
        for statement in (*SQLITE_DDL, *SQLITE_BACKFILL):
            conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        for statement in PG_DDL:
            conn.exec_driver_sql(statement)


def uninstall(conn: sa.Connection) -> None:
    statements = {"sqlite": SQLITE_DROP, "postgresql": PG_DROP}.get(conn.dialect.name, ())
    for statement in statements:
        conn.exec_driver_sql(statement)


def not_the_index(name: str | None, type_: str, _parents: object = None) -> bool:
    """Alembic's ``include_name``: False for what this module adds that the models do not declare (its
    tables, indexes and PostgreSQL's column), so comparing models and database leaves them out."""
    if type_ == "table":
        return name not in SQLITE_TABLES
    if type_ == "column":
        return name != "search_vector"
    if type_ == "index":
        return name not in (*SQLITE_INDEXES, "ix_articles_search_vector")
    return True
