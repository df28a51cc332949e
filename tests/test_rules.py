"""The rule engine on small inline pages: TMS in two theme shapes, RT 2016/2019/2022 skeletons."""
# ruff: noqa: E501  (the page skeletons keep the real markup on one line, as RT serves it)

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from repub.errors import ConfigError
from repub.extract.dates import YearMonth
from repub.extract.rules import SiteRule, find_rule, load_rules

ROOT = Path(__file__).resolve().parent.parent
TMS_URL = "https://www.transcend.org/tms/2020/10/a-russia-china-military-alliance/"
TITLE = "A Russia-China Military Alliance Would Be a Bulwark against America\u2019s Global Imperialism?"
UPLOADS = "https://www.transcend.org/tms/wp-content/uploads/2020/10/"
LEDE = "Vladimir Putin says it\u2019s \u2018quite possible to imagine\u2019 a defense pact."

TMS_TAIL = """
<p>Undoubtedly, the ties are getting stronger.</p>
<p>__________________________________________</p>
<p><a href="https://www.rt.com/op-ed/999001-synthetic-alliance/" target="_blank">Go to Original \u2013 rt.com</a></p>
<p>Tags: <a href="/tms/tag/china/" rel="tag">China</a>, <a href="/tms/tag/russia/" rel="tag">Russia</a></p>
<div class="share">Share this article:</div>
<p>DISCLAIMER: The statements \u2026 see the <a href="/tms/about/">GO TO ORIGINAL</a> links.</p>
<p class="nocomments">Comments are closed.</p>
"""

# Classic theme: div#content div.post h2, div.entry, HTML4 caption, lazy image with data: src.
TMS_CLASSIC = f"""<html><head><title>{TITLE} | TRANSCEND Media Service</title></head><body>
<div id="header"><h1><a href="/tms/">TRANSCEND Media Service</a></h1></div>
<div id="sidebar"><h3>Recent</h3><p>RT - TRANSCEND Media Service, 21 Sep 2020</p></div>
<div id="content"><div class="post">
<h2>{TITLE}</h2>
<p><a href="https://www.transcend.org/tms/category/militarism/" rel="category tag">MILITARISM</a>, 26 Oct 2020</p>
<p>Tom Fowdy | RT - TRANSCEND Media Service</p>
<div class="entry">
<div id="attachment_1" style="width: 610px" class="wp-caption alignnone">
<img src="data:image/gif;base64,R0lGOD" data-lazy-src="/tms/wp-content/uploads/2020/10/parade.jpg">
<p class="wp-caption-text">Servicemen march along Red Square. \u00a9 Sputnik / Ramil Sitdikov</p></div>
<p>23 Oct 2020 \u2013 {LEDE}</p>
<p>Just over 70 years ago, Stalin and Mao haggled in Moscow.</p>
<p>Also: <a href="https://www.rt.com/russia/504345-moscow-beijing-military-alliance/">A powerful alliance</a></p>
{TMS_TAIL}
</div></div></div></body></html>"""

# HTML5 theme: article/header/h1.entry-title, meta and byline as divs, figure caption, no date prefix.
TMS_HTML5 = f"""<html><head><meta property="og:title" content="{TITLE}"><title>{TITLE}</title></head>
<body><header class="site-header"><p class="site-title">TRANSCEND Media Service</p></header>
<main><article class="post">
<header class="entry-header"><h1 class="entry-title">{TITLE}</h1>
<div class="entry-meta"><span><a href="/tms/category/militarism/" rel="category tag">MILITARISM</a></span>, 26 Oct 2020</div>
<div class="byline">Tom Fowdy | RT - TRANSCEND Media Service</div></header>
<div class="entry-content">
<figure id="attachment_2" aria-describedby="caption-attachment-2" class="wp-caption alignnone">
<img src="{UPLOADS}parade.jpg" alt=""><figcaption id="caption-attachment-2" class="wp-caption-text">Servicemen march along Red Square. \u00a9 Sputnik / Ramil Sitdikov</figcaption></figure>
<p>December 2020 \u2013 {LEDE}</p>
<p>Just over 70 years ago, Stalin and Mao haggled in Moscow.</p>
<p>Also: A powerful alliance is possible, says Putin</p>
{TMS_TAIL}
</div></article></main>
<aside class="widget-area"><p>Anthony Judge | TRANSCEND Media Service, 7 Dec 2020</p></aside>
</body></html>"""


def run(html: str, url: str):
    rule = find_rule(url)
    assert rule is not None
    return rule.extract(LexborHTMLParser(html), url)


