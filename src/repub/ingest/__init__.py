"""repub.ingest: scheduled, polite, resumable runs over the sources file (``repub ingest``).

``politeness`` (robots.txt, per-host limits, retries), ``discovery`` (walking start points),
``runner`` (one run: lock, discover, import, figures).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .discovery import Walk, discover
    from .politeness import PoliteFetcher, Politeness
    from .runner import Ingest, IngestOptions, IngestResult

# Imported on first use, so extraction workers (repub.ingest.extraction) load no store or HTTP client.
_WHERE = {"Walk": "discovery", "discover": "discovery", "PoliteFetcher": "politeness",
          "Politeness": "politeness",
          "Ingest": "runner", "IngestOptions": "runner", "IngestResult": "runner"}

__all__ = [
    "Ingest", "IngestOptions", "IngestResult", "Politeness", "PoliteFetcher", "Walk", "discover",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
