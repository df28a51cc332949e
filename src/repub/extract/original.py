"""Find where a republished page says its article first appeared, with the evidence for it.

Every piece of evidence on the page is collected (``repub.evidence`` kinds), then one original is chosen:

1. ``mirror``: the page is a web archive's snapshot; the snapshot's own address names the original, and
   the rest of the evidence is weighed as on that original's site.
2. ``go-to-original`` / ``text-line``: the republisher's own words ("This post originally appeared on
   <a>Outlet</a>", "This article is republished from <a>The Conversation</a>", "Go to Original – <a>",
   "Quelle: <a href=…>", "Read the original"), found here and in ``repub.extract.provenance``.
3. ``dateline``: "WASHINGTON (AP) —", "(KTVI) –" linking the station's article, "KVELLER via JTA —".
4. ``byline-credit``: a wire or outlet the byline credits (``Extracted.credits``) on a site not its own.
5. ``aggregator``: an aggregator's "Provided by X" line or a title ending in its provider's name.
6. ``canonical`` / ``syndication-source``: a ``rel=canonical``, a Google News source tag or a JSON-LD
   ``isBasedOn`` on another outlet's site that can be an article (not a home page, not a study).

The first kind in that order that names an original wins, with two exceptions: an item with a URL beats
one naming only an outlet within the same rank (2-3), and a wire credit (an agency) beats a canonical to
a site that is not the agency's (the canonical then points to an intermediate syndicator). The items
that agree with the choice lend it their outlet name and URL; all items are kept, strongest first.

Same-site links are never an original: a template's "Originally published on <Same Outlet>" linking to
another page of the same site is residue, not a republication. "Same site" is decided by evidence: the
registrable domain by the Public Suffix List, the outlets data (an outlet's sister hosts), the page's
own site name; two hosts that merely share a label (``foo.example.org`` and ``bar.example.com``,
independent.co.uk and independent.ie) are two outlets. Date-only lines ("(Originally published November
18, 2023)") name no other outlet, so they only add a date to another piece of evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from repub.evidence import Evidence, agrees
from repub.extract.metadata import PageMetadata, absolute_url
from repub.extract.outlets import find_outlet, outlet_of_url
from repub.extract.provenance import (
    Site,
    credit_evidence,
    dateline_evidence,
    is_article_url,
    line_evidence,
    mirror_of,
    names_outlet,
    outlet_name,
    same_outlet,
    title_evidence,
    valid_url,
)
from repub.extract.textutil import squash
from repub.extract.types import OriginalRef, PageDate

# The phrase that introduces an attribution; group "rest" is what follows it (outlet, date...).
_ATTRIBUTION = re.compile(
    r"(?:originally\s+(?:appeared|published|posted|ran)|first\s+(?:appeared|published|posted|ran)"
    r"|(?:is|was)\s+republished\s+from|reprinted\s+(?:from|with\s+permission\s+(?:from|of)|by\s+permission\s+of)"
    r"|go\s+to\s+original|the\s+original\s+source\s+of\s+this\s+article\s+is)"
    r"\s*[:\-–—]?\s*(?:(?:on|at|in|by|with|from)\s+)?(?P<rest>.*)",
    re.I | re.S,
)
# Every attribution phrase holds one of these words; Python's re tries the whole alternation above at
# every position, so long texts are searched for these first and the phrase is only tried near a hit.
_KEYWORDS = ("original", "first", "republished", "reprinted")
_PHRASE_START = re.compile(
    r"originally\s+(?:appeared|published|posted|ran)|first\s+(?:appeared|published|posted|ran)"
    r"|(?:is|was)\s+republished\s+from|reprinted\s+(?:from|with\s+permission\s+(?:from|of)|by\s+permission\s+of)"
    r"|go\s+to\s+original|the\s+original\s+source\s+of\s+this\s+article\s+is",
    re.I,
)
_LOOKBEHIND = 24  # a phrase starts at most this far before its keyword ("go to  original")
_BLOCKS = "p, li, em, i, strong, b, small, span, div, aside, footer, blockquote, figcaption, h4, h5, h6"
_BLOCK_TAGS = frozenset(tag.strip() for tag in _BLOCKS.split(","))
_MAX_BLOCK = 600  # longer elements are containers, not attribution lines
# Class or id tokens of containers whose text is not the article's (comments may quote other outlets).
_SKIP_TOKENS = frozenset(
    {
        "comment", "comments", "comment-list", "commentlist", "respond", "nav", "navigation", "menu",
        "related", "related-posts", "sidebar", "widget-area", "share", "sharedaddy", "social-share",
    }
)
_SUBJECT = re.compile(
    r"\b(?:this|article|story|post|piece|essay|column|op-ed|commentary|interview|report|analysis"
    r"|version|blog|text|editorial)\b",
    re.I,
)
_NOT_OUTLET = re.compile(
    r"^(?:\d+|(?:mon|tues|wednes|thurs|fri|satur|sun)day|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may"
    r"|june?|july?|aug(?:ust)?|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b",
    re.I,
)
_READ_LINK = re.compile(r"original|read|here|full (?:story|article)|source", re.I)
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
            ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
            ("oct", "october"), ("nov", "november"), ("dec", "december"),
        ]
    )
    for m in names
}


@dataclass
class _Line:
    url: str | None
    outlet: str | None
    published: PageDate | None
    # 3: an article link, 2: a home-page link (the outlet only), 1: the outlet's name only, 0: a date only
    rank: int
    text: str = ""  # the line as printed

    def evidence(self) -> Evidence:
        kind = "go-to-original" if re.match(r"\W*go\s+to\s+original", self.text, re.I) else "text-line"
        detail = {"url": self.url, "outlet": self.outlet, "text": self.text}
        return Evidence(kind, {k: v for k, v in detail.items() if v})


def _search_attribution(text: str, low: str | None = None) -> re.Match[str] | None:
    """``_ATTRIBUTION.search(text)``, fast on long texts: the phrase is only tried around keywords
    (``low``: ``text.lower()`` when the caller has it)."""
    low = text.lower() if low is None else low
    if not any(keyword in low for keyword in _KEYWORDS):
        return None
    if len(text) <= _MAX_BLOCK or len(low) != len(text):  # short, or lowercasing moved the offsets
        return _ATTRIBUTION.search(text)
    hits = []
    for keyword in _KEYWORDS:
        at = low.find(keyword)
        while at >= 0:
            hits.append(at)
            at = low.find(keyword, at + len(keyword))
    for at in sorted(hits):
        if low.startswith(("originally", "first", "reprinted"), at):  # the phrase starts at its keyword
            phrase = _PHRASE_START.match(text, at)
        else:  # "is republished", "go to original", "the original source"
            phrase = _PHRASE_START.search(text, max(0, at - _LOOKBEHIND), at + 80)
        if phrase is not None:
            return _ATTRIBUTION.match(text, phrase.start())
    return None


def outlet_from_url(url: str) -> str:
    """The outlet named by a link: its name from the outlets data, else its host without "www."."""
    return outlet_name(url)


# The order of trust (see the module docstring); within a rank, an item with a URL comes first.
_RANK = {"mirror": 0, "go-to-original": 1, "text-line": 1, "dateline": 2, "byline-credit": 3,
         "aggregator": 3, "canonical": 4, "syndication-source": 4}


_CREDITS = ("dateline", "byline-credit")


def find_original(tree: LexborHTMLParser, url: str, meta: PageMetadata, text: str = "",
                  credits: Iterable[str] = (), byline: str | None = None,
                  page_text: str | None = None) -> OriginalRef | None:
    """The page's original with all the evidence for it, or None when nothing points to another outlet.
    ``page_text``: the text of the page's <body> when the caller has read it."""
    mirror = mirror_of(url)
    site = Site(mirror.url if mirror and mirror.url else url, meta.site_name)
    if page_text is None:  # read once, searched twice
        page_text = tree.body.text(deep=True) if tree.body is not None else ""
    low = page_text.lower()
    line = _attribution_line(tree, site.url, meta, page_text, low) or _text_line(text, site.url, meta)
    evidence = [mirror] if mirror else []
    if line and line.rank >= 1:
        evidence.append(line.evidence())
    evidence += line_evidence(tree, site, page_text, low)
    evidence += dateline_evidence(tree, text, site, meta.description)
    evidence += credit_evidence(credits, byline, site, evidence)
    evidence += title_evidence(tree, site)
    evidence += _declared(meta, site, url)
    evidence = _dedupe(evidence)
    if not evidence:
        return None
    return _choose(evidence, line.published if line else None)


