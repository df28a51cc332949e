"""parse_byline on every byline shape seen on TMS (reference §1.2, verbatim) and generic bylines."""

from __future__ import annotations

from datetime import date

import pytest

from repub.extract.byline import Byline, parse_byline

TMS = "TRANSCEND Media Service"

CASES: list[tuple[str, Byline]] = [
    ("Tom Fowdy | RT - TRANSCEND Media Service", Byline(["Tom Fowdy"], "RT", TMS)),
    (
        "Gregory Shupak | FAIR-Fairness & Accuracy In Reporting - TRANSCEND Media Service, 24 May 2021",
        Byline(["Gregory Shupak"], "FAIR-Fairness & Accuracy In Reporting", TMS, date=date(2021, 5, 24)),
    ),
    (
        "Robert J. Burrowes, Ph.D. \u2013 TRANSCEND Media Service, 24 May 2021",
        Byline(["Robert J. Burrowes, Ph.D."], None, TMS, date=date(2021, 5, 24)),
    ),
    (
        "Joe Lauria | Consortium News \u2013 TRANSCEND Media Service, 15 Jul 2024",
        Byline(["Joe Lauria"], "Consortium News", TMS, date=date(2024, 7, 15)),
    ),
    (
        "Ann Wright | Consortium News - TRANSCEND Media Service, 22 Jul 2024",
        Byline(["Ann Wright"], "Consortium News", TMS, date=date(2024, 7, 22)),
    ),
    ("RT - TRANSCEND Media Service, 21 Sep 2020", Byline([], "RT", TMS, date=date(2020, 9, 21))),
    ("RT - TRANSCEND Media Service", Byline([], "RT", TMS)),
    (
        "Anthony Judge | TRANSCEND Media Service, 7 Dec 2020",
        Byline(["Anthony Judge"], None, TMS, date=date(2020, 12, 7)),
    ),
    (
        "Poppy McPherson and Ruma Paul | Reuters \u2013 TRANSCEND Media Service",
        Byline(["Poppy McPherson", "Ruma Paul"], "Reuters", TMS),
    ),
    (
        "Max Willner-Giwerc | E-IR, Northeastern University \u2013 TRANSCEND Media Service",
        Byline(["Max Willner-Giwerc"], "E-IR, Northeastern University", TMS),
    ),
    (
        "Posted by Antonio C. S. Rosa | Editor - TRANSCEND Media Service",
        Byline(["Antonio C. S. Rosa"], None, TMS, role="Editor"),
    ),
    # Choice: a title after a comma ("Nobel Peace Laureate") is split off into role; degrees
    # ("Ph.D.") stay part of the name, as printed.
    (
        "Mairead Maguire, Nobel Peace Laureate | Peace People \u2013 TRANSCEND Media Service",
        Byline(["Mairead Maguire"], "Peace People", TMS, role="Nobel Peace Laureate"),
    ),
    ("TRANSCEND Media Service, 10 Oct 2016", Byline([], None, TMS, date=date(2016, 10, 10))),
    ("TRANSCEND Media Service", Byline([], None, TMS)),
    ("Robert Bridge \u2013 Russia Today, 13 Mar 2017", Byline(["Robert Bridge"], "Russia Today", None,
                                                           date=date(2017, 3, 13))),
    ("Robert Bridge \u2013 Russia Today", Byline(["Robert Bridge"], "Russia Today")),
    ("Daniel Martin - CounterPunch, 13 Mar 2017", Byline(["Daniel Martin"], "CounterPunch", None,
                                                         date=date(2017, 3, 13))),
    ("Josh Balk \u2013 Common Dreams, 14 Jul 2014", Byline(["Josh Balk"], "Common Dreams", None,
                                                         date=date(2014, 7, 14))),
    (
        "N\u00ba 437 | Johan Galtung, 11 Jul 2016 - TRANSCEND Media Service",
        Byline(["Johan Galtung"], None, TMS, number="437", date=date(2016, 7, 11)),
    ),
    (
        "#666 | Diane Perlman, Ph.D. \u2013 TRANSCEND Media Service",
        Byline(["Diane Perlman, Ph.D."], None, TMS, number="666"),
    ),
    ("Tom Fowdy | RT \u2014 TRANSCEND Media Service", Byline(["Tom Fowdy"], "RT", TMS)),
    # generic bylines
    ("By Jane Doe and John Roe", Byline(["Jane Doe", "John Roe"])),
    ("By Jane Doe, John Roe and Max Moe", Byline(["Jane Doe", "John Roe", "Max Moe"])),
    ("By Jane Doe, Reuters", Byline(["Jane Doe"], "Reuters")),
    ("By Jane Doe, Associated Press", Byline(["Jane Doe"], "Associated Press")),
    ("By Jane Doe & John Roe | AFP", Byline(["Jane Doe", "John Roe"], "AFP")),
    ("Reuters", Byline([], "Reuters")),
    ("By Staff", Byline([], role="Staff")),
    ("Editorial Board", Byline([], role="Editorial Board")),
    ("", Byline()),
]


@pytest.mark.parametrize(("text", "want"), CASES, ids=[c[0][:40] or "empty" for c in CASES])
def test_parse_byline(text: str, want: Byline) -> None:
    got = parse_byline(text)
    assert got.authors == want.authors
    assert got.outlet == want.outlet
    assert got.republisher == want.republisher
    assert got.role == want.role
    assert got.number == want.number
    assert got.date == want.date


def test_spaces_and_nbsp_are_normalised() -> None:
    got = parse_byline("  Tom\u00a0Fowdy  |  RT\u00a0-\u00a0TRANSCEND Media Service \n")
    assert got.authors == ["Tom Fowdy"]
    assert got.outlet == "RT"
    assert got.republisher == TMS


def test_hyphen_without_spaces_never_splits() -> None:
    got = parse_byline("Max Willner-Giwerc")
    assert got.authors == ["Max Willner-Giwerc"]
    assert got.outlet is None
