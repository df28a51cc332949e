"""Finding articles: full-text search, filters, sorting, pages, counts per facet, and the same
selection streamed for export. One query interface for SQLite (FTS5) and PostgreSQL (tsvector);
``repub search``, ``repub export`` and every list of ``repub serve`` go through ``search`` and
``iter_views``.

The search words are parsed by ``repub.store.searchquery`` and reach the database as bound parameters
only. Filters: site, kind (``copy``: names an original; ``original``: has copies stored; ``other``:
neither), status, published date range (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, both ends included),
diverged copies, first seen since a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from repub.errors import RepubError, StoreError
from repub.store.fts import WEIGHTS
from repub.store.models import Article
from repub.store.searchquery import Node, QuerySyntaxError, Term, fts5, parse, terms, tsquery
from repub.store.views import ArticleView

if TYPE_CHECKING:
    from repub.store.store import Store

A = Article.__table__
KINDS = ("copy", "original", "other")
SORTS = ("relevance", "newest", "oldest", "seen", "title")
PER_PAGE_MAX = 200
FACET_SITES = 30  # sites listed in the site facet, most articles first
EXPORT_BATCH = 500
# Marks around the matched words of a snippet; the web layer escapes the text, then turns them into tags.
MARK_START, MARK_END = "\x02", "\x03"
_DAY = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")


class FilterError(RepubError):
    """A filter value that cannot be used (a date that is not one, an unknown kind or sort)."""


@dataclass(frozen=True)
class SearchQuery:
    """What to find. ``text`` in the search language (repub.store.searchquery); every filter optional."""

    text: str = ""
    site: str | None = None
    kind: str | None = None  # copy | original | other
    status: str | None = None
    published_from: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD, included
    published_to: str | None = None  # included
    diverged: bool = False  # only copies whose original changed after they were taken
    seen_since: datetime | None = None  # first stored at or after (aware)
    sort: str | None = None  # None: relevance with text, else newest
    page: int = 1
    per_page: int = 20

    def checked(self) -> SearchQuery:
        """This query, or FilterError / QuerySyntaxError naming the first value that cannot be used."""
        if self.kind is not None and self.kind not in KINDS:
            raise FilterError(f"unknown kind {self.kind!r} (one of: {', '.join(KINDS)})")
        if self.sort is not None and self.sort not in SORTS:
            raise FilterError(f"unknown sort {self.sort!r} (one of: {', '.join(SORTS)})")
        for name in ("published_from", "published_to"):
            value = getattr(self, name)
            if value is not None and not _valid_day(value):
                raise FilterError(f"{name.replace('_', ' ')}: not a date (YYYY, YYYY-MM or YYYY-MM-DD): "
                                  f"{value!r}")
        if self.page < 1 or not 1 <= self.per_page <= PER_PAGE_MAX:
            raise FilterError(f"page must be 1 or more, and per page from 1 to {PER_PAGE_MAX}")
        if self.seen_since is not None and self.seen_since.tzinfo is None:
            raise FilterError("seen_since must be an aware datetime")
        parse(self.text)
        return self

    @property
    def effective_sort(self) -> str:
        if self.sort == "relevance" and not self.text.strip():
            return "newest"
        return self.sort or ("relevance" if parse(self.text) is not None else "newest")


@dataclass
class Hit:
    view: ArticleView
    snippet: str | None = None  # a stretch of the body around the words found, words between MARK_*
    is_original: bool = False  # copies of it are stored


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


def _after(text: str) -> str:
    """The first date string after the period ``text`` names (YYYY, YYYY-MM or YYYY-MM-DD)."""
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 1:
        return f"{parts[0] + 1:04d}"
    if len(parts) == 2:
        year, month = (parts[0] + 1, 1) if parts[1] == 12 else (parts[0], parts[1] + 1)
        return f"{year:04d}-{month:02d}"
    day = date(*parts).toordinal() + 1
    return date.fromordinal(day).isoformat()


# -- the pieces of a query ---------------------------------------------------------------------------

def _is_copy() -> sa.ColumnElement[bool]:
    return sa.or_(A.c.original_url.is_not(None), A.c.original_outlet.is_not(None))


def _is_original() -> sa.ColumnElement[bool]:
    copy = A.alias("copy")
    return sa.exists().where(copy.c.original_id == A.c.id)


def _kind(kind: str) -> sa.ColumnElement[bool]:
    if kind == "copy":
        return _is_copy()
    if kind == "original":
        return _is_original()
    return sa.and_(sa.not_(_is_copy()), sa.not_(_is_original()))


def _filters(q: SearchQuery, *, leave_out: str = "") -> list[sa.ColumnElement[bool]]:
    """The WHERE conditions of the filters, but the facet ``leave_out``'s own."""
    out: list[sa.ColumnElement[bool]] = []
    if q.site and leave_out != "site":
        out.append(A.c.site == q.site)
    if q.kind and leave_out != "kind":
        out.append(_kind(q.kind))
    if q.status and leave_out != "status":
        out.append(A.c.status == q.status)
    if q.diverged and leave_out != "diverged":
        out.append(A.c.diverged_since.is_not(None))
    if q.published_from:
        out.append(A.c.published_at >= q.published_from)
    if q.published_to:
        out.append(A.c.published_at < _after(q.published_to))
    if q.seen_since is not None:
        out.append(A.c.first_seen_at >= q.seen_since)
    return out


