"""The original of a copy and the evidence for it: each kind of evidence, and the look-alikes that are not.

Pages here are small synthetic ones, one per rule; fixtures/real/ holds the real pages each fault was
seen on (tests/test_real_pages.py).
"""

from __future__ import annotations

from datetime import date

import pytest
from selectolax.lexbor import LexborHTMLParser

from repub.evidence import Evidence
from repub.extract.metadata import read_metadata
from repub.extract.original import find_original
from repub.extract.provenance import Site, is_article_url, mirror_of, same_outlet, valid_url
from repub.extract.types import OriginalRef

PAGE = "https://www.example.com/2020/10/story/"


def original(head: str = "", body: str = "", url: str = PAGE, text: str = "", credits: tuple[str, ...] = (),
             byline: str | None = None) -> OriginalRef | None:
    tree = LexborHTMLParser(f"<html><head>{head}</head><body>{body}</body></html>")
    return find_original(tree, url, read_metadata(tree, url, guess_date=False), text, credits, byline)


def kinds(found: OriginalRef | None) -> list[str]:
    return [e.kind for e in found.evidence] if found else []


# -- whose site: evidence, never a shared label --------------------------------------------------------


def test_same_outlet_by_registrable_domain_and_outlets_data_never_by_a_shared_label() -> None:
    assert same_outlet("https://www.x.com/a", "https://x.com/b")
    assert same_outlet("https://news.bbc.co.uk/a", "https://www.bbc.co.uk/b")
    assert same_outlet("https://edition.cnn.com/a", "https://www.cnn.com/b")
    # sister hosts of one outlet, from the outlets data
    assert same_outlet("https://www.businessinsider.com/a", "https://www.businessinsider.de/a")
    assert same_outlet("https://www.bbc.com/a", "https://www.bbc.co.uk/b")
    assert same_outlet("https://xn--mnchen-3ya.de/a", "https://münchen.de/b")  # punycode and Unicode
    assert not same_outlet("https://foo.example.org/a", "https://bar.example.com/b")
    assert not same_outlet("https://www.independent.co.uk/a", "https://www.independent.ie/b")
    assert not same_outlet("https://a.blogspot.com/x", "https://b.blogspot.com/y")  # private suffixes count


def test_site_names_itself_by_its_name_its_domain_or_the_outlets_data() -> None:
    site = Site("https://www.globalresearch.ca/a/1", "Global Research")
    assert site.is_named("Global Research") and site.is_named("globalresearch.ca")
    assert Site("https://www.globalresearch.ca/a/1").is_named("Global Research")  # the domain spells it
    assert Site("https://apnews.com/a").is_named("The Associated Press")
    assert not Site("https://www.sfgate.com/a", "SFGate").is_named("AP")


def test_urls_that_cannot_be_an_original() -> None:
    assert not valid_url("https://.example.de/")
    assert not valid_url("https://example..de/a")
    assert not valid_url("ftp://example.de/a")
    assert valid_url("https://münchen.de/a")
    assert not is_article_url("https://www.rt.com/")  # a home page
    assert not is_article_url("https://doi.org/10.1000/182")
    assert not is_article_url("https://www.example.org/report.pdf")
    assert is_article_url("https://www.rt.com/op-ed/504399-x/")


# -- attribution lines ----------------------------------------------------------------------------------


def test_attribution_line_originally_appeared_on() -> None:
    body = """<article><p>Body.</p><p><em>This post originally appeared on
      <a href="https://www.tomdispatch.com/post/176789/">TomDispatch</a>.</em></p></article>"""
    assert original(body=body) == OriginalRef(
        url="https://www.tomdispatch.com/post/176789/", outlet="TomDispatch",
        evidence=[Evidence("text-line", {
            "url": "https://www.tomdispatch.com/post/176789/", "outlet": "TomDispatch",
            "text": "This post originally appeared on TomDispatch."})],
    )


def test_attribution_line_prefers_read_the_original_link_and_keeps_date() -> None:
    body = """<p>This article was originally published by <a href="https://www.commondreams.org/">Common
      Dreams</a> on May 3, 2021. Read the <a href="https://www.commondreams.org/views/2021/05/03/x">original
      article</a>.</p>"""
    found = original(body=body)
    assert found is not None
    assert (found.url, found.outlet, found.published) == (
        "https://www.commondreams.org/views/2021/05/03/x", "Common Dreams", date(2021, 5, 3))
    assert kinds(found) == ["text-line"]


