"""Which stored article a page's text came from, and which stored articles came from the page's.

Pure: ``repub.store`` looks the candidates up, measures them (``repub.reuse.compare``) and hands them
here as ``Candidate``s; what comes back (``Choice``) is what it writes.

The rules (docs/reuse.md):

1. A candidate is a stored article of another site (registrable domain, or another host of the same
   outlet: ``repub.extract.provenance.same_outlet``) whose text the page carries (``is_copy``).
2. It must not be later than the page: its date earlier, or the same day (the first one stored is
   then taken for the original, unless the earlier-stored one names the other as its source).
3. A candidate that is itself a copy of another candidate gives way to it: of an earlier copy and the
   real original, both stored, the original wins.
4. The earliest candidate wins (its date, then the page's own explicit link, then the larger share
   of its text carried, then the first stored).
5. Against the page's own evidence: an original the page links (``go-to-original``, an
   "originally appeared" line, a mirror) stays unless the text-matched article is dated strictly
   before it; a weaker pointer (a canonical or a source tag to an intermediate syndicator, a credit
   naming only an outlet) gives way to the earliest matching article. Every item is kept; the
   ``text-match`` item joins them, and ``repub.evidence.confidence`` weighs them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from repub.evidence import Evidence, confidence
from repub.extract.outlets import find_outlet
from repub.extract.provenance import Site, outlet_name, same_outlet

from .compare import TextMatch, is_copy

# Kinds in which the page itself names the article it copies, by its address.
STRONG_KINDS = frozenset({"mirror", "go-to-original", "text-line"})


@dataclass(frozen=True)
class Stored:
    """A stored article as the decision sees it."""

    id: int
    url: str
    published_at: str | None
    first_seen_at: datetime
    outlet: str | None = None
    original_id: int | None = None  # the article it is linked to as a copy
    original_url: str | None = None
    evidence: tuple[Evidence, ...] = ()  # why it is a copy (all kinds, text-match included)

    def outlet_name(self) -> str:
        return self.outlet or outlet_name(self.url)


@dataclass(frozen=True)
class Candidate:
    """A stored article whose text relates to the page's as ``match`` says (page as the copy)."""

    article: Stored
    match: TextMatch


@dataclass
class Choice:
    """The page's original after the text was weighed: what the store writes on the page's row."""

    url: str | None
    outlet: str | None
    published_at: str | None
    original_id: int | None
    evidence: list[Evidence] = field(default_factory=list)
    confidence: float | None = None
    by_text: bool = False  # the text match chose it (else the page's own evidence did)


def day(value: str | None) -> str | None:
    return value[:10] if value else None


def order(a: str | None, b: str | None) -> int | None:
    """-1 when date ``a`` is before ``b``, 1 after, 0 the same day (times compared when both have
    one), None when either is unknown. ISO 8601 strings as stored: ``2020-10-23``, ``...T09:15:00Z``,
    ``2020-12`` (a month: only an earlier or later month decides)."""
    if not a or not b:
        return None
    width = min(len(a), len(b), 10)
    if a[:width] != b[:width]:
        return -1 if a[:width] < b[:width] else 1
    if len(a) > 10 and len(b) > 10 and a != b:
        return -1 if a < b else 1
    return 0


def text_match_item(article: Stored, match: TextMatch) -> Evidence:
    return Evidence("text-match", {"url": article.url, "similarity": match.similarity,
                                   "coverage": match.coverage})


def names_outlet(url: str, outlet: str | None) -> bool:
    """Whether ``url`` is on the site of the outlet called ``outlet`` ("Forbes", "forbes.com")."""
    if not outlet:
        return False
    known = find_outlet(outlet)
    if known is not None:
        return known.owns(url)
    return Site(url).is_named(outlet)


def explicit(evidence: Iterable[Evidence]) -> list[Evidence]:
    """The page's own evidence: every item but text matches."""
    return [item for item in evidence if item.kind != "text-match"]


