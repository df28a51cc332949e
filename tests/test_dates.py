"""Page dates and the original-date prefix of TMS first paragraphs (reference §1.2, verbatim)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from repub.extract.dates import YearMonth, month_number, parse_page_date, split_date_prefix


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("26 Oct 2020", date(2020, 10, 26)),
        ("MILITARISM, 26 Oct 2020", date(2020, 10, 26)),
        ("23 Oct, 2020 05:47", datetime(2020, 10, 23, 5, 47, tzinfo=UTC)),
        ("20 Nov, 2019 05:47  ", datetime(2019, 11, 20, 5, 47, tzinfo=UTC)),
        ("Published time: 1 Apr, 2016 15:17", datetime(2016, 4, 1, 15, 17, tzinfo=UTC)),
        ("Edited time: 2 Apr, 2016 09:05", datetime(2016, 4, 2, 9, 5, tzinfo=UTC)),
        ("2019-11-20T05:47:00+00:00", datetime(2019, 11, 20, 5, 47, tzinfo=UTC)),
        ("2020-10-23T05:47:00Z", datetime(2020, 10, 23, 5, 47, tzinfo=UTC)),
        ("2020-10-23T07:47:00+02:00", datetime(2020, 10, 23, 7, 47, tzinfo=timezone(timedelta(hours=2)))),
        ("2020-10-23", date(2020, 10, 23)),
        ("November 19, 2019", date(2019, 11, 19)),
        ("29 septembre 2020", date(2020, 9, 29)),
        ("3 de março de 2021", date(2021, 3, 3)),
        ("12. Dezember 2019", date(2019, 12, 12)),
        ("31 Feb 2020", None),
        ("6 Apr 20126", None),
        ("no date here", None),
        ("", None),
    ],
)
def test_parse_page_date(text: str, want: date | datetime | None) -> None:
    got = parse_page_date(text)
    assert got == want
    if isinstance(want, datetime):
        assert isinstance(got, datetime)
        assert got.utcoffset() == want.utcoffset()
    elif want is not None:
        assert type(got) is date


def test_parse_page_date_naive_when_asked() -> None:
    got = parse_page_date("23 Oct, 2020 05:47", tz=None)
    assert got == datetime(2020, 10, 23, 5, 47)
    assert isinstance(got, datetime) and got.tzinfo is None


@pytest.mark.parametrize(
    ("paragraph", "want_date", "want_rest"),
    [
        ("23 Oct 2020 \u2013 Vladimir Putin says it\u2019s \u2018quite possible\u2019.", date(2020, 10, 23),
         "Vladimir Putin says it\u2019s \u2018quite possible\u2019."),
        ("18 Dec 2018 - The lede.", date(2018, 12, 18), "The lede."),
        ("15 Mar 2019 \u2014 The lede.", date(2019, 3, 15), "The lede."),
        ("December 2020 \u2013 The lede.", YearMonth(2020, 12), "The lede."),
        ("29 septembre 2020 \u2013 Le texte.", date(2020, 9, 29), "Le texte."),
        ("10 abril 2016 \u2013 O texto.", date(2016, 4, 10), "O texto."),
        ("5 jul 2019 \u2013 Text.", date(2019, 7, 5), "Text."),
        ("30 Nov 1946 -", date(1946, 11, 30), ""),
        ("30 Nov 1946 - Text.", date(1946, 11, 30), "Text."),
        # typo in the year: no date, and the paragraph is left whole
        ("6 Apr 20126 \u2013 Text.", None, "6 Apr 20126 \u2013 Text."),
        ("Just over 70 years ago, Stalin and Mao haggled.", None,
         "Just over 70 years ago, Stalin and Mao haggled."),
        ("May 2020 was a hard month.", None, "May 2020 was a hard month."),
        ("Monday 2020 \u2013 not a month.", None, "Monday 2020 \u2013 not a month."),
        ("31 Jun 2020 \u2013 no such day.", None, "31 Jun 2020 \u2013 no such day."),
        ("", None, ""),
    ],
)
def test_split_date_prefix(paragraph: str, want_date: object, want_rest: str) -> None:
    got_date, rest = split_date_prefix(paragraph)
    assert got_date == want_date
    assert type(got_date) is type(want_date)
    assert rest == want_rest


def test_year_month_isoformat() -> None:
    assert YearMonth(2020, 12).isoformat() == "2020-12"
    assert YearMonth(1999, 3).isoformat() == "1999-03"


@pytest.mark.parametrize(
    ("word", "month"),
    [("Oct", 10), ("oct.", 10), ("septembre", 9), ("Février", 2), ("abril", 4), ("março", 3),
     ("agosto", 8), ("gennaio", 1), ("dicembre", 12), ("März", 3), ("Okt", 10), ("Mai", 5), ("xyz", None)],
)
def test_month_table(word: str, month: int | None) -> None:
    assert month_number(word) == month
