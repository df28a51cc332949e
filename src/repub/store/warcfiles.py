"""What ``repub import --warc`` and ``repub export --warc`` read and write (``repub.warc`` drives them).

A WARC file's import is recorded in ``warc_files`` (``WarcFile``): ``claim_file`` finds or makes its
row and says where to resume; ``progress_writer`` gives ``Store.save_many`` the statement that moves
the row's offset and counts in the same transaction as the pages they cover, so a killed import
resumes after the last committed page and never saves one twice. Revisit records are resolved against
the kept raw pages (``revisited_page``); the export streams them (``export_pages``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from repub.errors import RepubError
from repub.store.history import raw_bytes
from repub.store.models import Article, ArticleVersion, RawPage, UrlAlias, WarcFile
from repub.store.save import _new_id
from repub.store.views import SaveResult

if TYPE_CHECKING:
    from repub.store.store import Store

WF = WarcFile.__table__


class FileBusy(RepubError):
    """Another live process is importing this WARC file."""


@dataclass(frozen=True)
class Claim:
    """A WARC file's row, taken for an import: resume at ``offset`` with the ``counts`` so far."""

    file_id: int
    offset: int
    records: int
    counts: dict[str, int]
    status: str  # before this claim: "new", "done", "interrupted", "failed", "running" (a dead process)


def claim_file(store: Store, *, head_sha256: str, name: str, size: int, again: bool = False,
               now: datetime | None = None) -> Claim:
    """Find or make the row of the file whose first MiB hashes to ``head_sha256`` and mark it running
    by this process. ``again``: start over from the first record (a done file is otherwise resumed at
    its end, where nothing is left unless the file grew). FileBusy when a live process holds it."""
    now = now or datetime.now(UTC)
    with store._begin() as conn:
        row = conn.execute(sa.select(WF).where(WF.c.head_sha256 == head_sha256)).first()
        if row is None:
            file_id = _new_id(conn.execute(WF.insert(), {
                "head_sha256": head_sha256, "name": name, "size": size, "offset": 0, "records": 0,
                "counts": {}, "status": "running", "pid": os.getpid(), "started_at": now,
            }))
            return Claim(file_id, 0, 0, {}, "new")
        if row.status == "running" and row.pid not in (None, os.getpid()) and _alive(row.pid):
            raise FileBusy(f"{name}: being imported by process {row.pid} "
                           f"(started {row.started_at:%Y-%m-%d %H:%M})")
        offset, records, counts = row.offset, row.records, dict(row.counts or {})
        if again:
            offset, records, counts = 0, 0, {}
        conn.execute(WF.update().where(WF.c.id == row.id).values(
            name=name, size=size, offset=offset, records=records, counts=counts, status="running",
            pid=os.getpid(), error=None, started_at=now, finished_at=None))
        return Claim(row.id, offset, records, counts, row.status)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


Progress = Callable[[sa.Connection, Sequence[SaveResult | Exception]], None]


def progress_writer(file_id: int, offset: int, records: int, counts: dict[str, int]) -> Progress:
    """For ``Store.save_many(..., then=...)``: the file's offset, records and counts, written in the
    transaction of the pages they cover."""

    def write(conn: sa.Connection, _results: Sequence[SaveResult | Exception]) -> None:
        conn.execute(WF.update().where(WF.c.id == file_id).values(
            offset=offset, records=records, counts=dict(counts)))

    return write


def finish_file(store: Store, file_id: int, *, status: str, offset: int, records: int,
                counts: dict[str, int], error: str | None = None, now: datetime | None = None) -> None:
    with store._begin() as conn:
        conn.execute(WF.update().where(WF.c.id == file_id).values(
            status=status, offset=offset, records=records, counts=dict(counts), error=error,
            finished_at=now or datetime.now(UTC)))


def stop_file(store: Store, file_id: int, *, status: str, error: str | None = None) -> None:
    """The import stopped (interrupted, or the database failed): the status only; the offset and
    counts stay those committed with the last batch."""
    with store._begin() as conn:
        conn.execute(WF.update().where(WF.c.id == file_id).values(status=status, error=error,
                                                                  finished_at=datetime.now(UTC)))


def mark_stopped(store: Store, file_ids: Sequence[int], status: str = "interrupted") -> None:
    """Rows of files whose import was stopped (its process killed) and are still marked running."""
    if not file_ids:
        return
    with store._begin() as conn:
        conn.execute(WF.update().where(WF.c.id.in_(list(file_ids)), WF.c.status == "running")
                     .values(status=status, finished_at=datetime.now(UTC)))


@dataclass(frozen=True)
class WarcFileView:
    name: str
    size: int
    offset: int
    records: int
    counts: dict[str, int]
    status: str
    error: str | None


def warc_file(store: Store, file_id: int) -> WarcFileView | None:
    with store._read() as s:
        row = s.get(WarcFile, file_id)
        if row is None:
            return None
        return WarcFileView(row.name, row.size, row.offset, row.records, dict(row.counts or {}), row.status,
                            row.error)


# -- revisits ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeptPage:
    """A kept raw page, decompressed: what a revisit record points at."""

    url: str
    body: bytes
    encoding: str
    status_line: str | None
    headers: tuple[tuple[str, str], ...] | None
    first_seen_at: datetime


