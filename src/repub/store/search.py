"""Finding articles: full-text search, filters, sorting, pages, counts per facet, and the same
selection streamed for export. One query interface for SQLite (FTS5) and PostgreSQL (tsvector);
``repub search``, ``repub export`` and every list of ``repub serve`` go through ``search`` and
``iter_views``.

The search words are parsed by ``repub.store.searchquery`` and reach the database as bound parameters
only. Filters: site, kind (``copy``: names an original; ``original``: has copies stored; an article can
be both), status, published date range (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, both ends included),
diverged copies, first seen since a time. Counts per facet: ``repub.store.facets``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from repub.errors import RepubError, StoreError
from repub.store import facets as counting
from repub.store.columns_of import ARTICLE, BARE, Columns
from repub.store.engine import driver_message
from repub.store.fulltext import FACTS, MARK_END, MARK_START, Text
from repub.store.searchquery import QuerySyntaxError, parse
from repub.store.views import ArticleView

if TYPE_CHECKING:
    from repub.store.store import Store

A = ARTICLE.table
KINDS = ("copy", "original")
SORTS = ("relevance", "newest", "oldest", "seen", "title")
PER_PAGE_MAX = 200
PAGE_MAX = 10**9  # beyond, a typo: and the offset, page x per page, must fit the database's 64-bit integer
EXPORT_BATCH = 500
__all__ = ["MARK_END", "MARK_START", "FilterError", "Hit", "SearchQuery", "SearchResult", "iter_views",
           "search"]
_DAY = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$", re.ASCII)  # "٢٠٢٠" is no date here: dates compare as text


class FilterError(RepubError):
    """A filter value that cannot be used (a date that is not one, an unknown kind or sort)."""


@dataclass(frozen=True)
class SearchQuery:
    """What to find. ``text`` in the search language (repub.store.searchquery); every filter optional."""

    text: str = ""
    site: str | None = None
    kind: str | None = None  # copy | original
    status: str | None = None
    published_from: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD, included
    published_to: str | None = None  # included
    diverged: bool = False  # only copies whose original changed after they were taken
    seen_since: datetime | None = None  # first stored at or after (aware)
    sort: str | None = None  # None: relevance with words, else newest
    page: int = 1
    per_page: int = 20

    def checked(self) -> SearchQuery:
        """This query, or FilterError / QuerySyntaxError naming the first value that cannot be used."""
        if self.kind is not None and self.kind not in KINDS:
            raise FilterError(f"unknown kind {self.kind!r} (one of: {', '.join(KINDS)})")
        if self.sort is not None and self.sort not in SORTS:
            raise FilterError(f"unknown sort {self.sort!r} (one of: {', '.join(SORTS)})")
        for name, label in (("published_from", "from"), ("published_to", "to")):
            value = getattr(self, name)
            if value is not None and not _valid_day(value):
                raise FilterError(f"{label}: not a date (YYYY, YYYY-MM or YYYY-MM-DD): {value!r}")
        if not 1 <= self.page <= PAGE_MAX or not 1 <= self.per_page <= PER_PAGE_MAX:
            raise FilterError(f"page must be from 1 to {PAGE_MAX}, and per page from 1 to {PER_PAGE_MAX}")
        if self.seen_since is not None and self.seen_since.tzinfo is None:
            raise FilterError("seen_since must be an aware datetime")
        parse(self.text)
        return self

    @property
    def effective_sort(self) -> str:
        words = parse(self.text) is not None
        if self.sort == "relevance" and not words:
            return "newest"
        return self.sort or ("relevance" if words else "newest")

    @property
    def facet_filters(self) -> dict[str, Any]:
        return {"site": self.site, "kind": self.kind, "status": self.status, "diverged": self.diverged}


@dataclass
class Hit:
    view: ArticleView
    snippet: str | None = None  # a stretch of the body around the words found, words between MARK_*


@dataclass
class SearchResult:
    query: SearchQuery
    total: int
    hits: list[Hit]
    # facet -> [(value, count)]: "site", "kind", "status", "diverged" (value "yes"); each counted with
    # every other filter applied, not its own, so a chosen value's siblings still show their counts
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


def _valid_day(text: str) -> bool:
    if not _DAY.match(text):
        return False
    parts = [int(p) for p in text.split("-")] + [1, 1]
    try:
        date(parts[0], parts[1], parts[2])
    except ValueError:
        return False
    return True


# After every date and time of 9999-12-31, in a byte order and in a locale's: the end of a period that
# ends with the calendar (year 10000 has no date, and "10000" sorts before "2020")
CALENDAR_END = "9999-12-31T99"


def _after(text: str) -> str:
    """The first date string after the period ``text`` names (YYYY, YYYY-MM or YYYY-MM-DD)."""
    parts = [int(p) for p in text.split("-")]
    if parts[0] == 9999 and parts[1:] in ([], [12], [12, 31]):
        return CALENDAR_END
    if len(parts) == 1:
        return f"{parts[0] + 1:04d}"
    if len(parts) == 2:
        year, month = (parts[0] + 1, 1) if parts[1] == 12 else (parts[0], parts[1] + 1)
        return f"{year:04d}-{month:02d}"
    return date.fromordinal(date(*parts).toordinal() + 1).isoformat()


# -- the pieces of a query ---------------------------------------------------------------------------


def conditions(q: SearchQuery, cols: Columns, *, leave_out: str = "") -> list[sa.ColumnElement[bool]]:
    """The WHERE conditions of the filters (not the words), but the facet ``leave_out``'s own."""
    out = counting.base_conditions(q.published_from, q.published_to and _after(q.published_to),
                                   q.seen_since, cols)
    for name, value in q.facet_filters.items():
        if value and name != leave_out:
            out.append(counting.facet_condition(name, value, cols))
    return out


