"""Who wrote the page and who is credited: people in ``authors``, agencies and outlets in ``credits``.

Each source gives people and credits (``repub.extract.names`` reads the text); sources in the order of
trust below, the first that names a person gives the people:

1. JSON-LD ``author`` of the article object (Person: people; Organization: a credit when it is a known
   agency or outlet, else nobody: "RT", the site itself).
2. The author meta tags (``author``, ``article:author``, ``dc.creator``, Parse.ly, Sailthru, ``byl``,
   Yoast's Twitter card "Written by" / "Verfasst von").
3. The visible byline: the element marked as a byline or author (class, id, ``itemprop``, ``rel``)
   nearest after the headline, outside comments, teasers and author boxes; else a line after the
   headline that begins with a byline word ("By", "Von", "Por", "بقلم"), or a dated line with a name
   just after or above it ("04.02.2022 | 13:10 Uhr | Uta Helkenberg").
4. JSON-LD ``author`` of another object on the page (a WebPage's), then an author box ("About X"),
   then a Creative Commons licence's author anywhere on the page (a blog's sidebar), then a line an
   author label opens ("Autorin: X", "Text: X", "责任编辑： X"; not a book's data sheet), then the
   name on the post author's own comment (WordPress's ``bypostauthor``).

When no person, desk or agency signs the page, a byline, else the JSON-LD or meta author, that names
the site itself makes the site sign it (``desks``, ``site_signs``).

Credits are gathered from every source that names the page's authors: the JSON-LD and meta authors,
the visible byline, and the dateline and credit lines of the body (``credits_in_body``, called once
the body is known). ``byline`` is the visible byline as a reader sees it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from repub.extract.jsonld import resolve_ref, types_of
from repub.extract.names import (
    Names,
    Site,
    credits_of_line,
    dedupe,
    find_credit,
    parse_names,
    reporters,
    starts_with_byline_word,
    words,
)
from repub.extract.outlets import find_outlet
from repub.extract.textutil import BLOCK_TAGS, node_text, squash
from repub.hosts import ends_in_public_suffix

_AUTHOR_META = (
    "author", "article:author", "dc.creator", "dcterms.creator", "parsely-author", "sailthru.author",
    "byl", "cxenseparse:author", "dable:author", "shareaholic:article_author_name",
)
_ORGANIZATION_TYPES = frozenset({"Organization", "NewsMediaOrganization", "Corporation", "NGO", "NewsAgency"})
# A Creative Commons licence names the work's author: <a rel="cc:attributionURL">Jane Doe</a>.
_LICENCE_SELECTOR = '[rel~="cc:attributionURL"], [property="cc:attributionName"]'
# Elements marked as a byline or an author name, in any language's class names.
_BYLINE_SELECTOR = ", ".join(
    [f'[class*="{w}" i]' for w in ("author", "byline", "autor", "auteur", "verfasser", "writer", "byl")]
    + [f'[id*="{w}" i]' for w in ("author", "byline", "autor")]
    # Meta lines whose names count only after a byline word ("Posted by X", "Gespeichert von X"):
    + [f'[class*="{w}" i]' for w in ("meta", "submitted", "posted")]
    + ['[itemprop~="author"]', '[rel~="author"]', '[data-component*="byline" i]', '[data-testid*="author" i]',
       '[data-testid*="byline" i]']
    + [_LICENCE_SELECTOR]
)
# Selector lists are searched as :is(...): lexbor answers a list ("a, b") with an element once for each
# selector it matches (an <a itemprop="name"> twice for 'a, [itemprop="name"]', a "byline author" box
# three times above), :is() once, in document order, as fast.
_BYLINES = f":is({_BYLINE_SELECTOR})"
_HEADS_AND_BYLINES = f":is(h1, h2, h3, {_BYLINE_SELECTOR})"
_NAME_PARTS = ':is(a, [itemprop="name"])'
# Class and id words (whole, or between "-" and "_") of containers whose bylines are not the article's:
# comments, teasers of other articles, navigation, sidebars.
_ELSEWHERE_WORDS = frozenset(
    {
        "comment", "comments", "commentlist", "kommentar", "kommentare", "reply", "replies", "respond",
        "discussion", "related", "teaser", "teasers", "recommended", "recommendations", "recirculation",
        "popular", "trending", "listing", "newsletter", "promo", "breadcrumb", "breadcrumbs",
        "navigation", "navbar", "menu", "sidebar", "carousel", "slider", "latest", "card", "cards", "more",
    }
)
_ELSEWHERE_PARTS = ("comment", "kommentar")  # also inside a word: "sect_commentlinks", "commentlist"
_ELSEWHERE_TAGS = frozenset({"nav", "aside", "form"})
# Class words of an author box (a bio, a card with the author's photo): evidence, but not the byline.
_BOX_WORDS = frozenset(
    {"bio", "biography", "box", "about", "card", "avatar", "description", "social", "follow", "signature"}
)
_MEDIA_TAGS = frozenset({"figure", "figcaption", "picture", "video", "audio"})
_MEDIA_WORDS = frozenset(
    {"img", "bild", "figure", "mediabox", "videobox"}
)
_MEDIA_PARTS = ("image", "photo", "foto", "picture")  # also inside a word: "imagecredit", "fotoautor"
_CLASS_WORDS = re.compile(r"[^\W_]+")
_HEADS = frozenset({"h1", "h2", "h3"})
_NOT_TEXT = frozenset({"script", "style", "noscript", "template", "svg", "button", "select", "time"})
_AUTHOR_ATTR = re.compile(r"\bauthor\b|cc:attribution", re.I)
_BYLINE_MARK = re.compile(r"author|byline|autor|auteur|verfasser|writer|byl", re.I)
_DATE = re.compile(r"\b\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})\b|\b\d{4}-\d{2}-\d{2}\b")
# a date's and a time's tokens and the separators between them and the name: "11.12.2019", "13:10", "|"
_DATE_PART = re.compile(r"[\d.,:/\-]+|[-–—|·]")
_DASH_BEFORE_NAME = re.compile(r"\s[-–—|·]\s+$")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,;.:!?)\]])")
# "first.last": a CMS login as a declared Person's name (not a domain name: "correctiv.org")
_DOTTED_LOGIN = re.compile(r"([a-zäöüß]{2,})\.([a-zäöüß]{2,})")
_TWITTER_LABELS = 4  # twitter:label1..4 (Yoast writes two)
_MAX_BYLINE = 200  # longer elements are bios or containers
_NEAR_TITLE_CHARS = 400
_ABOVE_TITLE_CHARS = 160
_ABOVE_TITLE_LEVELS = 2
_MAX_LINE = 120  # a longer text is no byline line
# a date, a time and their separators opening a line: "05.02.2020 - ", "04.02.2022 | 13:10 Uhr | "
_LEADING_DATE = re.compile(r"^[\d.,:/ ]+(?:uhr\s*)?[-–—|·]?\s*", re.I)


@dataclass
class Authorship:
    authors: list[str] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)
    byline: str | None = None  # the visible byline as printed
    # The site's own desk or team that signs the page when no person does ("Redaktion",
    # "PETA-Team"): Extracted.org_authors.
    desks: list[str] = field(default_factory=list)
    site_signs: bool = False  # ``desks`` is the site's own name, signing when nobody else does


@dataclass
class _Page:
    tree: LexborHTMLParser
    art: dict[str, Any]
    blocks: list[dict[str, Any]]
    ids: dict[str, dict[str, Any]]
    meta: dict[str, list[str]]
    site: Site
    language: str | None
    title: str | None
    headline: LexborNode | None = None
    article: set[int] = field(default_factory=set)  # the headline and its ancestors (mem_id)
    # the site's name, from the first byline that names only the site itself ("von AUTO ZEITUNG")
    signed_by_site: str | None = None

    # parse_names' answers by (text, visible): half the texts come twice (an element and its innermost
    # marked child, a link in a byline both read alone and as a part).
    parsed: dict[tuple[str, bool], Names] = field(default_factory=dict)
    bylines: list[LexborNode] | None = None  # heads_and_bylines(), once asked for

    def __post_init__(self) -> None:
        self.headline = _headline(self)
        self.article = _ancestor_ids(self.headline) if self.headline is not None else set()

    def heads_and_bylines(self) -> list[LexborNode]:
        """The h1-h3 and the byline-marked elements, in document order: one pass over the page (~0.8 ms)
        for the visible byline and the author box."""
        if self.bylines is None:
            self.bylines = self.tree.css(_HEADS_AND_BYLINES)
        return self.bylines

    def names(self, text: str, *, visible: bool = False) -> Names:
        """``parse_names`` of ``text`` on this page (a fresh copy: callers extend what they get)."""
        key = (text, visible)
        if key not in self.parsed:
            self.parsed[key] = parse_names(text, self.site, self.language, visible=visible)
        found = self.parsed[key]
        return Names(list(found.people), list(found.credits), list(found.desks), list(found.own))


def read_authorship(
    tree: LexborHTMLParser,
    art: dict[str, Any],
    blocks: list[dict[str, Any]],
    ids: dict[str, dict[str, Any]],
    meta: dict[str, list[str]],
    *,
    site: Site | None = None,
    language: str | None = None,
    title: str | None = None,
    people: bool = True,
) -> Authorship:
    """The page's authors, credits and visible byline (``art``: the JSON-LD article object; ``ids``:
    the JSON-LD objects by ``@id``; ``meta``: the meta tags by key, lowercase keys included).

    ``people=False``: the caller has the page's people from elsewhere (a site rule read its byline):
    only the credits and the printed byline are read, and no person, desk or site signature is looked
    for (the fallbacks after the byline cost ~1 ms a page where nothing names anyone, as on TMS)."""
    page = _Page(tree, art, blocks, ids, meta, site or Site(), language, title)
    sources = Sources(page)
    credits = [c for name in CREDIT_SOURCES for c in sources[name].credits]
    if not people:
        return Authorship([], dedupe(credits), sources.byline_text or None)
    byline = sources["byline"]
    chosen = next((names for names in map(sources.__getitem__, TRUST) if names.people), Names())
    if _names_more(byline, chosen) or _same_people(byline, chosen):
        # the byline prints everyone the metadata names, and more; or the same people, as printed
        chosen = Names(byline.people, chosen.credits)
    if chosen.people and all(p.isupper() for p in chosen.people):
        # "VICTOR TANGERMANN" printed in capitals, "Victor Tangermann" in the meta tags: the latter
        keys = [_key(p) for p in chosen.people]
        for other in map(sources.__getitem__, TRUST):
            if [_key(p) for p in other.people] == keys and not any(p.isupper() for p in other.people):
                chosen = Names(other.people, chosen.credits)
                break
    desks: list[str] = []
    if not chosen.people:
        # No person signs the page: the first source (same order of trust) that names a desk or team
        chosen = next((names for names in map(sources.__getitem__, TRUST) if names.desks), chosen)
        desks = dedupe(chosen.desks)
    printed = sources.byline_text or (sources.meta_line_text if chosen is sources["meta_line"] else "")
    signed = page.signed_by_site or _declared_site(sources) if not chosen.people else None
    if not desks and not credits and signed:
        # No person, desk or agency signs it, but a byline names the site itself, or else the page's
        # JSON-LD or meta author does: the site signs it. Its text is no person's byline: the body's
        # own closing "Von Jane Doe" still names the author.
        desks = [signed]
    site_signs = bool(signed) and desks == [signed]
    return Authorship(list(chosen.people), dedupe(credits), printed or None, desks, site_signs)


TRUST = (
    "jsonld", "byline", "other_jsonld", "meta", "meta_line", "box", "licence", "labelled",
    "post_author_comment",
)
CREDIT_SOURCES = ("jsonld", "meta", "byline")


def _declared_site(sources: Sources) -> str | None:
    """The site's own name where the page's JSON-LD or meta author declares it and nobody else
    ("Deutscher Tennis Bund" in the author meta tag of dtb-tennis.de), or where the post's author
    goes by it in the comments ("happyface313" on happyface313.com)."""
    for name in ("jsonld", "meta", "post_author_comment"):
        if len(sources[name].own) == 1:
            return sources[name].own[0]
    return None


class Sources:
    """Each source's people and credits, read when first asked for (most pages stop at JSON-LD or
    the byline, which are always read: the byline for its printed text)."""

    def __init__(self, page: _Page) -> None:
        self.page = page
        (self.byline_text, byline), (self.meta_line_text, meta_line) = _visible_byline(page)
        self._found: dict[str, Names] = {"byline": byline, "meta_line": meta_line}

    def __getitem__(self, name: str) -> Names:
        if name not in self._found:
            self._found[name] = _READERS[name](self.page)
        return self._found[name]


def _same_people(byline: Names, chosen: Names) -> bool:
    """The same names in a better form: "TOM KRISHER" or "arianschlichenmayer" declared, "Tom Krisher"
    or "Arian Schlichenmayer" printed (a name printed in capitals keeps the declared form)."""
    return (
        bool(chosen.people) and [_key(p) for p in byline.people] == [_key(p) for p in chosen.people]
        and not any(p.isupper() for p in byline.people)
    )


def _names_more(byline: Names, chosen: Names) -> bool:
    mine = {p.casefold() for p in byline.people}
    theirs = {p.casefold() for p in chosen.people}
    return bool(theirs) and theirs < mine


def names_in_body(
    body: str, language: str | None = None, site: Site | None = None, *, url: str | None = None
) -> Names:
    """The people and agencies a body names in its own byline lines: a dateline ("WASHINGTON (AP) —",
    "Berlin (dpa) -"), a first or last line that is a byline ("By Reuters", "Von Cosima Künzel",
    "Autor: Jane Doe"), a closing credit line ("(dpa)", "Quelle: AFP") and, when no line names a
    person, a last paragraph that is a name alone (``_sign_off``: "Stefan Wasmer"; 5 of the 101
    authorless pages of ../shared/bench/metadata, and no other page's author changed). A sentence
    that cites an agency ("told Reuters", "destacó AFP") names nobody. A closing credit line that names
    the page's own outlet (``url``'s) first and an agency after it ("(FR mit dpa)" on fr.de,
    "FMW/Bloomberg" on finanzmarktwelt.de) is the outlet's own article using wire material: it credits
    nobody."""
    paras = [p for p in body.split("\n\n") if p.strip()]
    out = Names()
    site = site or Site()
    # A CJK dateline or sign-off ("[서울=뉴시스] 홍길동 기자", "〔記者巫其倫／台北報導〕"), after a date or a
    # caption at most, before a copyright line at most.
    for para in paras[:3]:
        _add(out, reporters(para[:_CJK_SPAN]))
    for para in paras[-3:]:
        _add(out, reporters(para[-_CJK_SPAN:]))
    for para in paras[:2]:
        if match := _DATELINE.match(para):
            out.credits.extend(credits_of_line(match["who"], language))
        elif len(para) < _BODY_BYLINE and starts_with_byline_word(para, language):
            _add(out, parse_names(para, site, language, visible=True))
    # The last paragraphs: the credit line may be followed by a network's or a photo's note.
    last = paras[-4:] if len(paras) > 2 else paras[1:]
    for at, para in enumerate(last):
        out.credits.extend(_not_own_first(credits_of_line(para, language), url))
        if match := _CLOSING_CREDIT.search(para):
            out.credits.extend(_not_own_first(credits_of_line(match["who"], language), url))
        elif at >= len(last) - 2 and len(para) < _BODY_BYLINE and starts_with_byline_word(para, language):
            _add(out, parse_names(para, site, language, visible=True))  # the closing "Von Jane Doe"
    if not out.people and len(paras) > 2:
        _add(out, _sign_off(paras[-1], site, language))
    out.credits = dedupe(out.credits)
    return out


def _not_own_first(credits: list[str], url: str | None) -> list[str]:
    """One credit line's credits, none when it names the page's own outlet first ("FR mit dpa")."""
    if not credits or url is None:
        return credits
    first = find_outlet(credits[0])
    return [] if first is not None and first.owns(url) else credits


def _sign_off(para: str, site: Site, language: str | None) -> Names:
    """A body's last paragraph that is one person's full name and nothing else ("Stefan Wasmer",
    "<p><b>Marina Mucha</b></p>" after the text), or a name after closing words ("Euer HansEhrlich"):
    the author signing off. Letters, dots, hyphens and apostrophes only: "Copyright: X" is a credit."""
    text = para.strip()
    closing = words(language).sign_off.match(text)
    name = text[closing.end():] if closing else text
    if len(text) > _SIGN_OFF_CHARS or not _SIGNATURE.fullmatch(name):
        return Names()
    if not (closing or 2 <= len(name.split()) <= 3):
        return Names()
    names = parse_names(name, site, language, visible=not closing)
    if names.people == [name] and not names.credits and not names.desks:
        return Names(people=[name])
    return Names()


def credits_after_body(
    tree: LexborHTMLParser, body: str, language: str | None = None, *, url: str | None = None,
    page_text: str | None = None,
) -> list[str]:
    """The agencies of a closing credit in parentheses that the body's extraction left out as too short
    to be text: "(SID)" after a "Das könnte Dich auch interessieren" link, "(KNA, DR)" after the last
    paragraph. Read in the text of the last paragraph's element and its containers, right after it.
    ``page_text``: the text of the page's <body> when the caller has read it."""
    paras = [p for p in body.split("\n\n") if p.strip()]
    if not paras:
        return []
    # the end of the last paragraph, as the page prints it (no quote to escape in the selector)
    tail = re.split(r'["\\]', squash(paras[-1])[-_KEY_CHARS:])[-1].strip()
    if page_text is None:
        page_text = tree.body.text(deep=True) if tree.body is not None else ""
    if len(tail) < _MIN_KEY_CHARS or not _paren_after(page_text, tail):
        return []
    # lexbor matches in C (no walk over every element); the innermost, last in document order, not a
    # script's copy of the text (a page's JSON state)
    found = [n for n in tree.css(f'*:lexbor-contains("{tail}")') if n.tag not in _NOT_TEXT]
    node = found[-1] if found else None
    for _ in range(_CREDIT_LEVELS):
        if node is None or node.tag in ("body", "html"):
            break
        # inline elements read apart: "( KNA , DR )"
        text = _SPACED_PUNCT.sub(r"\1", squash(node.text(deep=True, separator=" "))).replace("( ", "(")
        at = text.rfind(tail)
        if at >= 0 and (match := _CREDIT_AFTER.search(text, at + len(tail), at + len(tail) + _AFTER_CHARS)):
            return _not_own_first(credits_of_line(match["who"], language), url)
        node = node.parent
    return []


