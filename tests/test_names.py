"""Bylines into people and credits (repub.extract.names), on bylines seen on real pages."""

from __future__ import annotations

import pytest

from repub.extract.authors import credits_in_body
from repub.extract.names import Site, credits_of_line, find_credit, parse_names, reporters


@pytest.mark.parametrize(
    ("byline", "language", "people", "credits"),
    [
        ("By Jane Doe and John Roe, Associated Press", "en", ["Jane Doe", "John Roe"], ["Associated Press"]),
        ("Von Max Muster und Eva Beispiel, dpa", "de", ["Max Muster", "Eva Beispiel"], ["dpa"]),
        ("Kari Nordmann og Ola Nordmann", "nb", ["Kari Nordmann", "Ola Nordmann"], []),
        ("Isabel Caro, Rocío Latorre y José Miguel Wilson", "es",
         ["Isabel Caro", "Rocío Latorre", "José Miguel Wilson"], []),
        ("FR mit dpa", "de", [], ["Frankfurter Rundschau", "dpa"]),
        ("AFP/The Local", "en", [], ["AFP", "The Local"]),
        ("By Reuters", "en", [], ["Reuters"]),
        ("By Tim Reynolds, Ap Sports Writer", "en", ["Tim Reynolds"], ["Associated Press"]),
        ("dsw / DPA", "de", [], ["dpa"]),  # a reporter's initials are nobody
        ("Par Jean Dupont", "fr", ["Jean Dupont"], []),
        ("Por Williams Perdomo @wperdomod", "es", ["Williams Perdomo"], []),
        ("بقلم محمد علي", "ar", ["محمد علي"], []),
        ("홍길동 기자", "ko", ["홍길동"], []),
        ("Von FOCUS-Online-Experte Robin Tschöpe", "de", ["Robin Tschöpe"], []),
        ("Christoph Hein Chefredakteur", "de", ["Christoph Hein"], []),
        ("Jane Doe, Online News Editor", "en", ["Jane Doe"], []),
        ("Jane Doe in Valencia", "en", ["Jane Doe"], []),
        ("Camila Méndez en Territorio", "es", ["Camila Méndez"], []),
        ("Walter von Aachen", "de", ["Walter von Aachen"], []),
        ("Grant Tinsley, PhD", "en", ["Grant Tinsley"], []),
        ("View all posts by Daniel Lemire", "en", ["Daniel Lemire"], []),
        ("SHOW ALL ARTICLES OFHeiko Sauer", "en", ["Heiko Sauer"], []),
        ("Zeige alle Beiträge von Cem Basman", "de", ["Cem Basman"], []),
        ("VON MORITZ GATHMANN am 21. April 2020", "de", ["MORITZ GATHMANN"], []),
        ("Shana Nys DambrotNovember 6, 2023", "en", ["Shana Nys Dambrot"], []),
        ("Posted on September 21, 2020 by Adi Tzlil", "en", ["Adi Tzlil"], []),
        ("By John Walk - January 10, 2020 21 minutes - 4312 words", "en", ["John Walk"], []),
        ("Dezember 10, 2019 · von freeman1984 · in Uncategorized", "de", ["freeman1984"], []),
        ("Von August Meier", "de", ["August Meier"], []),  # a month's name with no date beside it
        ("Text von Christian Seiler Illustration von Markus Roost", "de", ["Christian Seiler"], []),
        ("Luana Patriolino RF Raphael Felice", "pt", ["Luana Patriolino", "Raphael Felice"], []),
        # a job title's own words are nobody: "der HSS" is the title's, not a second person
        ("Uta Staschewski, Projektleiterin der HSS in Tunesien", "de", ["Uta Staschewski"], []),
        ("Rechtsanwalt Sebastian Einbock", "de", ["Sebastian Einbock"], []),
        ("Fabian Dittmann; Ilustrator: Adriaan Prent", "de", ["Fabian Dittmann"], []),
    ],
)
def test_bylines_give_people_and_credits(byline, language, people, credits):
    got = parse_names(byline, language=language, visible=True)
    assert (got.people, got.credits) == (people, credits)


@pytest.mark.parametrize(
    "junk",
    [
        "jane.doe@example.com", "wordpressadmin", "emma-mackenzie", "christian.stadtfeld", "No Author",
        "(Image: Getty Images)", "Bild: S. Lafrentz", "Reporter", "Online News Editor", "(obe)", "12345",
        "Staff", "Redaktion", "Teufel Blog Redaktion", "PETA-Team", "Hanns-Seidel-Stiftung e.V.",
        "View my complete profile", "Author Archives", "weiter", "wien.ORF.at", "Posted", "https://x.org/a",
    ],
)
def test_junk_names_nobody(junk):
    got = parse_names(junk, visible=True)
    assert (got.people, got.credits) == ([], [])


def test_the_sites_own_name_is_not_its_author():
    assert parse_names("Eurosport", Site(names=("Eurosport",))).people == []
    assert parse_names("Miami Today", Site(organizations=("Miami Today",))).people == []
    # a personal site is named after its author
    assert parse_names("Wolfgang Schmale", Site(names=("Wolfgang Schmale",))).people == ["Wolfgang Schmale"]
    assert parse_names("By Adam Aaronson PhillyVoice Staff", Site(names=("PhillyVoice",))).people == [
        "Adam Aaronson"
    ]


def test_a_one_word_name_needs_a_byline_word_when_read_off_the_page():
    assert parse_names("flerche", visible=True).people == []
    assert parse_names("von flerche", visible=True).people == ["flerche"]
    assert parse_names("flerche").people == ["flerche"]  # declared in metadata


