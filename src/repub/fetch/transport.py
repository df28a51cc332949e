"""The httpx transport under the fetcher (httpx's own, over ``repub.fetch.pool``), and ``release``,
which hands a finished response's connection back for the next request.

One more per-request cost, found profiling a resync of 2,000 pages answering 304 (keep-alive,
loopback), is taken out here, at import: anyio imports its asyncio backend (and most of itself) at the
first request, ~16 ms of imports that landed inside every run, with all of its first checks waiting on
them. It is imported here, with the rest of the fetcher. (The other, httpcore importing ``sniffio`` on
every lock it makes, which searched ``sys.path`` on disk each time while sniffio was not installed,
is met by depending on sniffio: see pyproject.toml.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import anyio._backends._asyncio  # noqa: F401  (see above)
import httpx

from repub.fetch.pool import SUPPORTED, make_pool

_NO_BODY_STATUSES = frozenset({204, 304})
_DRAIN_MAX_BYTES = 64 * 1024  # a short body left unread is read out so its connection can be reused
_DRAIN_SECONDS = 0.25  # ... if it arrives promptly

# httpx's defaults for a client, kept as they were (keep-alive connections live 5 s).
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)


class Transport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` (its request/response mapping and errors) over our own pool."""

    def __init__(self, *, http2: bool, limits: httpx.Limits = LIMITS, linear: bool = SUPPORTED,
                 peer_check: Callable[[str, str], None] | None = None) -> None:
        # AsyncHTTPTransport.__init__ only builds ``_pool`` (loading the certificates on the way), and
        # it takes no network backend: ``_pool`` is all its methods use, so it is made here instead.
        # ``peer_check``: the SSRF guard's connect-time half (``repub.fetch.guard.peer_check``).
        self._pool = make_pool(http2=http2, limits=limits, linear=linear, peer_check=peer_check)


async def release(response: httpx.Response, deadline: float) -> None:
    """Close ``response``, handing its connection back to the pool when that costs next to nothing.

    httpcore reuses a keep-alive connection only once the response was read to its end; closed
    earlier, the connection is dropped and the next request pays a new TCP (and TLS) handshake. A 304
    has no body by definition, and a redirect or error page usually a short one that has already
    arrived: those are read (briefly, errors ignored). Anything long or open-ended is closed unread.
    The reading never runs into the fetch's own deadline: a page in hand is not lost to a timeout.
    """
    budget = min(_DRAIN_SECONDS, deadline - asyncio.get_running_loop().time() - 0.05)
    if budget > 0 and not response.is_stream_consumed and _drainable(response):
        try:
            async with asyncio.timeout(budget):
                async for _chunk in response.aiter_raw():
                    pass
        except (TimeoutError, httpx.HTTPError):
            pass  # the connection is simply not reused
    await response.aclose()


def _drainable(response: httpx.Response) -> bool:
    if response.status_code in _NO_BODY_STATUSES or response.request.method == "HEAD":
        return True
    length = response.headers.get("content-length", "")
    return length.isascii() and length.isdigit() and int(length) <= _DRAIN_MAX_BYTES