def test_attribution_line_home_page_link_names_the_outlet_only() -> None:
    body = """<p>This article is republished from <a href="https://theconversation.com">The Conversation</a>
      under a Creative Commons license.</p>"""
    found = original(body=body)
    assert found is not None and (found.url, found.outlet) == (None, "The Conversation")


def test_attribution_line_the_conversation_read_the_original() -> None:
    body = """<p>This article is republished from <a href="https://theconversation.com">The Conversation</a>
      under a Creative Commons license. Read the
      <a href="https://theconversation.com/why-bees-matter-148123">original article</a>.</p>"""
    found = original(body=body)
    assert found is not None
    assert (found.url, found.outlet) == (
        "https://theconversation.com/why-bees-matter-148123", "The Conversation")
    # the "original article" anchor is the same evidence seen twice: kept once
    assert kinds(found) == ["text-line"]


def test_attribution_line_without_link_gives_outlet_only() -> None:
    found = original(body="<p>The original source of this article is Global Research</p>",
                     url="https://www.example.org/a/")
    assert found is not None
    assert (found.url, found.outlet, kinds(found)) == (None, "Global Research", ["text-line"])


def test_go_to_original_line() -> None:
    body = '<p>Go to Original – <a href="https://www.rt.com/op-ed/500000-synthetic-slug/">rt.com</a></p>'
    found = original(body=body)
    assert found == OriginalRef(
        url="https://www.rt.com/op-ed/500000-synthetic-slug/", outlet="rt.com",
        evidence=[Evidence("go-to-original", {"url": "https://www.rt.com/op-ed/500000-synthetic-slug/",
                                              "outlet": "rt.com", "text": "Go to Original – rt.com"})],
    )


def test_first_published_line_with_outlet_and_date() -> None:
    found = original(body="<p>First published on Consortium News on 12 March 2019.</p>")
    assert found is not None
    assert (found.url, found.outlet, found.published) == (None, "Consortium News", date(2019, 3, 12))


def test_reprinted_by_permission_of_a_publisher() -> None:
    body = ("<p>From the book The Great Democracy by Ganesh Sitaraman. Copyright © 2019 by Ganesh Sitaraman. "
            "Reprinted by permission of Basic Books, New York, NY. All rights reserved.</p>")
    found = original(body=body, url="https://newrepublic.com/article/155970/collapse-neoliberalism")
    assert found is not None and (found.url, found.outlet) == (None, "Basic Books")


def test_attribution_in_plain_text_from_a_rule_body() -> None:
    found = original(text="Para one.\n\nThis essay originally appeared in Jacobin.")
    assert found is not None and (found.url, found.outlet, kinds(found)) == (None, "Jacobin", ["text-line"])


def test_date_only_lines_name_no_original_but_date_a_canonical() -> None:
    assert original(body="<p>(Originally published November 18, 2023)</p>") is None
    assert original(body="<p>First published on August 24, 2022</p>") is None
    found = original(head='<link rel="canonical" href="https://origin.org/a/1">',
                     body="<p>First published on August 24, 2022</p>")
    assert found == OriginalRef(
        url="https://origin.org/a/1", outlet="origin.org", published=date(2022, 8, 24),
        evidence=[Evidence("canonical", {"url": "https://origin.org/a/1", "outlet": "origin.org"})])


def test_story_sentences_are_not_attribution_lines() -> None:
    # Real body sentences from the extraction benchmark's pages, reworded.
    body = """<p>The camp, known as <a href="https://www.fmreview.org/x">the Berm</a>, lies near the border.
      It first appeared in 2014, when people gathered there.</p>
      <p>The virus first appeared in West Michigan at the end of August.</p>
      <p>First Published: Tuesday, November 19, 2019 08:38 AM</p>"""
    assert original(body=body) is None


def test_a_later_copy_named_by_the_original_is_not_its_original() -> None:
    # Quanta's own article says Wired reprinted it: Wired is a copy, not the original
    body = '<p><i>This article was reprinted on </i><a href="https://www.wired.com/story/x/"><i>Wired.com</i></a></p>'
    assert original(body=body, url="https://www.quantamagazine.org/tuft-cells-20191115/") is None


