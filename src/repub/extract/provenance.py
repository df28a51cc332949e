"""Evidence that a page is a copy, besides attribution lines (``repub.extract.original``).

Each finder returns ``Evidence`` items (``repub.evidence``); ``find_original`` weighs them. The phrases
are data: ``data/provenance.toml``. Whose site a page is on is decided by evidence, never by a shared
label: the registrable domain (Public Suffix List, ``repub.hosts``), the outlets data (an outlet's own
hosts, sister sites included) and the page's own site name (``Site``).

- ``mirror_of``: a web archive's snapshot (``web.archive.org/web/<timestamp>/<original>``);
- ``dateline_evidence``: "WASHINGTON (AP) —", "Berlin (dpa) -", "(KTVI) –" linking the station's
  article, "KVELLER via JTA —";
- ``credit_evidence``: the wire or outlet credits of the byline (``Extracted.credits``);
- ``line_evidence``: "Quelle: <a href=…>" / "Source: press release of X" lines, "Provided by X" lines of
  aggregators, "Source link" / "Read the original" anchors;
- ``title_evidence``: an aggregator's title ending in its provider's name ("… | CNN" on msn.com).
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from repub.evidence import Evidence
from repub.extract.outlets import Outlet, find_outlet, name_key, outlet_of_url
from repub.extract.textutil import join_url, squash
from repub.hosts import bare_host, registrable_domain, same_registrable_domain

_MAX_LINE = 300  # longer blocks are paragraphs of the story, not a line of their own
_FILE = re.compile(r"\.(?:pdf|csv|xlsx?|docx?|pptx?|zip|json|xml|txt|jpe?g|png|gif|mp[34])$", re.I)
_LABEL = re.compile(r"^(?!-)[^\s/@:?#\[\]\\]{1,63}(?<!-)$")
_SKIP_MARKS = frozenset(
    {
        "comment", "comments", "commentlist", "respond", "nav", "navigation", "menu", "related",
        "related-posts", "sidebar", "widget-area", "share", "sharedaddy", "social-share", "caption",
        "wp-caption", "wp-caption-text", "credit", "copyright", "image-credit", "photo-credit",
    }
)
_SKIP_TAGS = frozenset({"nav", "figure", "figcaption", "caption", "aside", "header"})
_INLINE = frozenset({"strong", "b", "em", "i", "span", "small"})
_BLOCK_TAGS = frozenset(
    {"p", "div", "li", "h2", "h3", "h4", "h5", "h6", "footer", "section", "blockquote", "td", "dd", "em",
     "small", "strong", "span", "i", "b", "a"}
)


@functools.cache
def _data() -> dict[str, Any]:
    return tomllib.loads(resources.files("repub.extract").joinpath("data/provenance.toml").read_text("utf-8"))


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@functools.cache
def _patterns() -> dict[str, re.Pattern[str]]:
    data = _data()
    return {
        # at the start of the line, or after a separator of a meta line ("22/11/2020 - Fonte: Agência Brasil")
        "source_line": re.compile(
            rf"(?:^|\s[|·•–—-]\s*)(?:{_alternation(data['source_words'])})(?:\s+[^\W\d_]+){{0,2}}\s*:\s*"
            r"(?P<rest>[^|·•]+?)(?:\s+[|·•–—-]\s.*)?$", re.I | re.S),
        "separated": re.compile(rf"\s[|·•–—-]\s*(?:{_alternation(data['source_words'])})\s*:", re.I),
        "release": re.compile(rf"\b(?:{_alternation(data['releases'])})\b", re.I),
        "provided_by": re.compile(rf"^(?:{_alternation(data['provided_by'])})\s*:?\s+(?P<rest>\S.*)$",
                                  re.I | re.S),
        "start": re.compile(rf"^\W*(?:{_phrases(data)})", re.I),
    }


def _may_hold_a_line(low: str) -> bool:
    """Whether a page's lower-cased text holds a phrase: a provided-by or source-link phrase, or a source
    word with a colon shortly after it ("quelle der polizeimeldung:"). Plain substring searches."""
    plain, original = _phrase_scans()
    if any(p in low for p in plain) or ("original" in low and any(p in low for p in original)):
        return True
    for word in _data()["source_words"]:
        at = low.find(word)
        while at >= 0:
            if ":" in low[at + len(word): at + len(word) + 30]:
                return True
            at = low.find(word, at + len(word))
    return False


@functools.cache
def _phrase_scans() -> tuple[list[str], list[str]]:
    """The provided-by and source-link phrases as ``_may_hold_a_line`` scans the page for them, fewest
    scans first: a phrase holding another one is left out (the shorter finds it), and the phrases
    holding "original" (most source links) are only looked for on a page with the word (1 in 3 of the
    Zyte set); each scan reads the whole page's text (0.9 -> 0.55 ms a page)."""
    phrases = list(dict.fromkeys([*_data()["provided_by"], *_data()["source_links"]]))
    needed = [p for p in phrases if not any(q != p and q in p for q in phrases)]
    return [p for p in needed if "original" not in p], [p for p in needed if "original" in p]


