"""Visible bylines on sites without rules, end to end: a local HTTP server, `repub import`, the record.

Issue 15, item 9: `<p class="byline">By Jane Doe and John Roe, Associated Press</p>` was kept as the
byline with `authors: []`; so were "By Mara Lind" and an Arabic "بقلم ...". The generic extractor read
only the page's metadata.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from repub.cli import main
from webserver import TestWeb

HOST = "news.example.net"
BODY = " ".join(["The council met on Tuesday and voted on the budget for the coming year."] * 6)


def page(title: str, byline: str, lang: str = "en") -> bytes:
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>
<body><header><nav><a href="/">Home</a></nav></header>
<main><article><h1>{title}</h1>
<p class="byline">{byline}</p>
<p>{BODY}</p><p>{BODY}</p>
</article>
<aside class="related"><h2>More</h2><p class="byline">By Someone Else</p></aside>
</main></body></html>""".encode()


PAGES = {
    "/a/": page("Council passes budget", "By Jane Doe and John Roe, Associated Press"),
    "/b/": page("Harbour reopens", "By Mara Lind"),
    "/c/": page("المجلس يقر الميزانية", "بقلم محمد العلي", lang="ar"),
}


def _serving(body: bytes) -> object:
    def serve(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body

    return serve


@pytest.fixture(scope="module")
def web() -> Iterator[TestWeb]:
    with TestWeb() as server:
        for path, body in PAGES.items():
            server.route(f"/{HOST}{path}", _serving(body))
        yield server


@pytest.fixture
def env(web: TestWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REPUB_HOST_MAP", web.host_map(HOST))
    monkeypatch.setenv("REPUB_DB", str(tmp_path / "repub.db"))
    monkeypatch.delenv("REPUB_DATABASE_URL", raising=False)
    return tmp_path


@pytest.mark.parametrize(
    ("path", "authors", "byline"),
    [
        ("/a/", ["Jane Doe", "John Roe"], "By Jane Doe and John Roe, Associated Press"),
        ("/b/", ["Mara Lind"], "By Mara Lind"),
        ("/c/", ["محمد العلي"], "بقلم محمد العلي"),
    ],
)
def test_a_visible_byline_names_the_authors(
    env: Path, capsys: pytest.CaptureFixture[str], path: str, authors: list[str], byline: str
) -> None:
    code = main(["import", f"https://{HOST}{path}", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    record = json.loads(out.splitlines()[0])
    assert record["authors"] == authors
    assert record["byline"] == byline
