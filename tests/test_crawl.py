"""One politeness layer (``repub.crawl``) under ``repub ingest``, ``repub resync`` and the workers.

The same site is crawled by each path over real HTTP: its robots.txt disallows /private/ and asks for
a Crawl-delay of 0.3 s, and /busy/ answers its first request with 429 and ``Retry-After: 1``. Each path
is judged on the server's own request log (what was asked, in what order, and when it arrived) and on
the limiter's decisions (the ``repub.crawl`` log: widen, pause, retry, refused), never on how long the
command took. Start points and pages are synthetic, written for this test.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from repub.cli import main
from repub.config import build_settings
from repub.crawl import CrawlSettings
from repub.crawl.outcomes import judge
from repub.errors import FetchError
from repub.store import Store
from webserver import Response, TestWeb, send

HOST = "polite.example"
SITE = f"https://{HOST}"
CRAWL_DELAY = 0.3
PAUSE = 1.0  # the Retry-After sent by /busy/
LAG = 0.1  # how late a request may leave after its start on a loaded machine
IN_FLIGHT = 0.25  # a request sent before the client read the 429 may still arrive this late
PAGES = ["/a/1/", "/a/2/", "/busy/", "/a/3/"]
PRIVATE = "/private/4/"
ROBOTS = f"User-agent: *\nDisallow: /private/\nCrawl-delay: {CRAWL_DELAY}\n".encode()
TEXT = ("The council approved the harbour budget on Monday after a long debate about the cost of the new "
        "ferry terminal, its delays and the jobs it would bring to the town. ")


class PoliteSite:
    """``log``: (arrival, path) of every request; ``paused_at``: when the 429 was sent (monotonic)."""

    def __init__(self, web: TestWeb) -> None:
        self.log: list[tuple[float, str]] = []
        self.paused_at: float | None = None
        self.busy = True  # /busy/ answers 429 once while this is set
        self._lock = threading.Lock()
        urls = "".join(f"<url><loc>{SITE}{p}</loc></url>" for p in [*PAGES, PRIVATE])
        self.sitemap = (f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                        f"{urls}</urlset>").encode()
        web.static = self._serve  # type: ignore[method-assign]  # every path comes here
        self.web = web

    def _serve(self, path: str) -> Response:
        path = path.removeprefix(f"/{HOST}")
        with self._lock:
            self.log.append((time.monotonic(), path))
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, ROBOTS
        if path == "/sitemap.xml":
            return 200, {"Content-Type": "application/xml"}, self.sitemap
        n = path.strip("/").replace("/", "-")
        body = (f"<html><head><title>Harbour budget, part {n}</title></head><body><article>"
                f"<h1>Harbour budget, part {n}</h1><p>{TEXT * 3}</p><p>{TEXT}</p></article></body></html>")
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body.encode()

    def route_busy(self) -> None:
        def busy(h: BaseHTTPRequestHandler) -> Response | None:
            with self._lock:
                first = self.busy and self.paused_at is None
                if first:
                    self.paused_at = -1.0
            if not first:
                return self._serve(h.path)
            with self._lock:
                self.log.append((time.monotonic(), "/busy/"))
            send(h, 429, {"Content-Type": "text/plain", "Retry-After": str(int(PAUSE))}, b"slow down")
            self.paused_at = time.monotonic()
            return None

        self.web.route(f"/{HOST}/busy/", busy)

    def since(self, start: int) -> list[tuple[float, str]]:
        return self.log[start:]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PoliteSite]:
    with TestWeb() as web:
        monkeypatch.setenv("REPUB_HOST_MAP", web.host_map(HOST))
        monkeypatch.setenv("REPUB_DB", str(tmp_path / "repub.db"))
        monkeypatch.delenv("REPUB_DATABASE_URL", raising=False)
        monkeypatch.delenv("REPUB_USER_AGENT", raising=False)
        yield PoliteSite(web)


def decisions(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The limiter's decisions, without their numbers' noise: 'widen HOST 0.3 s: Crawl-delay'..."""
    return [r.getMessage() for r in caplog.records if r.name == "repub.crawl"
            and not r.getMessage().startswith("retry")]


