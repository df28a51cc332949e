"""clean_tree: what it removes before body extraction, and what it must keep."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from repub.extract.clean import clean_tree, is_boilerplate_name, jsonld_body, merge_split_body

BODY = "".join(f"<p>Article paragraph number {i} says something long enough to matter.</p>" for i in range(6))


def _text(html: str) -> str:
    tree = LexborHTMLParser(html)
    return tree.body.text(separator=" ") if tree.body else ""


def test_chrome_and_boilerplate_blocks_are_removed_and_paragraphs_kept():
    page = f"""<html><head><title>t</title><script>var x = "SCRIPT";</script></head><body>
    <header class="site-header"><a href="/">SITEHEADER</a></header>
    <nav><a href="/a">NAVLINK</a></nav>
    <div class="breadcrumbs">BREADCRUMB</div>
    <main><article><h1>Title</h1>{BODY}
      <div class="social-share"><a>SHAREBAR</a></div>
      <div class="post-tags"><a>TAGLIST</a></div>
    </article>
    <div class="related-posts"><p>RELATEDPOST teaser text</p></div>
    <div id="comments"><p>COMMENTTEXT by a reader</p></div>
    <div id="disqus_thread">DISQUS</div>
    <div class="newsletter-signup"><p>NEWSLETTER box</p></div>
    </main>
    <aside><p>ASIDETEXT</p></aside>
    <div class="cookie-banner">COOKIEBANNER</div>
    <div role="navigation">ROLENAV</div>
    <footer>SITEFOOTER</footer>
    </body></html>"""
    text = _text(clean_tree(page))
    for gone in ("SCRIPT", "SITEHEADER", "NAVLINK", "BREADCRUMB", "SHAREBAR", "TAGLIST", "RELATEDPOST",
                 "COMMENTTEXT", "DISQUS", "NEWSLETTER", "ASIDETEXT", "COOKIEBANNER", "ROLENAV", "SITEFOOTER"):
        assert gone not in text, gone
    for i in range(6):
        assert f"Article paragraph number {i}" in text
    assert "Title" in text


def test_article_inside_a_share_named_container_is_kept():
    page = f"""<html><body><div class="share-wrapper"><article>{BODY}</article></div>
    <div class="share"><a>SHAREBAR</a></div></body></html>"""
    text = _text(clean_tree(page))
    assert "Article paragraph number 0" in text and "Article paragraph number 5" in text
    assert "SHAREBAR" not in text


def test_word_boundary_class_matching():
    page = f"""<html><body><div class="shared-content">{BODY}</div>
    <div class="sidebar-box"><div class="sharedImage"><p>SHAREDKEPT</p></div></div></body></html>"""
    text = _text(clean_tree(page))
    assert "Article paragraph number 0" in text
    assert "SHAREDKEPT" in text
    assert is_boilerplate_name("social-share")
    assert is_boilerplate_name("btn shareBar")
    assert is_boilerplate_name("entry_tags")
    assert is_boilerplate_name("read-more-links")
    assert not is_boilerplate_name("shared-content")
    assert not is_boilerplate_name("sharedImage")
    assert not is_boilerplate_name("stags commentary")
    assert not is_boilerplate_name("")


def test_footer_inside_article_and_header_with_h1_are_kept():
    page = f"""<html><body><header class="post-header"><h1>THETITLE</h1></header>
    <article>{BODY}<footer>ARTICLEFOOTER</footer></article><footer>SITEFOOTER</footer></body></html>"""
    text = _text(clean_tree(page))
    assert "THETITLE" in text and "ARTICLEFOOTER" in text
    assert "SITEFOOTER" not in text


def test_form_wrapping_the_whole_page_is_kept():
    page = f"""<html><body><form id="aspnetForm"><div class="content">{BODY}</div>
    <form class="search"><input name="q"><p>SEARCHFORM</p></form></form></body></html>"""
    text = _text(clean_tree(page))
    assert "Article paragraph number 3" in text


def test_body_split_by_ads_into_same_class_containers_is_joined_in_order():
    page = """<html><body><div class="body"><p>First part one.</p><p>First part two.</p></div>
    <div class="ad">ADVERT</div><div class="body"><p>Second part one.</p><p>Second part two long.</p></div>
    </body></html>"""
    tree = LexborHTMLParser(clean_tree(page))
    parts = tree.css("div.body")
    assert len(parts) == 1
    assert [p.text() for p in parts[0].css("p")] == [
        "First part one.", "First part two.", "Second part one.", "Second part two long."]


def test_blocks_named_as_comments_stay_on_a_page_without_a_paragraph_body():
    # A live blog or forum thread: its entries are <div>s named as comments, and no <p> body.
    entries = "".join(f'<div class="live-comment"><div class="live-comment-body">Minute {m}: a corner '
                      f"for Lorient, cleared by the defence.</div></div>" for m in range(1, 4))
    page = f"""<html><body><div class="live">{entries}</div><p>Live: Lorient - Lyon</p></body></html>"""
    text = _text(clean_tree(page))
    assert "Minute 2: a corner for Lorient" in text
    # Beside an article's paragraph block, a comments block goes.
    article = f"""<html><body><div class="story">{BODY}</div><div class="comment-list">
    <div class="comment-body">First!</div></div></body></html>"""
    assert "First!" not in _text(clean_tree(article))


def test_same_class_containers_in_other_wrappers_are_not_joined():
    # A layout class ("col-12") names the article's container and those of the page's other blocks:
    # only containers in a parent like the main block's are parts of one split body.
    page = """<html><body><div class="row"><div class="col-12"><p>First part one.</p>
    <p>First part two, the longest paragraph of the page by far.</p></div></div>
    <div class="teasers"><div class="col-12"><p>A teaser of another article.</p></div></div>
    <div class="site-info"><div class="col-12"><p>About the publisher.</p></div></div></body></html>"""
    tree = LexborHTMLParser(page)
    merge_split_body(tree, tree.css_first("div.col-12"))
    assert [p.text() for p in tree.css_first("div.col-12").css("p")] == [
        "First part one.", "First part two, the longest paragraph of the page by far."]
    assert len(tree.css("div.col-12")) == 3


def test_jsonld_body_used_only_when_it_agrees_with_the_page():
    words = " ".join(f"word{i}" for i in range(80))
    page = (f'<html><head><script type="application/ld+json">{{"@type": "NewsArticle", "articleBody": '
            f'"{words}"}}</script></head><body><p>{words}</p></body></html>')
    assert jsonld_body(page) == words
    other = page.replace(f"<p>{words}</p>", "<p>something else entirely</p>")
    assert jsonld_body(other) is None
    assert jsonld_body("<html><body><p>no json-ld</p></body></html>") is None


def test_a_noscript_holding_the_article_is_kept():
    # An unclosed <noscript> at the top of <body> swallows the rest of the page (parsed with scripting
    # off, as trafilatura's lxml parses it too); other <noscript> blocks still go.
    page = f"""<html><body><noscript><div id="nojs"></noscript><div id="page">
    <noscript><p>Please enable JavaScript to see the gallery on this page.</p></noscript>
    <div class="text">{BODY}</div></div></body></html>"""
    text = _text(clean_tree(page))
    assert "Article paragraph number 0" in text and "Article paragraph number 5" in text
    assert "enable JavaScript" not in text