def test_same_site_originally_published_on_is_template_residue() -> None:
    body = '<p>Originally published on <a href="https://example.com/2019/01/old-story/">Example</a>.</p>'
    assert original(body=body) is None
    body = '<p>Originally published on <a href="/2019/01/old-story/">Example News</a>.</p>'
    assert original(body=body) is None
    own_name = '<meta property="og:site_name" content="Global Research">'
    line = "<p>The original source of this article is Global Research</p>"
    assert original(head=own_name, body=line, url="https://www.globalresearch.ca/a/5800000") is None
    line = "<p>Originally published on <a href='https://www.livescience.com/'>Live Science</a>.</p>"
    assert original(body=line, url="https://www.livescience.com/feather-duvet-lung.html") is None


def test_lines_in_comments_are_ignored() -> None:
    body = """<div id="comments"><p>This was originally published at
      <a href="https://spam.example.net/post">my blog</a></p></div>"""
    assert original(body=body) is None


# -- canonical and source tags ----------------------------------------------------------------------------


def test_cross_domain_canonical() -> None:
    head = """<link rel="canonical" href="https://www.nbcnews.com/news/latino/doctors-n1085206">
      <meta property="og:url" content="https://www.example.com/2020/10/story/">"""
    assert original(head=head) == OriginalRef(
        url="https://www.nbcnews.com/news/latino/doctors-n1085206", outlet="NBC News",
        evidence=[Evidence("canonical", {"url": "https://www.nbcnews.com/news/latino/doctors-n1085206",
                                         "outlet": "NBC News"})])


@pytest.mark.parametrize("href", [
    PAGE,
    "https://example.com/2020/10/story/",  # bare host vs www.: the same site
    "/2020/10/story/",
    "//www.example.com/2020/10/story/",
    "https://www.example.com/2020/10/story/?a=1&amp;amp;b=2",
    "https://news.example.com/2020/10/story/",  # another host of the same registrable domain
    "https://.example.de/2020/10/story/",  # an empty host label: invalid, never an original
    "https://www.rt.com/",  # a home page is never an article's original
])
def test_canonicals_that_are_not_an_original(href: str) -> None:
    assert original(head=f'<link rel="canonical" href="{href}">') is None


def test_the_same_host_in_punycode_and_in_unicode_is_not_a_copy() -> None:
    head = '<link rel="canonical" href="https://www.xn--mnchen-3ya.de/2020/10/story/">'
    assert original(head=head, url="https://www.münchen.de/2020/10/story/") is None
    assert original(head='<link rel="canonical" href="https://www.münchen.de/2020/10/story/">',
                    url="https://www.xn--mnchen-3ya.de/2020/10/story/") is None


def test_a_canonical_to_the_same_outlets_other_host_is_not_a_copy() -> None:
    url = "https://www.businessinsider.com/how-to-retire-early-steps-for-early-retirement"
    head = '<link rel="canonical" href="https://www.businessinsider.de/how-to-retire-early-steps-for-early-retirement">'
    assert original(head=head, url=url) is None


def test_hosts_sharing_a_label_are_two_outlets() -> None:
    head = '<link rel="canonical" href="https://bar.example.com/2020/10/story/">'
    found = original(head=head, url="https://foo.example.org/2020/10/story/")
    assert found is not None and found.url == "https://bar.example.com/2020/10/story/"
    found = original(head='<link rel="canonical" href="https://www.independent.ie/news/a-1.html">',
                     url="https://www.independent.co.uk/news/a-1.html")
    assert found is not None and (found.url, found.outlet) == (
        "https://www.independent.ie/news/a-1.html", "Irish Independent")


def test_syndication_and_original_source_off_site_only() -> None:
    found = original(head='<meta name="syndication-source" content="https://wire.org/s/1">')
    assert found is not None and found.evidence == [
        Evidence("syndication-source", {"url": "https://wire.org/s/1", "outlet": "wire.org",
                                        "tag": "syndication-source"})]
    found = original(head='<link rel="original-source" href="https://www.origin.org/s/2">')
    assert found is not None and found.evidence[0].detail["tag"] == "original-source"
    assert original(head=f'<meta name="syndication-source" content="{PAGE}">') is None
    assert original(head='<meta name="original-source" content="https://example.com/2020/10/story/">') is None
    assert original(head='<meta name="original-source" content="">') is None


