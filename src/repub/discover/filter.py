"""Applying a source's include/exclude patterns to discovered URLs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC
from typing import Protocol

from .types import Discovered


class HasPatterns(Protocol):
    @property
    def include(self) -> Sequence[str]: ...

    @property
    def exclude(self) -> Sequence[str]: ...


def filter_urls(discovered: Iterable[Discovered], source: HasPatterns) -> list[Discovered]:
    """Keep URLs matching an include regex (all when none) and no exclude regex (``re.search``).

    Each URL appears once (its first sighting, completed with a date/title from a later one); the list is
    newest first where dates are known, undated entries last in their discovery order.
    """
    include = [re.compile(p) for p in source.include]
    exclude = [re.compile(p) for p in source.exclude]
    kept: dict[str, Discovered] = {}
    for item in discovered:
        if include and not any(p.search(item.url) for p in include):
            continue
        if any(p.search(item.url) for p in exclude):
            continue
        first = kept.get(item.url)
        if first is None:
            kept[item.url] = item
        elif first.published is None or first.title is None:
            # a feed and a sitemap often both list a post; each may know what the other does not
            kept[item.url] = Discovered(
                url=first.url,
                published=first.published or item.published,
                title=first.title or item.title,
                source_url=first.source_url,
            )
    # sorted() is stable, so undated entries keep their order at the end
    return sorted(kept.values(), key=_newest_first)


def _newest_first(item: Discovered) -> tuple[int, float]:
    if item.published is None:
        return (1, 0.0)
    published = item.published if item.published.tzinfo else item.published.replace(tzinfo=UTC)
    return (0, -published.timestamp())