def revisited_page(store: Store, *, digest: str | None, urls: Sequence[str],
                   before: datetime | None = None) -> KeptPage | None:
    """The page a revisit record points at: the kept raw page imported from a record of payload
    ``digest`` (one of ``urls``' articles' first, else any), else (no digest, or none kept with it:
    a "server-not-modified" revisit) the newest kept page of ``urls``' article first seen at or
    before ``before``. None when nothing kept matches."""
    raw = RawPage.__table__
    article_ids = sa.select(UrlAlias.article_id).where(UrlAlias.url.in_(list(urls)))
    with store._read() as s:
        row = None
        if digest:
            query = (sa.select(raw).where(raw.c.warc_payload_digest == digest)
                     .order_by(raw.c.article_id.in_(article_ids).desc(), raw.c.id).limit(1))
            row = s.execute(query).first()
        if row is None and urls:
            query = sa.select(raw).where(raw.c.article_id.in_(article_ids))
            if before is not None:
                query = query.where(raw.c.first_seen_at <= before)
            row = s.execute(query.order_by(raw.c.first_seen_at.desc(), raw.c.id.desc()).limit(1)).first()
        if row is None:
            return None
        headers = tuple((str(k), str(v)) for k, v in row.headers) if row.headers is not None else None
        return KeptPage(row.url, raw_bytes(row.body, row.compression), row.encoding, row.status_line, headers,
                        row.first_seen_at)


def pending_originals(store: Store) -> list[tuple[str, str, str | None]]:
    """(copy URL, original URL, outlet) of every original a stored copy names that was never fetched
    (a "pending" stub): what ``repub import --warc --fetch-originals`` fetches after the files."""
    copy = aliased(Article)
    with store._read() as s:
        rows = s.execute(
            sa.select(copy.url, Article.url, Article.outlet)
            .join(copy, copy.original_id == Article.id)
            .where(Article.status == "pending", Article.version == 0)
            .order_by(Article.id, copy.id)
        ).all()
    seen: set[str] = set()
    out = []
    for copy_url, original_url, outlet in rows:
        if original_url not in seen:
            seen.add(original_url)
            out.append((copy_url, original_url, outlet))
    return out


def count_pending_originals(store: Store) -> int:
    """How many originals ``pending_originals`` would fetch."""
    copy = aliased(Article)
    with store._read() as s:
        return int(s.scalar(
            sa.select(sa.func.count(sa.distinct(Article.id)))
            .join(copy, copy.original_id == Article.id)
            .where(Article.status == "pending", Article.version == 0)) or 0)


# -- export -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportPage:
    """One kept raw page for a WARC response record, with the article's extracted record at its time."""

    raw_id: int
    article_id: int
    article_url: str
    url: str
    fetched_at: datetime
    status_line: str | None
    headers: tuple[tuple[str, str], ...] | None
    body: bytes
    encoding: str
    content: dict[str, Any] | None  # the article version current when the page was fetched
    version: int | None


def export_pages(store: Store, *, site: str | None = None, since: datetime | None = None,
                 with_content: bool = False, batch: int = 200) -> Iterator[ExportPage]:
    """Every kept raw page (of ``site``; first fetched at or after ``since``), oldest first, read in
    batches of ``batch`` by id so memory stays flat however many there are."""
    raw = RawPage.__table__
    articles = Article.__table__
    last = 0
    while True:
        query = (sa.select(raw, articles.c.url.label("article_url"))
                 .join(articles, articles.c.id == raw.c.article_id)
                 .where(raw.c.id > last).order_by(raw.c.id).limit(batch))
        if site is not None:
            query = query.where(articles.c.site == site)
        if since is not None:
            query = query.where(raw.c.first_seen_at >= since)
        with store._read() as s:
            rows = s.execute(query).all()
            versions = _versions_at(s, rows) if with_content else {}
        if not rows:
            return
        for row in rows:
            content, version = versions.get(row.id, (None, None))
            headers = tuple((str(k), str(v)) for k, v in row.headers) if row.headers is not None else None
            yield ExportPage(row.id, row.article_id, row.article_url, row.url, row.first_seen_at,
                             row.status_line, headers,
                             raw_bytes(row.body, row.compression), row.encoding, content, version)
        last = rows[-1].id


def _versions_at(s: Any, rows: Sequence[Any]) -> dict[int, tuple[dict[str, Any], int]]:
    """raw page id -> (content, version) of its article's version current at the page's first fetch
    (the newest version first seen at or before it; the first version when all are later)."""
    by_article: dict[int, list[Any]] = {}
    ids = sorted({row.article_id for row in rows})
    for version in s.execute(sa.select(ArticleVersion.__table__)
                             .where(ArticleVersion.article_id.in_(ids))
                             .order_by(ArticleVersion.article_id, ArticleVersion.version)):
        by_article.setdefault(version.article_id, []).append(version)
    out = {}
    for row in rows:
        versions = by_article.get(row.article_id)
        if not versions:
            continue
        chosen = versions[0]
        for version in versions:
            if version.first_seen_at <= row.first_seen_at:
                chosen = version
        out[row.id] = (dict(chosen.content), chosen.version)
    return out


def count_pages_without_headers(store: Store, *, site: str | None = None,
                                since: datetime | None = None) -> int:
    raw = RawPage.__table__
    query = sa.select(sa.func.count()).select_from(raw).where(raw.c.status_line.is_(None))
    if site is not None:
        query = query.join(Article.__table__, Article.__table__.c.id == raw.c.article_id).where(
            Article.__table__.c.site == site)
    if since is not None:
        query = query.where(raw.c.first_seen_at >= since)
    with store._read() as s:
        return int(s.scalar(query) or 0)
