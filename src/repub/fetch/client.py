"""The fetcher: the only code in repub that talks to the network.

``async with Fetcher(settings) as f: page = await f.fetch(url)``; ``fetch_page(url)`` for one-off use.
Redirects are followed by hand so every hop is mapped back to its real URL, checked by the SSRF guard
and recorded. The body is streamed and decoded under a byte cap; a total deadline bounds the whole fetch.
"""

from __future__ import annotations

import asyncio
import math
import re
import socket
import ssl
import time
import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from repub.errors import FetchError
from repub.fetch.body import (
    ACCEPT_ENCODING,
    GZIP_MAGIC,
    BadGzip,
    BodyDecoder,
    TooLarge,
    Truncated,
    UnsupportedEncoding,
    gunzip_capped,
)
from repub.fetch.botwall import HEAD_CHARS, WALL_STATUSES, wall_by_headers, wall_by_page
from repub.fetch.charset import decode_document, decode_html, looks_binary
from repub.fetch.guard import BlockedPeer, check_url_async, peer_check
from repub.fetch.hostmap import to_real, to_wire
from repub.fetch.transport import Transport, release
from repub.fetch.types import FetchSettings, Page

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_PERMANENT_STATUSES = frozenset({301, 308})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_CONDITIONAL = frozenset({"if-none-match", "if-modified-since"})
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<title", b"<meta", b"<div", b"<p>")
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PEEK_SECONDS = 2.0  # at most, reading the head of an error answer for a bot wall's signs


def validate_url(url: str, *, what: str = "URL") -> None:
    """Raise FetchError kind "bad-url" unless ``url`` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # .port raises on a bad port
    except ValueError as exc:
        raise FetchError(url, "bad-url", f"bad {what}: {exc}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(url, "bad-url", f"bad {what}: scheme {parts.scheme or '(none)'!r} is not http(s)")
    if not host:
        raise FetchError(url, "bad-url", f"bad {what}: no host")


def looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and any(marker in head for marker in _HTML_MARKERS)


@dataclass
class _Progress:
    """Where a fetch got to, so an error raised anywhere can say so."""

    url: str
    accept: frozenset[str] = HTML_TYPES
    wire: str = ""
    status: int | None = None
    nbytes: int = 0
    passed: list[str] = field(default_factory=list)  # real URLs redirected from, in order
    permanent: str | None = None  # the last of them that answered 301/308
    started: float = field(default_factory=time.monotonic)
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    deadline: float = math.inf  # the event loop's time at which the whole fetch times out

    def error(self, kind: str, message: str, original: str) -> FetchError:
        return FetchError(original, kind, message, status=self.status, final_url=self.url, nbytes=self.nbytes)


class _Cookies(httpx.Cookies):
    """httpx's cookie jar (kept across requests, as before), not asked to read a response that sets no
    cookie: most do not, and turning each response into urllib's request and response objects for
    nothing was ~5% of the CPU of a 304."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers or "set-cookie2" in response.headers:
            super().extract_cookies(response)


class _Client(httpx.AsyncClient):
    """httpx's client, made never to read a redirect's Location itself. The fetcher follows redirects
    by hand (mapped, guarded, checked by ``validate_url``), but httpx parses every Location anyway to
    offer ``response.next_request``, with errors of its own before the fetcher sees the response: a
    host that is no valid IDNA (``https://xn--/``) raised ``idna.IDNAError``, a traceback."""

    def _build_redirect_request(self, request: httpx.Request, response: httpx.Response) -> httpx.Request:
        return request  # ``next_request``, which nothing reads


