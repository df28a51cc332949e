"""The generic extractor: trafilatura body joined by blank lines, metadata, lead image and credit."""

from __future__ import annotations

from datetime import UTC, datetime

from selectolax.lexbor import LexborHTMLParser

from repub.extract.generic import (
    dom_tags,
    extract_generic,
    lead_image,
    split_credit,
    trim_end_matter,
)
from repub.extract.metadata import read_metadata
from repub.extract.types import LeadImage
from repub.hosts import bare_host

URL = "https://www.example-news.com/2020/10/26/alliance/"
P1 = "Russia and China have no formal military alliance, yet their militaries train together more each year."
P2 = "Analysts in Moscow and Beijing describe the relationship as a partnership that stops short of a pact."
P3 = "Western capitals, meanwhile, debate whether the distinction matters for their own defence planning."

PAGE = f"""<!doctype html><html lang="en-US"><head>
<title>Is an alliance coming? | Example News</title>
<meta property="og:site_name" content="Example News">
<meta property="og:image" content="https://www.example-news.com/uploads/2020/10/lead.jpg">
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "Is an alliance coming?",
  "author": {{"@type": "Person", "name": "Tom Fowdy"}}, "datePublished": "2020-10-26T08:00:00Z",
  "keywords": "Russia, China"}}</script>
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world/">World</a></li>
<li><a href="/about/">About us</a></li></ul></nav></header>
<main><article>
<h1>Is an alliance coming?</h1>
<figure class="wp-caption"><img src="https://www.example-news.com/uploads/2020/10/lead-1024x576.jpg" alt="">
<figcaption class="wp-caption-text">Soldiers at a joint exercise. © Sputnik / Ramil Sitdikov</figcaption>
</figure>
<p>{P1}</p>
<p>{P2}</p>
<p>{P3}</p>
<div class="share">Share this article: <a href="https://twitter.com/share">Twitter</a>
<a href="https://facebook.com/share">Facebook</a></div>
</article>
<section id="comments" class="comments"><h3>3 comments</h3>
<div class="comment"><p>Great article, I completely agree with every word of this analysis of the region.</p>
</div>
</section>
</main>
<footer><p>Copyright 2020 Example News. All rights reserved. Privacy policy. Terms of use.</p></footer>
</body></html>"""


def generic(html: str = PAGE, url: str = URL):
    tree = LexborHTMLParser(html)
    return extract_generic(html, tree, url, read_metadata(tree, url))


def test_generic_fields() -> None:
    got = generic()
    assert got.url == URL
    assert got.site == "example-news.com"
    assert got.extractor == "generic"
    assert got.title == "Is an alliance coming?"
    assert got.authors == ["Tom Fowdy"]
    assert got.published == datetime(2020, 10, 26, 8, 0, tzinfo=UTC)
    assert got.language == "en"
    assert got.tags == ["Russia", "China"]
    assert got.lead_image == LeadImage(
        url="https://www.example-news.com/uploads/2020/10/lead.jpg",
        caption="Soldiers at a joint exercise.",
        credit="Sputnik / Ramil Sitdikov",
    )
    assert got.original is None


def test_body_paragraphs_separated_by_one_blank_line_without_boilerplate() -> None:
    body = generic().body_text
    assert body == f"{P1}\n\n{P2}\n\n{P3}"
    for junk in ("Home", "Share this article", "Great article", "Copyright 2020", "Soldiers at"):
        assert junk not in body


def test_body_falls_back_to_jsonld_article_body() -> None:
    html = """<html><head><script type="application/ld+json">{"@type": "Article", "headline": "H",
      "articleBody": "One.\\nTwo."}</script></head><body></body></html>"""
    assert generic(html).body_text == "One.\n\nTwo."


def test_site_key_is_the_bare_host() -> None:
    assert bare_host("https://www.rt.com/op-ed/1/") == "rt.com"
    assert bare_host("https://news.example.co.uk/a") == "news.example.co.uk"


def test_split_credit_forms() -> None:
    assert split_credit("Protesters in Paris. © Reuters / X Y") == ("Protesters in Paris.", "Reuters / X Y")
    assert split_credit("A cat on a roof (Photo: Jane Doe)") == ("A cat on a roof", "Jane Doe")
    assert split_credit("A cat on a roof. Photo: AFP") == ("A cat on a roof.", "AFP")
    assert split_credit("A cat. Credit: Getty Images") == ("A cat.", "Getty Images")
    assert split_credit("A cat. Image: Wikimedia Commons") == ("A cat.", "Wikimedia Commons")
    assert split_credit("©Sputnik") == (None, "Sputnik")
    assert split_credit("Leaders at the summit. (NATO, Flickr, CC BY-NC-ND 2.0)") == (
        "Leaders at the summit.",
        "NATO, Flickr, CC BY-NC-ND 2.0",
    )
    assert split_credit("A rally in Lyon (France)") == ("A rally in Lyon (France)", None)
    assert split_credit("A cat on a roof") == ("A cat on a roof", None)


