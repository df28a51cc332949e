"""Which stored article a page's text came from, and which stored articles came from the page's.

Pure: ``repub.store`` looks the candidates up, measures them (``repub.reuse.compare``) and hands them
here as ``Candidate``s; what comes back (``Choice``) is what it writes.

The rules (docs/reuse.md):

1. A candidate is a stored article of another site (registrable domain, or another host of the same
   outlet: ``repub.extract.provenance.same_outlet``) whose text the page carries (``is_copy``).
2. It must come before the page (``which_first``): an earlier date (``precedes``: a dated article
   before an undated one, unless the undated one was stored before the other's day), each date
   weighed by how it came about (``sooner``, ``repub.reuse.dating``): a day the text only mentions
   (in a sentence, or htmldate's 1 January of a year it prints) can make its page later, never
   earlier; a day taken from a date prefix ("23 Oct 2020 – ", the original's day as republishers
   write it) or a mentioned one is no date against an undated page. For the same day, no dates, or
   dates that cannot order the two, what the two say (the one naming the other is the copy), a date
   prefix (the one whose text opens with one is the copy of one whose text does not) and cut (the
   one carrying part of the other and little else is its cut copy) decide, and else the one stored
   first is the original.
3. A candidate that is itself a copy of another candidate gives way to it: of an earlier copy and the
   real original, both stored, the original wins.
4. The earliest candidate wins (its date, a mentioned one counting as none; of one day, one not
   dated by its prefix; then the page's own explicit link, then the larger share of its text carried,
   then the first stored).
5. Against the page's own evidence: a matching article that the page's own words name (its URL,
   another page of that site, or the outlet a line, a credit or a dateline names) is the original.
   Otherwise an original the page links itself (``go-to-original``, an "originally appeared" line, a
   mirror) or an outlet it names stays, unless the text-matched article is dated strictly before it;
   a canonical or a source tag alone (an intermediate syndicator) gives way to the earliest matching
   article. Every item is kept; the ``text-match`` item joins them, and
   ``repub.evidence.confidence`` weighs them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from repub.evidence import Evidence, confidence
from repub.extract.provenance import names_outlet, outlet_name, same_outlet

from .compare import TextMatch, is_copy
from .dating import UNKNOWN, Dating

# Of two texts with no date to tell them apart, one carrying less of the other than the other carries
# of it, by this much, is its cut copy (``which_first``): copies cut tails and add a few lines.
CUT = 0.15
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
    dating: Dating = UNKNOWN  # how its date came about, by its stored text (``repub.reuse.dating``)

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
    instants = _instant(a), _instant(b)
    if instants[0] is not None and instants[1] is not None:  # both times with their offsets
        return (instants[0] > instants[1]) - (instants[0] < instants[1])
    width = min(len(a), len(b), 10)
    if a[:width] != b[:width]:
        return -1 if a[:width] < b[:width] else 1
    if len(a) > 10 and len(b) > 10 and a != b:
        return -1 if a < b else 1
    return 0


def _instant(value: str) -> datetime | None:
    """A stored time with its offset ("2023-11-02T10:12:16-04:00", "...Z") as an instant; None for a
    day, a month or a time without an offset. Dates keep the page's own offset, so two times of the
    same moment can differ as text."""
    if len(value) <= 10:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def precedes(a: str | None, b: str | None, a_seen: datetime | None = None,
             b_seen: datetime | None = None) -> int | None:
    """``order`` for the direction of a copy, where a missing date is not the end of it: an undated
    article first stored before the other's day was out by then, so it came first; otherwise the
    dated one comes first (news pages show their date; a page without one is as a rule a copy, or a
    page whose date repub could not read, and bench/eval_reuse.py measured this the better guess)."""
    if a and b:
        return order(a, b)
    if a and b_seen is not None and b_seen.date().isoformat() < a[:10]:
        return 1
    if b and a_seen is not None and a_seen.date().isoformat() < b[:10]:
        return -1
    if a or b:
        return -1 if a else 1
    return None


def sooner(a: str | None, a_how: Dating, b: str | None, b_how: Dating, a_seen: datetime | None = None,
           b_seen: datetime | None = None) -> int | None:
    """``precedes`` with how each date came about (``repub.reuse.dating``): -1 when ``a`` came out
    first, 1 when ``b`` did, 0 the same day, None unknown.

    - Two dates are compared as ever, except that a date the text only mentions is a lower bound of
      its page's own date: it can make its page later than the other, never earlier (unknown).
    - Against a page with no date, a date that is not the page's own (its prefix's, the original's
      day; or one its text mentions) is no date either: the two are undated."""
    if a and b:
        when = order(a, b)
        if when in (-1, 1) and (a_how if when == -1 else b_how).mentioned:
            return None
        return when
    return precedes(a_how.own(a), b_how.own(b), a_seen, b_seen)


def text_match_item(article: Stored, match: TextMatch) -> Evidence:
    return Evidence("text-match", {"url": article.url, "similarity": match.similarity,
                                   "coverage": match.coverage})


def explicit(evidence: Iterable[Evidence]) -> list[Evidence]:
    """The page's own evidence: every item but text matches."""
    return [item for item in evidence if item.kind != "text-match"]


