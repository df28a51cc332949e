"""repub: scrape republished articles, find their originals, keep both with provenance and history.

The command line is a thin layer over this API (docs/python.md has runnable examples)::

    import repub

    record = repub.extract_page(html, "https://www.transcend.org/tms/2020/10/some-article/")
    with repub.open_store("repub.db") as store:
        for outcome in repub.import_urls(["https://www.transcend.org/tms/..."], store):
            print(outcome.url, outcome.original_status)
        view = store.get(outcome.url)              # ArticleView: fields, original, copies, status
        versions = store.versions(outcome.url)     # every VersionView, with when first and last seen
        result = repub.run_ingest(store, "sources.toml", max_new=20)     # IngestResult
        result = repub.run_resync(store, older_than=timedelta(hours=24))  # ResyncResult

Names are imported on first use: ``import repub`` (which the command line does on every run) loads
nothing else.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .api import extract_file, extract_page, import_urls, open_store, run_ingest, run_resync, settings
    from .config import Settings
    from .crawl.settings import CrawlSettings
    from .errors import ConfigError, ExtractError, FetchError, RepubError, StoreError
    from .ingest.runner import IngestResult
    from .normalize.types import Record
    from .pipeline import ImportOutcome
    from .resync.run import ResyncResult
    from .run import RunResult
    from .store import ArticleView, Store, VersionView
    from .store.runs import RunLocked

_WHERE = {
    "extract_page": "api", "extract_file": "api", "import_urls": "api", "run_ingest": "api",
    "open_store": "api",
    "run_resync": "api", "settings": "api", "Settings": "config", "CrawlSettings": "crawl.settings",
    "ConfigError": "errors", "ExtractError": "errors", "FetchError": "errors", "RepubError": "errors",
    "StoreError": "errors", "IngestResult": "ingest.runner", "Record": "normalize.types",
    "ImportOutcome": "pipeline", "ResyncResult": "resync.run", "RunResult": "run", "ArticleView": "store",
    "Store": "store", "VersionView": "store", "RunLocked": "store.runs",
}

__all__ = [
    "ArticleView", "ConfigError", "CrawlSettings", "ExtractError", "FetchError", "ImportOutcome",
    "IngestResult", "Record", "RepubError", "ResyncResult", "RunLocked", "RunResult", "Settings", "Store",
    "StoreError", "VersionView", "__version__", "extract_file", "extract_page", "import_urls", "run_ingest",
    "open_store", "run_resync", "settings",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
