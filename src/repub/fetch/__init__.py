"""The fetch stage: URL + FetchSettings in, Page (or FetchError) out. The only package on the network."""

from __future__ import annotations

import importlib
import sys
import types
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


def _defer_httpx_command_line() -> None:
    """Keep httpx from importing its command line into every repub process.

    httpx's ``__init__`` runs ``from ._main import main`` (its CLI: rich, pygments and click, ~0.1 s and
    ~6 MB of every process) whenever they are installed, and rich is (repub's progress bars); upstream:
    encode/httpx pull request 3547, open. This leans on that private module's name: a stand-in put in
    its place before httpx is first imported, whose ``main`` imports the real one when called (nobody
    does in a repub process: the ``httpx`` command is a process of its own).
    tests/test_fetch_imports.py fails when httpx stops importing ``_main`` or the stand-in stops working.
    """
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    stand_in = types.ModuleType("httpx._main", "Stand-in for httpx's command line (repub.fetch).")

    def main(*args: Any, **kwargs: Any) -> Any:
        if sys.modules.get("httpx._main") is stand_in:
            del sys.modules["httpx._main"]
        return importlib.import_module("httpx._main").main(*args, **kwargs)

    stand_in.main = main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = stand_in


_defer_httpx_command_line()


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
