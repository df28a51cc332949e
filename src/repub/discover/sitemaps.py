"""XML sitemaps -> candidate article URLs and child sitemaps.

Handles <urlset> and <sitemapindex> (sitemaps.org 0.9), gzipped files, Google News sitemaps
(news:publication_date, news:title) and the WordPress core (wp-sitemap.xml) and Yoast
(sitemap_index.xml) shapes, which are plain sitemaps.org documents with a stylesheet.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

from lxml import etree

from ..fetch.body import GZIP_MAGIC, BadGzip, TooLarge
from ..fetch.body import gunzip_capped as _gunzip
from ..stamps import plausible_stamp
from .safety import entity_declaration_error, web_url
from .types import Discovered, DiscoveryResult

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit for one uncompressed file


def parse_sitemap(content: bytes, base_url: str, *, max_bytes: int = MAX_SITEMAP_BYTES) -> DiscoveryResult:
    """URLs (urlset) or child sitemaps (sitemapindex) of one sitemap document; never raises."""
    result = DiscoveryResult()
    if content.startswith(GZIP_MAGIC):
        # the fetcher inflates an .xml.gz served as a file; bytes handed over another way may still be
        # compressed: decompress here, capped so a small "gzip bomb" cannot fill memory
        try:
            content = gunzip_capped(content, max_bytes)
        except ValueError as exc:
            result.errors.append(f"refused sitemap {base_url}: {exc}")
            return result
    refused = entity_declaration_error(content, "sitemap")
    if refused:
        result.errors.append(refused)
        return result
    if not content.strip():
        result.errors.append(f"empty sitemap {base_url}")
        return result

    # no entity expansion, no DTD loading, no network, lxml's default size limits; recover=True
    # keeps what could be read from a broken document (the breakage is reported below)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
    )
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as exc:
        root = None
        result.errors.append(f"malformed sitemap {base_url}: {exc}")
    if root is None:
        if not result.errors:
            result.errors.append(f"malformed sitemap {base_url}: no XML document")
        return result
    if parser.error_log:
        first = parser.error_log[0]
        result.errors.append(f"malformed sitemap {base_url}: line {first.line}: {first.message}")

    kind = _local(root)
    if kind == "sitemapindex":
        seen: set[str] = set()
        for node in _children(root, "sitemap"):
            url = _url(_text(node, "loc"), base_url)
            if url and url not in seen:
                seen.add(url)
                result.sitemaps.append(url)
                lastmod = _w3c_date(_text(node, "lastmod"))
                if lastmod is not None:
                    result.sitemap_lastmod[url] = lastmod
    elif kind == "urlset":
        seen = set()
        for node in _children(root, "url"):
            url = _url(_text(node, "loc"), base_url)
            if url is None or url in seen:
                continue
            seen.add(url)
            news = next(_children(node, "news"), None)
            published = _w3c_date(_text(news, "publication_date")) if news is not None else None
            title = _text(news, "title") if news is not None else None
            # lastmod is a modification date, but it is the best ordering hint a plain sitemap gives
            published = published or _w3c_date(_text(node, "lastmod"))
            result.urls.append(Discovered(url=url, published=published, title=title, source_url=base_url))
    else:
        result.errors.append(f"not a sitemap {base_url}: root element <{kind}>")
    return result


def gunzip_capped(data: bytes, max_bytes: int) -> bytes:
    """Decompress gzip ``data`` (possibly several members); ValueError past ``max_bytes`` or if corrupt."""
    try:
        return _gunzip(data, max_bytes)
    except (TooLarge, BadGzip) as exc:
        raise ValueError(str(exc)) from exc


def _local(node: etree._Element) -> str:
    # match by local name: sitemaps use the sitemaps.org namespace, old ones Google's, some none at all
    tag = node.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _children(node: etree._Element, name: str) -> Iterator[etree._Element]:
    return (child for child in node if _local(child) == name)


def _text(node: etree._Element | None, name: str) -> str | None:
    if node is None:
        return None
    child = next(_children(node, name), None)
    if child is None or child.text is None:
        return None
    return child.text.strip() or None


def _url(loc: str | None, base_url: str) -> str | None:
    return web_url(loc, base_url) if loc else None


def _w3c_date(value: str | None) -> datetime | None:
    """W3C datetime (YYYY-MM-DD, or with a time and zone) -> aware datetime; date-only -> 00:00 UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return None
        return plausible_stamp(datetime(day.year, day.month, day.day, tzinfo=UTC))
    # a time without a zone breaks the W3C format; reading it as UTC keeps all dates comparable
    return plausible_stamp(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