def test_short_agency_names_only_in_their_own_case():
    assert find_credit("AP").name == find_credit("Ap").name == "Associated Press"
    assert find_credit("ap") is None  # initials
    assert find_credit("dpa").name == "dpa"


@pytest.mark.parametrize(
    ("body", "credits"),
    [
        ("WASHINGTON (AP) — The president said.\n\nMore text.", ["Associated Press"]),
        ("Berlin (dpa/tmn) - Text here.\n\nEnd. (dpa)", ["dpa"]),
        ("MADRID, 3 may (EFE).- El gobierno.", ["EFE"]),
        ("By Reuters\n\nText.", ["Reuters"]),
        ("Text.\n\nMore.\n\nQuelle: AFP", ["AFP"]),
        ("Text.\n\nMit Material von dpa und AFP", ["dpa", "AFP"]),
        ("Text.\n\ndsw / DPA", ["dpa"]),
        ("Text.\n\n© dpa-infocom, dpa:201230-99-123456/2", ["dpa"]),
        ("Text.\n\nThe Associated Press contributed to this report.", ["Associated Press"]),
        # citing an agency is not crediting it
        ("He told Reuters on Monday.\n\nThe documents were obtained by The Associated Press.", []),
        ("El ministro destacó AFP.\n\nFin.", []),
        ("Text (mit Bild) - hier.\n\nEnde.", []),
    ],
)
def test_datelines_and_credit_lines_of_the_body(body, credits):
    assert credits_in_body(body) == credits


@pytest.mark.parametrize(
    ("text", "people", "credits"),
    [
        ("[부산=스포츠조선 선수민 기자] 롯데 자이언츠 베테랑", ["선수민"], []),
        ("[서울=뉴시스] 홍길동 기자 = 정부는", ["홍길동"], ["Newsis"]),
        ("이 사안은 중요하다. 이용민 기자 lee@example.com", ["이용민"], []),
        ("〔記者巫其倫／台北報導〕財政部今天下午", ["巫其倫"], []),
        ("新华社北京3月1日电（记者张三、李四）今天", ["张三", "李四"], ["Xinhua"]),
        ("【ワシントン共同】米国の", [], ["Kyodo News"]),
        ("The council met on Tuesday.", [], []),
    ],
)
def test_cjk_datelines_and_sign_offs(text, people, credits):
    got = reporters(text)
    assert (got.people, got.credits) == (people, credits)


def test_metadata_forms_of_an_author_line():
    assert parse_names("Harm, Robert").people == ["Robert Harm"]  # a catalogue's surname first
    assert parse_names("스포츠조선=선수민 기자", language="ko").people == ["선수민"]
    people = ["Sebastian Held", "Daniel Hentschel"]
    assert parse_names("Sebastian Held, Daniel Hentschel, Germany").people == people
    assert parse_names("Kirche und Leben, Münster, Germany", Site(names=("kirche-und-leben",))).people == []


def test_a_desk_named_after_the_site_is_nobody():
    assert parse_names("Telegraph Sport", Site(names=("The Telegraph",))).people == []
    assert parse_names("IGN Staff", Site(names=("IGN",))).people == []
    # a personal site named after its author's first name
    helge = Site(names=("Helge.at", "helge"))
    assert parse_names("By Helge Fahrnberger", helge).people == ["Helge Fahrnberger"]


def test_picture_credits_buttons_and_cited_sources_credit_nobody():
    assert credits_of_line("© AFP") == []  # a picture's credit
    assert credits_of_line("© dpa-infocom, dpa:201230-99-123456/2") == ["dpa"]  # a dpa text's
    assert credits_of_line("Quelle: SWR", "de") == []  # a cited report of another outlet
    assert credits_of_line("Quelle: dpa", "de") == ["dpa"]
    assert credits_of_line("Mit Material von MDR", "de") == ["MDR"]
    assert credits_of_line("KNA 19.11.21", "de") == ["KNA"]
    names = parse_names("Tom Davies Associated Press", visible=True)
    assert (names.people, names.credits) == (["Tom Davies"], ["Associated Press"])


@pytest.mark.parametrize(
    ("byline", "desk"),
    [
        ("Redaktion", "Redaktion"), ("Staff Writer", "Staff Writer"), ("Newsdesk", "Newsdesk"),
        ("Teufel Blog Redaktion", "Teufel Blog Redaktion"), ("PETA-Team", "PETA-Team"),
        ("revamp-it Webteam", "revamp-it Webteam"), ("HLNF Staff Report", "HLNF Staff Report"),
        ("vom Support Team", "Support Team"), ("Von Redaktion", "Redaktion"),
        ("Redacción Diario Pagina Siete", "Redacción Diario Pagina Siete"),
    ],
)
def test_a_desk_or_team_is_kept_apart_from_people_and_credits(byline, desk):
    got = parse_names(byline, language="de", visible=True)
    assert (got.people, got.credits, got.desks) == ([], [], [desk])


@pytest.mark.parametrize(
    "nobody", ["No Author", "wordpressadmin", "Unknown", "Agenturen", "Agencies", "admin", "Editor",
               "Hanns-Seidel-Stiftung e.V.", "Telegraph Sport", "jane.doe@example.com"],
)
def test_placeholders_and_organisations_are_no_desk(nobody):
    got = parse_names(nobody, Site(names=("The Telegraph",)), visible=True)
    assert (got.people, got.credits, got.desks) == ([], [], [])


def test_a_person_beside_a_desk_is_a_person():
    got = parse_names("Von Jane Doe, Redaktion", language="de", visible=True)
    assert (got.people, got.desks) == (["Jane Doe"], ["Redaktion"])
