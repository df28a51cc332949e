"""Find where a republished page says its article first appeared (republishers.md §3).

Signals, most trusted first; the first one that points off-site wins:

1. ``attribution-line``: the republisher's own words in the page ("This post originally appeared on
   <a>Outlet</a>", "This article is republished from <a>The Conversation</a>", "The original source of
   this article is Outlet", "Go to Original – <a>"): the link names the original.
2. ``canonical``: an absolute ``rel=canonical`` on another registrable domain.
3. ``syndication-source`` / ``original-source``: Google News tags, usually self-referential, so only
   trusted when they point off-site.
4. ``is-based-on``: JSON-LD ``isBasedOn`` off-site.

Same-site links are never an original: a template's "Originally published on <Same Outlet>" linking to
another page of the same site is residue, not a republication. Date-only lines ("(Originally published
November 18, 2023)", "First published on August 24, 2022") name no other outlet, so they only add a date
to another signal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from repub.evidence import Evidence
from repub.extract.metadata import PageMetadata, absolute_url
from repub.extract.textutil import squash
from repub.extract.types import OriginalRef, PageDate
from repub.hosts import bare_host

# Two-label public suffixes common among news sites; enough to tell bbc.co.uk from co.uk without a
# dependency on the full Public Suffix List.
_TWO_LEVEL_SUFFIXES = frozenset(
    {
        "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "plc.uk", "com.au", "net.au", "org.au",
        "gov.au", "edu.au", "co.nz", "net.nz", "org.nz", "govt.nz", "co.za", "org.za", "co.in", "org.in",
        "co.jp", "or.jp", "ne.jp", "co.kr", "or.kr", "com.br", "org.br", "com.cn", "org.cn", "com.mx",
        "com.ar", "com.tr", "com.sg", "com.hk", "com.tw", "com.my", "com.ph", "com.pk", "com.ng", "co.il",
        "co.ke", "com.ua", "co.id", "com.eg", "com.sa",
    }
)

# The phrase that introduces an attribution; group "rest" is what follows it (outlet, date...).
_ATTRIBUTION = re.compile(
    r"(?:originally\s+(?:appeared|published|posted|ran)|first\s+(?:appeared|published|posted|ran)"
    r"|(?:is|was)\s+republished\s+from|reprinted\s+(?:from|with\s+permission\s+from)"
    r"|go\s+to\s+original|the\s+original\s+source\s+of\s+this\s+article\s+is)"
    r"\s*[:\-–—]?\s*(?:(?:on|at|in|by|with|from)\s+)?(?P<rest>.*)",
    re.I | re.S,
)
# Every attribution phrase holds one of these words; Python's re tries the whole alternation above at
# every position, so long texts are searched for these first and the phrase is only tried near a hit.
_KEYWORDS = ("original", "first", "republished", "reprinted")
_PHRASE_START = re.compile(
    r"originally\s+(?:appeared|published|posted|ran)|first\s+(?:appeared|published|posted|ran)"
    r"|(?:is|was)\s+republished\s+from|reprinted\s+(?:from|with\s+permission\s+from)"
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
    rank: int  # 3: an article link, 2: a homepage link, 1: outlet name only, 0: a date only
    text: str = ""  # the line as printed

    def evidence(self) -> Evidence:
        kind = "go-to-original" if re.match(r"\W*go\s+to\s+original", self.text, re.I) else "text-line"
        detail = {"url": self.url, "outlet": self.outlet, "text": self.text}
        return Evidence(kind, {k: v for k, v in detail.items() if v})


def _search_attribution(text: str) -> re.Match[str] | None:
    """``_ATTRIBUTION.search(text)``, fast on long texts: the phrase is only tried around keywords."""
    low = text.lower()
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


def registrable_domain(host_or_url: str) -> str:
    """``www.bbc.co.uk`` -> ``bbc.co.uk``, ``edition.cnn.com`` -> ``cnn.com`` (no Public Suffix List)."""
    host = urlsplit(host_or_url).hostname if "/" in host_or_url else host_or_url.split(":")[0]
    labels = (host or "").lower().strip(".").split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in _TWO_LEVEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(a: str, b: str) -> bool:
    """Whether two URLs (or hosts) belong to the same registrable domain (www.x.com == x.com)."""
    return registrable_domain(a) == registrable_domain(b)


def outlet_from_url(url: str) -> str:
    """The outlet name derived from a link: its host without "www." ("theconversation.com")."""
    return bare_host(url)


def find_original(tree: LexborHTMLParser, url: str, meta: PageMetadata, text: str = "") -> OriginalRef | None:
    """The page's original, or None when nothing points to another outlet."""
    line = _attribution_line(tree, url, meta) or _text_line(text, url, meta)
    line_date = line.published if line else None
    if line and line.rank >= 1:
        return OriginalRef(url=line.url, outlet=line.outlet, published=line_date, evidence=[line.evidence()])
    for kind, tag, target in (
        ("canonical", "", meta.canonical_url),
        ("syndication-source", "syndication-source", meta.syndication_source),
        ("syndication-source", "original-source", meta.original_source),
        ("syndication-source", "isBasedOn", meta.is_based_on),
    ):
        if target and _off_site(target, url):
            detail = {"url": target, "tag": tag} if tag else {"url": target}
            return OriginalRef(url=target, outlet=outlet_from_url(target), published=line_date,
                               evidence=[Evidence(kind, detail)])
    return None


