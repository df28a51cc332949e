"""The words of a search on each backend: which articles match, how well, and around which words.

SQLite asks FTS5 (``articles_fts``) with a query string in which every word is quoted
(``repub.store.searchquery.fts5``), bound as a parameter; PostgreSQL matches ``articles.search_vector``
against a ``tsquery`` built by functions over bound words (``repub.store.searchquery.tsquery``). Both
stores are kept by the database (``repub.store.searchindex``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from repub.errors import StoreError
from repub.store.columns_of import ARTICLE, Columns
from repub.store.searchindex import WEIGHTS
from repub.store.searchquery import Node, fts5, tsquery

A = ARTICLE.table
# Marks around the matched words of a snippet; the web layer escapes the text, then turns them into tags.
MARK_START, MARK_END = "\x02", "\x03"
SNIPPET_WORDS = 24
# SQLite: the articles read through the index of the columns lists and counts use
# (repub.store.searchindex), never their rows, which hold whole bodies
FACTS = sa.text("articles INDEXED BY ix_articles_facets")
# SQLite: the matches, each one's facts read by a seek in that index. FTS5 drives (its rowids come in
# order, so the seeks walk the index forward); "id IN (matches)" made a list of the matches first.
MATCHED_FACTS = sa.text("articles_fts CROSS JOIN articles INDEXED BY ix_articles_facets "
                        "ON articles.id = articles_fts.rowid")
COPIES = A.alias("copies")


class Text:
    """The words of a query on one backend: which articles match, how well, and where."""

    def __init__(self, dialect: str, tree: Node) -> None:
        self.dialect = dialect
        if dialect == "sqlite":
            self.fts = sa.table("articles_fts", sa.column("rowid"))
            self.match = sa.text("articles_fts MATCH :fts_query").bindparams(fts_query=fts5(tree))
        elif dialect == "postgresql":
            self.vector: sa.ColumnElement[Any] = sa.literal_column("articles.search_vector")
            self.tsquery = tsquery(tree)
        else:
            raise StoreError(f"full-text search is not available on {dialect}")

    def ids(self) -> sa.Select[Any]:
        """The ids of the matching articles (a subquery of its own: never correlated with the articles
        of the query it goes into)."""
        if self.dialect == "sqlite":
            return sa.select(self.fts.c.rowid).where(self.match)
        matching = A.alias("matching")
        vector: sa.ColumnElement[Any] = sa.literal_column("matching.search_vector")
        return sa.select(matching.c.id).where(vector.op("@@")(self.tsquery))

    def matches(self, cols: Columns) -> sa.ColumnElement[bool]:
        """The condition "matches the words" on the articles (``cols``: how they are named)."""
        if self.dialect == "sqlite":
            return cols.id.in_(self.ids())
        matched: sa.ColumnElement[bool] = self.vector.bool_op("@@")(self.tsquery)
        return matched

    def with_copies(self) -> sa.Select[Any]:
        """How many matching articles have a copy stored: a lookup in the copies' index per match (the
        copies are not read: 40k of them at 100k articles, where a search finds a few thousand)."""
        if self.dialect == "sqlite":
            has_copy = sa.exists().where(COPIES.c.original_id == self.fts.c.rowid)
            return sa.select(sa.func.count()).select_from(self.fts).where(self.match, has_copy)
        has_copy = sa.exists().where(COPIES.c.original_id == A.c.id)
        return sa.select(sa.func.count()).select_from(A).where(self.matches(ARTICLE), has_copy)

    def best(self, kept: sa.Select[Any] | None, where: list[sa.ColumnElement[bool]], limit: int,
             offset: int) -> sa.Select[Any]:
        """The ids of the best matches among those meeting the filters: SQLite takes the ids ``kept``
        selects (None: all), PostgreSQL the conditions ``where`` on the articles."""
        if self.dialect == "sqlite":
            rank = sa.func.bm25(sa.literal_column("articles_fts"), *WEIGHTS)
            query = sa.select(self.fts.c.rowid).where(self.match)
            if kept is not None:
                # "+ 0": FTS5 would take "rowid IN" as lookups of each kept row, one MATCH each
                query = query.where((self.fts.c.rowid + 0).in_(kept))
            return query.order_by(rank, self.fts.c.rowid).limit(limit).offset(offset)
        rank = sa.func.ts_rank(self.vector, self.tsquery)
        query = sa.select(A.c.id).where(self.matches(ARTICLE), *where)
        return query.order_by(rank.desc(), A.c.id).limit(limit).offset(offset)

    def snippets(self, conn: sa.Connection, ids: list[int]) -> dict[int, str]:
        """For each id, a stretch of its body around the words found (MARK_START/END around them)."""
        if not ids:
            return {}
        if self.dialect == "sqlite":
            body = 4  # body_text in repub.store.searchindex.SEARCHED
            snippet = sa.func.snippet(sa.literal_column("articles_fts"), body, MARK_START, MARK_END, "…",
                                      SNIPPET_WORDS)
            rows = conn.execute(sa.select(self.fts.c.rowid, snippet)
                                .where(self.match, self.fts.c.rowid.in_(ids)))
        else:
            options = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=40, MinWords=15, MaxFragments=2"
            headline = sa.func.ts_headline(sa.literal_column("'simple'::regconfig"), A.c.body_text,
                                           self.tsquery, options)
            rows = conn.execute(sa.select(A.c.id, headline).where(A.c.id.in_(ids)))
        return {i: text for i, text in rows if text and MARK_START in text}
