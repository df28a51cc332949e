"""Smoke test of the benchmark tools: the fixture web is generated and served, one step runs. No timings."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import fixture_web  # noqa: E402
import run_bench  # noqa: E402


def test_fixture_web_generates_sized_pages_and_serves_them_with_etags(tmp_path: Path) -> None:
    manifest = fixture_web.generate(tmp_path, 3, 4)
    copies = (tmp_path / "copies.txt").read_text().split()
    originals = (tmp_path / "originals.txt").read_text().split()
    assert len(copies) == len(originals) == 3
    assert set(manifest["hosts"]) == {"www.transcend.org", "transcend.org", "www.rt.com", "rt.com"}
    for url in copies + originals:
        page = tmp_path / "pages" / (url.split("://", 1)[1] + "index.html")
        assert fixture_web.MIN_SIZE - 2000 <= page.stat().st_size <= fixture_web.MAX_SIZE + 2000
    with run_bench.Server(tmp_path) as server:
        url = fixture_web.loopback(copies[0], server.port)
        with urllib.request.urlopen(url) as response:
            etag = response.headers["ETag"]
            assert response.status == 200 and len(response.read()) > 50_000
        request = urllib.request.Request(url, headers={"If-None-Match": etag})
        try:
            urllib.request.urlopen(request)
            raise AssertionError("expected 304")
        except urllib.error.HTTPError as err:
            assert err.code == 304


def test_each_article_has_its_own_text_which_its_copy_carries(tmp_path: Path) -> None:
    from repub.extract import extract
    from repub.reuse import compare, is_copy

    fixture_web.generate(tmp_path, 6, 4)  # two articles from each template
    copies = (tmp_path / "copies.txt").read_text().split()
    originals = (tmp_path / "originals.txt").read_text().split()

    def body(url: str) -> str:
        html = (tmp_path / "pages" / (url.split("://", 1)[1] + "index.html")).read_text(encoding="utf-8")
        return extract(html, url).body_text

    copy_bodies, original_bodies = [body(u) for u in copies], [body(u) for u in originals]
    for i, copy in enumerate(copy_bodies):
        assert is_copy(compare(copy, original_bodies[i]))  # a copy republishes its original's text
        for j, other in enumerate(original_bodies):
            if j != i:  # another article, even from the same template, shares at most the RT standfirst
                assert compare(copy, other).coverage < 0.1


def test_extract_step_runs_and_finds_the_original(tmp_path: Path) -> None:
    from repub.extract import extract

    fixture_web.generate(tmp_path, 2, 4)
    copy = (tmp_path / "copies.txt").read_text().split()[0]
    original = (tmp_path / "originals.txt").read_text().split()[0]
    html = (tmp_path / "pages" / (copy.split("://", 1)[1] + "index.html")).read_text(encoding="utf-8")
    result = extract(html, copy)
    assert result.original is not None and result.original.url == original
    figures = run_bench.bench_extract(tmp_path, runs=1, limit=4)
    assert [f.name for f in figures] == ["(a) extract, whole path, site rules",
                                         "(a) extract, whole path, generic extractor"]
    assert all(f.values and f.peer_values for f in figures)


def test_import_step_stores_copies_and_originals(tmp_path: Path) -> None:
    manifest = fixture_web.generate(tmp_path, 2, 4)
    with run_bench.Server(tmp_path) as server:
        db = tmp_path / "smoke.db"
        _, rss, summary = run_bench.ingest(tmp_path, manifest, server.port, db, rate=1000, concurrency=4,
                                           articles=2)
    assert "new 4," in summary and rss > 0
    assert run_bench.count_articles(db) == 4
