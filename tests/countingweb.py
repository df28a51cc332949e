"""A real HTTP/1.1 server on 127.0.0.1 that counts TCP connections, for connection-reuse tests.

Every path is served under ``/<HOST>`` (so ``HOST=http://127.0.0.1:PORT/HOST`` is its host map):
``/page`` (ETag ``"v1"``, 304 to a matching If-None-Match), ``/moved`` (301 to /page), ``/gone`` (a
short 404), ``/gone-huge`` and ``/gone-stalled`` (404s whose bodies never come), ``/login`` (sets a
cookie), ``/whoami`` (shows the Cookie header), ``/page-then-close`` (keep-alive headers, then closes),
``/robots.txt`` (a 404: everything allowed).
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOST = "news.example.com"
ETAG = '"v1"'
PAGE = b"<!doctype html><html><head><title>T</title></head><body><p>Hello</p></body></html>"


class CountingServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.requests = 0
        self.lock = threading.Lock()
        self.release = threading.Event()  # ends the stalled responses


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the client closes
    server: CountingServer

    def setup(self) -> None:  # once per TCP connection
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, headers: dict[str, str], body: bytes = b"",
              length: int | None = None) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests += 1
        path = urlsplit(self.path).path.removeprefix(f"/{HOST}")
        if path == "/page" and self.headers.get("If-None-Match") == ETAG:
            self._send(304, {"ETag": ETAG})
        elif path == "/robots.txt":  # none: everything allowed
            self._send(404, {"Content-Type": "text/plain"}, b"no robots.txt\n")
        elif path == "/page":
            self._send(200, {"Content-Type": "text/html; charset=utf-8", "ETag": ETAG}, PAGE)
        elif path == "/moved":
            self._send(301, {"Location": f"/{HOST}/page", "Content-Type": "text/plain"}, b"moved\n")
        elif path == "/login":
            self._send(200, {"Content-Type": "text/html", "Set-Cookie": "session=abc; Path=/"}, PAGE)
        elif path == "/whoami":
            cookie = (self.headers.get("Cookie") or "none").encode()
            self._send(200, {"Content-Type": "text/html"}, b"<html><body><p>%s</p></body></html>" % cookie)
        elif path == "/page-then-close":  # keep-alive by the headers, closed right after
            self._send(200, {"Content-Type": "text/html; charset=utf-8"}, PAGE)
            self.close_connection = True
        elif path == "/gone":
            self._send(404, {"Content-Type": "text/html"}, b"<html><body>Not found</body></html>")
        elif path in ("/gone-huge", "/gone-stalled"):
            # a 404 that says it is long (or promises a short body) and then sends next to nothing
            length = 50_000_000 if path == "/gone-huge" else 100
            self._send(404, {"Content-Type": "text/html"}, b"<html>", length=length)
            self.server.release.wait(120)  # set when the server shuts down
            self.close_connection = True



@contextmanager
def counting_server(tls: ssl.SSLContext | None = None) -> Iterator[CountingServer]:
    """The server, running; over TLS with ``tls`` (a server-side context)."""
    srv = CountingServer()
    if tls is not None:
        srv.socket = tls.wrap_socket(srv.socket, server_side=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.release.set()
        srv.shutdown()
        srv.server_close()
