"""One ``repub ingest`` run: lock, discover, import what is new (and its originals), record the figures.

Fetching is asynchronous across hosts (one task per article, each host limited by
``repub.crawl.PoliteFetcher`` with each source's ``[crawl]`` settings);
at most ``IN_FLIGHT_PER_REQUEST`` x the sources' summed concurrency pages are between the start of
their request (once their host admits it) and the end of their save, so memory stays flat however many
URLs a run has. The CPU-bound work on a page (``normalize(extract(...))``, and the digest and
compression of the raw page kept with it) runs in a pool of worker processes when the run has more than
``POOL_MIN_URLS`` pages to import and more than one core (``repub.ingest.extraction``; the workers
and the store process are forked from the run before it starts any thread, ``repub.ingest.helpers``),
else in a thread; everything touching the database runs on one writer thread
(``repub.ingest.writer``), so SQLite writes are serialised and never block the fetchers. The pages
saved close together share a transaction, each page in a SAVEPOINT with its fetch-log line, its
original's stub and its link: a run killed at any point leaves whole articles; the next run skips what
is stored, fetches originals still pending, and walks deep again because this run did not finish its
walk.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from ..config import Settings
from ..crawl import DEFAULTS, CrawlSettings
from ..crawl.polite import PoliteFetcher
from ..discover import Discovered, Source, SourcesConfig
from ..discover.robots import refused_by_robots
from ..errors import ExtractError, FetchError, RepubError
from ..fetch.types import Page
from ..normalize import canonical_url
from ..normalize.types import Record
from ..pipeline import Importer, fetch_log_entry, rejected_log_entry, save_item
from ..run import Run, RunResult
from ..store import SaveResult, Store
from ..store.jobs import defer, require_postgresql
from ..store.known import UrlState, url_states
from ..store.runs import RunFigures, list_runs
from .discovery import Walk, discover
from .extraction import Extractor, Prepared, available_cores, prepare_page, use_workers, warm_up
from .helpers import Helpers, fork_helpers
from .writer import Writer

log = logging.getLogger("repub.ingest")
# problems with a source's feeds, sitemaps and listings: on stderr even with --log-file (repub.cli.ingest)
discovery_log = logging.getLogger("repub.ingest.discovery")
T = TypeVar("T")
DEAD_STATUSES = frozenset({404, 410})  # a copy answering these is not asked again unless --backfill
Progress = Callable[[int, int], None]  # (done, total) articles
IN_FLIGHT_PER_REQUEST = 2  # pages fetched or being saved, per request the sources allow at once
# A source's articles alive at once (waiting for their host, fetched, saving, following their original):
# one task per URL cost the run's process ~2 KB a URL before the first page came (5,000 copies and
# their originals over 4 sources: 119 against 109 MB at its peak; ~100 MB more for 50,000).
# Per request the source allows, with a floor: well above the requests its hosts serve at once. Once that
# many copies wait for their originals on a slower host, the next copies wait too; the run could not end
# sooner, since it waits for those originals anyway.
ALIVE_PER_REQUEST = 16
ALIVE_MIN = 128
FIGURES_EVERY = 0.5  # seconds between two writes of the run's figures while it runs


@dataclass(frozen=True)
class IngestOptions:
    source: str | None = None  # only this source
    max_new: int | None = None  # overrides each source's max_new
    since: datetime | None = None  # aware
    backfill: bool = False
    enqueue: bool = False  # put what is new in the database queue for `repub worker` instead of fetching

    def record(self, sources: list[Source]) -> dict[str, Any]:
        """The options as stored with the run."""
        return {"sources": [s.name for s in sources], "max_new": self.max_new, "backfill": self.backfill,
                "since": self.since.isoformat() if self.since else None, "enqueue": self.enqueue}


@dataclass
class IngestResult(RunResult):
    """How the run ended (``repub.run.RunResult``); status ok, capped (max_new reached: the next run
    goes on), interrupted or failed."""

    def summary(self) -> str:
        f = self.figures
        line = (f"ingest run {self.run_id} {self.status}: discovered {f.discovered}, new {f.new}, "
                f"updated {f.updated}, failed {f.failed}, refused {f.refused}, {self.seconds:.1f} s")
        return f"{line} ({self.error})" if self.error else line


class Ingest:
    """``Ingest(store, settings, config, options).run()``; raises RunLocked when another run is live."""

    def __init__(self, store: Store, settings: Settings, config: SourcesConfig, options: IngestOptions,
                 *, crawl: CrawlSettings | None = None, progress: Progress | None = None) -> None:
        self.store, self.settings, self.config, self.options = store, settings, config, options
        self.crawl = crawl or config.crawl or DEFAULTS  # for hosts no source names
        self.progress = progress or (lambda _done, _total: None)
        self.sources = [config.get(options.source)] if options.source else list(config.sources)
        self.figures = RunFigures()
        self.errors: list[str] = []
        self.interrupted = False
        self.capped = False
        self.run_id = 0
        self.enqueued = 0  # URLs newly put in the queue (--enqueue)
        self._done = self._total = 0
        self._originals: set[str] = set()  # in flight or done this run: fetched once
        self._writer: Writer | None = None  # made by _main: it hands results to the event loop
        self.fetcher: PoliteFetcher  # set by _main while the event loop runs
        self._importer: Importer | None = None
        self._extractor: Extractor | None = None  # worker processes, when use_workers() says so
        self._helpers: Helpers | None = None  # forked before the run's threads, for it to take over
        # else extraction threads, one per core: on one core, the default executor's five threads
        # extracted five pages at once, each holding its parsed trees, and took the GIL from each other
        self._threads: ThreadPoolExecutor | None = None
        self._slots: asyncio.Semaphore | None = None  # bounds the articles between fetch and save
        self._run: Run | None = None

    # -- the run --------------------------------------------------------------------------------------

    def run(self) -> IngestResult:
        """The whole run (``repub.run.Run``: lock, record, SIGTERM as Ctrl-C); RunLocked at once when
        another run holds the database; ConfigError with --enqueue on SQLite (no work queue there)."""
        if self.options.enqueue:
            require_postgresql(self.store)
        previous: dict[str, str | None] = {}

        def before_start() -> None:  # the lock is held: how this source's last run ended is settled
            budgets = sum(self.options.max_new or s.max_new for s in self.sources)
            if not self.options.enqueue and use_workers(budgets):
                # the run may need its helper processes: forked now, while this process has no thread
                # (and no database file open); else their fork server starts meanwhile
                self.store.before_fork()
                self._helpers = fork_helpers(self.store.url_for_another_process())
                if self._helpers is None:
                    warm_up()
            previous.update({s.name: self._previous_status(s) for s in self.sources})

        run = self._run = Run(self.store, "ingest", self.options.record(self.sources), every=FIGURES_EVERY,
                              before_start=before_start)
        try:
            with run:
                self.run_id = run.run_id
                self._importer = Importer(self.store, self.settings, run_id=self.run_id)
                try:
                    walks = asyncio.run(self._main(previous))
                    run.status, run.error = self._status(walks)
                except RepubError as err:
                    run.status, run.error = "failed", str(err)
                finally:
                    if self._extractor is not None:
                        self._extractor.shutdown()
                    if self._threads is not None:
                        self._threads.shutdown(wait=True, cancel_futures=True)
                    # queued writes (at most one per article in flight) finish: no half-recorded article
                    if self._writer is not None:
                        self._writer.shutdown()
                    run.figures = self.figures
                    if self.interrupted:
                        run.status = "interrupted"
        finally:
            # forked for a run that found too little to use them, or that failed to start
            helpers, self._helpers = self._helpers, None
            if helpers is not None:
                helpers.shutdown()
        return IngestResult(run_id=run.run_id, command="ingest", status=run.status, figures=self.figures,
                            seconds=run.seconds, error=run.error, errors=self.errors)

    def _status(self, walks: list[Walk]) -> tuple[str, str | None]:
        if self.interrupted:
            return "interrupted", None
        if walks and all(w.documents == 0 and w.failed_documents for w in walks):
            first = next(e for w in walks for e in w.errors)
            return "failed", f"no start point could be fetched: {first}"
        return ("capped", None) if self.capped else ("ok", None)

    def _previous_status(self, source: Source) -> str | None:
        for run in list_runs(self.store, limit=100):
            if run.command == "ingest" and source.name in run.options.get("sources", []):
                return run.status
        return None

    async def _main(self, previous: dict[str, str | None]) -> list[Walk]:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):  # not main thread
                loop.add_signal_handler(sig, self._stop, task)
        self._writer = Writer(self.store, loop, after_batch=self._figures_now)
        self._slots = asyncio.Semaphore(
            IN_FLIGHT_PER_REQUEST * max(1, sum(s.concurrency for s in self.sources)))
        try:
            polite = PoliteFetcher(self.settings.fetch, self.crawl, on_attempt=self._log_attempt)
            async with polite as fetcher:
                self.fetcher = fetcher
                async with asyncio.TaskGroup() as group:
                    tasks = [group.create_task(self._source(s, previous.get(s.name))) for s in self.sources]
                return [t.result() for t in tasks]
        except asyncio.CancelledError:
            if not self.interrupted:
                raise
            return []
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
                    loop.remove_signal_handler(sig)

    def _stop(self, task: asyncio.Task[Any]) -> None:
        log.warning("stop requested: finishing the writes in flight")
        self.interrupted = True
        task.cancel()

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the writer thread (all database work goes through it), in turn."""
        return await self._writer_().call(functools.partial(fn, *args, **kwargs))

    def _writer_(self) -> Writer:
        assert self._writer is not None
        return self._writer

    def _figures_now(self) -> None:
        """After a batch of saves (writer thread), at most every FIGURES_EVERY seconds: a killed run
        still shows what it did, give or take the last moment (a transaction per batch cost ~7% of
        the writer thread); the end of each source and of the run write them exactly."""
        self._run_().update(self.figures)

    def _run_(self) -> Run:
        assert self._run is not None
        return self._run

    # -- one source -----------------------------------------------------------------------------------

    async def _source(self, source: Source, previous: str | None) -> Walk:
        budget = self.options.max_new or source.max_new
        # stop at known URLs only when the previous run of this source walked as far as it needed
        deep = self.options.backfill or previous != "ok"
        walk = await discover(
            source, functools.partial(self._fetch_doc, source), self._known_urls,
            deep=deep, since=self.options.since, budget=budget,
        )
        self.errors.extend(walk.errors)
        for message in walk.errors:
            discovery_log.warning("discovery: %s", message)
        self.figures.failed += walk.failed_documents  # a refused feed or child sitemap is a failure
        self.figures.discovered += len(walk.urls)
        todo, pending = await self._db(self._plan, walk.urls)
        if len(todo) > budget:
            self.capped = True
            todo = todo[:budget]  # newest first: the next run takes the older ones
        log.info("%s: %d discovered, %d to import, %d originals pending%s", source.name, len(walk.urls),
                 len(todo), len(pending), " (deep walk)" if deep else "")
        if self.options.enqueue:
            self.enqueued += await self._db(self._enqueue, source, todo, pending)
            return walk
        self._total += len(todo) + (len(pending) if source.follow_originals else 0)
        self.progress(self._done, self._total)
        if self._extractor is None and use_workers(self._total):
            self._use_helpers()
        jobs: Iterator[Callable[[], Awaitable[None]]] = (
            functools.partial(self._article, source, item.url) for item in todo)
        if source.follow_originals:
            originals = (functools.partial(self._pending_original, source, *p) for p in pending)
            jobs = itertools.chain(jobs, originals)
        alive = asyncio.Semaphore(max(ALIVE_MIN, ALIVE_PER_REQUEST * source.concurrency))
        async with asyncio.TaskGroup() as group:
            for job in jobs:  # each task made once one is free: memory bounded, not one task per URL
                await alive.acquire()
                group.create_task(_released(alive, job()))
        await self._db(self._run_().update, self.figures, force=True)
        return walk

    def _use_helpers(self) -> None:
        """Extract in worker processes and write in one more (the event loop keeps this process's GIL):
        those forked before the run started, else (a run larger than its budgets said: originals
        pending from earlier runs) new ones from the fork server."""
        helpers, self._helpers = self._helpers, None
        self._extractor = helpers.extractor if helpers is not None else Extractor()
        log.info("extracting in %d worker processes", self._extractor.workers)
        if helpers is not None and helpers.store is not None:
            self._writer_().use_process(helpers.store)
        elif helpers is None and (url := self.store.url_for_another_process()) is not None:
            self._writer_().use_process(url)

    async def _fetch_doc(self, source: Source, url: str, accept: Any) -> Page:
        return await self.fetcher.fetch(url, accept=accept, crawl=source.crawl)

    async def _known_urls(self, urls: list[str]) -> set[str]:
        return await self._db(self._known_now, urls)

    def _known_now(self, urls: list[str]) -> set[str]:
        return {u for u, (state, _) in zip(urls, self._states(urls), strict=True) if state != "new"}

    def _states(self, urls: list[str]) -> list[tuple[str, UrlState | None]]:
        """("stored", state), ("dead", None) or ("new", None) per discovered URL (writer thread)."""
        keys: list[str | None] = []
        for url in urls:
            try:
                keys.append(canonical_url(url))
            except RepubError:
                keys.append(None)
        known = url_states(self.store, [k for k in keys if k is not None])
        out: list[tuple[str, UrlState | None]] = []
        for key in keys:
            state = known.get(key) if key is not None else None
            if key is None:
                out.append(("dead", None))
            elif state is not None and state.status == "ok":
                out.append(("stored", state))
            elif (not self.options.backfill and state is not None and state.last_error_kind == "http"
                  and state.last_http_status in DEAD_STATUSES):
                out.append(("dead", None))
            else:
                out.append(("new", None))
        return out

    def _plan(self, items: list[Discovered]) -> tuple[list[Discovered], list[tuple[str, str, str | None]]]:
        """URLs to import, and (copy, original, outlet) of stored copies whose original is still pending."""
        todo, pending = [], []
        for item, (state, known) in zip(items, self._states([i.url for i in items]), strict=True):
            if state == "new":
                todo.append(item)
            elif known is not None and known.original_status == "pending":
                # a run killed between a copy and its original: fetch the original now
                assert known.article_url is not None and known.original_url is not None
                pending.append((known.article_url, known.original_url, known.original_outlet))
        return todo, pending

    def _enqueue(self, source: Source, todo: list[Discovered],
                 pending: list[tuple[str, str, str | None]]) -> int:
        """--enqueue: the URLs become jobs of the work queue; `repub worker` processes fetch them."""
        from ..worker.jobs import original_job, page_job

        jobs = [page_job(canonical_url(i.url), source.name, source.crawl) for i in todo]
        if source.follow_originals:
            jobs += [original_job(o, c, outlet, source.name, source.crawl) for c, o, outlet in pending]
        return defer(self.store, jobs)

    # -- one article ----------------------------------------------------------------------------------

    async def _article(self, source: Source, url: str) -> None:
        await self._import(source, url)
        self._advance()  # not when cancelled (Ctrl-C): an article cut short is not done

    async def _fetch_held(self, source: Source, url: str) -> Page:
        """Fetch an article page holding one of the run's slots: release it once the page is saved."""
        return await self.fetcher.fetch(url, crawl=source.crawl, hold=self._slots_())

    def _slots_(self) -> asyncio.Semaphore:
        assert self._slots is not None
        return self._slots

    async def _prepare(self, page: Page) -> Prepared:
        """The page's record and raw page ready to store: in the worker processes, else in a thread."""
        if self._extractor is None:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(available_cores(), thread_name_prefix="repub-extract")
            return await asyncio.get_running_loop().run_in_executor(self._threads, prepare_page, page)
        return await self._extractor.prepare(page)

    async def _save(self, page: Page, requested_url: str, **link: Any) -> tuple[Record, SaveResult]:
        """Prepare and store a fetched page (``link``: see ``repub.pipeline.save_item``); the figures
        are counted on the writer thread once committed, so a save done during a cancel counts."""
        try:
            ready = await self._prepare(page)
        except ExtractError as err:  # fetched well, but no article: the fetch log says so too
            self._writer_().log(rejected_log_entry(page, err, self.run_id))
            raise
        item = save_item(ready.record, page, requested_url=requested_url, raw=ready.raw,
                         content_hash=ready.content_hash, fingerprint=ready.fingerprint, **link)
        return ready.record, await self._writer_().save(item, self._count)

    async def _import(self, source: Source, url: str) -> None:
        try:
            page = await self._fetch_held(source, url)
            try:
                record, saved = await self._save(page, url, stub_original=True)
            finally:
                self._slots_().release()
        except RepubError as err:
            if isinstance(err, FetchError) and refused_by_robots(err):
                self._refused(str(err))
            else:
                self._failed(str(err) if str(err).startswith(url) else f"{url}: {err}")
            return
        log.info("stored %s", record.url)
        original_url = _to_follow(record, saved)
        if original_url and source.follow_originals and original_url not in self._originals:
            self._originals.add(original_url)
            outlet = record.original.outlet if record.original else None
            await self._original(source, original_url, outlet, copy_url=record.url, copy_id=saved.article_id)

    async def _original(self, source: Source, original_url: str, outlet: str | None, *, copy_url: str,
                        copy_id: int | None = None) -> None:
        """Fetch and store the original ``copy_url`` names, and link the copy to it (one transaction)."""
        try:
            page = await self._fetch_held(source, original_url)
            try:
                await self._save(page, original_url, outlet=outlet, copy_id=copy_id, copy_url=copy_url,
                                 original_url=original_url)
            finally:
                self._slots_().release()
            log.info("stored original %s", original_url)
        except RepubError as err:
            await self._db(self._importer_().original_failed, original_url, err)
            if isinstance(err, FetchError) and refused_by_robots(err):
                self._refused(f"original {original_url} of {copy_url}: {err}")
            else:
                self._failed(f"original {original_url} of {copy_url}: {err}")

    async def _pending_original(self, source: Source, copy_url: str, original_url: str,
                                outlet: str | None) -> None:
        if original_url not in self._originals:
            self._originals.add(original_url)
            await self._original(source, original_url, outlet, copy_url=copy_url)
        self._advance()

    # -- bookkeeping ----------------------------------------------------------------------------------

    def _importer_(self) -> Importer:
        assert self._importer is not None
        return self._importer

    def _count(self, saved: SaveResult) -> None:
        # a stub filled in for the first time (an original) is new too, not an update
        if saved.created or (saved.changed and saved.version == 1):
            self.figures.new += 1
        elif saved.changed:
            self.figures.updated += 1
        else:
            self.figures.unchanged += 1

    def _failed(self, message: str) -> None:
        self.figures.failed += 1
        self.errors.append(message)
        log.warning("failed: %s", message)

    def _refused(self, message: str) -> None:
        """A URL robots.txt disallows: the site's wish, not a failure (in the fetch log all the same)."""
        self.figures.refused += 1
        log.info("refused: %s", message)

    def _advance(self) -> None:
        self._done += 1
        self.progress(self._done, self._total)

    def _log_attempt(self, outcome: Page | FetchError) -> None:
        """Every request goes to the fetch log, in order: with the writer's next batch."""
        self._writer_().log(fetch_log_entry(outcome, self.run_id))


async def _released(alive: asyncio.Semaphore, work: Awaitable[None]) -> None:
    try:
        await work
    finally:
        alive.release()


def _to_follow(copy: Record, saved: SaveResult) -> str | None:
    """The original to fetch for a saved copy: None when it names none (or itself), or when the
    original is stored already (another copy of it): linked, not fetched again."""
    original = copy.original
    if original is None or not original.url or saved.original_id is None or saved.original_status == "ok":
        return None
    return original.url