def _phrases(data: dict[str, Any]) -> str:
    return _alternation([*data["source_words"], *data["provided_by"], *data["source_links"]])


# -- whose site ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """Whose page this is: its address (for an archive's snapshot, the original's) and its own name."""

    url: str
    name: str | None = None  # og:site_name and the like

    def owns(self, url: str) -> bool:
        """Whether ``url`` is on this site's outlet: the same registrable domain, or a host the outlets data
        lists for the same outlet (sister sites). Two hosts sharing a label are not enough."""
        return same_outlet(self.url, url)

    def is_named(self, name: str) -> bool:
        """Whether ``name`` (a credit, an outlet named in a line) is this site itself."""
        outlet = find_outlet(name)
        if outlet is not None and outlet.owns(self.url):
            return True
        key = _compact(name)
        if not key:
            return False
        if self.name and key == _compact(self.name):
            return True
        # a name written as the site's own domain ("globalresearch.ca"), or spelling its domain's name
        # ("Global Research" on globalresearch.ca): the page's own address is the evidence
        if re.fullmatch(r"[\w.-]+\.[a-z]{2,}", name.strip().lower()):
            return same_registrable_domain(name.strip().lower(), self.url)
        own = registrable_domain(self.url).split(".")[0]
        return key == _compact(own)


def names_outlet(url: str, outlet: str | None) -> bool:
    """Whether ``url`` is on the site of the outlet called ``outlet`` ("Forbes", "forbes.com")."""
    if not outlet:
        return False
    known = find_outlet(outlet)
    if known is not None:
        return known.owns(url)
    return Site(url).is_named(outlet)


def same_outlet(a: str, b: str) -> bool:
    """Whether two URLs (or hosts) are on one outlet's sites: one registrable domain, or hosts the outlets
    data gives to the same outlet. ``foo.example.org`` and ``bar.example.com`` are two outlets."""
    if same_registrable_domain(a, b):
        return True
    outlet = outlet_of_url(a)
    return outlet is not None and outlet.owns(b)


def _compact(name: str) -> str:
    return re.sub(r"[\W_]+", "", name_key(name))


def valid_url(url: str | None) -> bool:
    """An http(s) URL whose host has no empty or malformed label (``https://.example.de/`` has one)."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host or host.endswith(".."):
        return False
    return all(_LABEL.match(label) for label in host.rstrip(".").split("."))


def is_article_url(url: str) -> bool:
    """A page that can be an article: not a site's home page, not a file, not a DOI or preprint host."""
    if not valid_url(url):
        return False
    parts = urlsplit(url)
    if not parts.path.strip("/") and not parts.query:
        return False
    if _FILE.search(parts.path):
        return False
    return registrable_domain(url) not in _data()["not_article_hosts"] and bare_host(url) not in _data()[
        "not_article_hosts"]


def outlet_name(url: str) -> str:
    """The outlet a URL is on: its name from the outlets data, else its host without "www."."""
    outlet = outlet_of_url(url)
    return outlet.name if outlet is not None else bare_host(url)


def not_an_article_type(types: Iterable[str]) -> bool:
    """Whether JSON-LD types name a cited work (a study, a dataset, a book), not an article."""
    return bool(set(types) & set(_data()["not_articles"]))


# -- mirrors ---------------------------------------------------------------------------------------


