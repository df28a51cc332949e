"""The article's title: the printed headline when the page's metadata agrees with it.

A page names its article several times: JSON-LD ``headline`` (often written for search engines),
``og:title`` and ``twitter:title`` (for sharing, often with the site's name or a kicker added),
``<title>`` (with the site's name; on live blogs with the latest update) and the headline printed
above the text. The printed headline is what readers see, but a page has many headings (the site's
logo, "Related", widgets), so a heading is the headline only when a metadata title agrees with it:

1. a heading whose text is a metadata title (case, punctuation and spacing aside), the metadata
   titles tried in trust order (JSON-LD headline, og:title, twitter:title, JSON-LD name, dc.title,
   <title>), headings in document order, <h1> before <h2>, <h3> and ``itemprop=headline``;
2. else a heading whose text is a metadata title with a prefix or suffix dropped at a separator
   ("Kücknitz - <headline>", "<headline> | Site", "LIVE: <headline>"); the part kept holds the
   title's longest part, and <title> is cut so only on pages without og/JSON-LD/twitter titles
   (its affixes are the site's name far more often than a kicker);
3. else a heading that completes a metadata title cut short with "…".

A metadata title or part that is the site's own name (og:site_name, the publisher, the domain) never
matches: a logo printed as <h1> is not the headline. The title is then the heading's text as printed,
or the metadata title's words when the heading is pieced from several elements (a kicker span and a
headline span read "KickerHeadline"). When no heading agrees, the caller takes the metadata title in
trust order and drops its site-name affix, and a live blog's "LIVE:" marker when another title of the
page reads the same without it.

Checked on the 1,294 pages of ../shared/bench/metadata with bench/check_titles.py (how often the chosen
title is a printed heading that og:title or JSON-LD agrees with; the changes read by hand), and on the
saved pages fixtures/real/title-*.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from repub.extract.textutil import squash

# Separators between a title and what sites add to it: "A | Site", "A - Site", "Kicker: A", "Site :: A".
_SEPARATOR = re.compile(r"\s+(?:[|\-–—·»]|/+|::?)\s+|\s*[|｜]\s*|:\s+")
_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.)\s*$")
MIN_STEM = 20  # a title cut short must keep this many characters to be completed by a heading
_HEADINGS = ("h1", "h2, h3, [itemprop=headline]")


def title_key(text: str) -> str:
    """How titles are compared: casefolded words, punctuation and spacing ignored."""
    return " ".join(re.findall(r"\w+", text.casefold()))


@dataclass(frozen=True)
class Headline:
    node: LexborNode
    title: str  # the title to use: the heading's text, or the metadata's words for a pieced heading


def cores(title: str) -> Iterator[str]:
    """What is left of ``title`` once a prefix, a suffix or both are dropped at separators, longest
    first; the part kept always holds the title's longest part (by characters), so what a site adds
    around a title ("Blog Name", "Krimiblog-Archiv") is never taken for it."""
    cuts = [(m.start(), m.end()) for m in _SEPARATOR.finditer(title)]
    starts = [0] + [end for _, end in cuts]
    ends = [start for start, _ in cuts] + [len(title)]
    longest = max(range(len(starts)), key=lambda i: len(title[starts[i]:ends[i]].strip()))
    spans = [(first, last) for first in range(longest + 1) for last in range(longest, len(starts))]
    spans.sort(key=lambda span: ends[span[1]] - starts[span[0]], reverse=True)
    for first, last in spans:
        if (first, last) != (0, len(starts) - 1):
            yield title[starts[first]:ends[last]].strip()


def without_site_name(title: str, site_names: Iterable[str | None]) -> str:
    """``title`` without a leading or trailing part that is the site's own name ("X | Hummeln")."""
    sites = {title_key(s) for s in site_names if s} - {""}
    parts = [(m.start(), m.end()) for m in _SEPARATOR.finditer(title)]
    if parts and title_key(title[parts[-1][1]:]) in sites:
        title = title[:parts[-1][0]].strip()
    parts = [(m.start(), m.end()) for m in _SEPARATOR.finditer(title)]
    if parts and title_key(title[:parts[0][0]]) in sites:
        title = title[parts[0][1]:].strip()
    return title


