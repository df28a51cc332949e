"""The rule engine's fast paths read the same as the plain code they stand in for.

Each shortcut taken for speed (issue 5) is checked against a straightforward reference written here: the
one-pass block walk against the recursive one, text() against the <br>-aware walk, clean()'s early return,
join_url's absolute-URL shortcut against urljoin, the shared CSS engine against selectolax's own, the
joined drop/end patterns against one search per pattern, and names_republisher against parse_byline.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser, LexborNode

from repub.extract.apply import any_search
from repub.extract.byline import names_republisher, parse_byline
from repub.extract.dates import _key
from repub.extract.textutil import (
    BLOCK_TAGS,
    SKIP_TAGS,
    block_text,
    block_texts,
    clean,
    css,
    css_first,
    inner_blocks,
    is_inside,
    iter_blocks,
    join_url,
    node_text,
    one_line,
    squash,
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- references: the code before the fast paths ---------------------------------------------------

_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff\u200b]+")
_NOT_SPLIT_ALIKE = re.compile(r"[\u200b\ufeff\x1c-\x1f\x85\u2028\u2029]")


def ref_clean(text: str | None) -> str:
    if not text:
        return ""
    if _NOT_SPLIT_ALIKE.search(text):
        lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
        return "\n".join(line for line in lines if line)
    if "\n" not in text:
        return " ".join(text.split())
    return "\n".join(filter(None, [" ".join(line.split()) for line in text.split("\n")]))


def ref_node_text(node: LexborNode) -> str:
    parts: list[str] = []

    def collect(cur: LexborNode) -> None:
        for child in cur.iter(include_text=True):
            if child.is_text_node:
                parts.append(child.text_content or "")
            elif child.tag == "br":
                parts.append("\n")
            elif child.tag in SKIP_TAGS or not child.is_element_node:
                continue
            else:
                block = child.tag in BLOCK_TAGS
                parts.append("\n" if block else "")
                collect(child)
                parts.append("\n" if block else "")

    collect(node)
    return ref_clean("".join(parts))


def _contains_block(node: LexborNode) -> bool:
    return any(c.tag in BLOCK_TAGS or (c.is_element_node and _contains_block(c)) for c in node.iter())


def ref_iter_blocks(root: LexborNode, ignore: set[int]) -> Iterator[LexborNode]:
    for child in root.iter():
        if child.mem_id in ignore or child.tag in SKIP_TAGS or not child.is_element_node:
            continue
        if child.tag in BLOCK_TAGS:
            if _contains_block(child):
                yield from ref_iter_blocks(child, ignore)
            else:
                yield child
        elif _contains_block(child):
            yield from ref_iter_blocks(child, ignore)


def ref_join_url(base: str, link: str) -> str | None:
    try:
        joined = urljoin(base, link)
        urlsplit(joined)
    except ValueError:
        return None
    return joined


# --- block walk and block text --------------------------------------------------------------------

PAGES = [
    "<p>one</p><div><p>two<br>lines</p><div>three <b>bold</b></div></div>",
    "<div><span>inline <div>block in inline</div></span><p>after</p></div>",
    "<div class=side><p>ignored</p></div><div>kept<div class=side>ignored</div></div>",
    "<p>text <script>var x</script> more</p><p><button><div>in a button</div></button>tail</p>",
    "<ul><li>a</li><li><a href=/x>b</a><ul><li>c</li></ul></li></ul><table><tr><td>cell</td></tr></table>",
    "<figure class=box><img src=a.jpg><figcaption>cap</figcaption></figure><p>body <!-- c --> text</p>",
    "<div class=box><p>in box</p><div><p>deep in box</p></div></div><p>out<noscript><p>ns</p></noscript></p>",
    "<p>\u00a0spaced\u2003 out \u200b text\n\n  on lines </p><pre>  keep\n  lines </pre>",
    "<div>icon <svg><text>s</text></svg> label</div><p><template><p>t</p></template>after</p>",
]


@pytest.mark.parametrize("html", PAGES)
def test_inner_blocks_match_the_recursive_walk(html: str) -> None:
    tree = LexborHTMLParser(f"<html><body>{html}</body></html>")
    body = tree.body
    assert body is not None
    for ignore in (set(), {n.mem_id for n in tree.css(".side")}):
        boxes = {n.mem_id for n in tree.css(".box, figure")}
        blocks = inner_blocks(body, ignore, boxes)
        assert [n.mem_id for n, _, _ in blocks] == [n.mem_id for n in ref_iter_blocks(body, ignore)]
        assert [n.mem_id for n in iter_blocks(body, ignore)] == [n.mem_id for n, _, _ in blocks]
        assert block_texts(blocks) == [ref_node_text(node) for node, _, _ in blocks]
        for node, plain, marked in blocks:
            assert block_text(node, plain) == ref_node_text(node)
            assert marked == is_inside(node, boxes)


def test_block_under_a_marked_root_is_marked() -> None:
    tree = LexborHTMLParser("<div class=box><section><p>a</p><p>b</p></section></div>")
    root = tree.css_first("section")
    assert root is not None
    boxes = {n.mem_id for n in tree.css(".box")}
    assert [marked for _, _, marked in inner_blocks(root, set(), boxes)] == [True, True]


@pytest.mark.parametrize("html", PAGES)
def test_node_text_of_any_element_matches_the_reference(html: str) -> None:
    tree = LexborHTMLParser(html)
    for node in tree.css("*"):
        assert node_text(node) == ref_node_text(node), node.html


# --- clean ----------------------------------------------------------------------------------------

SPACE_KINDS = " \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2003\u200b\u200d\u2028\u202f\u3000\ufeff\xad"
SPACEY = st.text(alphabet=st.sampled_from(list(SPACE_KINDS + "ab.é日")), max_size=12)


@SETTINGS
@given(st.one_of(SPACEY, st.text(max_size=20)))
def test_clean_and_one_line_match_the_reference(text: str) -> None:
    assert clean(text) == ref_clean(text)
    assert one_line(text) == ref_clean(text).replace("\n", " ")


def test_clean_early_return_only_for_clean_text() -> None:
    for text in ("already clean", "two  spaces", " lead", "trail ", "tab\there", "nb\u00a0sp", "zw\u200bsp"):
        assert clean(text) == ref_clean(text)


# --- join_url -------------------------------------------------------------------------------------

URL_PIECES = st.sampled_from([
    "http://", "https://", "HTTPS://", "ftp://", "//", "x.org", "X.Org", "a-b.c", ":80", ":", ":x", "/", "a",
    "..", ".", ";p", "?", "?q=1", "#", "#f", "%20", " ", "\t", "\n", "[::1]", "[", "é", "\x00", "\x7f", "@",
])
BASES = st.sampled_from(["https://www.transcend.org/tms/2020/10/x/", "http://a.b/c?d#e", "", "ftp://x/y"])


@SETTINGS
@given(BASES, st.lists(URL_PIECES, max_size=7).map("".join))
def test_join_url_matches_urljoin(base: str, link: str) -> None:
    assert join_url(base, link) == ref_join_url(base, link)


@pytest.mark.parametrize("link", [
    "https://www.rt.com/op-ed/504399-russia-china/", "http://x.org", "https://x.org:99999/a/../b",
    "https://x.org/a;p", "https://x.org/a?", "https://x.org/a#", "HTTP://x.org/a", "https://x.org/ä",
])
def test_join_url_absolute_links(link: str) -> None:
    for base in ("https://www.transcend.org/tms/x/", "http://a.b/", ""):
        assert join_url(base, link) == ref_join_url(base, link)


# --- the shared CSS engine ------------------------------------------------------------------------


def test_shared_css_engine_matches_selectolax_across_documents() -> None:
    one = LexborHTMLParser("<div class=a><p class=x>1</p><div class=k><p class=x>2</p></div></div>")
    two = LexborHTMLParser("<section class=a><p class=x>3</p></section><p class=x>4</p>")
    for tree in (one, two, one):
        for query in (".x", ".a .x", "div, p", "section > .x:last-child", "#none", "p:not(.x)"):
            assert [n.mem_id for n in css(tree, query)] == [n.mem_id for n in tree.css(query)]
            first, want = css_first(tree, query), tree.css_first(query)
            assert (first.mem_id if first else None) == (want.mem_id if want else None)
        scope = tree.css_first(".a")
        assert scope is not None
        # a scoped search includes the scope itself and sees ancestors outside it, as node.css does
        assert [n.mem_id for n in css(scope, ".a, .x")] == [n.mem_id for n in scope.css(".a, .x")]


def test_css_on_an_empty_document() -> None:
    tree = LexborHTMLParser("")
    assert css(tree, "p") == tree.css("p")
    assert css_first(tree, "p") is None


# --- patterns -------------------------------------------------------------------------------------

PATTERN_SETS = [
    (r"^_{5,}$", r"^\s*Go to Original\b", r"^Tags:"),  # anchored: joined
    (r"^Also:\s", r"Read more"),  # one unanchored: kept apart
    (r"(?i)^a", r"(?i)^b"),  # their own flags
    (r"^(x)\1",),  # a group
    (),
]


@pytest.mark.parametrize("sources", PATTERN_SETS)
def test_any_search_matches_one_search_per_pattern(sources: tuple[str, ...]) -> None:
    patterns = tuple(re.compile(s) for s in sources)
    test = any_search(patterns)
    for text in ("_______", "  Go to Original – rt.com", "Tags: x", "Also: y", "so Read more", "A b",
                 "b", "xx", "x", "", "nothing here"):
        assert test(text) == any(p.search(text) for p in patterns), (sources, text)


# --- bylines and month words ----------------------------------------------------------------------

BYLINE_WORDS = st.sampled_from([
    "By", "Tom Fowdy", "Ph.D.", "and", ",", "|", " - ", " – ", "RT", "Editor", "Nº 437 |", "24 May 2021",
    "TRANSCEND Media Service", "transcend media service", "TRANSCEND  Media\u00a0Service", "Medıa",
    "MILITARISM", " ", "\n", "\u200b",
])


@SETTINGS
@given(st.lists(BYLINE_WORDS, max_size=8).map(" ".join))
def test_names_republisher_agrees_with_parse_byline(text: str) -> None:
    assert names_republisher(text) == (parse_byline(text).republisher is not None)


def test_dotless_i_in_the_republisher_name_does_not_raise() -> None:
    # re.I matches "ı" to "i" where casefold() does not: the name lookup used to raise StopIteration.
    assert parse_byline("Tom Fowdy | RT - TRANSCEND Medıa Servıce").republisher == "TRANSCEND Media Service"


@SETTINGS
@given(st.text(max_size=10))
def test_month_key_matches_the_decomposing_form(word: str) -> None:
    decomposed = unicodedata.normalize("NFKD", word.strip().rstrip(".").lower())
    assert _key(word) == "".join(c for c in decomposed if not unicodedata.combining(c))


def test_squash_splits_where_the_whitespace_pattern_does() -> None:
    """squash() joins str.split(): the same characters as re's \\s, every code point of them."""
    import sys

    spaces = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if re.fullmatch(r"\s", c))
    assert spaces == "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    text = f"{spaces}Jane{spaces}Doe\u200b and{spaces}"
    assert squash(text) == re.sub(r"\s+", " ", text).strip() == "Jane Doe\u200b and"


@given(st.text())
@SETTINGS
def test_squash_reads_like_the_substitution(text: str) -> None:
    assert squash(text) == re.sub(r"\s+", " ", text).strip()