def mirror_of(url: str) -> Evidence | None:
    """A web archive's snapshot of another page: evidence naming that page (the snapshot's original)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    for archive in _data()["mirror"]:
        if host not in archive["hosts"]:
            continue
        match = re.match(archive["path"], parts.path)
        if match is None:
            continue
        original = match["url"]
        # the archive keeps "http://" as written; collapsed slashes ("http:/x") and a missing scheme happen
        original = re.sub(r"^(https?):/+", r"\1://", original, flags=re.I)
        if not re.match(r"https?://", original, re.I):
            original = "http://" + original
        if parts.query:
            original += "?" + parts.query
        if not valid_url(original):
            return None
        return Evidence("mirror", {"url": original, "outlet": outlet_name(original), "archive": host,
                                   "timestamp": match["timestamp"]})
    return None


# -- datelines -------------------------------------------------------------------------------------

# "WASHINGTON (AP) —", "Montpellier (SID) –", "(Reuters) -", "MADRID, 3 nov (EFE).-", "Bogotá (dpa) -"
_DATELINE = re.compile(
    r"^(?P<head>(?:[^\W\d_][^()\n!?]{0,80}?)?\s*\((?P<credit>[^()\n]{1,40})\)\s*\.?\s*(?:--?|[–—]|:)\s)")
# "KVELLER via JTA —": the original outlet, then the agency it came through
_VIA = re.compile(
    r"^(?P<head>(?P<outlet>[^\W\d_][^()\n.!?]{0,60}?)\s+via\s+(?P<via>[^()\n.!?]{1,40}?)\s*(?:--?|[–—])\s)")
_CREDIT_SPLIT = re.compile(r"\s*(?:/|,|;|&|\band\b|\bund\b|\by\b|\bet\b)\s*", re.I)
_DATELINE_PARAGRAPHS = 3


def dateline_evidence(tree: LexborHTMLParser, text: str, site: Site, lead: str | None = None
                      ) -> list[Evidence]:
    """The wire or outlet a dateline at the head of the body credits, and the page it links to if any.

    A known agency or outlet (outlets data) counts unless it is the site's own; an unknown name ("KTVI")
    counts only when the dateline links it to an article on another site: a station's own call sign on its
    own site ("AUSTIN (KXAN) —") names no original. ``lead``: the page's description, looked at after
    the body's first paragraphs.
    """
    paragraphs = [p for p in text.split("\n") if p.strip()][:_DATELINE_PARAGRAPHS]
    # the lead as the page describes itself: a teaser holding the dateline is often left out of the body
    for para in [*paragraphs, *([lead] if lead else [])]:
        para = para.strip()
        via = _VIA.match(para)
        if via is not None:
            found = _via_evidence(tree, via, site)
            if found:
                return found
        match = _DATELINE.match(para)
        if match is None:
            continue
        links = _links_in_head(tree, match["head"], site)
        found = []
        for name in _CREDIT_SPLIT.split(match["credit"]):
            name = name.strip()
            outlet = find_outlet(name)
            url = links.get(name_key(name))
            if outlet is not None and (site.is_named(outlet.name) or outlet.owns(site.url)):
                continue
            if outlet is None and url is None:
                continue
            detail: dict[str, Any] = {"outlet": outlet.name if outlet else name,
                                      "text": match["head"].strip()}
            if url:
                detail["url"] = url
            found.append(Evidence("dateline", detail))
        if found:
            return found
    return []


def _via_evidence(tree: LexborHTMLParser, via: re.Match[str], site: Site) -> list[Evidence]:
    outlet_text, agency_text = via["outlet"].strip(), via["via"].strip()
    agency = find_outlet(agency_text)
    if agency is None or site.is_named(outlet_text):
        return []
    known = find_outlet(outlet_text)
    detail: dict[str, Any] = {"outlet": known.name if known else outlet_text.title() if outlet_text.isupper()
                              else outlet_text, "via": agency.name, "text": via["head"].strip()}
    url = _links_in_head(tree, via["head"], site).get(name_key(outlet_text))
    if url:
        detail["url"] = url
    return [Evidence("dateline", detail)]


def _links_in_head(tree: LexborHTMLParser, head: str, site: Site) -> dict[str, str]:
    """Off-site article links inside a dateline, by the name key of their anchor text."""
    start = squash(head)[:40]
    body = tree.body
    if body is None or not start:
        return {}
    for node in body.css("p")[:80]:
        text = squash(node.text(deep=True))
        if not text.startswith(start):
            continue
        links = {}
        for anchor in node.css("a[href]"):
            anchor_text = squash(anchor.text(deep=True)).strip("() ")
            href = join_url(site.url, anchor.attributes.get("href") or "")
            if anchor_text and href and anchor_text in head and is_article_url(href) and not site.owns(href):
                links[name_key(anchor_text)] = href
        return links
    return {}


# -- credits ---------------------------------------------------------------------------------------


def credit_evidence(credits: Iterable[str], byline: str | None, site: Site, seen: Iterable[Evidence]
                    ) -> list[Evidence]:
    """Each wire or outlet the byline credits that is not the site's own: ``byline-credit`` evidence.
    Credits a dateline already gave as evidence are not counted twice."""
    already = {name_key(e.outlet) for e in seen if e.outlet}
    found = []
    for credit in credits:
        outlet: Outlet | None = find_outlet(credit)
        if outlet is None or outlet.owns(site.url) or site.is_named(outlet.name):
            continue
        if name_key(outlet.name) in already:
            continue
        already.add(name_key(outlet.name))
        found.append(Evidence("byline-credit", {"outlet": outlet.name, "text": byline or credit}))
    return found


# -- lines and anchors -----------------------------------------------------------------------------


def line_evidence(
    tree: LexborHTMLParser, site: Site, page_text: str, low: str | None = None
) -> list[Evidence]:
    """Source lines, "Provided by" lines and "Read the original" anchors of the page (see the module doc);
    ``page_text`` is the body's text, ``low`` its ``lower()`` when the caller has it.

    Only text nodes that start with one of the phrases are looked at, and only their block: the whole
    page is never read block by block.
    """
    body = tree.body
    # the phrases' first words looked for in the page's text rule most pages out at once (a regular
    # expression of all the phrases, tried at every position of the text, cost 40 ms a page)
    if body is None:
        return []
    if not _may_hold_a_line(page_text.lower() if low is None else low):
        return []
    found: list[Evidence] = []
    seen: set[int] = set()
    for node in _starting_blocks(body):
        if node.mem_id in seen or _in_boilerplate(node):
            continue
        seen.add(node.mem_id)
        text = squash(node.text(deep=True))
        if not text or len(text) > _MAX_LINE:
            continue
        found.extend(_anchor_evidence(node, text, site) or _source_line(node, text, site)
                     or _provided_by(node, text, site))
    return _dedupe(found)


def _starting_blocks(body: LexborNode) -> Iterator[LexborNode]:
    """The block (or anchor) of each text node that starts with a phrase."""
    start, separated = _patterns()["start"], _patterns()["separated"]
    for leaf in body.traverse(include_text=True):
        if leaf.tag != "-text":
            continue
        content = (leaf.text_content or "").strip()
        # "separated" ends at a colon: a text node without one is not tried
        if not content or not (start.match(content) or (":" in content and separated.search(content))):
            continue
        node = leaf.parent
        # up to the line that holds the phrase: from <strong>Quelle:</strong> to its <p>
        while node is not None and node.tag not in _BLOCK_TAGS:
            node = node.parent
        while (node is not None and node.tag in _INLINE and node.parent is not None
               and node.parent.tag not in ("body", "html")
               and len(squash(node.parent.text(deep=True))) <= _MAX_LINE):
            node = node.parent
        if node is not None:
            yield node


def _anchor_evidence(node: LexborNode, text: str, site: Site) -> list[Evidence]:
    """An anchor whose own text is "Source link", "Read the original"… linking another site's article."""
    anchors = [node] if node.tag == "a" else node.css("a[href]")
    phrases = {p.casefold() for p in _data()["source_links"]}
    for anchor in anchors:
        anchor_text = squash(anchor.text(deep=True)).strip(" .:»›→>«‹←<[]()").casefold()
        if anchor_text not in phrases:
            continue
        href = join_url(site.url, anchor.attributes.get("href") or "")
        if href and is_article_url(href) and not site.owns(href):
            return [Evidence("text-line", {"url": href, "outlet": outlet_name(href), "text": text})]
    return []


