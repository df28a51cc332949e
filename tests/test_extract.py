"""The dispatcher: rule or generic, metadata filling the gaps a rule leaves, originals, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from selectolax.lexbor import LexborHTMLParser

import repub.extract as extract_pkg
import repub.extract.article as article
from repub.evidence import Evidence
from repub.extract import Extracted, ExtractError, extract
from repub.extract.types import LeadImage, OriginalRef

BODY = "A paragraph long enough to be taken for the body of an article by the extractor, with more words."
BODY2 = "A second paragraph, different from the first one, since trafilatura drops repeated paragraphs."
RT_SYNTHETIC = "https://www.rt.com/op-ed/500000-synthetic/"
PAGE = f"""<html lang="en"><head><title>Headline here</title>
<meta property="og:image" content="https://img.example.org/lead.jpg">
<meta property="article:published_time" content="2020-10-26T10:00:00Z">
<meta property="article:modified_time" content="2020-10-27">
<meta property="article:section" content="World">
<meta property="article:tag" content="Russia">
<meta name="author" content="Jane Doe">
<link rel="canonical" href="https://www.rt.com/op-ed/500000-synthetic/">
</head><body><article><h1>Headline here</h1><p>{BODY}</p><p>{BODY2}</p></article></body></html>"""


class FakeRule:
    """Stands in for a SiteRule: returns a fixed partial result."""

    def __init__(self, result: Extracted) -> None:
        self.result = result
        self.seen: tuple[LexborHTMLParser, str] | None = None

    def extract(self, tree: LexborHTMLParser, url: str) -> Extracted:
        self.seen = (tree, url)
        return self.result


def test_unknown_host_goes_generic_and_finds_cross_domain_canonical() -> None:
    got = extract(PAGE, "https://www.unknown-republisher.net/2020/10/x/")
    assert got.extractor == "generic"
    assert got.site == "unknown-republisher.net"
    assert got.title == "Headline here"
    assert got.authors == ["Jane Doe"]
    assert got.published == datetime(2020, 10, 26, 10, tzinfo=UTC)
    assert got.body_text == f"{BODY}\n\n{BODY2}"
    assert got.original == OriginalRef(
        url=RT_SYNTHETIC, outlet="RT",  # one name per outlet (outlets data)
        evidence=[Evidence("canonical", {"url": RT_SYNTHETIC, "outlet": "RT"})],
    )


def test_empty_page_raises_extract_error() -> None:
    with pytest.raises(ExtractError, match="no article text found"):
        extract("<html><head><script>var x = 1;</script></head><body><div></div></body></html>", "https://x.org/a")


def test_rule_result_is_filled_from_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://www.transcend.org/tms/2020/10/x/"
    partial = Extracted(url=url, site="transcend.org", extractor="transcend.org@test", body_text="Rule body.")
    rule = FakeRule(partial)
    monkeypatch.setattr(article, "find_rule", lambda u: rule)
    got = extract(PAGE, url)
    assert rule.seen is not None and rule.seen[1] == url
    assert got.extractor == "transcend.org@test"
    assert got.body_text == "Rule body."
    assert got.title == "Headline here"
    assert got.published == datetime(2020, 10, 26, 10, tzinfo=UTC)
    assert got.modified == date(2020, 10, 27)
    assert got.section == "World"
    assert got.language == "en"
    assert got.tags == ["Russia"]
    assert got.authors == ["Jane Doe"]
    assert got.canonical_url == "https://www.rt.com/op-ed/500000-synthetic/"
    assert got.lead_image == LeadImage(url="https://img.example.org/lead.jpg")
    # The rule found no original: the generic signals still run, and a cross-domain canonical counts.
    assert got.original == OriginalRef(
        url=RT_SYNTHETIC, outlet="RT",  # one name per outlet (outlets data)
        evidence=[Evidence("canonical", {"url": RT_SYNTHETIC, "outlet": "RT"})],
    )


def test_rule_values_win_and_personless_byline_stays_authorless(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://www.transcend.org/tms/2020/10/x/"
    found = OriginalRef(
        url="https://www.rt.com/op-ed/1-x/",
        outlet="RT",
        published=date(2020, 10, 23),
        evidence=[Evidence("go-to-original", {"url": "https://www.rt.com/op-ed/1-x/"})],
    )
    partial = Extracted(
        url=url,
        site="transcend.org",
        extractor="transcend.org@test",
        title="Rule title",
        byline="RT - TRANSCEND Media Service",
        section="MILITARISM",
        published=date(2020, 10, 26),
        lead_image=LeadImage(url=None, caption="Cap", credit="Sputnik"),
        tags=["China"],
        body_text="Rule body.",
        original=found,
    )
    monkeypatch.setattr(article, "find_rule", lambda u: FakeRule(partial))
    got = extract(PAGE, url)
    assert got.title == "Rule title"
    assert got.section == "MILITARISM"
    assert got.published == date(2020, 10, 26)
    assert got.modified == date(2020, 10, 27)
    assert got.tags == ["China"]
    assert got.authors == []
    assert got.lead_image == LeadImage(
        url="https://img.example.org/lead.jpg", caption="Cap", credit="Sputnik"
    )
    assert got.original is found


def test_package_exports() -> None:
    assert set(extract_pkg.__all__) == {"extract", "Extracted", "ExtractError"}


def test_the_store_and_resync_do_not_import_the_readers_until_a_page_is_read() -> None:
    """repub.extract imports its readers on the first call: the store (whose text reuse needs the light
    modules: types, dates, provenance), resync and the web app start without them, and one call loads
    them."""
    script = (
        "import json, sys\n"
        "import repub.store, repub.resync.engine, repub.cli.resync, repub.api\n"
        "readers = ['repub.extract.article', 'repub.extract.authors', 'repub.extract.generic',"
        " 'repub.extract.metadata', 'repub.extract.rules', 'repub.extract.language', 'langcodes']\n"
        "before = [m for m in readers if m in sys.modules]\n"
        "from repub.extract import extract\n"
        "title = extract('<html><head><title>T</title></head><body><p>text</p></body></html>',"
        " 'https://a.example/x').title\n"
        "print(json.dumps([before, [m for m in readers if m not in sys.modules], title]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [[], [], "T"]


def test_a_readers_fault_on_a_page_is_an_extract_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever raises while a page is read (here the metadata reader, as a library's bug on odd markup
    would) is one ExtractError naming the page and the fault: the run logs it and goes on."""
    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("odd markup")

    monkeypatch.setattr(article, "read_metadata", broken)
    with pytest.raises(ExtractError) as caught:
        extract("<html><head><title>T</title></head><body><p>text</p></body></html>", "https://a.example/x")
    assert str(caught.value) == "https://a.example/x: reading the page failed (ValueError: odd markup)"