@pytest.mark.parametrize("html", [TMS_CLASSIC, TMS_HTML5], ids=["classic", "html5"])
def test_tms_both_theme_shapes(html: str) -> None:
    ex = run(html, TMS_URL)
    assert ex.site == "transcend.org"
    assert ex.extractor == "transcend.org@wp"
    assert ex.title == TITLE
    assert ex.section == "MILITARISM"
    assert ex.published == date(2020, 10, 26)
    assert ex.byline == "Tom Fowdy | RT - TRANSCEND Media Service"
    assert ex.authors == ["Tom Fowdy"]
    assert ex.lead_image is not None
    assert ex.lead_image.url == UPLOADS + "parade.jpg"
    assert ex.lead_image.caption == "Servicemen march along Red Square."
    assert ex.lead_image.credit == "Sputnik / Ramil Sitdikov"
    assert ex.tags == ["China", "Russia"]
    assert ex.body_text == "\n\n".join([
        LEDE,
        "Just over 70 years ago, Stalin and Mao haggled in Moscow.",
        "Undoubtedly, the ties are getting stronger.",
    ])
    assert ex.original is not None
    assert ex.original.url == "https://www.rt.com/op-ed/999001-synthetic-alliance/"
    assert ex.original.outlet == "RT"
    assert [e.kind for e in ex.original.evidence] == ["go-to-original", "byline-credit"]


def test_tms_original_dates() -> None:
    classic, html5 = run(TMS_CLASSIC, TMS_URL), run(TMS_HTML5, TMS_URL)
    assert classic.original is not None and html5.original is not None
    assert classic.original.published == date(2020, 10, 23)
    assert html5.original.published == YearMonth(2020, 12)


def _tms_variant(byline: str, tail: str = TMS_TAIL, first: str = f"23 Oct 2020 \u2013 {LEDE}") -> str:
    return f"""<html><head><title>T</title></head><body><div class="post"><h2>T</h2>
<p><a rel="category tag" href="/tms/category/x/">ANGLO AMERICA</a>, 24 May 2021</p><p>{byline}</p>
<p>{first}</p>{tail}</div></body></html>"""


def test_tms_no_author_outlet_only() -> None:
    ex = run(_tms_variant("RT - TRANSCEND Media Service"), TMS_URL)
    assert ex.authors == []
    assert ex.byline == "RT - TRANSCEND Media Service"
    assert ex.section == "ANGLO AMERICA"
    assert ex.original is not None and ex.original.outlet == "RT"


def test_tms_no_outlet_uses_link_domain() -> None:
    ex = run(_tms_variant("Robert J. Burrowes, Ph.D. \u2013 TRANSCEND Media Service"), TMS_URL)
    assert ex.authors == ["Robert J. Burrowes, Ph.D."]
    assert ex.original is not None
    assert ex.original.outlet == "rt.com"
    assert ex.original.url == "https://www.rt.com/op-ed/999001-synthetic-alliance/"


def test_tms_old_style_byline_and_no_go_to_original() -> None:
    tail = "<p>The end.</p><p>Tags: <a rel=\"tag\" href=\"/t/\"></a>, <a rel=\"tag\" href=\"/u/\"></a></p>"
    ex = run(_tms_variant("Robert Bridge \u2013 Russia Today", tail=tail), TMS_URL)
    assert ex.authors == ["Robert Bridge"]
    assert ex.tags == []  # empty tag anchors ("Tags: , , ,")
    assert ex.body_text == f"{LEDE}\n\nThe end."
    assert ex.original is not None
    assert (ex.original.url, ex.original.outlet) == (None, "Russia Today")
    assert [e.kind for e in ex.original.evidence] == ["byline-credit"]
    assert ex.original.published == date(2020, 10, 23)


def test_tms_typo_prefix_is_kept_in_body() -> None:
    ex = run(_tms_variant("Anthony Judge | TRANSCEND Media Service", first="6 Apr 20126 \u2013 Text."),
             TMS_URL)
    assert ex.authors == ["Anthony Judge"]
    assert ex.body_text.startswith("6 Apr 20126 \u2013 Text.\n\nUndoubtedly")
    assert ex.original is not None and ex.original.published is None


def test_tms_body_stops_without_underscore_rule() -> None:
    tail = TMS_TAIL.replace("<p>__________________________________________</p>", "")
    ex = run(_tms_variant("Anthony Judge | TRANSCEND Media Service", tail=tail), TMS_URL)
    assert ex.body_text == f"{LEDE}\n\nUndoubtedly, the ties are getting stronger."