def test_lead_image_credit_element_and_lazy_src() -> None:
    html = """<html><body><article><figure>
      <img src="data:image/png;base64,AAAA" data-src="https://cdn.x.org/files/xxs/pic.jpg">
      <figcaption>Crowds at the rally <span class="credit">© Getty Images / Guy Smallman</span></figcaption>
      </figure></article></body></html>"""
    tree = LexborHTMLParser(html)
    caption, credit = "Crowds at the rally", "Getty Images / Guy Smallman"
    # The og:image's size directory differs from the figure's ("l" vs "xxs"): same file, same figure.
    assert lead_image(tree, URL, "https://cdn.x.org/files/l/pic.jpg") == LeadImage(
        url="https://cdn.x.org/files/l/pic.jpg", caption=caption, credit=credit
    )
    # No og:image: the article's first figure gives the image, never the data: placeholder.
    assert lead_image(tree, URL, None) == LeadImage(
        url="https://cdn.x.org/files/xxs/pic.jpg", caption=caption, credit=credit
    )
    # An og:image no figure shows: the URL alone.
    assert lead_image(tree, URL, "https://cdn.x.org/other.jpg") == LeadImage(url="https://cdn.x.org/other.jpg")
    assert lead_image(LexborHTMLParser("<html><body><p>x</p></body></html>"), URL, None) is None


def test_trim_end_matter_drops_notes_about_the_article() -> None:
    body = "\n\n".join(
        [
            "The summit avoided the hard questions, writes Joe Lauria.",
            "First real paragraph.",
            "Last real paragraph.",
            "Joe Lauria is editor-in-chief of Consortium News.",
            "Views expressed in this article may or may not reflect those of Consortium News.",
            "Reporting by Poppy McPherson; Editing by Someone Else",
            "This article is republished from The Conversation under a Creative Commons license.",
        ]
    )
    assert trim_end_matter(body, ["Joe Lauria"]) == "First real paragraph.\n\nLast real paragraph."
    # Without a known author, a deck and a bio are ordinary paragraphs.
    assert trim_end_matter("A, writes B C.\n\nText.\n\nB C is a writer.", []) == (
        "A, writes B C.\n\nText.\n\nB C is a writer."
    )
    assert trim_end_matter("", ["X Y"]) == ""


def test_byline_is_the_innermost_element_naming_the_authors() -> None:
    html = """<html><body><h1>Refugees fear being forgotten</h1>
      <div class="BylineBar_first-container"><div class="BylineBar_byline">
      <a href="/j/p">Poppy McPherson</a>, <a href="/j/r">Ruma Paul</a></div><div>5 Min Read</div></div>
      <div class="author-bio byline-bio">Poppy McPherson is a correspondent.</div></body></html>"""
    meta = read_metadata(LexborHTMLParser(html), URL, guess_date=False)
    assert meta.byline == "Poppy McPherson, Ruma Paul"
    assert meta.authors == ["Poppy McPherson", "Ruma Paul"]
    assert read_metadata(LexborHTMLParser("<p>no byline</p>"), URL, guess_date=False).byline is None


def test_dom_tags_skip_wordpress_category_links() -> None:
    html = """<html><body><a rel="category tag" href="/category/env/">Environment</a>
      <div class="article__tags">Tags: <a href="/tag/energy">Energy</a> <a href="/tag/e2">energy</a>
      <a href="/tag/climate">Climate Crisis</a></div></body></html>"""
    assert dom_tags(LexborHTMLParser(html)) == ["Energy", "Climate Crisis"]
    rel = '<a rel="tag" href="/t/a">Alpha</a><a rel="category tag" href="/c/b">Beta</a>'
    assert dom_tags(LexborHTMLParser(rel)) == ["Alpha"]


def test_trim_end_matter_drops_calls_to_follow_and_page_stamps_at_the_end() -> None:
    # Closing lines of real pages (trafilatura's snippet set): a call to follow or subscribe, a stamp.
    notices = [
        "Follow The Gleaner on Twitter and Instagram @JamaicaGleaner and on Facebook @GleanerJamaica.",
        "For the latest stories and breaking news updates download the Nationnews apps for iOS and Android.",
        "¿Ya sabías que en Guatemala.com tenemos canal de Telegram? Únete desde tu celular en este enlace.",
        "Letzte Änderung 14.02.2019",
    ]
    story = "The council voted to close the bridge.\n\nEngineers will inspect it in June."
    assert trim_end_matter("\n\n".join([story, *notices]), []) == story
    # Kept: a notice before the last paragraph, a long paragraph, a channel named without a call, a
    # copyright line (evidence of where a copy comes from), a sentence that is not a stamp.
    kept = [
        "Subscribe to our newsletter.\n\nThe trial opens on Monday.",
        "Follow us on Twitter. " + "The council will meet again next week to decide. " * 6,
        "The video spread on Facebook and Instagram within hours.",
        "© 2019 Associated Press. All Rights Reserved.",
        "Last year's budget was 4 million.",
    ]
    for body in kept:
        assert trim_end_matter(body, []) == body, body
