"""Applying a site rule's layout to one page (the loading side is ``repub.extract.rules``).

Two ways to find the body, as documented in ``rules``: selector mode (``body`` containers) and line mode
(the page's innermost blocks classified by their text). The engine is on the hot path of every rule page
(issue 5: at least 10x trafilatura), so it reads the tree sparingly:

* CSS goes through one shared selector engine (``textutil.css``), not one built per document;
* line mode walks <body> once (``inner_blocks``) and reads each block's text once, with lexbor's text()
  where nothing in the block needs the <br>-aware walk; the title, header, body and tag passes share
  those texts, and caption boxes are marked during that walk;
* ``skip`` selectors are matched inside the body containers only, not over the whole page;
* a selector read for one text or image stops at the first match (``css_first``) unless that match is
  ignored or empty;
* drop and end patterns are tested as one alternation per list (``any_search``);
* the meta/byline test of header lines parses a line as a byline only when it could name a republisher.

Every shortcut reads exactly what the plain code read (tests/test_extract_fast_paths.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from repub.evidence import Evidence
from repub.extract.byline import Byline, names_republisher, parse_byline
from repub.extract.dates import PrefixDate, parse_page_date, split_date_prefix
from repub.extract.outlets import find_outlet
from repub.extract.textutil import (
    Block,
    block_text,
    block_texts,
    css,
    css_first,
    image_url,
    inner_blocks,
    is_inside,
    join_url,
    node_text,
    one_line,
    own_text,
)
from repub.extract.types import Extracted, LeadImage, OriginalRef

if TYPE_CHECKING:
    from repub.extract.rules import Layout, SiteRule

_HEADINGS = ("h1", "h2", "h3")

Search = Callable[[str], bool]


@cache
def any_search(patterns: tuple[re.Pattern[str], ...]) -> Search:
    """A test "one of the patterns matches somewhere in the text" (a rule's drop, end, byline_line).

    Patterns anchored at the start, as drop and end patterns are, are joined into one alternation: one
    search instead of one per pattern, on every block of the body. Unanchored ones stay apart (joined,
    they would be tried at every position of the text), as do patterns with groups or their own flags.
    """
    if not patterns:
        return lambda text: False
    joined = _joined(patterns)
    if joined is not None:
        return lambda text: joined.search(text) is not None
    return lambda text: any(p.search(text) for p in patterns)


def _joined(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    flags = patterns[0].flags
    if len(patterns) < 2 or flags & (re.M | re.X) or any(p.flags != flags for p in patterns):
        return None
    if not all(p.pattern.startswith("^") and p.groups == 0 for p in patterns):
        return None
    try:
        # A global inline flag such as "(?i)" inside the alternation is an error: the patterns stay apart.
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), flags)
    except re.error:
        return None


def apply_layout(rule: SiteRule, layout: Layout, tree: LexborHTMLParser, url: str) -> Extracted:
    """Read one page with one layout of a rule."""
    return _Run(rule, layout, tree, url).extract()


@dataclass
class _Header:
    section: str | None = None
    published: Any = None
    byline_text: str | None = None
    byline: Byline | None = None


class _Run:
    """One extraction: a rule's layout applied to one page."""

    def __init__(self, rule: SiteRule, layout: Layout, tree: LexborHTMLParser, url: str) -> None:
        self.rule, self.lay, self.tree, self.url = rule, layout, tree, url
        self.ignored = self._ids(layout.ignore)
        self._boxes: set[int] | None = None
        self._blocks: list[Block] | None = None
        self._texts: list[str] = []
        self._drops, self._ends = any_search(layout.drop), any_search(layout.end)
        self._byline_line = any_search(layout.byline_line)

    def _ids(self, selectors: tuple[str, ...], root: LexborNode | None = None) -> set[int]:
        # One scan for the whole list (a selector group), not one per selector.
        if not selectors:
            return set()
        return {n.mem_id for n in css(root or self.tree, ", ".join(selectors))}

    @property
    def boxes(self) -> set[int]:
        """Caption boxes (whole page), looked up on first use."""
        if self._boxes is None:
            self._boxes = self._ids(self.lay.caption_box)
        return self._boxes

    def _body_blocks(self) -> tuple[list[Block], list[str]]:
        """The innermost blocks of <body> outside ignored subtrees and their texts, read once per page.

        A block's third item (``marked``) says it lies in a caption box.
        """
        if self._blocks is None:
            root = self.tree.body
            self._blocks = inner_blocks(root, self.ignored, self.boxes) if root is not None else []
            self._texts = block_texts(self._blocks)
        return self._blocks, self._texts

    def _nodes(self, selectors: tuple[str, ...]) -> list[LexborNode]:
        for sel in selectors:
            if sel.startswith(("meta:", "@")):
                continue
            found = [n for n in css(self.tree, sel) if not is_inside(n, self.ignored)]
            if found:
                return found
        return []

    def _first_nodes(self, selectors: tuple[str, ...]) -> Iterator[LexborNode]:
        """``_nodes``, lazily: css_first gives the first match, the others are looked up when asked for."""
        for sel in selectors:
            if sel.startswith(("meta:", "@")):
                continue
            first = css_first(self.tree, sel)
            if first is None:
                continue
            if not is_inside(first, self.ignored):
                yield first
                yield from (n for n in css(self.tree, sel)[1:] if not is_inside(n, self.ignored))
                return
            rest = [n for n in css(self.tree, sel)[1:] if not is_inside(n, self.ignored)]
            if rest:
                yield from rest
                return

    def _text(self, selectors: tuple[str, ...]) -> str | None:
        """First non-empty text from the selectors (``meta:NAME`` reads a meta tag's content)."""
        for sel in selectors:
            if sel.startswith("meta:"):
                name = sel[5:]
                node = css_first(self.tree, f'meta[property="{name}"], meta[name="{name}"]')
                text = one_line(node.attributes.get("content") if node else None)
            elif sel.startswith("@"):
                continue
            else:
                text = self._selector_text(sel)
            if text:
                return text
        return None

    def _selector_text(self, sel: str) -> str:
        """The first non-empty text of a node matching sel outside ignored subtrees, else ""."""
        # Usually the first match answers: css_first stops the scan there. Only when that match is
        # ignored or empty are all matches needed.
        first = css_first(self.tree, sel)
        if first is None:
            return ""
        if not is_inside(first, self.ignored) and (text := one_line(node_text(first))):
            return text
        nodes = (n for n in css(self.tree, sel)[1:] if not is_inside(n, self.ignored))
        return next((t for n in nodes if (t := one_line(node_text(n)))), "")

    def extract(self) -> Extracted:
        lay, rule = self.lay, self.rule
        ex = Extracted(url=self.url, site=rule.site, extractor=f"{rule.site}@{lay.name}",
                       language=rule.language)
        header = _Header()
        title = self._text(lay.title)
        if lay.body:
            paragraphs = self._selector_body()
        else:
            heading, paragraphs, header = self._line_body(title)
            title = heading or title
        if title and lay.title_strip:
            title = lay.title_strip.sub("", title).strip()
        ex.title = title or None
        ex.section = header.section or self._text(lay.section)
        ex.published = header.published or self._date(lay.date)
        ex.modified = self._date(lay.modified)
        self._authors(ex, header)
        prefix: PrefixDate | None = None
        if lay.date_prefix and paragraphs:
            prefix, rest = split_date_prefix(paragraphs[0])
            paragraphs[0:1] = [rest] if rest else []
        ex.body_text = "\n\n".join(paragraphs)
        ex.lead_image = self._lead_image()
        ex.tags = self._tags()
        ex.original = self._original(header.byline, prefix, ex.byline)
        outlet = find_outlet(header.byline.outlet) if header.byline and header.byline.outlet else None
        ex.credits = [outlet.name] if outlet else []  # "Tom Fowdy | RT - TRANSCEND Media Service"
        return ex

    # -- header fields

    def _date(self, selectors: tuple[str, ...]) -> Any:
        text = self._text(selectors)
        return parse_page_date(text, tz=self.rule.timezone) if text else None

    def _authors(self, ex: Extracted, header: _Header) -> None:
        if header.byline_text:
            ex.byline = header.byline_text
            ex.authors = list(header.byline.authors) if header.byline else []
            return
        byline = self._text(self.lay.byline)
        if byline:
            parsed = parse_byline(byline)
            ex.byline, ex.authors = byline, parsed.authors
            header.byline = parsed
            return
        text = self._text(self.lay.author)
        if not text:
            return
        ex.byline = text
        name: str | None = text
        if self.lay.author_pattern is not None:
            # "By Tom Fowdy, a British writer …": the pattern's "name" group is the person
            match = self.lay.author_pattern.search(text)
            name = match.groupdict().get("name") if match else None
        if name:
            ex.authors = parse_byline(name).authors

    # -- body

    def _keep(self, text: str) -> bool:
        return bool(text) and not self._drops(text)

    def _selector_body(self) -> list[str]:
        out = [t for n in self._nodes(self.lay.summary) if self._keep(t := node_text(n))]
        # skip/caption boxes only matter inside a container: matched there, not over the whole page.
        scoped = self.lay.skip + self.lay.caption_box
        for container in self._nodes(self.lay.body):
            skipped = self.ignored | self._ids(scoped, container)
            for node, plain, _ in inner_blocks(container, skipped):
                text = block_text(node, plain)
                if self._ends(text):
                    return out
                if self._keep(text):
                    out.append(text)
        return out

    def _line_body(self, known_title: str | None) -> tuple[str | None, list[str], _Header]:
        blocks, texts = self._body_blocks()
        start = self._title_index(blocks, texts, known_title)
        heading = one_line(texts[start]) if start is not None else None
        header = _Header()
        body: list[str] = []
        first = (start + 1) if start is not None else self._first_meta(texts)
        in_header = True
        for (node, _, in_box), text in zip(blocks[first:], texts[first:], strict=True):
            if not text or in_box:
                continue
            if in_header:
                rest = [line for line in text.split("\n") if not self._header_line(node, line, header)]
                if not rest:
                    continue
                in_header = False
                text = "\n".join(rest)
            if self._ends(text):
                break
            if self._keep(text):
                body.append(text)
        return heading, body, header

    def _header_line(self, block: LexborNode, line: str, header: _Header) -> bool:
        """Consume a meta or byline line into header; False when the line is body text."""
        meta = self.lay.meta_line.match(line) if self.lay.meta_line else None
        if meta and header.published is None and not names_republisher(meta["section"]):
            published = parse_page_date(meta["date"], tz=None)
            if published is not None:
                category = css_first(block, 'a[rel~="category"]')
                header.section = one_line(category.text()) if category else meta["section"].strip()
                header.published = published
                return True
        if header.byline_text is None and self._byline_line(line):
            header.byline_text, header.byline = line, parse_byline(line)
            return True
        return False

    def _title_index(self, blocks: list[Block], texts: list[str], known: str | None) -> int | None:
        """The heading holding the title: equal to og:title/<title>, else one followed by a meta line."""
        heads = [i for i, (node, _, _) in enumerate(blocks) if node.tag in _HEADINGS and texts[i]]
        if known:
            wanted = _norm(self.lay.title_strip.sub("", known) if self.lay.title_strip else known)
            for i in heads:
                if _norm(texts[i]) == wanted:
                    return i
        for i in heads:
            for text in texts[i + 1 : i + 4]:
                if any(self._is_meta_or_byline(line) for line in text.split("\n")):
                    return i
        return None

    def _is_meta_or_byline(self, line: str) -> bool:
        meta = self.lay.meta_line.match(line) if self.lay.meta_line else None
        if meta and not names_republisher(meta["section"]):
            return True
        return self._byline_line(line)

    def _first_meta(self, texts: list[str]) -> int:
        for i, text in enumerate(texts):
            if any(self._is_meta_or_byline(line) for line in text.split("\n")):
                return i
        return len(texts)

    # -- image, tags, original

    def _lead_image(self) -> LeadImage | None:
        lay = self.lay
        caption = self._text(lay.caption)
        credit = self._text(lay.credit)
        if caption and lay.credit_pattern and (m := lay.credit_pattern.search(caption)):
            credit = credit or m.group("credit")
            caption = caption[: m.start()]
        credit = (credit or "").lstrip("©").strip() or None
        url = None
        for node in self._first_nodes(lay.image):
            if node.tag == "img" and (url := image_url(node, self.url)):
                break
        image = LeadImage(url=url, caption=(caption or "").strip() or None, credit=credit)
        return image if (image.url or image.caption or image.credit) else None

    def _tags(self) -> list[str]:
        nodes: list[LexborNode] = []
        if self.lay.tags_line and self.tree.body is not None:
            blocks, texts = self._body_blocks()
            for (node, _, _), text in zip(blocks, texts, strict=True):
                if self.lay.tags_line.search(text):
                    nodes = css(node, "a")
                    break
        if not nodes:
            nodes = self._nodes(self.lay.tags)
        tags: list[str] = []
        for node in nodes:
            text = own_text(node)
            if text and text not in tags:
                tags.append(text)
        return tags

    def _original(self, byline: Byline | None, prefix: PrefixDate | None, byline_text: str | None
                  ) -> OriginalRef | None:
        outlet = byline.outlet if byline else None
        # The byline's outlet ("Tom Fowdy | RT - TRANSCEND Media Service") is evidence of its own.
        credit = [Evidence("byline-credit", {"outlet": outlet, "text": byline_text or outlet})
                  ] if outlet else []
        if self.lay.original_link:
            for anchor in css(self.tree, "a[href]"):
                match = self.lay.original_link.match(own_text(anchor))
                href = join_url(self.url, anchor.attributes.get("href") or "") if match else None
                if match and href:
                    domain = match.groupdict().get("domain") or urlsplit(href).hostname
                    link = Evidence("go-to-original", {"url": href, "text": own_text(anchor)})
                    return OriginalRef(url=href, outlet=outlet or domain, published=prefix,
                                       evidence=[link, *credit])
        if outlet:
            return OriginalRef(url=None, outlet=outlet, published=prefix, evidence=credit)
        return None


def _norm(text: str) -> str:
    return one_line(text).casefold()