def test_tms_bare_host_and_br_separated_header() -> None:
    html = f"""<html><body><div><h1>{TITLE}</h1>
<p>MILITARISM, 26 Oct 2020<br>Tom Fowdy | RT \u2013 TRANSCEND Media Service</p>
<p>15 Mar 2019 \u2014 {LEDE}</p></div></body></html>"""
    ex = run(html, "https://transcend.org/tms/2020/10/x/")
    assert ex.title == TITLE
    assert (ex.section, ex.published) == ("MILITARISM", date(2020, 10, 26))
    assert ex.authors == ["Tom Fowdy"]
    assert ex.body_text == LEDE
    assert ex.original is not None
    assert (ex.original.url, ex.original.outlet) == (None, "RT")
    assert ex.original.published == date(2019, 3, 15)


RT_2019 = """<html><head><meta name="published_time_telegram" content="2019-11-20T05:47:00+00:00"></head><body>
<div class="article"><div class="breadcrumbs"><a class="breadcrumbs__links" href="/">Home</a><a class="breadcrumbs__links" href="/news/">World News</a></div>
<h1 class="article__heading">  Three killed in Bolivia  </h1>
<div class="article__date"><span class="date date_article-header">20 Nov, 2019 05:47 <span class="update_date_visible"></span></span></div>
<div class="article__cover"><div class="media"><picture><img alt="" src="data:image/png;base64,iVBO" data-src="https://cdni.rt.com/files/2019.11/xxs/5dd4.JPG" class="media__item lazyload"></picture><noscript><img src="https://cdni.rt.com/files/2019.11/xxs/5dd4.JPG"></noscript></div>
<div class="media__footer media__footer_bottom"><div class="media__title media__title_arcticle"><span data-role="title">A cyclist rides past a plant. </span><span data-role="copyright-symbol">\u00a9 </span><span data-role="copyright">   Reuters / David Mercado</span></div></div></div>
<div class="article__summary summary ">  Three people have died during protests.  </div>
<div class="article__text text "><p>In addition to the fatalities, 30 were injured.</p>
<a class="read-more-big" href="/news/473735-x/"><span class="read-more-big__container"><span class="read-more-big__subtitle">Also on rt.com</span> <span class="read-more-big__title">Journalists threatened</span></span></a>
<p>A doctor on the scene told Ruptly he tried.</p><p><strong><em>Like this story? Share it with a friend!</em></strong></p><p></p></div>
<div class="tags-trends"><strong class="tags-trends__heading">Trends:</strong><a class="tags-trends__link" rel="tag" href="/trends/evo/">Evo Morales news</a></div>
</div></body></html>"""

RT_2022 = """<html><head><meta name="article:author" content="Russia Today" /><meta name="article:section" content="World News" />
</head><body><span class="date date_article-header">10 Oct, 2022 17:38 <span class="update_date_visible"></span></span>
<h1 class="article__heading"> Assange tests positive </h1>
<div class="article__summary summary "> The publisher has been put on lockdown. </div>
<div class="article__cover article__cover-left"><div class="media "><picture><img alt="x" src="data:image/png;base64,AAA" data-sizes="auto" data-src="https://cdni.russiatoday.com/files/2022.10/xxs/6344.jpg" class="media__item lazyload" /></picture></div>
<div class="media__footer media__footer_bottom "><div class="media__title media__title_arcticle"><span data-role="copyright-symbol">\u00a9&nbsp;</span><span data-role="copyright"> Getty Images / Guy Smallman</span></div></div></div>
<div class="article__text text "><p>First paragraph.</p><div class="read-more large" data-has-alias><a class="read-more__link" href="/news/564347-x/"><div class="read-more__title">Read more</div><span class="read-more__footer">Assange supporters surround Parliament</span></a></div><p>Second paragraph.</p></div>
<div class="article__share article__share_bottom"><div class="article__invitation"> You can share this story on social media: </div></div>
</body></html>"""

RT_2016_OPED = """<html><body><div class="breadcrumbs"><a class="breadcrumbs__links" href="/">Home</a><a class="breadcrumbs__links" href="/op-ed/">Op-ed</a></div>
<h1 class="article__heading">Why the alliance matters</h1>
<time class="date date_article-header">Published time: 1 Apr, 2016 15:17</time>
<time class="date date_article-header">Edited time: 2 Apr, 2016 09:05</time>
<div class="article__summary">The lede of the op-ed.</div>
<div class="article__text"><div class="article__author-text">By <em><strong>Tom Fowdy</strong></em>, a British writer and analyst of politics</div>
<p>Body one.</p><p>Think your friends would be interested? Share this story!</p>
<p>The statements, views and opinions expressed in this column are solely those of the author and do not necessarily represent those of RT.</p></div>
</body></html>"""


