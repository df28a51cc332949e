"""The jobs repub queues for its workers, as ``repub.store.jobs.Job``s (what ``repub ingest --enqueue``,
a worker that finds an original, and the scheduled runs defer).

Each fetching job carries its host's ``[crawl]`` settings (the workers need no sources file for them)
and a ``lock`` naming one of its host's lanes: procrastinate runs one job of a lock at a time, so a
host with ``concurrency = N`` has N lanes (a URL's lane is fixed by its CRC32) and never more than N
of its pages in flight across every worker. The rate between starts is the host's shared slot in the
database (``repub.crawl.hosts.DatabaseHosts``).
"""

from __future__ import annotations

import zlib

from ..crawl import DEFAULTS, CrawlSettings
from ..crawl.polite import host_key
from ..store.jobs import Job

FETCH_PAGE = "repub.fetch_page"  # a new article URL: fetch, store, queue its original
FETCH_ORIGINAL = "repub.fetch_original"  # the original a stored copy names
RESYNC_ARTICLE = "repub.resync_article"  # check a stored article again (repub resync, one URL)
DISCOVER_SOURCE = "repub.discover_source"  # walk a source's start points, queue what is new
RUN_LOCK = "repub-run"  # discovery and scheduled runs: one at a time in the cluster


def lane(url: str, crawl: CrawlSettings) -> str:
    """The lock of ``url``'s lane on its host: ``concurrency`` lanes per host."""
    n = max(1, crawl.concurrency)
    return f"host:{host_key(url)}#{zlib.crc32(url.encode()) % n}"


def page_job(url: str, source: str | None, crawl: CrawlSettings = DEFAULTS) -> Job:
    return Job(FETCH_PAGE, url, {"url": url, "source": source, "crawl": crawl.to_json()}, lane(url, crawl))


def original_job(url: str, copy_url: str, outlet: str | None, source: str | None,
                 crawl: CrawlSettings = DEFAULTS) -> Job:
    """An original takes the politeness of the source whose copy links to it (as in ingest)."""
    args = {"url": url, "copy_url": copy_url, "outlet": outlet, "source": source, "crawl": crawl.to_json()}
    return Job(FETCH_ORIGINAL, url, args, lane(url, crawl), priority=1)  # a copy's original first


def resync_job(url: str, crawl: CrawlSettings = DEFAULTS) -> Job:
    return Job(RESYNC_ARTICLE, f"resync:{url}", {"url": url, "crawl": crawl.to_json()}, lane(url, crawl))


def discover_job(source: str) -> Job:
    return Job(DISCOVER_SOURCE, f"discover:{source}", {"source": source}, RUN_LOCK)
