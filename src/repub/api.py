"""repub's public Python API (re-exported by ``repub``): what the command line does, as functions that
return values instead of printing. See docs/python.md for runnable examples.

Every function takes plain values and returns repub's own dataclasses (``Record``, ``ArticleView``,
``VersionView``, ``ImportOutcome``, ``IngestResult``, ``ResyncResult``); expected failures raise
``repub.errors.RepubError`` subclasses (``ConfigError``, ``StoreError``, ``RunLocked``) with one
readable line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

from .config import Settings, build_settings
from .normalize.types import Record
from .pipeline import Importer, ImportOutcome
from .store import Store, resolve_database_url


def settings(*, db: str | None = None, host_maps: Iterable[str] = (), user_agent: str | None = None,
             timeout: float | None = None) -> Settings:
    """Settings as the command line builds them: ``db`` a SQLite path or any SQLAlchemy URL (default
    ``$REPUB_DATABASE_URL``, ``$REPUB_DB`` or ``./repub.db``), ``host_maps`` ``HOST=BASE`` pairs over
    ``$REPUB_HOST_MAP``, the User-Agent and the per-page timeout in seconds."""
    return build_settings(db=db, host_maps=list(host_maps), user_agent=user_agent, timeout=timeout)


def open_store(db: str | None = None) -> Store:
    """The database (created and migrated as needed): ``with repub.open_store("repub.db") as store:``.
    ``store.get(url)``, ``store.list_articles(site=...)``, ``store.versions(url)``,
    ``store.fetch_log(url)`` read it."""
    return Store.open(resolve_database_url(db))


def extract_page(html: str, url: str) -> Record:
    """The normalized record of a saved page, as if fetched from ``url`` (nothing fetched or stored):
    ``repub extract``. Raises ``ExtractError`` when the page holds no article."""
    from .pipeline import extract_record

    return extract_record(html, url)


def extract_file(path: str | Path, url: str) -> Record:
    """``extract_page`` of a saved file, its charset decided from its bytes as a fetched page's is."""
    from .fetch.charset import decode_html

    text, _charset = decode_html(Path(path).read_bytes())
    return extract_page(text, url)


def import_urls(urls: Iterable[str], store: Store, *, follow_original: bool = True,
                settings: Settings | None = None) -> Iterator[ImportOutcome]:
    """Fetch and store each URL and the original it names (``repub import``), one outcome per URL as
    it is done; a failed URL is an outcome with ``error`` set, never an exception."""
    importer = Importer(store, settings or build_settings())
    for url in urls:
        yield importer.import_url(url, follow_original=follow_original)


def run_ingest(store: Store, sources: str | Path = "sources.toml", *, source: str | None = None,
           max_new: int | None = None, since: datetime | None = None, backfill: bool = False,
           enqueue: bool = False, settings: Settings | None = None) -> IngestResult:
    """One ``repub ingest`` run over the sources file; ``RunLocked`` when another run holds the
    database. ``since`` must be timezone-aware. The User-Agent is the settings', else the file's."""
    from .discover import load_sources
    from .ingest import Ingest, IngestOptions

    config = load_sources(sources)
    if settings is None:
        settings = build_settings(db=None, user_agent=config.user_agent)
    options = IngestOptions(source=source, max_new=max_new, since=since, backfill=backfill, enqueue=enqueue)
    return Ingest(store, settings, config, options).run()


def run_resync(store: Store, *, site: str | None = None, older_than: timedelta | None = None,
           urls: Iterable[str] = (), originals_only: bool = False, limit: int | None = None,
           rate: float | None = None, per_host: int | None = None, processes: int | None = 1,
           sources: str | Path | None = None, settings: Settings | None = None) -> ResyncResult:
    """One ``repub resync`` run; ``RunLocked`` when another run holds the database. Each host's
    politeness comes from ``sources`` (its source's, else ``[crawl]``), ``rate`` and ``per_host``
    over it; ``processes=None`` splits large runs over the cores as the command does."""
    from .discover import SourcesConfig, load_sources
    from .normalize import canonical_url
    from .resync.run import Resync, ResyncOptions

    config = load_sources(sources) if sources is not None else SourcesConfig(sources=())
    options = ResyncOptions(site=site, older_than=older_than, urls=tuple(canonical_url(u) for u in urls),
                            originals_only=originals_only, limit=limit, rate=rate, per_host=per_host,
                            processes=processes)
    return Resync(store, settings or build_settings(), options, crawl_for=config.crawl_for).run()


# the types the functions above return, importable from here for annotations
from .ingest.runner import IngestResult  # noqa: E402
from .resync.run import ResyncResult  # noqa: E402
