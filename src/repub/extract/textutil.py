"""Text and DOM helpers shared by the site rules: whitespace cleanup, block-level walking, CSS lookups.

The rule engine runs these on every block of every rule page, so the common cases take shortcuts
(already clean text, blocks text() can read, absolute URLs, a shared CSS engine); each shortcut gives
exactly what the general code gives (tests/test_extract_fast_paths.py).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Set
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborCSSSelector, LexborHTMLParser, LexborNode

# Spaces of every kind (nbsp, thin, zero-width...) collapse to one ASCII space; pages use them freely.
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff\u200b]+")
# Where str.split() and _SPACES disagree: spaces split() keeps, separators it splits that _SPACES keeps.
_NOT_SPLIT_ALIKE = re.compile(r"[\u200b\ufeff\x1c-\x1f\x85\u2028\u2029]")

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
    if text.isprintable() and "  " not in text and text[0] != " " and text[-1] != " ":
        # Already clean, as most block texts are (one line, single spaces): isprintable() is False for
        # every whitespace character but " ", and for the zero-width ones _SPACES collapses too.
        return text
    if not _split_alike(text):
        lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
        return "\n".join(line for line in lines if line)
    # str.split() collapses exactly the _SPACES set here, and much faster than a substitution.
    if "\n" not in text:
        return " ".join(text.split())
    return "\n".join(filter(None, [" ".join(line.split()) for line in text.split("\n")]))


def _split_alike(text: str) -> bool:
    """True when str.split() and _SPACES agree on text (no _NOT_SPLIT_ALIKE character in it).

    ASCII text, most of a page, can only hold the \\x1c-\\x1f of that class: four substring tests find
    those several times faster than the regex search, which clean() runs on every block.
    """
    if text.isascii():
        return not ("\x1c" in text or "\x1d" in text or "\x1e" in text or "\x1f" in text)
    return _NOT_SPLIT_ALIKE.search(text) is None


def squash(text: str) -> str:
    """Every run of whitespace made one space, ends trimmed: the text of a block for pattern tests.

    str.split() splits at exactly the characters a regular expression's whitespace class matches (both
    use str.isspace(); tests/test_extract_fast_paths.py checks every code point) and is ~4x faster than
    a substitution; squash runs ~200 times a page."""
    return " ".join(text.split())


def one_line(text: str | None) -> str:
    """Like clean() but joins lines with a space (titles, bylines, captions)."""
    return clean(text).replace("\n", " ")


def node_text(node: LexborNode) -> str:
    """The node's text with <br> kept as a line break (selectolax's text() drops it, gluing words)."""
    if next(node.iter(), None) is None:
        # No child element (a title, a date, a label): text() reads the same, in C.
        return clean(node.text())
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


# An innermost block element as found by ``inner_blocks``: (node, plain, marked). plain: nothing inside
# changes node_text's reading (no <br>, skipped or ignored element), so text() reads it; marked: the
# block or one of its ancestors is in the ``mark`` set. A plain tuple: a NamedTuple costs 6x to build.
Block = tuple[LexborNode, bool, bool]


def block_text(node: LexborNode, plain: bool) -> str:
    """``node_text`` of a block; a plain block takes lexbor's text() (C) instead of the Python walk."""
    return clean(node.text()) if plain else node_text(node)


def block_texts(blocks: list[Block]) -> list[str]:
    """``block_text`` of each block (one comprehension: the call per block is a fair share of the cost)."""
    return [clean(node.text()) if plain else node_text(node) for node, plain, _ in blocks]


def iter_blocks(root: LexborNode, ignore: set[int]) -> Iterator[LexborNode]:
    """Innermost block elements under root in document order, skipping subtrees whose mem_id is in ignore."""
    return (node for node, _, _ in inner_blocks(root, ignore))


def inner_blocks(root: LexborNode, ignore: Set[int], mark: Set[int] = frozenset()) -> list[Block]:
    """Innermost block elements under root (as ``iter_blocks``), in one visit of each element.

    Blocks inside ignored subtrees or skipped elements are left out. Each block says whether its text
    can be read with text() and whether it lies inside a node of ``mark`` (e.g. a caption box).
    """
    blocks: list[Block] = []
    _walk(root, ignore, mark, bool(mark) and is_inside(root, mark), blocks)
    return blocks


