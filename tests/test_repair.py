"""Pre-parse repairs: an unclosed <title> no longer swallows the page."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from repub.extract.repair import close_unclosed_title


def test_unclosed_title_is_closed_at_the_first_tag() -> None:
    page = "<html><head><title>Unclosed title<body><p>First paragraph.</p></body></html>"
    repaired = close_unclosed_title(page)
    assert repaired == "<html><head><title>Unclosed title</title><body><p>First paragraph.</p></body></html>"
    tree = LexborHTMLParser(repaired)
    assert tree.css_first("title").text() == "Unclosed title"
    assert [p.text() for p in tree.css("p")] == ["First paragraph."]


def test_closed_or_missing_titles_are_left_alone() -> None:
    closed = "<html><head><TITLE lang=en>A &lt;b&gt; title</Title ><body><p>x</p></body></html>"
    assert close_unclosed_title(closed) is closed
    no_title = "<html><body><p>No title at all.</p></body></html>"
    assert close_unclosed_title(no_title) is no_title
    text_only = "<title>Only text, never closed, nothing after it"
    assert close_unclosed_title(text_only) is text_only


def test_a_comment_also_ends_an_unclosed_title() -> None:
    page = "<title>Headline <!-- generated --><meta charset=utf-8><p>Body.</p>"
    expected = "<title>Headline </title><!-- generated --><meta charset=utf-8><p>Body.</p>"
    assert close_unclosed_title(page) == expected
