"""A Retry-After pauses the whole host in ``repub ingest``: requests already admitted to the host (waiting
for their start, or for a slot of the run) wait too, as ``repub worker`` does.

Judged from the server's own request log: it answers the first article request with 429 and
``Retry-After: 2`` and notes when it sent that answer; no request to the host may arrive in the two
seconds after, but for one already on its way when the answer went out (``IN_FLIGHT``: well under the
half second between two starts on this host).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from repub.cli import main
from webserver import Response, TestWeb

HOST = "busy.example.org"
SITE = f"https://{HOST}"
PAUSE = 2.0  # seconds, the Retry-After sent
IN_FLIGHT = 0.25  # a request sent before the client read the 429 may still arrive this late
PATHS = [f"/2026/03/story-{n}/" for n in range(6)]
TEXT = ("The harbour authority said on Monday that the new ferry terminal would open in June, two months "
        "later than planned, after storms delayed the work on its northern pier. ")


class BusySite:
    """Sitemap and articles; the first article request gets 429 + Retry-After. ``log``: (arrival time,
    path) of every request; ``paused_at``: when the 429 was sent (the server's monotonic clock)."""

    def __init__(self, web: TestWeb) -> None:
        self.log: list[tuple[float, str]] = []
        self.paused_at: float | None = None
        self._lock = threading.Lock()
        urls = "".join(f"<url><loc>{SITE}{p}</loc><lastmod>2026-03-0{n + 1}</lastmod></url>"
                       for n, p in enumerate(PATHS))
        sitemap = (f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}'
                   "</urlset>").encode()
        web.route(f"/{HOST}/sitemap.xml", self._logged(lambda _h: (200, {"Content-Type": "application/xml"},
                                                                   sitemap)))
        for path in PATHS:
            web.route(f"/{HOST}{path}", self._logged(self._article))

    def _logged(self, handler: object) -> object:
        def serve(h: BaseHTTPRequestHandler) -> Response:
            with self._lock:
                self.log.append((time.monotonic(), h.path.removeprefix(f"/{HOST}")))
            return handler(h)  # type: ignore[operator]
        return serve

    def _article(self, h: BaseHTTPRequestHandler) -> Response:
        with self._lock:
            first = self.paused_at is None
            if first:
                self.paused_at = -1.0  # taken; set to the time the answer is sent below
        if first:
            from webserver import send

            send(h, 429, {"Content-Type": "text/plain", "Retry-After": str(int(PAUSE))}, b"slow down")
            self.paused_at = time.monotonic()
            return None  # type: ignore[return-value]
        n = h.path.rstrip("/").rsplit("-", 1)[-1]
        title = f"Ferry terminal delayed, part {n}"
        body = (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
                f"<p>{TEXT * 3}</p><p>{TEXT}</p></article></body></html>")
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body.encode()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BusySite]:
    with TestWeb() as web:
        monkeypatch.setenv("REPUB_HOST_MAP", web.host_map(HOST))
        monkeypatch.setenv("REPUB_DB", str(tmp_path / "repub.db"))
        monkeypatch.delenv("REPUB_DATABASE_URL", raising=False)
        monkeypatch.delenv("REPUB_USER_AGENT", raising=False)
        yield BusySite(web)


def test_retry_after_pauses_requests_already_admitted(site: BusySite, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    sources = tmp_path / "sources.toml"
    # 4 requests admitted at once, one start every 0.5 s: when the 429 comes back, three are waiting
    sources.write_text(f'[[source]]\nname = "busy"\nsite = "{SITE}/"\nsitemaps = ["{SITE}/sitemap.xml"]\n'
                       "rate = 2\nconcurrency = 4\nfollow_originals = false\n", encoding="utf-8")
    code = main(["ingest", "--sources", str(sources)])
    out, _ = capsys.readouterr()
    assert code == 0 and out.startswith("ingest run 1 ok: discovered 6, new 6, updated 0, failed 0, ")
    assert site.paused_at is not None and site.paused_at > 0
    inside = [(round(at - site.paused_at, 2), path) for at, path in site.log
              if site.paused_at + IN_FLIGHT <= at < site.paused_at + PAUSE]
    assert inside == []
    # every article was asked once, the one answered 429 twice, and all after the sitemap
    paths = [path for _at, path in site.log]
    assert paths[0] == "/sitemap.xml"
    assert sorted(paths[1:]) == sorted([*PATHS, next(p for p in paths[1:])])
    with sqlite3.connect(tmp_path / "repub.db") as conn:
        statuses = conn.execute("SELECT status FROM fetch_log WHERE url LIKE '%/story-%'").fetchall()
    assert sorted(s for (s,) in statuses) == [200] * 6 + [429]
