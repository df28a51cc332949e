"""Shared defences for what discovery reads from the open web (feeds, sitemaps, listing pages)."""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin, urlsplit

# A DTD that declares entities is how "billion laughs" (exponential expansion) and external-entity
# (XXE) attacks start. Real feeds and sitemaps never need one, so such a document is refused outright
# rather than trusting each parser's limits. Only the head of the document can hold a DTD, but the
# whole text is scanned: it is cheap, and an entity declaration anywhere is a sign of mischief.
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
# the same declaration in UTF-16, which XML parsers also accept (detected from the BOM)
_ENTITY_DECL_UTF16 = ("<!ENTITY".encode("utf-16-le"), "<!ENTITY".encode("utf-16-be"))


def entity_declaration_error(content: bytes, what: str) -> str | None:
    """An error message if ``content`` declares XML entities, else None."""
    if _ENTITY_DECL.search(content) or any(marker in content for marker in _ENTITY_DECL_UTF16):
        return f"refused {what}: the document declares XML entities (<!ENTITY), a possible entity bomb"
    return None


def web_url(link: str, base_url: str) -> str | None:
    """``link`` (a <loc>, an entry's link, an href) made absolute against ``base_url``, without its
    fragment; None unless it is an http(s) URL with a host. A link urljoin cannot read (a bracketed
    host that is not an IPv6 address, ``http://[::1/x``: ValueError) is treated as absent, so one bad
    link costs only itself, not the document or the run."""
    try:
        url, _fragment = urldefrag(urljoin(base_url, link.strip()))
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and host else None
