"""Pre-cleaning before body extraction: drop by structure what is never article body.

``clean_tree(html) -> html`` removes scripts/styles/embeds/forms, navigation, page header and footer
(outside ``<article>``), asides and landmark roles, and blocks whose class or id names them as comments,
share/social bars, related/recommended/read-more lists, newsletter boxes, cookie banners, breadcrumbs
or tag lists. Class/id names are matched word by word (``share`` matches ``social-share`` and
``shareBar`` but not ``shared-content``). Never removed: ``html``, ``body``, ``<article>``, ``<main>``,
and any element that holds the page's main paragraph block (the element whose direct ``<p>`` children
carry the most text), a <noscript> holding it included — so an article inside a container named
"share-wrapper" or a <noscript> survives. On a page whose main paragraph block is weak (under 300
characters: the text is in <div>s) blocks named as comments stay: forum posts, live-blog entries and
gallery captions are so named there. Finally a body split by ads into several containers of the same
tag and class, in parents of the same tag and class, is joined into the first of them.

``jsonld_body(html)`` returns a JSON-LD ``articleBody`` when the page has one that agrees with its
visible text, else None.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from collections import Counter
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser, LexborNode

from repub.extract.jsonld import too_nested

# Always dropped, wherever they are (JSON-LD scripts are kept: they are data, not layout).
_DROP_TAGS = "script:not([type='application/ld+json']), style, noscript, template, svg, iframe, button, " \
    "link, object, embed, canvas, video, audio"
# Dropped unless they hold the main paragraph block (ASP.NET pages wrap the whole body in a <form>).
_BLOCK_TAGS = "form, nav, aside, [role=navigation], [role=banner], [role=contentinfo], [role=complementary]"
_PAGE_CHROME = "header, footer"  # dropped when not inside an <article> (and not holding the h1)

# Words naming a comments block: not applied on a page without a main paragraph block (see
# ``_WEAK_MAIN_CHARS``), where the posts of a thread or the entries of a live blog are so named.
_COMMENT_WORDS = {"comments", "comment", "commentlist", "respond", "disqus", "discussion"}
# Words of a class or id (split on - _ : . and camelCase) naming a block that is never article body.
_BAD_WORDS = {
    *_COMMENT_WORDS,
    # share / social
    "share", "shares", "sharing", "sharebar", "sharethis", "addthis", "social", "socials",
    # related / recommended / read more
    "related", "recommended", "recommendations", "readmore", "outbrain", "taboola", "recirculation",
    # newsletter / subscribe
    "newsletter", "subscribe", "subscription", "signup",
    # cookie banners
    "cookie", "cookies", "consent", "gdpr",
    # breadcrumbs, tag lists
    "breadcrumb", "breadcrumbs", "tags", "tagcloud",
}
# Consecutive words (joined with "-") naming such a block.
_BAD_PHRASES = ("read-more", "more-stories", "also-read", "you-may-like", "sign-up", "tag-list",
                "post-tags", "most-read", "more-from")


def _name_re(words: set[str]) -> re.Pattern[str]:
    # multiline: ^ and $ also bound each token of a value, one token a line (``is_boilerplate_name``)
    return re.compile(r"(?:^|-)(?:" + "|".join(sorted(words, key=len, reverse=True)) + r")(?:-|$)", re.M)


_BAD_RE = _name_re({*_BAD_WORDS, *_BAD_PHRASES})
_BAD_BUT_COMMENTS_RE = _name_re({*_BAD_WORDS - _COMMENT_WORDS, *_BAD_PHRASES})
# A main paragraph block with less <p> text than this is no article body: the page's text is elsewhere
# (forum posts, live-blog entries, gallery captions in <div>s), often in blocks named as comments.
# Trafilatura's snippet set: 3 pages better (5 snippets found, 1 false positive fewer, 1 more); no Zyte
# page changes.
_WEAK_MAIN_CHARS = 300
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEP = re.compile(r"[-_:.]+")
_NEVER = {"html", "body", "article", "main", "head", "title", "meta"}
# Inline elements are not blocks: a <span class="share-count"> is harmless and cheap to leave.
_INLINE = {"span", "a", "i", "b", "em", "strong", "small", "img", "time", "abbr", "label", "input",
           "option", "select", "sup", "sub", "br", "li", "p", "h1", "h2", "h3", "h4", "h5", "h6"}


@lru_cache(maxsize=4096)
def is_boilerplate_name(value: str, comments: bool = True) -> bool:
    """True when a class or id value has a token naming a non-body block: ``social-share``, not ``shared``;
    with ``comments`` False, a token naming comments does not count."""
    pattern = _BAD_RE if comments else _BAD_BUT_COMMENTS_RE
    # All tokens at once, one a line: neither substitution nor lower() reaches across a newline, and a
    # word or phrase never spans two tokens (half the cost of a pass per token).
    norm = _SEP.sub("-", _CAMEL.sub("-", "\n".join(value.split()))).lower()
    return pattern.search(norm) is not None


def _main_block(tree: LexborHTMLParser | LexborNode) -> LexborNode | None:
    """The element whose direct <p> children carry the most text: the article body's container."""
    weight: Counter[int] = Counter()
    parents: dict[int, LexborNode] = {}
    for p in tree.css("p"):
        parent = p.parent
        if parent is None:
            continue
        n = len(p.text(strip=True))
        if n:
            weight[parent.mem_id] += n
            parents[parent.mem_id] = parent
    return parents[weight.most_common(1)[0][0]] if weight else None


