"""Listing pages: the paginated TMS category fixture (disk and HTTP) and next-page conventions."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from repub.discover import Discovered, parse_listing
from webserver import FIXTURE_SITES, TestWeb

SITE = "https://www.transcend.org/tms/"
PAGE1 = "https://www.transcend.org/tms/category/militarism/"
PAGE2 = "https://www.transcend.org/tms/category/militarism/page/2/"
CATEGORY = FIXTURE_SITES / "www.transcend.org/tms/category/militarism"
TARGET = (
    "https://www.transcend.org/tms/2020/10/a-russia-china-military-alliance-would-be-a-bulwark-against-"
    "americas-global-imperialism-is-it-time-for-washington-to-panic/"
)

NATO = "https://www.transcend.org/tms/2024/07/nato-at-75-a-summit-in-denial/"


def test_category_page_one_from_disk() -> None:
    result = parse_listing((CATEGORY / "index.html").read_text(encoding="utf-8"), PAGE1, SITE)
    assert result.errors == []
    # image, title and "read full article" links collapse into one entry titled by the title link;
    # category/tag/author/feed/comment/upload/external links are not articles
    assert result.urls == [
        Discovered(
            NATO,
            datetime(2024, 7, 15, 5, 40, 11, tzinfo=UTC),
            "NATO at 75: A Summit in Denial",
            PAGE1,
        ),
        Discovered(
            TARGET,
            datetime(2020, 10, 26, 6, 15, 21, tzinfo=UTC),
            "A Russia-China Military Alliance Would Be a Bulwark against America\u2019s Global Imperialism."
            " Is It Time for Washington to Panic?",
            PAGE1,
        ),
    ]
    assert result.next_page == PAGE2


def test_category_pages_over_http_follow_next_to_the_end() -> None:
    seen: list[str] = []
    pages: list[str] = []
    with TestWeb() as web:
        url: str | None = PAGE1
        while url is not None and len(pages) < 5:
            pages.append(url)
            local = url.replace("https://www.transcend.org", f"{web.base}/www.transcend.org")
            response = httpx.get(local)
            assert response.status_code == 200
            result = parse_listing(response.text, url, SITE)
            seen += [d.url for d in result.urls]
            url = result.next_page
    assert pages == [PAGE1, PAGE2]
    assert seen == [
        NATO,
        TARGET,
        "https://www.transcend.org/tms/2020/10/disarmament-talks-stall-again-in-geneva/",
        "https://www.transcend.org/tms/2020/10/a-removed-post-that-now-answers-404/",
    ]


def _page(body: str, head: str = "") -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


ARTICLE = '<a href="/blog/2021/05/24/a-post/">A post</a>'


def test_next_page_conventions_in_priority_order() -> None:
    base = "https://example.org/blog/category/news/"
    cases = {
        _page(ARTICLE, '<link rel="next" href="/blog/category/news/page/2/">'): "page/2/",
        _page(ARTICLE + '<a rel="next" href="?paged=3">Next</a>'): "?paged=3",
        _page(ARTICLE + '<a class="next page-numbers" href="page/4/">Next &raquo;</a>'): "page/4/",
        _page(ARTICLE + '<div class="nav-previous"><a href="page/5/">Older posts</a></div>'): "page/5/",
        _page(ARTICLE + '<a href="page/3/">3</a> <a href="page/2/">2</a>'): "page/2/",
        _page(ARTICLE + '<a href="https://other.example/page/2/" class="next">x</a>'): None,
        _page(ARTICLE + '<a class="next" href="/blog/category/news/">this page</a>'): None,
    }
    for html, expected in cases.items():
        result = parse_listing(html, base, "https://example.org/blog/")
        assert result.next_page == (base + expected if expected else None), html


def test_plain_page_links_count_from_the_current_page() -> None:
    html = _page(ARTICLE + '<a href="/blog/page/2/">2</a><a href="/blog/page/4/">4</a>')
    assert (
        parse_listing(html, "https://example.org/blog/page/3/").next_page
        == "https://example.org/blog/page/4/"
    )


def test_article_heuristic_host_and_path_prefix() -> None:
    html = _page(
        """
        <a href="https://transcend.org/tms/2016/07/bare-host/">bare host counts as the site</a>
        <a href="https://www.transcend.org/tms/2015/06/30/day-permalink/">day permalink</a>
        <a href="https://www.transcend.org/other/2015/06/outside-prefix/">outside /tms/</a>
        <a href="https://www.transcend.org/tms/2015/13/bad-month/">month 13</a>
        <a href="https://www.transcend.org/tms/2015/06/x/?replytocom=5">reply</a>
        <a href="https://www.transcend.org/tms/wp-content/uploads/2015/06/friedrich-engels2.jpg">img</a>
        <a href="https://www.transcend.org/tms/2015/06/day/feed/">comments feed</a>
        <a href="https://www.transcend.org/tms/2015/06/x/comment-page-2/">comments</a>
        <a href="mailto:a@b.org">mail</a><a href="#top">top</a>
        """
    )
    result = parse_listing(html, "https://www.transcend.org/tms/", "https://www.transcend.org/tms/")
    assert [(d.url, d.title) for d in result.urls] == [
        ("https://transcend.org/tms/2016/07/bare-host/", "bare host counts as the site"),
        ("https://www.transcend.org/tms/2015/06/30/day-permalink/", "day permalink"),
    ]
    assert result.next_page is None


def test_include_patterns_replace_the_heuristic() -> None:
    html = _page(
        '<a href="/op-ed/504455-russia-china/">op-ed</a><a href="/news/1-x/">news</a><a href="/tag/x/">t</a>'
    )
    result = parse_listing(html, "https://www.rt.com/op-ed/", include=[r"/op-ed/\d+-", r"/tag/"])
    assert [d.url for d in result.urls] == ["https://www.rt.com/op-ed/504455-russia-china/"]


def test_page_without_articles_reports_it() -> None:
    result = parse_listing("<p>nothing</p>", "https://example.org/")
    assert result.urls == [] and result.next_page is None
    assert result.errors == ["no article links found on listing https://example.org/"]
