"""The Store: every read and write repub makes to its database goes through here."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from repub.errors import StoreError
from repub.hosts import bare_host
from repub.normalize.types import OriginalLink, Record
from repub.store.engine import create_engine, write_engine
from repub.store.history import RawBody, keep_raw_page, mark_copies_diverged
from repub.store.migrate import upgrade_engine
from repub.store.models import Article, ArticleEvent, ArticleVersion, FetchLog, UrlAlias
from repub.store.views import ArticleView, FetchLogEntry, SaveResult, VersionView, iso_utc


def content_hash(content: dict[str, Any]) -> str:
    """sha256 of the content fields in one canonical JSON spelling (key order and spacing fixed)."""
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")
    return value.astimezone(UTC)


def _unique(urls: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(u for u in urls if u))


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

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
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
            raise StoreError(f"database read failed: {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[Session]:
        try:
            with Session(self._writer, expire_on_commit=False) as session, session.begin():
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"database write failed: {exc}") from exc

    # -- writes -----------------------------------------------------------------------------------

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
        raw: RawBody | None = None,
    ) -> SaveResult:
        """Insert or update the article for ``record`` (found by its URL or any alias) in one transaction.

        A content different from the current version adds a version; the same content only bumps the
        current version's last_seen_at. Copies waiting for this URL as their original get linked.
        ``outlet``: this article's outlet when the caller knows it (e.g. "RT" from a copy's byline);
        None keeps what is stored.
        ``checked=False``: a re-extraction of a kept page, not a fetch: the fetch fields (status, HTTP
        status, validators, last_checked_at) stay as they are; a content change still makes a version.
        An original that gets a new version (not its first) marks its earlier copies diverged.
        ``raw``: the fetched page itself, kept compressed with the article (same transaction) unless
        the same bytes are already kept.
        """
        fetched_at = _aware(fetched_at, "fetched_at")
        urls = _unique([record.url, *aliases])
        content = record.content()
        digest = content_hash(content)
        with self._write() as s:
            matches = _find_many(s, urls)
            article = next((a for a in matches if a.url == record.url), matches[0] if matches else None)
            created = article is None
            if article is None:
                article = _new_article(record.url, status="pending", seen_at=fetched_at)
                s.add(article)
                s.flush()
            for other in matches:
                # A stub made for one of these URLs (e.g. the original's URL as printed on a copy,
                # which redirects here) is the same article: fold it in. Rows with content stay apart.
                if other is not article and other.version == 0:
                    urls.append(other.url)
                    _merge_stub(s, other, into=article)
            if article.url != record.url:
                urls.append(article.url)  # found by an alias: the record's URL is the canonical one
                article.url = record.url

            for name in Record.CONTENT_FIELDS:
                value = getattr(record, name)
                setattr(article, name, list(value) if isinstance(value, list) else value)
            article.site = record.site
            article.extractor = record.extractor
            if outlet:
                article.outlet = outlet
            article.canonical_url = record.canonical_url
            if checked:
                if article.status == "gone":  # it answers again: say so in its history
                    s.add(ArticleEvent(article_id=article.id, at=fetched_at, kind="back", url=record.url))
                article.status = "ok"
                article.error = None
                article.http_status = http_status
                article.etag = etag
                article.last_modified = last_modified
                article.last_checked_at = fetched_at
            if record.original is not None:
                _set_original(s, article, record.original)

            changed = article.version == 0 or article.content_hash != digest
            if changed:
                article.version += 1
                article.content_hash = digest
                article.last_changed_at = fetched_at
                s.add(ArticleVersion(
                    article_id=article.id, version=article.version, content_hash=digest, content=content,
                    first_seen_at=fetched_at, last_seen_at=fetched_at,
                ))
                if article.version > 1:
                    mark_copies_diverged(s, article, fetched_at)
            elif checked:
                current = _current_version(s, article)
                if current is not None and current.last_seen_at < fetched_at:
                    current.last_seen_at = fetched_at

            _add_aliases(s, article, urls)
            _link_waiting_copies(s, article, urls)
            if raw is not None and raw.body:
                keep_raw_page(s, article.id, raw, fetched_at)
            return SaveResult(
                article_id=article.id, created=created, changed=changed, version=article.version
            )

    def ensure_original(self, url: str, outlet: str | None, published_at: str | None) -> int:
        """The id of the article at ``url``; a "pending" stub is made when there is none.

        An existing row's content is never touched; only a missing outlet is filled in.
        """
        with self._write() as s:
            article = _find(s, url)
            if article is not None:
                if article.outlet is None and outlet:
                    article.outlet = outlet
                return article.id
            return _stub(s, url, status="pending", seen_at=datetime.now(UTC), outlet=outlet,
                         published_at=published_at).id

    def mark_failed(self, url: str, error: str, *, http_status: int | None, checked_at: datetime) -> None:
        """Record a failed fetch of ``url``. Content already stored stays, and so does its "ok" status."""
        checked_at = _aware(checked_at, "checked_at")
        with self._write() as s:
            article = _find(s, url)
            if article is None:
                article = _stub(s, url, status="failed", seen_at=checked_at)
            if article.version == 0:
                article.status = "failed"
            article.error = error
            article.http_status = http_status
            article.last_checked_at = checked_at

    def link_original(self, copy_url: str, original_url: str) -> None:
        """Point the copy at ``copy_url`` to its original, making a stub for the original if needed.

        The stub gets the outlet and date the copy printed (saving the copy already gave a known
        original a missing outlet), so the import path needs this one transaction only.
        """
        with self._write() as s:
            copy = _find(s, copy_url)
            if copy is None:
                raise StoreError(f"no article stored for {copy_url}")
            original = _find(s, original_url)
            if original is None:
                original = _stub(s, original_url, status="pending", seen_at=datetime.now(UTC),
                                 outlet=copy.original_outlet, published_at=copy.original_published_at)
            if original.id == copy.id:
                raise StoreError(f"{copy_url} cannot be its own original")
            copy.original_url = original_url
            copy.original_id = original.id

    def log_fetch(self, entry: FetchLogEntry) -> None:
        with self._write() as s:
            s.add(FetchLog(
                url=entry.url, final_url=entry.final_url, fetched_at=_aware(entry.fetched_at, "fetched_at"),
                status=entry.status, nbytes=entry.nbytes, elapsed_ms=entry.elapsed_ms,
                error_kind=entry.error_kind, error=entry.error, run_id=entry.run_id,
            ))

    # -- reads ------------------------------------------------------------------------------------

    def get(self, url: str) -> ArticleView | None:
        with self._read() as s:
            article = _find(s, url)
            return None if article is None else _view(s, article)

    def list_articles(self, site: str | None = None) -> list[ArticleView]:
        with self._read() as s:
            query = sa.select(Article).order_by(Article.id)
            if site is not None:
                query = query.where(Article.site == site)
            return [_view(s, a) for a in s.scalars(query)]

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


# -- helpers working inside a session ---------------------------------------------------------------


def _new_article(url: str, *, status: str, seen_at: datetime) -> Article:
    return Article(
        url=url, site=bare_host(url) or None, status=status, version=0, authors=[], tags=[], body_text="",
        first_seen_at=seen_at,
    )


def _stub(
    s: Session, url: str, *, status: str, seen_at: datetime, outlet: str | None = None,
    published_at: str | None = None,
) -> Article:
    """A row for an article known only by its URL (an original not fetched yet, a failure)."""
    article = _new_article(url, status=status, seen_at=seen_at)
    article.outlet, article.published_at = outlet, published_at
    s.add(article)
    s.flush()
    _add_aliases(s, article, [url])
    _link_waiting_copies(s, article, [url])
    return article


def _find(s: Session, url: str) -> Article | None:
    found = _find_many(s, [url])
    return found[0] if found else None


def _find_many(s: Session, urls: list[str]) -> list[Article]:
    """Articles whose URL or alias is one of ``urls``: exact URL matches first, then by alias."""
    if not urls:
        return []
    # One query (this runs several times per saved article): rows by URL or by alias, then sorted.
    aliased_ids = sa.select(UrlAlias.article_id).where(UrlAlias.url.in_(urls))
    found = s.scalars(sa.select(Article).where(sa.or_(Article.url.in_(urls), Article.id.in_(aliased_ids))))
    wanted = set(urls)
    return sorted(found, key=lambda a: (a.url not in wanted, a.id))


def _current_version(s: Session, article: Article) -> ArticleVersion | None:
    return s.scalar(
        sa.select(ArticleVersion).where(
            ArticleVersion.article_id == article.id, ArticleVersion.version == article.version
        )
    )


def _merge_stub(s: Session, stub: Article, *, into: Article) -> None:
    """Fold a content-less stub into ``into``: its copies, aliases and outlet move over, the row goes."""
    s.execute(sa.update(Article).where(Article.original_id == stub.id).values(original_id=into.id))
    s.execute(sa.update(UrlAlias).where(UrlAlias.article_id == stub.id).values(article_id=into.id))
    if into.outlet is None:
        into.outlet = stub.outlet
    into.first_seen_at = min(into.first_seen_at, stub.first_seen_at)
    s.delete(stub)
    s.flush()


def _set_original(s: Session, article: Article, link: OriginalLink) -> None:
    """Store what the copy says about its original; a URL already known is kept when none is given."""
    if link.url:
        article.original_url = link.url
        original = _find(s, link.url)
        article.original_id = original.id if original is not None and original.id != article.id else None
        if original is not None and original.outlet is None and link.outlet:
            original.outlet = link.outlet
    article.original_outlet = link.outlet
    article.original_published_at = link.published_at
    article.original_signal = link.signal or None


def _add_aliases(s: Session, article: Article, urls: Iterable[str]) -> None:
    """Make each URL find ``article``. A URL already pointing at another article is left alone."""
    urls = _unique(urls)
    known = set(s.scalars(sa.select(UrlAlias.url).where(UrlAlias.url.in_(urls))))
    s.add_all(UrlAlias(url=u, article_id=article.id) for u in urls if u not in known)
    s.flush()


def _link_waiting_copies(s: Session, article: Article, urls: Iterable[str]) -> None:
    """Copies saved before their original (original_url is one of ``urls``, no original_id) link now."""
    urls = _unique(urls)
    s.execute(
        sa.update(Article)
        .where(Article.original_url.in_(urls), Article.original_id.is_(None), Article.id != article.id)
        .values(original_id=article.id)
        .execution_options(synchronize_session=False)
    )
    if article.outlet is None:
        article.outlet = s.scalar(
            sa.select(Article.original_outlet)
            .where(Article.original_id == article.id, Article.original_outlet.is_not(None))
            .order_by(Article.id).limit(1)
        )


def _view(s: Session, a: Article) -> ArticleView:
    original: dict[str, Any] | None = None
    linked = s.get(Article, a.original_id) if a.original_id is not None else None
    if linked is not None:
        original = {
            "url": linked.url,
            "outlet": linked.outlet or a.original_outlet,
            "published_at": linked.published_at or a.original_published_at,
            "title": linked.title,
            "status": linked.status,
            "error": linked.error,
        }
    elif a.original_url or a.original_outlet:
        original = {
            "url": a.original_url, "outlet": a.original_outlet, "published_at": a.original_published_at,
            "title": None, "status": "unknown", "error": None,
        }
    copies = s.execute(
        sa.select(Article.url, Article.site, Article.published_at)
        .where(Article.original_id == a.id)
        # Undated copies last, on every backend (SQLite and PostgreSQL sort NULLs differently).
        .order_by(Article.published_at.is_(None), Article.published_at, Article.id)
    )
    image = {"url": a.lead_image_url, "caption": a.lead_image_caption, "credit": a.lead_image_credit}
    return ArticleView(
        id=a.id, url=a.url, site=a.site, outlet=a.outlet, extractor=a.extractor, title=a.title,
        authors=list(a.authors or []), byline=a.byline, section=a.section, published_at=a.published_at,
        modified_at=a.modified_at, language=a.language, canonical_url=a.canonical_url,
        lead_image=None if all(v is None for v in image.values()) else image,
        tags=list(a.tags or []), body_text=a.body_text, original=original,
        republications=[{"url": u, "site": site, "published_at": p} for u, site, p in copies],
        status=a.status, error=a.error, http_status=a.http_status,
        first_seen_at=iso_utc(a.first_seen_at), last_checked_at=iso_utc(a.last_checked_at),
        diverged_since=iso_utc(a.diverged_since), version=a.version,
    )
