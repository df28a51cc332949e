"""Bot walls: a challenge or block page sent instead of the page asked for (Cloudflare, DataDome...).

``find_wall(headers, text)`` names the wall a response is, from the vendors' signs in
``botwalls.toml`` (headers, page titles, markers only the wall carries), or None. The fetcher calls it
on every answer, so import, ingest, the workers and resync all see a wall as the fetch outcome
``bot-wall`` and never store it as an article.
"""

from __future__ import annotations

import functools
import html
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

RULES_FILE = Path(__file__).with_name("botwalls.toml")
HEAD_CHARS = 32 * 1024  # walls are small pages (a few KB): their signs sit at the top
# Statuses a wall is sent with, when it is not a 200: only these bodies are read for its signs.
WALL_STATUSES = frozenset({401, 403, 405, 406, 429, 503})
_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Wall:
    vendor: str
    sign: str  # what gave it away, e.g. 'header cf-mitigated: challenge', 'title "Just a moment..."'

    def message(self, status: int) -> str:
        """One plain line for the fetch log and the user."""
        return f"bot wall: {self.vendor} answered with a challenge or block page (HTTP {status}, {self.sign})"


@dataclass(frozen=True)
class _Vendor:
    name: str
    headers: tuple[tuple[str, str | None], ...]  # (lower-case name, lower-case value or None: any)
    titles: frozenset[str]  # normalized (see _norm_title)
    markers: tuple[tuple[str, ...], ...]  # exact strings, all of one group must be present


def _norm_title(title: str) -> str:
    return _SPACES.sub(" ", html.unescape(title)).strip().casefold()


@functools.cache
def _vendors() -> tuple[_Vendor, ...]:
    data = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    vendors = []
    for wall in data["wall"]:
        headers = []
        for spec in wall.get("headers", []):
            name, _, value = spec.partition(":")
            headers.append((name.strip().lower(), value.strip().lower() or None))
        vendors.append(_Vendor(
            name=wall["vendor"], headers=tuple(headers),
            titles=frozenset(_norm_title(t) for t in wall.get("titles", [])),
            markers=tuple(tuple(group) for group in wall.get("markers", [])),
        ))
    return tuple(vendors)


def wall_by_headers(headers: Mapping[str, str]) -> Wall | None:
    """The wall a response's headers (lower-case names) announce, whatever its body."""
    for vendor in _vendors():
        for name, value in vendor.headers:
            found = headers.get(name)
            if found is None:
                continue
            # a header sent twice reaches us joined by commas
            values = [v.strip() for v in found.split(",")]
            hit = next((v for v in values if v.lower() == value), None) if value is not None else found
            if hit is not None:
                return Wall(vendor.name, f"header {name}: {hit}" if value is not None else f"header {name}")
    return None


def wall_by_page(text: str) -> Wall | None:
    """The wall a page's text is (its title or its markers), looked for in its first 32 KB. Markers
    are matched as written (machine-made tokens: no lowering of every page fetched)."""
    head = text[:HEAD_CHARS]
    match = _TITLE_RE.search(head)
    raw_title = match.group(1) if match else None
    title = _norm_title(raw_title) if raw_title is not None else None
    for vendor in _vendors():
        if raw_title is not None and title in vendor.titles:
            return Wall(vendor.name, f'title "{_SPACES.sub(" ", html.unescape(raw_title)).strip()}"')
        for group in vendor.markers:
            if all(marker in head for marker in group):
                return Wall(vendor.name, "marker " + " + ".join(group))
    return None


def find_wall(headers: Mapping[str, str], text: str = "") -> Wall | None:
    """The bot wall a response is, or None. ``headers`` with lower-case names; ``text`` the page
    (or the head of an error answer's body), may be empty."""
    return wall_by_headers(headers) or (wall_by_page(text) if text else None)
