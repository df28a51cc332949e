"""What the discover stage hands on: candidate article URLs and where to look next."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Discovered:
    """One candidate article URL, with what the feed/sitemap/listing said about it."""

    url: str
    published: datetime | None = None  # aware (UTC) when the document gave a zone or a date only
    title: str | None = None
    source_url: str | None = None  # the feed, sitemap or listing page it was found on


@dataclass
class DiscoveryResult:
    """The outcome of parsing one document; never raised, so a bad page costs only its own entries."""

    urls: list[Discovered] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)  # child sitemaps of an index, to fetch next
    # each child's <lastmod> where the index gives one (aware, UTC when no zone): walk order and --since
    sitemap_lastmod: dict[str, datetime] = field(default_factory=dict)
    next_page: str | None = None  # the next listing page, for paginated category pages
    errors: list[str] = field(default_factory=list)
