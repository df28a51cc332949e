"""What the store knows of many URLs at once: an ingest run asks this of every URL it discovers.

``Store.get`` + ``Store.fetch_log`` per URL cost ~2 ms each (an ORM view with its copies, then the
log): ~0.5 s before a 200-URL run could fetch its first article. Here: a few queries per 500 URLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .models import Article, FetchLog, UrlAlias

if TYPE_CHECKING:
    from .store import Store

CHUNK = 500  # URLs per IN (...): under every backend's bound-parameter limit
A = Article.__table__
ALIAS = UrlAlias.__table__
LOG = FetchLog.__table__


@dataclass(frozen=True)
class UrlState:
    """The article a URL finds (by URL, else by alias), as ``Store.get`` would show it, and the URL's
    newest fetch-log line. Every field is None when the store knows nothing of the URL."""

    article_url: str | None = None
    status: str | None = None
    original_url: str | None = None  # the linked original (a stub while "pending")
    original_status: str | None = None
    original_outlet: str | None = None
    last_error_kind: str | None = None  # of the newest fetch of the URL (as requested or final URL)
    last_http_status: int | None = None


def url_states(store: Store, urls: list[str]) -> dict[str, UrlState]:
    wanted = list(dict.fromkeys(urls))
    out: dict[str, UrlState] = {}
    with store._read() as s:
        for start in range(0, len(wanted), CHUNK):
            out.update(_chunk(s, wanted[start:start + CHUNK]))
    return out


def _chunk(s: Session, urls: list[str]) -> dict[str, UrlState]:
    cols = (A.c.id, A.c.url, A.c.status, A.c.outlet, A.c.original_id, A.c.original_outlet)
    found: dict[str, Any] = {r.url: r for r in s.execute(sa.select(*cols).where(A.c.url.in_(urls)))}
    rest = [u for u in urls if u not in found]
    if rest:
        by_alias = sa.select(ALIAS.c.url.label("alias"), *cols).join(A, A.c.id == ALIAS.c.article_id)
        found.update((r.alias, r) for r in s.execute(by_alias.where(ALIAS.c.url.in_(rest))))
    linked_ids = {r.original_id for r in found.values() if r.original_id is not None}
    linked = {r.id: r for r in s.execute(
        sa.select(A.c.id, A.c.url, A.c.status, A.c.outlet).where(A.c.id.in_(linked_ids)))}
    last: dict[str, tuple[str | None, int | None]] = {}
    unstored = [u for u in urls if u not in found or found[u].status != "ok"]
    if unstored:  # oldest first, so the newest line of each URL is the one kept
        rows = s.execute(
            sa.select(LOG.c.url, LOG.c.final_url, LOG.c.error_kind, LOG.c.status)
            .where(sa.or_(LOG.c.url.in_(unstored), LOG.c.final_url.in_(unstored)))
            .order_by(LOG.c.fetched_at, LOG.c.id)
        )
        keep = set(unstored)
        for url, final_url, kind, status in rows:
            for u in {url, final_url} & keep:
                last[u] = (kind, status)
    out: dict[str, UrlState] = {}
    for u in urls:
        row = found.get(u)
        kind, status = last.get(u, (None, None))
        if row is None:
            out[u] = UrlState(last_error_kind=kind, last_http_status=status)
            continue
        original = linked.get(row.original_id) if row.original_id is not None else None
        out[u] = UrlState(
            article_url=row.url, status=row.status,
            original_url=original.url if original is not None else None,
            original_status=original.status if original is not None else None,
            original_outlet=(original.outlet or row.original_outlet) if original is not None else None,
            last_error_kind=kind, last_http_status=status,
        )
    return out
