"""Discovery documents a hostile or broken site may serve: each costs at most its own bad entries.

The parsers are fed directly, and ``repub ingest`` is run over the same documents served by a real
HTTP server on 127.0.0.1 (hostnames mapped with REPUB_HOST_MAP): one readable line per problem, never
a traceback.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from repub.cli import main
from repub.discover import Discovered, parse_feed, parse_listing, parse_sitemap
from webserver import TestWeb

HOST = "news.example.org"
SITE = f"https://{HOST}"
GOOD = f"{SITE}/2026/01/bridge/"
# links urljoin/urlsplit cannot read (ValueError: "Invalid IPv6 URL", "'not-ipv6' does not appear to be
# an IPv4 or IPv6 address"), and links that are not web URLs with a host
BAD_LINKS = ["http://[::1/x", "//[::1", "https://[not-ipv6]/2026/01/x/", "http:///2026/01/x/",
             "javascript:x()"]
ARTICLE = (b"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>The bridge is rebuilt</title>"
           b"</head><body><article><h1>The bridge is rebuilt</h1><p>" + b"The council voted to rebuild the "
           b"old bridge over the river after engineers found cracks in two of its piers. " * 6
           + b"</p></article></body></html>")


def urlset(*locs: str) -> bytes:
    return ("<urlset>" + "".join(f"<url><loc>{loc}</loc></url>" for loc in locs) + "</urlset>").encode()


# -- links that cannot be read --------------------------------------------------------------------------


@pytest.mark.parametrize("link", BAD_LINKS)
def test_unreadable_link_in_a_sitemap_is_skipped(link: str) -> None:
    result = parse_sitemap(urlset(link, GOOD), f"{SITE}/sitemap.xml")
    assert (result.urls, result.errors) == ([Discovered(GOOD, source_url=f"{SITE}/sitemap.xml")], [])
    index = f"<sitemapindex><sitemap><loc>{link}</loc></sitemap><sitemap><loc>{SITE}/posts.xml</loc>" \
            "</sitemap></sitemapindex>"
    result = parse_sitemap(index.encode(), f"{SITE}/sitemap.xml")
    assert (result.sitemaps, result.errors) == ([f"{SITE}/posts.xml"], [])


@pytest.mark.parametrize("link", [link for link in BAD_LINKS if not link.startswith("http:///")])
def test_unreadable_link_in_a_feed_is_skipped(link: str) -> None:
    # (feedparser itself reads "http:///2026/01/x/" as host "2026")
    rss = (f'<rss version="2.0"><channel><item><title>Bad</title><link>{link}</link></item>'
           f"<item><title>Good</title><link>{GOOD}</link></item></channel></rss>")
    result = parse_feed(rss.encode(), f"{SITE}/feed/")
    assert (result.urls, result.errors) == ([Discovered(GOOD, title="Good", source_url=f"{SITE}/feed/")], [])


@pytest.mark.parametrize("link", BAD_LINKS)
def test_unreadable_link_on_a_listing_page_is_skipped(link: str) -> None:
    html = f'<ul><li><a href="{link}">Bad</a></li><li><a href="{GOOD}">Good</a></li></ul>' \
           f'<a rel="next" href="{link}">Older posts</a>'
    result = parse_listing(html, f"{SITE}/news/", f"{SITE}/")
    assert (result.urls, result.next_page, result.errors) == (
        [Discovered(GOOD, title="Good", source_url=f"{SITE}/news/")], None, [])


# -- listing pages with many links ------------------------------------------------------------------------


def test_a_listing_page_of_20000_links_in_one_list_is_read_in_linear_time() -> None:
    """Each link asked its ancestors for a <time>, and the <ul> holding every link was searched once per
    link: 8,000 links took 8 s, 20,000 about 50 s, a 10 MB page hours. The stamps are now found once."""
    links = "".join(f'<li><a href="/2026/01/post-{i}/">Post {i}</a></li>' for i in range(20000))
    html = f'<main><section><ul>{links}</ul></section></main><time datetime="2026-01-31">Jan</time>'
    started = time.perf_counter()
    result = parse_listing(html, f"{SITE}/news/", f"{SITE}/")
    assert time.perf_counter() - started < 10  # ~1.5 s on a slow CI core; before: ~50 s
    assert len(result.urls) == 20000 and result.errors == []
    assert result.urls[-1] == Discovered(f"{SITE}/2026/01/post-19999/", title="Post 19999",
                                         source_url=f"{SITE}/news/")


def test_a_link_takes_the_first_stamp_of_its_nearest_dated_ancestor() -> None:
    html = ('<div class="post"><time datetime="2026-01-02">2 Jan</time><h2><a href="/2026/01/a/">A</a></h2>'
            '<time datetime="2026-01-03">updated</time></div>'
            '<div class="post"><h2><time datetime="2026-01-05T10:00:00+01:00">'
            '<a href="/2026/01/b/">B</a></time></h2></div>'
            '<div class="post"><h2><a href="/2026/01/c/">C</a></h2></div>'
            '<div><div><div><div><div><time datetime="2026-01-09">far</time></div><p><span><em><b>'
            '<a href="/2026/01/d/">D</a></b></em></span></p></div></div></div></div>')
    result = parse_listing(html, f"{SITE}/news/", f"{SITE}/")
    assert [(d.url.removeprefix(SITE), d.published) for d in result.urls] == [
        ("/2026/01/a/", datetime(2026, 1, 2, tzinfo=UTC)),
        ("/2026/01/b/", datetime(2026, 1, 5, 10, tzinfo=timezone(timedelta(hours=1)))),
        ("/2026/01/c/", None),
        ("/2026/01/d/", None),  # the stamp is five ancestors up: another post's
    ]


def test_an_include_pattern_re_cannot_compile_is_one_error() -> None:
    # OverflowError, not re.error: it escaped parse_listing, which never raises
    result = parse_listing(f'<a href="{GOOD}">Good</a>', f"{SITE}/news/", f"{SITE}/", ["a{99999999999}"])
    assert (result.urls, result.errors) == ([], ["bad include pattern: the repetition number is too large"])


# -- entity declarations in encodings whose bytes hide "<!ENTITY" --------------------------------------

# ten levels of ten: 10^9 "lol"s if expanded. Before the scan read the document as its parser does, a
# 1 MB feed like this in UTF-7 took feedparser's expat 16 s and 850 MB before its amplification limit.
LAUGHS = ('<!DOCTYPE r [<!ENTITY l0 "lol">'
          + "".join(f'<!ENTITY l{i} "' + f"&l{i - 1};" * 10 + '">' for i in range(1, 10)) + "]>")
# name -> (the codec of the bytes, the name the XML declaration gives)
HIDING = {"UTF-32 with a BOM": ("utf-32", "utf-32"), "UTF-32 without one": ("utf-32-be", "utf-32"),
          "EBCDIC cp037": ("cp037", "cp037"), "EBCDIC cp500": ("cp500", "cp500"),
          "UTF-7": ("ascii", "utf-7"), "ISO-2022-JP": ("ascii", "iso-2022-jp")}


def document(name: str, dtd: str, body: str) -> bytes:
    codec, label = HIDING[name]
    if label == "utf-7":  # "<" written as UTF-7 may write it: base64 of U+003C
        dtd = dtd.replace("<!ENTITY", "+ADw-!ENTITY")
    if label == "iso-2022-jp":  # an escape to ASCII (a no-op: ASCII already) inside the word
        dtd = dtd.replace("<!ENTITY", "<!EN\x1b(BTITY")
    return f'<?xml version="1.0" encoding="{label}"?>{dtd}{body}'.encode(codec)


@pytest.mark.parametrize("name", HIDING)
def test_entity_declarations_hidden_by_the_encoding_are_refused(name: str) -> None:
    rss = f'<rss version="2.0"><channel><item><title>&l9;</title><link>{GOOD}</link></item></channel></rss>'
    result = parse_feed(document(name, LAUGHS, rss), f"{SITE}/feed/")
    assert (result.urls, result.errors) == (
        [], ["refused feed: the document declares XML entities (<!ENTITY), a possible entity bomb"])
    sitemap = f"<urlset><url><loc>{GOOD}&l9;</loc></url></urlset>"
    result = parse_sitemap(document(name, LAUGHS, sitemap), f"{SITE}/sitemap.xml")
    assert (result.urls, result.errors) == (
        [], ["refused sitemap: the document declares XML entities (<!ENTITY), a possible entity bomb"])


@pytest.mark.parametrize("name", HIDING)
def test_a_feed_in_those_encodings_without_a_dtd_is_read(name: str) -> None:
    rss = f'<rss version="2.0"><channel><item><title>Bridge</title><link>{GOOD}</link></item></channel></rss>'
    result = parse_feed(document(name, "", rss), f"{SITE}/feed/")
    assert result.errors == []
    assert result.urls == [Discovered(GOOD, title="Bridge", source_url=f"{SITE}/feed/")]


@pytest.mark.parametrize("codec", ["punycode", "PunyCode", "idna", "unicode_escape", "raw-unicode-escape"])
def test_a_feed_declaring_a_codec_that_is_no_charset_is_refused(codec: str) -> None:
    """feedparser decodes with whatever Python codec the declaration names; punycode takes time
    quadratic in the length (320 KB of digits: 15 s; the 10 MB a fetch keeps: hours)."""
    feed = f'<?xml version="1.0" encoding="{codec}"?>-'.encode() + b"a" * 2000
    result = parse_feed(feed, f"{SITE}/feed/")
    assert (result.urls, result.errors) == (
        [], [f"refused feed: the document declares the encoding {codec!r}, which is not a character set"])


@pytest.mark.parametrize("codec", ["base64", "zlib", "rot13"])
def test_a_feed_declaring_a_codec_that_reads_no_bytes_is_scanned_as_utf8(codec: str) -> None:
    """A codec that turns bytes into bytes (or text into text) reads no document: the scan falls back
    to UTF-8 and still finds the declaration; without one, the feed's entries are read."""
    laughs = f'<?xml version="1.0" encoding="{codec}"?>{LAUGHS}<rss/>'.encode()
    assert parse_feed(laughs, f"{SITE}/feed/").errors == [
        "refused feed: the document declares XML entities (<!ENTITY), a possible entity bomb"]
    rss = (f'<?xml version="1.0" encoding="{codec}"?><rss version="2.0"><channel><item><title>Bridge</title>'
           f"<link>{GOOD}</link></item></channel></rss>").encode()
    found = parse_feed(rss, f"{SITE}/feed/")
    assert (found.urls, found.errors) == ([Discovered(GOOD, title="Bridge", source_url=f"{SITE}/feed/")], [])