def which_first(page_url: str, page_date: str | None, page_evidence: Sequence[Evidence], other: Stored,
                match: TextMatch, page_seen: datetime | None = None, page_dating: Dating = UNKNOWN) -> str:
    """Of a page and a stored article whose texts match (``match``: the page as the copy), which is the
    original: "other" or "page". By date (``sooner``: how each date came about counts); for the same
    day, no dates at all, or dates that cannot order the two, by what the two say and carry:

    1. the one that names the other (its URL, a host or the name of its outlet) is the copy (a page
       naming some third source says where its text came from, not which of the two came first);
    2. the one whose text opens with a date prefix ("23 Oct 2020 – …") is the copy of one whose text
       does not: that prefix is how republishers write the original's date;
    3. a page that carries part of the other and little else is a cut copy of it (``CUT``: the share
       of its text that is the other's exceeds the share of the other it carries by that much);
    4. else the one stored first (the other): in a crawl that follows sources as they publish, the
       order articles are first seen in is the order they came out in. A link made on that ground
       alone is never turned round later (``copies_of`` asks for a reason)."""
    when = sooner(other.published_at, other.dating, page_date, page_dating, other.first_seen_at, page_seen)
    if when in (-1, 1):
        return "other" if when == -1 else "page"
    if _names(explicit(other.evidence), page_url):
        return "page"
    if _names(explicit(page_evidence), other.url):
        return "other"
    if bool(page_dating.prefix) != bool(other.dating.prefix):
        return "other" if page_dating.prefix else "page"
    if match.coverage - match.share > CUT:
        return "page"
    return "other"


def eligible(page_url: str, page_date: str | None, candidates: Sequence[Candidate],
             page_id: int | None = None, page_evidence: Sequence[Evidence] = (),
             printed_url: str | None = None, page_seen: datetime | None = None,
             page_dating: Dating = UNKNOWN) -> list[Candidate]:
    """Rules 1-3: the candidates that can be the page's original."""
    kept = []
    for c in candidates:
        article = c.article
        if page_id is not None and page_id in (article.id, article.original_id):
            continue  # the page itself, or already a copy of the page
        if article.url == page_url or same_outlet(article.url, page_url) or not is_copy(c.match):
            continue
        if printed_url is not None and article.original_url == printed_url and article.url != printed_url:
            continue  # a sibling: a copy of the original the page links to
        first = which_first(page_url, page_date, page_evidence, article, c.match, page_seen, page_dating)
        if first != "other":
            continue
        kept.append(c)
    ids = {c.article.id for c in kept}
    return [c for c in kept if c.article.original_id not in ids]


def _sort_key(candidate: Candidate, linked_url: str | None) -> tuple[object, ...]:
    article = candidate.article
    # undated candidates after dated ones: a known early date is the stronger claim (a date the text
    # only mentions is no claim: ``repub.reuse.dating``)
    # and of one day, the original's before a copy dated by its prefix (the original's day)
    published = None if article.dating.mentioned else article.published_at
    return (published is None, day(published) or "", article.dating.borrowed(published), published or "",
            article.url != linked_url, -candidate.match.coverage, article.first_seen_at, article.id)


