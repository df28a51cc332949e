"""History beyond versions: raw pages, 304 checks, gone/moved/diverged events, and what changed when.

Functions take a ``Store`` and use its session helpers, so every write is still one transaction and
every read hands out detached dataclasses. ``mark_copies_diverged`` and ``clear_matched_divergence``
work inside ``save_article``'s transaction (a version and the divergence it causes or ends commit
together).
"""

from __future__ import annotations

import hashlib
import threading
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import zstandard
from sqlalchemy.orm import Session, aliased

from .models import Article, ArticleEvent, ArticleVersion, FetchLog, RawPage
from .views import FetchLogEntry, iso_utc

if TYPE_CHECKING:
    from .store import Store

MOVED_TO = "moved permanently to "  # an article of status "moved": its ``error`` is this and the new URL
COMPRESSION = "zstd"  # of the raw pages kept from now on; rows keep the name of theirs ("zlib" before)
RAW_LEVEL = 1  # zstd level of kept raw pages (see prepare_raw)
_local = threading.local()  # a zstd compressor is not to be shared between threads


def _zstd() -> zstandard.ZstdCompressor:
    compressor = getattr(_local, "zstd", None)
    if compressor is None:
        compressor = _local.zstd = zstandard.ZstdCompressor(level=RAW_LEVEL)
    return compressor


def raw_bytes(data: bytes, compression: str) -> bytes:
    """A kept raw page's bytes as fetched, from the row's ``body`` and ``compression``."""
    if compression == "zstd":
        return zstandard.ZstdDecompressor().decompress(data)
    if compression == "zlib":
        return zlib.decompress(data)
    return data


@dataclass(frozen=True)
class RawBody:
    """A fetched page's bytes as they came, kept so extractors can be re-run without fetching."""

    url: str  # the real final URL
    body: bytes
    encoding: str  # the charset the text was decoded with
    # What a WARC response record needs besides the body (``repub export --warc``): the status line
    # and the response headers as received, in order; None when not known.
    status_line: str | None = None
    headers: tuple[tuple[str, str], ...] | None = None
    warc_payload_digest: str | None = None  # of the WARC record the page was imported from


@dataclass(frozen=True)
class PreparedRaw:
    """A ``RawBody`` made ready to store (``prepare_raw``): only ``repub.store`` knows this format."""

    url: str
    encoding: str
    digest: str  # sha256 of the raw bytes: a body already kept for the article is not kept twice
    data: bytes  # the body, compressed
    size: int  # uncompressed bytes
    compression: str = COMPRESSION
    status_line: str | None = None
    headers: tuple[tuple[str, str], ...] | None = None
    warc_payload_digest: str | None = None


def prepare_raw(raw: RawBody) -> PreparedRaw:
    """Digest and compress a fetched page: pure CPU (zstd and hashlib release the GIL), so callers
    run it where it costs least, e.g. in the extraction worker processes, before the writer.

    zstd level 1, measured on the benchmark's 92 KB pages: 0.22 ms and 27.4 KB a page, against zlib
    level 1 (kept until 2026-11) 0.69 ms and 29.3 KB, and zlib's default level 6 1.7 ms and 26.8 KB;
    every page of an import pays it."""
    return PreparedRaw(url=raw.url, encoding=raw.encoding or "utf-8",
                       digest=hashlib.sha256(raw.body).hexdigest(),
                       data=_zstd().compress(raw.body), size=len(raw.body), status_line=raw.status_line,
                       headers=raw.headers, warc_payload_digest=raw.warc_payload_digest)


@dataclass(frozen=True)
class Target:
    """An article to re-fetch, with the validators its last answer gave."""

    url: str
    etag: str | None
    last_modified: str | None
    version: int
    status: str
    article_id: int | None = None  # the row ``resync_targets`` found: 304 bookkeeping needs no URL lookup


@dataclass(frozen=True)
class Touch:
    """One 304 (or "same as before") answer, to be written with others by ``touch_checked_many``."""

    article_id: int
    url: str
    at: datetime
    http_status: int = 304


