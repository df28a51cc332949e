"""The fetch stage: URL + FetchSettings in, Page (or FetchError) out. The only package on the network."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from repub.errors import FetchError

if TYPE_CHECKING:
    from repub.fetch.client import HTML_TYPES, Fetcher, fetch_page
    from repub.fetch.guard import check_url
    from repub.fetch.hostmap import parse_host_map, parse_host_maps, to_real, to_wire
    from repub.fetch.types import FetchSettings, Page

# Imported on first use: the extraction workers decode pages with repub.fetch.charset and must not
# pay for the HTTP client (httpx, httpcore, anyio: ~0.1 s in each worker's first page).
_WHERE = {"HTML_TYPES": "client", "Fetcher": "client", "fetch_page": "client", "check_url": "guard",
          "parse_host_map": "hostmap", "parse_host_maps": "hostmap", "to_real": "hostmap",
          "to_wire": "hostmap", "FetchSettings": "types", "Page": "types"}

__all__ = [
    "HTML_TYPES", "FetchError", "FetchSettings", "Fetcher", "Page", "check_url", "fetch_page",
    "parse_host_map", "parse_host_maps", "to_real", "to_wire",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