# -- stamps in the future --------------------------------------------------------------------------------


def test_a_stamp_more_than_a_day_ahead_is_no_date() -> None:
    """Walked newest first, an entry dated in 2999 (or next week) would come before every real one and
    take the run's max_new; a few hours ahead (a zone, a clock) is still today somewhere."""
    now = datetime.now(UTC).replace(microsecond=0)
    soon, week, far = now + timedelta(hours=6), now + timedelta(days=7), datetime(2999, 1, 1, tzinfo=UTC)
    past = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    stamps = [soon, week, far, past]
    links = [f"{SITE}/2026/01/{n}/" for n in ("soon", "week", "far", "past")]
    wanted = [soon, None, None, past]

    def rfc822(when: datetime) -> str:
        return when.strftime("%a, %d %b %Y %H:%M:%S +0000")

    rss = ('<rss version="2.0"><channel>' + "".join(
        f"<item><title>{n}</title><link>{u}</link><pubDate>{rfc822(w)}</pubDate></item>"
        for n, (u, w) in enumerate(zip(links, stamps, strict=True))) + "</channel></rss>").encode()
    assert [d.published for d in parse_feed(rss, f"{SITE}/feed/").urls] == wanted
    sitemap = ("<urlset>" + "".join(f"<url><loc>{u}</loc><lastmod>{w.isoformat()}</lastmod></url>"
                                    for u, w in zip(links, stamps, strict=True)) + "</urlset>").encode()
    assert [d.published for d in parse_sitemap(sitemap, f"{SITE}/sitemap.xml").urls] == wanted
    day_only = f"<urlset><url><loc>{links[2]}</loc><lastmod>2999-01-01</lastmod></url></urlset>".encode()
    assert [d.published for d in parse_sitemap(day_only, f"{SITE}/sitemap.xml").urls] == [None]
    listing = "".join(f'<div><a href="{u}">Story {n}</a><time datetime="{w.isoformat()}">x</time></div>'
                      for n, (u, w) in enumerate(zip(links, stamps, strict=True)))
    assert [d.published for d in parse_listing(listing, f"{SITE}/news/", f"{SITE}/").urls] == wanted


