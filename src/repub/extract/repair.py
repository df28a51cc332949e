"""Repairs made to a page's HTML text before it is parsed, for markup that makes a parser lose the page.

Only what a browser would also get wrong in a way no reader intends is repaired; everything else is
left to the HTML5 parser's own recovery.
"""

from __future__ import annotations

import re

_TITLE_OPEN = re.compile(r"<title\b[^>]*>", re.IGNORECASE)
_TITLE_CLOSE = re.compile(r"</title\s*>", re.IGNORECASE)
_TAG_LIKE = re.compile(r"<(?:/?[a-zA-Z]|!--)")


def close_unclosed_title(html: str) -> str:
    """Close a ``<title>`` that is never closed, before the first tag-like ``<`` after it.

    ``<title>`` holds raw text (HTML's RCDATA rule): left open, it runs to the end of the document, so the
    title becomes the whole page, markup included, and the body is empty. A title cannot hold tags, so
    the first one ends it."""
    opening = _TITLE_OPEN.search(html)
    if opening is None or _TITLE_CLOSE.search(html, opening.end()):
        return html
    tag = _TAG_LIKE.search(html, opening.end())
    if tag is None:
        return html
    return f"{html[:tag.start()]}</title>{html[tag.start():]}"
