"""One namespace of politeness settings for every path that crawls (ingest, resync, the workers).

Like Scrapy's settings (DOWNLOAD_DELAY, CONCURRENT_REQUESTS_PER_DOMAIN, ROBOTSTXT_OBEY, RETRY_TIMES),
the same keys are read everywhere: built-in defaults here, the ``[crawl]`` table of
sources.toml over them, and each ``[[source]]`` over that for its own hosts (``repub.discover.sources``
checks the keys and their types). A host takes the settings of the first source that reaches it (an
original's host those of the source whose copy links there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

# key -> (type, check, what a bad value should have been): the sources file's checker uses these
_POSITIVE = (lambda v: v > 0, "a number > 0")
_NON_NEGATIVE = (lambda v: v >= 0, "a number >= 0")


@dataclass(frozen=True)
class CrawlSettings:
    """How politely one host is crawled. Every value has a default; see docs/ingest.md "Politeness"."""

    rate: float = 1.0  # request starts per second per host (Scrapy: 1 / DOWNLOAD_DELAY)
    concurrency: int = 2  # requests in flight per host (CONCURRENT_REQUESTS_PER_DOMAIN)
    robots: bool = True  # obey robots.txt and its Crawl-delay (ROBOTSTXT_OBEY)
    robots_ttl: float = 3600.0  # seconds a host's robots.txt is trusted before it is read again
    max_crawl_delay: float = 30.0  # a longer Crawl-delay is taken as this
    retries: int = 3  # further tries after a transient failure (RETRY_TIMES)
    backoff: float = 1.0  # seconds before the first retry, doubled for each further one
    max_backoff: float = 60.0
    jitter: float = 0.5  # each backoff is spread by +-jitter (0.5: between half and one and a half)
    max_retry_after: float = 120.0  # a longer Retry-After gives the URL up for now instead of waiting

    @property
    def interval(self) -> float:
        """Seconds between two request starts on a host, before robots.txt's Crawl-delay."""
        return 0.0 if math.isinf(self.rate) else 1.0 / self.rate

    def crawl_delay(self, asked: float) -> float:
        """The seconds between starts a robots.txt Crawl-delay of ``asked`` seconds gets (honoured up
        to max_crawl_delay); the host keeps the wider of it and its rate's interval."""
        return min(asked, self.max_crawl_delay)

    def override(self, **values: Any) -> CrawlSettings:
        """These settings with ``values`` (keys of this class) over them; None values are ignored."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


DEFAULTS = CrawlSettings()

# The keys a sources file may set in [crawl] or a [[source]]: (Python type, check, what is wanted).
KEYS: dict[str, tuple[type, Any, str]] = {
    "rate": (float, *_POSITIVE),
    "concurrency": (int, lambda v: v >= 1, "an integer >= 1"),
    "robots": (bool, lambda v: True, "true or false"),
    "robots_ttl": (float, *_NON_NEGATIVE),
    "max_crawl_delay": (float, *_NON_NEGATIVE),
    "retries": (int, lambda v: v >= 0, "an integer >= 0"),
    "backoff": (float, *_NON_NEGATIVE),
    "max_backoff": (float, *_NON_NEGATIVE),
    "jitter": (float, lambda v: 0 <= v <= 1, "a number from 0 to 1"),
    "max_retry_after": (float, *_NON_NEGATIVE),
}


def from_json(data: dict[str, Any] | None, base: CrawlSettings = DEFAULTS) -> CrawlSettings:
    """Settings sent with a job (``to_json``), over ``base``; unknown keys are ignored."""
    return base.override(**{k: v for k, v in (data or {}).items() if k in KEYS})