def test_rt_2019_news() -> None:
    ex = run(RT_2019, "https://www.rt.com/news/473849-3-morales-supporters-killed-bolivia/")
    assert (ex.site, ex.extractor, ex.language) == ("rt.com", "rt.com@2016", "en")
    assert ex.title == "Three killed in Bolivia"
    assert ex.section == "World News"
    assert ex.published == datetime(2019, 11, 20, 5, 47, tzinfo=UTC)
    assert ex.published.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert ex.authors == []
    assert ex.byline is None
    assert ex.lead_image is not None
    assert ex.lead_image.url == "https://cdni.rt.com/files/2019.11/xxs/5dd4.JPG"
    assert ex.lead_image.caption == "A cyclist rides past a plant."
    assert ex.lead_image.credit == "Reuters / David Mercado"
    assert ex.tags == ["Evo Morales news"]
    assert ex.body_text == (
        "Three people have died during protests.\n\nIn addition to the fatalities, 30 were injured."
        "\n\nA doctor on the scene told Ruptly he tried."
    )
    assert ex.original is None


def test_rt_2022_news() -> None:
    ex = run(RT_2022, "https://rt.com/news/564427-assange-positive-covid-belmarsh-lockdown/")
    assert ex.title == "Assange tests positive"
    assert ex.section == "World News"  # from article:section: no breadcrumbs
    assert ex.published == datetime(2022, 10, 10, 17, 38, tzinfo=UTC)
    assert ex.lead_image is not None
    assert ex.lead_image.url == "https://cdni.russiatoday.com/files/2022.10/xxs/6344.jpg"
    assert ex.lead_image.caption is None
    assert ex.lead_image.credit == "Getty Images / Guy Smallman"
    assert ex.body_text == "The publisher has been put on lockdown.\n\nFirst paragraph.\n\nSecond paragraph."
    assert ex.authors == []  # "Russia Today" in article:author is not a person
    assert ex.tags == []


def test_rt_2016_oped() -> None:
    ex = run(RT_2016_OPED, "https://www.rt.com/op-ed/337999-x/")
    assert ex.title == "Why the alliance matters"
    assert ex.section == "Op-ed"
    assert ex.published == datetime(2016, 4, 1, 15, 17, tzinfo=UTC)
    assert ex.authors == ["Tom Fowdy"]
    assert ex.byline == "By Tom Fowdy, a British writer and analyst of politics"
    assert ex.body_text == "The lede of the op-ed.\n\nBody one."
    assert ex.lead_image is None


def test_real_rt_2019_page_matches_ground_truth() -> None:
    """The real saved RT page of the extraction bench (fixtures/bench), against its true record."""
    import gzip
    import json

    key = "4a44ab3e4c41d56ce9b79eb07acb06aed1bc52aba68a950f06e7de7ef848400a"
    page = ROOT / "fixtures" / "bench" / f"{key}.html.gz"  # copied from the Zyte set with its record
    truth = json.loads((ROOT / "fixtures" / "bench" / f"{key}.truth.json").read_text())[key]
    ex = run(gzip.decompress(page.read_bytes()).decode(), truth["url"])
    assert ex.body_text == truth["articleBody"]
    assert ex.published == datetime(2019, 11, 20, 5, 47, tzinfo=UTC)
    assert ex.section == "World News"
    assert ex.lead_image is not None
    assert ex.lead_image.credit == "Reuters / David Mercado"


def test_find_rule_hosts_and_paths() -> None:
    assert find_rule("https://www.rt.com/op-ed/1-x/").site == "rt.com"  # type: ignore[union-attr]
    assert find_rule("https://transcend.org/tms/2020/10/x/").site == "transcend.org"  # type: ignore[union-attr]
    assert find_rule("https://www.transcend.org/galtung/") is None  # outside /tms/
    assert find_rule("https://example.com/tms/x/") is None
    assert find_rule("https://russian.rt.com/x") is None


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "bad.toml").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('site = "x"\nhosts = []\n', "'hosts' must be a non-empty list"),
        ('hosts = ["x.org"]\n', "'site' must be a str"),
        ('site = "x"\nhosts = ["x.org"]\nbody = ["div[["]\n', "bad CSS selector"),
        ('site = "x"\nhosts = ["x.org"]\ndrop = ["(unclosed"]\n', "bad regular expression"),
        ('site = "x"\nhosts = ["x.org"]\nbodyy = ["p"]\n', "unknown key(s) bodyy"),
        ('site = "x"\nhosts = ["x.org"]\n[[layout]]\nvalid_from = "2020"\n', "must be a TOML date"),
        ('site = "x"\nhosts = ["x.org"]\ntimezone = "Mars/Base"\n', "unknown timezone"),
        ('site = "x"\nhosts = [', "cannot read rule file"),
    ],
)
def test_load_rules_rejects_bad_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_rules(_write(tmp_path, text))
    assert "bad.toml" in str(err.value)
    assert message in str(err.value)


