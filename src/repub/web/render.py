"""Templates and the filters they use. Every stored string is hostile input: the Jinja environment
escapes everything it prints (``autoescape``), and the few filters that return markup escape their
input first, then add only tags of their own."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from repub.resync.diff import Op
from repub.store.search import MARK_END, MARK_START


def safe_href(url: Any) -> str:
    """``url`` when it is an http(s) address, else "#": a stored ``javascript:`` or ``data:`` address
    never becomes a link. (The attribute is still escaped by the template.)"""
    if not isinstance(url, str):
        return "#"
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return "#"
    return url if scheme in ("http", "https") else "#"


def marked(text: str | None) -> Markup:
    """A snippet with the words found between MARK_START/MARK_END: escaped, then the marks as <mark>."""
    if not text:
        return Markup("")
    escaped = str(escape(text))
    return Markup(escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


def diff_html(ops: list[Op], side: str = "both") -> Markup:
    """Word-level diff operations as HTML: removed text in <del>, added in <ins>. ``side`` "old" shows
    what was there (no additions), "new" what is there now (no removals), "both" all of it."""
    parts = []
    for kind, text in ops:
        if kind == "=":
            parts.append(str(escape(text)))
        elif kind == "-" and side in ("old", "both"):
            parts.append(f"<del>{escape(text)}</del>")
        elif kind == "+" and side in ("new", "both"):
            parts.append(f"<ins>{escape(text)}</ins>")
    return Markup("".join(parts))


def link(path: str, **params: Any) -> str:
    """``path?a=1&b=2`` with the parameters that are set (None, "", False left out)."""
    kept = {k: ("1" if v is True else v) for k, v in params.items() if v not in (None, "", False)}
    return f"{path}?{urlencode(kept)}" if kept else path


def day(value: str | None) -> str:
    """An ISO timestamp shown to the minute (``2020-10-23 09:15 UTC``), a date as it is."""
    if not value:
        return "—"
    if "T" in value:
        stamp = value.replace("T", " ").rstrip("Z")
        return stamp[:16] + " UTC"
    return value


def parse_day(value: str | None) -> date | None:
    """The day an ISO date or timestamp falls on (a month or a year: its first day)."""
    if not value:
        return None
    parts = value[:10].split("-")
    try:
        numbers = [int(p) for p in parts] + [1, 1]
        return date(numbers[0], numbers[1], numbers[2])
    except ValueError:
        return None


def environment() -> Environment:
    env = Environment(loader=PackageLoader("repub.web", "templates"),
                      autoescape=select_autoescape(("html", "svg"), default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(safe_href=safe_href, marked=marked, diff_html=diff_html, day=day)
    env.globals.update(link=link)
    return env
