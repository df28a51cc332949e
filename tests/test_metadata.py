"""JSON-LD leniency and the metadata trust order, on inline pages."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

from selectolax.lexbor import LexborHTMLParser

from repub.extract import extract
from repub.extract.jsonld import find_article_object, load_jsonld_blocks, too_nested
from repub.extract.metadata import absolute_url, parse_page_date, read_metadata

# RT 2022 shape (republishers.md §2.2): an Organization block with a trailing comma in sameAs (invalid
# JSON), then a valid NewsArticle whose author is the Organization "RT".
RT_2022 = """<html lang="en"><head>
<title>Assange tests positive for Covid — RT World News</title>
<meta name="article:author" content="Russia Today" />
<meta name="article:section" content="World News" />
<link rel="canonical" href="https://www.rt.com/news/564427-assange-positive-covid-belmarsh-lockdown/"/>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Organization", "name": "RT", "url": "https://www.rt.com",
 "sameAs": ["https://twitter.com/RT_com", "https://www.youtube.com/user/RussiaToday", ]}
</script>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "NewsArticle",
 "mainEntityOfPage": {"@id": "https://www.rt.com/news/564427-assange-positive-covid-belmarsh-lockdown/"},
 "headline": "Assange tests positive for Covid",
 "image": [{"@type": "ImageObject", "url": "https://cdni.russiatoday.com/files/2022.10/article/a.jpg"}],
 "author": {"@type": "Organization", "name": "RT"},
 "datePublished": "2022-10-10T17:38:16+00:00", "dateModified": "2022-10-10T18:01:00+00:00",
 "publisher": {"@type": "Organization", "name": "RT"}, "description": "The Wikileaks publisher..."}