class Fetcher:
    """Fetches HTML pages under ``FetchSettings``; use as an async context manager (one shared client)."""

    def __init__(self, settings: FetchSettings | None = None) -> None:
        self.settings = settings or FetchSettings()
        self._client: httpx.AsyncClient | None = None

    def _make_client(self) -> httpx.AsyncClient:
        s = self.settings
        client = _Client(
            http2=True,  # used when the server offers it over TLS (ALPN)
            follow_redirects=False,  # by hand: each hop is mapped, guarded and recorded
            timeout=httpx.Timeout(connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout,
                                  pool=s.connect_timeout),
            headers={"User-Agent": s.user_agent, "Accept": _ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
            trust_env=False,  # an environment proxy would defeat the SSRF guard and the host map
            transport=Transport(http2=True, peer_check=peer_check(s)),
        )
        client._cookies = _Cookies()  # the public setter would wrap it back into a plain httpx.Cookies
        return client

    async def __aenter__(self) -> Fetcher:
        self._client = self._client or self._make_client()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(self, url: str, extra_headers: Mapping[str, str] | None = None, *,
                    accept: Collection[str] = HTML_TYPES) -> Page:
        """Fetch ``url`` (a real URL); raise FetchError on any failure. A 304 answer to conditional
        ``extra_headers`` (If-None-Match / If-Modified-Since) is returned as a Page with an empty body;
        those two go to ``url`` only, never to a URL it redirects to.

        ``accept`` lists the MIME types taken (default HTML); discovery passes e.g. application/rss+xml.
        A response without Content-Type is taken only when HTML is accepted and the body looks like it."""
        s = self.settings
        types = HTML_TYPES if accept is HTML_TYPES else frozenset(t.lower() for t in accept)
        progress = _Progress(url, types)
        try:
            async with asyncio.timeout(s.total_timeout) as deadline:
                progress.deadline = deadline.when() or math.inf
                return await self._fetch(url, dict(extra_headers or {}), progress)
        except TimeoutError:
            raise progress.error("timeout", f"timed out: total deadline of {s.total_timeout:g} s exceeded",
                                 url) from None
        except httpx.TimeoutException as exc:
            raise progress.error("timeout", self._timeout_message(exc), url) from None
        except httpx.ConnectError as exc:
            raise progress.error("connect", _connect_message(exc, progress), url) from None
        except httpx.ProtocolError as exc:
            raise progress.error("protocol", f"server broke HTTP: {_first_line(exc)}", url) from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise progress.error("bad-url", f"bad URL: {_first_line(exc)}", url) from None
        except httpx.HTTPError as exc:  # ReadError, WriteError...: the connection broke
            raise progress.error("connect", f"connection lost: {_first_line(exc)}", url) from None

    def _timeout_message(self, exc: httpx.TimeoutException) -> str:
        s = self.settings
        if isinstance(exc, httpx.ConnectTimeout):
            return f"timed out: could not connect within {s.connect_timeout:g} s"
        if isinstance(exc, httpx.ReadTimeout):
            return f"timed out: no data from the server for {s.read_timeout:g} s"
        return "timed out"

    async def _fetch(self, url: str, headers: dict[str, str], progress: _Progress) -> Page:
        s = self.settings
        client = self._client = self._client or self._make_client()
        validate_url(url)
        current, passed = url, progress.passed
        while True:
            progress.url, progress.status = current, None
            try:  # at every hop: a redirect may point inside the network
                await check_url_async(current, s)
            except FetchError as exc:  # report it against the URL asked for, like every other error
                raise progress.error(exc.kind, exc.message, url) from None
            progress.wire = to_wire(current, s.host_map)
            request = client.build_request("GET", progress.wire, headers=headers)
            try:
                response = await client.send(request, stream=True)
            except BlockedPeer as exc:  # the address the connection reached is refused (DNS rebinding)
                raise progress.error("blocked", str(exc), url) from None
            try:
                progress.status = response.status_code
                location = response.headers.get("location")
                if response.status_code not in _REDIRECT_STATUSES or not location:
                    return await self._finish(url, response, headers, progress)
                target = self._redirect_target(url, current, location, progress)
                passed.append(current)
                if response.status_code in _PERMANENT_STATUSES:
                    progress.permanent = current
                if target in passed:
                    chain = " -> ".join([*passed, target])
                    raise progress.error("redirects", f"redirect loop: {chain}", url)
                if len(passed) > s.max_redirects:
                    raise progress.error("redirects", f"more than {s.max_redirects} redirects", url)
                current = target
                # Validators belong to the URL they came from: another URL answering 304 to them
                # would confirm a page it never sent (a moved article would never be seen to move).
                headers = {k: v for k, v in headers.items() if k.lower() not in _CONDITIONAL}
            finally:
                await release(response, progress.deadline)

    def _redirect_target(self, url: str, current: str, location: str, progress: _Progress) -> str:
        """The real URL a Location names (relative to the wire URL that answered); FetchError
        "bad-url" when it is no absolute http(s) URL with a host (``http://[::1``: urljoin raises)."""
        if _CONTROL.search(location):  # urlsplit drops a tab silently: it would stay in the URL kept
            message = f"bad redirect target: control character in {location[:200]!r}"
            raise progress.error("bad-url", message, url)
        scheme = urlsplit(current).scheme.lower()
        try:
            target = to_real(location, self.settings.host_map, base=progress.wire, scheme=scheme)
        except ValueError as exc:
            raise progress.error("bad-url", f"bad redirect target: {exc}", url) from None
        validate_url(target, what="redirect target")
        return target

    async def _finish(self, url: str, response: httpx.Response, sent: Mapping[str, str],
                      progress: _Progress) -> Page:
        s, status = self.settings, response.status_code
        headers = {name.lower(): value for name, value in response.headers.items()}
        ctype = headers.get("content-type", "")
        mime = ctype.split(";")[0].strip().lower()

        def page(content_type: str, charset: str = "", body: bytes = b"", text: str = "") -> Page:
            return Page(url=url, final_url=progress.url, status=status, headers=headers,
                        content_type=content_type, charset=charset, body=body, text=text,
                        fetched_at=progress.fetched_at, elapsed=time.monotonic() - progress.started,
                        redirects=tuple(progress.passed), permanent_redirect=progress.permanent,
                        status_line=f"{response.http_version} {phrase}".strip(),
                        raw_headers=tuple((k.decode("latin-1"), v.decode("latin-1"))
                                          for k, v in response.headers.raw))

        phrase = f"{status} {response.reason_phrase or httpx.codes.get_reason_phrase(status)}"
        reason = f"HTTP {phrase}".strip()
        if status == 304:
            if _CONDITIONAL & {name.lower() for name in sent}:
                return page(mime)
            raise progress.error("http", f"{reason} to a request that was not conditional", url)
        wall = wall_by_headers(headers)
        if wall is None and (status in WALL_STATUSES or (mime in HTML_TYPES and mime not in progress.accept)):
            # an error or an unexpected HTML answer: its head is read for a wall's page
            wall = wall_by_page(await self._peek(response, headers.get("content-encoding", ""), progress))
        if wall is not None:
            raise progress.error("bot-wall", wall.message(status), url)
        if status >= 300:
            err = progress.error("http", reason if status >= 400 else f"{reason} without a Location", url)
            err.retry_after = headers.get("retry-after")  # a polite caller waits before asking again
            raise err
        articles = progress.accept == HTML_TYPES  # else a discovery document (feed, sitemap, robots.txt)
        if mime and mime not in progress.accept:
            if articles:
                raise progress.error("not-html", f"not HTML: {mime}", url)
            raise progress.error("wrong-type", f"unexpected Content-Type: {mime}", url)
        length = headers.get("content-length", "")
        if length.isascii() and length.isdigit() and int(length) > s.max_bytes:
            message = f"Content-Length {length} exceeds the limit of {s.max_bytes} bytes"
            raise progress.error("too-large", message, url)
        body = await self._read(url, response, headers.get("content-encoding", ""), progress)
        if not body:
            raise progress.error("empty", "empty body", url)
        sniffed = not mime and bool(progress.accept & HTML_TYPES) and looks_like_html(body)
        html = mime in HTML_TYPES or sniffed
        if not html and not articles:
            # A document is not an article: no HTML sniffing or binary check. An .xml.gz served as a
            # file (application/gzip, no Content-Encoding) is still compressed: inflated here, under
            # the same cap as a Content-Encoding.
            body = self._gunzip_file(url, body, progress)
            text, charset = decode_document(body, ctype)
            return page(mime, charset, body, text)
        if not html:
            raise progress.error("not-html", "not HTML: no Content-Type and the body does not look like HTML",
                                 url)
        text, charset = decode_html(body, ctype)
        if looks_binary(text) and not looks_like_html(body):  # an image or archive labelled text/html
            raise progress.error("not-html", "not HTML: the body is binary data", url)
        wall = wall_by_page(text)  # a challenge sent as a 200 ("Just a moment...") is no article
        if wall is not None:
            raise progress.error("bot-wall", wall.message(status), url)
        return page(mime or "text/html", charset, body, text)

    async def _peek(self, response: httpx.Response, encoding: str, progress: _Progress) -> str:
        """The head of an answer's body (up to ``HEAD_CHARS`` bytes, decoded) when it comes promptly:
        "" when it cannot be read. For the signs of a bot wall on an answer not otherwise read."""
        mime = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if mime and mime not in HTML_TYPES:
            return ""
        try:
            decoder = BodyDecoder(encoding, HEAD_CHARS)
        except UnsupportedEncoding:
            return ""
        parts: list[bytes] = []
        try:
            async with asyncio.timeout(_PEEK_SECONDS):
                async for chunk in response.aiter_raw():
                    progress.nbytes += len(chunk)
                    parts.append(decoder.feed(chunk))
                    if decoder.size >= HEAD_CHARS:
                        break
        except (TimeoutError, httpx.HTTPError, zlib.error):
            pass  # what did arrive is still looked at
        return b"".join(parts)[:HEAD_CHARS].decode("utf-8", errors="replace")

    def _gunzip_file(self, url: str, body: bytes, progress: _Progress) -> bytes:
        """``body`` inflated when it is a gzip file (by its magic bytes), never past ``max_bytes``."""
        if not body.startswith(GZIP_MAGIC):
            return body
        limit = self.settings.max_bytes
        try:
            return gunzip_capped(body, limit)
        except TooLarge:
            raise progress.error("too-large", f"decompressed body exceeds the limit of {limit} bytes",
                                 url) from None
        except BadGzip as exc:
            raise progress.error("encoding", str(exc), url) from None

    async def _read(self, url: str, response: httpx.Response, encoding: str, progress: _Progress) -> bytes:
        limit = self.settings.max_bytes
        try:
            decoder = BodyDecoder(encoding, limit)
        except UnsupportedEncoding as exc:
            raise progress.error("encoding", f"unsupported Content-Encoding: {exc}", url) from None
        parts: list[bytes] = []
        try:
            async for chunk in response.aiter_raw():
                progress.nbytes += len(chunk)
                if progress.nbytes > limit:
                    raise progress.error("too-large", f"body exceeds the limit of {limit} bytes", url)
                parts.append(decoder.feed(chunk))
                if decoder.over:
                    break
            if not decoder.over:
                parts.append(decoder.flush())
        except zlib.error:
            raise progress.error("encoding", f"corrupt {encoding} body", url) from None
        except Truncated as exc:
            raise progress.error("encoding", f"truncated {exc} body: the compressed data ends early",
                                 url) from None
        if decoder.over:
            raise progress.error("too-large", f"decompressed body exceeds the limit of {limit} bytes", url)
        return b"".join(parts)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _connect_message(exc: BaseException, progress: _Progress) -> str:
    """One readable line for a failed connection, e.g. "cannot connect to 127.0.0.1:9: connection refused"."""
    real = urlsplit(progress.url).netloc
    wire = urlsplit(progress.wire).netloc if progress.wire else real
    where = real if wire == real else f"{real} (via {wire})"
    reason = _first_line(exc)
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError) or "refused" in str(cause).lower():
            reason = "connection refused"
            break
        if isinstance(cause, socket.gaierror) or "name or service not known" in str(cause).lower():
            return f"cannot resolve host {urlsplit(progress.wire or progress.url).hostname}"
        if isinstance(cause, ssl.SSLError):
            reason = f"TLS error: {cause.reason or _first_line(cause)}"
            break
        cause = cause.__cause__ or cause.__context__
    return f"cannot connect to {where}: {reason}"


def fetch_page(url: str, settings: FetchSettings | None = None, *,
               extra_headers: Mapping[str, str] | None = None, accept: Collection[str] = HTML_TYPES) -> Page:
    """Fetch one page synchronously (runs its own event loop: not for use inside async code)."""

    async def run() -> Page:
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(url, extra_headers, accept=accept)

    return asyncio.run(run())
