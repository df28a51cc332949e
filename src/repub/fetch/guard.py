"""SSRF guard: refuse URLs whose host resolves to an address that is not on the public internet.

A scraper fed URLs from feeds and redirects must not be steered at 127.0.0.1, the LAN or a cloud
metadata endpoint. Host-map hosts and ``FetchSettings.allow_hosts`` are trusted and skip the check.

Two halves. Before a request (``check_url``), the URL's host is resolved and judged: a clear refusal
before any connection. The HTTP client resolves the name again to connect, so a name that answered a
public address to the guard and a private one to the client (DNS rebinding, or a cached verdict gone
stale) would get through; so every TCP connection the fetcher opens is judged again on the address it
actually reached (``peer_check``, called by ``repub.fetch.pool.Backend``), and closed before a byte is
sent if that address is refused. A host found public is not looked up again for ``PUBLIC_TTL`` seconds
(a resync asks the same few hosts hundreds of times a minute; each lookup was a trip through a thread);
a host refused is looked up every time; the connect-time check makes the cache safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from repub.errors import FetchError
from repub.fetch.types import FetchSettings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
PUBLIC_TTL = 30.0  # seconds


class PublicHosts:
    """Hosts whose every address was public when last resolved, and until when that is trusted."""

    def __init__(self, ttl: float = PUBLIC_TTL, size: int = 4096) -> None:
        self.ttl, self.size = ttl, size
        self._until: dict[str, float] = {}

    def fresh(self, host: str, now: float) -> bool:
        until = self._until.get(host)
        return until is not None and now < until

    def remember(self, host: str, now: float) -> None:
        if len(self._until) >= self.size:
            self._until.clear()  # crude, and enough: the hosts of a run come back within a TTL
        self._until[host] = now + self.ttl


_public = PublicHosts()


def address_problem(addr: IPAddress) -> str | None:
    """Why ``addr`` must not be fetched ("loopback", "private", ...), or None if it is public."""
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    # Order matters: 127.0.0.1 is also "private", and "loopback" is the clearer word.
    checks = (
        ("unspecified", addr.is_unspecified),
        ("loopback", addr.is_loopback),
        ("link-local", addr.is_link_local),
        ("multicast", addr.is_multicast),
        ("reserved", addr.is_reserved),  # before "private": Python counts 240.0.0.0/4 as both
        ("private", addr.is_private),
        ("non-public", not addr.is_global),  # e.g. 100.64.0.0/10 carrier-grade NAT
    )
    return next((name for name, hit in checks if hit), None)


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _precheck(url: str, settings: FetchSettings) -> str | None:
    """Scheme check; returns the host still to resolve, or None when it needs no resolving."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        raise FetchError(url, "blocked", "refused: not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(url, "blocked", f"refused: scheme {parts.scheme or '(none)'!r} is not http(s)")
    if not host:
        raise FetchError(url, "blocked", "refused: URL has no host")
    if not settings.guard_private or host in settings.host_map or _trusted(host, settings):
        return None
    try:
        literal = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return host
    problem = address_problem(literal)
    if problem:
        raise FetchError(url, "blocked", f"refused: {host} is {_article(problem)} {problem} address")
    return None


def _trusted(host: str, settings: FetchSettings) -> bool:
    """Host-map hosts and allow_hosts, whatever their case (``host`` is lower-cased)."""
    trusted = {h.lower() for h in settings.host_map} | {h.lower().strip("[]") for h in settings.allow_hosts}
    return host in trusted


def _judge(url: str, host: str, infos: list[tuple[Any, ...]]) -> None:
    for info in infos:
        raw = str(info[4][0]).split("%")[0]  # drop an IPv6 scope id (fe80::1%eth0)
        problem = address_problem(ipaddress.ip_address(raw))
        if problem:
            raise FetchError(url, "blocked", f"refused: {host} resolves to {problem} address {raw}")


def _unresolvable(url: str, host: str) -> FetchError:
    return FetchError(url, "connect", f"cannot resolve host {host}")


def check_url(url: str, settings: FetchSettings) -> None:
    """Raise FetchError kind "blocked" if ``url`` must not be fetched (blocking DNS lookup)."""
    host = _precheck(url, settings)
    if host is None or _public.fresh(host, time.monotonic()):
        return
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise _unresolvable(url, host) from None
    _judge(url, host, infos)
    _public.remember(host, time.monotonic())


async def check_url_async(url: str, settings: FetchSettings) -> None:
    """``check_url`` without blocking the event loop."""
    host = _precheck(url, settings)
    if host is None or _public.fresh(host, time.monotonic()):
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise _unresolvable(url, host) from None
    _judge(url, host, infos)
    _public.remember(host, time.monotonic())


class BlockedPeer(Exception):
    """A connection reached an address the guard refuses; raised (and the socket closed) before any
    request is sent on it. The fetcher turns it into a FetchError of kind "blocked"."""

    def __init__(self, host: str, address: str, problem: str) -> None:
        super().__init__(f"refused: {host} connected to {_article(problem)} {problem} address {address}")
        self.host, self.address, self.problem = host, address, problem


def peer_check(settings: FetchSettings) -> Callable[[str, str], None] | None:
    """The connect-time half of the guard for ``settings``: ``check(wire_host, peer_address)`` raises
    BlockedPeer for a refused address. None when the guard is off. The host map's targets (e.g.
    127.0.0.1 for local fixture sites) and ``allow_hosts`` are trusted, as in ``check_url``."""
    if not settings.guard_private:
        return None
    trusted = {h.lower().strip("[]") for h in settings.allow_hosts}
    for target in settings.host_map.values():
        with contextlib.suppress(ValueError):
            trusted.add((urlsplit(target).hostname or "").lower())

    def check(host: str, address: str) -> None:
        if host.lower().strip("[]") in trusted:
            return
        problem = address_problem(ipaddress.ip_address(address.split("%")[0]))
        if problem:
            raise BlockedPeer(host, address, problem)

    return check