# What live blogs put before their title in one of its versions: "LIVE: ...", "Liveblog | ...".
_LIVE_MARKER = re.compile(
    r"^\s*(?:live(?:[ -]?blog| updates| ticker|-ticker)?|en direct|en vivo|ao vivo|in diretta|directo)"
    r"\s*[:|\-–—]\s*(?P<rest>.+)$",
    re.I,
)


def without_live_marker(title: str | None, others: Sequence[str | None]) -> str | None:
    """``title`` without a live blog's "LIVE:" marker when another of the page's titles is the same
    without it (the marker belongs to one variant, not to the article's title)."""
    match = _LIVE_MARKER.match(title or "")
    if match is None:
        return title
    rest = match["rest"].strip()
    keys = {title_key(t) for t in others if t and t is not title}
    return rest if any(k.startswith(title_key(rest)) or title_key(rest).startswith(k) for k in keys if k) \
        else title


def find_headline(
    tree: LexborHTMLParser, titles: Sequence[str | None], site_names: Sequence[str | None] = ()
) -> Headline | None:
    """The printed headline a metadata title agrees with (module docstring), else None.

    ``titles``: the metadata titles in trust order, <title> last; ``site_names``: the site's own names."""
    sites = {title_key(s) for s in site_names if s} - {""}
    page_title = titles[-1] if titles else None
    candidates: list[tuple[str, bool]] = []  # (title without the site's name, may be cut further)
    for title in titles:
        text = without_site_name(title, sites) if title else ""
        if title_key(text) and title_key(text) not in sites:
            candidates.append((text, title is not page_title))
    if not candidates:
        return None
    if not any(cut for _, cut in candidates):
        candidates = [(text, True) for text, _ in candidates]  # only <title>: its parts are all there is
    levels = [[(n, k) for n in tree.css(sel) for k in _heading_keys(n)] for sel in _HEADINGS]
    levels = [[(n, key) for n, key in level if key and key not in sites] for level in levels]
    for headings in levels:
        for text, _ in candidates:  # 1. a whole metadata title
            found = _heading_for(headings, title_key(text))
            if found is not None:
                return _headline(found, text)
    for text, cut in candidates:  # 2. a metadata title without a prefix or suffix
        for core in cores(text) if cut else ():
            key = title_key(core)
            for headings in levels if key and key not in sites else ():
                found = _heading_for(headings, key)
                if found is not None:
                    return _headline(found, core)
    for text, _ in candidates:  # 3. a metadata title cut short
        if _ELLIPSIS.search(text):
            stem = title_key(_ELLIPSIS.sub("", text))
            if len(stem) >= MIN_STEM:
                node = next((n for level in levels for n, key in level if key.startswith(stem)), None)
                if node is not None:
                    return Headline(node, _printed(node))
    return None


def _heading_keys(node: LexborNode) -> set[str]:
    """A heading's key, read both as its text runs and with a space between its elements (a kicker
    span glued to the headline span reads "NetzDaten" otherwise)."""
    return {title_key(node.text(deep=True)), title_key(node.text(deep=True, separator=" "))}


def _heading_for(headings: list[tuple[LexborNode, str]], key: str) -> LexborNode | None:
    return next((node for node, heading in headings if heading == key), None)


def _headline(node: LexborNode, title: str) -> Headline:
    """The heading's printed text, unless it is pieced from several elements ("<span>Kicker</span>
    <span>Headline</span>") or set in capitals the metadata does not use: then the metadata's words,
    which keep the separator between the pieces and the title's own case."""
    texts = (n.text_content for n in node.traverse(include_text=True) if n.tag == "-text")
    pieces = [t for t in texts if t and t.strip()]
    printed = _printed(node)
    if len(pieces) > 1 or (printed.isupper() and not title.isupper()):
        return Headline(node, squash(title))
    return Headline(node, printed)


# Decoration printed around a heading: "[> Jens Weber", "» Title", "Pressemitteilungen:".
_LEADING_MARKS = re.compile(r"^\[?[>›»•|·-]+\s+")


def _printed(node: LexborNode) -> str:
    """A heading's text on one line, without decoration before it or a colon after it."""
    return _LEADING_MARKS.sub("", squash(node.text(deep=True))).rstrip(":").rstrip()


def first_h1(tree: LexborHTMLParser) -> LexborNode | None:
    """The first <h1> with text: where the article's date line is looked for when no heading agrees."""
    return next((n for n in tree.css("h1") if title_key(n.text(deep=True))), None)