class _Text:
    """The full-text part of a query on one backend: the matching condition and the relevance."""

    def __init__(self, dialect: str, tree: Node) -> None:
        self.dialect, self.tree = dialect, tree
        if dialect == "sqlite":
            self.fts = sa.table("articles_fts", sa.column("rowid"))
            self.query = fts5(tree)
        elif dialect == "postgresql":
            self.vector = sa.literal_column("articles.search_vector")
            self.tsquery = tsquery(tree)
        else:
            raise StoreError(f"full-text search is not available on {dialect}")

    def ids(self) -> sa.Select[Any]:
        """The ids of the matching articles (a subquery)."""
        if self.dialect == "sqlite":
            return sa.select(self.fts.c.rowid).where(sa.text("articles_fts MATCH :fts_query")
                                                     .bindparams(fts_query=self.query))
        return sa.select(A.c.id).where(self.vector.op("@@")(self.tsquery))

    def matches(self) -> sa.ColumnElement[bool]:
        if self.dialect == "sqlite":
            return A.c.id.in_(self.ids())
        return self.vector.op("@@")(self.tsquery)

    def ranked(self, select: sa.Select[Any]) -> sa.Select[Any]:
        """``select`` (over the articles) ordered by relevance, best first."""
        if self.dialect == "sqlite":
            rank = sa.func.bm25(sa.literal_column("articles_fts"), *WEIGHTS)
            return (select.join(self.fts, self.fts.c.rowid == A.c.id)
                    .where(sa.text("articles_fts MATCH :fts_query").bindparams(fts_query=self.query))
                    .order_by(rank, A.c.id))
        rank = sa.func.ts_rank(self.vector, self.tsquery)
        return select.where(self.matches()).order_by(rank.desc(), A.c.id)

    def snippets(self, conn: sa.Connection, ids: list[int]) -> dict[int, str]:
        """For each id, a stretch of its body around the words found (MARK_START/END around them)."""
        if not ids:
            return {}
        if self.dialect == "sqlite":
            column = 4  # body_text in repub.store.fts.SEARCHED
            snippet = sa.func.snippet(sa.literal_column("articles_fts"), column, MARK_START, MARK_END, "…", 24)
            rows = conn.execute(sa.select(self.fts.c.rowid, snippet)
                                .where(sa.text("articles_fts MATCH :fts_query").bindparams(fts_query=self.query),
                                       self.fts.c.rowid.in_(ids)))
            return {rowid: text for rowid, text in rows if text and MARK_START in text}
        options = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=40, MinWords=15, MaxFragments=2"
        headline = sa.func.ts_headline(sa.literal_column("'simple'::regconfig"), A.c.body_text, self.tsquery,
                                       options)
        rows = conn.execute(sa.select(A.c.id, headline).where(A.c.id.in_(ids)))
        return {i: text for i, text in rows if text and MARK_START in text}


def _order(select: sa.Select[Any], sort: str) -> sa.Select[Any]:
    if sort == "oldest":
        return select.order_by(A.c.published_at.is_(None), A.c.published_at, A.c.id)
    if sort == "seen":
        return select.order_by(A.c.first_seen_at.desc(), A.c.id.desc())
    if sort == "title":
        return select.order_by(A.c.title.is_(None), A.c.title, A.c.id)
    # newest: undated last on both backends (a plain DESC puts NULLs first on PostgreSQL)
    return select.order_by(A.c.published_at.desc().nulls_last(), A.c.id.desc())


