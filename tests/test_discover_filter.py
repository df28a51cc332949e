"""filter_urls: include/exclude, de-duplication, newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from repub.discover import Discovered, Source, filter_urls

TMS = "https://www.transcend.org/tms/"


def _d(path: str, day: int | None = None, title: str | None = None) -> Discovered:
    published = datetime(2020, 10, day, tzinfo=UTC) if day else None
    return Discovered(TMS + path, published, title, TMS + "feed/")


def test_include_exclude_dedupe_and_order() -> None:
    source = Source(
        name="tms",
        site=TMS,
        feeds=(TMS + "feed/",),
        include=(r"/\d{4}/\d{2}/",),
        exclude=(r"/tms/private/", r"-404/$"),
    )
    found = [
        _d("2020/10/undated-a/"),
        _d("2020/10/old/", 12),
        _d("about/"),  # not included
        _d("private/2020/10/x/", 30),  # included, then excluded
        _d("2020/10/gone-404/", 29),  # excluded
        _d("2020/10/new/", 26, "New"),
        _d("2020/10/undated-a/", None, "Title from the sitemap"),
        _d("2020/10/undated-b/"),
        _d("2020/10/old/", 12, "Old"),  # duplicate: completes the title
    ]
    assert filter_urls(found, source) == [
        _d("2020/10/new/", 26, "New"),
        _d("2020/10/old/", 12, "Old"),
        _d("2020/10/undated-a/", None, "Title from the sitemap"),
        _d("2020/10/undated-b/"),
    ]


def test_no_patterns_keeps_everything_and_mixes_naive_and_aware_dates() -> None:
    source = Source(name="x", site="https://e.org/", feeds=("https://e.org/feed/",))
    plus2 = timezone(timedelta(hours=2))
    items = [
        Discovered("https://e.org/a", datetime(2021, 1, 1, 12, 0)),  # naive: read as UTC
        Discovered("https://e.org/b", datetime(2021, 1, 1, 13, 30, tzinfo=plus2)),  # 11:30 UTC
        Discovered("https://e.org/c", datetime(2021, 1, 1, 12, 30, tzinfo=UTC)),
    ]
    assert [d.url for d in filter_urls(items, source)] == [
        "https://e.org/c",
        "https://e.org/a",
        "https://e.org/b",
    ]