@dataclass(frozen=True)
class StoredPage:
    """The newest raw page of an article, decoded again for re-extraction."""

    article_url: str
    url: str  # the real URL the body came from
    text: str
    last_seen_at: datetime


@dataclass(frozen=True)
class EventView:
    kind: str
    at: str
    url: str | None
    detail: str | None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "at": self.at, "url": self.url, "detail": self.detail}


@dataclass(frozen=True)
class ChangeView:
    """One line of ``repub changes``: a new version (kind "changed") or an event."""

    at: str
    kind: str
    url: str  # the article's current URL
    site: str | None
    title: str | None
    version: int | None  # the version a "changed" line is about
    is_original: bool  # has copies linked to it
    detail: str | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class DivergedView:
    copy_url: str
    copy_title: str | None
    original_url: str
    original_title: str | None
    diverged_since: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: repub stores aware UTC datetimes only")
    return value.astimezone(UTC)


def _find(s: Session, url: str) -> Article | None:
    from .store import _find as find  # the one URL-or-alias lookup; imported late (store imports us)

    return find(s, url)


# -- raw pages --------------------------------------------------------------------------------------


def save_raw_page(store: Store, article_id: int, *, url: str, body: bytes, encoding: str,
                  fetched_at: datetime) -> bool:
    """Keep ``body`` compressed unless the same bytes are already kept for the article; True if new."""
    with store._begin() as conn:
        return keep_raw_page(conn, article_id, RawBody(url, body, encoding), _aware(fetched_at))


_RAW = RawPage.__table__
_RAW_KEPT = sa.select(_RAW.c.id, _RAW.c.first_seen_at, _RAW.c.last_seen_at, _RAW.c.status_line).where(
    _RAW.c.article_id == sa.bindparam("b_id"), _RAW.c.body_hash == sa.bindparam("b_hash"))


def keep_raw_page(conn: sa.Connection, article_id: int, raw: RawBody | PreparedRaw, at: datetime, *,
                  new: bool = False) -> bool:
    """``save_raw_page`` on an open transaction (``new``: the article was just made, so nothing is kept
    for it yet). The same bytes seen again only move their row's last_seen_at (and URL). True if kept
    anew. A row keeps the status line and headers of its first fetch (its first_seen_at, a WARC's
    WARC-Date): the same bytes seen earlier than that (an older WARC imported later) or a row that had
    none (kept before migration 0010) take the new ones."""
    page = raw if isinstance(raw, PreparedRaw) else prepare_raw(raw)
    fetch = _fetch_columns(page)
    if not new:
        kept = conn.execute(_RAW_KEPT, {"b_id": article_id, "b_hash": page.digest}).first()
        if kept is not None:
            values: dict[str, Any] = {"last_seen_at": max(kept.last_seen_at, at), "url": page.url}
            earlier = at < kept.first_seen_at
            if earlier:
                values["first_seen_at"] = at
            if page.status_line is not None and (earlier or kept.status_line is None):
                values.update(fetch)
            conn.execute(_RAW.update().where(_RAW.c.id == kept.id).values(values))
            return False
    conn.execute(_RAW.insert(), {
        "article_id": article_id, "url": page.url, "body_hash": page.digest, "encoding": page.encoding,
        "compression": page.compression, "body": page.data, "size": page.size, "first_seen_at": at,
        "last_seen_at": at, **fetch,
    })
    return True


def _fetch_columns(page: PreparedRaw) -> dict[str, Any]:
    headers = None if page.headers is None else [list(pair) for pair in page.headers]
    return {"status_line": page.status_line, "headers": headers,
            "warc_payload_digest": page.warc_payload_digest}


def raw_page_count(store: Store, url: str) -> int:
    with store._read() as s:
        article = _find(s, url)
        if article is None:
            return 0
        return s.scalar(sa.select(sa.func.count()).where(RawPage.article_id == article.id)) or 0


