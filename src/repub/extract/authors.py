"""Who wrote the page: the people named by its metadata and byline markup.

Authors are people only: JSON-LD Organization authors (RT's news pages) and names such as "Staff",
"Editors" or a lone wire name ("Reuters") are dropped.

Sources, first one that names a person wins: JSON-LD ``author``; the author meta tags (``author``,
``article:author``, ``dc.creator``, Parse.ly, Sailthru, ``byl``); ``itemprop=author`` names and
``rel=author`` links; the hCard of WordPress themes (``.author.vcard .fn``, outside comments).
"""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from repub.extract.jsonld import resolve_ref, types_of
from repub.extract.textutil import squash

# Bylines that name a desk, a role or a wire rather than a person.
_NOT_PEOPLE = frozenset(
    {
        "staff", "staff writer", "staff writers", "staff reporter", "editor", "editors", "the editors",
        "editorial", "editorial board", "editorial staff", "admin", "administrator", "newsroom",
        "news desk", "newsdesk", "web desk", "webdesk", "guest", "guest author", "contributor",
        "reuters", "thomson reuters", "ap", "associated press", "the associated press", "afp",
        "agence france-presse", "agence france presse", "bloomberg", "rt", "russia today", "tass",
        "xinhua", "sputnik", "upi", "dpa", "efe", "ians", "pti", "press release", "unknown",
        "anonymous",
    }
)

_ROLE = re.compile(
    r"\b(?:editor|editor-at-large|correspondent|reporter|writer|contributor|columnist|analyst|professor)s?\b",
    re.I,
)
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"})
_BY = re.compile(r"^(?:(?:analysis|opinion|review|story|text|words|commentary)\s+)?by\s+", re.I)
_AUTHOR_META = (
    "article:author", "author", "dc.creator", "dcterms.creator", "parsely-author", "sailthru.author",
    "byl",
)


def read_authors(
    art: dict[str, Any],
    ids: dict[str, dict[str, Any]],
    meta: dict[str, list[str]],
    tree: LexborHTMLParser,
    site_name: str | None,
) -> list[str]:
    """The people the page names as its authors (``art``: the JSON-LD article object; ``ids``: the
    JSON-LD objects by ``@id``; ``meta``: the meta tags by key, lowercase keys included)."""
    raw = art.get("author")
    people: list[str] = []
    for item in raw if isinstance(raw, list) else [raw]:
        obj = resolve_ref(item, ids)
        if isinstance(obj, dict):
            if types_of(obj) & {"Organization", "NewsMediaOrganization", "Corporation"}:
                continue  # never a person: RT's news pages name {"@type": "Organization", "name": "RT"}
            name = _text(obj.get("name"))
            if name:
                people.extend(_split_names(name))
        elif isinstance(obj, str):
            people.extend(_split_names(obj))
    if not any(is_person_name(p, site_name) for p in people):
        people = [n for k in _AUTHOR_META for v in meta.get(k, []) if v for n in _split_names(v)]
    if not any(is_person_name(p, site_name) for p in people):
        nodes = tree.css('[itemprop="author"] [itemprop="name"], a[rel="author"]')
        people = [name for n in nodes for name in _split_names(n.text(deep=True))]
    if not any(is_person_name(p, site_name) for p in people):
        # hCard, as WordPress themes print the byline: <span class="author vcard"><a class="fn">.
        card = next((n for n in tree.css(".author.vcard .fn") if not _in_comments(n)), None)
        people = _split_names(card.text(deep=True)) if card is not None else []
    return _dedupe(p for p in people if is_person_name(p, site_name))


def is_person_name(name: str, site_name: str | None = None) -> bool:
    """False for desks, roles, wires and the site's own name; True for what looks like a person."""
    low = name.strip().lower().strip(".")
    if not low or low in _NOT_PEOPLE or "://" in low or low.startswith("@"):
        return False
    if site_name:
        # The site's own name, or a desk named after it ("CNN Business", "Telegraph Sport").
        brand = re.sub(r"^the\s+", "", site_name.strip().lower())
        if low == site_name.strip().lower() or (brand and re.search(rf"\b{re.escape(brand)}\b", low)):
            return False
    return not re.search(r"\b(staff|desk|newsroom|editorial)\b", low)


def _in_comments(node: Any) -> bool:
    parent = node.parent
    while parent is not None:
        marks = f"{parent.attributes.get('class') or ''} {parent.attributes.get('id') or ''}".lower()
        if "comment" in marks:
            return True
        parent = parent.parent
    return False


def _split_names(text: str) -> list[str]:
    text = html_lib.unescape(squash(text))
    text = _BY.sub("", text)
    parts = re.split(r"\s*(?:;|\||,|&|\band\b)\s*", text)
    # "Doe, Jr." would split badly: only split when every part is a plausible full name.
    if len(parts) > 1 and all(len(p.split()) >= 2 for p in parts):
        # "Chris Cillizza, CNN Editor-at-large": the part naming a role is not a second author.
        return [p for p in parts if not _ROLE.search(p)]
    if (
        len(parts) == 2 and "," in text and len(parts[0].split()) >= 2 and len(parts[1].split()) == 1
        and parts[1][:1].isupper() and parts[1].strip(".").lower() not in _NAME_SUFFIXES
    ):
        return [parts[0]]  # "Victor Tangermann, Futurism": a person, then the outlet they wrote for
    return [text] if text else []


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    # JSON-LD written by WordPress plugins often carries HTML entities ("&#8217;") inside the JSON strings.
    return squash(html_lib.unescape(value)) or None


def _dedupe(items: Any) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item and item.lower() not in seen:
            seen.add(item.lower())
            out.append(item)
    return out
