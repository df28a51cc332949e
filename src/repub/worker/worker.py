"""``repub worker``: one process of the work queue, on procrastinate (PostgreSQL), run under a
supervisor that keeps it going through what a cluster meets.

* The engine runs ``concurrency`` jobs at once (``repub.worker.tasks``); each job's host lane is a
  procrastinate ``lock`` and its rate the host's shared slot, so politeness holds across all workers.
* A worker killed outright (SIGKILL, machine lost) stops its heartbeat: once ``lease`` seconds have
  passed, any live worker puts its jobs back in the queue (``_recover``, procrastinate's stalled
  jobs), so nothing is lost; at most the pages it had in flight are fetched again.
* A PostgreSQL restart: procrastinate's worker stops when its heartbeat, its job fetching or its
  listener lose the server; the supervisor waits for the server and starts it again (its connection
  pool checks each connection, so the broken ones are replaced). Jobs in flight wait for the database
  for their own writes (``db``, up to ``db_wait`` seconds) and finish. The worker never exits for it.
* Ctrl-C or SIGTERM: no new job starts, the jobs in flight finish, exit 130.
* ``exit_when_empty``: stop once nothing is queued or running anywhere (batch runs, tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import logging
import os
import random
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.exc import DBAPIError, PendingRollbackError

from ..config import Settings
from ..crawl.hosts import DatabaseHosts
from ..crawl.polite import PoliteFetcher
from ..crawl.settings import from_json
from ..discover import DEFAULT_SOURCES_PATH, SourcesConfig, load_sources
from ..errors import ConfigError, ExtractError, FetchError, StoreError
from ..fetch.types import Page
from ..normalize import canonical_url
from ..normalize.types import Record
from ..pipeline import Importer, fetch_log_entry
from ..store import FetchLogEntry, SaveResult, Store
from ..store import jobs as store_jobs
from ..store.history import Target, resync_targets
from ..store.known import url_states
from . import jobs

if TYPE_CHECKING:
    from ..resync.engine import Resyncer

log = logging.getLogger("repub.worker")
T = TypeVar("T")
FREED_CHANNEL = f"procrastinate_queue_v1#{store_jobs.QUEUE}"  # procrastinate.manager.get_channel_for_queues
# what procrastinate's worker wakes up for (its Worker._handle_notification)
FREED = '{"type": "job_inserted", "job_id": 0}'
ANNOUNCE_AFTER = 0.02  # seconds: the engine records a job's end right after it returns


@dataclass(frozen=True)
class WorkerOptions:
    concurrency: int = 4  # jobs in flight in this process
    lease: float = 30.0  # seconds without a heartbeat after which a worker's jobs come back
    exit_when_empty: bool = False  # stop when nothing is queued or running anywhere
    max_items: int | None = None  # stop after this many jobs (done or failed for good)
    owner: str | None = None  # the worker's name in logs
    schedule: bool = False  # defer the [schedule] of the sources file as periodic tasks
    sources: Path = DEFAULT_SOURCES_PATH  # for discovery jobs, the schedule and hosts' politeness
    db_wait: float = 600.0  # seconds a job waits for an unreachable database before failing
    poll: float = 0.5  # seconds between two looks at the queue (exit_when_empty, stalled jobs)
    # seconds between two asks for a job when none could be had (a fallback: new jobs, and host lanes
    # freed by a job that ended, are announced; see Worker.announce)
    fetch_poll: float = 1.0


@dataclass
class WorkerResult:
    owner: str
    done: int = 0
    failed: int = 0
    seconds: float = 0.0
    reconnects: int = 0  # times the database was lost and found again

    def summary(self) -> str:
        rate = self.done / self.seconds if self.seconds else 0.0
        line = (f"worker {self.owner}: {self.done} done, {self.failed} failed, {self.seconds:.1f} s "
                f"({rate:.1f} pages/s)")
        return line + (f", {self.reconnects} database reconnection(s)" if self.reconnects else "")


try:
    from psycopg import OperationalError as _PsycopgOperationalError
except ImportError:  # pragma: no cover - the worker needs psycopg; the type is only for the check
    class _PsycopgOperationalError(Exception):  # type: ignore[no-redef]
        pass


def lost_database(err: BaseException) -> bool:
    """Whether ``err`` (or its cause) is the database connection failing, not a query's fault."""
    from procrastinate.exceptions import ConnectorException

    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, ConnectorException | OSError):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        if type(seen).__name__ in ("OperationalError", "PoolTimeout"):  # psycopg's, psycopg_pool's
            return True
        if isinstance(seen, _PsycopgOperationalError):  # its subclasses too: AdminShutdown, ...
            return True
        # a statement after a disconnect inside the same transaction (the store's per-page savepoints
        # go on to the next page): SQLAlchemy's "Can't reconnect until invalid transaction is rolled
        # back", raised on its own, the disconnect that caused it only logged by the savepoint
        if isinstance(seen, PendingRollbackError) and "invalid transaction" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class Worker:
    def __init__(self, store: Store, settings: Settings, options: WorkerOptions | None = None) -> None:
        store_jobs.require_postgresql(store)
        self.store, self.settings = store, settings
        self.options = options or WorkerOptions()
        self.owner = self.options.owner or f"{socket.gethostname()}:{os.getpid()}"
        self.importer = Importer(store, settings)
        self.result = WorkerResult(self.owner)
        self.stopping = False  # asked to stop by a signal
        self._log: list[FetchLogEntry] = []
        self._log_lock = threading.Lock()
        self._config: SourcesConfig | None = None
        self._stop: asyncio.Event | None = None
        self._notify: Callable[[], None] | None = None
        # set when any of this worker's own database calls met the database gone (see _watch)
        self._db_lost = threading.Event()
        self.fetcher: PoliteFetcher  # made by run(), for the event loop's life

    # -- what jobs use ------------------------------------------------------------------------------

    def sources(self) -> SourcesConfig:
        if self._config is None:
            path = self.options.sources
            self._config = (SourcesConfig(sources=()) if not path.exists() and path == DEFAULT_SOURCES_PATH
                            else load_sources(path))
        return self._config

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn`` (database and CPU work) in a thread; waits out a database that does not answer."""
        return await asyncio.to_thread(self.db_sync, fn, *args, **kwargs)

    def db_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        deadline = time.monotonic() + self.options.db_wait
        pause = 0.2
        while True:
            try:
                return fn(*args, **kwargs)
            except (StoreError, DBAPIError) as err:
                if not lost_database(err) or time.monotonic() > deadline:
                    raise
                self._db_lost.set()
                log.warning("database unreachable, waiting: %s", str(err).splitlines()[0])
                time.sleep(pause * random.uniform(0.8, 1.2))
                pause = min(5.0, pause * 2)

    async def fetch(self, url: str, crawl: dict[str, Any] | None) -> Page:
        """The page; its requests' fetch-log lines go with its save (or at once when it failed)."""
        try:
            return await self.fetcher.fetch(canonical_url(url), crawl=from_json(crawl))
        except FetchError:
            await self.db(self._write_log)
            raise

    def save(self, page: Page, url: str, *, copy_url: str | None = None,
             outlet: str | None = None) -> tuple[Record, SaveResult]:
        """Extract and store ``page`` (a copy, with its original's stub; or, with ``copy_url``, the
        original it names, linked to it) with the fetch-log lines waiting, in one transaction, as
        ingest's writer does. ExtractError when the page holds no article (its line is logged)."""
        from ..ingest.extraction import prepare_page
        from ..pipeline import rejected_log_entry, save_item

        try:
            ready = prepare_page(page)
        except ExtractError as err:
            self._log_attempt_entry(rejected_log_entry(page, err, None))
            self._write_log()
            raise
        link: dict[str, Any] = ({"copy_url": copy_url, "original_url": url, "outlet": outlet} if copy_url
                                else {"stub_original": True})
        item = save_item(ready.record, page, requested_url=url, raw=ready.raw,
                         content_hash=ready.content_hash, fingerprint=ready.fingerprint, **link)
        with self._log_lock:
            lines, self._log = self._log, []
        try:
            (saved,) = self.store.save_many([item], lines)
        except BaseException:
            with self._log_lock:
                self._log[:0] = lines
            raise
        if isinstance(saved, StoreError):
            raise saved
        return ready.record, saved

    def _log_attempt(self, outcome: Page | FetchError) -> None:
        self._log_attempt_entry(fetch_log_entry(outcome, None))

    def _log_attempt_entry(self, entry: FetchLogEntry) -> None:
        with self._log_lock:
            self._log.append(entry)

    def _write_log(self) -> None:
        with self._log_lock:
            entries, self._log = self._log, []
        if not entries:
            return
        try:
            self.store.save_many([], entries)
        except BaseException:
            with self._log_lock:  # not lost: written with the next
                self._log[:0] = entries
            raise

    def stored(self, url: str) -> bool:
        key = canonical_url(url)
        return url_states(self.store, [key])[key].status == "ok"

    def follow(self, record: Record, saved: SaveResult, source: str | None,
               crawl: dict[str, Any] | None) -> bool:
        """Queue the original a saved copy names (its stub is saved with the copy), unless it is
        stored already."""
        original = record.original
        if original is None or not original.url or saved.original_id is None or saved.original_status == "ok":
            return False
        job = jobs.original_job(original.url, record.url, original.outlet, source, from_json(crawl))
        return self.defer([job]) > 0

    def defer(self, items: list[store_jobs.Job]) -> int:
        return store_jobs.defer(self.store, items)

    def target(self, url: str) -> Target | None:
        found = resync_targets(self.store, urls=[url])
        return found[0] if found else None

    def resyncer(self, crawl: dict[str, Any] | None) -> Resyncer:
        from ..resync.engine import Resyncer

        settings = from_json(crawl)
        resyncer = Resyncer(self.store, self.settings, crawl_for=lambda _url: settings)
        resyncer.raise_transient = True
        return resyncer

    def queue_resync(self) -> int:
        from ..resync.when import ago, parse_duration

        schedule = self.sources().schedule
        older = schedule.resync_older_than
        cutoff = ago(parse_duration(older), _now()) if older else None
        targets = resync_targets(self.store, checked_before=cutoff, limit=schedule.resync_limit)
        config = self.sources()
        return self.defer([jobs.resync_job(t.url, config.crawl_for(t.url)) for t in targets])

    def discover(self, source: str) -> str:
        from ..ingest import Ingest, IngestOptions
        from ..store.runs import RunLocked

        try:
            options = IngestOptions(source=source, enqueue=True)
            result = Ingest(self.store, self.settings, self.sources(), options).run()
        except RunLocked as err:
            return f"skipped: {err}"
        return result.summary()

    def announce(self) -> None:
        """A job of this worker ends: its host lane (a procrastinate ``lock``) is free once the engine
        has recorded the end, a moment later. procrastinate announces new jobs only, and a worker
        that found every lane of the waiting jobs busy would otherwise wait for its next poll: each
        end is announced on the queue's channel, as a new job is (``FREED_CHANNEL``/``FREED``: the
        engine's own channel and payload, checked by tests/test_workers.py against procrastinate's
        code), ``ANNOUNCE_AFTER`` seconds later."""
        if self._notify is not None:
            asyncio.get_running_loop().call_later(ANNOUNCE_AFTER, self._notify)

    def count(self, outcome: str, error: object = None) -> None:
        """A job's end: "done", "failed" (for good) or "retry" (the engine tries it again)."""
        if outcome == "done":
            self.result.done += 1
        elif outcome == "failed":
            self.result.failed += 1
            log.warning("failed: %s", error)
        else:
            log.info("retry later: %s", error)
        limit = self.options.max_items
        if limit is not None and self.result.done + self.result.failed >= limit and self._stop is not None:
            self._stop.set()

    # -- the process ----------------------------------------------------------------------------------

    def run(self) -> WorkerResult:
        # `kill -USR1 <pid>` prints every thread's stack to stderr: what a stuck worker is waiting for
        with contextlib.suppress(ValueError, AttributeError, RuntimeError):  # not the main thread
            faulthandler.register(signal.SIGUSR1, all_threads=True)
        started = time.monotonic()
        try:
            asyncio.run(self._main())
        finally:
            self.result.seconds = time.monotonic() - started
        return self.result

    async def _main(self) -> None:
        from procrastinate import PsycopgConnector

        from .tasks import build_app

        self._stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):  # not the main thread
                loop.add_signal_handler(sig, self._on_signal)
        schedule = self._schedule() if self.options.schedule else None
        size = self.options.concurrency + 3  # the jobs, the listener, the heartbeat, the supervisor
        connector = PsycopgConnector(conninfo=store_jobs.conninfo(self.store), min_size=1, max_size=size,
                                     kwargs={"prepare_threshold": None})
        app = build_app(connector, schedule=schedule)
        pending: set[asyncio.Task[None]] = set()

        async def freed() -> None:
            with contextlib.suppress(Exception):  # an announcement lost: the poll finds the lane
                await connector.execute_query_async("SELECT pg_notify(%(c)s, %(p)s)", c=FREED_CHANNEL,
                                                    p=FREED)

        def notify() -> None:
            task = asyncio.ensure_future(freed())
            pending.add(task)
            task.add_done_callback(pending.discard)

        self._notify = notify
        self.fetcher = PoliteFetcher(self.settings.fetch, hosts=_WaitingHosts(self), retry=False,
                                     on_attempt=self._log_attempt)
        async with self.fetcher:
            try:
                await self._supervise(app, connector)
            finally:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
                        loop.remove_signal_handler(sig)
                with contextlib.suppress(Exception):
                    await self.db(self._write_log)

    def _schedule(self) -> dict[str, str]:
        schedule = self.sources().schedule
        found = {k: v for k, v in (("ingest", schedule.ingest), ("resync", schedule.resync)) if v}
        if not found:
            raise ConfigError(f"--schedule: no [schedule] ingest or resync in {self.options.sources}")
        return found

    def _on_signal(self) -> None:
        log.warning("stop requested: finishing the jobs in flight")
        self.stopping = True
        assert self._stop is not None
        self._stop.set()

    async def _supervise(self, app: Any, connector: Any) -> None:
        """Run procrastinate's worker until asked to stop; start it again whenever it stopped because
        the database went away."""
        o = self.options
        assert self._stop is not None
        while not self._stop.is_set():
            try:
                await self._until_reachable(connector)
                engine = asyncio.create_task(app.run_worker_async(
                    queues=[store_jobs.QUEUE], concurrency=o.concurrency, name=self.owner, wait=True,
                    install_signal_handlers=False, update_heartbeat_interval=max(0.5, o.lease / 3),
                    stalled_worker_timeout=o.lease, fetch_job_polling_interval=o.fetch_poll,
                    additional_context={"repub": self}, listen_notify=True))
                watcher = asyncio.create_task(self._watch(app))
                stop = asyncio.create_task(self._stop.wait())
                await asyncio.wait({engine, watcher, stop}, return_when=asyncio.FIRST_COMPLETED)
                for task in (watcher, stop):
                    task.cancel()
                if not engine.done():
                    engine.cancel()  # procrastinate's graceful stop: the jobs in flight finish
                await asyncio.gather(engine, watcher, stop, return_exceptions=True)
                for task in (engine, watcher):
                    if task.done() and not task.cancelled() and task.exception() is not None:
                        raise task.exception()  # type: ignore[misc]
                if not self._stop.is_set():
                    raise ConnectionError("the job engine stopped: its database connection was lost")
            except Exception as err:
                if not lost_database(err):
                    raise
                self.result.reconnects += 1
                log.warning("database connection lost (%s): reconnecting", str(err).splitlines()[0] or err)

    async def _until_reachable(self, connector: Any) -> None:
        """Open the engine's pool once the database answers (at once when it does)."""
        pause = 0.2
        deadline = time.monotonic() + self.options.db_wait
        while True:
            try:
                await connector.open_async()
                await connector.execute_query_one_async("SELECT 1 AS one")
                return
            except Exception as err:
                if not lost_database(err) or time.monotonic() > deadline:
                    raise
                assert self._stop is not None
                if self._stop.is_set():
                    return
                await asyncio.sleep(pause * random.uniform(0.8, 1.2))
                pause = min(5.0, pause * 2)

    async def _watch(self, app: Any) -> None:
        """Every ``poll`` seconds: put a dead worker's jobs back (no heartbeat for ``lease``), and
        with ``exit_when_empty`` end the worker once nothing is queued or running."""
        o = self.options
        assert self._stop is not None
        last_recovery = 0.0
        while True:
            now = time.monotonic()
            if now - last_recovery >= max(o.poll, o.lease / 3):
                last_recovery = now
                await self._recover(app)
            active = await self.db(store_jobs.active, self.store)
            if self._db_lost.is_set():
                # The database went away and is back. A job that ended while it was away could not
                # record its end: it stays `doing` under this engine, which is alive and beats, so it
                # is never found stalled, and `exit_when_empty` would wait for it forever. The engine
                # starts again (a new procrastinate worker): the old one's jobs lose their worker
                # (ON DELETE SET NULL) and `_recover` puts them back at once.
                self._db_lost.clear()
                raise ConnectionError("the database went away and is back: the job engine starts again")
            if o.exit_when_empty and active == 0:
                self._stop.set()
                return
            await asyncio.sleep(o.poll)

    async def _recover(self, app: Any) -> None:
        """Stalled jobs (their worker's heartbeat older than ``lease``) go back to the queue."""
        manager = app.job_manager
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=self.options.lease):
            try:
                await manager.retry_job(job)
                log.warning("job %s (%s) of a dead worker is queued again", job.id,
                            job.task_kwargs.get("url"))
            except Exception as err:  # another worker took it back first
                log.info("stalled job %s: %s", job.id, err)


class _WaitingHosts(DatabaseHosts):
    """The hosts' shared state, each call waiting out a database that does not answer."""

    def __init__(self, worker: Worker) -> None:
        super().__init__(worker.store)
        self._call = worker.db

    async def book(self, host: str, interval: float) -> float:
        return await self._call(self._db.book, self.store, host, interval)

    async def paused_for(self, host: str) -> float:
        return await self._call(self._db.paused_for, self.store, host)

    async def pause(self, host: str, seconds: float) -> None:
        await self._call(self._db.pause, self.store, host, seconds)

    async def widen(self, host: str, interval: float) -> None:
        await self._call(self._db.widen, self.store, host, interval)

    async def robots(self, host: str) -> Any:
        from ..crawl.hosts import RobotsRecord

        found = await self._call(self._db.robots, self.store, host)
        return None if found is None else RobotsRecord(*found)

    async def save_robots(self, host: str, text: str | None, error: tuple[str, str] | None) -> None:
        await self._call(self._db.save_robots, self.store, host, text, error)


def _now() -> Any:
    from ..normalize import utc_now

    return utc_now()


