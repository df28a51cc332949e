"""An ingest keeps a bounded number of a source's articles alive at once, not one task per URL
(repub.ingest.runner: ALIVE_MIN, ALIVE_PER_REQUEST): real HTTP to a local synthetic site, the real CLI
in this process (so that the run's own coroutine can be watched)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from repub.cli import main
from repub.ingest import runner
from synthweb import SyntheticWeb
from webserver import TestWeb

HOST = "bounded.example"


def _sitemap(urls: list[str]) -> bytes:
    locs = "".join(f"<url><loc>{u}</loc><lastmod>2024-07-01</lastmod></url>" for u in urls)
    return (f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}'
            "</urlset>").encode()


def test_a_source_of_many_urls_keeps_a_bounded_number_of_articles_alive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with TestWeb() as web:
        site = SyntheticWeb(web, [HOST])
        urls = site.urls(150)
        sitemap = _sitemap(urls)
        web.route(f"/{HOST}/sitemap.xml", lambda _h: (200, {"Content-Type": "application/xml"}, sitemap))
        sources = tmp_path / "sources.toml"
        sources.write_text(
            '[settings]\nuser_agent = "repub-test/0.1 (+https://example.org/repub-test)"\n\n'
            f'[[source]]\nname = "many"\nsite = "https://{HOST}/"\nsitemaps = ["https://{HOST}/sitemap.xml"]\n'
            f"include = ['^https://{HOST}/a/']\nfollow_originals = false\nrate = 1000.0\nconcurrency = 2\n"
            "max_new = 1000\n", encoding="utf-8")
        monkeypatch.setenv("REPUB_HOST_MAP", site.host_map())
        monkeypatch.setenv("REPUB_DB", str(tmp_path / "repub.db"))
        monkeypatch.setenv("REPUB_EXTRACT_POOL_MIN", "100000")  # extraction in this process's threads
        monkeypatch.delenv("REPUB_DATABASE_URL", raising=False)
        monkeypatch.setattr(runner, "ALIVE_MIN", 6)
        monkeypatch.setattr(runner, "ALIVE_PER_REQUEST", 2)  # 2 requests at once: max(6, 4) = 6 alive

        alive, peak = 0, 0
        article = runner.Ingest._article

        async def watched(self: Any, source: Any, url: str) -> None:
            nonlocal alive, peak
            alive += 1
            peak = max(peak, alive)
            try:
                await article(self, source, url)
            finally:
                alive -= 1

        monkeypatch.setattr(runner.Ingest, "_article", watched)
        code = main(["ingest", "--sources", str(sources)])
        out = capsys.readouterr().out
    assert code == 0 and ", new 150," in out, out
    assert sum(site.paths.values()) == 150  # every article fetched once
    assert peak == 6  # one task per URL had all 150 alive at once