def _declared(meta: PageMetadata, site: Site, url: str) -> list[Evidence]:
    """A canonical or source tag on another outlet's site that can be an article. On a snapshot, a tag
    naming the snapshot itself or another snapshot of the archive is the archive's, not evidence."""
    found = []
    for kind, tag, target in (
        ("canonical", "", meta.canonical_url),
        ("syndication-source", "syndication-source", meta.syndication_source),
        ("syndication-source", "original-source", meta.original_source),
        ("syndication-source", "isBasedOn", meta.is_based_on),
    ):
        if (target and valid_url(target) and is_article_url(target) and not site.owns(target)
                and not same_outlet(target, url)):
            detail = {"url": target, "outlet": outlet_name(target)}
            found.append(Evidence(kind, {**detail, "tag": tag} if tag else detail))
    return found


def _choose(evidence: list[Evidence], published: PageDate | None) -> OriginalRef:
    ordered = sorted(evidence, key=lambda e: (_RANK[e.kind], e.url is None and _RANK[e.kind] <= 2))
    primary = ordered[0]
    wire = next((e for e in ordered if e.kind in _CREDITS and _is_agency(e.outlet)), None)
    if (primary.kind in ("canonical", "syndication-source") and wire is not None and primary.url
            and not names_outlet(primary.url, wire.outlet)):
        primary = wire  # the canonical names an intermediate syndicator of the wire's story
    url = primary.url
    outlet = primary.outlet
    for item in ordered:
        if item is primary or not _agree(item, url, outlet):
            continue
        url = url or item.url
        if outlet is None or (url and outlet_of_url(url) is None and item.outlet and not item.url):
            outlet = item.outlet or outlet
    if url and outlet is None:
        outlet = outlet_from_url(url)
    ordered.remove(primary)
    return OriginalRef(url=url, outlet=outlet, published=published, evidence=[primary, *ordered])


