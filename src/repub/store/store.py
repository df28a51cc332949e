"""The Store: every read and write repub makes to its database goes through here."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from repub.errors import StoreError
from repub.normalize.dates import instant
from repub.normalize.types import Record
from repub.reuse.fingerprint import Fingerprint
from repub.store.columns import record_json_of
from repub.store.engine import create_engine, driver_message, sqlite_file, write_engine
from repub.store.history import PreparedRaw, RawBody
from repub.store.migrate import upgrade_engine
from repub.store.models import Article, ArticleVersion, FetchLog
from repub.store.save import (
    SaveItem,
    aware,
    chosen_by_text,
    content_of,
    exact_first,
    find_rows,
    new_stub,
    save_item,
    url_or_alias,
    write_log,
)
from repub.store.views import ArticleView, FetchLogEntry, SaveResult, VersionView, iso_utc


def content_hash(content: dict[str, Any]) -> str:
    """sha256 of the content fields in one canonical JSON spelling (key order and spacing fixed)."""
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


ARTICLES = Article.__table__


def _moved_to(conn: sa.Connection, article_id: int) -> tuple[str, int] | None:
    """(URL, id) of the article one of status ``moved`` rests in, else None."""
    from repub.store.history import MOVED_TO

    status, error = conn.execute(sa.select(ARTICLES.c.status, ARTICLES.c.error)
                                 .where(ARTICLES.c.id == article_id)).one()
    if status != "moved" or not (error or "").startswith(MOVED_TO):
        return None
    url = error.removeprefix(MOVED_TO)
    found = conn.execute(sa.select(ARTICLES.c.id).where(ARTICLES.c.url == url)).scalar()
    return (url, found) if found is not None else None
logger = logging.getLogger("repub.store")


class Store:
    """One database. Writes are one transaction each; reads return detached dataclasses."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = write_engine(engine)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Open (and for SQLite create) the database and bring its schema up to date."""
        engine = create_engine(url)
        try:
            if migrate:
                upgrade_engine(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @classmethod
    def open_read_only(cls, url: str) -> Store:
        """Open an existing database so that nothing can be written through it (``repub serve``): its
        schema is read as it is (``Store.open`` first to migrate it)."""
        return cls(create_engine(url, read_only=True))

    @property
    def engine(self) -> Engine:
        return self._engine

    def url_for_another_process(self) -> str | None:
        """This database's URL, password included, for another process to open; None when no other
        process can (SQLite in memory)."""
        url = self._engine.url
        if url.get_backend_name() == "sqlite" and sqlite_file(url) is None:
            return None
        return url.render_as_string(hide_password=False)

    def close(self) -> None:
        self._engine.dispose()

    def before_fork(self) -> None:
        """Close the idle connections (the next use opens new ones) before this process forks helpers
        (``repub.ingest.helpers``). Why: SQLite keeps its locks' bookkeeping per process and per file,
        and says not to carry an open database across fork: a helper that opens the file again would
        share the bookkeeping of the connection it inherited. A connection in use (PostgreSQL's run
        lock) stays open, its socket unused by the helpers."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- sessions ---------------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[Session]:
        try:
            with Session(self._engine) as session:
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"database read failed: {driver_message(exc)}") from exc

    @contextmanager
    def _write(self) -> Iterator[Session]:
        try:
            with Session(self._writer, expire_on_commit=False) as session, session.begin():
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"database write failed: {driver_message(exc)}") from exc

    # -- writes -----------------------------------------------------------------------------------

    @contextmanager
    def _begin(self) -> Iterator[sa.Connection]:
        """A write transaction on a plain connection (core SQL: the import path's statements)."""
        try:
            with self._writer.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"database write failed: {driver_message(exc)}") from exc

    def save_article(
        self,
        record: Record,
        *,
        fetched_at: datetime,
        aliases: Iterable[str] = (),
        http_status: int | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        outlet: str | None = None,
        checked: bool = True,
        raw: RawBody | PreparedRaw | None = None,
        fingerprint: Fingerprint | None = None,
    ) -> SaveResult:
        """Insert or update the article for ``record`` (found by its URL or any alias) in one transaction.

        A content different from the current version adds a version; the same content only bumps the
        current version's last_seen_at. Copies waiting for this URL as their original get linked.
        ``outlet``: this article's outlet when the caller knows it (e.g. "RT" from a copy's byline);
        None keeps what is stored.
        ``checked=False``: a re-extraction of a kept page, not a fetch: the fetch fields (status, HTTP
        status, validators, last_checked_at) stay as they are; a content change still makes a version.
        An original that gets a new version (not its first) marks its earlier copies diverged.
        ``raw``: the fetched page itself (or ``prepare_raw`` of it), kept compressed with the article
        (same transaction) unless the same bytes are already kept.
        ``fingerprint``: ``repub.reuse.fingerprint(record.body_text)`` when the caller has it; the
        version's fingerprint is stored and the page linked by its text either way (docs/reuse.md).
        """
        item = SaveItem(record, aware(fetched_at, "fetched_at"), tuple(aliases), http_status, etag,
                        last_modified, outlet, checked, raw, fingerprint=fingerprint)
        digest = content_hash(content_of(record))
        with self._begin() as conn:
            return save_item(conn, item, digest)

    def save_many(self, items: Sequence[SaveItem], log: Sequence[FetchLogEntry] = (),
                  then: Callable[[sa.Connection, Sequence[SaveResult | StoreError]], None] | None = None,
                  ) -> list[SaveResult | StoreError]:
        """``save_article`` for each item, and the ``log`` lines, in one transaction (a commit per page
        was most of the cost of an import). Each item runs in a SAVEPOINT: one that fails is rolled
        back alone (no row of it is kept) and comes back as its StoreError; the others are kept. A log
        line that cannot be written is skipped and reported, never failing the pages. If the
        transaction itself fails (e.g. at commit), each item is retried in a transaction of its own.
        ``then(conn, results)`` runs last in the same transaction (after the retries, in one of its
        own): bookkeeping that must commit with the pages, e.g. how far a WARC file's import got."""
        digests = [i.content_hash or content_hash(content_of(i.record)) for i in items]  # outside the lock
        try:
            with self._begin() as conn:
                _write_log_lines(conn, log)
                results = [self._save_nested(conn, item, digest)
                           for item, digest in zip(items, digests, strict=True)]
                if then is not None:
                    then(conn, results)
                return results
        except StoreError:
            if len(items) <= 1 and not log and then is None:
                raise
        results = [self._save_alone(item, digest) for item, digest in zip(items, digests, strict=True)]
        if log or then is not None:
            with self._begin() as conn:
                _write_log_lines(conn, log)
                if then is not None:
                    then(conn, results)
        return results

    @staticmethod
    def _save_nested(conn: sa.Connection, item: SaveItem, digest: str) -> SaveResult | StoreError:
        try:
            with conn.begin_nested():
                return save_item(conn, item, digest)
        except (SQLAlchemyError, StoreError, ValueError) as exc:
            return _page_error(item, exc)

    def _save_alone(self, item: SaveItem, digest: str) -> SaveResult | StoreError:
        try:
            with self._begin() as conn:
                return save_item(conn, item, digest)
        except (StoreError, ValueError) as exc:
            return _page_error(item, exc)

    def ensure_original(self, url: str, outlet: str | None, published_at: str | None) -> int:
        """The id of the article at ``url``; a "pending" stub is made when there is none.

        An existing row's content is never touched; only a missing outlet is filled in.
        """
        with self._begin() as conn:
            rows = find_rows(conn, [url])
            if rows:
                if rows[0].outlet is None and outlet:
                    conn.execute(ARTICLES.update().where(ARTICLES.c.id == rows[0].id).values(outlet=outlet))
                return int(rows[0].id)
            return new_stub(conn, url, status="pending", seen_at=datetime.now(UTC), outlet=outlet,
                            published_at=published_at, known_absent=True)[0]

    def mark_failed(self, url: str, error: str, *, http_status: int | None, checked_at: datetime) -> None:
        """Record a failed fetch of ``url``. Content already stored stays, and so does its "ok" status."""
        checked_at = aware(checked_at, "checked_at")
        with self._begin() as conn:
            rows = find_rows(conn, [url])
            if rows:
                article_id, version = rows[0].id, rows[0].version
            else:
                article_id = new_stub(conn, url, status="failed", seen_at=checked_at, known_absent=True)[0]
                version = 0
            values: dict[str, Any] = {"error": error, "http_status": http_status,
                                      "last_checked_at": checked_at}
            if version == 0:
                values["status"] = "failed"
            conn.execute(ARTICLES.update().where(ARTICLES.c.id == article_id).values(values))

    def link_original(self, copy_url: str, original_url: str) -> None:
        """Point the copy at ``copy_url`` to its original, making a stub for the original if needed.

        The stub gets the outlet and date the copy printed (saving the copy already gave a known
        original a missing outlet), so the import path needs this one transaction only.
        """
        with self._begin() as conn:
            copies = find_rows(conn, [copy_url])
            if not copies:
                raise StoreError(f"no article stored for {copy_url}")
            copy_id = copies[0].id
            originals = find_rows(conn, [original_url])
            moved_to = _moved_to(conn, originals[0].id) if originals else None
            if moved_to is not None:  # merged into another article (resync): the copy follows it
                original_url, original_id = moved_to
            elif originals:
                original_id = originals[0].id
            else:
                printed = conn.execute(sa.select(ARTICLES.c.original_outlet, ARTICLES.c.original_published_at)
                                       .where(ARTICLES.c.id == copy_id)).one()
                original_id = new_stub(conn, original_url, status="pending", seen_at=datetime.now(UTC),
                                       outlet=printed.original_outlet,
                                       published_at=printed.original_published_at, known_absent=True)[0]
            if original_id == copy_id:
                raise StoreError(f"{copy_url} cannot be its own original")
            if not chosen_by_text(conn, copy_id, original_url):  # an earlier text match stays chosen
                conn.execute(ARTICLES.update().where(ARTICLES.c.id == copy_id)
                             .values(original_url=original_url, original_id=original_id))

    def log_fetch(self, entry: FetchLogEntry) -> None:
        with self._begin() as conn:
            write_log(conn, [entry])

    # -- reads ------------------------------------------------------------------------------------

    def get(self, url: str) -> ArticleView | None:
        with self._read() as s:
            article = _find(s, url)
            return None if article is None else _view(s, article)

    def list_articles(self, site: str | None = None) -> list[ArticleView]:
        with self._read() as s:
            query = sa.select(ARTICLES).order_by(ARTICLES.c.id)
            if site is not None:
                query = query.where(ARTICLES.c.site == site)
            return build_views(s, s.execute(query).all())

    def versions(self, url: str) -> list[VersionView]:
        with self._read() as s:
            article = _find(s, url)
            if article is None:
                return []
            rows = s.scalars(
                sa.select(ArticleVersion)
                .where(ArticleVersion.article_id == article.id)
                .order_by(ArticleVersion.version)
            )
            return [
                VersionView(
                    version=v.version, content_hash=v.content_hash, content=dict(v.content),
                    first_seen_at=iso_utc(v.first_seen_at) or "", last_seen_at=iso_utc(v.last_seen_at) or "",
                )
                for v in rows
            ]

    def fetch_log(self, url: str | None = None, limit: int = 100) -> list[FetchLogEntry]:
        """Newest first; ``url`` matches the requested or the final URL."""
        with self._read() as s:
            query = sa.select(FetchLog).order_by(FetchLog.fetched_at.desc(), FetchLog.id.desc()).limit(limit)
            if url is not None:
                query = query.where(sa.or_(FetchLog.url == url, FetchLog.final_url == url))
            return [
                FetchLogEntry(
                    id=row.id, url=row.url, final_url=row.final_url, fetched_at=row.fetched_at,
                    status=row.status, nbytes=row.nbytes, elapsed_ms=row.elapsed_ms,
                    error_kind=row.error_kind, error=row.error, run_id=row.run_id,
                )
                for row in s.scalars(query)
            ]


def _write_log_lines(conn: sa.Connection, log: Sequence[FetchLogEntry]) -> None:
    """All lines in one statement; if that fails (say a URL too long for the column), line by line,
    each in a SAVEPOINT, skipping and reporting the ones that fail."""
    if not log:
        return
    try:
        with conn.begin_nested():
            write_log(conn, log)
        return
    except (SQLAlchemyError, ValueError):
        pass
    for entry in log:
        try:
            with conn.begin_nested():
                write_log(conn, [entry])
        except (SQLAlchemyError, ValueError) as exc:
            logger.error("fetch-log line for %s not written: %s", entry.url, exc)


# -- helpers working inside a session ---------------------------------------------------------------


def _find(s: Session, url: str) -> Article | None:
    found = _find_many(s, [url])
    return found[0] if found else None


def _find_many(s: Session, urls: list[str]) -> list[Article]:
    """Articles whose URL or alias is one of ``urls``: exact URL matches first, then by alias."""
    if not urls:
        return []
    return exact_first(s.scalars(sa.select(Article).where(url_or_alias(urls))), urls)


def _date_order(published_at: str | None, article_id: int) -> tuple[bool, datetime, int]:
    moment = instant(published_at)
    return moment is None, moment or datetime.min.replace(tzinfo=UTC), article_id


def _view(s: Session, a: Article) -> ArticleView:
    return build_views(s, [a])[0]


VIEW_BATCH = 500  # rows whose originals and copies are read in one query each (bounded IN lists)
_LINKED = sa.select(ARTICLES.c.id, ARTICLES.c.url, ARTICLES.c.outlet, ARTICLES.c.published_at,
                    ARTICLES.c.title, ARTICLES.c.status, ARTICLES.c.error)
_COPIES = sa.select(ARTICLES.c.original_id, ARTICLES.c.url, ARTICLES.c.site, ARTICLES.c.published_at,
                    ARTICLES.c.id)


def build_views(conn: sa.Connection | Session, rows: Sequence[Any]) -> list[ArticleView]:
    """The views of stored rows (``Article`` objects, or result rows holding every article column), in
    their order: two queries per VIEW_BATCH rows (their originals, their copies), so a list or an
    export of many articles costs no query per article."""
    views: list[ArticleView] = []
    for start in range(0, len(rows), VIEW_BATCH):
        batch = rows[start:start + VIEW_BATCH]
        linked_ids = list({r.original_id for r in batch if r.original_id is not None})
        linked = {row.id: row for row in conn.execute(_LINKED.where(ARTICLES.c.id.in_(linked_ids)))}
        found: dict[int, list[Any]] = {}
        for row in conn.execute(_COPIES.where(ARTICLES.c.original_id.in_([r.id for r in batch]))):
            found.setdefault(row.original_id, []).append(row)
        copies = {
            # By the instant each date stands for, not its text: dates keep their page's own UTC offset,
            # so "2020-02-19T20:00:00-08:00" is later than "2020-02-20T01:00:00Z". Undated copies last.
            original_id: [{"url": r.url, "site": r.site, "published_at": r.published_at}
                          for r in sorted(its_copies, key=lambda r: _date_order(r.published_at, r.id))]
            for original_id, its_copies in found.items()
        }
        views += [_view_of(a, linked.get(a.original_id), copies.get(a.id, [])) for a in batch]
    return views


def _view_of(a: Any, linked: Any, copies: list[dict[str, Any]]) -> ArticleView:
    record = record_json_of(a)
    original: dict[str, Any] | None = record["original"]
    if linked is not None:
        # What the copy printed is kept; the linked article's own outlet and date come first.
        original = {"evidence": [], "confidence": None, **(original or {}), "url": linked.url,
                    "outlet": linked.outlet or a.original_outlet,
                    "published_at": linked.published_at or a.original_published_at,
                    "title": linked.title, "status": linked.status, "error": linked.error}
    elif original is not None:
        original.update(title=None, status="unknown", error=None)
    record["original"] = original
    return ArticleView(
        id=a.id, record=record, outlet=a.outlet, republications=copies,
        status=a.status, error=a.error, http_status=a.http_status,
        first_seen_at=iso_utc(a.first_seen_at), last_checked_at=iso_utc(a.last_checked_at),
        diverged_since=iso_utc(a.diverged_since), version=a.version,
    )


def _page_error(item: SaveItem, exc: Exception) -> StoreError:
    """The StoreError a page's save is answered with. Returned, not raised, so the cause is set by
    hand: a caller must still tell a lost connection (a PostgreSQL restart, which a worker waits out
    and writes again) from a fault of the page; without it the page's job failed for good."""
    if isinstance(exc, StoreError):
        return exc
    error = StoreError(f"{item.record.url}: {driver_message(exc)}")
    error.__cause__ = exc
    return error