def latest_raw_pages(store: Store, site: str | None = None) -> list[StoredPage]:
    """For each article with a kept page (of ``site``), its most recently seen page."""
    with store._read() as s:
        # A body seen again only bumps its row's last_seen_at, so "newest" is by last_seen_at.
        query = (
            sa.select(RawPage, Article.url)
            .join(Article, Article.id == RawPage.article_id)
            .order_by(RawPage.article_id, RawPage.last_seen_at.desc(), RawPage.id.desc())
        )
        if site is not None:
            query = query.where(Article.site == site)
        pages: dict[str, StoredPage] = {}
        for raw, article_url in s.execute(query):
            if article_url in pages:
                continue
            body = raw_bytes(raw.body, raw.compression)
            pages[article_url] = StoredPage(
                article_url=article_url, url=raw.url, text=body.decode(raw.encoding, errors="replace"),
                last_seen_at=raw.last_seen_at,
            )
        return list(pages.values())


@dataclass(frozen=True)
class PruneResult:
    pages: int  # raw pages deleted (or that would be, on a dry run)
    nbytes: int  # their stored (compressed) bytes
    articles: int  # articles they belonged to


def prune_raw_pages(store: Store, *, keep: int = 1, seen_before: datetime | None = None,
                    site: str | None = None, dry_run: bool = False) -> PruneResult:
    """Delete kept raw pages beyond each article's ``keep`` most recently seen ones; with
    ``seen_before``, only pages last seen before then. Versions and their extracted fields stay: only
    the bytes ``repub reextract`` would re-run on go, and it always finds an article's newest page.

    One write transaction; the ranking is a window function (SQLite >= 3.25 and PostgreSQL alike)."""
    if keep < 1:
        raise ValueError("keep must be at least 1: reextract needs each article's newest page")
    rank = sa.func.row_number().over(partition_by=RawPage.article_id,
                                     order_by=(RawPage.last_seen_at.desc(), RawPage.id.desc()))
    ranked = sa.select(RawPage.id, RawPage.article_id, RawPage.last_seen_at,
                       sa.func.length(RawPage.body).label("nbytes"), rank.label("rank"))
    if site is not None:
        ranked = ranked.join(Article, Article.id == RawPage.article_id).where(Article.site == site)
    sub = ranked.subquery()
    doomed = sa.select(sub.c.id, sub.c.article_id, sub.c.nbytes).where(sub.c.rank > keep)
    if seen_before is not None:
        doomed = doomed.where(sub.c.last_seen_at < _aware(seen_before))
    with store._write() as s:
        rows = s.execute(doomed).all()
        if not dry_run:
            ids = [row.id for row in rows]
            for start in range(0, len(ids), 500):  # bounded IN lists
                s.execute(sa.delete(RawPage).where(RawPage.id.in_(ids[start:start + 500]))
                          .execution_options(synchronize_session=False))
    return PruneResult(len(rows), sum(row.nbytes or 0 for row in rows), len({row.article_id for row in rows}))


# -- what resync writes -----------------------------------------------------------------------------


def resync_targets(
    store: Store, *, site: str | None = None, checked_before: datetime | None = None,
    urls: list[str] | None = None, originals_only: bool = False, limit: int | None = None,
) -> list[Target]:
    """Articles due for a check, least recently checked first (never-checked stubs before all)."""
    with store._read() as s:
        query = sa.select(Article.id, Article.url, Article.etag, Article.last_modified, Article.version,
                          Article.status)
        if urls:
            found = [a for a in (_find(s, u) for u in urls) if a is not None]
            query = query.where(Article.id.in_([a.id for a in found]))
        if site is not None:
            query = query.where(Article.site == site)
        if not urls:  # an article that moved onto another stored one is checked only when named
            query = query.where(Article.status != "moved")
        if checked_before is not None and not urls:
            cutoff = _aware(checked_before)
            query = query.where(sa.or_(Article.last_checked_at.is_(None), Article.last_checked_at < cutoff))
        if originals_only:
            copy = aliased(Article)
            query = query.where(sa.exists().where(copy.original_id == Article.id))
        query = query.order_by(Article.last_checked_at.is_not(None), Article.last_checked_at, Article.id)
        if limit is not None:
            query = query.limit(limit)
        return [
            Target(url=url, etag=etag, last_modified=last_modified, version=version, status=status,
                   article_id=article_id)
            for article_id, url, etag, last_modified, version, status in s.execute(query)
        ]


