"""Feed parsing: the TMS-shaped WordPress fixture (from disk and over HTTP), Atom, bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx

from repub.discover import Discovered, parse_feed
from webserver import FIXTURE_SITES, TestWeb

FEED_URL = "https://www.transcend.org/tms/feed/"
FEED_FILE: Path = FIXTURE_SITES / "www.transcend.org/tms/feed/index.xml"
TARGET = (
    "https://www.transcend.org/tms/2020/10/a-russia-china-military-alliance-would-be-a-bulwark-against-"
    "americas-global-imperialism-is-it-time-for-washington-to-panic/"
)
W = "https://www.transcend.org/tms/"
# (url, published, title) of every item, newest first: the TMS article fixtures plus two posts that 404
ITEMS = [
    (
        "https://transcend.org/tms/2025/12/baud-and-the-eu-nato-censorship-architecture-%E2%9B%94/",
        datetime(2025, 12, 8, 9, 12, 3, tzinfo=UTC),
        "(Fran\u00e7ais) Baud and the EU-NATO Censorship Architecture \u26d4",
    ),
    (
        W + "2024/07/nato-at-75-a-summit-in-denial/",
        datetime(2024, 7, 15, 5, 40, 11, tzinfo=UTC),
        "NATO at 75: A Summit in Denial",
    ),
    (
        W + "2021/05/ending-war-begins-in-the-nursery/",
        datetime(2021, 5, 24, 4, 55, tzinfo=UTC),
        "Ending War Begins in the Nursery",
    ),
    (
        W + "2021/01/why-the-nuclear-ban-treaty-matters-even-without-the-nuclear-powers/",
        datetime(2021, 1, 4, 6, 30, 45, tzinfo=UTC),
        "Why the Nuclear Ban Treaty Matters Even Without the Nuclear Powers",
    ),
    (
        TARGET,
        datetime(2020, 10, 26, 6, 15, 21, tzinfo=UTC),
        "A Russia-China Military Alliance Would Be a Bulwark against America\u2019s Global Imperialism."
        " Is It Time for Washington to Panic?",
    ),
    (
        W + "2020/10/disarmament-talks-stall-again-in-geneva/",
        datetime(2020, 10, 19, 7, 2, 40, tzinfo=UTC),
        "Disarmament Talks Stall Again in Geneva",
    ),
    (
        W + "2020/10/a-removed-post-that-now-answers-404/",
        datetime(2020, 10, 12, 8, 30, tzinfo=UTC),
        "A Removed Post That Now Answers 404",
    ),
    (
        W + "2019/03/schoolkids-skip-class-in-100-countries-as-global-climate-strike-takes-off/",
        datetime(2019, 3, 18, 7, 0, tzinfo=UTC),
        "Schoolkids skip class in 100+ countries as global \u2018Fridays for Future\u2019"
        " climate strike takes off",
    ),
    (
        W + "2018/12/rohingya-refugees-in-bangladesh-fear-being-forgotten-as-election-nears/",
        datetime(2018, 12, 24, 8, 20, tzinfo=UTC),
        "Rohingya refugees in Bangladesh fear being forgotten as election nears",
    ),
    (
        W + "2017/03/deep-state-vs-the-outsider-who-really-runs-washington/",
        datetime(2017, 3, 13, 10, 5, tzinfo=UTC),
        "Deep state vs. the outsider: Who really runs Washington?",
    ),
]
EXPECTED = [Discovered(url, published, title, FEED_URL) for url, published, title in ITEMS]


def test_feed_lists_every_tms_article_fixture() -> None:
    # the feed must stay in step with the article fixtures it advertises (the 404 posts have none)
    on_disk = {
        p.parent.relative_to(FIXTURE_SITES).as_posix()
        for p in FIXTURE_SITES.glob("*transcend.org/tms/20*/*/*/index.html")
    }
    listed = {url.split("://", 1)[1].rstrip("/") for url, _, _ in ITEMS}
    assert on_disk == listed - {
        "www.transcend.org/tms/2020/10/disarmament-talks-stall-again-in-geneva",
        "www.transcend.org/tms/2020/10/a-removed-post-that-now-answers-404",
    }


def test_wordpress_feed_from_disk_uses_link_not_guid() -> None:
    result = parse_feed(FEED_FILE.read_bytes(), FEED_URL)
    assert result.errors == []
    assert result.urls == EXPECTED
    assert not any("?p=" in d.url for d in result.urls)  # the guid is not a permalink
    assert result.sitemaps == [] and result.next_page is None


def test_wordpress_feed_over_http() -> None:
    with TestWeb() as web:
        response = httpx.get(f"{web.base}/www.transcend.org/tms/feed/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    result = parse_feed(response.content, FEED_URL)
    assert [d.url for d in result.urls] == [d.url for d in EXPECTED]
    assert result.errors == []


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Example</title>
  <id>urn:example</id>
  <updated>2021-05-24T10:00:00Z</updated>
  <entry>
    <title>Relative &amp; dated</title>
    <link rel="alternate" href="/news/2021/05/one/#top"/>
    <id>urn:example:1</id>
    <updated>2021-05-24T10:00:00+02:00</updated>
  </entry>
  <entry>
    <title>Published beats updated</title>
    <link href="https://example.org/news/2021/05/two/"/>
    <id>urn:example:2</id>
    <published>2021-05-20T00:00:00Z</published>
    <updated>2021-05-23T00:00:00Z</updated>
  </entry>
</feed>
"""


