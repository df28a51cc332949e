"""repub.fetch.client against real HTTP servers on 127.0.0.1 (TestWeb, plus raw sockets for trickling)."""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC
from http.server import BaseHTTPRequestHandler

import pytest

from repub.errors import FetchError
from repub.fetch import Fetcher, FetchSettings, Page, fetch_page, parse_host_map
from repub.fetch.body import BodyDecoder, Truncated
from repub.ingest.discovery import SITEMAP_TYPES
from webserver import TestWeb

HOST = "www.example.com"
REAL = f"https://{HOST}"
HTML = b"<!doctype html><html><head><title>T</title></head><body><p>Hello</p></body></html>"
RUSSIAN = (
    "<html><head><title>Новости</title></head><body><p>Президент заявил, что переговоры продолжатся "
    "на следующей неделе в Москве. Журналисты спросили о санкциях и экономике.</p></body></html>"
)


@pytest.fixture(scope="module")
def server() -> Iterator[TestWeb]:
    with TestWeb() as web:  # one per module: shutting one down costs half a second
        yield web


@pytest.fixture
def web(server: TestWeb) -> TestWeb:
    server.routes.clear()
    server.hits.clear()
    return server


def settings(web: TestWeb, **changes: object) -> FetchSettings:
    base: dict[str, object] = {
        "host_map": parse_host_map(web.host_map(HOST)),
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "total_timeout": 5.0,
        "max_bytes": 100_000,
        "max_redirects": 5,
    }
    return FetchSettings(**{**base, **changes})  # type: ignore[arg-type]


def html(body: bytes = HTML, ctype: str = "text/html; charset=utf-8", **headers: str) -> Callable:
    return lambda _h: (200, {"Content-Type": ctype, **headers}, body)


def redirect(location: str, status: int = 302) -> Callable:
    return lambda _h: (status, {"Location": location}, b"")


def fetch_error(url: str, cfg: FetchSettings, **kwargs: object) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetch_page(url, cfg, **kwargs)  # type: ignore[arg-type]
    return info.value


# --- success paths ----------------------------------------------------------------------------------------


def test_host_map_sends_prefix_path_and_query_and_records_real_url(web: TestWeb) -> None:
    body = b"<html><body>ok</body></html>"
    web.route(f"/{HOST}/x/%E2%9B%94/", html(body))
    page = fetch_page(f"{REAL}/x/%E2%9B%94/?q=a%20b&r=1", settings(web))
    assert web.hits == [f"/{HOST}/x/%E2%9B%94/?q=a%20b&r=1"]
    assert page.url == page.final_url == f"{REAL}/x/%E2%9B%94/?q=a%20b&r=1"
    assert page.status == 200 and page.redirects == ()
    assert page.body == body and page.text == "<html><body>ok</body></html>"
    assert page.content_type == "text/html" and page.charset == "utf-8"
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert all(name == name.lower() for name in page.headers)
    assert page.fetched_at.tzinfo is UTC and page.elapsed > 0


