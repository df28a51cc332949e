"""Original-finding signals of republishers.md §3: each positive case and the look-alikes that are not."""

from __future__ import annotations

from datetime import date

from selectolax.lexbor import LexborHTMLParser

from repub.extract.metadata import read_metadata
from repub.extract.original import find_original, registrable_domain, same_site

PAGE = "https://www.example.com/2020/10/story/"


Found = tuple[str | None, str | None, date | None, str]


def ref(url: str | None, outlet: str | None, signal: str, published: date | None = None) -> Found:
    return (url, outlet, published, signal)


def original(head: str = "", body: str = "", url: str = PAGE, text: str = "") -> Found | None:
    tree = LexborHTMLParser(f"<html><head>{head}</head><body>{body}</body></html>")
    found = find_original(tree, url, read_metadata(tree, url), text)
    return None if found is None else (found.url, found.outlet, found.published, found.signal)


def test_registrable_domain_helper() -> None:
    assert registrable_domain("www.bbc.co.uk") == "bbc.co.uk"
    assert registrable_domain("news.bbc.co.uk") == "bbc.co.uk"
    assert registrable_domain("edition.cnn.com") == "cnn.com"
    assert registrable_domain("https://WWW.RT.com:443/op-ed/") == "rt.com"
    assert registrable_domain("smh.com.au") == "smh.com.au"
    assert same_site("https://www.x.com/a", "https://x.com/b")
    assert not same_site("https://x.com/a", "https://y.com/a")


def test_attribution_line_originally_appeared_on() -> None:
    body = """<article><p>Body.</p><p><em>This post originally appeared on
      <a href="https://www.tomdispatch.com/post/176789/">TomDispatch</a>.</em></p></article>"""
    assert original(body=body) == ref(
        url="https://www.tomdispatch.com/post/176789/", outlet="TomDispatch", signal="text-line"
    )


def test_attribution_line_prefers_read_the_original_link_and_keeps_date() -> None:
    body = """<p>This article was originally published by <a href="https://www.commondreams.org/">Common
      Dreams</a> on May 3, 2021. Read the <a href="https://www.commondreams.org/views/2021/05/03/x">original
      article</a>.</p>"""
    assert original(body=body) == ref(
        url="https://www.commondreams.org/views/2021/05/03/x",
        outlet="Common Dreams",
        published=date(2021, 5, 3),
        signal="text-line",
    )


def test_attribution_line_the_conversation() -> None:
    body = """<p>This article is republished from <a href="https://theconversation.com">The Conversation</a>
      under a Creative Commons license. Read the
      <a href="https://theconversation.com/why-bees-matter-148123">original article</a>.</p>
      <img src="https://counter.theconversation.com/content/148123/count.gif?distributor=republish-lightbox">"""
    assert original(body=body) == ref(
        url="https://theconversation.com/why-bees-matter-148123",
        outlet="The Conversation",
        signal="text-line",
    )


def test_attribution_line_host_named_in_text_with_read_it_here_link() -> None:
    body = """<div class="byline">This story was originally published at outlet.com.
      <a href="https://outlet.com/2020/10/22/story">Read it here.</a></div>"""
    assert original(body=body) == ref(
        url="https://outlet.com/2020/10/22/story", outlet="outlet.com", signal="text-line"
    )


def test_attribution_line_without_link_gives_outlet_only() -> None:
    body = "<p>The original source of this article is Global Research</p>"
    assert original(body=body, url="https://www.example.org/a/") == ref(
        url=None, outlet="Global Research", signal="text-line"
    )


def test_go_to_original_with_homepage_and_first_published_outlet() -> None:
    body = '<p>Go to Original – <a href="https://www.rt.com/op-ed/500000-synthetic-slug/">rt.com</a></p>'
    assert original(body=body) == ref(
        url="https://www.rt.com/op-ed/500000-synthetic-slug/", outlet="rt.com", signal="go-to-original"
    )
    first = original(body="<p>First published on Consortium News on 12 March 2019.</p>")
    assert first == ref(
        url=None, outlet="Consortium News", published=date(2019, 3, 12), signal="text-line"
    )


def test_attribution_in_plain_text_from_a_rule_body() -> None:
    found = original(text="Para one.\n\nThis essay originally appeared in Jacobin.")
    assert found == ref(url=None, outlet="Jacobin", signal="text-line")