def touch_checked(store: Store, url: str, at: datetime, *, http_status: int = 304) -> bool:
    """A 304 (or any "same as before" answer): only the check time moves, and the current version
    was seen again. False when the URL is unknown."""
    at = _aware(at)
    with store._write() as s:
        article = _find(s, url)
        if article is None:
            return False
        article.last_checked_at = at
        article.http_status = http_status
        if article.status == "gone":  # answering again, even with 304, means it is back
            article.status, article.error = "ok", None
            s.add(ArticleEvent(article_id=article.id, at=at, kind="back", url=url))
        s.execute(
            sa.update(ArticleVersion)
            .where(ArticleVersion.article_id == article.id, ArticleVersion.version == article.version,
                   ArticleVersion.last_seen_at < at)
            .values(last_seen_at=at)
        )
        return True


_versions = ArticleVersion.__table__.c
_VERSION_SEEN = (
    sa.update(ArticleVersion.__table__)
    .where(_versions.article_id == sa.bindparam("b_article"), _versions.version == sa.bindparam("b_version"),
           _versions.last_seen_at < sa.bindparam("b_at", type_=_versions.last_seen_at.type))
    .values(last_seen_at=sa.bindparam("b_at", type_=_versions.last_seen_at.type))
)
_ARTICLE_CHECKED = (
    sa.update(Article.__table__)
    .where(Article.__table__.c.id == sa.bindparam("b_id"))
    .values(last_checked_at=sa.bindparam("b_at", type_=Article.__table__.c.last_checked_at.type),
            http_status=sa.bindparam("b_status"))
)


def touch_checked_many(store: Store, touches: list[Touch], log: Sequence[FetchLogEntry] = ()) -> int:
    """``touch_checked`` for many articles by id, plus their fetch-log lines, in one transaction
    (executemany, no lookup by URL). Articles no longer in the database are skipped; returns how many
    were touched. A gone article answering again is ``ok`` again (event ``back``), as in touch_checked."""
    with store._write() as s:
        if log:
            s.execute(sa.insert(FetchLog.__table__), [
                {"url": e.url, "final_url": e.final_url, "fetched_at": _aware(e.fetched_at),
                 "status": e.status, "nbytes": e.nbytes, "elapsed_ms": e.elapsed_ms,
                 "error_kind": e.error_kind, "error": e.error, "run_id": e.run_id}
                for e in log
            ])
        if not touches:
            return 0
        latest: dict[int, Touch] = {}
        for t in touches:  # one article checked twice in a batch: the later answer wins
            if t.article_id not in latest or latest[t.article_id].at <= t.at:
                latest[t.article_id] = t
        rows: dict[int, tuple[int, str]] = {}
        ids = list(latest)
        for start in range(0, len(ids), 500):  # stay under every backend's bound-parameter limit
            chunk = ids[start:start + 500]
            rows.update((i, (v, st)) for i, v, st in s.execute(
                sa.select(Article.id, Article.version, Article.status).where(Article.id.in_(chunk))
            ))
        found = [t for i, t in latest.items() if i in rows]
        if not found:
            return 0
        s.execute(_ARTICLE_CHECKED, [
            {"b_id": t.article_id, "b_at": _aware(t.at), "b_status": t.http_status} for t in found
        ])
        s.execute(_VERSION_SEEN, [
            {"b_article": t.article_id, "b_version": rows[t.article_id][0], "b_at": _aware(t.at)}
            for t in found
        ])
        back = [t for t in found if rows[t.article_id][1] == "gone"]
        if back:
            s.execute(
                sa.update(Article.__table__).where(Article.__table__.c.id.in_([t.article_id for t in back]))
                .values(status="ok", error=None)
            )
            s.add_all(ArticleEvent(article_id=t.article_id, at=_aware(t.at), kind="back", url=t.url)
                      for t in back)
        return len(found)


