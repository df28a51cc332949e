"""Walking a source's start points with the polite fetcher: feeds, sitemap indexes, paginated listings.

Feeds and one sitemap/listing page are read whole. What costs requests is going on: to the next
listing page or the next child sitemap. That happens only while it can find something new:

* a page holding a URL already stored stops the walk (start points are newest first, so what follows
  was seen by an earlier complete run), unless ``deep`` (``--backfill``, or the previous run did not
  finish its walk: killed, failed or capped by max_new);
* a page whose dated entries are all older than ``since`` stops it;
* enough unknown URLs to fill the run's budget (max_new) stop it: the next run goes on from there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..discover import (
    Discovered,
    DiscoveryResult,
    Source,
    filter_urls,
    parse_feed,
    parse_listing,
    parse_sitemap,
)
from ..errors import FetchError
from ..fetch import HTML_TYPES
from ..fetch.types import Page

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml",
                        "application/xml", "text/xml", "application/x-rss+xml"})
SITEMAP_TYPES = frozenset({"application/xml", "text/xml", "application/gzip", "application/x-gzip",
                           "application/octet-stream"})
MAX_PAGES = 200  # listing pages / sitemaps per start point, even when walking deep
MAX_SITEMAP_DEPTH = 3  # index -> index -> urlset is already unusual

FetchDoc = Callable[[str, Collection[str]], Awaitable[Page]]
KnownUrls = Callable[[list[str]], Awaitable[set[str]]]


@dataclass
class Walk:
    """What discovery found for one source: candidate URLs (filtered, newest first) and what failed."""

    urls: list[Discovered] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    documents: int = 0  # discovery documents fetched (start points, child sitemaps, listing pages)
    failed_documents: int = 0  # ... that could not be fetched, or yielded nothing but errors


class _Walker:
    def __init__(self, source: Source, fetch: FetchDoc, known: KnownUrls, *, deep: bool,
                 since: datetime | None, budget: int) -> None:
        self.source, self.fetch, self.known = source, fetch, known
        self.deep, self.since, self.budget = deep, since, budget
        self.found: list[Discovered] = []
        self.unknown: set[str] = set()
        self.walk = Walk()

    async def document(self, url: str, accept: Collection[str]) -> Page | None:
        try:
            page = await self.fetch(url, accept)
        except FetchError as err:
            self.walk.failed_documents += 1
            self.walk.errors.append(str(err))
            return None
        self.walk.documents += 1
        return page

    def read(self, result: DiscoveryResult) -> DiscoveryResult:
        """A document's parse: its errors are the walk's; one that yields nothing but errors (refused as
        an entity bomb, not a sitemap, no links at all...) failed, like one that could not be fetched."""
        self.walk.errors.extend(result.errors)
        if result.errors and not (result.urls or result.sitemaps or result.next_page):
            self.walk.failed_documents += 1
        return result

    async def take(self, result: DiscoveryResult) -> bool:
        """Keep a page's entries; True when the walk may go on to the next page."""
        items = [d for d in filter_urls(result.urls, self.source) if self._recent(d)]
        self.found.extend(items)
        urls = [d.url for d in items]
        known = await self.known(urls)
        self.unknown.update(u for u in urls if u not in known)
        if len(self.unknown) >= self.budget:
            return False
        if self.since is not None and _all_older(result.urls, self.since):
            return False
        return self.deep or not known

    def _recent(self, item: Discovered) -> bool:
        if self.since is None or item.published is None:
            return True  # undated: cannot tell, so keep it
        published = item.published if item.published.tzinfo else item.published.replace(tzinfo=UTC)
        return published >= self.since

    async def feed(self, url: str) -> None:
        page = await self.document(url, FEED_TYPES | HTML_TYPES)
        if page is not None:
            await self.take(self.read(parse_feed(page.body, page.final_url)))

    async def sitemap(self, url: str, depth: int = 0, walked: set[str] | None = None) -> bool:
        """Walk one sitemap (an index: its children, newest first); False when the walk should stop.
        ``walked``: the sitemaps of this start point fetched so far. Each is fetched once (an index that
        lists itself or an ancestor is not walked again: that used to end the walk as "nested too deep"
        before its other children), and at most MAX_PAGES of them (indexes of 200 indexes of 200...)."""
        walked = set() if walked is None else walked
        walked.add(url)
        page = await self.document(url, SITEMAP_TYPES)
        if page is None:
            return True
        result = self.read(parse_sitemap(page.body, page.final_url))
        if not result.sitemaps:
            return await self.take(result)
        if depth >= MAX_SITEMAP_DEPTH:
            self.walk.errors.append(f"sitemap index nested too deep at {url}")
            return False
        for child in self._children(result):
            if child in walked:
                continue
            if len(walked) >= MAX_PAGES:
                self.walk.errors.append(f"sitemap walk stopped at {MAX_PAGES} sitemaps: {child} not fetched")
                return False
            if not await self.sitemap(child, depth + 1, walked):
                return False
        return True

    def _children(self, index: DiscoveryResult) -> list[str]:
        """An index's children to walk, newest first: by their <lastmod>, whatever their place in the
        index (indexes list them oldest first or newest first); with ``since``, a child last modified
        before it holds nothing newer and is skipped. Children without a lastmod come after the dated
        ones, last listed first: WordPress and Yoast number them oldest first (posts-post-1 holds the
        oldest posts) and give no lastmod."""
        dates = index.sitemap_lastmod
        dated = sorted((u for u in index.sitemaps if u in dates), key=lambda u: dates[u], reverse=True)
        if self.since is not None:
            dated = [u for u in dated if dates[u] >= self.since]
        undated = [u for u in reversed(index.sitemaps) if u not in dates]
        return dated + undated

    async def listing(self, url: str) -> None:
        seen: set[str] = set()
        next_url: str | None = url
        while next_url and next_url not in seen and len(seen) < MAX_PAGES:
            seen.add(next_url)
            page = await self.document(next_url, HTML_TYPES)
            if page is None:
                return
            source = self.source
            result = self.read(parse_listing(page.text, page.final_url, source.site, source.include))
            if not await self.take(result):
                return
            next_url = result.next_page


async def discover(source: Source, fetch: FetchDoc, known: KnownUrls, *, deep: bool = False,
                   since: datetime | None = None, budget: int = 50) -> Walk:
    """Walk every start point of ``source`` (feeds, then sitemaps, then listings)."""
    walker = _Walker(source, fetch, known, deep=deep, since=since, budget=budget)
    for url in source.feeds:
        await walker.feed(url)
    for url in source.sitemaps:
        await walker.sitemap(url)
    for url in source.listings:
        await walker.listing(url)
    walker.walk.urls = filter_urls(walker.found, source)  # dedupe across start points, newest first
    return walker.walk


def _all_older(items: Iterable[Discovered], since: datetime) -> bool:
    dates = [d.published if d.published.tzinfo else d.published.replace(tzinfo=UTC)
             for d in items if d.published is not None]
    return bool(dates) and all(d < since for d in dates)
