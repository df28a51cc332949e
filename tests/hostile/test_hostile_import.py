"""`repub import` against a hostile server, end to end through the real CLI and a real SQLite file.

Every case must end in one clear stderr line and the right exit code (no traceback), one fetch_log row
saying what happened, no half-written article, an intact database and no request anywhere but the
hostile server. See docs/hostile.md for the table of cases.
"""

from __future__ import annotations

import json
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostile.server import (
    ARTICLE_TEXT,
    BROKEN_TEXT,
    CYRILLIC_TEXT,
    CYRILLIC_TITLE,
    EMOJI_HOST,
    MAX_BYTES,
    METADATA_URL,
    NOCHARSET_TEXT,
    NOCHARSET_TITLE,
    PRIVATE_URL,
    REAL,
    HostileServer,
)
from repub.cli import main


@pytest.fixture(scope="module")
def srv() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.fixture
def db(srv: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    srv.hits.clear()
    srv.modes.clear()
    path = tmp_path / "repub.db"
    monkeypatch.setenv("REPUB_HOST_MAP", srv.host_map())
    monkeypatch.setenv("REPUB_DB", str(path))
    monkeypatch.delenv("REPUB_DATABASE_URL", raising=False)
    return path


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every address a socket in this process connects to while the test runs."""
    seen: list[object] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self: socket.socket, address: object) -> None:
        seen.append(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        seen.append(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return seen


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def query(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def fetch_log(db: Path) -> list[tuple]:
    return query(db, "SELECT url, status, error_kind, error FROM fetch_log ORDER BY id")


def assert_intact(db: Path) -> None:
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "PRAGMA foreign_key_check") == []


def assert_nothing_stored(db: Path) -> None:
    """No article, version, alias or raw page: a failed import leaves no half-written row."""
    for table in ("articles", "article_versions", "url_aliases", "raw_pages"):
        assert query(db, f"SELECT COUNT(*) FROM {table}") == [(0,)], table


def show(capsys: pytest.CaptureFixture[str], url: str) -> dict:
    code, out, err = run(capsys, "show", url, "--json")
    assert code == 0, err
    return json.loads(out)


# case path, extra CLI args, logged HTTP status, error kind, error text
REFUSED = [
    ("/big", (), 200, "too-large", f"body exceeds the limit of {MAX_BYTES} bytes"),
    ("/bomb", (), 200, "too-large", f"decompressed body exceeds the limit of {MAX_BYTES} bytes"),
    ("/cut-gzip", (), 200, "encoding", "truncated gzip body: the compressed data ends early"),
    ("/trickle", ("--timeout", "2"), 200, "timeout", "timed out: total deadline of 2 s exceeded"),
    ("/loop-a", (), 301, "redirects",
     f"redirect loop: {REAL}/loop-a -> {REAL}/loop-b -> {REAL}/loop-a"),
    ("/hops/0", (), 302, "redirects", "more than 10 redirects"),
    ("/pdf", (), 200, "not-html", "not HTML: application/pdf"),
    ("/json", (), 200, "not-html", "not HTML: application/json"),
    ("/image", (), 200, "not-html", "not HTML: image/png"),
    ("/empty", (), 200, "empty", "empty body"),
    ("/garbage", (), 200, "not-html", "not HTML: the body is binary data"),
    ("/ssrf-redirect", (), None, "blocked", "refused: 127.0.0.1 is a loopback address"),
    ("/tab-redirect", (), 302, "bad-url",
     r"bad redirect target: control character in '/hostile.example/art\ticle'"),
    ("/500", (), 500, "http", "HTTP 500 Internal Server Error"),
    ("/404", (), 404, "http", "HTTP 404 Not Found"),
    *((case, (), status, "bot-wall", f"bot wall: {vendor} answered with a challenge or block page "
       f"(HTTP {status}, {sign})") for case, status, vendor, sign in [
        ("/cf-challenge", 200, "Cloudflare", 'title "Just a moment..."'),
        ("/cf-challenge-403", 403, "Cloudflare", "header cf-mitigated: challenge"),
        ("/cf-challenge-503", 503, "Cloudflare", 'title "Just a moment..."'),
        ("/cf-block", 403, "Cloudflare", 'title "Attention Required! | Cloudflare"'),
        ("/datadome", 403, "DataDome", "header server: DataDome"),
        ("/datadome-no-headers", 403, "DataDome", "marker var dd={ + captcha-delivery.com"),
        ("/perimeterx", 403, "PerimeterX (HUMAN)", 'title "Access to this page has been denied."'),
        ("/akamai", 403, "Akamai", "marker errors&#46;edgesuite&#46;net"),
        ("/sucuri", 403, "Sucuri", "header x-sucuri-block"),
        ("/sucuri-challenge", 200, "Sucuri", "marker sucuri_cloudproxy_js"),
    ]),
]


@pytest.mark.parametrize(("case", "extra", "status", "kind", "message"), REFUSED,
                         ids=[c[0].strip("/") for c in REFUSED])
def test_refused_cleanly(
    srv: HostileServer, db: Path, capsys: pytest.CaptureFixture[str], connections: list[object],
    case: str, extra: tuple[str, ...], status: int | None, kind: str, message: str,
) -> None:
    url = REAL + case
    code, out, err = run(capsys, "import", url, *extra)
    assert code == 1
    assert out == ""
    assert err == f"repub: {url}: {message}\n"
    assert fetch_log(db) == [(url, status, kind, message)]
    assert_nothing_stored(db)
    assert_intact(db)
    assert set(connections) == {("127.0.0.1", srv.port)}


def test_ssrf_redirect_never_reaches_the_target(srv: HostileServer, db: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "import", f"{REAL}/ssrf-redirect")[0] == 1
    assert srv.hits == ["/hostile.example/ssrf-redirect"]  # /secret was never asked for
    assert query(db, "SELECT final_url FROM fetch_log") == [(f"{srv.base}/secret",)]


def test_a_redirect_to_a_host_idna_2008_refuses_is_followed(
    srv: HostileServer, db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """httpx read every Location's host itself (``idna.decode``) and raised on an emoji A-label: a
    traceback. The fetcher follows it like any other redirect (here to the hostile server again)."""
    monkeypatch.setenv("REPUB_HOST_MAP", f"{srv.host_map()},{EMOJI_HOST}={srv.base}/hostile.example")
    url = f"{REAL}/emoji-redirect"
    code, out, err = run(capsys, "import", url)
    assert (code, err) == (0, "")
    assert f"  url:        https://{EMOJI_HOST}/article\n" in out
    assert fetch_log(db) == [(url, 200, None, None)]
    assert query(db, "SELECT final_url FROM fetch_log") == [(f"https://{EMOJI_HOST}/article",)]
    assert show(capsys, url)["title"] == "Flood in the valley"
    assert srv.hits == ["/hostile.example/emoji-redirect", "/hostile.example/article"]
    assert_intact(db)


def test_big_body_is_cut_off_near_the_limit(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "import", f"{REAL}/big")
    [(nbytes,)] = query(db, "SELECT nbytes FROM fetch_log")
    assert MAX_BYTES < nbytes <= MAX_BYTES + 256 * 1024  # stopped reading, not all 11 MB


def test_bomb_is_stopped_by_its_decoded_size(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "import", f"{REAL}/bomb")
    [(nbytes,)] = query(db, "SELECT nbytes FROM fetch_log")
    assert nbytes < 100_000  # what came over the wire: the bomb itself is small


@pytest.mark.parametrize(
    ("case", "title", "text"),
    [
        ("/cp1251", CYRILLIC_TITLE, CYRILLIC_TEXT),
        ("/nocharset", NOCHARSET_TITLE, NOCHARSET_TEXT),
        ("/broken", "Ships collide in fog", BROKEN_TEXT),
        ("/cf-fronted", "Flood in the valley", ARTICLE_TEXT),
        ("/punycode", "Flood in the valley", ARTICLE_TEXT),
    ],
    ids=["cp1251-labelled-utf8", "no-charset", "broken-html", "behind-cloudflare-no-wall",
         "labelled-punycode"],
)
def test_stored_and_decoded_right(db: Path, capsys: pytest.CaptureFixture[str], connections: list[object],
                                  srv: HostileServer, case: str, title: str, text: str) -> None:
    url = REAL + case
    code, out, err = run(capsys, "import", url)
    assert (code, err) == (0, "")
    article = show(capsys, url)
    assert article["title"] == title
    assert article["status"] == "ok"
    assert text in article["body_text"]
    assert "\ufffd" not in article["title"]
    assert fetch_log(db) == [(url, 200, None, None)]
    assert query(db, "SELECT COUNT(*) FROM article_versions") == [(1,)]
    assert_intact(db)
    assert set(connections) == {("127.0.0.1", srv.port)}


def test_every_gzip_member_of_a_body_is_read(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A gzip body of two members (the page cut after 300 bytes: the first member ends inside its first
    paragraph) is the page whole, as gzip(1) and urllib3 read it: it was once cut after the first
    member without a word. (The page repeats its paragraph; the text keeps it once.)"""
    url = f"{REAL}/two-gzip-members"
    assert run(capsys, "import", url)[0::2] == (0, "")
    article = show(capsys, url)
    assert (article["title"], article["body_text"]) == ("Flood in the valley", ARTICLE_TEXT)
    assert fetch_log(db) == [(url, 200, None, None)]
    assert_intact(db)


def test_broken_html_garbage_bytes_do_not_leak_into_the_text(db: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "import", f"{REAL}/broken")
    body = show(capsys, f"{REAL}/broken")["body_text"]
    assert "\x00" not in body and "\x01" not in body
    assert "<span>" not in body and "var x" not in body


def test_unclosed_title_is_closed_and_the_body_kept(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """<title> is raw text: unclosed, it would swallow the page. Closed at the first tag instead."""
    url = f"{REAL}/unclosed-title"
    code, _, err = run(capsys, "import", url)
    assert (code, err) == (0, "")
    stored = show(capsys, url)
    assert stored["title"] == "Unclosed title"
    assert stored["body_text"] == BROKEN_TEXT
    assert_intact(db)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("/no-article", "no article text found (no title and no body)"),
        # 3,000 unclosed <div> that each hold text: nothing to unwrap, no traceback
        ("/deep-soup", "the page's elements are nested too deeply to read"),
    ],
    ids=["no-article", "text-nested-thousands-deep"],
)
def test_a_page_without_a_readable_article_is_one_extract_error_line(
        db: Path, capsys: pytest.CaptureFixture[str], case: str, reason: str) -> None:
    url = REAL + case
    code, out, err = run(capsys, "import", url)
    assert (code, out) == (1, "")
    assert err == f"repub: {url}: {reason}\n"
    # the fetch itself worked; the second line says what became of the page
    assert fetch_log(db) == [(url, 200, None, None), (url, 200, "extract", reason)]
    assert_nothing_stored(db)
    assert_intact(db)


