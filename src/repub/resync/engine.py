"""Re-fetch stored articles: conditional requests, change detection on extracted content, gone/moved.

Many checks are in flight at once (``concurrency`` in all); each host is crawled as politely as by
ingest and the workers (``repub.crawl.PoliteFetcher``: robots.txt and its Crawl-delay, the host's
rate and concurrency from the ``[crawl]`` settings, a Retry-After that pauses the host, transient
failures tried again with backoff). The event loop only fetches; every database write
goes through one writer thread. The common answer, a 304, costs no transaction of its own: its
bookkeeping (check time, version last seen, fetch-log line) is kept by article id and written with up
to ``batch`` others in one transaction, and whatever is left is written at the end, also when the
run is interrupted (Ctrl-C, SIGTERM), so nothing that was checked is lost.
Every fetch attempt goes to the fetch log; a failure changes nothing else and the article is simply
due again next run. A URL robots.txt disallows is ``refused``: the site's wish, not a failure.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from ..config import Settings
from ..crawl import DEFAULTS, CrawlSettings
from ..crawl.outcomes import judge
from ..crawl.polite import PoliteFetcher
from ..errors import FetchError, RepubError
from ..extract import extract
from ..fetch import Page
from ..normalize import normalize, utc_now
from ..pipeline import Importer, fetch_log_entry
from ..reuse.fingerprint import fingerprint
from ..store import FetchLogEntry, Store
from ..store.history import (
    Target,
    Touch,
    latest_raw_pages,
    mark_gone,
    record_moved,
    touch_checked,
    touch_checked_many,
)
from ..store.runs import RunFigures

T = TypeVar("T")

DEFAULT_CONCURRENCY = 16  # checks in flight in all
DEFAULT_BATCH = 100  # checks whose bookkeeping is written in one transaction

# What happened to one target: "not-modified" (304), "unchanged", "changed", "moved", "gone", "failed",
# "refused" (robots.txt disallows it).
Outcome = str
CrawlFor = Callable[[str], CrawlSettings]  # the politeness of a URL's host (SourcesConfig.crawl_for)


@dataclass
class ResyncReport:
    checked: int = 0
    not_modified: int = 0
    unchanged: int = 0
    changed: int = 0
    moved: int = 0
    gone: int = 0
    failed: int = 0
    refused: int = 0  # robots.txt disallows them: the site's wish, not a failure
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
            unchanged=self.unchanged + self.not_modified, failed=self.failed, refused=self.refused,
        )

    def summary(self, seconds: float) -> str:
        return (
            f"resync: {self.checked} checked, {self.changed} changed, {self.unchanged + self.not_modified} "
            f"unchanged ({self.not_modified} not modified), {self.moved} moved, {self.gone} gone, "
            f"{self.failed} failed, {self.refused} refused in {seconds:.1f} s"
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
    """Checks targets. ``crawl_for(url)``: the politeness of each host (default: the built-in
    ``[crawl]`` defaults for every host); ``per_host`` and ``rate``, when given, override its
    concurrency and rate for this run (``repub resync --per-host/--rate``)."""

    def __init__(self, store: Store, settings: Settings, *, run_id: int | None = None,
                 concurrency: int = DEFAULT_CONCURRENCY, per_host: int | None = None,
                 rate: float | None = None, crawl_for: CrawlFor | None = None,
                 batch: int = DEFAULT_BATCH) -> None:
        if concurrency < 1 or (per_host is not None and per_host < 1) or batch < 1:
            raise ValueError("concurrency, per_host and batch must be at least 1")
        if rate is not None and not rate > 0:
            raise ValueError("rate must be above 0")
        self.store = store
        self.importer = Importer(store, settings, run_id=run_id)
        self.settings = settings
        self.run_id = run_id
        self.concurrency, self.batch = concurrency, batch
        self.per_host, self.rate = per_host, rate
        self._crawl_for: CrawlFor = crawl_for or (lambda _url: DEFAULTS)
        self.raise_transient = False  # check() raises a transient failure instead of counting it
        self._writer: ThreadPoolExecutor | None = None
        self._touches: list[Touch] = []
        self._log: list[FetchLogEntry] = []
        self._flushes: list[Future[None]] = []
        self._on_flush: Callable[[], None] | None = None
        self._interrupted = False
        self._stop_requested = False

    def run(self, targets: list[Target], *, report: ResyncReport | None = None,
            on_done: Callable[[Target, Outcome], None] | None = None,
            on_flush: Callable[[], None] | None = None) -> ResyncReport:
        """Check every target. ``on_done(target, outcome)`` is called on the event loop as each check
        ends (no database work there, please); ``on_flush()`` on the writer thread after each batch of
        bookkeeping is committed (e.g. to update the run's figures)."""
        report = report if report is not None else ResyncReport()
        self._on_flush = on_flush
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="repub-resync-writer")
        self._interrupted = self._stop_requested
        try:
            asyncio.run(self._main(targets, report, on_done))
        finally:
            # writes in flight finish, then what is still buffered: every check counted is recorded
            self._writer.shutdown(wait=True)
            self._writer = None
            self._flush()
            flushes, self._flushes = self._flushes, []
            for done in flushes:
                done.result()  # a failed batch write is not silently lost
        if self._interrupted:
            raise KeyboardInterrupt
        return report

    def stop(self) -> None:
        """From any thread: check no more targets; the checks in flight finish and what was counted is
        written, then ``run`` raises KeyboardInterrupt, as after Ctrl-C (repub.resync.parallel)."""
        self._stop_requested = self._interrupted = True

    def crawl_for(self, url: str) -> CrawlSettings:
        """The host's politeness, with this run's --per-host / --rate over it."""
        return self._crawl_for(url).override(concurrency=self.per_host, rate=self.rate)

    async def _main(self, targets: list[Target], report: ResyncReport,
                    on_done: Callable[[Target, Outcome], None] | None) -> None:
        queue: Iterator[Target] = iter(targets)

        async def worker(fetcher: PoliteFetcher) -> None:
            for target in queue:  # workers share one iterator: each target is checked once
                if self._interrupted:
                    return
                try:
                    outcome, error = await self.check(fetcher, target)
                    report.count(outcome, error)
                    if on_done is not None:
                        on_done(target, outcome)
                except KeyboardInterrupt:  # Ctrl-C / SIGTERM landed in this task: the others finish
                    self._interrupted = True  # the checks in flight, then run() raises it again
                    return

        polite = PoliteFetcher(self.settings.fetch, self.crawl_for(""), on_attempt=self._log_attempt)
        async with polite as fetcher, asyncio.TaskGroup() as group:
            for _ in range(min(self.concurrency, len(targets))):
                group.create_task(worker(fetcher))

    async def check_one(self, fetcher: PoliteFetcher, target: Target) -> tuple[Outcome, str | None]:
        """``check`` outside ``run`` (a worker's job): its bookkeeping written before it returns."""
        try:
            return await self.check(fetcher, target)
        finally:
            await asyncio.to_thread(self._flush)

    def _log_attempt(self, outcome: Page | FetchError) -> None:
        """Every request (robots.txt and retries too) goes to the fetch log, with the next batch."""
        self._buffer(fetch_log_entry(outcome, self.run_id))

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the writer thread (all database work and extraction go through it)."""
        if self._writer is None:  # check() called on its own, outside run(): a thread of the loop's
            return await asyncio.to_thread(fn, *args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, functools.partial(fn, *args, **kwargs))

    def _buffer(self, entry: FetchLogEntry | None, touch: Touch | None = None) -> None:
        """Keep a fetch-log line (or a 304's bookkeeping) for the next batch; on the event loop."""
        if entry is not None:
            self._log.append(entry)
        if touch is not None:
            self._touches.append(touch)
        if len(self._log) >= self.batch and self._writer is not None:
            touches, log = self._take()
            self._flushes = [f for f in self._flushes if not f.done() or f.exception() is not None]
            self._flushes.append(self._writer.submit(self._write, touches, log))

    def _take(self) -> tuple[list[Touch], list[FetchLogEntry]]:
        """Hand over what is buffered (on the thread that buffers: the lists are never shared)."""
        touches, log = self._touches, self._log
        self._touches, self._log = [], []
        return touches, log

    def _flush(self) -> None:
        """At the end of the run (the event loop has stopped): write what is still buffered."""
        self._write(*self._take())

    def _write(self, touches: list[Touch], log: list[FetchLogEntry]) -> None:
        """One transaction for a batch of bookkeeping (on the writer thread, or at the end)."""
        if touches or log:
            touch_checked_many(self.store, touches, log)
            if self._on_flush is not None:
                self._on_flush()

    async def check(self, fetcher: PoliteFetcher, target: Target) -> tuple[Outcome, str | None]:
        try:
            page = await fetcher.fetch(target.url, headers=conditional_headers(target),
                                       crawl=self.crawl_for(target.url))
        except FetchError as err:  # its fetch-log line is written (on_attempt)
            verdict = judge(err)
            if self.raise_transient and verdict.transient:
                raise  # the worker's engine retries it (repub.worker.tasks)
            if verdict.name == "gone":
                await self._db(mark_gone, self.store, target.url, utc_now(), http_status=err.status,
                               error=str(err), run_id=self.run_id)
                return "gone", None
            if verdict.name == "refused":
                return "refused", None
            return "failed", str(err)
        if page.status == 304:
            if target.article_id is not None:
                self._buffer(None, Touch(target.article_id, target.url, page.fetched_at))
            else:  # a Target made by hand: find the article by URL
                await self._db(touch_checked, self.store, target.url, page.fetched_at)
            return "not-modified", None
        return await self._db(self._save_checked, target, page)

    def _save_checked(self, target: Target, page: Page) -> tuple[Outcome, str | None]:
        try:
            return self._save(target, page), None
        except RepubError as err:
            return "failed", f"{target.url}: {err}"

    def _save(self, target: Target, page: Page) -> Outcome:
        if page.redirects and page.permanent_redirect is None:
            # Only temporary hops (302/303/307): the article has not moved, keep its URL. The
            # validators are the temporary address's, not the article's: they are not kept.
            headers = {k: v for k, v in page.headers.items() if k not in ("etag", "last-modified")}
            page = replace(page, final_url=target.url, headers=headers)
        record, saved = self.importer.save_page(page, requested_url=target.url)
        self.importer.original_to_follow(record)  # a corrected copy may name another original
        if record.url != target.url and page.permanent_redirect is not None:
            moved = record_moved(self.store, record.url, target.url, page.fetched_at,
                                 old_id=target.article_id, run_id=self.run_id)
            return "moved" if moved else "unchanged"
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
                record, fetched_at=utc_now(), aliases=[stored.article_url], checked=False,
                fingerprint=fingerprint(record.body_text),
            )
        except RepubError as err:
            report.failed += 1
            report.errors.append(f"{stored.article_url}: {err}")
            continue
        report.changed += int(saved.changed)
    return report