def test_adding_a_site_is_adding_a_file(tmp_path: Path) -> None:
    (tmp_path / "example.toml").write_text(
        'site = "example.org"\nhosts = ["example.org"]\n[[layout]]\nname = "2024"\n'
        'title = ["h1"]\nbody = ["article"]\nsummary = [".dek"]\ndrop = ["^Advertisement$"]\n',
        encoding="utf-8",
    )
    rules = load_rules(tmp_path)
    rule = find_rule("https://example.org/a/", rules)
    assert rule is not None
    html = "<h1>Hi</h1><p class=dek>Dek.</p><article><p>One.</p><p>Advertisement</p><p>Two.</p></article>"
    ex = rule.extract(LexborHTMLParser(html), "https://example.org/a/")
    assert (ex.extractor, ex.title, ex.body_text) == ("example.org@2024", "Hi", "Dek.\n\nOne.\n\nTwo.")


def test_layouts_newest_first_by_detect(tmp_path: Path) -> None:
    (tmp_path / "ex.toml").write_text(
        'site = "ex.org"\nhosts = ["ex.org"]\ntitle = ["h1"]\n'
        '[[layout]]\nname = "old"\nvalid_from = 2010-01-01\nbody = [".old"]\n'
        '[[layout]]\nname = "new"\nvalid_from = 2020-01-01\ndetect = [".new"]\nbody = [".new"]\n',
        encoding="utf-8",
    )
    rule = load_rules(tmp_path)[0]
    new = rule.extract(LexborHTMLParser("<h1>T</h1><div class=new><p>N</p></div>"), "https://ex.org/")
    old = rule.extract(LexborHTMLParser("<h1>T</h1><div class=old><p>O</p></div>"), "https://ex.org/")
    assert (new.extractor, new.body_text) == ("ex.org@new", "N")
    assert (old.extractor, old.body_text) == ("ex.org@old", "O")


def _one_rule(tmp_path: Path, body: str) -> SiteRule:
    (tmp_path / "ex.toml").write_text(f'site = "ex.org"\nhosts = ["ex.org"]\n{body}', encoding="utf-8")
    return load_rules(tmp_path)[0]


def test_skip_selector_with_an_ancestor_outside_the_body_container(tmp_path: Path) -> None:
    # skip is matched inside each container only; its combinators still see the whole page.
    rule = _one_rule(tmp_path, 'body = [".text"]\nskip = [".outer .promo"]\n')
    html = ("<div class=outer><div class=text><p>One.</p><div class=promo><p>Promo</p></div>"
            "<p>Two.</p></div></div><div class=text><div class=promo><p>Kept.</p></div></div>")
    ex = rule.extract(LexborHTMLParser(html), "https://ex.org/")
    assert ex.body_text == "One.\n\nTwo.\n\nKept."


def test_text_selectors_pass_ignored_and_empty_matches(tmp_path: Path) -> None:
    rule = _one_rule(tmp_path, 'ignore = [".side"]\ntitle = ["h1"]\nbody = ["article"]\n')
    html = "<div class=side><h1>Side</h1></div><h1> </h1><h1>Real</h1><article><p>x</p></article>"
    assert rule.extract(LexborHTMLParser(html), "https://ex.org/").title == "Real"


def test_image_selectors_pass_ignored_matches_and_non_images(tmp_path: Path) -> None:
    rule = _one_rule(tmp_path, 'ignore = [".side"]\nbody = ["article"]\nimage = [".a img", ".pic"]\n')
    ignored_first = "<div class=side><div class=a><img src=/x.jpg></div></div><img class=pic src=/y.jpg>"
    not_an_image_first = "<span class=pic></span><img class=pic src=/z.jpg>"
    for html, want in ((ignored_first, "https://ex.org/y.jpg"), (not_an_image_first, "https://ex.org/z.jpg")):
        image = rule.extract(LexborHTMLParser(html + "<article><p>x</p></article>"), "https://ex.org/").lead_image
        assert image is not None and image.url == want
