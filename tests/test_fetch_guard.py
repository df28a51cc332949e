"""repub.fetch.guard: the SSRF check (no network needed: IP literals and localhost)."""

from __future__ import annotations

import time

import pytest

from repub.errors import FetchError
from repub.fetch import guard
from repub.fetch.guard import PublicHosts, check_url
from repub.fetch.types import FetchSettings

ON = FetchSettings()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8000/x", "refused: 127.0.0.1 is a loopback address"),
        ("http://10.0.0.1/", "refused: 10.0.0.1 is a private address"),
        ("http://192.168.1.20/", "refused: 192.168.1.20 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is a link-local address"),
        ("http://[::1]/", "refused: ::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "refused: ::ffff:127.0.0.1 is a loopback address"),
        ("http://0.0.0.0/", "refused: 0.0.0.0 is an unspecified address"),
        ("http://224.0.0.1/", "refused: 224.0.0.1 is a multicast address"),
        ("http://240.0.0.1/", "refused: 240.0.0.1 is a reserved address"),
        ("http://100.64.0.1/", "refused: 100.64.0.1 is a non-public address"),
        ("http://localhost:9/", "refused: localhost resolves to loopback address 127.0.0.1"),
        ("file:///etc/passwd", "refused: scheme 'file' is not http(s)"),
        ("ftp://ftp.example.com/x", "refused: scheme 'ftp' is not http(s)"),
    ],
)
def test_refused(url: str, message: str) -> None:
    with pytest.raises(FetchError) as info:
        check_url(url, ON)
    assert info.value.kind == "blocked"
    assert info.value.message == message
    assert str(info.value) == f"{url}: {message}"


def test_public_address_passes() -> None:
    # a public literal: nothing to resolve, nothing refused; the connect-time half lets it through too
    assert check_url("https://93.184.215.14/page", ON) is None
    check = guard.peer_check(ON)
    assert check is not None
    assert check("93.184.215.14", "93.184.215.14") is None
    with pytest.raises(guard.BlockedPeer) as info:  # the same check does refuse a private peer
        check("93.184.215.14", "10.0.0.1")
    assert str(info.value) == "refused: 93.184.215.14 connected to a private address 10.0.0.1"


def test_allow_hosts_host_map_and_switch_bypass() -> None:
    check_url("http://127.0.0.1:8000/x", FetchSettings(allow_hosts=frozenset({"127.0.0.1"})))
    check_url("http://[::1]/x", FetchSettings(allow_hosts=frozenset({"::1"})))
    check_url("http://LocalHost/x", FetchSettings(allow_hosts=frozenset({"localhost"})))
    check_url("https://www.example.com/", FetchSettings(host_map={"WWW.example.com": "http://127.0.0.1:1"}))
    check_url("http://10.1.2.3/", FetchSettings(guard_private=False))
    with pytest.raises(FetchError) as info:  # the scheme check stays on
        check_url("file:///etc/passwd", FetchSettings(guard_private=False))
    assert info.value.kind == "blocked"


def test_unresolvable_host_is_a_connect_error() -> None:
    with pytest.raises(FetchError) as info:
        check_url("https://no-such-host.invalid/", ON)
    assert info.value.kind == "connect"
    assert info.value.message == "cannot resolve host no-such-host.invalid"


def test_a_public_verdict_is_kept_for_its_ttl_only() -> None:
    hosts = PublicHosts(ttl=30.0, size=2)
    assert not hosts.fresh("a.example", 100.0)
    hosts.remember("a.example", 100.0)
    assert hosts.fresh("a.example", 129.9)
    assert not hosts.fresh("a.example", 130.0)  # looked up again
    hosts.remember("b.example", 100.0)
    hosts.remember("c.example", 100.0)  # full: the cache starts over rather than grow
    assert (hosts.fresh("a.example", 101.0), hosts.fresh("c.example", 101.0)) == (False, True)


def test_a_refused_host_is_looked_up_every_time() -> None:
    for _ in range(2):
        with pytest.raises(FetchError) as info:
            check_url("http://localhost:9/", ON)
        assert info.value.message == "refused: localhost resolves to loopback address 127.0.0.1"
    assert not guard._public.fresh("localhost", time.monotonic())


def test_a_connection_that_reaches_a_refused_address_is_closed_unused() -> None:
    """DNS rebinding: the guard's verdict on a name ("public", from its cache here) no longer holds when
    the client connects. The address the socket reached is judged again, before a byte is sent."""
    from repub.fetch import fetch_page
    from webserver import TestWeb

    with TestWeb() as web:
        web.route("/secret", lambda _h: (200, {"Content-Type": "text/html"}, b"<html><p>internal</p></html>"))
        guard._public.remember("localhost", time.monotonic())  # the name answered public a moment ago
        try:
            with pytest.raises(FetchError) as info:
                fetch_page(f"http://localhost:{web.port}/secret", ON)
        finally:
            guard._public = PublicHosts()
        assert info.value.kind == "blocked"
        assert info.value.message == "refused: localhost connected to a loopback address 127.0.0.1"
        assert web.hits == []  # connected, judged and closed: no request was sent
        # the host map's own targets stay trusted (local fixture sites are on loopback by design)
        mapped = FetchSettings(host_map={"www.rt.com": f"{web.base}"})
        assert fetch_page("https://www.rt.com/secret", mapped).text == "<html><p>internal</p></html>"
        assert web.hits == ["/secret"]