def test_atom_relative_links_and_dates() -> None:
    result = parse_feed(ATOM, "https://example.org/feed.atom")
    assert result.errors == []
    assert result.urls == [
        Discovered(
            "https://example.org/news/2021/05/one/",
            datetime(2021, 5, 24, 8, 0, tzinfo=UTC),
            "Relative & dated",
            "https://example.org/feed.atom",
        ),
        Discovered(
            "https://example.org/news/2021/05/two/",
            datetime(2021, 5, 20, tzinfo=UTC),
            "Published beats updated",
            "https://example.org/feed.atom",
        ),
    ]


def test_rss_permalink_guid_without_link_is_used() -> None:
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>Only a guid</title><guid>https://example.org/2020/01/guid-only/</guid></item>
    <item><title>Nothing usable</title><guid isPermaLink="false">https://example.org/?p=7</guid></item>
    </channel></rss>"""
    result = parse_feed(rss, "https://example.org/feed/")
    assert [d.url for d in result.urls] == ["https://example.org/2020/01/guid-only/"]
    assert result.urls[0].published is None


def test_malformed_feed_gives_partial_entries_and_an_error() -> None:
    # the second item is cut off mid-way, as in a truncated download
    broken = FEED_FILE.read_bytes().split(b"<item>")
    content = b"<item>".join(broken[:3])[:-200]
    result = parse_feed(content, FEED_URL)
    assert [d.url for d in result.urls][:1] == [ITEMS[0][0]]
    assert len(result.errors) == 1
    assert result.errors[0].startswith("malformed feed https://www.transcend.org/tms/feed/:")


def test_entity_declarations_are_refused_before_parsing() -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<rss version="2.0"><channel><title>&b;</title>
<item><title>x</title><link>https://example.org/2020/01/x/</link></item></channel></rss>"""
    result = parse_feed(bomb, "https://example.org/feed/")
    assert result.urls == []
    assert result.errors == [
        "refused feed: the document declares XML entities (<!ENTITY), a possible entity bomb"
    ]


def test_external_entity_in_utf16_is_refused_too() -> None:
    xxe = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r/>'
    result = parse_feed(xxe.encode("utf-16"), "https://example.org/feed/")
    assert result.urls == [] and len(result.errors) == 1


def test_garbage_and_filenames_never_raise_or_open_files() -> None:
    # bytes naming a file must be parsed as a document, not opened (feedparser would open a filename)
    for content in (b"", b"\x00\xff\xfe garbage", str(FEED_FILE).encode(), b"<html><body>hi</body></html>"):
        result = parse_feed(content, "https://example.org/feed/")
        assert result.urls == []
        assert len(result.errors) == 1
