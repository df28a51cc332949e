"""The fetcher's connection pool: httpcore's, with its bookkeeping made cheap.

httpcore (1.0) runs ``_assign_requests_to_connections`` whenever a request starts or ends (4-5 times
per request). On a resync (16 checks in flight, mostly 304s) that pass was a third of the CPU:

* for every idle connection it counted the pool again (a list of ``is_idle()`` over every connection):
  quadratic, ~250 method calls per pass with 16 connections;
* for every idle connection it asked whether the server had closed it: through anyio a dict of all the
  socket's attributes (with a ``getpeername`` system call), then a ``poll`` system call. Each system
  call also lets the resync's database thread take the GIL for a while.

``LinearPool`` makes the same decisions with less work: its walk over all connections (dropping closed
ones, closing expired ones and those over ``max_keepalive_connections``) is linear, and runs at most
every ``SWEEP_SECONDS`` while the pool has room (every pass otherwise, as httpcore); a connection
about to be reused is always checked first, so a request never gets one that has expired or that the
server has closed. What may wait up to ``SWEEP_SECONDS`` longer than under httpcore is only the closing
of expired connections nobody asked for. ``Stream`` keeps its raw socket: the "closed by the server?"
check is one ``poll``, without anyio's attribute dict.

The certificate store (~20 ms to load certifi's roots) is loaded once per process, at the first TLS
connection: a run over plain http never pays for it, ``fetch_page`` calls after the first do not.

``LinearPool`` reads httpcore's private fields, so it is used only with the httpcore it was written
against (``SUPPORTED``); any other version gets httpcore's own pool (correct, slower).
"""

from __future__ import annotations

import functools
import ssl
import time
import typing

import httpcore
import httpx
from httpcore._async.interfaces import AsyncConnectionInterface
from httpcore._backends.anyio import AnyIOBackend
from httpcore._utils import is_socket_readable

SUPPORTED = httpcore.__version__.startswith("1.0.")


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The one TLS context of the process, as httpx.AsyncClient(trust_env=False) makes it: certifi's
    roots, no SSL_CERT_FILE & co. (Shared: httpcore only sets the same ALPN list on it each time.)"""
    return httpx.create_ssl_context(trust_env=False)


class Stream(httpcore.AsyncNetworkStream):
    """An anyio stream that keeps its raw socket, for the "is the idle connection readable" check."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        return Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable":  # data or EOF waiting on an idle connection: the server closed it
            return is_socket_readable(self._socket)
        return self._inner.get_extra_info(info)


class Backend(AnyIOBackend):
    """httpcore's anyio backend, its TCP streams wrapped in ``Stream``; with a ``peer_check``
    (``repub.fetch.guard.peer_check``), each new connection's actual peer address is judged and the
    connection closed before use if refused."""

    def __init__(self, peer_check: typing.Callable[[str, str], None] | None = None) -> None:
        self.peer_check = peer_check

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        stream = Stream(await super().connect_tcp(host, port, timeout, local_address, socket_options))
        if self.peer_check is not None:
            try:
                self.peer_check(host, str(stream._socket.getpeername()[0]))
            except BaseException:
                await stream.aclose()
                raise
        return stream


def make_pool(*, http2: bool, limits: httpx.Limits, linear: bool = SUPPORTED,
              peer_check: typing.Callable[[str, str], None] | None = None) -> httpcore.AsyncConnectionPool:
    settings: dict[str, typing.Any] = {
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry, "http1": True, "http2": http2,
        "network_backend": Backend(peer_check),
    }
    if linear:
        return LinearPool(**settings)
    return httpcore.AsyncConnectionPool(ssl_context=tls_context(), **settings)


class LinearPool(httpcore.AsyncConnectionPool):
    SWEEP_SECONDS = 0.1
    _swept = float("-inf")  # when the last walk ran (monotonic)

    def create_connection(self, origin: httpcore.Origin) -> AsyncConnectionInterface:
        if self._ssl_context is None and origin.scheme == b"https":
            self._ssl_context = tls_context()
        return super().create_connection(origin)

    def _assign_requests_to_connections(self) -> list[AsyncConnectionInterface]:
        """httpcore's pass. The walk: closed connections are dropped; idle ones that have expired (keep-
        alive timed out, or closed by the server; a connection in use cannot have) are dropped and
        closed, and so is an idle one while the pool holds more than ``max_keepalive_connections``
        (httpcore compares the pool's length, not the idle count: kept). Then each queued request
        takes the first connection that can serve its origin and has not expired, else a new one if
        under ``max_connections``, else the first idle connection is closed to make room, else waits."""
        closing: list[AsyncConnectionInterface] = []
        now, count = time.monotonic(), len(self._connections)
        if (now - self._swept >= self.SWEEP_SECONDS or count >= self._max_connections
                or count > self._max_keepalive_connections):
            self._swept = now
            self._walk(closing)
        for pool_request in [request for request in self._requests if request.is_queued()]:
            connection = self._reusable(pool_request.request.url.origin, closing)
            if connection is None:
                if len(self._connections) >= self._max_connections:
                    idle = next((c for c in self._connections if c.is_idle()), None)
                    if idle is None:
                        continue  # the request waits for a connection to be released
                    self._connections.remove(idle)
                    closing.append(idle)
                connection = self.create_connection(origin=pool_request.request.url.origin)
                self._connections.append(connection)
            pool_request.assign_to_connection(connection)
        return closing

    def _walk(self, closing: list[AsyncConnectionInterface]) -> None:
        kept: list[AsyncConnectionInterface] = []
        remaining = len(self._connections)  # what httpcore's len(...) sees as it removes connections
        for connection in self._connections:
            if connection.is_closed():
                remaining -= 1
            elif connection.is_idle() and (
                connection.has_expired() or remaining > self._max_keepalive_connections
            ):
                remaining -= 1
                closing.append(connection)
            else:
                kept.append(connection)
        self._connections[:] = kept

    def _reusable(self, origin: httpcore.Origin,
                  closing: list[AsyncConnectionInterface]) -> AsyncConnectionInterface | None:
        """The first connection that can take a request for ``origin``; expired ones met on the way
        are dropped and closed (as the walk would have done)."""
        for connection in list(self._connections):
            if connection.can_handle_request(origin) and connection.is_available():
                if not (connection.is_idle() and connection.has_expired()):
                    return connection
                self._connections.remove(connection)
                closing.append(connection)
        return None