def test_user_agent_reaches_the_server(web: TestWeb) -> None:
    seen: dict[str, str | None] = {}

    def handler(h: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        seen["ua"], seen["ae"] = h.headers["User-Agent"], h.headers["Accept-Encoding"]
        return 200, {"Content-Type": "text/html"}, HTML

    web.route(f"/{HOST}/ua", handler)
    fetch_page(f"{REAL}/ua", settings(web, user_agent="repub-test/9 (+mailto:x@example.org)"))
    assert seen == {"ua": "repub-test/9 (+mailto:x@example.org)", "ae": "gzip, deflate"}


def test_redirect_on_local_server_records_real_urls(web: TestWeb) -> None:
    web.route(f"/{HOST}/a", redirect(f"/{HOST}/b", 301))  # a wire path, as the local server sees it
    web.route(f"/{HOST}/b", redirect(f"{REAL}/c"))  # an absolute real URL: mapped to the wire again
    web.route(f"/{HOST}/c", redirect("d?x=1", 307))  # relative
    web.route(f"/{HOST}/d", html())
    page = fetch_page(f"{REAL}/a", settings(web))
    assert page.final_url == f"{REAL}/d?x=1"
    assert page.url == f"{REAL}/a"
    assert page.redirects == (f"{REAL}/a", f"{REAL}/b", f"{REAL}/c")
    assert web.hits == [f"/{HOST}/a", f"/{HOST}/b", f"/{HOST}/c", f"/{HOST}/d?x=1"]


def test_redirect_to_absolute_wire_url_maps_back_to_the_mapped_host(web: TestWeb) -> None:
    web.route(f"/{HOST}/a", redirect(f"{web.base}/{HOST}/b"))
    web.route(f"/{HOST}/b", html())
    page = fetch_page(f"{REAL}/a", settings(web))
    assert page.final_url == f"{REAL}/b"


def test_missing_content_type_is_sniffed(web: TestWeb) -> None:
    web.route(f"/{HOST}/bare", lambda _h: (200, {}, b"  \n" + HTML))
    page = fetch_page(f"{REAL}/bare", settings(web))
    assert page.content_type == "text/html" and "content-type" not in page.headers
    assert page.text.strip() == HTML.decode()


def test_gzip_and_deflate_bodies_are_decoded(web: TestWeb) -> None:
    web.route(f"/{HOST}/gz", html(gzip.compress(HTML), **{"Content-Encoding": "gzip"}))
    web.route(f"/{HOST}/zz", html(zlib.compress(HTML), **{"Content-Encoding": "deflate"}))
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    web.route(f"/{HOST}/raw", html(raw.compress(HTML) + raw.flush(), **{"Content-Encoding": "deflate"}))
    for path in ("gz", "zz", "raw"):
        page = fetch_page(f"{REAL}/{path}", settings(web))
        assert page.body == HTML, path


def test_xhtml_is_html(web: TestWeb) -> None:
    web.route(f"/{HOST}/x", html(ctype="application/xhtml+xml"))
    assert fetch_page(f"{REAL}/x", settings(web)).content_type == "application/xhtml+xml"


def test_fetcher_reuses_one_client_for_concurrent_fetches(web: TestWeb) -> None:
    for n in range(3):
        web.route(f"/{HOST}/p{n}", html(f"<html><body>page {n}</body></html>".encode()))

    async def run() -> list[Page]:
        async with Fetcher(settings(web)) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(f"{REAL}/p{n}") for n in range(3)))

    pages = asyncio.run(run())
    assert [p.text for p in pages] == [f"<html><body>page {n}</body></html>" for n in range(3)]


