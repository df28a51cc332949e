"""``repub ingest`` end to end: real HTTP to local fixture sites, real SQLite files, the real CLI.

The TMS fixture feed, sitemap index and category pages (fixtures/DISCOVERY.md) are the start points;
politeness is shown with programmable routes (robots.txt, 429/503 answers, slow and crowded hosts).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from fixturedata import all_fixtures, fixture_hosts
from repub.cli import main
from repub.crawl import CrawlSettings
from repub.crawl.outcomes import is_transient, retry_after_seconds, retry_delay
from repub.errors import FetchError
from repub.store import Store
from repub.store.runs import run_lock
from webserver import Response, TestWeb

REPUB = Path(sys.executable).with_name("repub")
TMS = "https://www.transcend.org/tms"
NATO = f"{TMS}/2024/07/nato-at-75-a-summit-in-denial/"
NATO_PATH = "/www.transcend.org/tms/2024/07/nato-at-75-a-summit-in-denial/"
RT_PATH = "/www.rt.com/op-ed/504399-russia-china-military-alliance-washington/"
# the feed's items with a fixture page: 8 copies; 2 more answer 404
TMS_COPIES = sorted(f.url for f in all_fixtures() if "transcend.org" in f.url)
# robots.txt like the fixture's but without its Crawl-delay: 2, which would make every test slow
FAST_ROBOTS = b"User-agent: *\nDisallow: /tms/wp-admin/\nDisallow: /tms/private/\n"


def sources_file(tmp_path: Path, *, include: str = r"^https://(www\.)?transcend\.org/tms/\d{4}/\d{2}/[^/]+/$",
                 feeds: bool = True, sitemaps: bool = True, listings: bool = True, follow: bool = True,
                 rate: float = 200.0, concurrency: int = 4) -> Path:
    starts = {
        "feeds": [f"{TMS}/feed/"] if feeds else [],
        "sitemaps": [f"{TMS}/wp-sitemap.xml"] if sitemaps else [],
        "listings": [f"{TMS}/category/militarism/"] if listings else [],
    }
    path = tmp_path / "sources.toml"
    path.write_text(
        '[settings]\nuser_agent = "repub-test/0.1 (+https://example.org/repub-test)"\n\n'
        f'[[source]]\nname = "tms"\nsite = "{TMS}/"\n'
        + "".join(f"{key} = {json.dumps(value)}\n" for key, value in starts.items())
        + f"include = [{json.dumps(include)}]\nfollow_originals = {str(follow).lower()}\n"
        f"rate = {rate}\nconcurrency = {concurrency}\nmax_new = 50\n",
        encoding="utf-8",
    )
    return path


def text(body: bytes, ctype: str = "text/plain") -> Response:
    return 200, {"Content-Type": ctype}, body


@pytest.fixture
def web() -> Iterator[TestWeb]:
    with TestWeb() as server:
        server.route("/www.transcend.org/robots.txt", lambda _h: text(FAST_ROBOTS))
        yield server


@pytest.fixture
def env(web: TestWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Every fixture host (both TMS hosts among them) and www.e-ir.info (404s) served locally."""
    values = {
        "REPUB_HOST_MAP": web.host_map(*fixture_hosts(), "www.e-ir.info"),
        "REPUB_DB": str(tmp_path / "repub.db"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REPUB_DATABASE_URL", raising=False)
    monkeypatch.delenv("REPUB_USER_AGENT", raising=False)
    return {**os.environ, **values}


def ingest(capsys: pytest.CaptureFixture[str], sources: Path, *args: str) -> tuple[int, str, str]:
    code = main(["ingest", "--sources", str(sources), *args])
    out, err = capsys.readouterr()
    return code, out, err


def runs(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    assert main(["runs", "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def db_rows(db: str, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def stored_urls(db: str) -> list[str]:
    return sorted(u for (u,) in db_rows(db, "SELECT url FROM articles WHERE status = 'ok'"))


# -- priority 1: a working ingest, then a second run finding nothing new --------------------------------


def test_ingest_stores_every_tms_article_and_original_then_finds_nothing_new(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = sources_file(tmp_path)
    code, out, err = ingest(capsys, sources, "--log-file", str(tmp_path / "ingest.log"))
    assert code == 0, err
    # nothing from repub on stderr (the test server thread may print a broken pipe: a client closing
    # an error response without reading its body)
    assert "repub:" not in err
    # quiet: one summary line. 8 copies + 5 originals new; 2 copies 404, 2 originals 404 (consortiumnews
    # Baud page and the e-ir.info one have no fixture)
    (line,) = out.splitlines()
    assert line.startswith("ingest run 1 ok: discovered 10, new 13, updated 0, failed 4, ")
    db = env["REPUB_DB"]
    assert [u for u in stored_urls(db) if "transcend.org" in u] == TMS_COPIES
    originals = [u for u in stored_urls(db) if "transcend.org" not in u]
    assert originals == [
        "https://consortiumnews.com/2024/07/12/nato-at-75-a-summit-in-denial/",
        "https://www.reuters.com/article/us-myanmar-rohingya-bangladesh/rohingya-refugees-in-bangladesh-fear-"
        "being-forgotten-as-election-nears-idUSKBN1OH0IR",
        "https://www.rt.com/news/454036-global-climate-strike-students/",
        "https://www.rt.com/op-ed/380511-deep-state-trump-intelligence-leaks/",
        "https://www.rt.com/op-ed/504399-russia-china-military-alliance-washington/",
    ]
    # every copy with an original in the fixtures is linked to it
    linked = db_rows(db, "SELECT COUNT(*) FROM articles WHERE original_id IS NOT NULL")[0][0]
    assert linked == 7
    log = (tmp_path / "ingest.log").read_text()
    assert "failed: https://www.transcend.org/tms/2020/10/disarmament-talks-stall-again-in-geneva/" in log

    code, out, err = ingest(capsys, sources)
    assert code == 0, err
    assert out.startswith("ingest run 2 ok: discovered 10, new 0, updated 0, failed 0, ")
    assert len(stored_urls(db)) == 13
    first, second = reversed(runs(capsys))
    assert (first["status"], first["new"], first["failed"], first["discovered"]) == ("ok", 13, 4, 10)
    assert (second["status"], second["new"], second["failed"]) == ("ok", 0, 0)
    assert second["options"]["sources"] == ["tms"]
    # every request is in the fetch log under its run
    logged = db_rows(db, "SELECT run_id, COUNT(*) FROM fetch_log GROUP BY run_id ORDER BY run_id")
    # run 1: 10 copies, 7 originals (5 stored, 2 answering 404), 5 start-point documents (feed, sitemap
    # index and its posts sitemap, listing pages 1 and 2) and robots.txt of 6 hosts (2 TMS, rt, e-ir,
    # consortiumnews, reuters)
    # run 2: robots.txt of www.transcend.org and 4 start-point documents (the listing stops at page 1:
    # every article on it is known)
    assert logged == [(1, 10 + 7 + 5 + 6), (2, 1 + 4)]


def test_second_run_does_not_walk_past_known_pages(
    env: dict[str, str], web: TestWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = sources_file(tmp_path, feeds=False, sitemaps=False, follow=False)
    assert ingest(capsys, sources)[0] == 0
    assert "/www.transcend.org/tms/category/militarism/page/2/" in web.hits
    web.hits.clear()
    code, out, _ = ingest(capsys, sources)
    assert code == 0 and ", new 0," in out
    # page 1 holds known URLs, so page 2 (older posts) is not fetched again; --backfill walks it
    assert "/www.transcend.org/tms/category/militarism/page/2/" not in web.hits
    web.hits.clear()
    assert ingest(capsys, sources, "--backfill")[0] == 0
    assert "/www.transcend.org/tms/category/militarism/page/2/" in web.hits


def test_since_and_max_new(env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources = sources_file(tmp_path, follow=False)
    code, out, _ = ingest(capsys, sources, "--since", "2021-01-01", "--max-new", "2")
    # after 2021-01-01: 2025-12 Baud, 2024-07 NATO, 2021-05 nursery, 2021-01 nuclear ban; newest 2 taken
    assert code == 0 and out.startswith("ingest run 1 capped: discovered 4, new 2, updated 0, failed 0")
    assert [u.split("/tms/")[1][:7] for u in stored_urls(env["REPUB_DB"])] == ["2025/12", "2024/07"]
    # a capped run is not complete: the next one goes on with the older ones
    code, out, _ = ingest(capsys, sources, "--since", "2021-01-01")
    assert code == 0 and out.startswith("ingest run 2 ok: discovered 4, new 2, updated 0, failed 0")


def test_originals_left_pending_are_fetched_by_the_next_run(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the state a run killed between a copy and its original leaves: copies stored, originals pending
    code, out, _ = ingest(capsys, sources_file(tmp_path, follow=False))
    assert code == 0 and ", new 8, updated 0, failed 2," in out
    assert db_rows(env["REPUB_DB"], "SELECT COUNT(*) FROM articles WHERE status = 'pending'") == [(7,)]
    code, out, _ = ingest(capsys, sources_file(tmp_path))
    assert code == 0 and out.startswith("ingest run 2 ok: discovered 10, new 5, updated 0, failed 2,")
    assert db_rows(env["REPUB_DB"], "SELECT status, COUNT(*) FROM articles GROUP BY status") == [
        ("failed", 2), ("ok", 13)
    ]


def test_sources_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[source]]\nname = "x"\nsite = "ftp://x"\nfeeds = ["https://x/feed"]\nrate = 0\n')
    assert main(["sources", "check", str(bad)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{bad}:3: site of source 'x' must be an http(s) URL, not 'ftp://x'",
        f"{bad}:5: rate of source 'x' must be a number > 0, not 0",
    ]
    sample = Path(__file__).resolve().parent.parent / "sources.toml"
    assert main(["sources", "check", str(sample)]) == 0
    assert capsys.readouterr().out == f"{sample}: ok (1 source)\n"


def test_bad_sources_file_is_a_configuration_error(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = ingest(capsys, tmp_path / "missing.toml")
    assert (code, out) == (3, "")
    assert "cannot read sources file" in err


# -- priority 2: one run at a time ----------------------------------------------------------------------


def test_a_second_run_exits_busy_while_the_lock_is_held(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(f"sqlite:///{env['REPUB_DB']}") as store, run_lock(store):
        code, out, err = ingest(capsys, sources_file(tmp_path))
    assert (code, out) == (4, "")
    assert err == f"repub: another repub run is using {env['REPUB_DB']}; try again when it has finished\n"
    assert runs(capsys) == []  # the refused run left no trace


def test_two_overlapping_processes(env: dict[str, str], web: TestWeb, tmp_path: Path) -> None:
    served, second_done = threading.Event(), threading.Event()

    def slow(handler: BaseHTTPRequestHandler) -> Response:
        served.set()
        second_done.wait(60)  # the first run holds the lock until the second has been refused
        return web.static(handler.path)

    web.route(NATO_PATH, slow)
    sources = sources_file(tmp_path, include="nato-at-75", follow=False, sitemaps=False, listings=False)
    first = subprocess.Popen([REPUB, "ingest", "--sources", sources], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert served.wait(120)  # a hang, not a speed: a loaded machine may take long to start a run
    second = subprocess.run([REPUB, "ingest", "--sources", sources], env=env, capture_output=True, text=True)
    second_done.set()
    out, err = first.communicate(timeout=120)
    assert (second.returncode, second.stdout) == (4, "")
    assert "another repub run is using" in second.stderr
    assert first.returncode == 0, err
    assert out.startswith("ingest run 1 ok: discovered 1, new 1, ")


# -- priority 3: politeness ------------------------------------------------------------------------------


def test_robots_disallowed_url_is_logged_and_not_fetched(
    env: dict[str, str], web: TestWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web.route("/www.transcend.org/robots.txt", lambda _h: text(b"User-agent: *\nDisallow: /tms/2024/\n"))
    sources = sources_file(tmp_path, follow=False, sitemaps=False, listings=False)
    code, out, _ = ingest(capsys, sources)
    # NATO refused: the site's wish, not a failure (the two 404s are)
    assert code == 0 and ", new 7, updated 0, failed 2, refused 1, " in out
    assert NATO_PATH not in web.hits
    with Store.open(f"sqlite:///{env['REPUB_DB']}") as store:
        (entry,) = store.fetch_log(NATO)
    assert (entry.error_kind, entry.error, entry.status, entry.run_id) == (
        "robots", "refused by robots.txt", None, 1
    )
    # --backfill asks every URL again (the 404s too): the refused one is still refused, not failed
    code, out, _ = ingest(capsys, sources, "--backfill")
    assert code == 0 and ", new 0, updated 0, failed 2, refused 1, " in out
    assert [(r["failed"], r["refused"]) for r in runs(capsys)] == [(2, 1), (2, 1)]


def test_page_without_an_article_is_a_failure_with_an_extract_line_in_the_fetch_log(
    env: dict[str, str], web: TestWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = b"<html><head><script>var a = 1;</script></head><body><nav></nav></body></html>"
    web.route(NATO_PATH, lambda _h: text(empty, "text/html; charset=utf-8"))
    sources = sources_file(tmp_path, follow=False, sitemaps=False, listings=False)
    code, out, _ = ingest(capsys, sources)
    assert code == 0 and ", new 7, updated 0, failed 3," in out  # the empty page + the two 404s
    with Store.open(f"sqlite:///{env['REPUB_DB']}") as store:
        assert store.get(NATO) is None
        logged = [(e.status, e.error_kind, e.error, e.run_id) for e in reversed(store.fetch_log(NATO))]
    reason = "no article text found (no title and no body)"
    assert logged == [(200, None, None, 1), (200, "extract", reason, 1)]


def test_crawl_delay_spaces_requests_to_a_host(
    env: dict[str, str], web: TestWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web.route("/www.transcend.org/robots.txt", lambda _h: text(b"User-agent: *\nCrawl-delay: 0.4\n"))
    starts: list[float] = []

    def timed(handler: BaseHTTPRequestHandler) -> Response:
        starts.append(time.monotonic())
        return web.static(handler.path)

    for fixture in all_fixtures():
        if fixture.host == "www.transcend.org":
            web.route("/www.transcend.org/" + fixture.url.split("www.transcend.org/", 1)[1], timed)
    sources = sources_file(tmp_path, include="/20(17|18|19)/", follow=False, sitemaps=False, listings=False)
    assert ingest(capsys, sources)[0] == 0
    assert len(starts) == 3  # the spacing itself: the limiter's decisions, in the test below


def test_the_limiter_spaces_a_hosts_starts_by_its_crawl_delay(web: TestWeb) -> None:
    """The starts the limiter granted (not arrival times at the server, which a busy machine skews):
    robots.txt first, at the source's rate, then every page 0.4 s after the one before, although rate
    200/s and concurrency 4 would let all three go at once."""
    from repub.config import build_settings
    from repub.crawl.polite import PoliteFetcher

    web.route("/www.transcend.org/robots.txt", lambda _h: text(b"User-agent: *\nCrawl-delay: 0.4\n"))
    urls = sorted(f.url for f in all_fixtures()
                  if f.host == "www.transcend.org" and re.search("/20(17|18|19)/", f.url))
    settings = build_settings(host_maps=[web.host_map("www.transcend.org")])

    async def run() -> tuple[list[float], float]:
        async with PoliteFetcher(settings.fetch, CrawlSettings(rate=200, concurrency=4)) as fetcher:
            pages = await asyncio.gather(*(fetcher.fetch(u) for u in urls))
            assert [p.status for p in pages] == [200, 200, 200]
            host = fetcher.state.hosts["www.transcend.org"]  # type: ignore[attr-defined]
            return list(host.starts), host.interval

    starts, interval = asyncio.run(run())
    assert interval == 0.4
    assert len(starts) == 4  # robots.txt, then the three pages
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert gaps[0] >= 1 / 200 - 1e-9  # robots.txt was read before the Crawl-delay was known
    assert all(g >= 0.4 - 1e-9 for g in gaps[1:]), gaps
    assert [p for p in web.hits if p.startswith("/www.transcend.org/")] == [
        "/www.transcend.org/robots.txt", *(u.split("https:/", 1)[1] for u in urls)]


def test_per_host_concurrency_limit(
    env: dict[str, str], web: TestWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock, in_flight, peak = threading.Lock(), [0], [0]
    both = threading.Barrier(2, timeout=60)  # the first two requests are answered only once both arrived

    def crowded(handler: BaseHTTPRequestHandler) -> Response:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
            arrival = len(served)
            served.append(handler.path)
        if arrival < 2:
            both.wait()  # two in flight at once, for sure: the limit is reached, not merely allowed
            time.sleep(0.3)  # room for a third request to arrive, were the limit not kept
        with lock:
            in_flight[0] -= 1
        return web.static(handler.path)

    served: list[str] = []

    for url in TMS_COPIES:
        if "www.transcend.org" in url:
            web.route("/www.transcend.org/" + url.split("www.transcend.org/", 1)[1], crowded)
    sources = sources_file(tmp_path, follow=False, sitemaps=False, listings=False, concurrency=2)
    code, out, _ = ingest(capsys, sources)
    assert code == 0 and ", new 8," in out
    assert peak[0] == 2


def test_429_retry_after_and_503_then_200(
    env: dict[str, str], web: TestWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hits: dict[str, list[float]] = {"429": [], "503": [], "404": []}

    def busy(handler: BaseHTTPRequestHandler) -> Response:
        hits["429"].append(time.monotonic())
        if len(hits["429"]) == 1:
            return 429, {"Retry-After": "1", "Content-Type": "text/plain"}, b"slow down"
        return web.static(handler.path)

    def flaky(handler: BaseHTTPRequestHandler) -> Response:
        hits["503"].append(time.monotonic())
        if len(hits["503"]) == 1:
            return 503, {"Content-Type": "text/plain"}, b"try later"
        return web.static(handler.path)

    def gone(handler: BaseHTTPRequestHandler) -> Response:
        hits["404"].append(time.monotonic())
        return web.static(handler.path)

    web.route(NATO_PATH, busy)
    web.route(RT_PATH, flaky)  # the original of the Russia-China copy
    web.route("/www.transcend.org/tms/2020/10/a-removed-post-that-now-answers-404/", gone)
    sources = sources_file(tmp_path, include="nato-at-75|russia-china|removed-post",
                           sitemaps=False, listings=False)
    code, out, err = ingest(capsys, sources)
    assert code == 0, err
    # NATO + its original, the copy + its RT original; the 404 fails once (4xx is never retried)
    assert ", new 4, updated 0, failed 1," in out
    assert len(hits["429"]) == 2 and hits["429"][1] - hits["429"][0] >= 0.95
    assert len(hits["503"]) == 2
    assert len(hits["404"]) == 1
    with Store.open(f"sqlite:///{env['REPUB_DB']}") as store:
        statuses = [e.status for e in reversed(store.fetch_log(NATO))]
    assert statuses == [429, 200]


def test_a_slow_host_does_not_hold_up_the_others(
    env: dict[str, str], web: TestWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copies_served: list[str] = []
    all_copies, held = threading.Event(), []

    def slow_original(handler: BaseHTTPRequestHandler) -> Response:
        # held until every copy was served: a run that waited for this host first would never get there
        held.append(all_copies.wait(60))
        return web.static(handler.path)

    def copy(handler: BaseHTTPRequestHandler) -> Response:
        copies_served.append(handler.path)
        if len(copies_served) == 7:
            all_copies.set()
        return web.static(handler.path)

    web.route(RT_PATH, slow_original)
    for url in TMS_COPIES:
        if "www.transcend.org" in url:
            web.route("/www.transcend.org/" + url.split("www.transcend.org/", 1)[1], copy)
    sources = sources_file(tmp_path, sitemaps=False, listings=False, concurrency=1, rate=50)
    code, out, _ = ingest(capsys, sources)
    assert code == 0 and ", new 13," in out
    assert len(copies_served) == 7
    # the Russia-China copy comes 5th newest, so the slow RT original starts early; the TMS host
    # (one request at a time) went on with all its copies while the RT request was held
    assert held == [True]


def test_transient_errors_and_retry_after() -> None:
    def err(kind: str, status: int | None = None) -> FetchError:
        return FetchError("https://x.org/", kind, "m", status=status)

    assert [is_transient(err("http", s)) for s in (429, 500, 502, 503, 504, 404, 403)] == [
        True, False, True, True, True, False, False
    ]
    assert is_transient(err("timeout")) and is_transient(err("connect"))
    assert not is_transient(err("not-html")) and not is_transient(err("robots"))
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_seconds("soon") is None


def test_retry_delay_shared_by_ingest_and_workers() -> None:
    busy = FetchError("https://x.org/", "http", "m", status=503, retry_after="7")
    timeout = FetchError("https://x.org/", "timeout", "m")
    crawl = CrawlSettings(retries=3, backoff=2.0, max_retry_after=300.0, jitter=0.0)
    assert [retry_delay(timeout, tries, crawl) for tries in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, None]
    assert retry_delay(timeout, 3, crawl.override(max_backoff=5.0)) == 5.0
    assert retry_delay(busy, 1, crawl) == 7.0  # the server's Retry-After, as asked
    assert retry_delay(busy, 1, crawl.override(max_retry_after=5.0)) is None  # too long: final
    assert retry_delay(FetchError("https://x.org/", "http", "m", status=404), 1, crawl) is None
    jittered = crawl.override(jitter=0.25)
    spread = {round(retry_delay(timeout, 1, jittered) or 0, 6) for _ in range(50)}
    assert len(spread) > 1 and all(1.5 <= d <= 2.5 for d in spread)


# -- priority 4: stopping ---------------------------------------------------------------------------------


def slow_copies(web: TestWeb, delay: float) -> None:
    def slow(handler: BaseHTTPRequestHandler) -> Response:
        time.sleep(delay)
        return web.static(handler.path)

    for url in TMS_COPIES:
        host, path = url.split("://", 1)[1].split("/", 1)
        web.route(f"/{host}/{path}", slow)


def wait_for_articles(db: str, count: int, timeout: float = 120) -> None:  # a hang, not a speed
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if db_rows(db, "SELECT COUNT(*) FROM articles WHERE status = 'ok'")[0][0] >= count:
                return
        except sqlite3.OperationalError:  # not created yet
            pass
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} articles stored in {timeout} s")


def test_sigkill_mid_run_then_resume(env: dict[str, str], web: TestWeb, tmp_path: Path) -> None:
    slow_copies(web, 0.4)
    sources = sources_file(tmp_path, concurrency=1)
    db = env["REPUB_DB"]
    proc = subprocess.Popen([REPUB, "ingest", "--sources", sources], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    wait_for_articles(db, 3)
    proc.kill()
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    killed_with = len(stored_urls(db))
    assert 3 <= killed_with < 13

    done = subprocess.run([REPUB, "ingest", "--sources", sources], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ingest run 2 ok: discovered 10, ")
    assert len(stored_urls(db)) == 13  # nothing lost
    assert db_rows(db, "SELECT url, COUNT(*) FROM articles GROUP BY url HAVING COUNT(*) > 1") == []
    assert db_rows(db, "SELECT COUNT(*) FROM article_versions")[0][0] == 13  # nothing stored twice
    assert db_rows(db, "SELECT COUNT(*) FROM articles WHERE original_id IS NOT NULL")[0][0] == 7
    assert db_rows(db, "PRAGMA integrity_check") == [("ok",)]
    statuses = db_rows(db, "SELECT id, status FROM runs ORDER BY id")
    assert statuses == [(1, "interrupted"), (2, "ok")]


def test_sigterm_stops_cleanly(env: dict[str, str], web: TestWeb, tmp_path: Path) -> None:
    slow_copies(web, 0.4)
    sources = sources_file(tmp_path, concurrency=1)
    db = env["REPUB_DB"]
    proc = subprocess.Popen([REPUB, "ingest", "--sources", sources], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    wait_for_articles(db, 2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)  # a hang, not a speed
    assert proc.returncode == 130, err
    assert out.startswith("ingest run 1 interrupted: discovered 10, ")
    (row,) = db_rows(db, "SELECT status, finished_at IS NOT NULL, new FROM runs")
    assert row[:2] == ("interrupted", 1) and row[2] == len(stored_urls(db))
    assert db_rows(db, "PRAGMA integrity_check") == [("ok",)]
