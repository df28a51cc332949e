"""Polite fetching for ingest: robots.txt, per-host rate and concurrency, Retry-After, retries.

``PoliteFetcher.fetch(url)`` returns a ``Page`` or raises ``FetchError`` like ``Fetcher.fetch``, but
first asks the host's robots.txt (fetched once per host and run, kind ``robots`` when refused), waits
for a slot of the host (``concurrency`` requests at a time, one start every ``max(1/rate, Crawl-delay)``
seconds) and retries transient failures (timeouts, connection errors, 429, 502/503/504) with exponential
backoff and jitter, or after the server's Retry-After, which pauses the whole host.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..discover import RobotsPolicy
from ..discover.robots import REFUSED, ROBOTS_TYPES, policy_after_failure, robots_url
from ..errors import FetchError
from ..fetch import HTML_TYPES, Fetcher
from ..fetch.retry import asked_wait, retry_delay
from ..fetch.types import FetchSettings, Page


@dataclass(frozen=True)
class Politeness:
    """Knobs of polite fetching; per-host rate/concurrency defaults come from the source."""

    rate: float = 1.0  # request starts per second per host
    concurrency: int = 2  # requests in flight per host
    retries: int = 3  # extra attempts after a transient failure
    backoff: float = 1.0  # first backoff in seconds, doubled each attempt, with +-50% jitter
    max_backoff: float = 60.0
    max_retry_after: float = 120.0  # a longer Retry-After gives up instead of holding the run
    max_crawl_delay: float = 30.0  # robots.txt Crawl-delay is honoured up to this
    jitter: float = 0.5


STARTS_KEPT = 64


@dataclass
class _Host:
    semaphore: asyncio.Semaphore
    interval: float  # seconds between request starts
    next_start: float = 0.0  # monotonic time of the next allowed start
    paused_until: float = 0.0  # monotonic time a Retry-After asked the whole host to wait until
    robots: RobotsPolicy | None = None
    robots_error: tuple[str, str] | None = None  # (kind, message) when robots.txt could not be read
    robots_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # the limiter's last decisions (monotonic start times granted), so spacing can be checked exactly
    starts: deque[float] = field(default_factory=lambda: deque(maxlen=STARTS_KEPT))


class HostLimiter:
    """Per-host slots: at most ``concurrency`` in flight, starts spaced by the host's interval."""

    def __init__(self) -> None:
        self.hosts: dict[str, _Host] = {}

    def host(self, netloc: str, rate: float, concurrency: int) -> _Host:
        # the first source to reach a host sets its limits (an original's host takes its copy's source's)
        if netloc not in self.hosts:
            self.hosts[netloc] = _Host(asyncio.Semaphore(concurrency), 1.0 / rate)
        return self.hosts[netloc]

    @asynccontextmanager
    async def slot(self, host: _Host) -> Any:
        async with host.semaphore:
            await self.turn(host)
            yield

    @staticmethod
    async def turn(host: _Host) -> None:
        """Wait for the host's next start. A request already admitted (holding the host's semaphore,
        waiting for its start) when a Retry-After pauses the host waits out the pause too, and takes a
        new turn after it: nothing is sent to a paused host."""
        while True:
            now = time.monotonic()
            start = max(now, host.next_start, host.paused_until)
            # reserve the start before sleeping so concurrent waiters queue behind it
            host.next_start = start + host.interval
            host.starts.append(start)
            if start > now:
                await asyncio.sleep(start - now)
            if not HostLimiter.paused(host):
                return

    @staticmethod
    def paused(host: _Host) -> bool:
        return time.monotonic() < host.paused_until

    @staticmethod
    def pause(host: _Host, seconds: float) -> None:
        """Retry-After: no request to this host starts for ``seconds``, including those admitted."""
        host.paused_until = max(host.paused_until, time.monotonic() + seconds)
        host.next_start = max(host.next_start, host.paused_until)


