"""Shared defences for the XML that discovery parses (feeds and sitemaps come from the open web)."""

from __future__ import annotations

import re

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
