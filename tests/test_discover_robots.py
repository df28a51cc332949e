"""robots.txt policy over the fixture file."""

from __future__ import annotations

import httpx

from repub.discover import RobotsPolicy
from webserver import FIXTURE_SITES, TestWeb

ROBOTS = (FIXTURE_SITES / "www.transcend.org/robots.txt").read_text(encoding="utf-8")
UA = "repub/0.1 (+https://github.com/repub/repub; republished-article archiver)"


def test_fixture_robots_for_our_agent() -> None:
    policy = RobotsPolicy.from_text(ROBOTS, UA)
    assert policy.allowed("https://www.transcend.org/tms/2020/10/some-post/")
    assert policy.allowed("https://www.transcend.org/tms/feed/")
    assert not policy.allowed("https://www.transcend.org/tms/wp-admin/options.php")
    assert policy.allowed("https://www.transcend.org/tms/wp-admin/admin-ajax.php")  # longer Allow wins
    assert not policy.allowed("https://www.transcend.org/tms/private/notes/")
    assert policy.crawl_delay == 2.0
    assert policy.sitemaps == ["https://www.transcend.org/tms/wp-sitemap.xml"]


def test_named_group_matches_the_product_token() -> None:
    policy = RobotsPolicy.from_text(ROBOTS, "BadBot/2.0 (+https://bad.example)")
    assert not policy.allowed("https://www.transcend.org/tms/2020/10/some-post/")
    assert policy.crawl_delay is None  # the BadBot group sets no delay


def test_an_agent_without_a_product_name_obeys_the_star_group() -> None:
    """"/bot (+https://…)" raised IndexError from the product token, a traceback from `repub ingest`."""
    text = "User-agent: bot\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\nCrawl-delay: 3\n"
    for agent in ("/bot (+https://example.org/bot)", " /0.1", "", "   "):
        policy = RobotsPolicy.from_text(text, agent)
        assert policy.allowed("https://example.org/2026/01/x/")
        assert not policy.allowed("https://example.org/private/x")
        assert policy.crawl_delay == 3.0


def test_missing_robots_allows_all_and_served_robots_parses() -> None:
    policy = RobotsPolicy.allow_all(UA)
    assert policy.allowed("https://www.transcend.org/tms/private/x")
    assert policy.crawl_delay is None and policy.sitemaps == []
    with TestWeb() as web:
        response = httpx.get(f"{web.base}/www.transcend.org/robots.txt")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert not RobotsPolicy.from_text(response.text, UA).allowed("https://www.transcend.org/tms/private/")
