"""What the text-reuse commands read: an article's copies, the travel of a text, a saved page's matches.

Reads only (``repub copies``, ``repub trace``, ``repub match``); the links themselves are made on save
(``repub.store.textreuse``). Detached dataclasses out, as every store read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from repub.evidence import Evidence
from repub.reuse.changes import changes
from repub.reuse.compare import TextMatch, compare, is_copy
from repub.reuse.dating import dating
from repub.reuse.decide import choose
from repub.reuse.fingerprint import fingerprint
from repub.store.models import Article
from repub.store.textreuse import candidate_ids, load, measured

if TYPE_CHECKING:
    from repub.normalize.types import Record
    from repub.store.store import Store

A = Article.__table__
MAX_DEPTH = 64  # links followed up to a text's first article at most (a cycle cannot hold a read)
_COLUMNS = (A.c.id, A.c.url, A.c.site, A.c.title, A.c.published_at, A.c.body_text, A.c.original_id,
            A.c.original_evidence, A.c.original_confidence, A.c.version, A.c.first_seen_at)


@dataclass(frozen=True)
class CopyView:
    """One stored copy of an article (``repub copies``)."""

    url: str
    site: str | None
    published_at: str | None
    evidence: list[dict[str, Any]]
    similarity: float | None  # of the copy's text and the article's (None: a copy without text)
    coverage: float | None  # share of the article's text the copy carries
    confidence: float | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TraceStep:
    """One article on a text's way (``repub trace``): the first, then each copy in date order."""

    url: str
    site: str | None
    published_at: str | None
    title: str | None
    role: str  # "original" or "copy"
    copy_of: str | None = None  # the article it is linked to (a copy of a copy names the copy)
    similarity: float | None = None
    coverage: float | None = None
    confidence: float | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    changed: dict[str, Any] | None = None  # against the first article: {"title", "cut", "added"}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MatchView:
    """A stored article whose text a saved page carries (``repub match``)."""

    url: str
    site: str | None
    published_at: str | None
    title: str | None
    similarity: float
    coverage: float
    original: bool  # the one repub would link the page to

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _row(conn: sa.Connection, url: str) -> Any:
    from repub.store.save import find_rows

    rows = find_rows(conn, [url])
    if not rows:
        return None
    return conn.execute(sa.select(*_COLUMNS).where(A.c.id == rows[0].id)).first()


def _text_match(evidence: list[dict[str, Any]] | None, url: str) -> TextMatch | None:
    for item in evidence or []:
        detail = item.get("detail") or {}
        if item.get("kind") == "text-match" and detail.get("url") == url:
            return TextMatch(float(detail.get("similarity") or 0), float(detail.get("coverage") or 0), 0.0, 0)
    return None


def _measure(copy: Any, original: Any) -> TextMatch | None:
    """The text match the copy's evidence records against ``original``, else measured now."""
    found = _text_match(copy.original_evidence, original.url)
    if found is not None:
        return found
    if not copy.body_text or not original.body_text:
        return None
    return compare(copy.body_text, original.body_text)


def copies(store: Store, url: str) -> list[CopyView] | None:
    """The stored copies of the article at ``url`` (None: no such article), in date order."""
    with store._read() as s:
        conn = s.connection()
        article = _row(conn, url)
        if article is None:
            return None
        rows = conn.execute(sa.select(*_COLUMNS).where(A.c.original_id == article.id)
                            .order_by(A.c.published_at.is_(None), A.c.published_at, A.c.id)).all()
        out = []
        for row in rows:
            match = _measure(row, article)
            out.append(CopyView(
                url=row.url, site=row.site, published_at=row.published_at,
                evidence=list(row.original_evidence or []),
                similarity=match.similarity if match else None, coverage=match.coverage if match else None,
                confidence=row.original_confidence))
        return out


def trace(store: Store, url: str) -> list[TraceStep] | None:
    """The travel of the text of the article at ``url``: the first article it leads back to (following
    each copy's link), then every article linked to it, directly or through another copy, in date
    order, each with what it changed of the first. None: no such article."""
    with store._read() as s:
        conn = s.connection()
        row = _row(conn, url)
        if row is None:
            return None
        seen = {row.id}
        while row.original_id is not None and row.original_id not in seen and len(seen) < MAX_DEPTH:
            parent = conn.execute(sa.select(*_COLUMNS).where(A.c.id == row.original_id)).first()
            if parent is None:
                break
            seen.add(parent.id)
            row = parent
        root = row
        steps = [TraceStep(url=root.url, site=root.site, published_at=root.published_at, title=root.title,
                           role="original")]
        family: list[Any] = []  # rows of _COLUMNS
        frontier, urls = [root.id], {root.id: root.url}
        while frontier and len(family) < 10_000:
            rows = conn.execute(sa.select(*_COLUMNS).where(A.c.original_id.in_(frontier))).all()
            rows = [r for r in rows if r.id not in urls]
            for r in rows:
                urls[r.id] = r.url
            family += rows
            frontier = [r.id for r in rows]
        family.sort(key=lambda r: (r.published_at is None, r.published_at or "", r.first_seen_at, r.id))
        for copy in family:
            parent_url = urls[copy.original_id]
            match = _measure(copy, root)
            steps.append(TraceStep(
                url=copy.url, site=copy.site, published_at=copy.published_at, title=copy.title, role="copy",
                copy_of=parent_url, similarity=match.similarity if match else None,
                coverage=match.coverage if match else None, confidence=copy.original_confidence,
                evidence=list(copy.original_evidence or []),
                changed=changes(root.title, root.body_text or "", copy.title, copy.body_text or "").to_json()
                if copy.version > 0 and root.version > 0 else None))
        return steps


def matches(store: Store, record: Record) -> list[MatchView]:
    """The stored articles whose text the page of ``record`` carries (nothing is written), the one
    repub would link it to first, then by date."""
    fp = fingerprint(record.body_text)
    with store._read() as s:
        conn = s.connection()
        own = _row(conn, record.url)
        exclude = own.id if own is not None else None
        found = load(conn, candidate_ids(conn, fp.bands, exclude=exclude))
        found.pop(exclude, None)  # type: ignore[arg-type]
        candidates = [c for c in measured(record.body_text, found.values()) if is_copy(c.match)]
        link = record.original
        printed = (link.url, link.outlet, link.published_at) if link is not None else (None, None, None)
        evidence: list[Evidence] = list(link.evidence) if link is not None else []
        linked = next((c.article for c in candidates if c.article.url == printed[0]), None)
        how = dating(record.published_at, record.body_text, record.url)
        choice = choose(record.url, record.published_at, evidence, linked, printed, candidates,
                        page_id=exclude, page_dating=how)
        chosen = choice.url if choice is not None else None
        ids = [c.article.id for c in candidates]
        about = {r.id: r for r in conn.execute(sa.select(A.c.id, A.c.site, A.c.title)
                                               .where(A.c.id.in_(ids)))}
        out = [MatchView(url=c.article.url, site=about[c.article.id].site,
                         published_at=c.article.published_at,
                         title=about[c.article.id].title, similarity=c.match.similarity,
                         coverage=c.match.coverage, original=c.article.url == chosen)
               for c in candidates]
        return sorted(out, key=lambda m: (not m.original, m.published_at is None, m.published_at or "",
                                          m.url))