def choose(page_url: str, page_date: str | None, evidence: Sequence[Evidence], linked: Stored | None,
           printed: tuple[str | None, str | None, str | None], candidates: Sequence[Candidate],
           page_id: int | None = None, page_seen: datetime | None = None,
           page_dating: Dating = UNKNOWN) -> Choice | None:
    """The page's original. ``evidence``: the page's own items (text matches of an earlier decision
    are dropped and made again); ``linked``: the stored article the page's own link points to, if
    stored; ``printed``: (url, outlet, date) of the original as the page names it. None when neither
    the page nor its text names any original."""
    own = explicit(evidence)
    url, outlet, published = printed
    found = eligible(page_url, page_date, candidates, page_id, own, url, page_seen, page_dating)
    if not found:
        if not own and url is None and outlet is None:
            return None
        return _choice(url, outlet, published, linked.id if linked else None, own, by_text=False)
    agreeing = [c for c in found if _agrees(c.article, url, outlet, linked)]
    if agreeing:  # the text and the page's own words name one article: the earliest of such
        best = min(agreeing, key=lambda c: _sort_key(c, url))
        return _by_text(best, own, outlet)
    best = min(found, key=lambda c: _sort_key(c, url))
    if url is not None or outlet is not None:
        when = order((linked.published_at if linked else None) or published, best.article.published_at)
        # a link the page makes itself, or an outlet it names, is kept unless the text's article is
        # dated before it; a canonical or a source tag alone gives way to the text
        strong = url is None or any(item.kind in STRONG_KINDS and item.url == url for item in own)
        if when == -1 or (strong and when != 1):
            items = [*own, text_match_item(best.article, best.match)]
            return _choice(url, outlet, published, linked.id if linked else None, items, by_text=False)
    return _by_text(best, own, None)


def _agrees(article: Stored, url: str | None, outlet: str | None, linked: Stored | None) -> bool:
    """Whether the page's own claim (``url`` / ``outlet``) names ``article``: its URL, another page of
    the claimed URL's site, or the named outlet's site."""
    if url is not None:
        return article.url == url or (linked is not None and linked.id == article.id) or \
            same_outlet(article.url, url)
    return outlet is not None and names_outlet(article.url, outlet)


def _by_text(best: Candidate, own: list[Evidence], outlet: str | None) -> Choice:
    article = best.article
    chosen_outlet = outlet if outlet and names_outlet(article.url, outlet) else article.outlet_name()
    items = [*own, text_match_item(article, best.match)]
    return _choice(article.url, chosen_outlet, article.published_at, article.id, items, by_text=True)


def _choice(url: str | None, outlet: str | None, published: str | None, original_id: int | None,
            items: list[Evidence], *, by_text: bool) -> Choice:
    return Choice(url=url, outlet=outlet, published_at=published, original_id=original_id, evidence=items,
                  confidence=confidence(items, url, outlet) if items else None, by_text=by_text)


def copies_of(page: Stored, candidates: Sequence[Candidate]) -> list[Candidate]:
    """The stored articles that carry the page's text and came after it (``which_first``): the page
    may be their original (each is then decided again with ``choose``, the page among its
    candidates). ``candidates`` measure the page as the copy, so each comes back reversed."""
    out = []
    for c in candidates:
        other = c.article
        if other.id == page.id or same_outlet(other.url, page.url) or other.original_id == page.id:
            continue
        if is_copy(c.match.reverse()) and \
                which_first(page.url, page.published_at, page.evidence, other, c.match,
                            page.first_seen_at, page.dating) == "page":
            out.append(Candidate(other, c.match.reverse()))
    return out


def _names(evidence: Sequence[Evidence], url: str) -> bool:
    """Whether ``evidence`` names the article at ``url`` (its URL, a host or the name of its outlet)."""
    for item in evidence:
        if item.url and (item.url == url or same_outlet(item.url, url)):
            return True
        if item.outlet and not item.url and names_outlet(url, item.outlet):
            return True
    return False