# _walk's summary of a subtree: it holds a block element / something that node_text reads differently.
_HAS_BLOCK, _NOT_PLAIN = 1, 2
# <br> becomes a line break in node_text and skipped elements lose their text; text() does neither.
_NOT_PLAIN_TAGS = SKIP_TAGS | {"br"}


def _walk(node: LexborNode, ignore: Set[int], mark: Set[int], marked: bool, out: list[Block]) -> int:
    """Append node's innermost blocks to out (document order); return the subtree's flags.

    The flags come up from the children, so each element is visited once (the walk used to call
    ``_contains_block`` at every level, rescanning subtrees). iter() yields no text nodes; a comment has
    no children and adds no flag.
    """
    flags = 0
    for child in node.iter():
        tag, mem_id = child.tag, child.mem_id
        if tag in _NOT_PLAIN_TAGS or mem_id in ignore:
            # Not entered; a block inside still makes the parent an outer block, as in iter_blocks.
            flags |= _NOT_PLAIN | (_HAS_BLOCK if tag in BLOCK_TAGS or _contains_block(child) else 0)
            continue
        inside = marked or mem_id in mark
        sub = _walk(child, ignore, mark, inside, out)
        if tag in BLOCK_TAGS:
            if not sub & _HAS_BLOCK:
                out.append((child, not sub & _NOT_PLAIN, inside))
            sub |= _HAS_BLOCK
        flags |= sub
    return flags


def _contains_block(node: LexborNode) -> bool:
    for child in node.iter(include_text=False):
        if child.tag in BLOCK_TAGS or (child.is_element_node and _contains_block(child)):
            return True
    return False


# selectolax builds a CSS engine (selector parser + matcher) per document on its first css() call, which
# costs ~20-30 µs a page, a tenth of a rule extraction. The engine keeps no document state between
# calls (the node passed in names its document), so one per thread serves every page.
_ENGINES = threading.local()


def _engine() -> LexborCSSSelector:
    engine: LexborCSSSelector | None = getattr(_ENGINES, "engine", None)
    if engine is None:
        engine = _ENGINES.engine = LexborCSSSelector()
    return engine


def css(scope: LexborHTMLParser | LexborNode, query: str) -> list[LexborNode]:
    """``scope.css(query)`` (document order, the scope itself included) on the shared engine.

    For documents and their nodes, not fragments (``is_fragment=True`` parsers search from a wrapper).
    """
    node = scope.root if isinstance(scope, LexborHTMLParser) else scope
    return _engine().find(query, node) if node is not None else []


def css_first(scope: LexborHTMLParser | LexborNode, query: str) -> LexborNode | None:
    """``scope.css_first(query)`` on the shared engine: the scan stops at the first match."""
    node = scope.root if isinstance(scope, LexborHTMLParser) else scope
    if node is None:
        return None
    found: list[LexborNode] = _engine().find_first(query, node)  # type: ignore[attr-defined]
    return found[0] if found else None


def is_inside(node: LexborNode, ids: Set[int]) -> bool:
    """True when node or one of its ancestors has a mem_id in ids."""
    if not ids:
        return False  # e.g. a rule without ``ignore``: no climb to the root for each match
    cur: LexborNode | None = node
    while cur is not None:
        if cur.mem_id in ids:
            return True
        cur = cur.parent
    return False


# An absolute http(s) URL that urljoin hands back unchanged whatever the base: lower-case scheme, a plain
# host, a path (if any) from "/", and nothing urlsplit drops or moves (spaces, controls, ";", "?", "#").
_PLAIN_ABSOLUTE = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[^\x00-\x20\x7f;?#]*)?")


def join_url(base: str, link: str) -> str | None:
    """``urljoin`` that treats a malformed link (``http://[::1/x``: "Invalid IPv6 URL") as absent."""
    if link.isascii() and _PLAIN_ABSOLUTE.fullmatch(link):
        return link  # most image and link URLs; urljoin costs ~4 µs each
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
        number = bits[1][:-1].replace(".", "", 1) if len(bits) > 1 else ""
        if number.isascii() and number.isdigit():  # not "²", which float() refuses
            size = float(bits[1][:-1])
        if best is None or size > best[0]:
            best = (size, bits[0])
    return best[1] if best else None
