"""Connection reuse in repub.fetch, against a real HTTP/1.1 server on 127.0.0.1 that counts connections.

A resync is mostly conditional GETs answered 304: each used to cost a new TCP connection, because a
response closed before it was read to its end (even an empty 304) cannot be handed back to the pool.
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpcore
import httpx
import pytest

from countingweb import ETAG, HOST, CountingServer, counting_server
from repub.errors import FetchError
from repub.fetch import Fetcher, FetchSettings
from repub.fetch.pool import LinearPool, tls_context
from repub.fetch.transport import Transport


@pytest.fixture(scope="module")
def server() -> Iterator[CountingServer]:
    with counting_server() as srv:
        yield srv


@pytest.fixture
def web(server: CountingServer) -> CountingServer:
    server.connections = server.requests = 0
    return server


def settings(web: CountingServer) -> FetchSettings:
    base = f"http://127.0.0.1:{web.server_address[1]}/{HOST}"
    return FetchSettings(host_map={HOST: base}, connect_timeout=2, read_timeout=2, total_timeout=5)


async def _checks(cfg: FetchSettings, path: str, count: int, concurrency: int) -> list[int]:
    statuses: list[int] = []
    async with Fetcher(cfg) as fetcher:
        async def one() -> None:
            for _ in range(count // concurrency):
                page = await fetcher.fetch(f"https://{HOST}{path}", {"If-None-Match": ETAG})
                statuses.append(page.status)

        await asyncio.gather(*(one() for _ in range(concurrency)))
    return statuses


def test_conditional_checks_one_at_a_time_share_one_connection(web: CountingServer) -> None:
    statuses = asyncio.run(_checks(settings(web), "/page", 40, 1))
    assert statuses == [304] * 40
    assert (web.requests, web.connections) == (40, 1)


def test_concurrent_checks_use_one_connection_per_check_in_flight(web: CountingServer) -> None:
    statuses = asyncio.run(_checks(settings(web), "/page", 200, 4))
    assert statuses == [304] * 200
    assert web.requests == 200
    assert 1 <= web.connections <= 4


def test_redirect_hops_and_short_error_pages_keep_the_connection(web: CountingServer) -> None:
    cfg = settings(web)

    async def run() -> list[str]:
        seen = []
        async with Fetcher(cfg) as fetcher:
            for _ in range(5):
                page = await fetcher.fetch(f"https://{HOST}/moved")
                seen.append(f"{page.status} {page.final_url}")
                with pytest.raises(FetchError) as info:
                    await fetcher.fetch(f"https://{HOST}/gone")
                seen.append(f"{info.value.kind} {info.value.status}")
        return seen

    assert asyncio.run(run()) == [f"200 https://{HOST}/page", "http 404"] * 5
    assert (web.requests, web.connections) == (15, 1)


@pytest.mark.parametrize("path", ["/gone-huge", "/gone-stalled"])
def test_a_long_or_stalled_error_body_is_not_waited_for(web: CountingServer, path: str) -> None:
    # The server sends the 404's headers and 6 bytes, then nothing until the module's end. A fetcher
    # that waited for the body would end on its read timeout (kind "timeout", 30 s here), never as
    # the 404: no clock needed to tell the two apart.
    cfg = FetchSettings(host_map=settings(web).host_map, connect_timeout=2, read_timeout=30,
                        total_timeout=60)

    async def run() -> FetchError:
        async with Fetcher(cfg) as fetcher:
            with pytest.raises(FetchError) as info:
                await fetcher.fetch(f"https://{HOST}{path}")
            return info.value

    err = asyncio.run(run())
    assert (err.kind, err.status) == ("http", 404)


def test_an_idle_connection_closed_by_the_server_is_not_reused(web: CountingServer) -> None:
    cfg = settings(web)

    async def run() -> list[int]:
        statuses = []
        async with Fetcher(cfg) as fetcher:
            for _ in range(3):
                statuses.append((await fetcher.fetch(f"https://{HOST}/page-then-close")).status)
                await asyncio.sleep(0.05)  # the server's FIN arrives while the connection is idle
        return statuses

    assert asyncio.run(run()) == [200, 200, 200]
    assert (web.requests, web.connections) == (3, 3)


def test_cookies_set_by_a_response_go_with_the_next_requests(web: CountingServer) -> None:
    async def run() -> list[str]:
        async with Fetcher(settings(web)) as fetcher:
            paths = ("whoami", "page", "login", "whoami")
            pages = [await fetcher.fetch(f"https://{HOST}/{path}") for path in paths]
        return [page.text.removeprefix("<html><body><p>").split("<")[0] for page in pages]

    seen = asyncio.run(run())
    assert (seen[0], seen[3]) == ("none", "session=abc")  # no cookie before /login, its cookie after


def _burst(web: CountingServer, linear: bool, keepalive: int) -> tuple[list[int], int, int]:
    """30 requests at once through a pool of at most 3 connections: (statuses, connections opened,
    connections left in the pool)."""
    web.connections = 0
    limits = httpx.Limits(max_connections=3, max_keepalive_connections=keepalive, keepalive_expiry=5.0)
    url = f"http://127.0.0.1:{web.server_address[1]}/{HOST}/page"

    async def run() -> tuple[list[int], int, int]:
        transport = Transport(http2=False, limits=limits, linear=linear)
        assert isinstance(transport._pool, LinearPool) == linear
        async with httpx.AsyncClient(transport=transport) as client:
            responses = await asyncio.gather(*(client.get(url, headers={"If-None-Match": ETAG})
                                               for _ in range(30)))
            return [r.status_code for r in responses], web.connections, len(transport._pool.connections)

    return asyncio.run(run())


def test_linear_pool_behaves_as_httpcores_own(web: CountingServer) -> None:
    """Requests queue for released connections and all succeed; with room for every connection to stay
    idle, 3 connections serve all 30. httpcore closes a released connection while the pool holds more
    than ``max_keepalive_connections`` connections (idle or not): kept as it is, same counts."""
    assert _burst(web, True, 3) == _burst(web, False, 3) == ([304] * 30, 3, 3)
    assert _burst(web, True, 2) == _burst(web, False, 2) == ([304] * 30, 30, 2)


def test_certificates_are_loaded_at_the_first_tls_connection_only() -> None:
    pool = LinearPool()
    pool.create_connection(httpcore.Origin(b"http", b"a.example", 80))
    assert pool._ssl_context is None  # a plain-http run never loads them
    pool.create_connection(httpcore.Origin(b"https", b"a.example", 443))
    assert pool._ssl_context is tls_context()  # once per process, shared


# --- over TLS (a self-signed certificate made with the openssl command) ------------------------------


def _self_signed(folder: Path) -> ssl.SSLContext:
    """A server-side context with a new self-signed certificate for 127.0.0.1 (cert.pem in ``folder``)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", key,
                    "-out", cert, "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def tls_settings(web: CountingServer) -> FetchSettings:
    base = f"https://127.0.0.1:{web.server_address[1]}/{HOST}"
    return FetchSettings(host_map={HOST: base}, connect_timeout=2, read_timeout=2, total_timeout=5)


def test_tls_certificates_are_verified(tmp_path: Path) -> None:
    with counting_server(_self_signed(tmp_path)) as web, pytest.raises(FetchError) as info:
        asyncio.run(_checks(tls_settings(web), "/page", 1, 1))  # a certificate no one trusts
    assert info.value.kind == "connect"
    assert "TLS error: CERTIFICATE_VERIFY_FAILED" in info.value.message


def test_tls_connections_are_reused(tmp_path: Path) -> None:
    with counting_server(_self_signed(tmp_path)) as web:
        tls_context().load_verify_locations(tmp_path / "cert.pem")  # the process now trusts this one too
        assert asyncio.run(_checks(tls_settings(web), "/page", 20, 1)) == [304] * 20
        assert (web.requests, web.connections) == (20, 1)
