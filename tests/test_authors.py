"""Who wrote a page (repub.extract.authors): the sources, their order of trust, what is not a byline."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from repub.extract import extract
from repub.extract.metadata import read_metadata

URL = "https://www.example-news.com/2024/04/23/council/"
TEXT = " ".join(["The council met on Tuesday and voted on the budget for the coming year."] * 5)


def meta_of(body: str, head: str = "", lang: str = "en") -> object:
    html = f"<html lang='{lang}'><head><title>Council votes</title>{head}</head><body>{body}</body></html>"
    return read_metadata(LexborHTMLParser(html), URL, guess_date=False)


def test_jsonld_people_come_first_and_an_organization_author_is_a_credit() -> None:
    head = """<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Council votes",
      "author": [{"@type": "Person", "name": "Jane Doe"}, {"@type": "Organization", "name": "AFP"}]}</script>
      <meta name="author" content="Someone Else">"""
    meta = meta_of("<h1>Council votes</h1><p class='byline'>By Jane Doe</p>", head)
    assert (meta.authors, meta.credits, meta.byline) == (["Jane Doe"], ["AFP"], "By Jane Doe")


def test_without_people_only_the_credits_and_the_printed_byline_are_read() -> None:
    # what a site rule that read the byline itself asks for (repub.extract.article._extract): the same credits
    # and byline, no person, desk or site signature
    head = """<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Council votes",
      "author": [{"@type": "Person", "name": "Jane Doe"},
                 {"@type": "Organization", "name": "AFP"}]}</script>"""
    body = "<h1>Council votes</h1><p class='byline'>By Jane Doe</p>"
    html = f"<html><head>{head}</head><body>{body}</body></html>"
    meta = read_metadata(LexborHTMLParser(html), URL, guess_date=False, people=False)
    assert (meta.authors, meta.credits, meta.byline) == ([], ["AFP"], "By Jane Doe")
    signed = "<h1>Council votes</h1><p>Text.</p><p class='author'>Redaktion Gelbe Liste</p>"
    html = f"<html><head></head><body>{signed}</body></html>"
    full = read_metadata(LexborHTMLParser(html), URL, guess_date=False)
    bare = read_metadata(LexborHTMLParser(html), URL, guess_date=False, people=False)
    assert (full.org_authors, bare.org_authors, bare.site_signs, bare.authors) == (
        ["Redaktion Gelbe Liste"], [], False, [])


def test_the_byline_after_the_headline_not_in_comments_teasers_or_an_author_box() -> None:
    body = """<div class="teaser"><span class="author">By Teaser Writer</span></div>
      <article><h1>Council votes</h1><div class="post-meta"><span class="author vcard">
      <a class="fn" href="/author/mara">Mara Lind</a></span></div><p>Text.</p>
      <div class="author-box">About Other Person</div></article>
      <ol class="comment-list"><li><div class="comment-author vcard">Commenter Name says:</div></li></ol>"""
    assert meta_of(body).authors == ["Mara Lind"]


def test_names_side_by_side_in_separate_elements() -> None:
    body = """<h1>Council votes</h1><div class="article-authors">
      <a href="/autor/volkmar-kabisch">Volkmar Kabisch</a><a href="/autor/jan-strozyk">Jan Lukas Strozyk</a>
      </div>"""
    assert meta_of(body).authors == ["Volkmar Kabisch", "Jan Lukas Strozyk"]


def test_the_byline_as_printed_not_the_buttons_and_dates_around_it() -> None:
    body = """<h1>Council votes</h1><div class="article-byline">
      <button>Bookmark</button><button>Share</button><span class="byline__name">By Sophie Foster</span>
      <time>11:58, 23 APR 2024</time>
      <button>Bookmark</button></div>"""
    meta = meta_of(body)
    assert (meta.authors, meta.byline) == (["Sophie Foster"], "By Sophie Foster")


def test_a_date_alone_is_no_byline() -> None:
    meta = meta_of("<h1>Council votes</h1><p class='byline'>23 April 2024, 11:58</p>")
    assert (meta.authors, meta.byline) == ([], None)


def test_a_line_after_the_headline_that_begins_with_a_byline_word_of_the_pages_language() -> None:
    body = "<h1>Council votes</h1><p>Von Max Muster und Eva Beispiel</p><p>Text.</p>"
    assert meta_of(body, lang="de").authors == ["Max Muster", "Eva Beispiel"]
    assert meta_of(body, lang="en").authors == []  # "Von" opens no English byline


def test_the_body_dateline_credits_the_agency_and_a_closing_byline_names_the_author() -> None:
    html = f"""<html lang="de"><head><title>Rat beschließt Haushalt</title></head><body><article>
      <h1>Rat beschließt Haushalt</h1><p>Berlin (dpa) - {TEXT}</p><p>{TEXT}</p><p>Von Cosima Künzel</p>
      </article></body></html>"""
    got = extract(html, URL)
    assert (got.authors, got.credits) == (["Cosima Künzel"], ["dpa"])


def test_the_pages_own_outlet_is_no_credit() -> None:
    html = f"""<html><head><title>Markets rise</title></head><body><article><h1>Markets rise</h1>
      <p class="byline">By Jane Doe, Reuters</p><p>LONDON (Reuters) - {TEXT}</p></article></body></html>"""
    assert extract(html, "https://www.reuters.com/markets/x").credits == []
    assert extract(html, URL).credits == ["Reuters"]


def test_a_desk_signs_the_page_only_when_no_person_does() -> None:
    head = """<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Council votes",
      "author": {"@type": "Organization", "name": "Redaktion Gelbe Liste"}}</script>"""
    meta = meta_of("<h1>Council votes</h1><p>Text.</p>", head)
    assert (meta.authors, meta.org_authors, meta.credits) == ([], ["Redaktion Gelbe Liste"], [])
    # the publisher named again as the author is no desk
    head = head.replace("Redaktion Gelbe Liste", "Example News")
    assert meta_of("<h1>Council votes</h1><p>Text.</p>", head).org_authors == []
    # a person in the byline beats the desk in the metadata
    meta = meta_of("<h1>Council votes</h1><p class='byline'>By Jane Doe</p>",
                   '<meta name="author" content="Newsdesk">')
    assert (meta.authors, meta.org_authors) == (["Jane Doe"], [])
    meta = meta_of("<h1>Council votes</h1><p class='byline'>By Staff Writer</p>")
    assert (meta.authors, meta.org_authors, meta.byline) == ([], ["Staff Writer"], "By Staff Writer")


def test_a_closing_credit_the_body_left_out_is_read_after_its_last_paragraph() -> None:
    body = f"""<article><h1>Council votes</h1><div class="text"><p>{TEXT}</p><p>{TEXT} Last words.</p></div>
      <div class="more">Read also: <a href="/other">Another story</a></div>
      <div class="credit">(<abbr>KNA</abbr>, <abbr>DR</abbr>)</div></article>"""
    html = f"<html lang='de'><head><title>Council votes</title></head><body>{body}</body></html>"
    assert extract(html, URL).credits == ["KNA"]
    # an agency named in the text, not in a closing credit, credits nobody
    html = html.replace("(<abbr>KNA</abbr>, <abbr>DR</abbr>)", "Mehr bei der KNA im Netz")
    assert extract(html, URL).credits == []


def test_a_name_alone_closing_the_body_signs_it_and_a_credit_or_a_label_does_not() -> None:
    from repub.extract.authors import names_in_body

    paragraphs = [TEXT, TEXT, TEXT]
    signed = "\n\n".join([*paragraphs, "Stefan Wasmer"])
    assert names_in_body(signed, "de").people == ["Stefan Wasmer"]
    assert names_in_body("\n\n".join([*paragraphs, "Euer HansEhrlich"]), "de").people == ["HansEhrlich"]
    for last in ("Copyright: Gisele Wender", "Mehr zum Thema", "Presse Augsburg", "Foto Jane Doe",
                 "Stefan", "The council met again on Friday"):
        assert names_in_body("\n\n".join([*paragraphs, last]), "de").people == [], last
    # a body of two paragraphs is too short to tell a signature from a caption or a list's last line
    assert names_in_body(f"{TEXT}\n\nStefan Wasmer", "de").people == []
    # hostile last lines: dots before a digit, separators doubled (an earlier pattern backtracked for
    # minutes on the first), initials with and without spaces
    for last, people in (("A" + "." * 38 + "1", []), ("J.R. Stone", ["J.R. Stone"]),
                         ("Anne-Marie O’Neil", ["Anne-Marie O’Neil"]), ("Jane -- Doe", [])):
        assert names_in_body("\n\n".join([*paragraphs, last]), "de").people == people, last


def test_yoasts_written_by_card_names_the_author_unless_the_page_calls_it_an_organization() -> None:
    card = """<meta name="twitter:label1" content="Verfasst von"><meta name="twitter:data1" content="{who}">
      <meta name="twitter:label2" content="Geschätzte Lesezeit">
      <meta name="twitter:data2" content="2 Minuten">"""
    meta = meta_of("<h1>Council votes</h1><p>Text.</p>", card.format(who="Karoline Herr"), lang="de")
    assert (meta.authors, meta.org_authors) == (["Karoline Herr"], [])
    # "Geschätzte Lesezeit" is no byline label: its data ("2 Minuten") names nobody
    only_time = card.replace("Verfasst von", "Est. reading time").format(who="Karoline Herr")
    assert meta_of("<h1>Council votes</h1>", only_time, lang="de").authors == []
    org = """<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Council votes",
      "author": [{"@type": "Organization", "name": "OÖ Volksblatt"}]}</script>"""
    meta = meta_of("<h1>Council votes</h1>", org + card.format(who="OÖ Volksblatt"), lang="de")
    assert (meta.authors, meta.org_authors) == ([], [])


def test_a_cms_login_declared_as_a_persons_name_is_read_as_the_name() -> None:
    person = """<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "Council votes",
      "author": {{"@type": "{kind}", "name": "{name}"}}}}</script>"""
    assert meta_of("<h1>Council votes</h1>", person.format(kind="Person", name="robert.stitz")).authors == [
        "Robert Stitz"
    ]
    # a domain name is no login, and an Organization's name is not a person's
    for kind, name in (("Person", "correctiv.org"), ("Organization", "robert.stitz")):
        assert meta_of("<h1>Council votes</h1>", person.format(kind=kind, name=name)).authors == []


def test_an_element_whose_test_id_marks_it_as_the_byline() -> None:
    body = """<h1>Council votes</h1><div data-testid="prism-byline"><span>By</span><span>
      <a href="/about/newsteam/jr-stone">J.R. Stone</a></span>
      <span>Wednesday, November 8, 2023</span></div>"""
    meta = meta_of(body)
    assert (meta.authors, meta.byline) == (["J.R. Stone"], "By J.R. Stone")


def test_a_dated_line_just_above_the_headline_names_the_author() -> None:
    body = """<nav><a href="/">Home</a></nav><div><small>04.02.2022 | 13:10 Uhr | Uta Helkenberg</small>
      <h1>Council votes</h1><p>Text.</p></div>"""
    meta = meta_of(body, lang="de")
    assert (meta.authors, meta.byline) == (["Uta Helkenberg"], "04.02.2022 | 13:10 Uhr | Uta Helkenberg")
    # a date alone above the headline names nobody; a line of two names is no byline
    assert meta_of("<div><small>04.02.2022</small><h1>Council votes</h1></div>", lang="de").authors == []
    two = "<div><small>04.02.2022 | Uta Helkenberg | Max Muster</small><h1>Council votes</h1></div>"
    assert meta_of(two, lang="de").authors == []


def test_a_byline_word_after_a_date_opens_a_byline_line() -> None:
    body = "<h1>Council votes</h1><p>05.02.2020 <span>- Redaktion: Eberhard Fuhr (Pressesprecher)</span></p>"
    meta = meta_of(body, lang="de")
    assert (meta.authors, meta.byline) == (["Eberhard Fuhr"], "05.02.2020 - Redaktion: Eberhard Fuhr")
    assert meta_of("<h1>Council votes</h1><p>06.11.2023 13:30 von Olga</p>", lang="de").authors == ["Olga"]
    # a run of labels after the name is not a name
    labels = "<h1>Council votes</h1><p>08/08/2017 durch Stephan Markus Keine Kommentare Beliebte</p>"
    assert meta_of(labels, lang="de").authors == []


def test_a_creative_commons_licence_names_the_author_when_nothing_else_does() -> None:
    licence = """<aside class="sidebar-widget"><div class="textwidget"><span>Ein Hundetagebuch</span> von
      <a href="https://1hundetagebuch.wordpress.com/" rel="cc:attributionURL">Donald Townsend</a> steht unter
      einer <a rel="license" href="https://creativecommons.org/licenses/by/3.0/">Lizenz</a></div></aside>"""
    assert meta_of("<h1>Council votes</h1><p>Text.</p>" + licence, lang="de").authors == ["Donald Townsend"]
    signed = "<h1>Council votes</h1><p class='byline'>Von Max Muster</p>" + licence
    assert meta_of(signed, lang="de").authors == ["Max Muster"]  # the page's byline comes first


def test_a_byline_that_names_the_site_itself_makes_the_site_sign_its_page() -> None:
    site = '<meta property="og:site_name" content="AUTO ZEITUNG">'
    signed = "<h1>Council votes</h1><p class='author'>von AUTO ZEITUNG</p><p>Text.</p>"
    meta = meta_of(signed, site, lang="de")
    assert (meta.authors, meta.org_authors, meta.credits) == ([], ["AUTO ZEITUNG"], [])
    # a person anywhere in the sources comes first, even in a later byline element
    both = "<h1>Council votes</h1><p class='author'>von AUTO ZEITUNG</p><p class='byline'>Von Max Muster</p>"
    assert (meta_of(both, site, lang="de").authors, meta_of(both, site, lang="de").org_authors) == (
        ["Max Muster"], []
    )
    meta = meta_of(both.replace("Von Max Muster", "Von Redaktion"), site, lang="de")
    assert (meta.authors, meta.org_authors) == ([], ["Redaktion"])  # the site's desk, by its name


def test_the_body_closing_byline_beats_a_site_that_signs_its_page() -> None:
    html = f"""<html lang="de"><head><title>Council votes</title>
      <meta property="og:site_name" content="AUTO ZEITUNG"></head><body><article><h1>Council votes</h1>
      <p class="author">von AUTO ZEITUNG</p><p>{TEXT}</p><p>{TEXT}</p><p>Von Max Muster</p>
      </article></body></html>"""
    result = extract(html, URL)
    assert (result.authors, result.org_authors) == (["Max Muster"], [])


def test_a_closing_line_naming_the_own_outlet_first_credits_no_agency() -> None:
    from repub.extract.authors import names_in_body

    body = "\n\n".join([TEXT, TEXT, "Die Zyste könne sich jederzeit neu bilden, hieß es. (FR mit dpa)"])
    assert names_in_body(body, "de", url="https://www.fr.de/politik/kim-13680734.html").credits == []
    # on another site, or with the agency first, the agency is credited
    elsewhere = names_in_body(body, "de", url="https://www.example-news.com/a/")
    assert elsewhere.credits == ["Frankfurter Rundschau", "dpa"]
    agency_first = names_in_body(body.replace("(FR mit dpa)", "(dpa/FR)"), "de", url="https://www.fr.de/a/")
    assert agency_first.credits == ["dpa", "Frankfurter Rundschau"]
    signed = "\n\n".join([TEXT, TEXT, "FMW/Bloomberg"])
    assert names_in_body(signed, "de", url="https://finanzmarktwelt.de/signa-289554/").credits == []
    assert names_in_body(signed, "de").credits == ["Finanzmarktwelt", "Bloomberg"]


def test_a_labelled_line_names_the_author_when_nothing_else_does() -> None:
    body = f"""<article><h1>Council votes</h1><p>{TEXT}</p><p>{TEXT}</p>
      <p><strong>Autorin: Uta Staschewski, Projektleiterin der HSS in Tunesien.</strong></p></article>"""
    assert meta_of(body, lang="de").authors == ["Uta Staschewski"]
    split = f"""<article><h1>Council votes</h1><p>{TEXT}</p>
      <p>{TEXT}<br><strong>Text:</strong> Klausmartin Friedrich</p>
      <p><strong>Fotos: </strong>Helmut Elstrodt, Frank Jäger</p></article>"""
    assert meta_of(split, lang="de").authors == ["Klausmartin Friedrich"]


def test_a_labelled_line_in_comments_or_a_data_sheet_names_nobody() -> None:
    comments = f"""<article><h1>Council votes</h1><p>{TEXT}</p><p>{TEXT}</p></article>
      <div class="comments"><p>Autor: Paul Leser</p></div>"""
    assert meta_of(comments, lang="de").authors == []
    sheet = f"""<article><h1>Council votes</h1><p>{TEXT}</p><p>{TEXT}</p>
      <div>Titel: The Casquette Girls</div><div>Seiten: 400 Seiten</div>
      <div><u>Autorin: </u>Alys Arden</div><div>Verlag: fortheARTofit</div></article>"""
    assert meta_of(sheet, lang="de").authors == []


def test_the_site_named_as_the_declared_author_signs_as_the_site() -> None:
    head = """<meta property="og:site_name" content="Deutscher Tennis Bund">
      <meta name="author" content="Deutscher Tennis Bund">"""
    meta = meta_of(f"<h1>Council votes</h1><p>{TEXT}</p>", head, lang="de")
    assert (meta.authors, meta.org_authors, meta.site_signs) == ([], ["Deutscher Tennis Bund"], True)
    person = head + (
        '<meta name="twitter:label1" content="Written by"><meta name="twitter:data1" content="Jane Doe">'
    )
    meta = meta_of(f"<h1>Council votes</h1><p>{TEXT}</p>", person, lang="de")
    assert (meta.authors, meta.org_authors, meta.site_signs) == (["Jane Doe"], [], False)


def test_the_site_signs_no_agency_copy() -> None:
    head = """<meta property="og:site_name" content="Automobilwoche">
      <meta name="author" content="Automobilwoche">"""
    html = f"""<html lang="de"><head><title>Council votes</title>{head}</head><body><article>
      <h1>Council votes</h1><p>Berlin (dpa) - {TEXT}</p><p>{TEXT}</p></article></body></html>"""
    got = extract(html, "https://www.automobilwoche.de/article/20211103/x")
    assert (got.authors, got.org_authors, got.credits) == ([], [], ["dpa"])


def test_twitter_card_written_by_in_its_first_markup_value_not_content() -> None:
    head = '<meta name="twitter:label1" value="Written by"><meta name="twitter:data1" value="Joachim Schork">'
    assert meta_of(f"<h1>Council votes</h1><p>{TEXT}</p>", head).authors == ["Joachim Schork"]


def test_a_labelled_line_with_another_label_is_a_data_sheet() -> None:
    body = f"""<article><h1>Council votes</h1><p>{TEXT}</p><p>{TEXT}</p><ul><li>Nutze die Fähigkeit.</li>
      <li>Autor: Fabian Dittmann; Ilustrator: Adriaan Prent</li></ul></article>"""
    assert meta_of(body, lang="de").authors == []


def test_the_post_authors_own_comment_names_the_author_when_nothing_else_does() -> None:
    comments = """<ol class="commentlist"><li class="comment byuser comment-author-reader">
      <cite class="fn">Paula Leser</cite><p>Great post.</p></li>
      <li class="comment byuser comment-author-jdoe bypostauthor"><div class="comment-author vcard">
      <cite class="fn">Jane Doe</cite> <a class="comment-reply-link">Antworten</a></div>
      <p>Thanks!</p></li></ol>"""
    body = f"<article><h1>Council votes</h1><p>{TEXT}</p><p>{TEXT}</p></article>{comments}"
    assert meta_of(body).authors == ["Jane Doe"]
    admin = body.replace("Jane Doe", "admin")
    assert meta_of(admin).authors == []


def test_a_reply_button_beside_a_name_is_no_part_of_it() -> None:
    body = f"""<article><h1>Council votes</h1><p>{TEXT}</p><p>{TEXT}</p></article>
      <li class="comment bypostauthor"><span class="author">Antworten MoritzMeyer</span></li>"""
    assert meta_of(body, lang="de").authors == ["MoritzMeyer"]
