"""Bot walls in every path that fetches: ``repub ingest``, ``repub resync`` and ``repub worker`` (import
is covered case by case in tests/hostile). A wall is the fetch outcome ``bot-wall``, in the fetch log,
never an article and never a new version; it is not retried as a transient failure. And none of the
real pages of the shared benchmarks is taken for a wall.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostile.server import ARTICLE_TEXT, REAL, HostileServer
from repub.cli import main
from repub.config import build_settings
from repub.fetch.botwall import find_wall
from repub.store import Store
from repub.worker import Worker, WorkerOptions

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(os.environ.get("REPUB_BENCH_ROOT", ROOT.parent / "shared" / "bench"))
WALL = "bot wall: Cloudflare answered with a challenge or block page"
CHALLENGE_200 = f'{WALL} (HTTP 200, title "Just a moment...")'


def real_pages() -> list[Path]:
    pages = sorted((BENCH / "metadata" / "pages").glob("*.html.gz"))
    pages += sorted((BENCH / "extraction" / "html").glob("*.html.gz"))
    return pages


def test_no_real_page_is_taken_for_a_wall() -> None:
    pages = real_pages()
    if pages:  # the shared benchmarks beside the clone: every one of their pages
        assert len(pages) == 1294 + 181
    else:  # without them, the real pages the repository keeps (fixtures/real, bench, reuse)
        pages = sorted((ROOT / "fixtures").glob("*/**/*.html.gz"))
        assert len(pages) >= 60, len(pages)
    walls = {}
    for path in pages:
        text = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        wall = find_wall({}, text)
        if wall is not None:
            walls[path.name] = wall.sign
    assert walls == {}


def test_cloudflare_headers_on_an_ordinary_answer_are_no_wall() -> None:
    headers = {"server": "cloudflare", "cf-ray": "8f0a1b2c3d4e5f60-FRA", "cf-cache-status": "HIT",
               "set-cookie": "__cf_bm=x0x0; path=/", "x-datadome": "protected"}
    page = "<html><head><title>Just a moment, says the mayor</title></head></html>"
    assert find_wall(headers, page) is None
    assert find_wall({**headers, "cf-mitigated": "challenge"}).sign == "header cf-mitigated: challenge"


@pytest.fixture
def srv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    with HostileServer() as server:
        monkeypatch.setenv("REPUB_HOST_MAP", server.host_map())
        monkeypatch.setenv("REPUB_DB", str(tmp_path / "repub.db"))
        monkeypatch.delenv("REPUB_DATABASE_URL", raising=False)
        monkeypatch.delenv("REPUB_USER_AGENT", raising=False)
        yield server


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_ingest_logs_a_wall_and_stores_the_rest(srv: HostileServer, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "hostile"\nsite = "{REAL}/"\nsitemaps = ["{REAL}/sitemap.xml"]\n'
                       "rate = 100\nfollow_originals = false\n", encoding="utf-8")
    log = tmp_path / "ingest.log"
    code = main(["ingest", "--sources", str(sources), "--log-file", str(log)])
    out, _ = capsys.readouterr()
    assert code == 0
    assert out.startswith("ingest run 1 ok: discovered 2, new 1, updated 0, failed 1, ")
    db = tmp_path / "repub.db"
    assert rows(db, "SELECT url FROM articles") == [(f"{REAL}/article",)]
    assert rows(db, f"SELECT status, error_kind, error FROM fetch_log WHERE url = '{REAL}/cf-challenge'") == [
        (200, "bot-wall", CHALLENGE_200)]
    assert f"failed: {REAL}/cf-challenge: {CHALLENGE_200}" in log.read_text(encoding="utf-8")
    assert srv.hits.count("/hostile.example/cf-challenge") == 1  # a wall is not retried


def test_resync_keeps_the_stored_article_behind_a_wall(srv: HostileServer, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    url = f"{REAL}/article"
    assert main(["import", url]) == 0
    srv.modes["/article"] = "/cf-challenge-403"  # the site put a challenge in front of everything
    main(["resync", "--url", url, "--json"])
    out, err = capsys.readouterr()
    summary = json.loads(out.splitlines()[-1])
    assert (summary["checked"], summary["failed"], summary["changed"], summary["gone"]) == (1, 1, 0, 0)
    wall = f"{WALL} (HTTP 403, header cf-mitigated: challenge)"
    assert f"{url}: {wall}" in err
    db = tmp_path / "repub.db"
    assert rows(db, "SELECT status, version FROM articles") == [("ok", 1)]
    assert rows(db, "SELECT COUNT(*) FROM article_versions") == [(1,)]
    last = rows(db, "SELECT status, error_kind, error FROM fetch_log ORDER BY id")[-1]
    assert last == (403, "bot-wall", wall)
    body = rows(db, "SELECT body_text FROM articles")[0][0]
    assert ARTICLE_TEXT in body


def test_worker_fails_a_wall_at_once_without_retrying(srv: HostileServer, pg_url: str) -> None:
    """A 503 challenge is no transient 503: retrying a challenge does not get past it."""
    import sqlalchemy as sa

    from repub.crawl import CrawlSettings
    from repub.store.jobs import defer, stats
    from repub.worker.jobs import page_job

    settings = build_settings(db=pg_url, host_maps=[srv.host_map()])
    urls = [f"{REAL}/datadome", f"{REAL}/cf-challenge-503"]
    with Store.open(pg_url) as store:
        defer(store, [page_job(u, "hostile", CrawlSettings(rate=100, backoff=0.01)) for u in urls])
        result = Worker(store, settings, WorkerOptions(exit_when_empty=True, lease=5)).run()
        assert (result.done, result.failed) == (0, 2)
        assert store.get(urls[0]) is None and store.get(urls[1]) is None
        with store.engine.connect() as conn:
            logged = conn.execute(sa.text("SELECT url, status, error_kind, error FROM fetch_log "
                                          "WHERE url NOT LIKE '%robots.txt' ORDER BY url")).all()
            attempts = conn.execute(sa.text("SELECT args->>'url', attempts, status::text FROM "
                                            "procrastinate_jobs ORDER BY 1")).all()
        assert [(f.url, f.error) for f in stats(store).failures] == [
            (urls[1], f'{WALL} (HTTP 503, title "Just a moment...")'),
            (urls[0], "bot wall: DataDome answered with a challenge or block page (HTTP 403, "
                      "header server: DataDome)"),
        ]
    assert [srv.hits.count(f"/hostile.example{p}") for p in ("/datadome", "/cf-challenge-503")] == [1, 1]
    assert [row[:3] for row in logged] == [(urls[1], 503, "bot-wall"), (urls[0], 403, "bot-wall")]
    assert attempts == [(urls[1], 1, "failed"), (urls[0], 1, "failed")]  # tried once each: final


def test_a_walled_robots_txt_fetches_nothing_more_from_the_host(srv: HostileServer, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The pages behind it are walled as well: asking each would only knock on a closed door."""
    srv.modes["/robots.txt"] = "/cf-challenge-403"
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "hostile"\nsite = "{REAL}/"\nsitemaps = ["{REAL}/sitemap.xml"]\n'
                       "rate = 100\nfollow_originals = false\n", encoding="utf-8")
    code = main(["ingest", "--sources", str(sources)])
    out, err = capsys.readouterr()
    wall = f"{WALL} (HTTP 403, header cf-mitigated: challenge)"
    assert code == 1
    assert out.startswith("ingest run 1 failed: discovered 0, new 0, updated 0, failed 1, refused 0, ")
    assert out.endswith(f"(no start point could be fetched: {REAL}/sitemap.xml: robots.txt unreadable, "
                        f"nothing fetched from this host: {wall})\n")
    assert srv.hits == ["/hostile.example/robots.txt"]
    logged = rows(tmp_path / "repub.db", "SELECT url, status, error_kind FROM fetch_log ORDER BY id")
    assert logged == [(f"{REAL}/robots.txt", 403, "bot-wall"), (f"{REAL}/sitemap.xml", None, "bot-wall")]
    assert err == (f"repub: discovery: {REAL}/sitemap.xml: robots.txt unreadable, nothing fetched from this "
                   f"host: {wall}\n")
