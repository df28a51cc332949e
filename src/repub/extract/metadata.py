"""A page's metadata: JSON-LD, OpenGraph and meta tags; the publication date with the URL, the visible
date line and htmldate (repub.extract.published).

Trust order, per field, first source that gives a value wins:

1. JSON-LD (the article object: NewsArticle, BlogPosting, ...): written for search engines from the
   CMS's own fields, so it is the most precise (zoned datetimes, typed authors).
2. OpenGraph and ``article:*`` meta (og:title, article:published_time, article:tag, ...).
3. Other meta: ``name=author``, Dublin Core (``dc.*``/``dcterms.*``), Parse.ly, Sailthru, twitter:*,
   ``itemprop`` microdata, then ``<title>``.
4. For the published date, the stated dates above are weighed against the URL, the date line under
   the headline and htmldate's search: repub.extract.published says how, with what it measured.

Exceptions: the lead image prefers og:image over JSON-LD ``image`` (JSON-LD often lists several crops
and logos; og:image is the one picture the publisher chose); language prefers JSON-LD ``inLanguage``,
then ``<html lang>``, then og:locale, then Content-Language, the first that names a language, as its
primary code (repub.extract.language; extract() checks it against the text).

Authors come from ``repub.extract.authors`` (people only; see there).
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from repub.extract.authors import read_authorship
from repub.extract.jsonld import find_article_object, load_jsonld_blocks, types_of
from repub.extract.jsonld import resolve_ref as _resolve
from repub.extract.language import language_code
from repub.extract.names import Site
from repub.extract.provenance import not_an_article_type
from repub.extract.published import in_page_zone, published_date, zones_of
from repub.extract.textutil import join_url, squash
from repub.extract.titles import find_headline, first_h1, without_live_marker, without_site_name
from repub.extract.types import PageDate
from repub.hosts import registrable_domain


@dataclass
class PageMetadata:
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)  # agencies and outlets the byline names
    org_authors: list[str] = field(default_factory=list)  # the site's desk or team, when no person signs
    site_signs: bool = False  # org_authors is the site's own name (no desk, person or agency signs)
    byline: str | None = None  # the visible byline as printed
    section: str | None = None
    published: PageDate | None = None
    modified: PageDate | None = None
    language: str | None = None
    canonical_url: str | None = None  # absolute; may be cross-domain
    og_url: str | None = None
    image_url: str | None = None
    tags: list[str] = field(default_factory=list)
    description: str | None = None
    site_name: str | None = None
    article_body: str | None = None  # JSON-LD articleBody
    syndication_source: str | None = None  # absolute URL from link rel / meta name syndication-source
    original_source: str | None = None  # same for original-source
    is_based_on: str | None = None  # JSON-LD isBasedOn, absolute


_PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time", "datePublished",
    "publish_date", "publish-date", "publishdate", "pubdate", "dc.date.issued", "dc.date", "dcterms.issued",
    "dcterms.created", "dc.date.created", "parsely-pub-date", "sailthru.date", "article.published",
    "date",
)
_MODIFIED_META = (
    "article:modified_time", "og:article:modified_time", "og:updated_time", "dateModified",
    "dc.date.modified", "dcterms.modified", "article.updated", "last-modified",
)


def read_metadata(
    tree: LexborHTMLParser, url: str, *, guess_date: bool = True, html: str | None = None,
    people: bool = True,
) -> PageMetadata:
    """Everything the page declares about itself, combined in the trust order of the module docstring.

    ``guess_date=False`` takes the first stated date as it is, without weighing it against the rest
    of the page nor running htmldate's search (~5 ms a page, more than a site rule's whole
    extraction): for callers that have the date from elsewhere (a site rule). ``html`` is the page's
    text as fetched, read for the time zones it writes; without it the tree is serialized.
    ``people=False`` leaves ``authors``, ``org_authors`` and ``site_signs`` empty (``read_authorship``):
    for callers that have the page's people from elsewhere (a site rule)."""
    blocks = load_jsonld_blocks(tree)
    art = find_article_object(blocks) or {}
    ids = {b["@id"]: b for b in blocks if isinstance(b.get("@id"), str)}
    meta = _meta_map(tree)

    def m(*keys: str) -> str | None:
        return next((meta[k][0] for k in keys if meta.get(k)), None)

    site_name = m("og:site_name") or _name_of(_resolve(art.get("publisher"), ids)) or m("application-name")
    # The printed headline when a metadata title agrees with it (repub.extract.titles), else the
    # metadata title in trust order without its site-name affix.
    title_tag = tree.css_first("title")
    titles = [_text(art.get("headline")), m("og:title"), m("twitter:title"), _text(art.get("name")),
              m("dc.title"), squash(title_tag.text(deep=True)) if title_tag else None]
    site_names = _site_names(site_name, m("application-name"), url)
    printed = find_headline(tree, titles, site_names)
    headline: LexborNode | None
    if printed is not None:
        title: str | None = printed.title
        headline = printed.node
    else:
        title = without_live_marker(next((t for t in titles[:5] if t), None), titles)
        title = title or _page_title(tree, site_name)
        title = _tidy_title(without_site_name(title, site_names) if title else title, tree, site_name)
        headline = first_h1(tree)
    language = _language(tree, art, meta)
    page_html = (lambda: html) if html is not None else (lambda: tree.html or "")
    stated = _dates([_text(art.get("datePublished"))] + _all(meta, _PUBLISHED_META)
                    + _itemprop(tree, "datePublished"))
    published = (
        published_date(page_html, url, stated, headline, tree.body, _locale(tree, meta),
                       search=lambda: _htmldate(tree, url))
        if guess_date else (stated[0] if stated else None)
    )
    modified_stated = _dates(
        [_text(art.get("dateModified"))] + _all(meta, _MODIFIED_META) + _itemprop(tree, "dateModified")
    )
    modified = None
    if modified_stated:
        modified = in_page_zone(modified_stated[0], zones_of(page_html, stated + modified_stated))
    authorship = read_authorship(
        tree, art, blocks, ids, meta, site=_site(site_name, art, ids, url), language=language,
        title=title, people=people,
    )
    return PageMetadata(
        title=title,
        authors=authorship.authors,
        credits=authorship.credits,
        org_authors=authorship.desks,
        site_signs=authorship.site_signs,
        byline=authorship.byline,
        section=_first_text(art.get("articleSection")) or m("article:section", "parsely-section", "section"),
        published=published,
        modified=modified,
        language=language,
        canonical_url=absolute_url(_link_href(tree, "canonical"), url),
        og_url=absolute_url(m("og:url"), url),
        image_url=absolute_url(
            m("og:image:secure_url", "og:image", "og:image:url") or _image_of(art.get("image"))
            or m("twitter:image", "twitter:image:src"),
            url,
        ),
        tags=_tags(art, meta),
        description=_text(art.get("description"))
        or m("og:description", "description", "twitter:description"),
        site_name=site_name,
        article_body=_text(art.get("articleBody"), keep_lines=True),
        syndication_source=_source_tag(tree, "syndication-source", m, url),
        original_source=_source_tag(tree, "original-source", m, url),
        is_based_on=absolute_url(_url_of(_cited_articles(art.get("isBasedOn"))), url),
    )