</script></head><body><h1>Assange tests positive for Covid</h1></body></html>"""


def meta_of(html: str, url: str = "https://www.example.com/2020/10/story/"):
    return read_metadata(LexborHTMLParser(html), url)


def test_rt_2022_newsarticle_is_read_despite_invalid_organization_block() -> None:
    tree = LexborHTMLParser(RT_2022)
    blocks = load_jsonld_blocks(tree)
    assert [b["@type"] for b in blocks] == ["Organization", "NewsArticle"]
    assert blocks[0]["sameAs"] == ["https://twitter.com/RT_com", "https://www.youtube.com/user/RussiaToday"]
    article = find_article_object(blocks)
    assert article is not None and article["headline"] == "Assange tests positive for Covid"

    meta = read_metadata(tree, "https://www.rt.com/news/564427-assange-positive-covid-belmarsh-lockdown/")
    assert meta.title == "Assange tests positive for Covid"
    assert meta.published == datetime(2022, 10, 10, 17, 38, 16, tzinfo=UTC)
    assert meta.published.utcoffset() == timedelta(0)
    assert meta.modified == datetime(2022, 10, 10, 18, 1, tzinfo=UTC)
    assert meta.section == "World News"
    assert meta.image_url == "https://cdni.russiatoday.com/files/2022.10/article/a.jpg"
    assert meta.site_name == "RT"
    assert meta.description == "The Wikileaks publisher..."
    assert meta.canonical_url == "https://www.rt.com/news/564427-assange-positive-covid-belmarsh-lockdown/"
    assert meta.language == "en"


def test_organization_author_and_org_meta_author_are_not_people() -> None:
    # JSON-LD says Organization "RT", meta says "Russia Today": no person at all.
    assert meta_of(RT_2022).authors == []


def test_lenient_json_comments_cdata_control_chars_and_several_objects() -> None:
    html = """<html><head><script type="application/ld+json"><!--
    //<![CDATA[
    {"@type": "BreadcrumbList", "itemListElement": [],}
    {"@type": "BlogPosting", "headline": "Line one
    continues",}
    //]]>
    --></script>
    <script type="application/ld+json">{ this is not json at all </script>
    <script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
      {"@type": "WebSite", "name": "Site"}, {"@type": ["OpinionNewsArticle"], "headline": "Graph item"}]}
    </script></head><body></body></html>"""
    blocks = load_jsonld_blocks(LexborHTMLParser(html))
    types = [b["@type"] for b in blocks]
    assert types == ["BreadcrumbList", "BlogPosting", "WebSite", ["OpinionNewsArticle"]]
    assert blocks[1]["headline"] == "Line one\n    continues"
    assert find_article_object(blocks) == {"@type": "BlogPosting", "headline": "Line one\n    continues"}
    assert find_article_object(blocks[2:]) == {"@type": ["OpinionNewsArticle"], "headline": "Graph item"}


def test_a_broken_or_hostile_jsonld_block_is_skipped_and_the_others_read() -> None:
    """Blocks json cannot read or that nest past MAX_NESTING (100,000 brackets, an object 50,000 deep, a
    5,000-digit number, a @graph 900 lists deep) are skipped like unreadable ones; the page's other
    blocks and its article are read. Before: a RecursionError or ValueError lost the whole page."""
    hostile = ["[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000,
               '{"datePublished": ' + "9" * 5_000 + "}", '{"@graph": ' + "[" * 900 + "]" * 900 + "}",
               '{"articleBody": "x", "a": ' + "[" * 900 + "]" * 900 + "}"]
    good = '{"@type": "NewsArticle", "headline": "H", "author": {"@type": "Person", "name": "Jane Roe"}}'
    scripts = "".join(f'<script type="application/ld+json">{block}</script>' for block in [*hostile, good])
    text = "Text of the article. " * 20
    html = f"<html><head><title>H</title>{scripts}</head><body><p>{text}</p></body></html>"
    blocks = load_jsonld_blocks(LexborHTMLParser(html))
    assert blocks == [json.loads(good)]
    assert too_nested([[[]]]) is False and too_nested(json.loads("[" * 40 + "]" * 40)) is True
    record = extract(html, "https://a.example/x")
    assert (record.title, record.authors) == ("H", ["Jane Roe"])
    assert record.body_text == text.strip()


def test_article_found_as_webpage_main_entity() -> None:
    blocks = [{"@type": "WebPage", "mainEntity": {"@type": "ReportageNewsArticle", "headline": "H"}}]
    assert find_article_object(blocks) == {"@type": "ReportageNewsArticle", "headline": "H"}
    assert find_article_object([{"@type": "WebPage"}]) is None


def test_person_authors_in_order_with_graph_references_and_wire_dropped() -> None:
    html = """<html><head><script type="application/ld+json">{"@graph": [
      {"@type": "NewsArticle", "headline": "T", "author": [
        {"@type": "Person", "name": "Jane Doe"}, {"@id": "#p2"}, {"@type": "Person", "name": "Reuters"},
        {"@type": "NewsMediaOrganization", "name": "The Paper"}, "Staff"]},
      {"@id": "#p2", "@type": "Person", "name": "John Roe"}]}</script></head><body></body></html>"""
    assert meta_of(html).authors == ["Jane Doe", "John Roe"]


def test_opengraph_and_meta_fallback_when_no_jsonld() -> None:
    html = """<html><head><title>Fallback | Example News</title>
    <meta property="og:site_name" content="Example News">
    <meta property="og:title" content="The OG title">
    <meta property="og:image" content="//cdn.example.com/img/lead.jpg">
    <meta property="og:url" content="https://www.example.com/2020/10/story/">
    <meta property="article:published_time" content="2020-10-26T09:15:00+01:00">
    <meta property="article:modified_time" content="2020-10-27">
    <meta property="article:section" content="Politics">
    <meta property="article:tag" content="Russia"><meta property="article:tag" content="China">
    <meta name="keywords" content="ignored, because, article tags exist">
    <meta name="author" content="By Ann Lee and Bob Stone">
    <meta name="description" content="A description.">
    <meta property="og:locale" content="fr_FR">
    </head><body></body></html>"""
    meta = meta_of(html)
    assert meta.title == "The OG title"
    assert meta.authors == ["Ann Lee", "Bob Stone"]
    assert meta.published == datetime(2020, 10, 26, 9, 15, tzinfo=timezone(timedelta(hours=1)))
    assert meta.modified == date(2020, 10, 27)
    assert meta.section == "Politics"
    assert meta.tags == ["Russia", "China"]
    assert meta.image_url == "https://cdn.example.com/img/lead.jpg"
    assert meta.og_url == "https://www.example.com/2020/10/story/"
    assert meta.description == "A description."
    assert meta.site_name == "Example News"
    assert meta.language == "fr"
    assert meta.canonical_url is None


def test_other_meta_dublin_core_parsely_and_title_suffix() -> None:
    html = """<html><head><title>Plain title | Example News</title>
    <meta name="DC.date.issued" content="2019-11-20">
    <meta name="parsely-author" content="Editors">
    <meta name="sailthru.author" content="Maria Garcia">
    <meta property="og:site_name" content="Example News">
    <meta name="keywords" content="Bolivia, Evo Morales ,bolivia, ">
    <meta http-equiv="content-language" content="es-BO">
    </head><body></body></html>"""
    meta = meta_of(html)
    assert meta.title == "Plain title"
    assert meta.published == date(2019, 11, 20)
    assert meta.authors == ["Maria Garcia"]
    assert meta.tags == ["Bolivia", "Evo Morales"]
    assert meta.language == "es"


def test_jsonld_wins_over_opengraph() -> None:
    html = """<html lang="de-DE"><head>
    <meta property="og:title" content="OG"><meta property="article:published_time" content="2020-10-23">
    <script type="application/ld+json">{"@type": "Article", "headline": "JSON&#8217;s title",
      "datePublished": "2020-10-23T05:47:00Z", "keywords": ["a", "b"], "articleSection": ["Op-ed"],
      "inLanguage": "en-US", "articleBody": "Para one.\\nPara two."}</script>
    <meta property="article:tag" content="c"></head><body></body></html>"""
    meta = meta_of(html)
    assert meta.title == "JSON\u2019s title"
    assert meta.published == datetime(2020, 10, 23, 5, 47, tzinfo=UTC)
    assert meta.tags == ["a", "b"]
    assert meta.section == "Op-ed"
    assert meta.language == "en"
    assert meta.article_body == "Para one.\nPara two."


def test_html_lang_region_is_dropped() -> None:
    assert meta_of('<html lang="fr-FR"><head></head><body></body></html>').language == "fr"
    assert meta_of('<html lang="PT_br"><head></head><body></body></html>').language == "pt"
    assert meta_of("<html><head></head><body></body></html>").language is None


def test_canonical_resolution_cases() -> None:
    base = "https://www.example.com/2020/10/story/"

    def canonical(href: str) -> str | None:
        page = f'<html><head><link rel="canonical" href="{href}"></head><body></body></html>'
        return meta_of(page).canonical_url

    assert canonical("https://other.org/a/") == "https://other.org/a/"
    assert canonical("/2020/10/story/") == "https://www.example.com/2020/10/story/"
    assert canonical("story-2/") == "https://www.example.com/2020/10/story/story-2/"
    assert canonical("//www.rt.com/op-ed/1-x/") == "https://www.rt.com/op-ed/1-x/"
    assert canonical("https://other.org/a/?p=1&amp;amp;q=2") == "https://other.org/a/?p=1&q=2"
    assert canonical(" https://other.org/a/?p=1&amp;q=2 ") == "https://other.org/a/?p=1&q=2"
    assert canonical("") is None
    assert canonical("javascript:void(0)") is None
    assert absolute_url("ftp://x.org/f", base) is None
    assert absolute_url(None, base) is None


def test_parse_page_date_forms() -> None:
    assert parse_page_date("2020-10-23") == date(2020, 10, 23)
    assert parse_page_date("2020-10-23T05:47:00+0000") == datetime(2020, 10, 23, 5, 47, tzinfo=UTC)
    assert parse_page_date("2020-10-23 05:47:00") == datetime(2020, 10, 23, 5, 47)
    assert parse_page_date("2020-10-23T05:47:00.123-05:00") == datetime(
        2020, 10, 23, 5, 47, 0, 123000, tzinfo=timezone(timedelta(hours=-5))
    )
    assert parse_page_date("2020-10-23Tgarbage") == date(2020, 10, 23)
    assert parse_page_date("2022-1-26T14:32:06+02:00") == date(2022, 1, 26)  # unpadded: the day is kept
    assert parse_page_date("2022-2-30T14:32:06") is None
    assert parse_page_date("Sat, 19 Oct 2019 00:04:00 +0200") == datetime(
        2019, 10, 19, 0, 4, tzinfo=timezone(timedelta(hours=2))
    )
    assert parse_page_date("yesterday") is None
    assert parse_page_date("") is None


def test_htmldate_only_when_nothing_else_gave_a_date() -> None:
    html = """<html><head><title>T</title></head><body><article><h1>T</h1>
    <p class="date">Published: 2021-03-04</p><p>Body text.</p></article></body></html>"""
    assert meta_of(html, "https://example.org/news/t/").published == date(2021, 3, 4)


def test_source_tags_and_is_based_on_are_absolute() -> None:
    html = """<html><head>
    <meta name="syndication-source" content="/2020/10/story/">
    <link rel="original-source" href="https://origin.org/a/1">
    <script type="application/ld+json">{"@type": "NewsArticle", "isBasedOn": {"@id": "https://b.org/x"}}</script>
    </head><body></body></html>"""
    meta = meta_of(html)
    assert meta.syndication_source == "https://www.example.com/2020/10/story/"
    assert meta.original_source == "https://origin.org/a/1"
    assert meta.is_based_on == "https://b.org/x"
