"""Re-fetch stored articles: conditional requests, change detection on extracted content, gone/moved.

One page at a time (politeness over speed: a resync touches pages already known, often on one site).
Every fetch attempt goes to the fetch log; a transient failure changes nothing else and the article
is simply due again next run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ..config import Settings
from ..errors import FetchError, RepubError
from ..extract import extract
from ..fetch import Fetcher, Page
from ..normalize import normalize, utc_now
from ..pipeline import Importer
from ..store import Store
from ..store.history import (
    Target,
    latest_raw_pages,
    mark_gone,
    record_moved,
    touch_checked,
)
from ..store.runs import RunFigures

GONE_STATUSES = frozenset({404, 410})

# What happened to one target: "not-modified" (304), "unchanged", "changed", "moved", "gone", "failed".
Outcome = str


@dataclass
class ResyncReport:
    checked: int = 0
    not_modified: int = 0
    unchanged: int = 0
    changed: int = 0
    moved: int = 0
    gone: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def count(self, outcome: Outcome, error: str | None = None) -> None:
        self.checked += 1
        name = outcome.replace("-", "_")
        setattr(self, name, getattr(self, name) + 1)
        if error:
            self.errors.append(error)

    def figures(self, discovered: int) -> RunFigures:
        """The run table's columns: a gone or moved article was updated too; 304s count as unchanged."""
        return RunFigures(
            discovered=discovered, new=0, updated=self.changed + self.moved + self.gone,
            unchanged=self.unchanged + self.not_modified, failed=self.failed,
        )

    def summary(self, seconds: float) -> str:
        return (
            f"resync: {self.checked} checked, {self.changed} changed, {self.unchanged + self.not_modified} "
            f"unchanged ({self.not_modified} not modified), {self.moved} moved, {self.gone} gone, "
            f"{self.failed} failed in {seconds:.1f} s"
        )

    def to_json(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "errors"}


def conditional_headers(target: Target) -> dict[str, str]:
    """Send back the validators of the last answer, when there was content to compare against."""
    headers: dict[str, str] = {}
    if target.version == 0:
        return headers  # a stub has nothing a 304 could confirm
    if target.etag:
        headers["If-None-Match"] = target.etag
    if target.last_modified:
        headers["If-Modified-Since"] = target.last_modified
    return headers


class Resyncer:
    def __init__(self, store: Store, settings: Settings, *, run_id: int | None = None) -> None:
        self.store = store
        self.importer = Importer(store, settings, run_id=run_id)
        self.settings = settings
        self.run_id = run_id

    def run(self, targets: list[Target], *, report: ResyncReport | None = None,
            on_done: Callable[[Target, Outcome], None] | None = None) -> ResyncReport:
        report = report if report is not None else ResyncReport()

        async def go() -> None:
            async with Fetcher(self.settings.fetch) as fetcher:
                for target in targets:
                    outcome, error = await self.check(fetcher, target)
                    report.count(outcome, error)
                    if on_done is not None:
                        on_done(target, outcome)

        asyncio.run(go())
        return report

    async def check(self, fetcher: Fetcher, target: Target) -> tuple[Outcome, str | None]:
        try:
            page = await fetcher.fetch(target.url, conditional_headers(target))
        except FetchError as err:
            self.importer.log_failure(err)
            if err.kind == "http" and err.status in GONE_STATUSES:
                mark_gone(self.store, target.url, utc_now(), http_status=err.status, error=str(err),
                          run_id=self.run_id)
                return "gone", None
            return "failed", str(err)
        self.importer.log_page(page)
        if page.status == 304:
            touch_checked(self.store, target.url, page.fetched_at)
            return "not-modified", None
        try:
            return self._save(target, page), None
        except RepubError as err:
            return "failed", f"{target.url}: {err}"

    def _save(self, target: Target, page: Page) -> Outcome:
        if page.redirects and page.permanent_redirect is None:
            # Only temporary hops (302/303/307): the article has not moved, keep its URL.
            page = replace(page, final_url=target.url)
        record, saved = self.importer.save_page(page, requested_url=target.url)
        self.importer.original_to_follow(record)  # a corrected copy may name another original
        if record.url != target.url and page.permanent_redirect is not None:
            record_moved(self.store, record.url, target.url, page.fetched_at, run_id=self.run_id)
            return "moved"
        return "changed" if saved.changed and not saved.created else "unchanged"


@dataclass
class ReextractReport:
    pages: int = 0
    changed: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self, seconds: float) -> str:
        return (
            f"reextract: {self.pages} pages, {self.changed} changed, {self.failed} failed "
            f"in {seconds:.1f} s"
        )


def reextract(
    store: Store, site: str | None = None, *, report: ReextractReport | None = None
) -> ReextractReport:
    """Run today's extractors over each article's newest kept page; a different result is a version.
    ``report`` is filled in as pages go (an interrupted run still has its figures)."""
    report = report if report is not None else ReextractReport()
    for stored in latest_raw_pages(store, site):
        report.pages += 1
        try:
            record = normalize(extract(stored.text, stored.url))
            saved = store.save_article(
                record, fetched_at=utc_now(), aliases=[stored.article_url], checked=False
            )
        except RepubError as err:
            report.failed += 1
            report.errors.append(f"{stored.article_url}: {err}")
            continue
        report.changed += int(saved.changed)
    return report