def _site(site_name: str | None, art: dict[str, Any], ids: dict[str, Any], url: str) -> Site:
    """The site's own names (og:site_name, the domain's label) and its publisher, unless a person."""
    publisher = _resolve(art.get("publisher"), ids)
    person = isinstance(publisher, dict) and "Person" in types_of(publisher)
    domain = registrable_domain(url) or ""
    return Site(
        names=tuple(n for n in (site_name, domain.split(".")[0], domain) if n),
        organizations=tuple(n for n in (_name_of(publisher),) if n and not person),
    )


def absolute_url(value: str | None, base: str) -> str | None:
    """An http(s) URL made absolute against ``base``; None for empty, fragment-only or non-web links."""
    if not value:
        return None
    value = value.strip()
    # The parser already unescaped the attribute once; double-escaped CMS output still holds "&amp;".
    if "&amp;" in value or "&#" in value:
        value = html_lib.unescape(value)
    if not value or value.startswith(("#", "javascript:", "mailto:", "data:")):
        return None
    resolved = join_url(base, value)  # handles relative and scheme-less ("//host/path") links
    if resolved is None:
        return None
    parts = urlsplit(resolved)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return resolved


def parse_page_date(value: str | None) -> PageDate | None:
    """ISO 8601 text to a date (day only) or datetime (aware when a zone is given)."""
    if not value:
        return None
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text)
    # Normalise the variants fromisoformat refuses: "+0000" zones, a space for "T", lowercase "z".
    text = re.sub(r"\s*([+-]\d{2})(\d{2})$", r"\1:\2", text).replace(" ", "T", 1)
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    match = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)", text)
    if match:  # "2020-10-23Tgarbage", "2022-1-26T14:32:06+02:00": the day is still good
        day = "{}-{:0>2}-{:0>2}".format(*match.groups())
        return date.fromisoformat(day) if _valid_day(day) else None
    return _rfc2822(value)


