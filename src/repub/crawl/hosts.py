"""Per-host state: when the next request may start, a pause asked by Retry-After, the interval
(rate, Crawl-delay) and the host's robots.txt.

``MemoryHosts`` keeps it in the process (one run of ingest or resync: its hosts are its own);
``DatabaseHosts`` keeps it in the database (``repub.store.hosts``) so every worker on every machine
keeps to the same slots, pauses and robots.txt. Both answer the same four questions.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..store import Store


@dataclass(frozen=True)
class RobotsRecord:
    """A host's robots.txt as last read: its text (None when it allowed everything by being absent)
    or the failure that kept it from being read (``error`` = (kind, message))."""

    text: str | None
    error: tuple[str, str] | None
    age: float  # seconds since it was read


class HostState(Protocol):
    async def book(self, host: str, interval: float) -> float:
        """Reserve the host's next request start (at least ``interval`` after the previous one, after
        any pause); returns the seconds to wait before starting."""
        ...

    async def paused_for(self, host: str) -> float:
        """Seconds the host is still paused for (0 when it is not)."""
        ...

    async def pause(self, host: str, seconds: float) -> None:
        """Retry-After: no request to the host starts for ``seconds`` (nor any booked before)."""
        ...

    async def widen(self, host: str, interval: float) -> None:
        """Keep at least ``interval`` seconds between starts from now on (a Crawl-delay); a narrower
        one leaves the host as it is."""
        ...

    async def robots(self, host: str) -> RobotsRecord | None: ...

    async def save_robots(self, host: str, text: str | None, error: tuple[str, str] | None) -> None: ...


STARTS_KEPT = 64


@dataclass
class _Host:
    next_start: float = 0.0  # monotonic time of the next allowed start
    paused_until: float = 0.0
    interval: float = 0.0  # the widest asked by robots.txt so far
    robots: tuple[str | None, tuple[str, str] | None, float] | None = None  # text, error, read at
    # the limiter's last decisions (monotonic start times granted), so spacing can be checked exactly
    starts: deque[float] = field(default_factory=lambda: deque(maxlen=STARTS_KEPT))


class MemoryHosts:
    """The state of one process's hosts (asyncio: used from one event loop)."""

    def __init__(self) -> None:
        self.hosts: dict[str, _Host] = {}

    def _get(self, host: str) -> _Host:
        found = self.hosts.get(host)
        if found is None:
            found = self.hosts[host] = _Host()
        return found

    async def book(self, host: str, interval: float) -> float:
        h = self._get(host)
        now = time.monotonic()
        start = max(now, h.next_start, h.paused_until)
        # reserved before the caller sleeps, so concurrent requests queue behind it
        h.next_start = start + max(interval, h.interval)
        h.starts.append(start)
        return start - now

    async def paused_for(self, host: str) -> float:
        return max(0.0, self._get(host).paused_until - time.monotonic())

    async def pause(self, host: str, seconds: float) -> None:
        h = self._get(host)
        h.paused_until = max(h.paused_until, time.monotonic() + seconds)
        h.next_start = max(h.next_start, h.paused_until)

    async def widen(self, host: str, interval: float) -> None:
        h = self._get(host)
        if interval > h.interval:
            h.interval = interval
            # the next start was booked with the old interval: it moves on too
            h.next_start = max(h.next_start, time.monotonic() + interval)

    async def robots(self, host: str) -> RobotsRecord | None:
        found = self._get(host).robots
        if found is None:
            return None
        text, error, read_at = found
        return RobotsRecord(text, error, time.monotonic() - read_at)

    async def save_robots(self, host: str, text: str | None, error: tuple[str, str] | None) -> None:
        self._get(host).robots = (text, error, time.monotonic())


class DatabaseHosts:
    """Host state in the database's ``host_slots`` table, shared by every worker on every machine.
    Times come from the database server's clock (PostgreSQL), so workers whose clocks differ agree.
    Each call is one short transaction, run off the event loop."""

    def __init__(self, store: Store) -> None:
        from ..store import hosts

        self.store = store
        self._db = hosts

    async def book(self, host: str, interval: float) -> float:
        return await asyncio.to_thread(self._db.book, self.store, host, interval)

    async def paused_for(self, host: str) -> float:
        return await asyncio.to_thread(self._db.paused_for, self.store, host)

    async def pause(self, host: str, seconds: float) -> None:
        await asyncio.to_thread(self._db.pause, self.store, host, seconds)

    async def widen(self, host: str, interval: float) -> None:
        await asyncio.to_thread(self._db.widen, self.store, host, interval)

    async def robots(self, host: str) -> RobotsRecord | None:
        found = await asyncio.to_thread(self._db.robots, self.store, host)
        return None if found is None else RobotsRecord(*found)

    async def save_robots(self, host: str, text: str | None, error: tuple[str, str] | None) -> None:
        await asyncio.to_thread(self._db.save_robots, self.store, host, text, error)