def mark_gone(store: Store, url: str, at: datetime, *, http_status: int, error: str,
              run_id: int | None = None) -> bool:
    """404/410: the article is gone; all its content and versions stay. True when newly gone."""
    at = _aware(at)
    with store._write() as s:
        article = _find(s, url)
        if article is None:
            return False
        newly = article.status != "gone"
        if article.version == 0:
            article.status = "failed"  # a stub never had content: nothing to keep, it simply failed
            newly = False
        else:
            article.status = "gone"
        article.error, article.http_status, article.last_checked_at = error, http_status, at
        if newly:
            s.add(ArticleEvent(
                article_id=article.id, at=at, kind="gone", url=url, detail=error, run_id=run_id
            ))
        return newly


def record_moved(store: Store, new_url: str, old_url: str, at: datetime, *, old_id: int | None = None,
                 run_id: int | None = None) -> bool:
    """A permanent redirect took ``old_url`` (the URL of article ``old_id``; looked up when None) to
    ``new_url``, whose page save_article has just stored. Returns whether anything new was recorded.

    Usually the article is the one now at ``new_url`` (save_article made it its URL and the old one
    an alias): a ``moved`` event on it. When ``new_url`` is another article already stored, the two
    turn out to be one, and neither's history may be lost: the old article keeps its versions, raw
    pages and events, and rests with status ``moved`` (``error`` says where to; resync no longer
    checks it unless asked by URL); its copies follow to the new one; both get the ``moved`` event,
    once: a redirect seen again records nothing new."""
    at = _aware(at)
    detail = f"{old_url} -> {new_url}"
    with store._write() as s:
        article = _find(s, new_url)
        if article is None:
            return False
        old = s.get(Article, old_id) if old_id is not None else _find(s, old_url)
        if old is None or old.id == article.id:
            s.add(ArticleEvent(article_id=article.id, at=at, kind="moved", url=old_url, detail=detail,
                               run_id=run_id))
            return True
        old.last_checked_at = at
        seen = s.scalar(sa.select(sa.func.count()).where(
            ArticleEvent.article_id == old.id, ArticleEvent.kind == "moved", ArticleEvent.detail == detail))
        if old.status == "moved" and seen:
            return False
        old.status, old.error = "moved", f"{MOVED_TO}{new_url}"
        s.execute(sa.update(Article).where(Article.original_id == old.id).values(original_id=article.id)
                  .execution_options(synchronize_session=False))
        s.add_all(ArticleEvent(article_id=i, at=at, kind="moved", url=old_url, detail=detail, run_id=run_id)
                  for i in (old.id, article.id))
        return True


def mark_copies_diverged(conn: sa.Connection, original_id: int, original_url: str, version: int,
                         at: datetime) -> list[int]:
    """Inside save_article's transaction: the original just got a new (non-first) ``version``, so every
    copy taken before now no longer matches it. A copy already diverged keeps its first date."""
    articles = Article.__table__
    ids = list(conn.execute(
        sa.select(articles.c.id).where(
            articles.c.original_id == original_id, articles.c.diverged_since.is_(None),
            articles.c.first_seen_at <= at,
        )
    ).scalars())
    if ids:
        conn.execute(articles.update().where(articles.c.id.in_(ids)).values(diverged_since=at))
        conn.execute(ArticleEvent.__table__.insert(), [
            {"article_id": i, "at": at, "kind": "diverged", "url": original_url,
             "detail": f"original changed to version {version}"}
            for i in ids
        ])
    return ids


def carries_text(copy_body: str, original_body: str) -> bool:
    """Whether every paragraph of ``original_body`` is also a paragraph of ``copy_body`` (spacing and
    Unicode forms aside). A copy may add its own lines (a credit, "Go to Original"), not drop or change
    the original's."""
    wanted = _paragraphs(original_body)
    return bool(wanted) and wanted <= _paragraphs(copy_body)


def _paragraphs(text: str) -> set[str]:
    lines = (unicodedata.normalize("NFKC", line) for line in text.splitlines())
    return {" ".join(line.split()) for line in lines if line.strip()}