def _rfc2822(text: str) -> datetime | None:
    """A date as mail and RSS write it, seen in meta tags: "Sat, 19 Oct 2019 00:04:00 +0200"."""
    if not re.search(r"\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}", text):
        return None
    try:
        return parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None


def _valid_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _meta_map(tree: LexborHTMLParser) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or attrs.get("http-equiv")
        content = attrs.get("content")
        if content is None and key and key.startswith("twitter:"):
            content = attrs.get("value")  # Twitter's first card markup, still printed by old Yoast versions
        if key and content and content.strip():
            out.setdefault(key.strip(), []).append(squash(content))
    # Case-insensitive look-up for dc.*, DC.*, Author...: index everything under lowercase too.
    for key in list(out):
        if key.lower() != key:
            out.setdefault(key.lower(), []).extend(out[key])
    return out


def _all(meta: dict[str, list[str]], keys: tuple[str, ...]) -> list[str | None]:
    return [v for k in keys for v in meta.get(k.lower(), [])]


def _dates(values: list[str | None]) -> list[PageDate]:
    return [d for d in map(parse_page_date, values) if d is not None]


def _itemprop(tree: LexborHTMLParser, prop: str) -> list[str | None]:
    nodes = tree.css(f'[itemprop="{prop}"]')
    return [n.attributes.get("datetime") or n.attributes.get("content") for n in nodes]


def _source_tag(tree: LexborHTMLParser, name: str, m: Any, url: str) -> str | None:
    """Google News source tags, seen both as <link rel=...> and as <meta name=...>."""
    return absolute_url(_link_href(tree, name) or m(name), url)


_PRESENTATION = re.compile(r"<(style|svg)\b[^>]*>.*?</\1\s*>", re.S | re.I)


def _htmldate(tree: LexborHTMLParser, url: str) -> date | None:
    """htmldate's search for the publication day (day precision only): the last word when the page's
    own evidence disagrees or is missing (see repub.extract.published).

    Its fast mode first, its extensive search only when that finds nothing: where the fast mode
    finds a day the extensive search gives the same one (829 of the 830 such pages of
    ../shared/bench/metadata), and it costs a fourth. Inline <style> and <svg> are left out: CSS and
    path data are runs of digits the extensive search scans for dates and never the article's date
    (on the 61 pages of that set where it runs: the same days, 5x faster, ~60 -> ~12 ms a page).
    The page goes in as lexbor serializes it, never as the raw text: htmldate *downloads* a string
    that starts with "http" and holds no space, and only repub.fetch may talk to the network."""
    try:
        from htmldate import find_date

        page = _PRESENTATION.sub("", tree.html or "")
        found = find_date(page, url=url, extensive_search=False, original_date=True) or find_date(
            page, url=url, extensive_search=True, original_date=True
        )
    except Exception:  # noqa: BLE001 - a heuristic failing must never stop extraction
        return None
    day = parse_page_date(found) if found else None
    return day if type(day) is date else None


def _link_href(tree: LexborHTMLParser, rel: str) -> str | None:
    for node in tree.css("link[rel]"):
        rels = (node.attributes.get("rel") or "").lower().split()
        if rel in rels and node.attributes.get("href"):
            return node.attributes["href"]
    return None


def _site_names(site_name: str | None, application: str | None, url: str) -> list[str | None]:
    """The names a site goes by on its pages: og:site_name or the publisher, application-name, and its
    domain with and without the suffix ("news.az", "news"; "literaturgefluester.wordpress.com")."""
    domain = registrable_domain(url)
    return [site_name, application, domain, domain.split(".", 1)[0] if domain else None]


def _locale(tree: LexborHTMLParser, meta: dict[str, list[str]]) -> str | None:
    """The page's language tag with its region when it gives one ("en-US"): <html lang>, og:locale."""
    html_node = tree.css_first("html")
    lang = html_node.attributes.get("lang") if html_node else None
    return lang or _first(meta.get("og:locale"))