def test_is_based_on_an_article_but_not_a_study_or_dataset() -> None:
    head = '<script type="application/ld+json">{"@type": "NewsArticle", "isBasedOn": %s}</script>'
    found = original(head=head % '"https://theconversation.com/x-1"')
    assert found is not None and (found.url, kinds(found)) == ("https://theconversation.com/x-1",
                                                               ["syndication-source"])
    assert found.evidence[0].detail["tag"] == "isBasedOn"
    assert original(head=head % f'"{PAGE}"') is None
    study = '{"@type": "ScholarlyArticle", "url": "https://journals.example.org/article/123"}'
    assert original(head=head % study) is None
    dataset = '{"@type": "Dataset", "@id": "https://data.example.org/sets/air-quality-2020"}'
    assert original(head=head % dataset) is None
    assert original(head=head % '"https://doi.org/10.1000/182"') is None


# -- mirrors ----------------------------------------------------------------------------------------------


def test_a_wayback_snapshot_is_a_copy_of_the_page_its_address_names() -> None:
    url = "https://web.archive.org/web/20190717140047/http://www.modabot.de/paris-haute-couture"
    assert mirror_of(url) == Evidence("mirror", {
        "url": "http://www.modabot.de/paris-haute-couture", "outlet": "modabot.de",
        "archive": "web.archive.org", "timestamp": "20190717140047"})
    # the archive's own canonical is the snapshot's; a canonical naming the original agrees with it
    head = '<link rel="canonical" href="http://www.modabot.de/paris-haute-couture">'
    found = original(head=head, url=url)
    assert found is not None and (found.url, found.outlet, kinds(found)) == (
        "http://www.modabot.de/paris-haute-couture", "modabot.de", ["mirror"])
    found = original(head=f'<link rel="canonical" href="{url}">', url=url)
    assert found is not None and kinds(found) == ["mirror"]


def test_wayback_addresses_without_a_scheme_with_a_query_or_a_modifier() -> None:
    evidence = mirror_of("https://web.archive.org/web/20130307194448/the-pain.net/2008/05/quests.html")
    assert evidence is not None and evidence.url == "http://the-pain.net/2008/05/quests.html"
    evidence = mirror_of("https://web.archive.org/web/20110106023242/http://dzs-clan.de/index.php?site=news&id=1")
    assert evidence is not None and evidence.url == "http://dzs-clan.de/index.php?site=news&id=1"
    evidence = mirror_of("https://web.archive.org/web/20200101000000id_/https://example.org/a")
    assert evidence is not None and evidence.url == "https://example.org/a"
    assert mirror_of("https://web.archive.org/web/") is None
    assert mirror_of("https://archive.example.org/web/20200101000000/https://example.org/a") is None


# -- datelines and credits --------------------------------------------------------------------------------


def test_wire_dateline_on_a_newspaper_site() -> None:
    text = "HAYWARD, Calif. (AP) — The Latest on a deadly stabbing.\n\nMore."
    found = original(text=text, url="https://www.sfgate.com/news/article/x-14848218.php")
    assert found == OriginalRef(url=None, outlet="Associated Press", evidence=[
        Evidence("dateline", {"outlet": "Associated Press", "text": "HAYWARD, Calif. (AP) —"})])
    assert found.evidence[0].kind == "dateline"


def test_wire_dateline_on_the_wires_own_site_is_not_a_copy() -> None:
    text = "NEW YORK (Reuters) - Oil prices fell sharply on Tuesday."
    assert original(text=text, url="https://www.reuters.com/article/us-global-markets-idUSKBN1XT00W") is None
    assert original(text="WASHINGTON (AP) — x", url="https://hosted.ap.org/berkshireeagle/article/1/") is None


