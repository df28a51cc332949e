"""Site rules: data about a site (sites/<site>.toml) applied by one generic engine.

A rule file names the hosts it applies to and, per layout (Fundus-style: a site's markup changes over
time), CSS selectors and text patterns. Adding a site is adding a TOML file. Two ways to find the body:

* selector mode (``body`` selectors, e.g. RT): paragraphs of the body container(s), ``summary`` first;
* line mode (no ``body``, e.g. TMS whose theme markup is unknown): walk the page's innermost blocks in
  order; after the title, classify the header lines by text (meta line "SECTION, D Mon YYYY", byline
  line) and take everything after them as body until an ``end`` line. This anchors on text the editors
  type, not on theme class names.

In both modes ``drop`` patterns remove lines (promos, share invitations) and ``end`` patterns stop the
body. Selector lists are tried in order, first non-empty match wins; ``meta:NAME`` reads a <meta>.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from datetime import UTC, date, tzinfo
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from repub.errors import ConfigError
from repub.extract.byline import Byline, parse_byline
from repub.extract.dates import PrefixDate, parse_page_date, split_date_prefix
from repub.extract.textutil import image_url, is_inside, iter_blocks, join_url, node_text, one_line, own_text
from repub.extract.types import Extracted, LeadImage, OriginalRef

SITES_DIR = Path(__file__).parent / "sites"
_HEADINGS = ("h1", "h2", "h3")

SELECTOR_KEYS = (
    "detect", "ignore", "title", "section", "date", "modified", "summary", "body", "skip", "caption_box",
    "caption", "credit", "image", "byline", "author", "tags",
)
PATTERN_KEYS = ("title_strip", "author_pattern", "credit_pattern", "meta_line", "tags_line", "original_link")
PATTERN_LIST_KEYS = ("drop", "end", "byline_line")


@dataclass(frozen=True)
class Layout:
    """One version of a site's markup; the selector and pattern fields are documented in sites/*.toml."""

    name: str
    valid_from: date | None = None
    detect: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    title: tuple[str, ...] = ()
    section: tuple[str, ...] = ()
    date: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    summary: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    caption_box: tuple[str, ...] = ()
    caption: tuple[str, ...] = ()
    credit: tuple[str, ...] = ()
    image: tuple[str, ...] = ()
    byline: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    title_strip: re.Pattern[str] | None = None
    author_pattern: re.Pattern[str] | None = None
    credit_pattern: re.Pattern[str] | None = None
    meta_line: re.Pattern[str] | None = None
    tags_line: re.Pattern[str] | None = None
    original_link: re.Pattern[str] | None = None
    drop: tuple[re.Pattern[str], ...] = ()
    end: tuple[re.Pattern[str], ...] = ()
    byline_line: tuple[re.Pattern[str], ...] = ()
    date_prefix: bool = False


@dataclass(frozen=True)
class SiteRule:
    site: str
    hosts: tuple[str, ...]
    layouts: tuple[Layout, ...]
    path: re.Pattern[str] | None = None
    timezone: tzinfo | None = None
    language: str | None = None
    source: Path | None = field(default=None, compare=False)

    def applies_to(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        return host in self.hosts and (self.path is None or bool(self.path.search(parts.path or "/")))

    def layout_for(self, tree: LexborHTMLParser) -> Layout:
        """The newest layout whose ``detect`` selectors all match (layouts are sorted newest first)."""
        for layout in self.layouts:
            if all(tree.css_first(sel) is not None for sel in layout.detect):
                return layout
        return self.layouts[-1]

    def extract(self, tree: LexborHTMLParser, url: str) -> Extracted:
        layout = self.layout_for(tree)
        return _Run(self, layout, tree, url).extract()


# ---------------------------------------------------------------- loading


def load_rules(directory: Path | None = None) -> list[SiteRule]:
    """Every sites/*.toml, validated; ConfigError names the file and the problem."""
    folder = directory or SITES_DIR
    rules = [load_rule(path) for path in sorted(folder.glob("*.toml"))]
    seen: dict[str, Path | None] = {}
    for rule in rules:
        for host in rule.hosts:
            if host in seen and rule.path is None:
                raise ConfigError(f"{rule.source}: host {host} is also claimed by {seen[host]}")
            seen[host] = rule.source
    return rules


def load_rule(path: Path) -> SiteRule:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: cannot read rule file: {err}") from err
    try:
        return _build_rule(data, path)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


def _build_rule(data: dict[str, Any], path: Path) -> SiteRule:
    top = {"site", "hosts", "path", "timezone", "language", "layout"}
    layout_keys = {f.name for f in fields(Layout)}
    unknown = set(data) - top - layout_keys
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(sorted(unknown))}")
    site = _need(data, "site", str)
    hosts = data.get("hosts")
    if not isinstance(hosts, list) or not hosts or not all(isinstance(h, str) and h for h in hosts):
        raise ConfigError("'hosts' must be a non-empty list of host names")
    defaults = {k: v for k, v in data.items() if k in layout_keys}
    tables = data.get("layout") or [{}]
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError("'layout' must be an array of tables ([[layout]])")
    layouts = [_build_layout({**defaults, **table}, i) for i, table in enumerate(tables)]
    layouts.sort(key=lambda lay: lay.valid_from or date.min, reverse=True)
    tz: tzinfo | None = None
    if "timezone" in data:
        try:
            name = _need(data, "timezone", str)
            tz = UTC if name.upper() in ("UTC", "Z") else ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ConfigError(f"unknown timezone {data['timezone']!r}") from err
    return SiteRule(
        site=site,
        hosts=tuple(h.lower() for h in hosts),
        layouts=tuple(layouts),
        path=_regex(data["path"], "path") if "path" in data else None,
        timezone=tz,
        language=data.get("language"),
        source=path,
    )


