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

This module loads and finds rules; ``repub.extract.apply`` applies them to a page.
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

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from repub.errors import ConfigError
from repub.extract.apply import apply_layout
from repub.extract.textutil import css_first
from repub.extract.types import Extracted

SITES_DIR = Path(__file__).parent / "sites"

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
            if all(css_first(tree, sel) is not None for sel in layout.detect):
                return layout
        return self.layouts[-1]

    def extract(self, tree: LexborHTMLParser, url: str) -> Extracted:
        return apply_layout(self, self.layout_for(tree), tree, url)


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