@pytest.mark.parametrize("case", ["/deep", "/nesting-bomb"])
def test_an_article_nested_thousands_deep_is_read_as_if_it_were_not(
        db: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    """3,000 <div> opened around the article: past Python's recursion and libxml2's depth. The page is
    read again without the elements that only wrap one other, and stored whole. 60,000: the wrappers
    past 100 levels are cut before the page is parsed (repub.htmldepth.cap_nesting)."""
    url = REAL + case
    code, out, err = run(capsys, "import", url)
    assert (code, err) == (0, "")
    stored = show(capsys, url)
    assert fetch_log(db) == [(url, 200, None, None)]
    assert run(capsys, "import", f"{REAL}/article")[0] == 0  # the same article, not nested
    plain = show(capsys, f"{REAL}/article")
    assert stored["title"] == plain["title"] == "Flood in the valley"
    assert plain["body_text"] == ARTICLE_TEXT  # the page repeats its paragraph: kept once
    # Nested, the same text: 60,000 deep, the article's own wrappers (<body><article>) go with the rest,
    # and the repeated paragraph is kept twice, as the page prints it.
    assert set(stored["body_text"].split("\n\n")) == {ARTICLE_TEXT}
    if case == "/deep":
        assert stored["body_text"] == plain["body_text"]
    assert stored["language"] == plain["language"] == "en"
    assert_intact(db)


@pytest.mark.parametrize(
    ("case", "original", "reason"),
    [
        ("/to-metadata", METADATA_URL, "refused: 169.254.169.254 is a link-local address"),
        ("/to-private", PRIVATE_URL, "refused: 10.0.0.1 is a private address"),
    ],
    ids=["go-to-original-metadata-service", "canonical-private-address"],
)
def test_original_inside_the_network_is_refused(
    srv: HostileServer, db: Path, capsys: pytest.CaptureFixture[str], connections: list[object],
    case: str, original: str, reason: str,
) -> None:
    url = REAL + case
    code, out, err = run(capsys, "import", url, "--json")
    assert code == 0  # the copy is stored: a refused original is not a failed import
    assert err == f"repub: original not fetched: {original}: {reason}\n"
    copy, stub = (json.loads(line) for line in out.splitlines())
    assert copy["url"] == url and copy["status"] == "ok" and ARTICLE_TEXT in copy["body_text"]
    assert copy["original"]["url"] == original
    assert copy["original"]["status"] == "failed"
    assert copy["original"]["error"] == f"{original}: {reason}"
    assert stub["url"] == original and stub["status"] == "failed" and stub["body_text"] in ("", None)
    assert fetch_log(db) == [(url, 200, None, None), (original, None, "blocked", reason)]
    assert query(db, "SELECT COUNT(*) FROM article_versions") == [(1,)]  # only the copy has content
    assert_intact(db)
    # nothing but the hostile server was ever contacted
    assert set(connections) == {("127.0.0.1", srv.port)}
    assert srv.hits == [f"/hostile.example{case}"]


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("/500", "HTTP 500 Internal Server Error"),
        ("/garbage", "not HTML: the body is binary data"),
        ("/empty", "empty body"),
        ("/bomb", f"decompressed body exceeds the limit of {MAX_BYTES} bytes"),
        ("/no-article", "no article text found (no title and no body)"),
        ("/pdf", "not HTML: application/pdf"),
        ("/cf-challenge", 'bot wall: Cloudflare answered with a challenge or block page (HTTP 200, title '
                          '"Just a moment...")'),
        ("/cf-challenge-403", "bot wall: Cloudflare answered with a challenge or block page (HTTP 403, "
                              "header cf-mitigated: challenge)"),
    ],
    ids=["500", "garbage", "empty", "bomb", "no-article", "pdf", "cf-challenge", "cf-challenge-403"],
)
def test_stored_article_survives_a_bad_reimport(
    srv: HostileServer, db: Path, capsys: pytest.CaptureFixture[str], mode: str, message: str
) -> None:
    url = f"{REAL}/article"
    assert run(capsys, "import", url)[0] == 0
    before = show(capsys, url)
    row_before = query(db, "SELECT body_text, title, version, content_hash, status FROM articles")
    versions = query(db, "SELECT COUNT(*) FROM article_versions")
    srv.modes["/article"] = mode  # the server goes bad
    code, out, err = run(capsys, "import", url)
    assert (code, out) == (1, "")
    assert err == f"repub: {url}: {message}\n"
    assert query(db, "SELECT body_text, title, version, content_hash, status FROM articles") == row_before
    assert query(db, "SELECT COUNT(*) FROM article_versions") == versions == [(1,)]
    after = show(capsys, url)
    assert after["body_text"] == before["body_text"] and ARTICLE_TEXT in after["body_text"]
    assert after["title"] == before["title"]
    assert_intact(db)


def test_page_with_an_invalid_ipv6_link_is_stored(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"{REAL}/bad-ipv6-link"
    code, _, err = run(capsys, "import", url)
    assert (code, err) == (0, "")  # the bad link is ignored, the article is stored
    assert ARTICLE_TEXT in show(capsys, url)["body_text"]
    assert_intact(db)


def test_crash_on_an_invalid_ipv6_link_leaves_nothing_half_written(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{REAL}/bad-ipv6-link"
    run(capsys, "import", url)
    capsys.readouterr()
    assert fetch_log(db) == [(url, 200, None, None)]
    assert query(db, "SELECT COUNT(*) FROM article_versions") == query(db, "SELECT COUNT(*) FROM articles")
    assert_intact(db)
