"""repub.ingest: scheduled, polite, resumable runs over the sources file (``repub ingest``).

``discovery`` (walking start points), ``runner`` (one run: lock, discover, import, figures); its
politeness (robots.txt, per-host limits, retries) is ``repub.crawl``'s, shared with resync and the
workers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .discovery import Walk, discover
    from .runner import Ingest, IngestOptions, IngestResult

# Imported on first use, so extraction workers (repub.ingest.extraction) load no store or HTTP client.
_WHERE = {"Walk": "discovery", "discover": "discovery",
          "Ingest": "runner", "IngestOptions": "runner", "IngestResult": "runner"}

__all__ = [
    "Ingest", "IngestOptions", "IngestResult", "Walk", "discover",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
