"""Sitemap parsing: WordPress index and posts fixtures, gzip (and bombs), Google News, Yoast, bad input."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta, timezone

import httpx

from repub.discover import Discovered, parse_sitemap
from repub.discover.sitemaps import gunzip_capped
from test_discover_feeds import ITEMS
from webserver import FIXTURE_SITES, TestWeb

TMS = FIXTURE_SITES / "www.transcend.org/tms"
POSTS_URL = "https://www.transcend.org/tms/wp-sitemap-posts-post-1.xml"
# the sitemap lists the feed's items (test_discover_feeds.ITEMS) with <lastmod> = publication time
EXPECTED_POSTS = [Discovered(url, published, None, POSTS_URL) for url, published, _title in ITEMS]


def test_wp_sitemap_index_lists_child_sitemaps() -> None:
    result = parse_sitemap(
        (TMS / "wp-sitemap.xml").read_bytes(), "https://www.transcend.org/tms/wp-sitemap.xml"
    )
    assert result.errors == []
    assert result.urls == []
    assert result.sitemaps == [POSTS_URL]


def test_wp_posts_sitemap_from_disk() -> None:
    result = parse_sitemap((TMS / "wp-sitemap-posts-post-1.xml").read_bytes(), POSTS_URL)
    assert result.errors == []
    assert result.urls == EXPECTED_POSTS


def test_gzipped_sitemap_over_http_walks_index_then_child() -> None:
    with TestWeb() as web:
        index = httpx.get(f"{web.base}/www.transcend.org/tms/wp-sitemap.xml")
        gz = httpx.get(f"{web.base}/www.transcend.org/tms/wp-sitemap-posts-post-1.xml.gz")
    assert gz.headers["content-type"] == "application/gzip"
    assert gz.content[:2] == b"\x1f\x8b"  # served as a file: no Content-Encoding, so still compressed
    assert parse_sitemap(index.content, "https://www.transcend.org/tms/wp-sitemap.xml").sitemaps == [
        POSTS_URL
    ]
    result = parse_sitemap(gz.content, POSTS_URL)
    assert result.errors == []
    assert result.urls == EXPECTED_POSTS


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"<" + b" " * (2 * 1024 * 1024), compresslevel=9)  # 2 MB from ~2 KB
    assert len(bomb) < 10_000
    result = parse_sitemap(bomb, "https://example.org/sitemap.xml.gz", max_bytes=1024 * 1024)
    assert result.urls == []
    assert result.errors == [
        "refused sitemap https://example.org/sitemap.xml.gz: decompressed size exceeds 1048576 bytes"
    ]


def test_gunzip_capped_limits_and_corruption() -> None:
    assert gunzip_capped(gzip.compress(b"abc") + gzip.compress(b"def"), 10) == b"abcdef"
    for data, message in (
        (gzip.compress(b"x" * 11), "decompressed size exceeds 10 bytes"),
        (gzip.compress(b"abc")[:-5], "truncated gzip data"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\xff\xffgarbage", "corrupt gzip data"),
    ):
        try:
            gunzip_capped(data, 10)
        except ValueError as exc:
            assert str(exc).startswith(message)
        else:
            raise AssertionError(f"no error for {data!r}")


NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://www.rt.com/op-ed/504455-russia-china-military-alliance/</loc>
    <lastmod>2020-10-24</lastmod>
    <news:news>
      <news:publication><news:name>RT</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2020-10-23T13:05:00+03:00</news:publication_date>
      <news:title>Russia-China alliance</news:title>
    </news:news>
  </url>
  <url><loc>/news/relative/#frag</loc><lastmod>2020-10-22</lastmod></url>
  <url><loc>https://www.rt.com/news/dup/</loc></url>
  <url><loc>https://www.rt.com/news/dup/</loc></url>
  <url><loc>javascript:alert(1)</loc></url>
</urlset>"""


def test_google_news_sitemap_dates_titles_and_relative_locs() -> None:
    result = parse_sitemap(NEWS, "https://www.rt.com/sitemap_news.xml")
    assert result.errors == []
    assert result.urls == [
        Discovered(
            "https://www.rt.com/op-ed/504455-russia-china-military-alliance/",
            datetime(2020, 10, 23, 13, 5, tzinfo=timezone(timedelta(hours=3))),
            "Russia-China alliance",
            "https://www.rt.com/sitemap_news.xml",
        ),
        Discovered(
            "https://www.rt.com/news/relative/",
            datetime(2020, 10, 22, tzinfo=UTC),
            None,
            "https://www.rt.com/sitemap_news.xml",
        ),
        Discovered("https://www.rt.com/news/dup/", None, None, "https://www.rt.com/sitemap_news.xml"),
    ]


def test_yoast_sitemap_index_with_stylesheet_and_lastmod() -> None:
    yoast = b"""<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="//example.org/main-sitemap.xsl"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
 <sitemap><loc>https://example.org/post-sitemap.xml</loc><lastmod>2024-07-22T10:00:00+00:00</lastmod></sitemap>
 <sitemap><loc>https://example.org/post-sitemap2.xml</loc></sitemap>
 <sitemap><loc>https://example.org/category-sitemap.xml</loc></sitemap>
</sitemapindex>"""
    result = parse_sitemap(yoast, "https://example.org/sitemap_index.xml")
    assert result.errors == []
    assert result.sitemaps == [
        "https://example.org/post-sitemap.xml",
        "https://example.org/post-sitemap2.xml",
        "https://example.org/category-sitemap.xml",
    ]


def test_malformed_sitemap_gives_partial_urls_and_an_error() -> None:
    content = (TMS / "wp-sitemap-posts-post-1.xml").read_bytes()
    cut = content[: content.index(b"</url>", content.index(b"</url>") + 1) + 6] + b"<url><lo"
    result = parse_sitemap(cut, POSTS_URL)
    assert result.urls == EXPECTED_POSTS[:2]
    assert len(result.errors) == 1
    assert result.errors[0].startswith(f"malformed sitemap {POSTS_URL}: line ")


def test_entity_declaration_refused_and_other_bad_input() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaa">]><urlset><url><loc>&a;</loc></url></urlset>'
    assert parse_sitemap(bomb, "https://e.org/s.xml").errors == [
        "refused sitemap: the document declares XML entities (<!ENTITY), a possible entity bomb"
    ]
    assert parse_sitemap(gzip.compress(bomb), "https://e.org/s.xml.gz").urls == []
    assert parse_sitemap(b"", "https://e.org/s.xml").errors == ["empty sitemap https://e.org/s.xml"]
    assert parse_sitemap(b"<html><body>x</body></html>", "https://e.org/s.xml").errors == [
        "not a sitemap https://e.org/s.xml: root element <html>"
    ]
    garbage = parse_sitemap(b"\x00\x01 not xml", "https://e.org/s.xml")
    assert garbage.urls == [] and len(garbage.errors) == 1