def _direct_paragraph_chars(node: LexborNode) -> int:
    """Characters of the node's own <p> children: what made it the main paragraph block."""
    return sum(len(child.text(strip=True)) for child in node.iter() if child.tag == "p")


def _path(node: LexborNode | None) -> set[int]:
    path = set()
    while node is not None:
        path.add(node.mem_id)
        node = node.parent
    return path


def merge_split_body(tree: LexborHTMLParser | LexborNode, main: LexborNode | None) -> None:
    """Join a body split into several same-class containers (ads between them) into the first one.

    Containers with the same tag and class as ``main``, in a parent of the same tag and class as its
    parent, that hold paragraphs of their own have their children moved, in page order, into the first
    of them, so the extractor sees one body, not one part. The parent must match too: a split body's
    parts sit in like wrappers (wired.com: each in a ``grid grid-margins`` div), while a layout class
    ("col-12", TYPO3's "csc-textpic-text") also names the containers of other blocks of the page, and
    joining those pulled teasers in and reordered the article.
    """
    cls = (main.attributes.get("class") or "").strip() if main is not None else ""
    if main is None or not cls or main.tag is None or main.tag in _NEVER:
        return
    frame = _tag_and_class(main.parent)
    same = [
        n for n in tree.css(main.tag)
        if (n.attributes.get("class") or "").strip() == cls and _tag_and_class(n.parent) == frame
    ]
    parts = [n for n in same if any(c.tag == "p" and c.text(strip=True) for c in n.iter())]
    if len(parts) < 2:
        return
    first = parts[0]
    for node in parts[1:]:
        if first.mem_id in _path(node):  # nested inside the first part
            continue
        for child in list(node.iter(include_text=True)):
            first.insert_child(child)
        node.decompose()


def _tag_and_class(node: LexborNode | None) -> tuple[str | None, str]:
    if node is None:
        return None, ""
    return node.tag, (node.attributes.get("class") or "").strip()