def assert_polite(site: PoliteSite, log: list[tuple[float, str]], caplog: pytest.LogCaptureFixture) -> None:
    """What every path must have done, read from the server's log and the limiter's decisions."""
    paths = [path for _at, path in log]
    assert paths.count("/robots.txt") == 1 and paths[0] == "/robots.txt"  # read once, before anything
    assert PRIVATE not in paths  # disallowed: never asked
    pages = [(at, path) for at, path in log if path in PAGES]
    assert sorted(p for _at, p in pages) == sorted([*PAGES, "/busy/"])  # each once, /busy/ twice
    # Crawl-delay: 0.3 s between the starts (the rate asked for, 1000/s, would allow them all at once).
    # Arrivals are the starts plus the sender's lag, which on a machine shared with other jobs can
    # reach tens of milliseconds: each gap within LAG of the delay, and all of them together no less
    gaps = [round(b - a, 3) for (a, _), (b, _) in zip(pages, pages[1:], strict=False)]
    assert min(gaps) >= CRAWL_DELAY - LAG and sum(gaps) >= len(gaps) * CRAWL_DELAY - LAG, gaps
    # Retry-After: nothing reaches the host during the pause but what was already on its way
    assert site.paused_at is not None and site.paused_at > 0
    inside = [(round(at - site.paused_at, 2), path) for at, path in log
              if site.paused_at + IN_FLIGHT <= at < site.paused_at + PAUSE]
    assert inside == []
    assert sorted(decisions(caplog)) == [f"pause {HOST} 1 s: Retry-After", f"refused {SITE}{PRIVATE}",
                                         f"widen {HOST} 0.3 s: Crawl-delay"]


