"""``PoliteFetcher``: every page repub crawls (ingest, resync, the workers) is fetched through it.

``fetch(url)`` returns a ``Page`` or raises ``FetchError`` like ``repub.fetch.Fetcher.fetch``, but
first asks the host's robots.txt (read once per host and ``robots_ttl``; a refusal is kind ``robots``),
waits for a slot of the host (``concurrency`` requests at a time in this process, one start every
``max(1/rate, Crawl-delay)`` seconds, after any pause a Retry-After asked for) and, with ``retry``,
tries transient failures again (``repub.crawl.outcomes.retry_delay``). A Retry-After pauses the whole
host: requests already admitted (waiting for their start, or for the caller's ``hold``) wait too.

The host state (``repub.crawl.hosts``) is in memory for one process, or in the database when several
workers share hosts; the fetcher is the same.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..discover.robots import ROBOTS_TYPES, RobotsPolicy, policy_after_failure, robots_url
from ..errors import FetchError
from ..fetch import HTML_TYPES, Fetcher
from ..fetch.types import FetchSettings, Page
from .hosts import HostState, MemoryHosts
from .outcomes import asked_wait, refused, retry_delay, robots_unreadable
from .settings import DEFAULTS, CrawlSettings

# The limiter's decisions (a pause, a wider interval, a retry, a refusal), one line each at INFO
log = logging.getLogger("repub.crawl")
ROBOTS_ERROR_TTL = 60.0  # seconds an unreadable robots.txt holds its host before it is asked again
DISALLOW_ALL = "User-agent: *\nDisallow: /\n"


def host_key(url: str) -> str:
    """The host a URL's politeness is counted on: its host and port, lower case."""
    return urlsplit(url).netloc.lower()


@dataclass
class _Host:
    crawl: CrawlSettings  # of the first source to reach the host
    semaphore: asyncio.Semaphore
    robots: RobotsPolicy | None = None
    robots_error: FetchError | None = None  # robots.txt could not be read
    robots_age: float = 0.0  # loop time the policy was taken
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


Attempt = Callable[[Page | FetchError], None]


