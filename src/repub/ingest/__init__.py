"""repub.ingest: scheduled, polite, resumable runs over the sources file (``repub ingest``).

``politeness`` (robots.txt, per-host limits, retries), ``discovery`` (walking start points),
``runner`` (one run: lock, discover, import, figures).
"""

from .discovery import Walk, discover
from .politeness import PoliteFetcher, Politeness, is_transient, retry_after_seconds
from .runner import Ingest, IngestOptions, IngestResult

__all__ = [
    "Ingest", "IngestOptions", "IngestResult", "Politeness", "PoliteFetcher", "Walk", "discover",
    "is_transient", "retry_after_seconds",
]
