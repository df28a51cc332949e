"""The tables, as SQLAlchemy 2.0 typed declarative models. The migrations, replayed, create exactly these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Explicit, predictable constraint names: PostgreSQL and Alembic batch mode both need to address them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

URL = sa.String(2048)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    SQLite keeps no zone, so values are converted to UTC before storing and get UTC back when read.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: repub stores aware UTC datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    # every model here is mapped to one Table (DeclarativeBase types it as any FromClause)
    __table__: ClassVar[sa.Table]
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: sa.JSON(), list[str]: sa.JSON()}


class Article(Base):
    """A copy or an original. A stub original (never fetched) has version 0 and no content."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(URL, unique=True)
    site: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    outlet: Mapped[str | None] = mapped_column(sa.String(255))
    extractor: Mapped[str | None] = mapped_column(sa.String(255))
    title: Mapped[str | None] = mapped_column(sa.Text)
    authors: Mapped[list[str]] = mapped_column(default=list)
    byline: Mapped[str | None] = mapped_column(sa.Text)
    section: Mapped[str | None] = mapped_column(sa.String(255))
    published_at: Mapped[str | None] = mapped_column(sa.String(40), index=True)  # lists sorted by date
    modified_at: Mapped[str | None] = mapped_column(sa.String(40))
    language: Mapped[str | None] = mapped_column(sa.String(35))
    canonical_url: Mapped[str | None] = mapped_column(URL)
    lead_image_url: Mapped[str | None] = mapped_column(URL)
    lead_image_caption: Mapped[str | None] = mapped_column(sa.Text)
    lead_image_credit: Mapped[str | None] = mapped_column(sa.Text)
    tags: Mapped[list[str]] = mapped_column(default=list)
    body_text: Mapped[str] = mapped_column(sa.Text, default="")
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    version: Mapped[int] = mapped_column(default=0)  # current article_versions.version, 0 = no content
    original_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    original_url: Mapped[str | None] = mapped_column(URL, index=True)
    original_outlet: Mapped[str | None] = mapped_column(sa.String(255))
    original_published_at: Mapped[str | None] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)
    error: Mapped[str | None] = mapped_column(sa.Text)
    http_status: Mapped[int | None]
    etag: Mapped[str | None] = mapped_column(sa.String(1024))
    last_modified: Mapped[str | None] = mapped_column(sa.String(255))
    first_seen_at: Mapped[datetime]
    last_checked_at: Mapped[datetime | None]
    last_changed_at: Mapped[datetime | None]
    diverged_since: Mapped[datetime | None] = mapped_column(index=True)
    # Added by migration 0006, hence last (a migrated table and one made from these models must match).
    # NULL on rows extracted before credits existed: read back as [].
    credits: Mapped[list[str] | None] = mapped_column(sa.JSON)
    # Why the row is taken for a copy: [{"kind", "detail"}] (repub.evidence), and how sure (0-1).
    original_evidence: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
    original_confidence: Mapped[float | None] = mapped_column(sa.Float)
    # Added by migration 0012: the site's own desk or team that signs the page when no person does
    # ("Redaktion"). NULL on rows extracted before it existed: read back as [].
    org_authors: Mapped[list[str] | None] = mapped_column(sa.JSON)