def _language(tree: LexborHTMLParser, art: dict[str, Any], meta: dict[str, list[str]]) -> str | None:
    html_node = tree.css_first("html")
    candidates = [
        _first_text(art.get("inLanguage")),
        html_node.attributes.get("lang") if html_node else None,
        html_node.attributes.get("xml:lang") if html_node else None,
        _first(meta.get("og:locale")),
        _first(meta.get("content-language")),
        _first(meta.get("language")),
    ]
    # The first label that names a language ("utf-8" and "x-default" do not), as its primary code;
    # extract() then checks it against the text (repub.extract.language).
    return next((code for code in map(language_code, candidates) if code), None)


def _tags(art: dict[str, Any], meta: dict[str, list[str]]) -> list[str]:
    keywords = art.get("keywords")
    if isinstance(keywords, list):
        found = [str(k) for k in keywords]
    elif isinstance(keywords, str):
        found = keywords.split(",")
    else:
        found = []
    if not any(s.strip() for s in found):
        found = list(meta.get("article:tag", []))
    if not found:
        found = [k for v in meta.get("keywords", []) + meta.get("news_keywords", []) for k in v.split(",")]
    tags = (html_lib.unescape(squash(t)) for t in found)
    return _dedupe(t for t in tags if re.search(r"\w", t))


def _name_of(obj: Any) -> str | None:
    if isinstance(obj, dict):
        return _text(obj.get("name"))
    return _text(obj)


def _image_of(value: Any) -> str | None:
    if isinstance(value, list):
        return next((u for u in map(_image_of, value) if u), None)
    if isinstance(value, dict):
        return _text(value.get("url")) or _text(value.get("contentUrl")) or _text(value.get("@id"))
    return _text(value)


def _cited_articles(value: Any) -> Any:
    """isBasedOn without the works that are not articles (a study, a dataset: ``not_articles`` in
    data/provenance.toml): an article based on a study is not a copy of it."""
    if isinstance(value, list):
        return [v for v in value if _cited_articles(v) is not None]
    if isinstance(value, dict) and not_an_article_type(types_of(value)):
        return None
    return value


def _url_of(value: Any) -> str | None:
    if isinstance(value, list):
        return next((u for u in map(_url_of, value) if u), None)
    if isinstance(value, dict):
        return _text(value.get("url")) or _text(value.get("@id"))
    return _text(value)


def _first_text(value: Any) -> str | None:
    if isinstance(value, list):
        return next((t for t in map(_first_text, value) if t), None)
    if isinstance(value, dict):
        return _text(value.get("name"))
    return _text(value)


def _text(value: Any, keep_lines: bool = False) -> str | None:
    if not isinstance(value, str):
        return None
    # JSON-LD written by WordPress plugins often carries HTML entities ("&#8217;") inside the JSON strings.
    text = html_lib.unescape(value)
    text = "\n".join(squash(line) for line in text.splitlines()).strip() if keep_lines else squash(text)
    return text or None




def _tidy_title(title: str | None, tree: LexborHTMLParser, site_name: str | None) -> str | None:
    """Drop what the metadata title adds to the printed headline: a "| Site" suffix, or any "| Label"
    suffix ("| Editorial") when the page's <h1> is exactly the part before it."""
    if not title:
        return title
    if site_name:
        title = re.sub(rf"\s+[|\-–—]\s*{re.escape(site_name)}\s*$", "", title, flags=re.I) or title
    for h1 in tree.css("h1")[:3]:
        head = squash(h1.text(deep=True))
        if head and len(head) < len(title) and title.startswith(head) and re.match(
            r"\s*[|\-–—]\s+\S", title[len(head):]
        ):
            return head
    return title


def _page_title(tree: LexborHTMLParser, site_name: str | None) -> str | None:
    node = tree.css_first("title")
    title = squash(node.text(deep=True)) if node else ""
    if title and site_name:
        # "Headline | Site" / "Headline - Site" / "Headline — Site": drop the site suffix.
        title = re.sub(rf"\s*[|\-–—:]\s*{re.escape(site_name)}\s*$", "", title, flags=re.I)
    if not title:
        h1 = tree.css_first("h1")
        title = squash(h1.text(deep=True)) if h1 else ""
    return title or None


def _dedupe(items: Any) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item and item.lower() not in seen:
            seen.add(item.lower())
            out.append(item)
    return out


def _first(values: list[str] | None) -> str | None:
    return values[0] if values else None