def test_ingest_is_polite(site: PoliteSite, tmp_path: Path, caplog: pytest.LogCaptureFixture,
                          capsys: pytest.CaptureFixture[str]) -> None:
    site.route_busy()
    caplog.set_level(logging.INFO, logger="repub.crawl")
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[crawl]\nrate = 1000\nconcurrency = 4\n\n[[source]]\nname = "polite"\n'
                       f'site = "{SITE}/"\nsitemaps = ["{SITE}/sitemap.xml"]\nfollow_originals = false\n',
                       encoding="utf-8")
    code = main(["ingest", "--sources", str(sources)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith("ingest run 1 ok: discovered 5, new 4, updated 0, failed 0, refused 1, ")
    log = [(at, path) for at, path in site.log if path != "/sitemap.xml"]
    assert_polite(site, log, caplog)


def test_resync_is_polite(site: PoliteSite, tmp_path: Path, caplog: pytest.LogCaptureFixture,
                          capsys: pytest.CaptureFixture[str]) -> None:
    urls = [f"{SITE}{p}" for p in [*PAGES, PRIVATE]]
    assert main(["import", *urls, "--no-follow-original"]) == 0  # a one-off import asks no robots.txt
    capsys.readouterr()
    site.route_busy()
    start = len(site.log)
    caplog.set_level(logging.INFO, logger="repub.crawl")
    code = main(["resync", "--json", "--rate", "1000", "--per-host", "4"])
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["checked"], summary["unchanged"], summary["refused"], summary["failed"]) == (5, 4, 1, 0)
    assert_polite(site, site.since(start), caplog)
    with Store.open(f"sqlite:///{tmp_path / 'repub.db'}") as store:
        (refused, *_) = store.fetch_log(f"{SITE}{PRIVATE}")
    assert (refused.error_kind, refused.error, refused.status) == ("robots", "refused by robots.txt", None)


def test_workers_are_polite(site: PoliteSite, pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    from repub.store.jobs import defer
    from repub.worker import Worker, WorkerOptions
    from repub.worker.jobs import page_job

    site.route_busy()
    caplog.set_level(logging.INFO, logger="repub.crawl")
    settings = build_settings(db=pg_url)
    crawl = CrawlSettings(rate=1000, concurrency=4)  # four lanes on the host: a worker for each
    with Store.open(pg_url) as store:
        defer(store, [page_job(f"{SITE}{p}", "polite", crawl) for p in [*PAGES, PRIVATE]])
        result = Worker(store, settings, WorkerOptions(exit_when_empty=True, concurrency=4)).run()
    assert (result.done, result.failed) == (4, 1)
    assert_polite(site, site.log, caplog)


# -- the decisions themselves ---------------------------------------------------------------------------


def test_what_a_failed_fetch_is_called() -> None:
    def err(kind: str, message: str = "m", status: int | None = None, retry_after: str | None = None) -> str:
        verdict = judge(FetchError("https://x.org/", kind, message, status=status, retry_after=retry_after))
        return f"{verdict.name}{'+' if verdict.transient else ''}{verdict.asked or ''}"

    assert err("robots", "refused by robots.txt") == "refused"
    assert err("connect", "robots.txt unreadable, nothing fetched from this host: refused") == (
        "robots-unreadable+")
    assert err("robots", "robots.txt unreadable, nothing fetched from this host: HTTP 500") == (
        "robots-unreadable")
    assert err("bot-wall", status=403) == "bot-wall"
    assert err("http", status=429, retry_after="7") == "wait+7.0"
    assert err("http", status=503) == "transient+"
    assert [err(k) for k in ("timeout", "connect")] == ["transient+", "transient+"]
    assert [err("http", status=s) for s in (404, 410, 403, 500)] == ["gone", "gone", "failed", "failed"]
    assert [err(k) for k in ("wrong-type", "not-html", "too-large")] == ["wrong-type", "not-html", "failed"]


def test_one_namespace_from_the_sources_file(tmp_path: Path) -> None:
    from repub.discover import load_sources

    path = tmp_path / "sources.toml"
    path.write_text('[crawl]\nrate = 4\nretries = 1\nrobots = false\n\n'
                    '[[source]]\nname = "a"\nsite = "https://a.example/"\nfeeds = ["https://a.example/f"]\n'
                    'rate = 0.5\nconcurrency = 1\n\n'
                    '[[source]]\nname = "b"\nsite = "https://b.example/"\nfeeds = ["https://b.example/f"]\n',
                    encoding="utf-8")
    config = load_sources(path)
    base = CrawlSettings(rate=4, retries=1, robots=False)
    assert config.crawl == base
    assert config.get("a").crawl == base.override(rate=0.5, concurrency=1)
    assert config.get("b").crawl == base
    assert config.crawl_for("https://a.example/x/") == config.get("a").crawl
    assert config.crawl_for("https://elsewhere.example/x/") == base


def test_a_retry_after_in_digits_that_are_no_number_is_no_wait(tmp_path: Path) -> None:
    """``Retry-After: ²`` (a latin-1 byte): str.isdigit() took it and float() raised ValueError out of
    the polite fetcher, a traceback from ``repub ingest``. It is a Retry-After that cannot be read: the
    usual backoff, then the failure."""
    import asyncio

    from repub.crawl.polite import PoliteFetcher
    from repub.fetch.hostmap import parse_host_map
    from repub.fetch.types import FetchSettings

    with TestWeb() as web:
        web.route(f"/{HOST}/busy/", lambda _h: (503, {"Content-Type": "text/plain", "Retry-After": "\u00b2"},
                                                 b"busy"))
        settings = FetchSettings(host_map=parse_host_map(web.host_map(HOST)), total_timeout=10)
        crawl = CrawlSettings(robots=False, retries=1, backoff=0.01)

        async def fetch() -> FetchError:
            async with PoliteFetcher(settings, crawl) as fetcher:
                with pytest.raises(FetchError) as info:
                    await fetcher.fetch(f"{SITE}/busy/")
            return info.value

        err = asyncio.run(fetch())
        assert (err.kind, err.status, err.message, err.retry_after) == (
            "http", 503, "HTTP 503 Service Unavailable", "\u00b2")
        assert web.hits == [f"/{HOST}/busy/", f"/{HOST}/busy/"]  # tried again once, as a 503 is
