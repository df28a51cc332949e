"""The write path of a fetched page, in core SQL on one connection (no ORM objects, no flushes).

``save_item`` is ``Store.save_article``'s body; ``Store.save_many`` runs it for many pages in one
transaction, each page inside its own SAVEPOINT, so a page that fails leaves the others of the batch
whole. Statements are plain ``sqlalchemy`` core on the tables (portable: SQLite and PostgreSQL) and
most are built once here, so SQLAlchemy's compiled cache serves them. Measured on the fixture web's
pages (a copy, its stub, its original, as ``repub ingest`` writes them): ~7 ms of writer thread per page
through the ORM (zlib level 6 included), ~1.3 ms here in batches of 20 with the pages prepared before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from repub.errors import StoreError
from repub.hosts import bare_host
from repub.normalize.types import Record
from repub.reuse.fingerprint import Fingerprint
from repub.store.columns import original_values, record_values, stub_values
from repub.store.driversql import DriverStatement
from repub.store.history import (
    PreparedRaw,
    RawBody,
    clear_matched_divergence,
    keep_raw_page,
    mark_copies_diverged,
)
from repub.store.models import Article, ArticleEvent, ArticleVersion, FetchLog, UrlAlias
from repub.store.textreuse import index_and_link
from repub.store.views import FetchLogEntry, SaveResult

T = TypeVar("T")
A = Article.__table__
V = ArticleVersion.__table__
ALIAS = UrlAlias.__table__

_URLS: sa.BindParameter[list[str]] = sa.bindparam("urls", expanding=True)


def url_or_alias(urls: Any) -> sa.ColumnElement[bool]:
    """Articles found by any of ``urls`` (a list, or an expanding bind parameter), by their own URL or
    by an alias: one query for both. The one lookup rule of the store, for reads and writes."""
    return sa.or_(A.c.url.in_(urls), A.c.id.in_(sa.select(ALIAS.c.article_id).where(ALIAS.c.url.in_(urls))))


def exact_first(found: Iterable[T], urls: Iterable[str]) -> list[T]:
    """``found`` (rows or Articles) with exact URL matches first, then by id."""
    wanted = set(urls)
    return sorted(found, key=lambda a: (a.url not in wanted, a.id))  # type: ignore[attr-defined]


_FIND = sa.select(A.c.id, A.c.url, A.c.version, A.c.content_hash, A.c.status, A.c.outlet,
                  A.c.first_seen_at).where(url_or_alias(_URLS))
_WAITING = (  # copies saved before their original (they name one of its URLs, unlinked) link to it now
    A.update().where(A.c.original_url.in_(_URLS), A.c.original_id.is_(None), A.c.id != sa.bindparam("b_id"))
    .values(original_id=sa.bindparam("b_id"))
)
_COPY_OUTLET = (
    sa.select(A.c.original_outlet)
    .where(A.c.original_id == sa.bindparam("b_id"), A.c.original_outlet.is_not(None))
    .order_by(A.c.id).limit(1)
)
# Values go in as parameters, never .values(...): building a statement with ~30 bound values per page
# cost more than running it; these few statements are compiled once per set of columns and cached.
_INSERT = A.insert()
_UPDATE = A.update().where(A.c.id == sa.bindparam("b_id"))
_ALIASES_KNOWN = sa.select(ALIAS.c.url).where(ALIAS.c.url.in_(_URLS))
# statements of every page whose values need no type processing, as driver SQL (repub.store.driversql)
_DRIVER_WAITING = DriverStatement(_WAITING, ["urls"])
_DRIVER_ADD_ALIASES = DriverStatement(
    ALIAS.insert().values(url=sa.bindparam("url"), article_id=sa.bindparam("article_id")))
_SEEN_AGAIN = (
    V.update().where(V.c.article_id == sa.bindparam("b_id"), V.c.version == sa.bindparam("b_version"),
                     V.c.last_seen_at < sa.bindparam("b_at", type_=V.c.last_seen_at.type))
    .values(last_seen_at=sa.bindparam("b_at", type_=V.c.last_seen_at.type))
)


@dataclass(frozen=True)
class SaveItem:
    """One fetched page to store (``Store.save_article``'s arguments), plus the original link work
    that the import path used to do in transactions of its own."""

    record: Record
    fetched_at: datetime
    aliases: Sequence[str] = ()
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    outlet: str | None = None
    checked: bool = True
    raw: RawBody | PreparedRaw | None = None
    # A copy: make a "pending" stub for the original it names when none is stored, and link to it.
    stub_original: bool = False
    # An original fetched for a copy: point that copy (by id, else by URL) at it, as ``original_url``.
    copy_id: int | None = None
    copy_url: str | None = None
    original_url: str | None = None
    # ``content_hash(content_of(record))`` when the caller computed it (off the writer thread)
    content_hash: str | None = None
    # ``repub.reuse.fingerprint(record.body_text)`` when the caller computed it (in an extraction
    # worker); computed here otherwise
    fingerprint: Fingerprint | None = None


def aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")
    return value.astimezone(UTC)


def unique(urls: Sequence[str | None]) -> list[str]:
    return list(dict.fromkeys(u for u in urls if u))


def content_of(record: Record) -> dict[str, Any]:
    """``record.content()``: the content fields, as versions store and hash them."""
    return record.content()


def _new_id(result: sa.CursorResult[Any]) -> int:
    """The primary key an INSERT of one row gave it."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def find_rows(conn: Connection, urls: list[str]) -> list[Row[Any]]:
    """Articles whose URL or alias is one of ``urls``: exact URL matches first, then by id."""
    if not urls:
        return []
    return exact_first(conn.execute(_FIND, {"urls": urls}), urls)


def log_rows(entries: Sequence[FetchLogEntry]) -> list[dict[str, Any]]:
    return [{"url": e.url, "final_url": e.final_url, "fetched_at": aware(e.fetched_at, "fetched_at"),
             "status": e.status, "nbytes": e.nbytes, "elapsed_ms": e.elapsed_ms, "error_kind": e.error_kind,
             "error": e.error, "run_id": e.run_id} for e in entries]


def write_log(conn: Connection, entries: Sequence[FetchLogEntry]) -> None:
    if entries:
        conn.execute(FetchLog.__table__.insert(), log_rows(entries))


def save_item(conn: Connection, item: SaveItem, content_hash: str) -> SaveResult:
    """Insert or update the article of ``item`` (see ``Store.save_article``) on an open transaction."""
    record = item.record
    at = aware(item.fetched_at, "fetched_at")
    urls = unique([record.url, *item.aliases])
    content = content_of(record)
    rows = find_rows(conn, urls)
    found = next((r for r in rows if r.url == record.url), rows[0] if rows else None)
    values: dict[str, Any] = record_values(record)
    if item.outlet:
        values["outlet"] = item.outlet
    if item.checked:
        values.update(status="ok", error=None, http_status=item.http_status, etag=item.etag,
                      last_modified=item.last_modified, last_checked_at=at)

    if found is None:  # the usual case on import: one INSERT with everything
        version = 1
        original_id, original_status = _original_fields(conn, record, values, article_id=None)
        values.setdefault("status", "pending")
        values.update(url=record.url, version=1, content_hash=content_hash, last_changed_at=at,
                      first_seen_at=at)
        article_id = _new_id(conn.execute(_INSERT, values))
        outlet = values.get("outlet")
        changed = True
    else:
        article_id, outlet, first_seen = found.id, found.outlet, found.first_seen_at
        for other in rows:
            # A stub made for one of these URLs (e.g. the original's URL as printed on a copy, which
            # redirects here) is the same article: fold it in. Rows with content stay apart.
            if other.id != article_id and other.version == 0:
                urls.append(other.url)
                outlet, first_seen = _merge_stub(conn, other, article_id, outlet, first_seen)
        if found.url != record.url:
            urls.append(found.url)  # found by an alias: the record's URL is the canonical one
            values["url"] = record.url
        values["outlet"] = outlet = item.outlet or outlet
        # seen before the row's first sighting: a page from an older capture (a WARC imported later)
        values["first_seen_at"] = min(first_seen, at)
        if item.checked and found.status == "gone":  # it answers again: say so in its history
            conn.execute(ArticleEvent.__table__.insert(), {"article_id": article_id, "at": at, "kind": "back",
                                                           "url": record.url})
        original_id, original_status = _original_fields(conn, record, values, article_id=article_id)
        changed = found.version == 0 or found.content_hash != content_hash
        version = found.version + 1 if changed else found.version
        if changed:
            values.update(version=version, content_hash=content_hash, last_changed_at=at)
        conn.execute(_UPDATE, {"b_id": article_id, **values})
        if not changed and item.checked:
            conn.execute(_SEEN_AGAIN, {"b_id": article_id, "b_version": version, "b_at": at})
    if changed:
        conn.execute(V.insert(), {"article_id": article_id, "version": version, "content_hash": content_hash,
                                  "content": content, "first_seen_at": at, "last_seen_at": at})
        if version > 1:
            mark_copies_diverged(conn, article_id, record.url, version, at)
            clear_matched_divergence(conn, article_id, content["body_text"], at)  # a corrected copy

    urls = unique(urls)
    # A new row: the lookup above found none of its URLs, as an article's or as an alias.
    add_aliases(conn, article_id, urls, known_absent=found is None)
    _link_waiting(conn, article_id, urls, outlet, new=found is None)
    if item.raw is not None and (item.raw.size if isinstance(item.raw, PreparedRaw) else item.raw.body):
        # a stub (version 0) never had content, so no page is kept for it either
        keep_raw_page(conn, article_id, item.raw, at, new=found is None or found.version == 0)
    if item.stub_original and original_status is None:
        original_id, original_status = _stub_original(conn, record, article_id, urls, at)
    if item.original_url is not None:
        _link_copy(conn, item, article_id)
    # after every link the page itself makes: its text may name an earlier original, or its copies
    index_and_link(conn, record, article_id, version, changed=changed, new_article=found is None, at=at,
                   fp=item.fingerprint)
    return SaveResult(article_id=article_id, created=found is None, changed=changed, version=version,
                      original_id=original_id, original_status=original_status if original_id else None)


def _original_fields(conn: Connection, record: Record, values: dict[str, Any],
                     article_id: int | None) -> tuple[int | None, str | None]:
    """Store what the copy says about its original; a URL already known is kept when none is given.
    Returns the original's id and status when it is stored; status "itself" when the URL it names
    is one of this article's own (no link, no stub), None when it is not stored."""
    link = record.original
    if link is None:
        return None, None
    original_id = status = None
    if link.url:
        rows = find_rows(conn, [link.url])
        original = rows[0] if rows else None
        if original is not None and original.id == article_id:
            status = "itself"
        elif original is not None:
            original_id, status = original.id, original.status
            if original.outlet is None and link.outlet:
                conn.execute(_UPDATE, {"b_id": original.id, "outlet": link.outlet})
        values["original_id"] = original_id
    values.update(original_values(link))
    return original_id, status


def _merge_stub(conn: Connection, stub: Row[Any], into: int, outlet: str | None,
                first_seen: datetime) -> tuple[str | None, datetime]:
    """Fold a content-less stub into ``into``: its copies, aliases and outlet move over, the row goes."""
    conn.execute(A.update().where(A.c.original_id == stub.id).values(original_id=into))
    conn.execute(ALIAS.update().where(ALIAS.c.article_id == stub.id).values(article_id=into))
    conn.execute(A.delete().where(A.c.id == stub.id))
    return outlet or stub.outlet, min(first_seen, stub.first_seen_at)


def add_aliases(conn: Connection, article_id: int, urls: list[str], *, known_absent: bool = False) -> None:
    """Make each URL find the article. A URL already pointing at another article is left alone.
    (Look, then insert: two cached statements; the dialects' ON CONFLICT insert is compiled anew on
    every call, which cost more than the extra query.) ``known_absent``: the caller has just looked
    these URLs up (``find_rows``) in this transaction and found nothing, so the look is skipped."""
    known = set() if known_absent else set(conn.execute(_ALIASES_KNOWN, {"urls": urls}).scalars())
    fresh = [{"url": u, "article_id": article_id} for u in urls if u not in known]
    if fresh:
        _DRIVER_ADD_ALIASES.execute_many(conn, fresh)


def _link_waiting(conn: Connection, article_id: int, urls: list[str], outlet: str | None, *,
                  new: bool = False) -> int:
    """Point the copies that name one of ``urls`` (unlinked) at the article; how many there were.
    ``new``: the row was just made, so only those copies can point at it."""
    waiting = _DRIVER_WAITING.execute(conn, {"urls": urls, "b_id": article_id}).rowcount
    if outlet is None and (waiting or not new):  # an original without an outlet takes its copies' one
        printed = conn.execute(_COPY_OUTLET, {"b_id": article_id}).scalar()
        if printed is not None:
            conn.execute(_UPDATE, {"b_id": article_id, "outlet": printed})
    return waiting


def new_stub(conn: Connection, url: str, *, status: str, seen_at: datetime, outlet: str | None = None,
             published_at: str | None = None, known_absent: bool = False) -> tuple[int, int]:
    """A row for an article known only by its URL (an original not fetched yet, a failure): its id,
    and how many unlinked copies naming ``url`` now point at it. ``known_absent``: see add_aliases."""
    article_id = _new_id(conn.execute(_INSERT, {
        **stub_values(), "url": url, "site": bare_host(url) or None, "status": status, "version": 0,
        "first_seen_at": seen_at, "outlet": outlet, "published_at": published_at,
    }))
    add_aliases(conn, article_id, [url], known_absent=known_absent)
    return article_id, _link_waiting(conn, article_id, [url], outlet, new=True)


def _stub_original(conn: Connection, copy: Record, copy_id: int, copy_urls: list[str], at: datetime
                   ) -> tuple[int | None, str | None]:
    """The copy's original is not stored yet: a "pending" stub with what the copy printed, linked."""
    link = copy.original
    if link is None or not link.url or link.url == copy.url:
        return None, None
    # Nothing was found for link.url before the copy was written (save_item): only the copy's own
    # URLs, aliased since, can have taken it.
    # first seen when the copy naming it was fetched (a WARC's copy: its record's date)
    stub, linked = new_stub(conn, link.url, status="pending", seen_at=at, outlet=link.outlet,
                            published_at=link.published_at, known_absent=link.url not in copy_urls)
    if not linked:  # the copy itself names link.url unlinked, so linking the waiting copies took it
        conn.execute(_UPDATE, {"b_id": copy_id, "original_id": stub})
    return stub, "pending"


def _link_copy(conn: Connection, item: SaveItem, original_id: int) -> None:
    """``Store.link_original(copy, item.original_url)`` once the original itself is saved."""
    url = item.original_url
    assert url is not None
    rows = find_rows(conn, [url])
    target = rows[0].id if rows else original_id
    copy_id = item.copy_id
    if copy_id is None:
        copies = find_rows(conn, [item.copy_url] if item.copy_url else [])
        if not copies:
            raise StoreError(f"no article stored for {item.copy_url}")
        copy_id = copies[0].id
    if target == copy_id:
        raise StoreError(f"{item.copy_url or copy_id} cannot be its own original")
    if not chosen_by_text(conn, copy_id, url):
        conn.execute(_UPDATE, {"b_id": copy_id, "original_url": url, "original_id": target})


def chosen_by_text(conn: Connection, copy_id: int, url: str) -> bool:
    """Whether the copy's original is an earlier article its text matched, chosen over ``url`` (the
    address its page gave): then linking ``url`` must not undo it (``repub.store.textreuse``)."""
    row = conn.execute(sa.select(A.c.original_url, A.c.original_evidence).where(A.c.id == copy_id)).first()
    if row is None or row.original_url in (None, url):
        return False
    return any(item.get("kind") == "text-match" and (item.get("detail") or {}).get("url") == row.original_url
               for item in row.original_evidence or [])
