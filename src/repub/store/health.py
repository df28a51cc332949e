"""How each source (a site) has been doing, from the fetch log and the articles: the last fetch that
worked, failures by kind, new articles and failures per day, over a window of days ending at the
latest fetch (a database looked at long after its last run still shows its last weeks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from repub.hosts import bare_host
from repub.store.models import Article, FetchLog
from repub.store.views import iso_utc

if TYPE_CHECKING:
    from repub.store.store import Store

# The kinds a failure is counted under, in the order pages show them.
FAILURE_KINDS = ("robots", "429", "bot-wall", "not-html", "no-article", "other")


def failure_kind(error_kind: str | None, status: int | None) -> str | None:
    """The kind a fetch-log line counts under; None for a fetch that worked."""
    if error_kind is None:
        return None if status is None or status < 400 else ("429" if status == 429 else "other")
    if error_kind == "robots":
        return "robots"
    if status == 429:
        return "429"
    if error_kind == "bot-wall":
        return "bot-wall"
    if error_kind in ("not-html", "wrong-type"):
        return "not-html"
    if error_kind == "extract":
        return "no-article"
    return "other"


@dataclass
class SourceHealth:
    site: str
    fetches: int = 0
    last_success: str | None = None  # ISO time of the latest fetch that worked, in the window
    last_failure: str | None = None
    failures: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAILURE_KINDS, 0))
    new_per_day: list[int] = field(default_factory=list)
    failed_per_day: list[int] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(self.failures.values())


@dataclass
class Health:
    days: list[str]  # the window, oldest first (YYYY-MM-DD)
    sources: list[SourceHealth]


def source_health(store: Store, days: int = 30) -> Health:
    with store._read() as s:
        latest = s.scalar(sa.select(sa.func.max(FetchLog.fetched_at)))
        end = (latest or datetime.now(UTC)).astimezone(UTC).date()
        window = [end - timedelta(days=days - 1 - k) for k in range(days)]
        start = datetime(window[0].year, window[0].month, window[0].day, tzinfo=UTC)
        index = {d: i for i, d in enumerate(window)}
        by_site: dict[str, SourceHealth] = {}

        def source(site: str) -> SourceHealth:
            if site not in by_site:
                by_site[site] = SourceHealth(site, new_per_day=[0] * days, failed_per_day=[0] * days)
            return by_site[site]

        lines = s.execute(sa.select(FetchLog.url, FetchLog.fetched_at, FetchLog.status, FetchLog.error_kind)
                          .where(FetchLog.fetched_at >= start).order_by(FetchLog.fetched_at))
        for url, at, status, error_kind in lines:
            health = source(bare_host(url) or url)
            health.fetches += 1
            kind = failure_kind(error_kind, status)
            when = iso_utc(at)
            if kind is None:
                health.last_success = when
                continue
            health.failures[kind] += 1
            health.last_failure = when
            slot = index.get(at.astimezone(UTC).date())
            if slot is not None:
                health.failed_per_day[slot] += 1
        new = s.execute(sa.select(Article.site, Article.first_seen_at)
                        .where(Article.first_seen_at >= start, Article.version > 0))
        for site, at in new:
            slot = index.get(at.astimezone(UTC).date())
            if slot is not None:
                source(site or "?").new_per_day[slot] += 1
    sources = sorted(by_site.values(), key=lambda h: (-h.failed, h.site))
    return Health([d.isoformat() for d in window], sources)
