"""What the store hands out: plain dataclasses, detached from the database session."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any


def iso_utc(value: datetime | None) -> str | None:
    """``2020-10-26T05:47:00Z``: the form every timestamp takes on its way out of the store."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


@dataclass(frozen=True)
class SaveResult:
    article_id: int
    created: bool  # a new article row was made (not a stub filled in, not an update)
    changed: bool  # a new version was added
    version: int  # the article's current version after the save
    # The original the saved page names, when it is stored (or was just made a stub), and its status.
    original_id: int | None = None
    original_status: str | None = None


@dataclass
class FetchLogEntry:
    """One fetch attempt; ``id`` is set by the store when read back."""

    url: str
    fetched_at: datetime  # aware
    final_url: str | None = None
    status: int | None = None  # HTTP status when one was received
    nbytes: int = 0
    elapsed_ms: int | None = None
    error_kind: str | None = None  # FetchError.kind
    error: str | None = None
    run_id: int | None = None
    id: int | None = None


@dataclass(frozen=True)
class VersionView:
    version: int
    content_hash: str
    content: dict[str, Any]  # Record.content() as saved
    first_seen_at: str
    last_seen_at: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ArticleView:
    """An article as read back, ready for JSON. Timestamps are ISO strings in UTC ("…Z").

    ``record`` holds the record's fields in their ``--json`` shape (``repub.normalize.record_json``:
    ``url, site, extractor, title, authors, credits, …, lead_image {url, caption, credit}, …, original``),
    so a field declared on ``Record`` is shown without a line here; ``view.title`` reads
    ``record["title"]``. ``original`` adds what the store knows of the linked article:
    ``{url, outlet, published_at, evidence, confidence, title, status, error}``.
    """

    id: int
    record: dict[str, Any]
    outlet: str | None = None  # this article's own outlet, when known ("RT")
    republications: list[dict[str, Any]] = field(default_factory=list)  # [{url, site, published_at}]
    status: str = "ok"
    error: str | None = None
    http_status: int | None = None
    first_seen_at: str | None = None
    last_checked_at: str | None = None
    diverged_since: str | None = None
    version: int = 0  # 0: never fetched successfully

    def __getattr__(self, name: str) -> Any:
        # Only called for names that are not attributes: the record's fields. Dunder and private names
        # are never fields (copy and pickle probe them before ``record`` exists).
        if name.startswith("_") or name == "record":
            raise AttributeError(name)
        try:
            return self.record[name]
        except KeyError:
            raise AttributeError(f"ArticleView has no field {name!r}") from None

    def to_json(self) -> dict[str, Any]:
        # Not asdict(): it would deep-copy, and the field list is the JSON contract anyway.
        out: dict[str, Any] = {"id": self.id, **self.record}
        out.update((f.name, getattr(self, f.name)) for f in fields(self) if f.name not in ("id", "record"))
        return out