class PoliteFetcher:
    """``async with PoliteFetcher(settings) as pf: page = await pf.fetch(url, crawl=...)``.

    ``on_attempt(page_or_error)`` is called for every request made (robots.txt and retries included),
    so each one can go to the fetch log. ``retry=False`` (the workers: the engine retries the job)
    raises the first failure, after pausing the host when the server asked for a wait. ``paced=False``
    leaves the rate to the caller (it holds a slot already)."""

    def __init__(self, settings: FetchSettings, defaults: CrawlSettings = DEFAULTS, *,
                 hosts: HostState | None = None, on_attempt: Attempt | None = None, retry: bool = True,
                 paced: bool = True, rng: random.Random | None = None) -> None:
        self.settings = settings
        self.defaults = defaults
        self.state: HostState = hosts if hosts is not None else MemoryHosts()
        self.on_attempt: Attempt = on_attempt or (lambda _outcome: None)
        self.retry, self.paced = retry, paced
        self.hosts: dict[str, _Host] = {}
        self._fetcher = Fetcher(settings)
        self._random = rng or random.Random()

    async def __aenter__(self) -> PoliteFetcher:
        await self._fetcher.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._fetcher.aclose()

    def _host(self, url: str, crawl: CrawlSettings | None) -> tuple[str, _Host]:
        key = host_key(url)
        found = self.hosts.get(key)
        if found is None:
            crawl = crawl or self.defaults
            found = self.hosts[key] = _Host(crawl, asyncio.Semaphore(crawl.concurrency))
        return key, found

    async def fetch(self, url: str, *, accept: Collection[str] = HTML_TYPES,
                    headers: Mapping[str, str] | None = None, crawl: CrawlSettings | None = None,
                    hold: asyncio.Semaphore | None = None) -> Page:
        """The page. ``crawl``: the settings of the source reaching the host (the first to reach it
        sets its limits). ``hold``: acquired once the host admits the request (waiting for it does not
        hold up other hosts), before it is sent; still held when the page is returned, for the caller
        to release when done with the page; released here when no page comes back."""
        key, host = self._host(url, crawl)
        policy = await self._robots(url, key, host)
        if host.robots_error is not None:
            # robots.txt could not be read: nothing is fetched from the host, and the reason is shown
            err = robots_unreadable(url, host.robots_error)
            log.info("unreadable %s: %s", url, host.robots_error.message)
            self.on_attempt(err)
            raise err
        if not policy.allowed(url):
            err = refused(url)
            log.info("refused %s", url)
            self.on_attempt(err)
            raise err
        return await self._with_retries(url, key, host, accept, headers, hold)

    async def _turn(self, key: str, host: _Host) -> None:
        """Wait for the host's next start. A request admitted (holding the host's semaphore) when a
        Retry-After pauses the host waits the pause out too, and takes a new turn after it."""
        if not self.paced:  # the caller booked the start (a pause moved its booking on too)
            return
        while True:
            wait = await self.state.book(key, host.crawl.interval)
            if wait <= 0:  # booked for now: the booking saw any pause
                return
            await asyncio.sleep(wait)
            if await self.state.paused_for(key) <= 0:
                return

    async def _with_retries(self, url: str, key: str, host: _Host, accept: Collection[str],
                            headers: Mapping[str, str] | None, hold: asyncio.Semaphore | None = None) -> Page:
        held = False
        try:
            tries = 0
            while True:
                async with host.semaphore:
                    await self._turn(key, host)
                    while hold is not None and not held:
                        await hold.acquire()
                        held = True
                        if await self.state.paused_for(key) > 0:  # paused while waiting for the hold
                            hold.release()  # nothing to hold while the host waits
                            held = False
                            await self._turn(key, host)
                    try:
                        page = await self._fetcher.fetch(url, headers, accept=accept)
                    except FetchError as err:
                        self.on_attempt(err)
                        tries += 1
                        asked = asked_wait(err)
                        if asked is not None and asked <= host.crawl.max_retry_after:
                            log.info("pause %s %.3g s: Retry-After", key, asked)
                            await self.state.pause(key, asked)  # the server asked the whole host to wait
                        delay = retry_delay(err, tries, host.crawl, self._random) if self.retry else None
                        if delay is None:
                            raise
                        log.info("retry %s in %.3g s: %s", url, delay, err.message)
                    else:
                        self.on_attempt(page)
                        held = False  # the caller's now
                        return page
                if held:  # nothing to hold while waiting to retry
                    assert hold is not None
                    hold.release()
                    held = False
                if asked is None:
                    await asyncio.sleep(delay)  # backoff for this URL only; the host's slot is free
        finally:
            if held:
                assert hold is not None
                hold.release()

    async def _robots(self, url: str, key: str, host: _Host) -> RobotsPolicy:
        """The host's robots.txt policy, read once per ``robots_ttl`` (the lock stops parallel first
        requests racing); from the shared host state when another process read it already."""
        crawl = host.crawl
        agent = self.settings.user_agent
        if not crawl.robots:
            return RobotsPolicy.allow_all(agent)
        async with host.lock:
            loop = asyncio.get_running_loop()
            ttl = ROBOTS_ERROR_TTL if host.robots_error is not None else crawl.robots_ttl
            if host.robots is not None and loop.time() - host.robots_age < min(ttl, crawl.robots_ttl):
                return host.robots
            known = await self.state.robots(key)
            if known is not None and known.age < (crawl.robots_ttl if known.error is None
                                                  else min(ROBOTS_ERROR_TTL, crawl.robots_ttl)):
                text, error = known.text, known.error
            else:
                text, error = await self._read_robots(url, key, host)
                await self.state.save_robots(key, text, error)
            host.robots_error = _error_from(robots_url(url), error) if error is not None else None
            if error is not None:
                host.robots = RobotsPolicy.from_text(DISALLOW_ALL, agent)
            elif text is not None:
                host.robots = RobotsPolicy.from_text(text, agent)
            else:
                host.robots = RobotsPolicy.allow_all(agent)
            host.robots_age = loop.time()
            delay = host.robots.crawl_delay
            if delay and error is None:
                log.info("widen %s %.3g s: Crawl-delay", key, crawl.crawl_delay(delay))
                await self.state.widen(key, crawl.crawl_delay(delay))
            return host.robots

    async def _read_robots(self, url: str, key: str,
                           host: _Host) -> tuple[str | None, tuple[str, str] | None]:
        """(text or None when absent, None) or (None, (kind, message)) when it cannot be read."""
        try:
            page = await self._with_retries(robots_url(url), key, host, ROBOTS_TYPES, None)
        except FetchError as err:
            if policy_after_failure(err, self.settings.user_agent) is not None:
                return None, None  # missing (4xx) or not text: everything is allowed
            # unreachable (5xx, network): "assume complete disallow" until it can be read (RFC 9309)
            return None, (f"{err.kind} {err.status}" if err.status else err.kind, err.message)
        return page.text, None


def _error_from(url: str, error: tuple[str, str]) -> FetchError:
    """The robots.txt failure kept as (kind[ status], message) in the host state."""
    kind, _, status = error[0].partition(" ")
    return FetchError(url, kind, error[1], status=int(status) if status.isdigit() else None)