class PoliteFetcher:
    """Use as ``async with PoliteFetcher(settings, politeness) as pf: page = await pf.fetch(url)``.

    ``on_attempt(page_or_error)`` is called for every request made (robots.txt and retries included)
    so each one can be written to the fetch log.
    """

    def __init__(self, settings: FetchSettings, politeness: Politeness | None = None,
                 on_attempt: Callable[[Page | FetchError], None] | None = None) -> None:
        self.settings = settings
        self.politeness = politeness or Politeness()
        self.on_attempt = on_attempt or (lambda _outcome: None)
        self.limiter = HostLimiter()
        self._fetcher = Fetcher(settings)
        self._random = random.Random()

    async def __aenter__(self) -> PoliteFetcher:
        await self._fetcher.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._fetcher.aclose()

    def _host(self, url: str, rate: float | None, concurrency: int | None) -> _Host:
        parts = urlsplit(url)
        p = self.politeness
        return self.limiter.host(f"{parts.scheme}://{parts.netloc.lower()}", rate or p.rate,
                                 concurrency or p.concurrency)

    async def fetch(self, url: str, *, accept: Collection[str] = HTML_TYPES, rate: float | None = None,
                    concurrency: int | None = None, hold: asyncio.Semaphore | None = None) -> Page:
        """The page. ``hold``: acquired once the host admits the request (waiting for it does not hold
        up other hosts), before it is sent; still held when the page is returned, for the caller to
        release when done with the page; released here when no page comes back."""
        host = self._host(url, rate, concurrency)
        policy = await self._robots(url, host)
        if host.robots_error is not None:
            # robots.txt could not be read: nothing is fetched from the host, and the reason is shown
            kind, message = host.robots_error
            err = FetchError(url, kind, f"robots.txt unreadable, nothing fetched from this host: {message}")
            self.on_attempt(err)
            raise err
        if not policy.allowed(url):
            err = FetchError(url, "robots", REFUSED)
            self.on_attempt(err)
            raise err
        return await self._with_retries(url, host, accept, hold)

    async def _with_retries(self, url: str, host: _Host, accept: Collection[str],
                            hold: asyncio.Semaphore | None = None) -> Page:
        held = False
        try:
            attempt = 0
            while True:
                async with self.limiter.slot(host):
                    while hold is not None and not held:
                        await hold.acquire()
                        held = True
                        if self.limiter.paused(host):  # paused while waiting for the run's slot
                            hold.release()  # nothing to hold while the host waits
                            held = False
                            await self.limiter.turn(host)
                    try:
                        page = await self._fetcher.fetch(url, accept=accept)
                    except FetchError as err:
                        self.on_attempt(err)
                        delay = self._retry_delay(err, attempt)
                        if delay is None:
                            raise
                        asked = asked_wait(err) is not None
                    else:
                        self.on_attempt(page)
                        held = False  # the caller's now
                        return page
                attempt += 1
                if held:  # nothing to hold while waiting to retry
                    assert hold is not None
                    hold.release()
                    held = False
                if asked:
                    self.limiter.pause(host, delay)  # the server asked the whole host to wait
                else:
                    await asyncio.sleep(delay)  # backoff for this URL only; the host's slot is free
        finally:
            if held:
                assert hold is not None
                hold.release()

    def _retry_delay(self, err: FetchError, attempt: int) -> float | None:
        """Seconds before the next attempt (``attempt`` retries made so far), None when final."""
        p = self.politeness
        return retry_delay(err, attempt + 1, p.retries + 1, backoff=p.backoff,
                           max_retry_after=p.max_retry_after, max_backoff=p.max_backoff, jitter=p.jitter,
                           rng=self._random)

    async def _robots(self, url: str, host: _Host) -> RobotsPolicy:
        """The host's robots.txt policy, fetched once (the lock stops parallel first requests racing)."""
        async with host.robots_lock:
            if host.robots is None:
                host.robots = await self._fetch_robots(url, host)
                delay = host.robots.crawl_delay
                if delay:
                    host.interval = max(host.interval, min(delay, self.politeness.max_crawl_delay))
            return host.robots

    async def _fetch_robots(self, url: str, host: _Host) -> RobotsPolicy:
        agent = self.settings.user_agent
        try:
            page = await self._with_retries(robots_url(url), host, ROBOTS_TYPES)
        except FetchError as err:
            found = policy_after_failure(err, agent)
            if found is not None:
                return found
            # unreachable (5xx, network): "assume complete disallow" until it can be read (RFC 9309)
            host.robots_error = ("robots" if err.kind == "http" else err.kind, err.message)
            return RobotsPolicy.from_text("User-agent: *\nDisallow: /\n", agent)
        return RobotsPolicy.from_text(page.text, agent)