def eligible(page_url: str, page_date: str | None, candidates: Sequence[Candidate],
             page_id: int | None = None) -> list[Candidate]:
    """Rules 1-3: the candidates that can be the page's original."""
    kept = []
    for c in candidates:
        article = c.article
        if page_id is not None and page_id in (article.id, article.original_id):
            continue  # the page itself, or already a copy of the page
        if article.url == page_url or same_outlet(article.url, page_url) or not is_copy(c.match):
            continue
        when = order(article.published_at, page_date)
        # a dated page is not the copy of an article dated later; on the same day (or with a date
        # unknown) the stored one is the original, unless it names the page as its source
        if when == 1 or (when != -1 and _names_page(article, page_url)):
            continue
        kept.append(c)
    ids = {c.article.id for c in kept}
    return [c for c in kept if c.article.original_id not in ids]


def _sort_key(candidate: Candidate, linked_url: str | None) -> tuple[object, ...]:
    article = candidate.article
    # undated candidates after dated ones: a known early date is the stronger claim
    return (article.published_at is None, day(article.published_at) or "", article.published_at or "",
            article.url != linked_url, -candidate.match.coverage, article.first_seen_at, article.id)


def choose(page_url: str, page_date: str | None, evidence: Sequence[Evidence], linked: Stored | None,
           printed: tuple[str | None, str | None, str | None], candidates: Sequence[Candidate],
           page_id: int | None = None) -> Choice | None:
    """The page's original. ``evidence``: the page's own items (text matches of an earlier decision
    are dropped and made again); ``linked``: the stored article the page's own link points to, if
    stored; ``printed``: (url, outlet, date) of the original as the page names it. None when neither
    the page nor its text names any original."""
    own = explicit(evidence)
    url, outlet, published = printed
    found = eligible(page_url, page_date, candidates, page_id)
    if not found:
        if not own and url is None and outlet is None:
            return None
        return _choice(url, outlet, published, linked.id if linked else None, own, by_text=False)
    best = min(found, key=lambda c: _sort_key(c, url))
    article = best.article
    keep_link = False
    if url is not None and url != article.url:
        link_date = (linked.published_at if linked else None) or published
        when = order(link_date, article.published_at)
        strong = any(item.kind in STRONG_KINDS and item.url == url for item in own)
        keep_link = when == -1 or (strong and when != 1)
    if keep_link:
        match = next((c for c in found if c.article.url == url), None)
        items = [*own, text_match_item(article, best.match)] if match is None else \
            [*own, text_match_item(match.article, match.match)]
        return _choice(url, outlet, published, linked.id if linked else None, items, by_text=False)
    chosen_outlet = outlet if outlet and names_outlet(article.url, outlet) else article.outlet_name()
    items = [*own, text_match_item(article, best.match)]
    return _choice(article.url, chosen_outlet, article.published_at, article.id, items, by_text=True)


def _choice(url: str | None, outlet: str | None, published: str | None, original_id: int | None,
            items: list[Evidence], *, by_text: bool) -> Choice:
    return Choice(url=url, outlet=outlet, published_at=published, original_id=original_id, evidence=items,
                  confidence=confidence(items, url, outlet) if items else None, by_text=by_text)


def copies_of(page: Stored, candidates: Sequence[Candidate]) -> list[Candidate]:
    """The stored articles that carry the page's text and came after it: the page may be their
    original (each is then decided again with ``choose``, the page among its candidates).
    ``candidates`` measure the page as the copy, so each is reversed here."""
    out = []
    for c in candidates:
        other = c.article
        if other.id == page.id or same_outlet(other.url, page.url) or other.original_id == page.id:
            continue
        if not is_copy(c.match.reverse()):
            continue
        when = order(page.published_at, other.published_at)
        # the page arrived after the other was stored: on the same day it is only the other's
        # original when the other names it (or its outlet)
        if when == -1 or (when in (0, None) and _names_page(other, page.url)):
            out.append(Candidate(other, c.match.reverse()))
    return out


def _names_page(other: Stored, page_url: str) -> bool:
    """Whether ``other``'s own evidence names the page (its URL, a host of its outlet, its outlet)."""
    for item in explicit(other.evidence):
        if item.url and (item.url == page_url or same_outlet(item.url, page_url)):
            return True
        if item.outlet and not item.url and names_outlet(page_url, item.outlet):
            return True
    return other.original_url is not None and other.original_url == page_url