class ArticleVersion(Base):
    """One distinct content of an article; rows are only ever added, never rewritten."""

    __tablename__ = "article_versions"
    __table_args__ = (sa.UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id"))  # indexed by the unique key
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    content: Mapped[dict[str, Any]]
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class UrlAlias(Base):
    """Any URL an article was reached by (requested, final, canonical) points at that article."""

    __tablename__ = "url_aliases"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(URL, unique=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id", ondelete="CASCADE"), index=True)


class FetchLog(Base):
    """One line per fetch attempt, successful or not."""

    __tablename__ = "fetch_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(URL, index=True)
    final_url: Mapped[str | None] = mapped_column(URL)
    fetched_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[int | None]
    nbytes: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    elapsed_ms: Mapped[int | None]
    error_kind: Mapped[str | None] = mapped_column(sa.String(32))
    error: Mapped[str | None] = mapped_column(sa.Text)
    run_id: Mapped[int | None] = mapped_column(index=True)


class Run(Base):
    """One ``repub ingest`` / ``repub resync`` run and its figures (``repub runs``)."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    command: Mapped[str] = mapped_column(sa.String(32))  # "ingest", "resync"
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(sa.String(16))  # running, ok, interrupted, failed
    options: Mapped[dict[str, Any]]  # the command's arguments, for the record
    discovered: Mapped[int] = mapped_column(default=0)
    new: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    seconds: Mapped[float | None] = mapped_column(sa.Float)
    pid: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(sa.Text)
    # URLs robots.txt refused (not failures); last, where migration 0005 added it
    refused: Mapped[int] = mapped_column(default=0, server_default="0")


class RawPage(Base):
    """A distinct fetched page, compressed, so extractors can be re-run without fetching (reextract)."""

    __tablename__ = "raw_pages"
    __table_args__ = (sa.UniqueConstraint("article_id", "body_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(URL)  # the real final URL the body came from
    body_hash: Mapped[str] = mapped_column(sa.String(64))  # sha256 of the raw bytes
    encoding: Mapped[str] = mapped_column(sa.String(64))  # charset the text was decoded with
    compression: Mapped[str] = mapped_column(sa.String(16))  # "zstd" ("zlib" before 2026-11-26)
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    size: Mapped[int]  # uncompressed bytes
    first_seen_at: Mapped[datetime]  # the fetch (or WARC capture) that gave these bytes: a WARC's WARC-Date
    last_seen_at: Mapped[datetime]
    # What a WARC response record needs besides the body (migration 0010; rows kept before have none):
    # the status line and the response headers as received, in order, [[name, value], ...].
    status_line: Mapped[str | None] = mapped_column(sa.String(255))
    headers: Mapped[list[list[str]] | None] = mapped_column(sa.JSON)
    # WARC-Payload-Digest of the record a page was imported from (``repub import --warc``): a revisit
    # record names its payload by this digest.
    warc_payload_digest: Mapped[str | None] = mapped_column(sa.String(128), index=True)


class ArticleEvent(Base):
    """Something that happened to an article besides a new version: "gone" (404/410), "back" (answers
    again), "moved" (permanent redirect; ``url`` is the old URL, still an alias, or the URL of the
    article of status "moved" that redirected onto this one), "diverged" (a copy's
    original changed after the copy was taken). Only ever added: ``repub changes`` reads them by time."""

    __tablename__ = "article_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    url: Mapped[str | None] = mapped_column(URL)
    detail: Mapped[str | None] = mapped_column(sa.Text)
    run_id: Mapped[int | None]


class HostSlot(Base):
    """Per-host politeness shared by every worker (``repub.store.hosts``): no request to ``host``
    starts before ``next_allowed_at``; each start books the next one ``interval`` seconds on."""

    __tablename__ = "host_slots"

    host: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    next_allowed_at: Mapped[datetime]
    interval: Mapped[float] = mapped_column(sa.Float, default=1.0)
    # a server's Retry-After holds every worker off the host until then (0007)
    paused_until: Mapped[datetime | None]
    # the host's robots.txt, shared by all workers: its text, or why it could not be read
    robots_read_at: Mapped[datetime | None]
    robots_text: Mapped[str | None] = mapped_column(sa.Text)
    robots_error_kind: Mapped[str | None] = mapped_column(sa.String(32))
    robots_error: Mapped[str | None] = mapped_column(sa.Text)


class WarcFile(Base):
    """One WARC file given to ``repub import --warc``: how far its import got, so an interrupted one
    resumes at ``offset`` (the start of the first record not yet committed) without duplicates.

    A file is known by the sha256 of its first MiB (``head_sha256``): renamed or moved it is the same
    file, and a file a crawler has since appended to resumes where it stopped. ``status``: running,
    done, interrupted, failed (``error`` says why). ``counts``: records per outcome (stored, not-html,
    truncated, ...), committed with the pages they count."""

    __tablename__ = "warc_files"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    head_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(1024))  # the path it was last imported from
    size: Mapped[int] = mapped_column(sa.BigInteger)
    offset: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    records: Mapped[int] = mapped_column(default=0)
    counts: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(sa.String(16))
    error: Mapped[str | None] = mapped_column(sa.Text)
    pid: Mapped[int | None]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class Fingerprint(Base):
    """The near-duplicate signature of one stored version's body (``repub.reuse.fingerprint``): MinHash
    minimums over word shingles, the scheme that made them, and how many shingles the body has."""

    __tablename__ = "fingerprints"
    __table_args__ = (sa.UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int]
    scheme: Mapped[str] = mapped_column(sa.String(64))
    shingles: Mapped[int]
    signature: Mapped[bytes] = mapped_column(sa.LargeBinary)
    at: Mapped[datetime]


class FingerprintBand(Base):
    """The LSH index: one row per band key of an article's fingerprints (any version), so candidates
    are found by key, never by comparing against every article. The primary key (band_key,
    article_id) is the index the lookup reads, and the table is that index alone on SQLite (WITHOUT
    ROWID). ``article_id`` has no foreign key on purpose: a foreign key makes every deletion of an
    article (a stub folded into the page it redirects to) scan this, the largest table, for rows
    pointing at it; the lookup joins ``articles``, so a row left behind finds nothing."""

    __tablename__ = "fingerprint_bands"
    __table_args__ = ({"sqlite_with_rowid": False},)

    band_key: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    article_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