def test_date_only_lines_name_no_original_but_date_a_canonical() -> None:
    assert original(body="<p>(Originally published November 18, 2023)</p>") is None
    assert original(body="<p>First published on August 24, 2022</p>") is None
    found = original(
        head='<link rel="canonical" href="https://origin.org/a/1">',
        body="<p>First published on August 24, 2022</p>",
    )
    assert found == ref(
        url="https://origin.org/a/1", outlet="origin.org", published=date(2022, 8, 24), signal="canonical"
    )


def test_story_sentences_are_not_attribution_lines() -> None:
    # Real body sentences from the extraction benchmark's pages, reworded.
    body = """<p>The camp, known as <a href="https://www.fmreview.org/x">the Berm</a>, lies near the border.
      It first appeared in 2014, when people gathered there.</p>
      <p>The virus first appeared in West Michigan at the end of August.</p>
      <p>First Published: Tuesday, November 19, 2019 08:38 AM</p>"""
    assert original(body=body) is None


def test_same_site_originally_published_on_is_template_residue() -> None:
    body = '<p>Originally published on <a href="https://example.com/2019/01/old-story/">Example</a>.</p>'
    assert original(body=body) is None
    body = '<p>Originally published on <a href="/2019/01/old-story/">Example News</a>.</p>'
    assert original(body=body) is None
    own_name = '<meta property="og:site_name" content="Global Research">'
    line = "<p>The original source of this article is Global Research</p>"
    assert original(head=own_name, body=line, url="https://www.globalresearch.ca/a/5800000") is None


def test_cross_domain_canonical() -> None:
    head = """<link rel="canonical" href="https://www.nbcnews.com/news/latino/doctors-n1085206">
      <meta property="og:url" content="https://www.example.com/2020/10/story/">"""
    assert original(head=head) == ref(
        url="https://www.nbcnews.com/news/latino/doctors-n1085206", outlet="nbcnews.com", signal="canonical"
    )


def test_self_canonical_forms_are_not_an_original() -> None:
    for href in (
        PAGE,
        "https://example.com/2020/10/story/",  # bare host vs www.: the same site
        "/2020/10/story/",
        "//www.example.com/2020/10/story/",
        "https://www.example.com/2020/10/story/?a=1&amp;amp;b=2",
        "https://www.example.de/2020/10/story/",  # the same brand's country edition (benchmark case)
        "https://www.example.co.uk/2020/10/story/",
    ):
        assert original(head=f'<link rel="canonical" href="{href}">') is None, href


def test_syndication_and_original_source_off_site_only() -> None:
    assert original(head='<meta name="syndication-source" content="https://wire.org/s/1">') == ref(
        url="https://wire.org/s/1", outlet="wire.org", signal="syndication-source"
    )
    assert original(head='<link rel="original-source" href="https://www.origin.org/s/2">') == ref(
        url="https://www.origin.org/s/2", outlet="origin.org", signal="syndication-source"
    )
    assert original(head=f'<meta name="syndication-source" content="{PAGE}">') is None
    assert original(head='<meta name="original-source" content="https://example.com/2020/10/story/">') is None
    assert original(head='<meta name="original-source" content="">') is None


def test_is_based_on() -> None:
    head = '<script type="application/ld+json">{"@type": "NewsArticle", "isBasedOn": "%s"}</script>'
    assert original(head=head % "https://theconversation.com/x-1") == ref(
        url="https://theconversation.com/x-1", outlet="theconversation.com", signal="syndication-source"
    )
    assert original(head=head % PAGE) is None


def test_attribution_line_beats_canonical_to_an_intermediate_syndicator() -> None:
    found = original(
        head='<link rel="canonical" href="https://portal.net/syndicated/1">',
        body='<p>This article originally appeared on <a href="https://first.org/a/9">First Outlet</a>.</p>',
    )
    assert found == ref(url="https://first.org/a/9", outlet="First Outlet", signal="text-line")


def test_lines_in_comments_are_ignored() -> None:
    body = """<div id="comments"><p>This was originally published at
      <a href="https://spam.example.net/post">my blog</a></p></div>"""
    assert original(body=body) is None