def test_wrappers_are_unwrapped_only_where_the_page_is_too_deep() -> None:
    from repub.extract.repair import MAX_DEPTH, too_deep, unwrap_wrappers

    page = ("<html><body><div><div><section><p>one</p><p>two <b>bold</b></p></section></div></div>"
            "</body></html>")
    assert not too_deep(page)
    assert too_deep("<div>" * MAX_DEPTH + page) and not too_deep("<div>" * (MAX_DEPTH - 10) + page)
    flat = LexborHTMLParser(unwrap_wrappers("<div>" * 5000 + page))
    assert flat.body is not None
    assert flat.body.html == "<body><section><p>one</p><p>two <b>bold</b></p></section></body>"


def test_a_page_nesting_tens_of_thousands_deep_is_cut_before_it_is_parsed() -> None:
    """Parsing n nested <div> costs ~n^2 (a 10 MB page of them: hours). Past 100 levels the wrappers
    (a start tag right after another) go, past MAX_PARSE_DEPTH any start tag; scripts stay scripts."""
    from repub.htmldepth import MAX_PARSE_DEPTH, cap_nesting

    article = ("<html><head><title>Deep</title><script>var hidden = 1;</script></head><body><article>"
               "<h1>Deep</h1><p>First paragraph of the article, long enough to be read as one.</p>"
               "<p>Second paragraph of the article, long enough to be read as one too.</p></article>"
               "</body></html>")
    assert cap_nesting(article) is article  # under 20,000 tags: not even read
    bomb = "<div>" * 30_000 + article
    capped = cap_nesting(bomb)
    # the wrappers past 100 go (the article's own <html><head><body><article> among them: each opens
    # right after another); elements after text or an end tag stay
    assert capped.count("<div>") == 100 and "<title>Deep</title><script>var hidden = 1;</script>" in capped
    assert "<p>First paragraph" in capped and "</p><p>Second paragraph" in capped
    record = extract(bomb, "https://deep.example/a")
    assert record.title == "Deep"
    assert record.body_text == ("First paragraph of the article, long enough to be read as one.\n\n"
                                "Second paragraph of the article, long enough to be read as one too.")
    soup = "".join(f"<section>line {i} " for i in range(30_000))
    assert cap_nesting(soup).count("<section>") == MAX_PARSE_DEPTH  # text at every level: cut at the cap
    scripts = "<div>" * 25_000 + "<script>var x = '<div>';</script>" + "</div>" * 25_000
    assert "<script>var x = '<div>';</script>" in cap_nesting(scripts)
