"""repub.crawl: one politeness layer for every path that crawls (``repub ingest``, ``repub resync``,
``repub worker``).

``settings`` (the ``[crawl]`` namespace: rate, concurrency, robots, retries...), ``outcomes`` (what a
fetch outcome is called, what is transient, how long to wait), ``hosts`` (per-host state, in memory or
in the database), ``polite`` (the ``PoliteFetcher`` that puts them together).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .settings import DEFAULTS, CrawlSettings

if TYPE_CHECKING:
    from .hosts import DatabaseHosts, HostState, MemoryHosts
    from .outcomes import Verdict, judge, retry_delay
    from .polite import PoliteFetcher, host_key

# Imported on first use: the sources file's checker needs the settings only, not the HTTP client.
_WHERE = {"DatabaseHosts": "hosts", "HostState": "hosts", "MemoryHosts": "hosts", "Verdict": "outcomes",
          "judge": "outcomes", "retry_delay": "outcomes", "PoliteFetcher": "polite", "host_key": "polite"}

__all__ = ["DEFAULTS", "CrawlSettings", "DatabaseHosts", "HostState", "MemoryHosts", "PoliteFetcher",
           "Verdict", "host_key", "judge", "retry_delay"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
