"""Which date is the article's (repub.extract.published): evidence readers, the decision, and pages."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from selectolax.lexbor import LexborHTMLParser

from countingweb import counting_server
from repub.errors import ExtractError
from repub.extract import extract
from repub.extract.dates import printed_dates
from repub.extract.published import (
    DateEvidence,
    decide,
    in_page_zone,
    labelled_date,
    month_first,
    url_day,
    url_month,
    visible_date,
    zones_in,
)
from repub.extract.titles import find_headline
from repub.normalize import normalize

PACIFIC = timezone(timedelta(hours=-8))
EASTERN = timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    ("url", "day"),
    [
        ("https://pagesix.com/2020/02/24/former-wh-press/", date(2020, 2, 24)),
        ("https://www.thelocal.se/20200428/meet-the-swede", date(2020, 4, 28)),
        ("https://www.albayan.ae/across-the-uae/2020-06-03-1.3874341", date(2020, 6, 3)),
        ("https://www.befifty.de/home/2017/7/12/unter-uns-montauk", date(2017, 7, 12)),
        # A month, then a slug that starts with a number: not a day.
        ("https://blog.campact.de/2023/10/3-fragen-an-tina-musil/", None),
        # The Wayback Machine's own timestamp is not the page's date; the archived URL's is.
        ("https://web.archive.org/web/20160218174457/http://x.de/2010/05/19/a/", date(2010, 5, 19)),
        ("https://web.archive.org/web/20160218174457/http://x.de/2010/05/a/", None),
        ("https://www.example.org/2020/13/45/a", None),
        ("https://www.example.org/news/12345678", None),
        (None, None),
    ],
)
def test_url_day(url: str | None, day: date | None) -> None:
    assert url_day(url) == day


def test_url_month() -> None:
    assert url_month("https://herrpfleger.de/2019/10/new-balance/") == (2019, 10)
    assert url_month("https://www.vaticannews.va/de/kirche/news/2022-08/deutschland.html") == (2022, 8)
    assert url_month("https://example.org/news/a") is None


def test_utc_time_is_put_in_the_offset_the_page_writes_the_same_instant_with() -> None:
    # pagesix: JSON-LD says 02:25:54Z; a script writes the same instant as 21:25:54-05:00.
    html = '"datePublished":"2020-02-25T02:25:54Z" ... "pubDate":"2020-02-24T21:25:54-05:00"'
    zones = zones_in(html)
    got = in_page_zone(datetime(2020, 2, 25, 2, 25, 54, tzinfo=UTC), lambda: zones)
    assert got == datetime(2020, 2, 24, 21, 25, 54, tzinfo=EASTERN)
    assert got.utcoffset() == timedelta(hours=-5)


def test_naive_time_gets_the_offset_of_the_same_wall_clock_time() -> None:
    html = '<meta content="2023-11-08T22:35:29-08:00">'
    got = in_page_zone(datetime(2023, 11, 8, 22, 35, 29), lambda: zones_in(html))
    assert got == datetime(2023, 11, 8, 22, 35, 29, tzinfo=PACIFIC)
    assert got.utcoffset() == timedelta(hours=-8)


def test_zone_left_alone_without_evidence() -> None:
    utc = datetime(2020, 5, 2, 2, 54, 29, tzinfo=UTC)
    assert in_page_zone(utc, lambda: zones_in("no other time here")).utcoffset() == timedelta(0)
    naive = datetime(2020, 4, 29, 11, 52, 23)
    assert in_page_zone(naive, lambda: zones_in("")).tzinfo is None
    zoned = datetime(2020, 4, 7, 17, 10, 46, tzinfo=timezone(timedelta(hours=-7)))
    assert in_page_zone(zoned, lambda: zones_in("2020-04-07T10:10:46-02:00")) is zoned
    assert in_page_zone(date(2020, 1, 1), lambda: {}) == date(2020, 1, 1)


def test_month_first() -> None:
    assert month_first("en-US") is True
    assert month_first("en_us") is True
    assert month_first("en-GB") is False
    assert month_first("de") is False
    assert month_first("en") is None
    assert month_first(None) is None


@pytest.mark.parametrize(
    ("text", "order", "want"),
    [
        ("12.01.2022", None, [date(2022, 1, 12)]),
        ("Golf | 1. Februar 2022 , Daniel Dillenburg", None, [date(2022, 2, 1)]),
        ("November 8, 2023 at 11:30 p.m.", None, [date(2023, 11, 8)]),
        ("Par Loïc Le Clerc | 30 septembre 2018", None, [date(2018, 9, 30)]),
        ("Written: 2023-11-07 15:03:30 / Updated: 2023-11-07 15:30:46", None, [date(2023, 11, 7)] * 2),
        ("2019年6月24日", None, [date(2019, 6, 24)]),
        ("2023. 11. 07. 15:00", None, [date(2023, 11, 7)]),
        ("23.09.20 | 18:19", None, [date(2020, 9, 23)]),
        ("3 мая 2021", None, [date(2021, 5, 3)]),
        ("06/01/2020", True, [date(2020, 6, 1)]),
        ("06/01/2020", False, [date(2020, 1, 6)]),
        ("06/01/2020", None, []),
        ("16/06/2020", None, [date(2020, 6, 16)]),
        ("31.02.2020 and 2020", None, []),
    ],
)
def test_printed_dates(text: str, order: bool | None, want: list[date]) -> None:
    assert [day for _, day in printed_dates(text, order)] == want


def _page(body: str, title: str = "Können Fische Schmerzen spüren") -> LexborHTMLParser:
    return LexborHTMLParser(f"<html><head><title>{title} | Site</title></head><body>{body}</body></html>")


def test_visible_date_is_the_short_line_under_the_headline() -> None:
    # angelmagazin.de's shape: headline, author, reading time, date, then the text.
    tree = _page("""<nav>Home 01.01.2020</nav><h1>Können Fische Schmerzen spüren</h1>
        <div><span>Christoph Hein</span> <span>Chefredakteur</span></div><span>ca. 8 Min.</span>
        <time>12.01.2022</time><p>Ob Fische Schmerzen fühlen, ist eine berechtigte Frage.</p>""")
    headline = find_headline(tree, ["Können Fische Schmerzen spüren | Site"])
    assert headline is not None and headline.node.tag == "h1"
    assert visible_date(headline.node, None) == date(2022, 1, 12)


def test_visible_date_skips_dates_of_other_things_and_sentences() -> None:
    tree = _page("""<h1>Können Fische Schmerzen spüren</h1><div>Joined May 11, 2017</div>
        <p>Der nächste Stammtisch findet am Mi. 5. Februar 2020 ab 19 Uhr im Cafe statt, wie immer.</p>
        <p>Posted 3.3.2011, 14:17</p>""")
    headline = find_headline(tree, ["Können Fische Schmerzen spüren"])
    assert headline is not None
    assert visible_date(headline.node, None) == date(2011, 3, 3)


def test_no_headline_no_visible_date() -> None:
    assert visible_date(None, None) is None


def test_labelled_date_on_its_line_or_after_its_label() -> None:
    tree = _page("<div><p>Menu 2.2.2020 Home</p><p>Text.</p><span>Datum:</span> <span>18.10.2021</span>"
                 "</div>")
    assert labelled_date(tree.body, None) == date(2021, 10, 18)
    tree = _page("<p>Eine lange Rezension.</p><p>Letzte Änderung: 31.10.2023 Erschienen am: 01.11.2023</p>")
    assert labelled_date(tree.body, None) == date(2023, 11, 1)
    assert labelled_date(_page("<p>Am 5.5.2020 war es kalt.</p>").body, None) is None


def _no_search() -> date | None:
    raise AssertionError("htmldate must not run when the evidence agrees")


AT = datetime(2020, 2, 19, 18, 37, tzinfo=timezone(timedelta(hours=1)))


def test_decide_agreeing_evidence_takes_the_first_stated_value_without_search() -> None:
    evidence = DateEvidence(stated=[AT, date(2020, 2, 19)], url_day=date(2020, 2, 19), visible=None)
    assert decide(evidence, _no_search) is AT


def test_decide_visible_date_agreeing_with_a_stated_one_takes_that_value() -> None:
    later = datetime(2020, 2, 18, 18, 12, tzinfo=timezone(timedelta(hours=1)))
    evidence = DateEvidence(stated=[later, AT], visible=date(2020, 2, 19))
    assert decide(evidence, _no_search) is AT


def test_decide_visible_date_beats_metadata_of_another_day() -> None:
    evidence = DateEvidence(stated=[datetime(2021, 11, 29, 14, 13, tzinfo=UTC)], visible=date(2022, 1, 12))
    assert decide(evidence, _no_search) == date(2022, 1, 12)


def test_decide_visible_date_that_contradicts_the_url_is_not_the_articles() -> None:
    stated = [datetime(2022, 8, 14, 10, 0, tzinfo=UTC)]
    evidence = DateEvidence(stated=stated, url_month=(2022, 8), visible=date(2021, 8, 14))
    assert decide(evidence, _no_search) is stated[0]
    # The URL backs a stated date: a visible date of another day does not win.
    evidence = DateEvidence(stated=stated, url_day=date(2022, 8, 14), visible=date(2022, 8, 12))
    assert decide(evidence, _no_search) is stated[0]


def test_decide_conflict_goes_to_search() -> None:
    a, b = datetime(2020, 1, 10, 16, 50, tzinfo=UTC), datetime(2023, 1, 1, 14, 11, tzinfo=UTC)
    assert decide(DateEvidence(stated=[a, b]), lambda: date(2023, 1, 1)) is b
    assert decide(DateEvidence(stated=[a, b]), lambda: date(2019, 5, 5)) is a
    assert decide(DateEvidence(stated=[a, b]), lambda: None) is a


def test_decide_nothing_stated() -> None:
    assert decide(DateEvidence(stated=[], url_day=date(2020, 2, 24)), _no_search) == date(2020, 2, 24)
    assert decide(DateEvidence(stated=[], visible=date(2020, 3, 31)), _no_search) == date(2020, 3, 31)
    got = decide(DateEvidence(stated=[]), lambda: date(2017, 1, 12), lambda: date(2021, 10, 18))
    assert got == date(2021, 10, 18)
    assert decide(DateEvidence(stated=[]), lambda: date(2017, 1, 12)) == date(2017, 1, 12)
    assert decide(DateEvidence(stated=[]), lambda: None) is None


def test_local_evening_is_not_the_next_utc_day() -> None:
    """globalnews.ca's shape: JSON-LD with the page's offset; the day stays the page's day."""
    html = """<html lang="en-US"><head><title>Fact check</title>
    <script type="application/ld+json">{"@type": "NewsArticle", "headline": "Fact check",
      "datePublished": "2020-08-15T20:53:24-04:00"}</script></head>
    <body><h1>Fact check</h1><p>""" + "Text of the article. " * 20 + "</p></body></html>"
    record = normalize(extract(html, "https://globalnews.ca/news/7278919/fact-check/"))
    assert record.published_at == "2020-08-15T20:53:24-04:00"


def test_jsonld_utc_time_in_the_offset_the_meta_gives() -> None:
    html = """<html lang="de"><head><title>Krebs</title>
    <meta name="date" content="Sat, 19 Oct 2019 00:04:00 +0200">
    <script type="application/ld+json">{"@type": "NewsArticle", "headline": "Krebs",
      "datePublished": "2019-10-18T22:04:00Z"}</script></head>
    <body><h1>Krebs</h1><p>""" + "Text des Artikels. " * 20 + "</p></body></html>"
    record = normalize(extract(html, "https://www.nachrichten.at/gesundheit/krebs;art114,3177663"))
    assert record.published_at == "2019-10-19T00:04:00+02:00"


def test_htmldate_never_downloads_the_page_text() -> None:
    """htmldate fetches a string that starts with "http" and holds no space; extraction must not."""
    with counting_server() as server:
        page = f"http://127.0.0.1:{server.server_address[1]}/news.example.com/page"
        with contextlib.suppress(ExtractError):  # no title and no body: an ExtractError is fine here
            extract(page, "https://news.example.com/a")
        assert server.requests == 0
