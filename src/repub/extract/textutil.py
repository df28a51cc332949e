"""Text and DOM helpers shared by the site rules: whitespace cleanup and block-level walking."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborNode

# Spaces of every kind (nbsp, thin, zero-width...) collapse to one ASCII space; pages use them freely.
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff\u200b]+")
# Where str.split() and _SPACES disagree: spaces split() keeps, separators it splits that _SPACES keeps.
_NOT_SPLIT_ALIKE = re.compile(r"[\u200b\ufeff\x1c-\x1f\x85\u2028\u2029]")
_ANY_SPACE = re.compile(r"\s+")  # squash(): newlines too

# Elements that start a new paragraph. A "block" is such an element holding no other block element,
# so text is read once, at the innermost level (themes nest divs freely).
BLOCK_TAGS = frozenset(
    [
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "figcaption", "pre",
        "td", "th", "dd", "dt", "section", "article", "header", "footer", "figure", "ul", "ol",
        "table", "main", "aside", "nav", "form", "address"
    ]
)
SKIP_TAGS = frozenset([
    "script", "style", "noscript", "template", "iframe", "svg", "button", "select", "textarea"
])


def clean(text: str | None) -> str:
    """Collapse runs of spaces within lines, trim lines, drop empty lines."""
    if not text:
        return ""
    if _NOT_SPLIT_ALIKE.search(text):
        lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
        return "\n".join(line for line in lines if line)
    # str.split() collapses exactly the _SPACES set here, and much faster than a substitution.
    if "\n" not in text:
        return " ".join(text.split())
    return "\n".join(filter(None, [" ".join(line.split()) for line in text.split("\n")]))


def squash(text: str) -> str:
    """Every run of whitespace made one space, ends trimmed: the text of a block for pattern tests."""
    return _ANY_SPACE.sub(" ", text).strip()


def one_line(text: str | None) -> str:
    """Like clean() but joins lines with a space (titles, bylines, captions)."""
    return clean(text).replace("\n", " ")


def node_text(node: LexborNode) -> str:
    """The node's text with <br> kept as a line break (selectolax's text() drops it, gluing words)."""
    parts: list[str] = []
    _collect(node, parts)
    return clean("".join(parts))


def _collect(node: LexborNode, parts: list[str]) -> None:
    for child in node.iter(include_text=True):
        if child.is_text_node:
            parts.append(child.text_content or "")
        elif child.tag == "br":
            parts.append("\n")
        elif child.tag in SKIP_TAGS or not child.is_element_node:
            continue
        else:
            if child.tag in BLOCK_TAGS:
                parts.append("\n")
            _collect(child, parts)
            if child.tag in BLOCK_TAGS:
                parts.append("\n")


def own_text(node: LexborNode) -> str:
    """All text inside the node on one line (for anchors and short labels)."""
    return one_line(node.text(deep=True, separator=""))


def iter_blocks(root: LexborNode, ignore: set[int]) -> Iterator[LexborNode]:
    """Innermost block elements under root in document order, skipping subtrees whose mem_id is in ignore."""
    for child in root.iter(include_text=False):
        if child.mem_id in ignore or child.tag in SKIP_TAGS or not child.is_element_node:
            continue
        if child.tag in BLOCK_TAGS:
            if _contains_block(child):
                yield from iter_blocks(child, ignore)
            else:
                yield child
        elif _contains_block(child):
            # an inline element wrapping blocks (e.g. <a><div>…</div></a>): look inside it
            yield from iter_blocks(child, ignore)


def _contains_block(node: LexborNode) -> bool:
    for child in node.iter(include_text=False):
        if child.tag in BLOCK_TAGS or (child.is_element_node and _contains_block(child)):
            return True
    return False


def is_inside(node: LexborNode, ids: set[int]) -> bool:
    """True when node or one of its ancestors has a mem_id in ids."""
    cur: LexborNode | None = node
    while cur is not None:
        if cur.mem_id in ids:
            return True
        cur = cur.parent
    return False


def join_url(base: str, link: str) -> str | None:
    """``urljoin`` that treats a malformed link (``http://[::1/x``: "Invalid IPv6 URL") as absent."""
    try:
        joined = urljoin(base, link)
        urlsplit(joined)  # urljoin can pass a bracketed host through that urlsplit then rejects
    except ValueError:
        return None
    return joined


def image_url(img: LexborNode, base: str) -> str | None:
    """The real URL of an <img>: lazy-load attributes first, never a data: placeholder; absolute."""
    attrs = img.attributes
    for key in ("data-src", "data-lazy-src", "data-original", "src"):
        value = (attrs.get(key) or "").strip()
        if value and not value.startswith("data:") and (joined := join_url(base, value)):
            return joined
    for key in ("data-srcset", "data-lazy-srcset", "srcset"):
        best = largest_in_srcset(attrs.get(key) or "")
        if best and (joined := join_url(base, best)):
            return joined
    return None


def largest_in_srcset(srcset: str) -> str | None:
    """The widest candidate of a srcset ("a.jpg 300w, b.jpg 1024w" -> b.jpg); data: URLs are ignored."""
    best: tuple[float, str] | None = None
    for item in srcset.split(","):
        bits = item.split()
        if not bits or bits[0].startswith("data:"):
            continue
        size = 0.0
        if len(bits) > 1 and bits[1][:-1].replace(".", "", 1).isdigit():
            size = float(bits[1][:-1])
        if best is None or size > best[0]:
            best = (size, bits[0])
    return best[1] if best else None
