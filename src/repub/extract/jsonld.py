"""Lenient reading of JSON-LD blocks.

Real pages ship JSON-LD that ``json.loads`` refuses: RT's 2022 Organization block has a trailing comma in
``sameAs`` (republishers.md §2.2), CMS templates wrap blocks in HTML comments or CDATA, editors paste
raw newlines and tabs into strings, and some pages put several objects in one script. Each block is
repaired as far as cheaply possible; a block that still cannot be read is skipped, never fatal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from selectolax.lexbor import LexborHTMLParser

# schema.org CreativeWork subtypes that describe the article itself.
ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "BlogPosting",
        "ReportageNewsArticle",
        "OpinionNewsArticle",
        "AnalysisNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "AskPublicNewsArticle",
        "SatiricalArticle",
        "ScholarlyArticle",
        "TechArticle",
        "Report",
        "LiveBlogPosting",
        "SocialMediaPosting",
    }
)

_WRAPPERS = re.compile(r"<!--|-->|//\s*<!\[CDATA\[|//\s*\]\]>|<!\[CDATA\[|\]\]>")


def load_jsonld_blocks(tree: LexborHTMLParser) -> list[dict[str, Any]]:
    """Every JSON-LD object on the page, flattened: top-level lists and ``@graph`` members become items."""
    out: list[dict[str, Any]] = []
    for script in tree.css('script[type="application/ld+json"]'):
        raw = script.text(deep=True) or ""
        for value in _parse_lenient(raw):
            out.extend(_flatten(value))
    return out


def find_article_object(blocks: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The article object among the blocks (also a WebPage's ``mainEntity``); the first one wins."""
    for obj in _walk(blocks):
        if _types(obj) & ARTICLE_TYPES:
            return obj
    return None


def types_of(obj: dict[str, Any]) -> set[str]:
    """The ``@type`` of an object as a set (it may be a string or a list), without schema.org prefixes."""
    return _types(obj)


def resolve_ref(item: Any, ids: dict[str, dict[str, Any]]) -> Any:
    """Follow a bare {"@id": ...} reference to the object it names elsewhere in the @graph."""
    if isinstance(item, dict) and set(item) == {"@id"}:
        return ids.get(item["@id"], item)
    return item


def _types(obj: dict[str, Any]) -> set[str]:
    raw = obj.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {v.rsplit("/", 1)[-1].rsplit(":", 1)[-1] for v in values if isinstance(v, str)}


def _walk(blocks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    # Blocks first, then the objects they name as their main entity (WebPage -> NewsArticle).
    yield from blocks
    for obj in blocks:
        entity = obj.get("mainEntity")
        for item in entity if isinstance(entity, list) else [entity]:
            if isinstance(item, dict):
                yield item


def _flatten(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list):
        return [obj for item in value for obj in _flatten(item)]
    if not isinstance(value, dict):
        return []
    graph = value.get("@graph")
    if graph is None:
        return [value]
    members = _flatten(graph)
    # A wrapper that only carries @context and @graph adds nothing of its own.
    rest = {k for k in value if k not in ("@context", "@graph")}
    return ([value] if rest else []) + members


def _parse_lenient(raw: str) -> list[Any]:
    text = _WRAPPERS.sub("", raw).strip().lstrip("\ufeff")
    if not text:
        return []
    for candidate in (text, _drop_trailing_commas(text)):
        values = _decode_all(candidate)
        if values is not None:
            return values
    return []


def _decode_all(text: str) -> list[Any] | None:
    """Decode one or several concatenated JSON values; None when any part is unreadable."""
    # strict=False lets control characters (raw newlines, tabs) through inside strings.
    decoder = json.JSONDecoder(strict=False)
    values: list[Any] = []
    pos = 0
    while True:
        while pos < len(text) and (text[pos].isspace() or text[pos] in ",;"):
            pos += 1
        if pos >= len(text):
            return values
        try:
            value, pos = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError):  # JSONDecodeError; a number of 5,000 digits; [[[… 100,000 deep
            return None
        if too_nested(value):
            return None
        values.append(value)


# JSON-LD nests a few levels (an article, its author, the author's image: the deepest block of the 1,475
# real pages of ../shared/bench nests 8); a block nested deeper is broken or hostile, and the walkers
# that read it (here, metadata's, clean's) recurse.
MAX_NESTING = 32


def too_nested(value: Any) -> bool:
    """Whether a decoded JSON value nests lists and objects more than MAX_NESTING deep (a loop)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth >= MAX_NESTING:
                return True
            stack.extend((child, depth + 1) for child in item if isinstance(child, (dict, list)))
    return False


def _drop_trailing_commas(text: str) -> str:
    """Remove commas directly before ``]`` or ``}``, outside strings."""
    return _STRING_OR_TRAILING_COMMA.sub(_keep_strings, text)


# A JSON string (kept as is; an unterminated one runs to the end) or a comma before a closing bracket.
_STRING_OR_TRAILING_COMMA = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?$)|,(?=\s*[\]}])', re.S)


def _keep_strings(match: re.Match[str]) -> str:
    return match.group(0) if match.group(0).startswith('"') else ""