def _build_layout(table: dict[str, Any], index: int) -> Layout:
    unknown = set(table) - {f.name for f in fields(Layout)}
    if unknown:
        raise ConfigError(f"layout #{index + 1}: unknown key(s) {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {"name": str(table.get("name", "default"))}
    if "valid_from" in table:
        if not isinstance(table["valid_from"], date):
            raise ConfigError(f"layout {values['name']}: 'valid_from' must be a TOML date (2020-01-01)")
        values["valid_from"] = table["valid_from"]
    for key in SELECTOR_KEYS:
        if key in table:
            values[key] = tuple(_selector(s, key) for s in _str_list(table[key], key))
    for key in PATTERN_KEYS:
        if key in table:
            values[key] = _regex(table[key], key)
    for key in PATTERN_LIST_KEYS:
        if key in table:
            values[key] = tuple(_regex(p, key) for p in _str_list(table[key], key))
    if "date_prefix" in table:
        values["date_prefix"] = _need(table, "date_prefix", bool)
    return Layout(**values)


def _need(data: dict[str, Any], key: str, kind: type) -> Any:
    value = data.get(key)
    if not isinstance(value, kind):
        raise ConfigError(f"'{key}' must be a {kind.__name__}")
    return value


def _str_list(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"'{key}' must be a string or a list of strings")
    return value


def _regex(value: Any, key: str) -> re.Pattern[str]:
    if not isinstance(value, str):
        raise ConfigError(f"'{key}' must be a regular expression string")
    try:
        return re.compile(value)
    except re.error as err:
        raise ConfigError(f"'{key}': bad regular expression {value!r}: {err}") from err


_PROBE = LexborHTMLParser("<p></p>")


def _selector(value: str, key: str) -> str:
    if value.startswith("meta:") or value == "@heading":
        return value
    try:
        _PROBE.css_first(value)
    except SelectolaxError as err:
        raise ConfigError(f"'{key}': bad CSS selector {value!r}") from err
    return value


@cache
def _default_rules() -> tuple[SiteRule, ...]:
    return tuple(load_rules())


def find_rule(url: str, rules: list[SiteRule] | None = None) -> SiteRule | None:
    """The rule for a URL's host (and path), or None: the page then goes to the generic extractor."""
    for rule in rules if rules is not None else _default_rules():
        if rule.applies_to(url):
            return rule
    return None


# ---------------------------------------------------------------- extraction


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
        self.boxes = self._ids(layout.caption_box)
        self._blocks: list[LexborNode] | None = None
        self._texts: dict[int, str] = {}

    def _ids(self, selectors: tuple[str, ...]) -> set[int]:
        # One scan of the tree for the whole list (a selector group), not one per selector.
        return {n.mem_id for n in self.tree.css(", ".join(selectors))} if selectors else set()

    def _body_blocks(self) -> list[LexborNode]:
        """The innermost blocks of <body> outside ignored subtrees, computed once per page."""
        if self._blocks is None:
            root = self.tree.body
            self._blocks = list(iter_blocks(root, self.ignored)) if root is not None else []
        return self._blocks

    def _block_text(self, node: LexborNode) -> str:
        """``node_text`` of a block, read once per page (the body and tag passes share it)."""
        text = self._texts.get(node.mem_id)
        if text is None:
            text = self._texts[node.mem_id] = node_text(node)
        return text

    def _nodes(self, selectors: tuple[str, ...]) -> list[LexborNode]:
        for sel in selectors:
            if sel.startswith(("meta:", "@")):
                continue
            found = [n for n in self.tree.css(sel) if not is_inside(n, self.ignored)]
            if found:
                return found
        return []

    def _text(self, selectors: tuple[str, ...]) -> str | None:
        """First non-empty text from the selectors (``meta:NAME`` reads a meta tag's content)."""
        for sel in selectors:
            if sel.startswith("meta:"):
                name = sel[5:]
                node = self.tree.css_first(f'meta[property="{name}"], meta[name="{name}"]')
                text = one_line(node.attributes.get("content") if node else None)
            elif sel.startswith("@"):
                continue
            else:
                nodes = (n for n in self.tree.css(sel) if not is_inside(n, self.ignored))
                text = next((t for n in nodes if (t := one_line(node_text(n)))), "")
            if text:
                return text
        return None

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
        ex.original = self._original(header.byline, prefix)
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
        return bool(text) and not any(p.search(text) for p in self.lay.drop)

    def _ends(self, text: str) -> bool:
        return any(p.search(text) for p in self.lay.end)

    def _selector_body(self) -> list[str]:
        skipped = self.ignored | self._ids(self.lay.skip) | self.boxes
        out = [t for n in self._nodes(self.lay.summary) if self._keep(t := node_text(n))]
        for container in self._nodes(self.lay.body):
            for block in iter_blocks(container, skipped):
                text = node_text(block)
                if self._ends(text):
                    return out
                if self._keep(text):
                    out.append(text)
        return out

    def _line_body(self, known_title: str | None) -> tuple[str | None, list[str], _Header]:
        blocks = self._body_blocks()
        texts = [self._block_text(b) for b in blocks]
        start = self._title_index(blocks, texts, known_title)
        heading = one_line(texts[start]) if start is not None else None
        header = _Header()
        body: list[str] = []
        first = (start + 1) if start is not None else self._first_meta(texts)
        in_header = True
        for block, text in zip(blocks[first:], texts[first:], strict=True):
            if not text or (self.boxes and is_inside(block, self.boxes)):
                continue
            if in_header:
                rest = [line for line in text.split("\n") if not self._header_line(block, line, header)]
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
        if meta and header.published is None and not parse_byline(meta["section"]).republisher:
            published = parse_page_date(meta["date"], tz=None)
            if published is not None:
                category = block.css_first('a[rel~="category"]')
                header.section = one_line(category.text()) if category else meta["section"].strip()
                header.published = published
                return True
        if header.byline_text is None and any(p.search(line) for p in self.lay.byline_line):
            header.byline_text, header.byline = line, parse_byline(line)
            return True
        return False

    def _title_index(self, blocks: list[LexborNode], texts: list[str], known: str | None) -> int | None:
        """The heading holding the title: equal to og:title/<title>, else one followed by a meta line."""
        heads = [i for i, b in enumerate(blocks) if b.tag in _HEADINGS and texts[i]]
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
        if meta and not parse_byline(meta["section"]).republisher:
            return True
        return any(p.search(line) for p in self.lay.byline_line)

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
        for node in self._nodes(lay.image):
            if node.tag == "img" and (url := image_url(node, self.url)):
                break
        image = LeadImage(url=url, caption=(caption or "").strip() or None, credit=credit)
        return image if (image.url or image.caption or image.credit) else None

    def _tags(self) -> list[str]:
        nodes: list[LexborNode] = []
        if self.lay.tags_line and self.tree.body is not None:
            for block in self._body_blocks():
                if self.lay.tags_line.search(self._block_text(block)):
                    nodes = block.css("a")
                    break
        if not nodes:
            nodes = self._nodes(self.lay.tags)
        tags: list[str] = []
        for node in nodes:
            text = own_text(node)
            if text and text not in tags:
                tags.append(text)
        return tags

    def _original(self, byline: Byline | None, prefix: PrefixDate | None) -> OriginalRef | None:
        outlet = byline.outlet if byline else None
        if self.lay.original_link:
            for anchor in self.tree.css("a[href]"):
                match = self.lay.original_link.match(own_text(anchor))
                href = join_url(self.url, anchor.attributes.get("href") or "") if match else None
                if match and href:
                    domain = match.groupdict().get("domain") or urlsplit(href).hostname
                    return OriginalRef(url=href, outlet=outlet or domain, published=prefix,
                                       signal="go-to-original")
        if outlet:
            return OriginalRef(url=None, outlet=outlet, published=prefix, signal="byline")
        return None


def _norm(text: str) -> str:
    return one_line(text).casefold()