def _agree(item: Evidence, url: str | None, outlet: str | None) -> bool:
    if item.url and url:
        return item.url == url
    if item.outlet and url and not item.url:
        return names_outlet(url, item.outlet)
    if item.url and outlet and not url:
        return names_outlet(item.url, outlet)
    return agrees(item, url, outlet)




def _is_agency(name: str | None) -> bool:
    outlet = find_outlet(name) if name else None
    return outlet is not None and outlet.is_agency


def _dedupe(items: list[Evidence]) -> list[Evidence]:
    seen: set[tuple[str, str | None, str | None]] = set()
    out = []
    for item in items:
        key = (item.kind, item.url, item.outlet)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _attribution_line(
    tree: LexborHTMLParser, url: str, meta: PageMetadata, page_text: str, low: str
) -> _Line | None:
    body = tree.body
    # Every block's text is a stretch of the body's text: one search rules out most pages at once.
    if body is None or not _search_attribution(page_text, low):
        return None
    texts = _candidate_blocks(body)
    best: _Line | None = None
    for node in body.css(_BLOCKS):
        text = texts.get(node.mem_id)
        if not text:
            continue
        match = _search_attribution(text)
        if not match or not _about_this_piece(text, match) or _in_boilerplate(node):
            continue
        found = _read_line(node, text, match, url, meta)
        if found and (best is None or found.rank > best.rank):
            best = found
    return best


def _candidate_blocks(body: LexborNode) -> dict[int, str]:
    """The squashed text of every block (``_BLOCKS``, at most ``_MAX_BLOCK`` long) that may hold a phrase.

    A block holding a phrase holds the text node with its keyword, so only the block ancestors of such
    text nodes are read, innermost first, up to the first one too long to be a line: no container's
    whole text is read for every block inside it.
    """
    texts: dict[int, str] = {}
    too_long: set[int] = set()
    for leaf in body.traverse(include_text=True):
        if leaf.tag != "-text":
            continue
        low = (leaf.text_content or "").lower()
        if not any(keyword in low for keyword in _KEYWORDS):
            continue
        node = leaf.parent
        while node is not None and node.tag not in ("body", "html"):
            key = node.mem_id
            if key in too_long:
                break
            if key not in texts and node.tag in _BLOCK_TAGS:
                text = squash(node.text(deep=True))
                if len(text) > _MAX_BLOCK:
                    too_long.add(key)
                    break
                texts[key] = text
            node = node.parent
    return texts


def _text_line(text: str, url: str, meta: PageMetadata) -> _Line | None:
    """The same phrases in plain body text (a site rule's body), where no links are left: outlet/date."""
    low = text.lower()
    if not any(keyword in low for keyword in _KEYWORDS):  # as _search_attribution tests each paragraph
        return None
    best: _Line | None = None
    # lower() keeps every newline where it was: the lowered text's lines are the lines' lowered texts
    for para, para_low in zip(text.split("\n"), low.split("\n"), strict=True):
        match = _search_attribution(para, para_low) if len(para) <= _MAX_BLOCK else None
        if not match or not _about_this_piece(para, match):
            continue
        outlet = _outlet_in(match.group("rest"), [])
        if outlet and Site(url, meta.site_name).is_named(outlet):
            continue
        found = _Line(None, outlet, _find_date(match.group("rest")), 1 if outlet else 0, para)
        if (found.outlet or found.published) and (best is None or found.rank > best.rank):
            best = found
    return best


