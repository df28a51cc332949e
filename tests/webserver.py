"""A real HTTP server on 127.0.0.1 for tests: serves fixtures/sites/ and programmable routes.

fixtures/sites/<host>/<path>/index.html (or index.xml for feeds and sitemaps) answers
GET /<host>/<path>/, so a host map entry
``<host>=http://127.0.0.1:PORT/<host>`` serves a real hostname from the fixture tree.
Routes registered with ``route(path, handler)`` take precedence; a handler gets the request
handler object and writes the whole response itself, or returns (status, headers, body).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

FIXTURE_SITES = Path(__file__).resolve().parent.parent / "fixtures" / "sites"

Response = tuple[int, dict[str, str], bytes]
Handler = Callable[[BaseHTTPRequestHandler], Response | None]


def send(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
    """Write a whole response; Content-Length is added unless the headers set it."""
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    if "Content-Length" not in headers:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        # a client closing a kept-alive connection is normal (the fetcher keeps them now); anything
        # else still prints, as socketserver would
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class TestWeb:
    """Start with ``with TestWeb() as web:``; ``web.base`` is ``http://127.0.0.1:PORT``."""

    __test__ = False  # not a pytest class

    def __init__(self, root: Path = FIXTURE_SITES) -> None:
        self.root = root
        self.routes: dict[str, Handler] = {}
        self.hits: list[str] = []  # request paths, in order
        web = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                web.hits.append(self.path)
                path = urlsplit(self.path).path
                handler = web.routes.get(self.path) or web.routes.get(path)
                if handler is not None:
                    result = handler(self)
                    if result is not None:
                        send(self, *result)
                    return
                send(self, *web.static(path))

        self._server = _Server(("127.0.0.1", 0), RequestHandler)
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def static(self, path: str) -> Response:
        target = (self.root / path.lstrip("/")).resolve()
        if self.root.resolve() not in target.parents and target != self.root.resolve():
            return 403, {"Content-Type": "text/plain"}, b"forbidden"
        if target.is_dir():
            # a directory answers with its index page: HTML for articles, XML for feeds and sitemaps
            candidates = [target / name for name in ("index.html", "index.xml", "index.xml.gz")]
            target = next((c for c in candidates if c.is_file()), candidates[0])
        if not target.is_file():
            return 404, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body>Not found</body></html>"
        ctype = {
            ".html": "text/html; charset=utf-8",
            ".xml": "application/xml",
            ".json": "application/json",
            ".txt": "text/plain; charset=utf-8",
            ".jpg": "image/jpeg",
            ".gz": "application/gzip",
            ".rss": "application/rss+xml",
            ".pdf": "application/pdf",
        }.get(target.suffix, "application/octet-stream")
        return 200, {"Content-Type": ctype}, target.read_bytes()

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def host_map(self, *hosts: str) -> str:
        """The REPUB_HOST_MAP value serving each host from this server under /<host>."""
        return ",".join(f"{host}={self.base}/{host}" for host in hosts)

    def __enter__(self) -> TestWeb:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