def _inside_article(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag == "article":
            return True
        parent = parent.parent
    return False


def clean_tree(html: str, merge_split: bool = True) -> str:
    """The page's HTML with the blocks that are never article body removed (see the module doc)."""
    return clean_page(LexborHTMLParser(html), merge_split)[0]


def clean_page(tree: LexborHTMLParser | LexborNode, merge_split: bool = True) -> tuple[str, int]:
    """``clean_tree`` on a parsed page or its ``<html>`` element, modified in place (pass a clone to keep
    it): the cleaned HTML and the number of words in its ``<p>`` elements (``paragraph_words`` of it,
    without a re-parse)."""
    main = _main_block(tree)
    keep = _path(main)
    for node in tree.css(_DROP_TAGS):
        # A <noscript> can hold the whole article (pages that render it with script, or an unclosed
        # <noscript> swallowing the rest of the page): an ancestor of the main block stays.
        if node.mem_id not in keep:
            node.decompose()
    _remove_outermost(boilerplate_nodes(tree, main))
    if merge_split:
        merge_split_body(tree, _main_block(tree))
    words = sum(len(_TOKEN.findall(p.text())) for p in tree.css("p"))
    return tree.html or "", words


def boilerplate_nodes(
    tree: LexborHTMLParser | LexborNode, main: LexborNode | None = None
) -> list[LexborNode]:
    """The elements of ``tree`` that ``clean_tree`` removes (besides the always-dropped tags); ``main``
    is the main paragraph block when the caller has it."""
    main = main if main is not None else _main_block(tree)
    keep = _path(main)
    comments = main is not None and _direct_paragraph_chars(main) >= _WEAK_MAIN_CHARS
    doomed: list[LexborNode] = []
    for node in tree.css(f":is({_BLOCK_TAGS})"):  # each element once (see extract.authors._BYLINES)
        if node.tag not in _NEVER and node.mem_id not in keep:
            doomed.append(node)
    for node in tree.css(_PAGE_CHROME):
        # A header holding the h1 is the article's own header (title, byline), not the site's.
        if node.mem_id not in keep and not _inside_article(node) and node.css_first("h1") is None:
            doomed.append(node)
    for node in tree.css(":is([class], [id])"):
        if node.tag in _NEVER or node.tag in _INLINE or node.mem_id in keep:
            continue
        attrs = node.attributes
        if is_boilerplate_name(attrs.get("class") or "", comments) or is_boilerplate_name(
            attrs.get("id") or "", comments
        ):
            doomed.append(node)
    return doomed


def _remove_outermost(nodes: list[LexborNode]) -> None:
    """Decompose each node once, skipping nodes inside another doomed node (already gone with it)."""
    ids = {n.mem_id for n in nodes}
    outermost: dict[int, LexborNode] = {}
    for node in nodes:
        parent = node.parent
        nested = False
        while parent is not None:
            if parent.mem_id in ids:
                nested = True
                break
            parent = parent.parent
        if not nested:
            outermost[node.mem_id] = node
    for node in outermost.values():
        parent = node.parent
        node.decompose()
        # A container left empty (e.g. a post wrapper that only held the page header) would mislead the
        # extractor's container search: drop it too, up to the first ancestor with content.
        while parent is not None and parent.tag not in _NEVER and _is_empty(parent):
            up = parent.parent
            parent.decompose()
            parent = up


def _is_empty(node: LexborNode) -> bool:
    return not node.text(deep=True, strip=True) and node.css_first("img, picture, video, table") is None


# ------------------------------------------------------------------------------------------ JSON-LD

_TOKEN = re.compile(r"\w+")
_TAG = re.compile(r"<[^>]+>")


def _walk_bodies(data: object, out: list[str]) -> None:
    if isinstance(data, dict):
        body = data.get("articleBody")
        if isinstance(body, str) and body.strip():
            out.append(body)
        for value in data.values():
            if isinstance(value, dict | list):
                _walk_bodies(value, out)
    elif isinstance(data, list):
        for item in data:
            _walk_bodies(item, out)


def jsonld_bodies(html: str, tree: LexborHTMLParser | None = None) -> list[str]:
    """Every JSON-LD articleBody on the page, tags stripped and entities decoded."""
    tree = tree or LexborHTMLParser(html)
    out: list[str] = []
    for script in tree.css("script[type='application/ld+json']"):
        raw = script.text(deep=True)
        if "articleBody" not in raw:
            continue
        try:
            data = json.loads(raw, strict=False)
        except (ValueError, RecursionError):  # unreadable, or nested past what json reads
            continue
        if too_nested(data):
            continue
        _walk_bodies(data, out)
    return [htmllib.unescape(_TAG.sub(" ", b)).strip() for b in out]


def _shingle_set(text: str, n: int = 4) -> set[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    if len(tokens) < n:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def jsonld_body(html: str, min_agreement: float = 0.8, min_tokens: int = 50) -> str | None:
    """The page's JSON-LD articleBody when ≥ ``min_agreement`` of its 4-token shingles are in the
    page's visible text and it has ≥ ``min_tokens`` words; None otherwise."""
    tree = LexborHTMLParser(html)
    bodies = jsonld_bodies(html, tree)
    if not bodies:
        return None
    body = max(bodies, key=len)
    if len(_TOKEN.findall(body)) < min_tokens:
        return None
    for node in tree.css("script, style, noscript, template"):
        node.decompose()
    root = tree.body
    visible = _shingle_set(root.text(separator=" ") if root is not None else "")
    wanted = _shingle_set(body)
    if not wanted or len(wanted & visible) / len(wanted) < min_agreement:
        return None
    return body


def paragraph_words(html: str) -> int:
    """Number of words in the page's <p> elements: what a body extractor should roughly recover."""
    return sum(len(_TOKEN.findall(p.text())) for p in LexborHTMLParser(html).css("p"))
