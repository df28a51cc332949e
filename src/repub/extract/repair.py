"""Repairs made to a page's HTML text before it is parsed, for markup that makes a parser lose the page.

Only what a browser would also get wrong in a way no reader intends is repaired; everything else is
left to the HTML5 parser's own recovery.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

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


# Nesting deeper than this is no page's design: the deepest of the 1,475 real pages of
# ../shared/bench (trafilatura's, htmldate's and Zyte's) is 51 elements deep, the median 17. Past ~250
# levels libxml2 (trafilatura parses with lxml) drops the content, past ~1,000 tree walkers that
# recurse (ours, the libraries') overflow Python's stack.
MAX_DEPTH = 120
_TOO_DEEP = " > ".join(["*"] * MAX_DEPTH)  # an element MAX_DEPTH levels down (lexbor matches it in C)
_KEPT = frozenset({"html", "head", "body"})


def too_deep(html: str) -> bool:
    """Whether the parsed page nests elements more than MAX_DEPTH deep (~0.4 ms a page: asked only of
    pages whose reading failed or found no body)."""
    return LexborHTMLParser(html).css_first(_TOO_DEEP) is not None


def unwrap_wrappers(html: str) -> str:
    """The page with every element that wraps exactly one element and no text of its own replaced by
    its content: ``<div><div><div><p>…</p></div></div></div>`` reads as ``<p>…</p>``. A broken
    template or a hostile page that opens thousands of <div> around the article nests it thousands
    deep; the wrappers carry nothing a reader sees, so the page reads the same without them."""
    tree = LexborHTMLParser(html)
    wrappers = []
    stack = [tree.root] if tree.root is not None else []
    while stack:  # a loop, not recursion: the tree is the deep one
        node = stack.pop()
        elements, text = 0, False
        child = node.child
        while child is not None:
            if child.tag == "-text":
                text = text or bool((child.text_content or "").strip())
            elif child.tag != "-comment":
                elements += 1
                stack.append(child)
            child = child.next
        if elements == 1 and not text and node.tag not in _KEPT:
            wrappers.append(node)
    for node in wrappers:
        node.unwrap()
    return tree.html or html
