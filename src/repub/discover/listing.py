"""Category/listing pages -> article links and the next page (WordPress archive conventions)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..hosts import bare_host
from ..htmldepth import cap_nesting
from ..stamps import plausible_stamp
from .safety import web_url
from .sources import REGEX_ERRORS
from .types import Discovered, DiscoveryResult

# WordPress date permalinks: /YYYY/MM/slug/ or /YYYY/MM/DD/slug/ (TMS: /tms/2020/10/<slug>/)
_ARTICLE_PATH = re.compile(r"/(?:19|20)\d{2}/(?:0[1-9]|1[0-2])/(?:(?:0[1-9]|[12]\d|3[01])/)?[^/]+/?$")
# path segments of archive, feed, asset and admin URLs: never an article even if dated
_NOT_ARTICLE_SEGMENTS = frozenset(
    {
        "category",
        "tag",
        "author",
        "page",
        "feed",
        "wp-content",
        "wp-admin",
        "wp-includes",
        "wp-json",
        "comments",
        "trackback",
        "attachment",
        "search",
        "wp-login.php",
    }
)
_PAGE_NUMBER = re.compile(r"/page/(\d+)/?$")
# "next page" links in the order they are trusted: explicit rel first, then theme conventions
_NEXT_SELECTORS = (
    "link[rel~=next]",
    "a[rel~=next]",
    "a.next",
    ".nav-previous a",  # WordPress default themes: "Older posts" is the next page of an archive
    ".nav-links a.next",
    ".pagination a.next",
)


def parse_listing(
    html: str, base_url: str, site_hint: str | None = None, include: Sequence[str] = ()
) -> DiscoveryResult:
    """Article links and the next-page URL of one listing page; never raises.

    ``site_hint`` is the source's site URL (e.g. ``https://www.transcend.org/tms/``): links must be on
    that host (``www.`` or not) and under its path. ``include`` regexes, when given, decide what is an
    article (searched in the absolute URL) instead of the date-permalink heuristic.
    """
    result = DiscoveryResult()
    try:
        tree = LexborHTMLParser(cap_nesting(html))  # a page nested absurdly deep: cut first
    except Exception as exc:  # selectolax is lenient, but a bad page must not stop a run
        result.errors.append(f"unreadable listing {base_url}: {type(exc).__name__}: {exc}")
        return result
    site = site_hint or base_url
    try:
        patterns = [re.compile(p) for p in include]
    except REGEX_ERRORS as exc:
        result.errors.append(f"bad include pattern: {exc}")
        return result

    titles: dict[str, str | None] = {}
    dates: dict[str, datetime | None] = {}
    stamps = _stamps(tree)
    for anchor in tree.css("a[href]"):
        url = _absolute(anchor.attributes.get("href"), base_url)
        if url is None or not _on_site(url, site) or not _is_article(url, patterns):
            continue
        text = anchor.text(strip=True) or None
        # the same post is often linked from its image, its title and "read more": keep the title
        if url not in titles:
            titles[url], dates[url] = None, None
        if titles[url] is None and text and not _is_read_more(text):
            titles[url] = text
        dates[url] = dates[url] or _nearby_date(anchor, stamps)
    result.urls = [
        Discovered(url=u, published=dates[u], title=titles[u], source_url=base_url) for u in titles
    ]
    result.next_page = _next_page(tree, base_url, site)
    if not result.urls:
        result.errors.append(f"no article links found on listing {base_url}")
    return result


def _absolute(href: str | None, base_url: str) -> str | None:
    if not href or href.startswith(("#", "javascript:", "mailto:")):
        return None
    return web_url(href, base_url)


def _on_site(url: str, site: str) -> bool:
    if bare_host(url) != bare_host(site):
        return False
    prefix = urlsplit(site).path or "/"
    prefix = prefix if prefix.endswith("/") else prefix.rsplit("/", 1)[0] + "/"
    return urlsplit(url).path.startswith(prefix)


def _is_article(url: str, patterns: list[re.Pattern[str]]) -> bool:
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if any(s in _NOT_ARTICLE_SEGMENTS or s.startswith("comment-page-") for s in segments):
        return False
    if patterns:
        return any(p.search(url) for p in patterns)
    # a query string means a search, a reply form or a preview, not a permalink
    return not parts.query and bool(_ARTICLE_PATH.search(parts.path))


def _is_read_more(text: str) -> bool:
    lowered = text.lower()
    return "read more" in lowered or "read full" in lowered or "continue reading" in lowered


def _stamps(tree: LexborHTMLParser) -> dict[int, str | None]:
    """The ``datetime`` of the first ``<time datetime>`` in each element that holds one (itself
    included), by the element's ``mem_id``. Built once per page, in one pass over the stamps and their
    ancestors: asking each link's ancestors for a stamp (css_first) searched the same big container
    once per link, quadratic (8,000 links in one <ul>: 8 s; the 10 MB a fetch keeps: hours)."""
    found: dict[int, str | None] = {}
    for stamp in tree.css("time[datetime]"):
        value = stamp.attributes.get("datetime")
        node: LexborNode | None = stamp
        # an element marked already holds an earlier stamp, and so do all its ancestors
        while node is not None and node.mem_id not in found:
            found[node.mem_id] = value
            node = node.parent
    return found


def _nearby_date(anchor: LexborNode, stamps: dict[int, str | None]) -> datetime | None:
    """The ``<time datetime>`` of the post item the link sits in (a few ancestors up), if any."""
    node = anchor.parent
    for _ in range(4):
        if node is None or node.tag in ("body", "html"):
            return None
        if node.mem_id in stamps:
            return _iso(stamps[node.mem_id])
        node = node.parent
    return None


def _iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return plausible_stamp(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))


def _next_page(tree: LexborHTMLParser, base_url: str, site: str) -> str | None:
    current = _normal(base_url)
    for selector in _NEXT_SELECTORS:
        for node in tree.css(selector):
            url = _absolute(node.attributes.get("href"), base_url)
            if url and bare_host(url) == bare_host(site) and _normal(url) != current:
                return url
    # no marked link: look for a plain link to /page/N+1/ of this archive
    match = _PAGE_NUMBER.search(urlsplit(base_url).path)
    page = int(match.group(1)) if match else 1
    archive = urlsplit(base_url).path[: match.start()] if match else urlsplit(base_url).path.rstrip("/")
    wanted = f"{archive}/page/{page + 1}"
    for anchor in tree.css("a[href]"):
        url = _absolute(anchor.attributes.get("href"), base_url)
        if url and bare_host(url) == bare_host(site) and urlsplit(url).path.rstrip("/") == wanted:
            return url
    return None


def _normal(url: str) -> str:
    parts = urlsplit(url)
    return f"{bare_host(url)}{parts.path.rstrip('/')}?{parts.query}"