def _order(select: sa.Select[Any], sort: str, cols: Columns, dialect: str, *, by_index: bool = True
           ) -> sa.Select[Any]:
    """``by_index`` False: SQLite is not to walk its date index for the order (the filters pick few
    rows by an index of theirs, which it cannot tell without statistics)."""
    if sort == "oldest":
        return select.order_by(cols.published_at.is_(None), cols.published_at, cols.id)
    if sort == "seen":
        return select.order_by(cols.first_seen_at.desc(), cols.id.desc())
    if sort == "title":
        return select.order_by(cols.title.is_(None), cols.title, cols.id)
    # newest, undated last: SQLite's DESC puts NULLs last already (and then walks its date index);
    # PostgreSQL's puts them first
    if dialect == "postgresql":
        return select.order_by(cols.published_at.desc().nulls_last(), cols.id.desc())
    published = cols.published_at if by_index else cols.published_at.op("||")("")
    return select.order_by(published.desc(), cols.id.desc())


def _page_ids(conn: sa.Connection, q: SearchQuery, text: Text | None) -> list[int]:
    sort, dialect = q.effective_sort, conn.dialect.name
    limit, offset = q.per_page, (q.page - 1) * q.per_page
    if text is not None and sort == "relevance":
        kept = None
        if dialect == "sqlite" and conditions(q, ARTICLE):
            # the filters' ids: through the facts index when they ask whether rows are copies (columns
            # stored after the body), else by the filters' own indexes
            source, cols = (FACTS, BARE) if q.kind == "copy" else (A, ARTICLE)
            kept = sa.select(cols.id).select_from(source).where(*conditions(q, cols))
        query = text.best(kept, conditions(q, ARTICLE), limit, offset)
    elif text is not None and dialect == "sqlite":  # the matches sorted by the facts the index holds
        where = [*conditions(q, BARE), text.matches(BARE)]
        query = _order(sa.select(BARE.id).select_from(FACTS).where(*where), sort, BARE, dialect)
        if sort == "title":  # titles are not in the index: read from the rows
            query = _order(sa.select(A.c.id).where(*conditions(q, ARTICLE), text.matches(ARTICLE)), sort,
                           ARTICLE, dialect)
        query = query.limit(limit).offset(offset)
    else:
        where = conditions(q, ARTICLE) + ([text.matches(ARTICLE)] if text is not None else [])
        few = bool(q.site or q.diverged or (q.status and q.status != "ok"))
        query = _order(sa.select(A.c.id).where(*where), sort, ARTICLE, dialect, by_index=not few)
        query = query.limit(limit).offset(offset)
    return list(conn.execute(query).scalars())


# -- the two entry points ------------------------------------------------------------------------------


def search(store: Store, query: SearchQuery, *, facets: bool = True, snippets: bool = True) -> SearchResult:
    """One page of the articles ``query`` finds, its total and (``facets``) the counts per facet."""
    from repub.store.store import build_views

    q = query.checked()
    tree = parse(q.text)
    try:
        with store.engine.connect() as conn:
            text = Text(conn.dialect.name, tree) if tree is not None else None
            base = counting.Base(q.published_from, q.published_to and _after(q.published_to), q.seen_since,
                                 text)
            if facets:
                total, counts = counting.count(conn, base, q.facet_filters)
            else:
                total, counts = counting.total(conn, base, q.facet_filters), {}
            ids = _page_ids(conn, q, text) if total else []
            rows = {r.id: r for r in conn.execute(sa.select(A).where(A.c.id.in_(ids)))} if ids else {}
            views = build_views(conn, [rows[i] for i in ids if i in rows])
            marked = text.snippets(conn, ids) if text is not None and snippets else {}
    except SQLAlchemyError as exc:
        raise _search_error(exc) from exc
    return SearchResult(q, total, [Hit(view, marked.get(view.id)) for view in views], counts)


def iter_views(store: Store, query: SearchQuery) -> Iterator[ArticleView]:
    """Every article ``query`` finds (its page and sort aside: by id), read EXPORT_BATCH at a time: the
    memory an export takes does not grow with the number of articles."""
    from repub.store.store import build_views

    q = query.checked()
    tree = parse(q.text)
    try:
        with store.engine.connect() as conn:
            text = Text(conn.dialect.name, tree) if tree is not None else None
            where = conditions(q, ARTICLE) + ([text.matches(ARTICLE)] if text is not None else [])
            after = 0
            while True:  # keyset pages by id: each batch is one indexed range, however far the export is
                batch = conn.execute(sa.select(A).where(*where, A.c.id > after).order_by(A.c.id)
                                     .limit(EXPORT_BATCH)).all()
                if not batch:
                    return
                yield from build_views(conn, batch)
                after = batch[-1].id
    except SQLAlchemyError as exc:
        raise _search_error(exc) from exc


def _search_error(exc: SQLAlchemyError) -> RepubError:
    """A query the database refused: a search-syntax problem said plainly, anything else a StoreError."""
    message = driver_message(exc)
    if "fts5" in message or "tsquery" in message:
        return QuerySyntaxError(f"the search could not be run: {message}")
    return StoreError(f"database read failed: {message}")