def clear_matched_divergence(conn: sa.Connection, copy_id: int, copy_body: str, at: datetime) -> bool:
    """Inside save_article's transaction, for an article that just got a new version: a copy marked
    diverged whose body now carries its original's current text (``carries_text``) matches again. The
    titles are not compared: republishers retitle as a rule. Returns whether the divergence was ended."""
    articles = Article.__table__
    copy = conn.execute(sa.select(articles.c.diverged_since, articles.c.original_id)
                        .where(articles.c.id == copy_id)).first()
    if copy is None or copy.diverged_since is None or copy.original_id is None:
        return False
    original = conn.execute(sa.select(articles.c.url, articles.c.version, articles.c.body_text)
                            .where(articles.c.id == copy.original_id)).first()
    if original is None or not carries_text(copy_body, original.body_text or ""):
        return False
    conn.execute(articles.update().where(articles.c.id == copy_id).values(diverged_since=None))
    conn.execute(ArticleEvent.__table__.insert(), {
        "article_id": copy_id, "at": at, "kind": "matched", "url": original.url,
        "detail": f"copy carries the original's version {original.version} again",
    })
    return True


# -- what the history commands read -----------------------------------------------------------------


def events(store: Store, url: str) -> list[EventView]:
    with store._read() as s:
        article = _find(s, url)
        if article is None:
            return []
        rows = s.scalars(
            sa.select(ArticleEvent).where(ArticleEvent.article_id == article.id)
            .order_by(ArticleEvent.at, ArticleEvent.id)
        )
        return [EventView(kind=e.kind, at=iso_utc(e.at) or "", url=e.url, detail=e.detail) for e in rows]


def changes_since(store: Store, since: datetime, *, originals_only: bool = False,
                  site: str | None = None) -> list[ChangeView]:
    """New versions (after the first) and events since ``since``, oldest first."""
    since = _aware(since)
    with store._read() as s:
        copy = aliased(Article)
        is_original = sa.exists().where(copy.original_id == Article.id)
        versions = (
            sa.select(ArticleVersion.first_seen_at, ArticleVersion.version, Article, is_original)
            .join(Article, Article.id == ArticleVersion.article_id)
            .where(ArticleVersion.first_seen_at >= since, ArticleVersion.version > 1)
        )
        evs = (
            sa.select(ArticleEvent, Article, is_original)
            .join(Article, Article.id == ArticleEvent.article_id)
            .where(ArticleEvent.at >= since)
        )
        if originals_only:
            versions, evs = versions.where(is_original), evs.where(is_original)
        if site is not None:
            versions, evs = versions.where(Article.site == site), evs.where(Article.site == site)
        out: list[tuple[datetime, int, ChangeView]] = []
        for at, version, article, orig in s.execute(versions):
            out.append((at, 0, ChangeView(
                at=iso_utc(at) or "", kind="changed", url=article.url, site=article.site, title=article.title,
                version=version, is_original=bool(orig), detail=None,
            )))
        for event, article, orig in s.execute(evs):
            out.append((event.at, 1, ChangeView(
                at=iso_utc(event.at) or "", kind=event.kind, url=article.url, site=article.site,
                title=article.title, version=None, is_original=bool(orig), detail=event.detail,
            )))
        out.sort(key=lambda item: (item[0], item[1], item[2].url))
        return [view for _, _, view in out]


def diverged_copies(store: Store, site: str | None = None) -> list[DivergedView]:
    """Copies whose original changed after they were taken, longest diverged first."""
    with store._read() as s:
        original = aliased(Article)
        query = (
            sa.select(Article, original.url, original.title)
            .join(original, original.id == Article.original_id)
            .where(Article.diverged_since.is_not(None))
            .order_by(Article.diverged_since, Article.id)
        )
        if site is not None:
            query = query.where(Article.site == site)
        return [
            DivergedView(copy_url=a.url, copy_title=a.title, original_url=ourl, original_title=otitle,
                         diverged_since=iso_utc(a.diverged_since) or "")
            for a, ourl, otitle in s.execute(query)
        ]