def _paren_after(raw: str, tail: str) -> bool:
    """Whether a "(" may follow ``tail`` within reach in the page's text (``raw``, its <body>'s text):
    most pages have none, and the element search below costs ~1.5 ms a page. The page's raw text joins
    elements with no separator, so the tail's words are matched with any whitespace (or none) between
    them; a tail not found there, or followed by little but whitespace, is left to the full search."""
    pattern = re.compile(r"\s*".join(map(re.escape, tail.split())))
    reach = _AFTER_CHARS + 40
    seen = False
    for match in pattern.finditer(raw):
        seen = True
        # the squashed text after the tail, read a tenth at a time: the squash of a prefix is a prefix of
        # the whole's, so once it holds ``reach`` characters they are the whole's first ones
        for end in (_RAW_AFTER // 10, _RAW_AFTER):
            after = squash(raw[match.end(): match.end() + end])
            if len(after) > reach:
                break
        if "(" in after[:reach] or len(after) < reach:
            return True
    return not seen


_KEY_CHARS = 40
_RAW_AFTER = 4000  # raw characters read after the tail (indentation between elements counts)
_MIN_KEY_CHARS = 12
_CREDIT_LEVELS = 6  # the paragraph and its containers up to the article's
_AFTER_CHARS = 160  # a "read also" link at most between the last paragraph and the credit
_SPACED_PUNCT = re.compile(r"\s+([,;.:!?)])")
_CREDIT_AFTER = re.compile(r"(?:^|\s)\((?P<who>[^()]{2,40})\)(?=\s|$)")


def others_credits(credits: list[str], url: str) -> list[str]:
    """The credits without the page's own outlet: "SWR" on swr.de, "Reuters" on reuters.com credit
    nobody else (outlets.toml knows each one's own sites)."""
    return [c for c in credits if not ((outlet := find_outlet(c)) and outlet.owns(url))]


def credits_in_body(body: str, language: str | None = None) -> list[str]:
    """The agencies of ``names_in_body``."""
    return names_in_body(body, language).credits


_BODY_BYLINE = 80  # a longer paragraph is text, not a byline line
_SIGN_OFF_CHARS = 40  # a name alone as the last paragraph
# Words of letters joined by dots, apostrophes, hyphens or spaces ("J.R. Stone", "Anne-Marie O’Neil",
# "Martin Luther King Jr."). Each separator starts with a character no word has, so the match never
# backtracks: a run of dots before a digit fails at once (a looser form took seconds on 22 dots).
_SIGNATURE = re.compile(r"[^\W\d_]+(?:(?:[.'’-]+\s*|\s+)[^\W\d_]+)*\.?")
_CJK_SPAN = 60  # characters of the first and last paragraph read for a CJK dateline or sign-off
# "WASHINGTON (AP) —", "Berlin (dpa/tmn) -", "MADRID, 3 may (EFE).-", "(Reuters) -": a place and a
# date at most before the agency in parentheses, then a dash or a colon.
_DATELINE = re.compile(r"^[^()\n]{0,60}?\((?P<who>[^()]{2,40})\)\s*\.?\s*[-–—:]")
_CLOSING_CREDIT = re.compile(r"\((?P<who>[^()]{2,40})\)\s*$")


# --------------------------------------------------------------------------------------- metadata


def _article_authors(page: _Page) -> Names:
    return _jsonld_authors(page, page.art)


def _jsonld_authors(page: _Page, obj: dict[str, Any]) -> Names:
    out = Names()
    for item in _items(page, obj.get("author") or obj.get("creator")):
        if isinstance(item, dict):
            name = _person_name(item)
            if not name:
                continue
            if types_of(item) & _ORGANIZATION_TYPES:
                # Never a person: RT's news pages name {"@type": "Organization", "name": "RT"}.
                if credit := find_credit(name):
                    out.credits.append(credit.name)
                else:
                    # a desk ("Redaktion Gelbe Liste"), not the publisher again ("OÖ Volksblatt", "LN"),
                    # or the site itself
                    found = page.names(name)
                    out.desks.extend(found.desks)
                    out.own.extend(found.own)
                continue
            _add(out, page.names(name))
        elif isinstance(item, str):
            _add(out, page.names(item))
    return out


def _items(page: _Page, raw: Any) -> Iterator[Any]:
    """A JSON-LD value's items (one or a list), each ``{"@id": ...}`` reference resolved."""
    for item in raw if isinstance(raw, list) else [raw]:
        yield resolve_ref(item, page.ids)


def _person_name(obj: dict[str, Any]) -> str | None:
    name = obj.get("name")
    if isinstance(name, list):
        name = next((n for n in name if isinstance(n, str)), None)
    if isinstance(name, str) and name.strip():
        login = _DOTTED_LOGIN.fullmatch(name.strip())
        if login and "Person" in types_of(obj) and not ends_in_public_suffix(name):
            # a CMS login declared as a Person's name: "robert.stitz" is Robert Stitz
            return f"{login[1].capitalize()} {login[2].capitalize()}"
        return name
    parts = [obj.get(k) for k in ("givenName", "additionalName", "familyName")]
    joined = " ".join(p for p in parts if isinstance(p, str) and p.strip())
    return joined or None


def _meta_authors(page: _Page) -> Names:
    out = Names()
    for key in _AUTHOR_META:
        for value in page.meta.get(key, []):
            _add(out, page.names(value))
    for value in _labelled_meta(page):
        _add(out, page.names(value))
    # the page's JSON-LD declares it an Organization ("OÖ Volksblatt" in Yoast's "Verfasst von")
    organizations = {_key(name) for name in _jsonld_organizations(page)}
    out.people = [p for p in out.people if _key(p) not in organizations]
    return out


def _jsonld_organizations(page: _Page) -> Iterator[str]:
    """The names of the Organizations the page's JSON-LD declares as an author or a publisher."""
    for obj in page.blocks:
        for key in ("author", "creator", "publisher"):
            for item in _items(page, obj.get(key)):
                if isinstance(item, dict) and types_of(item) & _ORGANIZATION_TYPES and (
                    name := _person_name(item)
                ):
                    yield name


def _labelled_meta(page: _Page) -> Iterator[str]:
    """The values of Twitter's label/data card pairs whose label is byline words only ("Written by",
    "Verfasst von": Yoast SEO prints the post's author there, often as the only author meta tag)."""
    for number in range(1, _TWITTER_LABELS + 1):
        labels = page.meta.get(f"twitter:label{number}", [])
        values = page.meta.get(f"twitter:data{number}", [])
        if labels and values and words(page.language).byline_run.fullmatch(labels[0].strip(" :") + " "):
            yield values[0]


def _other_jsonld_authors(page: _Page) -> Names:
    out = Names()
    for obj in page.blocks:
        if obj is not page.art and ("author" in obj or "creator" in obj):
            _add(out, _jsonld_authors(page, obj))
    return out


# ----------------------------------------------------------------------------------- visible byline


def _visible_byline(page: _Page) -> tuple[tuple[str, Names], tuple[str, Names]]:
    """The byline element nearest after the headline, else a byline line just after it, else the
    nearest byline element before it; and apart, the same among meta lines that no class marks
    as a byline ("entry-meta": "Von R. R. am 3. Mai"), a weaker source."""
    headline, article = page.headline, page.article
    title_seen = headline is None
    before: tuple[str, Names] | None = None
    weak: tuple[str, Names] | None = None
    for node in page.heads_and_bylines():
        if headline is not None and node == headline:
            title_seen = True
            continue
        marked = bool(_BYLINE_MARK.search(_marks(node)) or _AUTHOR_ATTR.search(_attrs(node)))
        if node.tag in ("h1", "h2", "h3") and not marked:
            continue
        if (not marked and weak and title_seen) or _elsewhere(node, article) or _is_box(node):
            continue
        if _in_media(node, article) or (found := _read_byline_node(node, page)) is None:
            continue
        if not marked:
            weak = found if title_seen or weak is None else weak
            continue
        found = _innermost(node, found, page)
        if title_seen:
            return found, weak or ("", Names())
        before = found
    return _near_title(page, headline) or before or ("", Names()), weak or ("", Names())


def _innermost(node: LexborNode, found: tuple[str, Names], page: _Page) -> tuple[str, Names]:
    """The byline as printed by the innermost marked element that names the same people: not the
    container's run of buttons and dates around it."""
    want = {p.casefold() for p in found[1].people}
    best = found
    for inner in node.css(_BYLINES)[1:]:
        got = _read_byline_node(inner, page)
        if got is not None and {p.casefold() for p in got[1].people} == want and len(got[0]) <= len(best[0]):
            best = (got[0], Names(found[1].people, found[1].credits or got[1].credits, found[1].desks))
    return best


def _headline(page: _Page) -> LexborNode | None:
    """The article's headline: the first h1-h3 that reads like the title, else the first h1."""
    heads = page.tree.css("h1, h2, h3")
    if page.title:
        key = _key(page.title)
        for head in heads:
            text = _key(head.text(deep=True))
            if len(text) > 3 and (text in key or key in text):
                return head
    return next((h for h in heads if h.tag == "h1"), None)


def _ancestor_ids(node: LexborNode) -> set[int]:
    out = set()
    parent: LexborNode | None = node
    while parent is not None:
        out.add(parent.mem_id)
        parent = parent.parent
    return out


def _read_byline_node(node: LexborNode, page: _Page) -> tuple[str, Names] | None:
    text = _text_of(node)
    if not text or len(text) > _MAX_BYLINE:
        return None
    # A one-word name ("tlow", "Benni") is taken when it is all the element holds: an author element,
    # not a label beside a name.
    single = " " not in text and (
        _BYLINE_MARK.search(_marks(node)) is not None or _AUTHOR_ATTR.search(_attrs(node)) is not None
    )
    names = page.names(text, visible=not single)
    if not _BYLINE_MARK.search(_marks(node)) and not _AUTHOR_ATTR.search(_attrs(node)):
        # A meta line ("entry-meta", "submitted"): its names only after a byline word ("Von R. R. am")
        names = Names([p for p in names.people if _introduced(text, p)], names.credits)
        if not names.people:
            return None
    parts = _named_parts(node, page)
    if len(parts.people) > len(names.people) and all(
        any(p.casefold() in n.casefold() for n in names.people) for p in parts.people
    ):
        # Names side by side in separate elements with no separator: "Jane Doe John Roe".
        names = Names(parts.people, names.credits)
    if not names.people and not names.credits and not names.desks:
        _note_site_byline(page, names)
        return None
    return _as_printed(text, names), names


def _note_site_byline(page: _Page, names: Names) -> None:
    """Remember the first byline that names the site alone ("von AUTO ZEITUNG", "par Attac France")."""
    if page.signed_by_site is None and len(names.own) == 1:
        page.signed_by_site = names.own[0]


def _introduced(text: str, name: str) -> bool:
    """Whether a byline word comes right before ``name`` in ``text``: "Posted by Jane Doe on"."""
    at = text.find(name)
    before = text[max(0, at - 30):at].split("|")[-1].strip(" ·•,;")
    return at > 0 and starts_with_byline_word(f"{before} {name}")


def _named_parts(node: LexborNode, page: _Page) -> Names:
    """The names of a byline's links (or ``itemprop=name`` elements), one person each."""
    out = Names()
    parts = node.css(_NAME_PARTS)
    if len(parts) < 2:
        return out
    for part in parts:
        _add(out, page.names(_text_of(part), visible=True))
    return out


def _near_title(page: _Page, headline: LexborNode | None) -> tuple[str, Names] | None:
    """A short line right after the headline that begins with a byline word ("By Jane Doe", also
    after a date), is a date and a name, or names only an agency ("JIJI", "By Reuters"); else a dated
    line just above the headline that names a person."""
    if headline is None:
        return None
    seen = 0
    for text in _texts_after(headline):
        seen += len(text)
        if seen > _NEAR_TITLE_CHARS:
            break
        if len(text) > _MAX_LINE:
            continue
        if found := _byline_line(page, text):
            return found
        if len(text) > 2 and (credits := credits_of_line(text, page.language)):
            return text, Names(credits=credits)  # not a two-letter button ("AA", the text size)
    # The dated line just above the headline ("04.02.2022 | 13:10 Uhr | Uta Helkenberg"): people only,
    # in the few blocks the headline's container opens with.
    seen = 0
    for text in _texts_before(headline):
        seen += len(text)
        if seen > _ABOVE_TITLE_CHARS:
            break
        if _DATE.search(text) and (found := _byline_line(page, text)) and found[1].people:
            return found
    return None


def _byline_line(page: _Page, text: str) -> tuple[str, Names] | None:
    """A line that begins with a byline word, also after a date ("05.02.2020 - Redaktion: Jane Doe"),
    or that is a date and a name."""
    after_date = not starts_with_byline_word(text, page.language) and starts_with_byline_word(
        _LEADING_DATE.sub("", text), page.language
    )
    introduced = after_date or starts_with_byline_word(text, page.language)
    # names are read only where they could count: after a byline word, or on a dated line
    names = page.names(text, visible=True) if introduced or _DATE.search(text) else Names()
    if after_date and any(len(p.split()) > 3 for p in names.people):
        return None  # a date, "durch Stephan Markus Keine Kommentare Beliebte": a run of labels
    if names.people and (introduced or _dated_name(text, names, page.language)):
        return _as_printed(text, names), names
    if names.desks and introduced:
        return _as_printed(text, names), names  # "Von Redaktion"
    if introduced and not names.people:
        _note_site_byline(page, names)  # "Von AUTO ZEITUNG" under the headline
    return None


def _dated_name(text: str, names: Names, language: str | None) -> bool:
    """ "11.12.2019 - Amelie Loevenich", "04.02.2022 | 13:10 Uhr | Uta Helkenberg": a date (a time, and
    their words) and one full name last, nothing else."""
    person = names.people[0] if len(names.people) == 1 else ""
    if not 2 <= len(person.split()) <= 3 or any(t.isupper() for t in person.split()):
        return False
    before, name, after = text.partition(person)
    if not name or after.strip() or not _DATE.search(before) or not _DASH_BEFORE_NAME.search(before):
        return False
    date_words = words(language).date_words
    return all(_DATE_PART.fullmatch(t) or t.casefold() in date_words for t in before.split())


def _texts_before(node: LexborNode) -> Iterator[str]:
    """The texts of the blocks that precede ``node`` inside its container, nearest first (its earlier
    siblings, then its parent's, up to two levels up): never the page's navigation far above."""
    current: LexborNode | None = node
    for _ in range(_ABOVE_TITLE_LEVELS):
        if current is None or current.tag in ("body", "html"):
            return
        sibling = current.prev
        while sibling is not None:
            if sibling.tag not in _NOT_TEXT:
                blocks = list(_text_blocks(sibling))
                # a short block whole: "05.02.2020 <span>- Redaktion: Jane Doe</span>" is one line
                whole = " ".join(blocks)
                yield from [whole] if len(whole) <= _MAX_LINE else reversed(blocks)
            sibling = sibling.prev
        current = current.parent


def _texts_after(node: LexborNode) -> Iterator[str]:
    """The texts of the blocks that follow ``node`` in document order (its siblings, then its
    ancestors' siblings), one per element that holds text directly."""
    current: LexborNode | None = node
    while current is not None:
        sibling = current.next
        while sibling is not None:
            if sibling.tag not in _NOT_TEXT:
                yield from _text_blocks(sibling)
            sibling = sibling.next
        current = current.parent


def _text_blocks(node: LexborNode) -> Iterator[str]:
    if node.tag == "-text":
        text = squash(node.text_content or "")
        if text:
            yield text
        return
    if node.tag in _NOT_TEXT or _is_media(node):
        return  # a picture's caption and credit ("AFP" under the lead image) are not the byline
    if node.tag in ("p", "span", "a", "li", "address") or node.child is None:
        text = squash(node.text(deep=True))
        if text:
            yield text
        return
    child: LexborNode | None = node.child
    while child is not None:
        yield from _text_blocks(child)
        child = child.next


def _author_box(page: _Page) -> Names:
    """An author box ("About the author", "Über X"): the person it presents."""
    for node in page.heads_and_bylines():
        if node.tag in _HEADS and not node.css_matches(_BYLINES):
            continue
        if _elsewhere(node, page.article) or not _is_box(node):
            continue
        text = _text_of(node)
        if text and len(text) <= 80:
            names = page.names(text, visible=True)
            if names.people:
                return names
    return Names()


# --------------------------------------------------------------------------------------- DOM helpers


def _marks(node: LexborNode) -> str:
    attrs = node.attributes
    return f"{attrs.get('class') or ''} {attrs.get('id') or ''}"


def _elsewhere(node: LexborNode, article: set[int]) -> bool:
    """Inside comments, teasers of other articles, navigation or a sidebar: an element up to the
    first one that also holds the headline (which is the article, whatever its classes say)."""
    parent: LexborNode | None = node
    while parent is not None and parent.mem_id not in article and parent.tag not in ("body", "html"):
        if parent.tag in _ELSEWHERE_TAGS:
            return True
        words = _class_words(parent)
        if not _ELSEWHERE_WORDS.isdisjoint(words) or any(p in w for w in words for p in _ELSEWHERE_PARTS):
            return True
        parent = parent.parent
    return False


def _attrs(node: LexborNode) -> str:
    attrs = node.attributes
    return f"{attrs.get('rel') or ''} {attrs.get('itemprop') or ''} {attrs.get('property') or ''}"


def _is_media(node: LexborNode) -> bool:
    """A picture, a video or their caption and credit ("article__image-author", "mediaBox__byline")."""
    words = _class_words(node)
    return (
        node.tag in _MEDIA_TAGS or not _MEDIA_WORDS.isdisjoint(words)
        or any(m in word for word in words for m in _MEDIA_PARTS)
    )


def _in_media(node: LexborNode, article: set[int]) -> bool:
    parent: LexborNode | None = node
    while parent is not None and parent.mem_id not in article and parent.tag not in ("body", "html"):
        if _is_media(parent):
            return True
        parent = parent.parent
    return False


def _is_box(node: LexborNode) -> bool:
    return not _BOX_WORDS.isdisjoint(_class_words(node))


def _class_words(node: LexborNode) -> set[str]:
    # "h-card" (the microformat of a person, as "vcard") is one word, not a teaser card.
    return set(_CLASS_WORDS.findall(_marks(node).casefold().replace("h-card", "hcard")))


def _text_of(node: LexborNode) -> str:
    """The element's text without scripts, buttons or <time> elements."""
    parts: list[str] = []
    _collect(node, parts)
    # Inline elements are read apart ("Jane Doe<span>2 days ago</span>" is two things), with no space
    # before the punctuation that follows them ("<a>Jane Doe</a>, <a>John Roe</a>").
    return _SPACE_BEFORE_PUNCT.sub(r"\1", squash(" ".join(parts)))


def _collect(node: LexborNode, parts: list[str]) -> None:
    child = node.child
    while child is not None:
        if child.tag == "-text":
            parts.append(child.text_content or "")
        elif child.tag not in _NOT_TEXT:
            _collect(child, parts)
        child = child.next


def _as_printed(text: str, names: Names) -> str:
    """The byline as a reader sees it: from its first word up to its last name or credit."""
    low = text.casefold()
    ends = [low.find(n.casefold()) + len(n) for n in names.people + names.desks if n.casefold() in low]
    for credit in names.credits:
        outlet = find_credit(credit)
        for alias in (credit, *(outlet.aliases if outlet else ())):
            at = low.rfind(alias.casefold())
            if at >= 0:
                ends.append(at + len(alias))
    return text[: max(ends)].strip(" ,;|·•-–—") if ends else text


def _key(text: str) -> str:
    return re.sub(r"\W+", "", text.casefold())


def _add(out: Names, found: Names) -> None:
    out.people.extend(p for p in found.people if p.casefold() not in {q.casefold() for q in out.people})
    out.credits.extend(c for c in found.credits if c not in out.credits)
    out.desks.extend(d for d in found.desks if d.casefold() not in {q.casefold() for q in out.desks})
    out.own.extend(o for o in found.own if o not in out.own)


def _licence_author(page: _Page) -> Names:
    """The author a Creative Commons licence names, wherever it is printed ("Ein Hundetagebuch von
    <a rel="cc:attributionURL">Donald Townsend</a> steht unter einer Lizenz" in a blog's sidebar): the
    work's author by the licence's own markup, read when no other source names anyone."""
    for node in page.tree.css(f":is({_LICENCE_SELECTOR})"):
        text = _text_of(node)
        if text and len(text) <= _MAX_NAME:
            names = page.names(text)
            if names.people:
                return Names(names.people)
    return Names()


_MAX_NAME = 60


def _labelled_line(page: _Page) -> Names:
    """A line of the article that an author label opens ("Autorin: Uta Staschewski, Projektleiterin",
    "<strong>Text:</strong> Klausmartin Friedrich", "Autoren Jelko Djuren und Jutta Klaukien"), often
    the article's last line and left out of its body; outside comments, teasers, sidebars and media.
    Read when no other source names anyone."""
    if page.tree.body is None:
        return Names()
    # The page's text says which labels to look for (~0.2 ms); lexbor then finds in C the elements
    # whose own text holds one (~0.4 ms a label, case-insensitive: each is a pass over the page).
    text = page.tree.body.text().lower()  # str methods, not a regex: a regex over it costs ~2 ms
    needles = [n for n in _LABEL_NEEDLES if n in text and (n not in _TEXT_NEEDLES or _colon_after(text, n))]
    if not needles:
        return Names()
    seen: set[int] = set()
    for node in page.tree.css(":is({})".format(", ".join(f'*:lexbor-contains("{n}" i)' for n in needles))):
        if node.tag in _NOT_TEXT or not _opens_with_label(node):
            continue
        block = _block_of(node)
        if _LABEL_ALONE.match(squash(block.text(deep=True))) and block.parent is not None:
            block = _block_of(block.parent)  # "<h5>Autor:</h5>Peter Maahn": the name is beside it
        if block.mem_id in seen:
            continue
        seen.add(block.mem_id)
        if _elsewhere(block, page.article) or _in_media(block, page.article) or _data_sheet(block):
            continue
        for line in _lines(block):
            match = _AUTHOR_LABEL.match(line)
            if match and len(line) <= _MAX_LINE and not _OTHER_LABEL.search(match["rest"]):
                if _CJK_NAME.fullmatch(match["rest"]):
                    return Names([match["rest"]])  # "责任编辑： 焦鹏": a Chinese name has no spaces
                names = page.names(match["rest"], visible=True)
                if names.people:
                    return Names(names.people)
    return Names()


def _post_author_comment(page: _Page) -> Names:
    """The name on a comment WordPress marks ``bypostauthor`` (its ``comment_class()``: a comment
    written by the post's own author): the post's author as the site displays them ("jancak",
    "Tobias Hennig" answering readers under his article). Read when no other source names anyone."""
    for comment in page.tree.css('[class~="bypostauthor"]'):
        for selector in _COMMENT_NAME_SELECTORS:
            node = comment.css_first(selector)
            text = _text_of(node) if node is not None else ""
            if text and len(text) <= _MAX_NAME:
                names = page.names(text)
                if names.people:
                    return Names(names.people[:1])
                # a blogger who goes by the blog's name ("happyface313" on happyface313.com): the site
                # signs, as when a byline names it; else a placeholder ("admin") names nobody
                return Names(own=names.own[:1])
    return Names()


# where themes print a comment's author: WordPress's own "fn" (in <cite> or <b>), a theme's "author"
_COMMENT_NAME_SELECTORS = (".fn", '[class~="author"]', '[class~="comment-author"]')


# Author labels (a colon or not: "Autorin: X", "Autoren X und Y"), text labels (with their colon only:
# "Text: X") and Chinese ones ("责任编辑： X"), in every language
_AUTHOR_WORDS = r"autor(?:in|en|innen)?|authors?|auteur(?:e|s)?|autore|autora"
_TEXT_WORDS = r"texte?|texto|testo|tekst"
_CJK_WORDS = r"作者|责任编辑|責任編輯"
_AUTHOR_LABEL = re.compile(
    rf"^(?:(?:{_AUTHOR_WORDS})\b\s*:?|(?:{_TEXT_WORDS})\s*:|(?:{_CJK_WORDS})\s*[:：])\s*(?P<rest>[^\W\d_].*)$",
    re.I,
)
_LABEL_ALONE = re.compile(rf"^(?:{_AUTHOR_WORDS}|{_TEXT_WORDS}|{_CJK_WORDS})\s*[:：]?$", re.I)
_LABEL_OPENING = re.compile(rf"(?:{_AUTHOR_WORDS}|{_TEXT_WORDS})\b|{_CJK_WORDS}", re.I)
# another label in the same line: a data sheet ("Autor: Fabian Dittmann; Illustrator: Adriaan Prent")
_OTHER_LABEL = re.compile(r"[^\W\d_]{3,}\s*:")
_CJK_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")
_TEXT_NEEDLES = ("text", "testo", "tekst")  # labels only with a colon: "Text:", "Texto:"
_LABEL_NEEDLES = ("autor", "author", "auteur", *_TEXT_NEEDLES, "作者", "编辑", "編輯")


def _colon_after(text: str, needle: str) -> bool:
    """Whether ``needle`` is somewhere followed by a colon ("text:", "texte :", "texto:")."""
    at = text.find(needle)
    while at >= 0:
        end = at + len(needle)
        while end < len(text) and text[end] in "eo ":
            end += 1
        if text.startswith(":", end):
            return True
        at = text.find(needle, end)
    return False


def _opens_with_label(node: LexborNode) -> bool:
    """Whether one of the element's own texts begins with an author label (most matches of the
    selector hold the word inside a sentence: "the author said", "im Text")."""
    child = node.child
    while child is not None:
        if child.tag == "-text" and _LABEL_OPENING.match((child.text_content or "").lstrip()):
            return True
        child = child.next
    return False


def _data_sheet(block: LexborNode) -> bool:
    """A book's or a product's data sheet ("Titel: …", "Seiten: 400", "Autorin: Alys Arden",
    "Verlag: …" in a review): its author is the work's, not the page's. Its lines, or those of the
    blocks beside it."""
    texts = [block.text(deep=True)]
    for step in ("prev", "next"):
        sibling: LexborNode | None = getattr(block, step)
        for _ in range(2):  # two elements each side
            while sibling is not None and sibling.tag == "-text":
                sibling = getattr(sibling, step)
            if sibling is None:
                break
            texts.append(sibling.text(deep=True))
            sibling = getattr(sibling, step)
    return any(_SHEET_LABEL.search(text.strip()) for text in texts)


# Labels of a data sheet's other lines ("Verlag:", "ISBN", "Seiten:"), opening a line
_SHEET_LABEL = re.compile(
    r"(?:^|\n)\s*(?:titel|title|originaltitel|seiten|pages|verlag|publisher|isbn|preis|price|genre|"
    r"erscheinungs\w*|erschienen|release|format|reihe|series|übersetz\w*|translat\w*)\s*:",
    re.I,
)


def _block_of(node: LexborNode) -> LexborNode:
    """The nearest block element holding ``node`` (itself when it is one)."""
    block: LexborNode | None = node
    while block is not None and block.tag not in BLOCK_TAGS and block.parent is not None:
        block = block.parent
    return block or node


def _lines(node: LexborNode) -> list[str]:
    """The element's lines as a reader sees them (``node_text``: broken at <br> and at block elements);
    a label alone on its line ("<strong>Text:</strong><br>Jane Doe") joined to the next."""
    joined: list[str] = []
    for text in node_text(node).split("\n"):
        if joined and _LABEL_ALONE.match(joined[-1]):
            joined[-1] = f"{joined[-1]} {text}"
        else:
            joined.append(text)
    return joined


_READERS = {
    "jsonld": _article_authors,
    "meta": _meta_authors,
    "other_jsonld": _other_jsonld_authors,
    "box": _author_box,
    "licence": _licence_author,
    "labelled": _labelled_line,
    "post_author_comment": _post_author_comment,
}
