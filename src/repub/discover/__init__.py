"""Discover stage: find candidate article URLs in feeds, sitemaps and listing pages.

Parsing only: every parser takes bytes/text already fetched (by ``repub.fetch``) and returns a
``DiscoveryResult`` instead of raising, so one bad document costs only its own entries.
"""

from __future__ import annotations

from .feeds import parse_feed
from .filter import filter_urls
from .listing import parse_listing
from .robots import RobotsPolicy
from .sitemaps import MAX_SITEMAP_BYTES, parse_sitemap
from .sources import (
    DEFAULT_SOURCES_PATH,
    Problem,
    Source,
    SourcesConfig,
    check_sources,
    load_sources,
)
from .types import Discovered, DiscoveryResult

__all__ = [
    "DEFAULT_SOURCES_PATH",
    "MAX_SITEMAP_BYTES",
    "Discovered",
    "DiscoveryResult",
    "Problem",
    "RobotsPolicy",
    "Source",
    "SourcesConfig",
    "check_sources",
    "filter_urls",
    "load_sources",
    "parse_feed",
    "parse_listing",
    "parse_sitemap",
]