def test_a_stations_own_call_sign_is_not_an_original_but_a_linked_one_is() -> None:
    assert original(text="AUSTIN (KXAN) — Texas voters approved.", url="https://www.kxan.com/news/x/") is None
    assert original(text="HOUSTON, Texas (KTRK) -- A business.", url="https://abc13.com/x/14030671/") is None
    body = ('<p>ST. LOUIS (<a href="https://fox2now.com/news/local/story-1/">KTVI</a>) – A man was '
            "arrested on Monday.</p>")
    text = "ST. LOUIS (KTVI) – A man was arrested on Monday."
    found = original(body=body, text=text, url="https://www.example.com/2020/10/story/")
    assert found == OriginalRef(url="https://fox2now.com/news/local/story-1/", outlet="KTVI", evidence=[
        Evidence("dateline", {"outlet": "KTVI", "text": "ST. LOUIS (KTVI) –",
                              "url": "https://fox2now.com/news/local/story-1/"})])


def test_via_dateline_names_the_outlet_and_the_agency() -> None:
    body = ('<p><a href="https://www.kveller.com/why-i-stopped/">KVELLER</a> via JTA — When my son was '
            "born, I stopped.</p>")
    text = "KVELLER via JTA — When my son was born, I stopped."
    found = original(body=body, text=text, url="https://www.jewishpress.example/2020/10/x/")
    assert found is not None
    assert (found.url, found.outlet) == ("https://www.kveller.com/why-i-stopped/", "Kveller")
    assert found.evidence == [Evidence("dateline", {
        "outlet": "Kveller", "via": "JTA", "text": "KVELLER via JTA —",
        "url": "https://www.kveller.com/why-i-stopped/"})]


def test_dateline_in_the_description_when_the_body_lost_it() -> None:
    head = '<meta name="description" content="Bogotá (dpa) - Gebrochene Wirbelsäule, ein Oberschenkel.">'
    found = original(head=head, text="Der frühere Sieger kämpft.", url="https://www.tour-magazin.de/a51346.html")
    assert found is not None and (found.outlet, kinds(found)) == ("dpa", ["dateline"])


def test_byline_credit_makes_a_copy_unless_on_the_outlets_own_site() -> None:
    found = original(credits=("Associated Press",), byline="The Associated Press",
                     url="https://www.hutchnews.com/ZZ/news/20201123/x")
    assert found == OriginalRef(url=None, outlet="Associated Press", evidence=[
        Evidence("byline-credit", {"outlet": "Associated Press", "text": "The Associated Press"})])
    assert original(credits=("Associated Press",), url="https://apnews.com/article/x") is None
    assert original(credits=("Reuters",), url="https://www.reuters.com/world/x") is None
    assert original(credits=("RT",), url="https://www.rt.com/news/1-x/") is None


def test_dateline_and_byline_naming_one_agency_are_one_credit() -> None:
    found = original(text="CHICAGO (AP) — False claims.", credits=("Associated Press",),
                     byline="AMANDA SEITZ The Associated Press", url="https://globalnews.ca/news/7278919/x/")
    assert found is not None and kinds(found) == ["dateline"]


def test_a_wire_credit_beats_a_canonical_to_another_newspaper() -> None:
    head = '<link rel="canonical" href="https://www.other-paper.example/news/x-1">'
    found = original(head=head, text="WASHINGTON (AP) — News.", url="https://www.example.com/2020/10/story/")
    assert found is not None
    assert (found.url, found.outlet) == (None, "Associated Press")
    assert kinds(found) == ["dateline", "canonical"]  # the disagreeing canonical is kept


def test_an_outlet_credit_agrees_with_its_own_canonical() -> None:
    head = '<link rel="canonical" href="https://www.cnn.com/2019/11/18/health/x/index.html">'
    found = original(head=head, credits=("CNN",), byline="By Sandee LaMotte, CNN",
                     url="https://www.msn.com/en-us/health/other/x/ar-BBWXwNX")
    assert found is not None
    assert (found.url, found.outlet) == ("https://www.cnn.com/2019/11/18/health/x/index.html", "CNN")
    assert kinds(found) == ["byline-credit", "canonical"]


# -- source lines, provided-by lines, source links, titles -------------------------------------------------


def test_source_line_linking_the_original_by_its_title() -> None:
    body = ('<p>Text.</p><h3><a href="https://reclaimthenet.org/un-program-pushes-digital-public-infrastructure">'
            "Quelle: UN Program Pushes Digital Public Infrastructure as EU and Gates Push</a></h3>")
    found = original(body=body, url="https://uncutnews.ch/digitale-id/")
    assert found is not None
    assert (found.url, found.outlet, kinds(found)) == (
        "https://reclaimthenet.org/un-program-pushes-digital-public-infrastructure", "reclaimthenet.org",
        ["text-line"])