# -- the two entry points ------------------------------------------------------------------------------


def search(store: Store, query: SearchQuery, *, facets: bool = True, snippets: bool = True) -> SearchResult:
    """One page of the articles ``query`` finds, its total and (``facets``) the counts per facet."""
    from repub.store.store import build_views

    q = query.checked()
    tree = parse(q.text)
    sort = q.effective_sort
    try:
        with store.engine.connect() as conn:
            text = _Text(conn.dialect.name, tree) if tree is not None else None
            where = _filters(q) + ([text.matches()] if text is not None else [])
            total = conn.execute(sa.select(sa.func.count()).select_from(A).where(*where)).scalar_one()
            page = sa.select(A.c.id)
            if text is not None and sort == "relevance":
                page = text.ranked(page.where(*_filters(q)))
            else:
                page = _order(page.where(*where), sort)
            ids = list(conn.execute(page.limit(q.per_page).offset((q.page - 1) * q.per_page)).scalars())
            rows = {r.id: r for r in conn.execute(sa.select(A).where(A.c.id.in_(ids)))} if ids else {}
            views = build_views(conn, [rows[i] for i in ids if i in rows])
            marked = text.snippets(conn, ids) if text is not None and snippets else {}
            originals = set(conn.execute(sa.select(A.c.original_id).where(A.c.original_id.in_(ids))).scalars())
            counts = _facets(conn, q, text) if facets else {}
    except SQLAlchemyError as exc:
        raise _search_error(exc) from exc
    hits = [Hit(view, marked.get(view.id), view.id in originals) for view in views]
    return SearchResult(q, total, hits, counts)


def iter_views(store: Store, query: SearchQuery) -> Iterator[ArticleView]:
    """Every article ``query`` finds (its page and sort aside: by id), read EXPORT_BATCH at a time: the
    memory an export takes does not grow with the number of articles."""
    from repub.store.store import build_views

    q = query.checked()
    tree = parse(q.text)
    try:
        with store.engine.connect() as conn:
            text = _Text(conn.dialect.name, tree) if tree is not None else None
            where = _filters(q) + ([text.matches()] if text is not None else [])
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


def _facets(conn: sa.Connection, q: SearchQuery, text: _Text | None) -> dict[str, list[tuple[str, int]]]:
    def where(leave_out: str) -> list[sa.ColumnElement[bool]]:
        return _filters(q, leave_out=leave_out) + ([text.matches()] if text is not None else [])

    count = sa.func.count().label("n")
    sites = conn.execute(sa.select(A.c.site, count).where(*where("site"), A.c.site.is_not(None))
                         .group_by(A.c.site).order_by(count.desc(), A.c.site).limit(FACET_SITES)).all()
    statuses = conn.execute(sa.select(A.c.status, count).where(*where("status"))
                            .group_by(A.c.status).order_by(count.desc(), A.c.status)).all()
    is_copy, is_original = _is_copy(), _is_original()
    kinds = conn.execute(sa.select(
        sa.func.sum(sa.case((is_copy, 1), else_=0)),
        sa.func.sum(sa.case((is_original, 1), else_=0)),
        sa.func.sum(sa.case((sa.or_(is_copy, is_original), 0), else_=1)),
    ).where(*where("kind"))).one()
    diverged = conn.execute(sa.select(sa.func.count()).where(*where("diverged"),
                                                            A.c.diverged_since.is_not(None))).scalar_one()
    return {
        "site": [(site, n) for site, n in sites],
        "kind": [(kind, int(n or 0)) for kind, n in zip(KINDS, kinds, strict=True)],
        "status": [(status, n) for status, n in statuses],
        "diverged": [("yes", diverged)],
    }


def _search_error(exc: SQLAlchemyError) -> RepubError:
    """A query the database refused: a search-syntax problem said plainly, anything else a StoreError."""
    message = str(getattr(exc, "orig", exc)).splitlines()[0]
    if "fts5" in message or "tsquery" in message:
        return QuerySyntaxError(f"the search could not be run: {message}")
    return StoreError(f"database read failed: {message}")


def highlight_terms(query: SearchQuery) -> list[str]:
    """The words and phrases searched for, for marking them in a page."""
    tree = parse(query.text)
    return [t.text for t in terms(tree) if isinstance(t, Term)]


def with_page(query: SearchQuery, page: int) -> SearchQuery:
    return replace(query, page=page)