# -- through `repub ingest` -----------------------------------------------------------------------------


@pytest.fixture
def web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestWeb]:
    with TestWeb() as web:
        web.route(f"/{HOST}/robots.txt", lambda _h: (200, {"Content-Type": "text/plain"}, b"User-agent: *\n"))
        web.route(f"/{HOST}/2026/01/bridge/", lambda _h: (200, {"Content-Type": "text/html"}, ARTICLE))
        monkeypatch.setenv("REPUB_HOST_MAP", web.host_map(HOST))
        monkeypatch.setenv("REPUB_DB", str(tmp_path / "repub.db"))
        monkeypatch.delenv("REPUB_DATABASE_URL", raising=False)
        monkeypatch.delenv("REPUB_USER_AGENT", raising=False)
        yield web


def ingest(tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, start: str) -> tuple[int, str, str]:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[settings]\nuser_agent = "repub-test/0.1 (+https://example.org/repub-test)"\n\n'
        f'[[source]]\nname = "news"\nsite = "{SITE}/"\n{kind} = [{json.dumps(SITE + start)}]\n'
        "rate = 500\nmax_new = 50\nfollow_originals = false\n",
        encoding="utf-8",
    )
    code = main(["ingest", "--sources", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def stored(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "repub.db") as conn:
        return [url for (url,) in conn.execute("SELECT url FROM articles ORDER BY url")]


def test_ingest_walks_past_a_sitemap_loc_with_a_broken_ipv6_host(
    web: TestWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One `<loc>http://[::1/x</loc>` used to end the whole run with a ValueError traceback."""
    body = urlset("http://[::1/x", GOOD)
    web.route(f"/{HOST}/sitemap.xml", lambda _h: (200, {"Content-Type": "application/xml"}, body))
    code, out, err = ingest(tmp_path, capsys, "sitemaps", "/sitemap.xml")
    assert (code, err) == (0, "")
    assert out.startswith("ingest run 1 ok: discovered 1, new 1, updated 0, failed 0, ")
    assert stored(tmp_path) == [GOOD]


def test_ingest_walks_past_a_listing_link_with_a_broken_ipv6_host(
    web: TestWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = f'<li><a href="https://[not-ipv6]/">Bad</a></li><li><a href="{GOOD}">Good</a></li>'.encode()
    web.route(f"/{HOST}/news/", lambda _h: (200, {"Content-Type": "text/html"}, body))
    code, out, err = ingest(tmp_path, capsys, "listings", "/news/")
    assert (code, err) == (0, "")
    assert out.startswith("ingest run 1 ok: discovered 1, new 1, updated 0, failed 0, ")
    assert stored(tmp_path) == [GOOD]
