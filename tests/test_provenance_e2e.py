"""Provenance end to end over real HTTP: ``repub import`` of copies served by a local server under real
host names (REPUB_HOST_MAP), the original fetched and linked, the evidence shown by ``--json`` and
``repub show``.

Issue 15 item 11: a copy on ``foo.example.org`` citing an original on ``bar.example.com`` was taken for
the same outlet (both "example") and got no original.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from repub.cli import main
from webserver import TestWeb

COPY = "https://foo.example.org/2026/11/the-copy/"
CANONICAL_COPY = "https://foo.example.org/2026/11/the-canonical-copy/"
SAME_BRAND = "https://foo.example.org/2026/11/same-brand/"
ORIGINAL = "https://bar.example.com/news/2026/11/the-original/"
BODY = "<p>" + " ".join(["The council voted on Tuesday to keep the harbour open all winter."] * 6) + "</p>"


def page(title: str, head: str = "", body: str = "") -> bytes:
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>{head}"
            f"</head><body><article><h1>{title}</h1>{BODY}{body}</article></body></html>").encode()


def html(content: bytes) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "text/html; charset=utf-8"}, content


@pytest.fixture
def web() -> Iterator[TestWeb]:
    with TestWeb() as server:
        server.route("/foo.example.org/2026/11/the-copy/", lambda h: html(page(
            "Harbour stays open", f'<link rel="canonical" href="{COPY}">',
            f'<p><em>This story originally appeared on <a href="{ORIGINAL}">Bar News</a>.</em></p>')))
        server.route("/foo.example.org/2026/11/the-canonical-copy/", lambda h: html(page(
            "Harbour stays open", f'<link rel="canonical" href="{ORIGINAL}">')))
        # a canonical to another host of foo.example.org's own registrable domain: not a copy
        server.route("/foo.example.org/2026/11/same-brand/", lambda h: html(page(
            "Harbour stays open", '<link rel="canonical" href="https://news.example.org/2026/11/same-brand/">')))
        server.route("/bar.example.com/news/2026/11/the-original/", lambda h: html(page(
            "Harbour stays open all winter", '<meta property="og:site_name" content="Bar News">')))
        yield server


@pytest.fixture
def env(web: TestWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    hosts = ("foo.example.org", "bar.example.com", "news.example.org")
    monkeypatch.setenv("REPUB_HOST_MAP", web.host_map(*hosts))
    monkeypatch.setenv("REPUB_DB", str(tmp_path / "repub.db"))
    monkeypatch.delenv("REPUB_DATABASE_URL", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.startswith("{")], out


def test_a_copy_citing_another_outlet_under_the_same_label_is_linked_and_its_original_fetched(
        env: Path, web: TestWeb, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = run(capsys, "import", COPY, "--json")
    assert code == 0
    copy, original = lines
    assert copy["url"] == COPY and original["url"] == ORIGINAL
    assert copy["original"] == {
        "url": ORIGINAL, "outlet": "Bar News", "published_at": None,
        "evidence": [{"kind": "text-line", "detail": {
            "url": ORIGINAL, "outlet": "Bar News", "text": "This story originally appeared on Bar News."}}],
        "confidence": 0.9, "title": "Harbour stays open all winter", "status": "ok", "error": None,
    }
    assert original["site"] == "bar.example.com" and original["republications"][0]["url"] == COPY
    assert "/bar.example.com/news/2026/11/the-original/" in web.hits  # fetched over HTTP
    code, _, text = run(capsys, "show", COPY)
    assert code == 0
    assert (f'              evidence: text-line: "This story originally appeared on Bar News." '
            f"(Bar News, {ORIGINAL})") in text


def test_a_canonical_to_another_outlet_under_the_same_label_is_a_copy(
        env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = run(capsys, "import", CANONICAL_COPY, "--json")
    assert code == 0
    copy, original = lines
    assert (copy["original"]["url"], copy["original"]["status"]) == (ORIGINAL, "ok")
    assert copy["original"]["evidence"] == [
        {"kind": "canonical", "detail": {"url": ORIGINAL, "outlet": "bar.example.com"}}]
    assert original["url"] == ORIGINAL


def test_a_canonical_within_the_same_registrable_domain_is_not_a_copy(
        env: Path, web: TestWeb, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = run(capsys, "import", SAME_BRAND, "--json")
    assert code == 0
    assert [line["url"] for line in lines] == [SAME_BRAND]
    assert lines[0]["original"] is None
    assert not any(hit.startswith("/news.example.org/") for hit in web.hits)