def _read_line(
    node: LexborNode, text: str, match: re.Match[str], url: str, meta: PageMetadata
) -> _Line | None:
    rest = match.group("rest")
    anchors = []
    for a in node.css("a[href]"):
        href = absolute_url(a.attributes.get("href"), url)
        anchor_text = squash(a.text(deep=True))
        # Only links from the phrase on: a link earlier in the paragraph is about something else.
        if href and anchor_text and text.find(anchor_text, match.start()) >= 0:
            anchors.append((href, anchor_text))
    site = Site(url, meta.site_name)
    off_site = [(h, t) for h, t in anchors if valid_url(h) and not site.owns(h)]
    if anchors and not off_site:
        return None  # template residue: the line links back to this very site
    published = _find_date(rest)
    outlet = _outlet_in(rest, off_site)
    if outlet and site.is_named(outlet):
        return None
    if off_site:
        href = _pick_link(off_site, outlet)
        if is_article_url(href):
            return _Line(href, outlet or outlet_from_url(href), published, 3, text)
        # a link to the outlet's home page names the outlet, not the article
        return _Line(None, outlet or outlet_from_url(href), published, 2, text)
    if outlet:
        return _Line(None, outlet, published, 1, text)
    return _Line(None, None, published, 0, text) if published else None


def is_attribution_line(text: str) -> bool:
    """Whether a short paragraph is a republication note ("This article is republished from ...")."""
    match = _search_attribution(text) if len(text) <= _MAX_BLOCK else None
    return match is not None and _about_this_piece(text, match)


def _about_this_piece(text: str, match: re.Match[str]) -> bool:
    """Whether the phrase speaks of this article, not of something in the story.

    "This post originally appeared on X" and a line starting "Originally published at X" do; "the virus
    first appeared in West Michigan" and "the camp first appeared in 2014" (real body sentences) do not.
    """
    prefix = re.split(r"[.!?]\s", text[: match.start()])[-1].strip(" ([*_–—-")
    if not prefix:
        return True
    return len(prefix.split()) <= 8 and bool(_SUBJECT.search(prefix))


def _pick_link(anchors: list[tuple[str, str]], outlet: str | None) -> str:
    """A "Read the original article" link, else the outlet's link, else a link to an article, else any."""
    articles = [(h, t) for h, t in anchors if urlsplit(h).path.strip("/")]
    for href, anchor_text in articles:
        if _READ_LINK.search(anchor_text):
            return href
    for href, anchor_text in anchors:
        if outlet and anchor_text.strip(" .").lower() == outlet.lower():
            return href
    return (articles or anchors)[0][0]


def _outlet_in(rest: str, anchors: list[tuple[str, str]]) -> str | None:
    """The outlet named right after the phrase: an anchor's text, else a short capitalised name."""
    for _, anchor_text in anchors:
        if anchor_text and rest.lower().startswith(anchor_text.lower()) and not _find_date(anchor_text):
            return anchor_text.strip(" .")
    # "Global Research", "Common Dreams on May 3, 2021.", "outlet.com. Read it here."
    head = re.split(r"\s+(?:on|in|under|at)\s+|[,;()]|\.(?:\s|$)|\s[–—-]\s", rest.strip(), maxsplit=1)[0]
    head = head.strip(" .:\"'“”")
    if not head or _find_date(head) or len(head.split()) > 6 or _NOT_OUTLET.match(head):
        return None
    if head[0].isupper() or head[0].isdigit() or re.fullmatch(r"[\w.-]+\.[a-z]{2,}", head):
        return head
    return None


def _find_date(text: str) -> PageDate | None:
    m = re.search(r"\b([A-Z][a-z]{2,8})\.?\s+(\d{1,2}),?\s+(\d{4})\b", text)  # November 18, 2023
    if m and m.group(1).lower() in _MONTHS:
        day, month, year = int(m.group(2)), _MONTHS[m.group(1).lower()], int(m.group(3))
    else:
        m = re.search(r"\b(\d{1,2})\s+([A-Z][a-z]{2,8})\.?,?\s+(\d{4})\b", text)  # 23 Oct 2020
        if not (m and m.group(2).lower() in _MONTHS):
            m = re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", text)
            if not m:
                return None
            year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        else:
            day, month, year = int(m.group(1)), _MONTHS[m.group(2).lower()], int(m.group(3))
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _in_boilerplate(node: LexborNode) -> bool:
    parent: LexborNode | None = node
    while parent is not None and parent.tag not in ("body", "html"):
        if parent.tag == "nav":
            return True
        marks = f"{parent.attributes.get('class') or ''} {parent.attributes.get('id') or ''}".lower()
        if _SKIP_TOKENS.intersection(marks.split()):
            return True
        parent = parent.parent
    return False