def _source_line(node: LexborNode, text: str, site: Site) -> list[Evidence]:
    """ "Quelle: <a href=…>title</a>", "Source: https://…", "Quelle: Pressemitteilung X", "Quelle: kathpress"
    (an agency)."""
    match = _patterns()["source_line"].search(text)
    if match is None:
        return []
    rest = match["rest"].strip()
    release = _patterns()["release"].search(match.group(0)) is not None  # "Quelle der Polizeimeldung: X"
    for anchor in ([node] if node.tag == "a" else node.css("a[href]")):
        href = join_url(site.url, anchor.attributes.get("href") or "")
        if not (href and is_article_url(href) and not site.owns(href)):
            continue
        # A link whose text is the original's title or address says where the text came from; one whose
        # text is a name ("Quelle: Golem", "Source: Russian Defense Ministry") cites a source of facts,
        # unless it names a press release.
        if release or _titles_a_page(squash(anchor.text(deep=True))):
            return [Evidence("text-line", {"url": href, "outlet": outlet_name(href), "text": text})]
    plain = re.match(r"(https?://\S+)", rest)
    if plain:
        href = plain.group(1).rstrip(".,;)")
        if is_article_url(href) and not site.owns(href):
            return [Evidence("text-line", {"url": href, "outlet": outlet_name(href), "text": text})]
        return []
    name = _named_source(rest)
    if not name or site.is_named(name):
        return []
    outlet = find_outlet(name)
    if release:
        return [Evidence("text-line", {"outlet": outlet.name if outlet else name, "text": text})]
    if outlet is not None and outlet.is_agency and not outlet.owns(site.url):
        return [Evidence("text-line", {"outlet": outlet.name, "text": text})]
    return []


