"""The edges of a generic body (repub.extract.edges), on small pages written to show each rule."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from repub.extract.edges import (
    LEAD_MIN_WORDS,
    PageText,
    drop_read_also,
    fix_start,
    name_words,
    stopped_at_caption,
)

P1 = "The council voted on Tuesday to close the old bridge to cars from the first of June next year."
P2 = "Cyclists and pedestrians will keep using it while engineers decide whether it can be repaired."
LEAD = (
    "After two years of inspections and a petition signed by four thousand residents, the town has decided "
    "that the bridge built in 1911 can no longer carry traffic, and it is looking for the money to save it."
)


def page(body_html: str) -> PageText:
    return PageText(LexborHTMLParser(f"<html><body>{body_html}</body></html>").root)


def test_lead_paragraph_named_as_such_is_put_before_the_body():
    assert len(LEAD.split()) >= LEAD_MIN_WORDS
    html = f"""<article><h1>Old bridge closes to cars</h1><div class="article-meta">By Ann Lee</div>
    <div class="teaser-text"><p>{LEAD}</p></div><figure><img src="b.jpg"><figcaption>The bridge in May,
    photographed from the river bank by a reader of ours.</figcaption></figure>
    <div class="article-body"><p>{P1}</p><p>{P2}</p></div></article>"""
    assert fix_start(page(html), f"{P1}\n\n{P2}", "Old bridge closes to cars") == f"{LEAD}\n\n{P1}\n\n{P2}"


def test_unnamed_or_short_or_caption_blocks_are_not_leads():
    short = "The bridge closes to cars from June, the council decided on Tuesday."
    html = f"""<article><h1>Old bridge closes to cars</h1>
    <div class="intro"><p>{short}</p></div>
    <div class="box"><p>{LEAD}</p></div>
    <div class="lead-image-caption"><p>{LEAD.replace("town", "city")}</p></div>
    <div class="article-body"><p>{P1}</p><p>{P2}</p></div></article>"""
    assert fix_start(page(html), f"{P1}\n\n{P2}", "Old bridge closes to cars") == f"{P1}\n\n{P2}"


def test_no_lead_without_a_title_before_the_body():
    html = f"""<div class="teaser-text"><p>{LEAD}</p></div><div><p>{P1}</p><p>{P2}</p></div>"""
    assert fix_start(page(html), f"{P1}\n\n{P2}", "Old bridge closes to cars") == f"{P1}\n\n{P2}"


def test_a_drop_cap_in_its_own_element_is_put_back():
    html = f"""<h1>Bridge</h1><div><span class="cap">T</span><p>{P1[1:]}</p><p>{P2}</p></div>"""
    assert fix_start(page(html), f"{P1[1:]}\n\n{P2}", "Bridge") == f"{P1}\n\n{P2}"


def test_breadcrumbs_and_link_lines_before_the_first_paragraph_are_dropped():
    html = f"""<div><a href="/">Accueil</a> &gt; <a href="/actu">Actualités</a> &gt; Old bridge</div>
    <p><a href="/travel">Travel</a> | <a href="/green">Sustainable Travel</a></p>
    <p>{P1}</p><p>{P2}</p>"""
    body = f"Accueil > Actualités > Old bridge\n\nTravel | Sustainable Travel\n\n{P1}\n\n{P2}"
    assert fix_start(page(html), body, None) == f"{P1}\n\n{P2}"


def test_read_also_lines_labels_with_their_links_and_image_credits_are_dropped():
    html = f"""<p>{P1}</p><p>Read more: <a href="/x">Town buys new buses</a></p><p>{P2}</p>
    <h3>Lesen Sie auch</h3><a href="/a">Brücke gesperrt</a><a href="/b">Neue Buslinie</a>
    <p>Foto: MDR/Bernd Cramer</p>"""
    body = (f"{P1}\n\nRead more: Town buys new buses\n\n{P2}\n\nLesen Sie auch\n\nBrücke gesperrt\n\n"
            "Neue Buslinie\n\nFoto: MDR/Bernd Cramer")
    p = page(html)
    assert drop_read_also(p, body) == f"{P1}\n\n{P2}"
    # a sentence that begins like a label stays
    sentence = "Read more about the bridge in the council's report, which runs to two hundred pages."
    assert drop_read_also(p, f"{P1}\n\n{sentence}") == f"{P1}\n\n{sentence}"


def test_a_related_label_takes_the_teasers_of_its_own_container_with_it():
    teaser = "Optimism is a choice we make every morning, and it shapes every decision of the day ahead."
    html = f"""<article><h1>Bridge</h1><p>{P1}</p><p>{P2}</p></article>
    <article class="box"><h3 class="relatedpoststitle">You may also like...</h3>
    <article><p>{teaser}</p></article><article><p>{teaser.upper()}</p></article></article>"""
    body = f"{P1}\n\n{P2}\n\nYou may also like...\n\n{teaser}\n\n{teaser.upper()}"
    assert drop_read_also(page(html), body) == f"{P1}\n\n{P2}"


def test_stopped_at_caption_needs_a_caption_then_prose():
    more = "The repairs would cost four million euros, more than the town spends on roads in a decade."
    html = f"""<div><p>{P1}</p><figure><img src="a.jpg"><figcaption>The bridge in 1911</figcaption></figure>
    <p>{P2} {more}</p><p>{more} {P2}</p></div>"""
    assert stopped_at_caption(page(html), P1)
    assert not stopped_at_caption(page(html), f"{P1}\n\n{P2} {more}\n\n{more} {P2}")
    no_caption = f"<div><p>{P1}</p><p>{P2} {more}</p><p>{more} {P2}</p></div>"
    assert not stopped_at_caption(page(no_caption), P1)


def test_class_names_split_into_words():
    assert name_words("article-header__leadText tb-article-intro") == [
        "article", "header", "lead", "text", "tb", "article", "intro",
    ]


def test_a_srcset_width_in_superscript_digits_is_no_width() -> None:
    """``1²w``: str.isdigit() took it and float() raised ValueError, losing the page's extraction."""
    from repub.extract.textutil import largest_in_srcset

    assert largest_in_srcset("a.jpg 1\u00b2w, b.jpg 300w") == "b.jpg"
