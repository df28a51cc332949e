"""A guard for HTML that nests absurdly deep, before any parser sees it (extraction and discovery).

Lexbor's tree builder scans its stack of open elements at each block start tag, so a page nesting n
<div> deep costs ~n^2 to parse: 0.25 s at 10,000, 0.9 s at 20,000, 3.5 s at 40,000, and hours for the
10 MB of them a fetch may keep. ``cap_nesting`` cuts such a page down before it is parsed.
"""

from __future__ import annotations

import re

# A page with fewer tags than this cannot nest deep enough to cost much to parse (0.9 s at worst); the
# most a real page of ../shared/bench holds (1,475 pages) is 19,629 "<".
_MANY_TAGS = 20_000
MAX_PARSE_DEPTH = 2_000  # open elements at most on a page with more tags than _MANY_TAGS
_WRAPPER_DEPTH = 100  # past this depth, a start tag right after another (no text between) is dropped
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                   "track", "wbr", "param", "keygen", "command", "basefont", "bgsound", "frame"})
_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "noscript", "template", "iframe", "xmp",
                       "noembed", "noframes", "plaintext"})


def cap_nesting(html: str) -> str:
    """The page without the start tags (and their end tags) that nest it past what a parser takes in
    good time: past _WRAPPER_DEPTH, a start tag right after another with no text between (a wrapper
    of the element it opens: ``<div><div><div>…``); past MAX_PARSE_DEPTH, any (text nested that deep
    is run together). A hostile or broken page nesting tens of thousands of elements is parsed in a
    fraction of a second instead of hours; a raw-text element (<script>, <style>) is never unwrapped, so
    its content never becomes text. Pages with fewer than _MANY_TAGS "<" are returned as they are (~0.1
    ms to count: no real page has that many); the others are read tag by tag (~1 s a 10 MB page)."""
    if html.count("<") < _MANY_TAGS:
        return html
    open_names: list[str] = []
    open_count: dict[str, int] = {}
    dropped: dict[str, int] = {}
    kept: list[str] = []
    at = previous_end = 0
    previous_opened = False
    for match in _TAG.finditer(html):
        closing, name = match.group(1), match.group(2).lower()
        if name in _VOID or match.group(0).endswith("/>"):
            continue
        wrapper = previous_opened and not html[previous_end:match.start()].strip()
        previous_end, previous_opened = match.end(), not closing
        drop = False
        if not closing:
            depth = len(open_names)
            if name not in _RAW_TEXT and (depth >= MAX_PARSE_DEPTH or (depth >= _WRAPPER_DEPTH and wrapper)):
                drop = True
                dropped[name] = dropped.get(name, 0) + 1
            else:
                open_names.append(name)
                open_count[name] = open_count.get(name, 0) + 1
        elif dropped.get(name):
            drop = True
            dropped[name] -= 1
        elif open_count.get(name):
            while open_names:  # an end tag closes everything opened after its element, as a parser does
                last = open_names.pop()
                open_count[last] -= 1
                if last == name:
                    break
        if drop:
            kept.append(html[at:match.start()])
            at = match.end()
    if at == 0:
        return html
    kept.append(html[at:])
    return "".join(kept)
