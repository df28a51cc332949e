"""repub.store: the only package that talks to the database (SQLite by default, PostgreSQL later)."""

from repub.store.engine import create_engine, resolve_database_url
from repub.store.migrate import current_revision, downgrade, head_revision, upgrade
from repub.store.store import Store, content_hash
from repub.store.views import ArticleView, FetchLogEntry, SaveResult, VersionView

__all__ = [
    "ArticleView",
    "FetchLogEntry",
    "SaveResult",
    "Store",
    "VersionView",
    "content_hash",
    "create_engine",
    "current_revision",
    "downgrade",
    "head_revision",
    "resolve_database_url",
    "upgrade",
]
