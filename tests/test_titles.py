"""The title: the printed headline a metadata title agrees with (repub.extract.titles), on inline pages.

Saved real pages with their expected title are in fixtures/real/title-* (tests/test_real_pages.py)."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from repub.extract.metadata import read_metadata
from repub.extract.titles import cores, find_headline, title_key, without_site_name


def tree(body: str) -> LexborHTMLParser:
    return LexborHTMLParser(f"<html><head></head><body>{body}</body></html>")


def test_title_key_ignores_case_punctuation_and_spacing() -> None:
    assert title_key("„Arschloch“:  Danni  trennt sich!") == title_key('"arschloch" danni trennt sich')
    assert title_key("") == ""


def test_cores_keep_the_longest_part_and_come_longest_first() -> None:
    got = list(cores("Kücknitz - So lief die Auktion der Schätzchen von St. Johannes | LN"))
    assert got == [
        "Kücknitz - So lief die Auktion der Schätzchen von St. Johannes",
        "So lief die Auktion der Schätzchen von St. Johannes | LN",
        "So lief die Auktion der Schätzchen von St. Johannes",
    ]
    # The site's name alone is never a core: "Ins neue Jahr" is the longest part here.
    assert list(cores("Ins neue Jahr | Blog")) == ["Ins neue Jahr"]
    assert list(cores("No separator here")) == []


def test_without_site_name() -> None:
    got = without_site_name("Tote Hummeln unter Linden | Hummeln", ["Hummeln"])
    assert got == "Tote Hummeln unter Linden"
    got = without_site_name("GitHub - golemfactory/yapapi", ["github.com", "github"])
    assert got == "golemfactory/yapapi"
    assert without_site_name("A title - with a dash", ["Site"]) == "A title - with a dash"


def test_site_logo_h1_is_not_the_headline() -> None:
    page = tree("<h1>News.az</h1><h1>Azerbaijan launches counteroffensive</h1>")
    found = find_headline(page, [None, "Azerbaijan launches counteroffensive", "News.az"], ["News.az"])
    assert found is not None and found.title == "Azerbaijan launches counteroffensive"


def test_kicker_and_site_affixes_are_dropped_to_find_the_heading() -> None:
    page = tree("<div>Menu</div><h1>So lief die Auktion</h1>")
    found = find_headline(page, [None, "Kücknitz - So lief die Auktion", None, None, None,
                                 "Kücknitz - So lief die Auktion | LN"], ["LN"])
    assert found is not None and found.title == "So lief die Auktion"


def test_whole_title_wins_over_a_cut_one_and_h1_over_h2() -> None:
    page = tree("<h2>Sierra Leone: Die Sonne</h2><h1>Reise durch Sierra Leone</h1>")
    found = find_headline(page, ["Die Sonne", "Sierra Leone: Die Sonne", None, None, None,
                                 "Reise durch Sierra Leone"])
    assert found is not None and found.node.tag == "h1" and found.title == "Reise durch Sierra Leone"


def test_pieced_heading_reads_with_the_metadatas_separator() -> None:
    page = tree('<h1><span class="kicker">Interne Unterlagen im Netz</span>'
                '<span class="headline">Daten von Rheinmetall gehackt</span></h1>')
    page_title = "Interne Unterlagen im Netz: Daten von Rheinmetall gehackt | tagesschau.de"
    found = find_headline(page, [None, None, None, None, None, page_title], ["tagesschau.de"])
    assert found is not None and found.title == "Interne Unterlagen im Netz: Daten von Rheinmetall gehackt"


def test_heading_completes_a_title_cut_short() -> None:
    full = "Il brise le couvre-feu et est surpris au volant à Mellet: «Je me fiche des mesures»"
    cut = "Il brise le couvre-feu et est surpris au volant à Mellet: «Je me…"
    found = find_headline(tree(f"<h1>{full}</h1>"), [cut])
    assert found is not None and found.title == full


def test_capitals_and_decoration_are_not_the_title() -> None:
    page = tree("<h1>TRANSFORMATIONSLABOR ERNÄHRUNG</h1>")
    found = find_headline(page, ["Transformationslabor Ernährung"])
    assert found is not None and found.title == "Transformationslabor Ernährung"
    page = tree("<h2>[&gt; Jens Weber</h2>")
    found = find_headline(page, [None, None, None, None, None, "mediaarchitecture.de // » Jens Weber"],
                          ["mediaarchitecture.de"])
    assert found is not None and found.title == "Jens Weber"


def test_no_agreeing_heading() -> None:
    assert find_headline(tree("<h1>Something else</h1>"), ["The title", "The title"]) is None
    assert find_headline(tree("<h1>The title</h1>"), []) is None


def test_read_metadata_prefers_the_printed_headline_that_og_title_agrees_with() -> None:
    html = """<html><head><title>As his debate nears, Bloomberg answers - Los Angeles Times</title>
    <meta property="og:title" content="As his debate nears, Bloomberg answers">
    <script type="application/ld+json">{"@type": "NewsArticle",
      "headline": "Michael Bloomberg is having to answer questions about his past"}</script></head>
    <body><h1>As his debate nears, Bloomberg answers</h1><p>Text.</p></body></html>"""
    meta = read_metadata(LexborHTMLParser(html), "https://www.latimes.com/politics/story/x")
    assert meta.title == "As his debate nears, Bloomberg answers"


def test_read_metadata_without_agreeing_heading_drops_the_site_name() -> None:
    html = """<html><head><title>x</title>
    <meta property="og:title" content="Corona-Lockerungen: Autohäuser rechnen mit Anlaufen | MDR.DE">
    </head><body><h1>Nach Corona-Lockerungen Autohäuser rechnen</h1></body></html>"""
    meta = read_metadata(LexborHTMLParser(html), "https://www.mdr.de/thueringen/corona-100.html")
    assert meta.title == "Corona-Lockerungen: Autohäuser rechnen mit Anlaufen"


def test_live_marker_goes_when_another_title_reads_without_it() -> None:
    html = """<html><head><title>Israel-Gaza war: hostages freed - BBC News</title>
    <script type="application/ld+json">{"@type": "LiveBlogPosting",
      "headline": "LIVE: Israel-Gaza war: hostages freed"}</script></head>
    <body><h2>Latest updates</h2></body></html>"""
    meta = read_metadata(LexborHTMLParser(html), "https://www.bbc.com/news/live/world-67")
    assert meta.title == "Israel-Gaza war: hostages freed"
    # Alone, a title that starts with "Live" is kept as it is: nothing says it is a marker.
    html = """<html><head><title>x</title><meta property="og:title" content="Live: the band's new album">
    </head><body></body></html>"""
    title = read_metadata(LexborHTMLParser(html), "https://example.org/a").title
    assert title == "Live: the band's new album"