def test_304_with_if_none_match(web: TestWeb) -> None:
    def handler(h: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if h.headers.get("If-None-Match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        return 200, {"Content-Type": "text/html", "ETag": '"v1"'}, HTML

    web.route(f"/{HOST}/cond", handler)
    first = fetch_page(f"{REAL}/cond", settings(web))
    assert first.status == 200 and first.etag == '"v1"'
    again = fetch_page(f"{REAL}/cond", settings(web), extra_headers={"If-None-Match": first.etag})
    assert again.status == 304 and again.body == b"" and again.text == ""
    assert again.etag == '"v1"' and again.final_url == f"{REAL}/cond"


def test_304_without_conditional_headers_is_an_error(web: TestWeb) -> None:
    web.route(f"/{HOST}/n", lambda _h: (304, {}, b""))
    err = fetch_error(f"{REAL}/n", settings(web))
    assert (err.kind, err.status) == ("http", 304)
    assert err.message == "HTTP 304 Not Modified to a request that was not conditional"


# --- charsets ---------------------------------------------------------------------------------------------


def test_charset_from_header(web: TestWeb) -> None:
    web.route(f"/{HOST}/c", html("<p>café crème</p>".encode("cp1252"), "text/html; charset=windows-1252"))
    page = fetch_page(f"{REAL}/c", settings(web))
    assert (page.charset, page.text) == ("cp1252", "<p>café crème</p>")


def test_charset_from_meta(web: TestWeb) -> None:
    doc = RUSSIAN.replace("<head>", '<head><meta charset="windows-1251">')
    web.route(f"/{HOST}/m", html(doc.encode("cp1251"), "text/html"))
    polish = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-2"></head>Łódź'
    web.route(f"/{HOST}/e", html(polish.encode("iso8859-2"), "text/html"))
    page = fetch_page(f"{REAL}/m", settings(web))
    assert page.charset == "cp1251" and "Президент" in page.text
    page = fetch_page(f"{REAL}/e", settings(web))
    assert page.charset == "iso8859-2" and page.text.endswith("Łódź")


def test_cp1251_page_labelled_utf8_is_detected(web: TestWeb) -> None:
    web.route(f"/{HOST}/lie", html(RUSSIAN.encode("cp1251"), "text/html; charset=utf-8"))
    page = fetch_page(f"{REAL}/lie", settings(web))
    assert page.charset == "cp1251"
    assert "Журналисты спросили о санкциях" in page.text


def test_no_charset_at_all_and_bogus_charset(web: TestWeb) -> None:
    web.route(f"/{HOST}/u", html(RUSSIAN.encode(), "text/html"))
    web.route(f"/{HOST}/w", html(RUSSIAN.encode("cp1251"), "text/html"))
    web.route(f"/{HOST}/b", html(RUSSIAN.encode(), "text/html; charset=x-no-such-charset"))
    for path, charset in (("u", "utf-8"), ("w", "cp1251"), ("b", "utf-8")):
        page = fetch_page(f"{REAL}/{path}", settings(web))
        assert (page.charset, page.text) == (charset, RUSSIAN), path


def test_undecodable_bytes_never_crash(web: TestWeb) -> None:
    junk = b"<html><body>" + bytes(range(256)) * 4 + b"</body></html>"
    web.route(f"/{HOST}/j", html(junk, "text/html; charset=utf-8"))
    page = fetch_page(f"{REAL}/j", settings(web))
    assert page.text.startswith("<html><body>") and page.text.endswith("</body></html>")


# --- refusals and errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://www.example.com/x", "bad URL: scheme 'ftp' is not http(s)"),
        ("file:///etc/passwd", "bad URL: scheme 'file' is not http(s)"),
        ("www.example.com/x", "bad URL: scheme '(none)' is not http(s)"),
        ("https:///x", "bad URL: no host"),
        ("http://www.example.com:99999/", "bad URL: Port out of range 0-65535"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    err = fetch_error(url, FetchSettings())
    assert (err.kind, err.message, err.status) == ("bad-url", message, None)


@pytest.mark.parametrize(("status", "reason"), [(404, "Not Found"), (500, "Internal Server Error")])
def test_http_errors_carry_status(web: TestWeb, status: int, reason: str) -> None:
    web.route(f"/{HOST}/e", lambda _h: (status, {"Content-Type": "text/html"}, b"<html>oops</html>"))
    err = fetch_error(f"{REAL}/e", settings(web))
    assert (err.kind, err.status, err.message) == ("http", status, f"HTTP {status} {reason}")
    assert str(err) == f"{REAL}/e: HTTP {status} {reason}"


def test_http_errors_carry_retry_after(web: TestWeb) -> None:
    busy = (429, {"Content-Type": "text/html", "Retry-After": "7"}, b"slow down")
    web.route(f"/{HOST}/busy", lambda _h: busy)
    web.route(f"/{HOST}/gone", lambda _h: (404, {"Content-Type": "text/html"}, b"no"))
    assert fetch_error(f"{REAL}/busy", settings(web)).retry_after == "7"
    assert fetch_error(f"{REAL}/gone", settings(web)).retry_after is None


def test_redirect_loop(web: TestWeb) -> None:
    web.route(f"/{HOST}/loop1", redirect(f"/{HOST}/loop2"))
    web.route(f"/{HOST}/loop2", redirect(f"{REAL}/loop1"))
    err = fetch_error(f"{REAL}/loop1", settings(web))
    assert err.kind == "redirects" and err.status == 302
    assert err.message == f"redirect loop: {REAL}/loop1 -> {REAL}/loop2 -> {REAL}/loop1"
    assert err.final_url == f"{REAL}/loop2"


def test_too_many_redirects(web: TestWeb) -> None:
    for n in range(10):
        web.route(f"/{HOST}/hop{n}", redirect(f"hop{n + 1}"))
    err = fetch_error(f"{REAL}/hop0", settings(web, max_redirects=3))
    assert (err.kind, err.message) == ("redirects", "more than 3 redirects")
    assert web.hits == [f"/{HOST}/hop{n}" for n in range(4)]


def test_redirect_to_other_scheme_is_refused(web: TestWeb) -> None:
    web.route(f"/{HOST}/r", redirect("ftp://files.example.com/x"))
    err = fetch_error(f"{REAL}/r", settings(web))
    assert (err.kind, err.message) == ("bad-url", "bad redirect target: scheme 'ftp' is not http(s)")


def test_redirect_status_without_location(web: TestWeb) -> None:
    web.route(f"/{HOST}/nowhere", lambda _h: (302, {}, b""))
    err = fetch_error(f"{REAL}/nowhere", settings(web))
    assert (err.kind, err.status, err.message) == ("http", 302, "HTTP 302 Found without a Location")


def test_not_html_is_refused(web: TestWeb) -> None:
    web.route(f"/{HOST}/doc.pdf", html(b"%PDF-1.4 ...", "application/pdf"))
    web.route(f"/{HOST}/bin", lambda _h: (200, {}, b"\x00\x01binary"))
    err = fetch_error(f"{REAL}/doc.pdf", settings(web))
    assert (err.kind, err.message, err.status) == ("not-html", "not HTML: application/pdf", 200)
    err = fetch_error(f"{REAL}/bin", settings(web))
    assert err.kind == "not-html"
    assert err.message == "not HTML: no Content-Type and the body does not look like HTML"


def test_other_types_when_asked_for(web: TestWeb) -> None:
    feed = b'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title></channel></rss>'
    web.route(f"/{HOST}/feed", html(feed, "application/rss+xml; charset=utf-8"))
    page = fetch_page(f"{REAL}/feed", settings(web), accept={"application/rss+xml", "application/xml"})
    assert (page.content_type, page.body, page.text) == ("application/rss+xml", feed, feed.decode())
    err = fetch_error(f"{REAL}/feed", settings(web))
    assert (err.kind, err.message) == ("not-html", "not HTML: application/rss+xml")


URLSET = (b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
          b"<url><loc>https://www.example.com/2026/01/caf\xc3\xa9/</loc></url></urlset>")


@pytest.mark.parametrize("ctype", ["application/x-gzip", "application/gzip", "application/octet-stream"])
def test_gzipped_document_served_as_a_file_is_inflated(web: TestWeb, ctype: str) -> None:
    """An .xml.gz sent as it lies on disk (no Content-Encoding) is a document, not a binary article."""
    web.route(f"/{HOST}/sitemap-posts-1.xml.gz", html(gzip.compress(URLSET), ctype))
    page = fetch_page(f"{REAL}/sitemap-posts-1.xml.gz", settings(web), accept=SITEMAP_TYPES)
    assert (page.status, page.content_type, page.body) == (200, ctype, URLSET)
    assert (page.charset, page.text) == ("utf-8", URLSET.decode())
    # an article URL answering the same bytes is still refused: articles are HTML
    err = fetch_error(f"{REAL}/sitemap-posts-1.xml.gz", settings(web))
    assert (err.kind, err.message) == ("not-html", f"not HTML: {ctype}")


def test_gzipped_document_is_inflated_under_the_same_cap(web: TestWeb) -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 300_000, compresslevel=9)  # ~1 KB that inflates to 300 KB
    web.route(f"/{HOST}/bomb.xml.gz", html(bomb, "application/gzip"))
    web.route(f"/{HOST}/cut.xml.gz", html(gzip.compress(URLSET)[:-12], "application/gzip"))
    err = fetch_error(f"{REAL}/bomb.xml.gz", settings(web), accept=SITEMAP_TYPES)
    assert (err.kind, err.status, err.message) == (
        "too-large", 200, "decompressed body exceeds the limit of 100000 bytes")
    assert err.nbytes == len(bomb)
    err = fetch_error(f"{REAL}/cut.xml.gz", settings(web), accept=SITEMAP_TYPES)
    assert (err.kind, err.message) == ("encoding", "truncated gzip data")


@pytest.mark.parametrize("chunk", [1, 2, 3, 17, 4096])
def test_gzip_members_are_inflated_one_after_the_other_across_any_chunking(chunk: int) -> None:
    """The decoder itself (tests/hostile has the page served so): a member's end and the next one's
    magic bytes may fall anywhere in the network's chunks; padding after the last member is ignored,
    a second member cut short is a truncated body, and the cap counts every member."""
    page = b"<html><body>" + b"".join(b"<p>paragraph %d</p>" % n for n in range(400)) + b"</body></html>"
    members = gzip.compress(page[:1000]) + gzip.compress(page[1000:5000]) + gzip.compress(page[5000:])

    def decoded(data: bytes) -> bytes:
        decoder = BodyDecoder("gzip", 100_000)
        out = b"".join(decoder.feed(data[i:i + chunk]) for i in range(0, len(data), chunk))
        return out + decoder.flush()

    assert decoded(members) == page
    assert decoded(members + b"\x00\x00\x00\x00") == page
    assert decoded(members + b"\x1f") == page
    with pytest.raises(Truncated):
        decoded(members[:-10])
    capped = BodyDecoder("gzip", 3000)  # the fetcher stops reading once a feed goes past the cap
    assert (len(capped.feed(members)), capped.size) == (3001, 3001)


def test_document_of_an_unexpected_type_is_not_called_html(web: TestWeb) -> None:
    web.route(f"/{HOST}/robots.txt", html(b"<html><body>Welcome</body></html>", "text/html"))
    err = fetch_error(f"{REAL}/robots.txt", settings(web), accept={"text/plain"})
    assert (err.kind, err.status, err.message) == ("wrong-type", 200, "unexpected Content-Type: text/html")


def test_empty_body(web: TestWeb) -> None:
    web.route(f"/{HOST}/empty", html(b""))
    err = fetch_error(f"{REAL}/empty", settings(web))
    assert (err.kind, err.message, err.status) == ("empty", "empty body", 200)


def test_content_length_over_limit_refused_up_front(web: TestWeb) -> None:
    # Announces 200006 bytes, sends a few: the client must refuse on the header alone.
    web.route(f"/{HOST}/big", html(b"<html>", **{"Content-Length": "200006"}))
    err = fetch_error(f"{REAL}/big", settings(web))
    assert (err.kind, err.message) == ("too-large", "Content-Length 200006 exceeds the limit of 100000 bytes")
    assert err.nbytes == 0


def test_chunked_body_over_limit_is_cut_off(web: TestWeb) -> None:
    total, sent, done = 50_000_000, [0], threading.Event()

    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        chunk = b"<p>" + b"x" * 16_381
        try:
            while sent[0] < total:
                h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent[0] += len(chunk)
        except OSError:
            pass  # the client hung up: that is the point
        finally:
            done.set()

    web.route(f"/{HOST}/stream", handler)
    err = fetch_error(f"{REAL}/stream", settings(web))
    assert (err.kind, err.message) == ("too-large", "body exceeds the limit of 100000 bytes")
    assert 100_000 < err.nbytes <= 100_000 + 65_536
    assert done.wait(60) and sent[0] < total  # the server notices the hang-up (a wait, not a speed)


def test_gzip_bomb_is_cut_off_by_decoded_size(web: TestWeb) -> None:
    bomb = gzip.compress(b"<html><body>" + bytes(50_000_000), compresslevel=6)
    assert len(bomb) < 100_000  # small on the wire: only the decoded size is over the limit
    web.route(f"/{HOST}/bomb", html(bomb, **{"Content-Encoding": "gzip"}))
    err = fetch_error(f"{REAL}/bomb", settings(web))
    assert (err.kind, err.message) == ("too-large", "decompressed body exceeds the limit of 100000 bytes")
    assert err.nbytes <= len(bomb)


def test_unsupported_content_encoding(web: TestWeb) -> None:
    web.route(f"/{HOST}/br", html(b"\x1b\x00", **{"Content-Encoding": "br"}))
    err = fetch_error(f"{REAL}/br", settings(web))
    assert (err.kind, err.message) == ("encoding", "unsupported Content-Encoding: br")


def test_read_timeout(web: TestWeb) -> None:
    given_up = threading.Event()

    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "100")
        h.end_headers()
        h.wfile.write(b"<html>")
        h.wfile.flush()
        given_up.wait(60)  # silent until the client has given up, however long that takes it

    web.route(f"/{HOST}/slow", handler)
    try:
        err = fetch_error(f"{REAL}/slow", settings(web, read_timeout=0.3))
    finally:
        given_up.set()
    assert (err.kind, err.message) == ("timeout", "timed out: no data from the server for 0.3 s")
    assert err.status == 200 and err.nbytes == 6


class TrickleServer:
    """Raw socket server: sends headers, then one body byte every 0.1 s (never idle anywhere near the
    read timeout), so only the total deadline can stop the fetch. ``sent``: body bytes sent."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.sent = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n")
            try:
                while not self.stop.wait(0.1) and self.sent < 1000:
                    self.sent += 1  # counted first: never fewer than the client has received
                    conn.sendall(b"x")
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


def test_trickling_server_is_cut_off_by_total_deadline() -> None:
    server = TrickleServer()
    try:
        # a read timeout far above the trickle's gaps: the deadline, not it, ends the fetch, on any machine
        cfg = FetchSettings(host_map={HOST: f"http://127.0.0.1:{server.port}"}, read_timeout=30.0,
                            total_timeout=1.2)
        err = fetch_error(f"{REAL}/t", cfg)
        assert (err.kind, err.message) == ("timeout", "timed out: total deadline of 1.2 s exceeded")
        server.stop.set()
        assert err.status == 200 and err.nbytes <= server.sent < 1000  # what came, never the whole body
    finally:
        server.close()


def test_connection_refused() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens there
    cfg = FetchSettings(host_map={HOST: f"http://127.0.0.1:{port}/{HOST}"}, connect_timeout=2.0)
    err = fetch_error(f"{REAL}/x", cfg)
    assert err.kind == "connect" and err.status is None
    assert err.message == f"cannot connect to {HOST} (via 127.0.0.1:{port}): connection refused"
    direct = fetch_error(f"http://127.0.0.1:{port}/x", FetchSettings(guard_private=False))
    assert direct.message == f"cannot connect to 127.0.0.1:{port}: connection refused"


def test_unresolvable_host_with_guard_off() -> None:
    err = fetch_error("https://no-such-host.invalid/x", FetchSettings(guard_private=False))
    assert (err.kind, err.message) == ("connect", "cannot resolve host no-such-host.invalid")


# --- SSRF guard in the fetcher ----------------------------------------------------------------------------


def test_unmapped_loopback_blocked_unless_allowed(web: TestWeb) -> None:
    web.route("/plain", html())
    url = f"{web.base}/plain"
    err = fetch_error(url, settings(web))
    assert (err.kind, err.message) == ("blocked", "refused: 127.0.0.1 is a loopback address")
    assert web.hits == []
    page = fetch_page(url, settings(web, allow_hosts=frozenset({"127.0.0.1"})))
    assert page.final_url == url and page.body == HTML


def test_redirect_into_unmapped_loopback_is_blocked(web: TestWeb) -> None:
    web.route(f"/{HOST}/evil", redirect(f"{web.base}/secret"))
    web.route("/secret", html(b"<html>secret</html>"))
    err = fetch_error(f"{REAL}/evil", settings(web))
    assert (err.kind, err.message) == ("blocked", "refused: 127.0.0.1 is a loopback address")
    assert (err.url, err.final_url, err.status) == (f"{REAL}/evil", f"{web.base}/secret", None)
    assert web.hits == [f"/{HOST}/evil"]  # never requested


def test_the_client_overrides_the_method_httpx_reads_a_location_with() -> None:
    """repub.fetch.client._Client leans on httpx's private ``_build_redirect_request`` (its docstring
    says why: httpx parses every Location, raising on hosts IDNA 2008 refuses, before the fetcher
    sees the answer). An httpx that renames it or stops calling it fails here first."""
    import inspect

    import httpx

    from repub.fetch.client import _Client

    sending = inspect.getsource(httpx.AsyncClient._send_handling_redirects)
    assert "self._build_redirect_request(request, response)" in sending
    request = httpx.Request("GET", "https://example.org/a")
    response = httpx.Response(302, headers={"Location": "https://xn--/"}, request=request)

    async def built() -> httpx.Request:
        async with httpx.AsyncClient() as plain:
            with pytest.raises(Exception, match="(?i)idna|label"):
                plain._build_redirect_request(request, response)
        async with _Client() as ours:
            return ours._build_redirect_request(request, response)

    assert asyncio.run(built()) is request
