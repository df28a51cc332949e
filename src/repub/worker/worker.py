"""One worker process: claim one URL (its host's slot booked in the same transaction), fetch it,
extract and store it through the Importer, mark it done or failed, and enqueue the original a copy
links to. The lease is renewed while a URL takes long; a worker killed outright simply lets its
lease expire, and another worker takes the URL again.

Each worker reads a host's robots.txt before its first URL there (kept ``robots_ttl`` seconds): a
refused URL fails with "refused by robots.txt", and a Crawl-delay widens the host's shared slot in
the database, so every worker keeps to it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import socket
import threading
import time
from dataclasses import dataclass
from types import FrameType

from ..config import Settings
from ..discover.robots import REFUSED, ROBOTS_TYPES, RobotsPolicy, policy_after_failure, robots_url
from ..errors import FetchError, RepubError
from ..fetch import Fetcher
from ..fetch.retry import retry_delay
from ..fetch.types import Page
from ..normalize import canonical_url
from ..pipeline import Importer
from ..store import Store
from ..store import queue as q

log = logging.getLogger("repub.worker")


@dataclass(frozen=True)
class _Retry:
    """A transient failure: the URL goes back to the queue and its host waits ``wait`` seconds."""

    wait: float
    message: str


@dataclass(frozen=True)
class WorkerOptions:
    lease: float = 60.0  # seconds a claimed URL stays ours without renewal
    exit_when_empty: bool = False  # stop when nothing is queued or leased anywhere
    max_items: int | None = None  # stop after this many URLs
    idle_sleep: float = 0.5  # longest pause when no host is free
    owner: str | None = None
    attempts: int = 3  # tries of a URL that fails transiently (timeouts, refused, 429, 502-504)
    backoff: float = 2.0  # seconds before the 2nd try, doubled for each further one (jittered)
    max_retry_after: float = 300.0  # a longer Retry-After fails the URL instead of holding its host
    robots_ttl: float = 3600.0  # seconds a host's robots.txt is trusted before it is read again
    max_crawl_delay: float = 30.0  # robots.txt Crawl-delay is honoured up to this


@dataclass
class WorkerResult:
    owner: str
    done: int = 0
    failed: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        rate = self.done / self.seconds if self.seconds else 0.0
        return (f"worker {self.owner}: {self.done} done, {self.failed} failed, {self.seconds:.1f} s "
                f"({rate:.1f} pages/s)")


class Worker:
    def __init__(self, store: Store, settings: Settings, options: WorkerOptions | None = None) -> None:
        self.store, self.settings = store, settings
        self.options = options or WorkerOptions()
        self.owner = self.options.owner or f"{socket.gethostname()}:{os.getpid()}"
        self.importer = Importer(store, settings)
        self.stopping = False
        self._held: int | None = None
        self._renewer_stop = threading.Event()
        self._robots: dict[str, tuple[RobotsPolicy, float]] = {}  # robots.txt URL -> (policy, read at)

    def stop(self, *_args: object) -> None:
        self.stopping = True

    def run(self) -> WorkerResult:
        result = WorkerResult(self.owner)
        started = time.monotonic()
        previous = self._install_signals()
        renewer = threading.Thread(target=self._renew_loop, daemon=True, name="repub-lease")
        renewer.start()
        # one HTTP client for the worker's life (a client per page costs more than the page)
        self._loop = asyncio.new_event_loop()
        self._fetcher = Fetcher(self.settings.fetch)
        self._loop.run_until_complete(self._fetcher.__aenter__())
        try:
            while not self.stopping:
                limit = self.options.max_items
                if limit is not None and result.done + result.failed >= limit:
                    break
                item = q.claim(self.store, self.owner, lease=self.options.lease)
                if item is None:
                    wait = q.next_free(self.store)
                    if wait is None and self.options.exit_when_empty:
                        break
                    # a free host whose row another worker holds right now: try again very soon
                    pause = self.options.idle_sleep if wait is None else max(0.002, wait)
                    time.sleep(min(self.options.idle_sleep, pause) * random.uniform(0.8, 1.2))
                    continue
                self._held = item.id
                error = self._process(item)
                self._held = None
                if isinstance(error, _Retry):
                    q.retry_later(self.store, self.owner, item.id, host=item.host, wait=error.wait,
                                  error=error.message)
                    log.info("retry %s in %.1f s: %s", item.url, error.wait, error.message)
                    continue
                q.finish(self.store, self.owner, item.id, error=error)
                if error:
                    result.failed += 1
                    log.warning("failed %s: %s", item.url, error)
                else:
                    result.done += 1
        finally:
            self._renewer_stop.set()
            if self._held is not None:
                q.release(self.store, self.owner, [self._held])
            self._restore_signals(previous)
            self._loop.run_until_complete(self._fetcher.aclose())
            self._loop.close()
            result.seconds = time.monotonic() - started
        return result

    def _process(self, item: q.Claim) -> str | _Retry | None:
        imp = self.importer
        refused = self._obey_robots(item)
        if refused is not None:
            return refused
        try:
            page = self._fetch(item.url)
        except FetchError as err:
            wait = self._retry_wait(err, item.attempts)
            if wait is not None:
                return _Retry(wait, str(err))
            return self._failed(item, err)
        try:
            if item.kind == "original" and item.copy_url:
                imp.save_original(page, copy_url=item.copy_url, original_url=item.url, outlet=item.outlet)
                return None
            record, _saved = imp.save_page(page, requested_url=item.url)
            original_url = imp.original_to_follow(record)
            if original_url is not None:
                view = self.store.get(original_url)
                if view is None or view.status != "ok":
                    outlet = record.original.outlet if record.original else None
                    found = q.Enqueue(original_url, item.source, "original", record.url, outlet)
                    q.enqueue(self.store, [found], rate=1.0 / item.interval if item.interval else 1.0)
            return None
        except RepubError as err:
            return self._failed(item, err)

    def _failed(self, item: q.Claim, err: RepubError) -> str:
        """A final failure: an original's stub keeps it too. Returns the queue's error text."""
        if item.kind == "original":
            with contextlib.suppress(RepubError):
                self.importer.original_failed(item.url, err)
        return str(err) or type(err).__name__

    def _obey_robots(self, item: q.Claim) -> str | _Retry | None:
        """None when robots.txt lets the worker fetch ``item``; else the URL's failure or retry."""
        policy = self._robots_policy(item)
        if isinstance(policy, FetchError):  # unreachable robots.txt: assume disallow, try again later
            message = f"robots.txt unreadable, nothing fetched from this host: {policy.message}"
            err = FetchError(item.url, policy.kind, message, status=policy.status,
                             retry_after=policy.retry_after)
            self.importer.log_failure(err)
            wait = self._retry_wait(err, item.attempts)
            return _Retry(wait, str(err)) if wait is not None else self._failed(item, err)
        if not policy.allowed(item.url):
            err = FetchError(item.url, "robots", REFUSED)
            self.importer.log_failure(err)
            return self._failed(item, err)
        return None

    def _robots_policy(self, item: q.Claim) -> RobotsPolicy | FetchError:
        """The host's robots.txt policy, read at most once per ``robots_ttl``; the fetch error when it
        cannot be read. Both the read and its failure are in the fetch log."""
        url = robots_url(item.url)
        cached = self._robots.get(url)
        if cached is not None and time.monotonic() - cached[1] < self.options.robots_ttl:
            return cached[0]
        agent = self.settings.fetch.user_agent
        try:
            page = self._loop.run_until_complete(self._fetcher.fetch(url, accept=ROBOTS_TYPES))
        except FetchError as err:
            self.importer.log_failure(err)
            found = policy_after_failure(err, agent)
            if found is None:
                return err
            policy = found
        else:
            self.importer.log_page(page)
            policy = RobotsPolicy.from_text(page.text, agent)
        self._robots[url] = (policy, time.monotonic())
        if policy.crawl_delay:
            q.widen_host(self.store, item.host, min(policy.crawl_delay, self.options.max_crawl_delay))
        return policy

    def _retry_wait(self, err: FetchError, attempts: int) -> float | None:
        """Seconds before another try of a transient failure; None when the failure is final."""
        opts = self.options
        return retry_delay(err, attempts, opts.attempts, backoff=opts.backoff,
                           max_retry_after=opts.max_retry_after, jitter=0.25)

    def _fetch(self, url: str) -> Page:
        """``Importer.fetch`` with the worker's long-lived client: logged either way."""
        url = canonical_url(url)
        try:
            page = self._loop.run_until_complete(self._fetcher.fetch(url))
        except FetchError as err:
            self.importer.log_failure(err)
            raise
        self.importer.log_page(page)
        return page

    def _renew_loop(self) -> None:
        period = max(0.2, self.options.lease / 3)
        while not self._renewer_stop.wait(period):
            held = self._held
            if held is not None:
                try:
                    q.renew(self.store, self.owner, [held], lease=self.options.lease)
                except RepubError as err:
                    log.warning("lease renewal failed: %s", err)

    def _install_signals(self) -> dict[int, object]:
        previous: dict[int, object] = {}
        if threading.current_thread() is not threading.main_thread():
            return previous
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, self._on_signal)
        return previous

    def _on_signal(self, _sig: int, _frame: FrameType | None) -> None:
        self.stop()

    @staticmethod
    def _restore_signals(previous: dict[int, object]) -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
