"""The printed headline of a page, found by the titles its metadata gives."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from repub.extract.textutil import squash


def title_key(text: str) -> str:
    """How titles are compared: casefolded words, punctuation and spacing ignored."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def headline_node(tree: LexborHTMLParser, titles: list[str]) -> LexborNode | None:
    """The printed headline: the first h1/h2/h3 or ``itemprop=headline`` element whose text is one of
    ``titles`` (or the start of one, as a headline is of "Headline | Site"), else the first <h1>."""
    wanted = [k for k in (title_key(t) for t in titles if t) if k]
    first_h1 = None
    for node in tree.css("h1, h2, h3, [itemprop=headline]"):
        text = title_key(squash(node.text(deep=True)))
        if not text:
            continue
        if first_h1 is None and node.tag == "h1":
            first_h1 = node
        for want in wanted:
            if text == want or (len(text) >= 20 and (want.startswith(text) or text.startswith(want))):
                return node
    return first_h1