_TRAILING_DATE = re.compile(
    r"(?:,\s*|\s+)(?:[^\W\d_]+\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}\.?\s+[^\W\d_]+\.?\s+\d{4}"
    r"|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2})\s*$")


def _titles_a_page(anchor_text: str) -> bool:
    """Whether an anchor's text is a page's title or address rather than a name: an address, or four
    words or more that are not a known outlet's name."""
    text = re.sub(r"^(?:[^\W\d_]+(?:\s+[^\W\d_]+){0,2})\s*:\s*", "", anchor_text).strip()
    if re.match(r"(?:https?://|www\.)\S+$", text):
        return True
    text = _TRAILING_DATE.sub("", text)  # "Russian Defense Ministry, October 25, 2019": a dated name
    return len(text.split()) >= 4 and find_outlet(text) is None


def _named_source(rest: str) -> str | None:
    """The organisation a source line names: its release words, a date and a trailing place dropped.
    "Technische Universität Darmstadt, Pressemitteilung" -> "Technische Universität Darmstadt"."""
    text = _patterns()["release"].sub(" ", rest)
    text = re.sub(r"\b(?:der|des|von|vom|of|from|de|del|du)\b\s*$", "", text.strip(), flags=re.I)
    first = re.split(r"\s*[,;|(]\s*|\s+[-–—]\s+", text.strip(" .:"), maxsplit=1)[0].strip(" .:")
    first = re.sub(r"^(?:der|des|von|vom|of|from|the)\s+", "", first, flags=re.I)
    if not first or len(first.split()) > 8 or not re.search(r"[^\W\d_]", first):
        return None
    return first


def _provided_by(node: LexborNode, text: str, site: Site) -> list[Evidence]:
    """An aggregator's "Provided by European Space Agency" line: the provider is the original's outlet."""
    match = _patterns()["provided_by"].match(text)
    if match is None:
        return []
    name = re.split(r"\s*[,;|(]\s*|\.\s", match["rest"].strip(), maxsplit=1)[0].strip(" .:")
    if not name or len(name.split()) > 8 or site.is_named(name):
        return []
    outlet = find_outlet(name)
    detail: dict[str, Any] = {"outlet": outlet.name if outlet else name, "text": text}
    for anchor in node.css("a[href]"):
        if not squash(anchor.text(deep=True)):
            continue  # an icon's link to the provider's site, not to the article
        href = join_url(site.url, anchor.attributes.get("href") or "")
        if href and is_article_url(href) and not site.owns(href):
            detail["url"] = href
            break
    return [Evidence("aggregator", detail)]


def title_evidence(tree: LexborHTMLParser, site: Site) -> list[Evidence]:
    """An aggregator's title that ends in its provider's name ("… | CNN"), a known outlet not its own."""
    node = tree.css_first("title")
    title = squash(node.text(deep=True)) if node is not None else ""
    match = re.search(r"\s(?:[|–—-]|::)\s*(?P<name>[^|–—-]{2,40})$", title)
    if match is None:
        return []
    outlet = find_outlet(match["name"].strip())
    if outlet is None or outlet.owns(site.url) or site.is_named(outlet.name):
        return []
    return [Evidence("aggregator", {"outlet": outlet.name, "text": title})]


def _in_boilerplate(node: LexborNode) -> bool:
    parent: LexborNode | None = node
    while parent is not None and parent.tag not in ("body", "html"):
        if parent.tag in _SKIP_TAGS:
            return True
        marks = f"{parent.attributes.get('class') or ''} {parent.attributes.get('id') or ''}".lower()
        if _SKIP_MARKS.intersection(re.split(r"[\s_]+", marks)):
            return True
        parent = parent.parent
    return False


def _dedupe(items: list[Evidence]) -> list[Evidence]:
    seen: set[tuple[str, str | None, str | None]] = set()
    out = []
    for item in items:
        key = (item.kind, item.url, item.outlet)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