def test_source_line_with_a_bare_address() -> None:
    body = "<h3>Quelle: https://www.brandeins.de/magazine/2019/qualitaet/was-wurde-aus-six-sigma</h3>"
    found = original(body=body, url="https://sladisworld.wordpress.com/2019/12/10/six-sigma/")
    assert found is not None and found.url == "https://www.brandeins.de/magazine/2019/qualitaet/was-wurde-aus-six-sigma"


def test_source_lines_naming_a_press_release_or_an_agency() -> None:
    found = original(body="<p>Quelle: Technische Universität Darmstadt, Pressemitteilung</p>",
                     url="https://internetchemie.info/news/2021/x.php")
    assert found is not None
    assert (found.outlet, kinds(found)) == ("Technische Universität Darmstadt", ["text-line"])
    found = original(body="<p>Quelle der Polizeimeldung: Kapo BE</p>", url="https://polizeiticker.ch/artikel/1")
    assert found is not None and found.outlet == "Kapo BE"
    found = original(body='<p class="tagline">22/11/2020 - 04:30 - Fonte: Agência Brasil - Foto: X</p>',
                     url="https://www.noticiaexata.com.br/artigo/x")
    assert found is not None and found.outlet == "Agência Brasil"


@pytest.mark.parametrize("body", [
    '<p>Quelle: <a href="https://www.golem.de/0706/52902.html">Golem</a></p>',  # a source of facts
    '<div class="statement-source"><a href="https://mil.example/news/more.htm?id=1">'
    "Source: Russian Defense Ministry, October 25, 2019</a></div>",
    "<p>Quelle: Science, Rice University, Princeton University</p>",  # a study and press offices, cited
    "<p>Quelle: Raphael Bischof (Text), Stefan Scheuteri (Bild)</p>",
    "<figure><img src='x.jpg'><figcaption>Die Anlage. Quelle: dpa</figcaption></figure>",
    "<p>Quelle: Carlsen OCL et al.: Physical activity in pregnancy. http://dx.doi.org/10.1016/j.xagr.2020</p>",
])
def test_source_lines_that_only_cite(body: str) -> None:
    assert original(body=body, url="https://www.computerbase.de/2007-06/x/") is None


def test_provided_by_line_of_an_aggregator() -> None:
    body = ('<div class="d-inline-block">Provided by <a href="https://phys.org/partners/european-space-agency/">'
            'European Space Agency</a> <a href="http://www.esa.int/esaCP/index.html"></a></div>')
    found = original(body=body, url="https://phys.org/news/2019-11-hibernating-astronauts.html")
    assert found == OriginalRef(url=None, outlet="European Space Agency", evidence=[
        Evidence("aggregator", {"outlet": "European Space Agency",
                                "text": "Provided by European Space Agency"})])


@pytest.mark.parametrize("body", [
    "<p>This graphic, provided by Statista, shows the states.</p>",
    "<div>Access provided by Massachusetts Institute of Technology</div>",
    "<p>Market data provided by Interactive Data.</p>",
    "<figcaption>Provided by the New York State Sex Offender Registry</figcaption>",
])
def test_provided_by_that_names_no_provider_of_the_text(body: str) -> None:
    assert original(body=body) is None


def test_source_link_anchor() -> None:
    body = '<p>Text.</p><p><a href="https://www.origin.example/news/2020/10/x">Source link</a></p>'
    found = original(body=body)
    assert found is not None and (found.url, kinds(found)) == ("https://www.origin.example/news/2020/10/x",
                                                               ["text-line"])
    assert original(body='<p><a href="https://www.example.com/other/">Source link</a></p>') is None


def test_aggregator_title_ending_in_its_providers_name() -> None:
    head = "<title>The man whose duvet nearly killed him | CNN</title>"
    found = original(head=head, url="https://www.msn.com/en-us/health/other/x/ar-BBWXwNX")
    assert found is not None and (found.outlet, kinds(found)) == ("CNN", ["aggregator"])
    assert original(head="<title>Story | CNN</title>", url="https://edition.cnn.com/2019/x") is None
    assert original(head="<title>Story | Some Blog</title>") is None
