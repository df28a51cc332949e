"""RSS 2.0 / Atom feeds (WordPress /feed/ included) -> candidate article URLs."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime
from typing import Any

from ..stamps import plausible_stamp
from .safety import encoding_error, entity_declaration_error, web_url
from .types import Discovered, DiscoveryResult

# feedparser is imported by the first feed parsed (~35 ms; a run of sitemap sources never needs it).


def parse_feed(content: bytes, base_url: str) -> DiscoveryResult:
    """Entries of a feed document; never raises. ``base_url`` is where it was fetched from.

    A malformed feed yields whatever feedparser's lenient parser could read plus an error line.
    """
    import feedparser

    # bozo exceptions that only say the HTTP headers and the document disagree (we pass no headers),
    # not that entries were lost: they are not worth an error line.
    harmless = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
    result = DiscoveryResult()
    refused = entity_declaration_error(content, "feed") or encoding_error(content, "feed")
    if refused:
        result.errors.append(refused)
        return result
    try:
        # Safety: the bytes go in as a stream. Given a str feedparser would fetch a URL, and given
        # bytes that happen to name a file it would open that file. Its strict parser is expat (via
        # xml.sax), which in Python >= 3.7.1 does not resolve external entities, and the entity
        # check above refuses internal entity bombs before any parser sees them.
        parsed = feedparser.parse(
            io.BytesIO(content),
            response_headers={"content-location": base_url},  # base for relative links
            sanitize_html=False,  # only titles are read; no need to spend time sanitizing bodies
        )
    except Exception as exc:  # feedparser should not raise, but a bad document must not stop a run
        result.errors.append(f"unreadable feed {base_url}: {type(exc).__name__}: {exc}")
        return result

    if parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), harmless):
        result.errors.append(f"malformed feed {base_url}: {parsed.get('bozo_exception')}")
    if not parsed.get("version") and not parsed.entries and not result.errors:
        result.errors.append(f"not a feed {base_url}: no RSS or Atom document found")

    seen: set[str] = set()
    for entry in parsed.entries:
        url = _entry_url(entry, base_url)
        if url is None or url in seen:
            continue
        seen.add(url)
        title = (entry.get("title") or "").strip() or None
        result.urls.append(
            Discovered(url=url, published=_entry_date(entry), title=title, source_url=base_url)
        )
    return result


def _entry_url(entry: Any, base_url: str) -> str | None:
    # WordPress puts the permalink in <link> and a non-permalink ?p=NNN in <guid isPermaLink="false">;
    # feedparser only copies a guid into .link when the guid is a permalink, so .link is right for both.
    link = entry.get("link")
    if not link and entry.get("guidislink"):
        link = entry.get("id")
    if not link:
        return None
    return web_url(link, base_url)


def _entry_date(entry: Any) -> datetime | None:
    # feedparser normalizes every date format it knows to a UTC struct_time
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value: time.struct_time | None = entry.get(key)
        if value:
            try:
                return plausible_stamp(datetime(*value[:6], tzinfo=UTC))
            except ValueError:
                continue
    return None