def _off_site(target: str, url: str) -> bool:
    """Whether ``target`` belongs to another outlet than the page at ``url``.

    Only the page's real URL decides: og:url is sometimes copied from the original along with the text.
    One brand under several country domains (businessinsider.com and businessinsider.de, seen on the
    extraction benchmark as a cross-domain canonical) is one outlet, not a republication.
    """
    if same_site(target, url):
        return False
    return registrable_domain(target).split(".", 1)[0] != registrable_domain(url).split(".", 1)[0]


def _attribution_line(tree: LexborHTMLParser, url: str, meta: PageMetadata) -> _Line | None:
    body = tree.body
    # Every block's text is a stretch of the body's text: one search rules out most pages at once.
    if body is None or not _search_attribution(body.text(deep=True)):
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
    best: _Line | None = None
    for para in text.split("\n"):
        match = _search_attribution(para) if len(para) <= _MAX_BLOCK else None
        if not match or not _about_this_piece(para, match):
            continue
        outlet = _outlet_in(match.group("rest"), [])
        if outlet and _is_own_outlet(outlet, url, meta):
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
    if any(same_site(href, url) for href, _ in anchors) and not any(
        _off_site(href, url) for href, _ in anchors
    ):
        return None  # template residue: the line links back to this very site
    off_site = [(h, t) for h, t in anchors if _off_site(h, url)]
    published = _find_date(rest)
    outlet = _outlet_in(rest, off_site)
    if outlet and _is_own_outlet(outlet, url, meta):
        return None
    if off_site:
        href = _pick_link(off_site, outlet)
        rank = 3 if urlsplit(href).path.strip("/") else 2
        return _Line(href, outlet or outlet_from_url(href), published, rank, text)
    if outlet:
        return _Line(None, outlet, published, 1, text)
    return _Line(None, None, published, 0, text) if published else None


def is_attribution_line(text: str) -> bool:
    """Whether a short paragraph is a republication note ("This article is republished from ...")."""
    match = _search_attribution(text) if len(text) <= _MAX_BLOCK else None
    return bool(match) and _about_this_piece(text, match)


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


def _is_own_outlet(outlet: str, url: str, meta: PageMetadata) -> bool:
    key = _name_key(outlet)
    own = {_name_key(registrable_domain(url).split(".")[0]), _name_key(outlet_from_url(url))}
    if meta.site_name:
        own.add(_name_key(meta.site_name))
    if re.fullmatch(r"[\w.-]+\.[a-z]{2,}", outlet):  # "globalresearch.ca": compare the domain's name
        key = _name_key(registrable_domain(outlet).split(".")[0])
    return key in own


def _name_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", re.sub(r"^the\s+", "", name.lower()))


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
