"""The run's one database thread, writing the pages saved close together in one transaction.

Jobs run in the order they were queued. Page saves and fetch-log lines queued together (up to
``MAX_BATCH`` saves) go to ``Store.save_many``: one transaction, one SAVEPOINT per page, so a page that
fails is rolled back alone and a SIGKILL leaves whole pages only. Batches form by themselves: whatever
is queued while the previous batch is written is the next batch, so a lone page waits for nobody.
Anything else (reads, run figures, a failed original) runs alone between batches.

Results reach the event loop in one ``call_soon_threadsafe`` per batch; a result whose awaiting task
was cancelled (SIGTERM) is dropped, but its page is still written: ``shutdown`` writes all queued.

``use_process(url)`` (a large run, with its extraction workers) moves the batches' own work into a
child process (``repub.ingest.storeproc``): this thread then hands each batch over and waits, in the
same order, off the GIL the event loop needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import StoreError
from ..store import FetchLogEntry, SaveResult, Store
from ..store.save import SaveItem

if TYPE_CHECKING:
    from .storeproc import StoreProcess

log = logging.getLogger("repub.ingest")
MAX_BATCH = 50  # pages per transaction at most: bounds a batch's latency and the work lost to a retry
Saved = Callable[[SaveResult], None]
T = TypeVar("T")


@dataclass
class _Save:
    item: SaveItem
    future: asyncio.Future[SaveResult] | None
    on_saved: Saved | None  # runs on this thread once committed: counts survive a cancelled task


@dataclass
class _Call:
    fn: Callable[[], Any]
    future: asyncio.Future[Any]


_STOP = object()


class Writer:
    """``await writer.save(item)``, ``await writer.call(fn)``, ``writer.log(entry)``; ``shutdown()``."""

    def __init__(self, store: Store, loop: asyncio.AbstractEventLoop, *,
                 after_batch: Callable[[], None] | None = None, max_batch: int = MAX_BATCH) -> None:
        self.store, self.loop = store, loop
        self.after_batch = after_batch or (lambda: None)
        self.max_batch = max_batch
        self.batches: list[int] = []  # pages per transaction, for tests and figures
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._process_url: str | None = None
        self._process: StoreProcess | None = None
        self._thread = threading.Thread(target=self._run, name="repub-writer", daemon=True)
        self._thread.start()

    def use_process(self, process: str | StoreProcess) -> None:
        """Write the batches from now on in a child process: ``process``, already started, or one opening
        the URL ``process`` (this store's database), started by this thread before its next batch."""
        if isinstance(process, str):
            self._process_url = process
        else:
            self._process = process

    def save(self, item: SaveItem, on_saved: Saved | None = None) -> asyncio.Future[SaveResult]:
        future: asyncio.Future[SaveResult] = self.loop.create_future()
        self._queue.put(_Save(item, future, on_saved))
        return future

    def call(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        """``fn()`` on this thread, after everything queued before it."""
        future: asyncio.Future[T] = self.loop.create_future()
        self._queue.put(_Call(fn, future))
        return future

    def log(self, entry: FetchLogEntry) -> None:
        """A fetch-log line, written with the next batch (so before any page saved after it)."""
        self._queue.put(entry)

    def shutdown(self) -> None:
        """Write everything queued, then stop the thread."""
        self._queue.put(_STOP)
        self._thread.join()

    # -- the thread -----------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            jobs = [self._queue.get()]
            while len(jobs) < 4 * self.max_batch:  # take what is queued, without waiting
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            saves: list[_Save] = []
            lines: list[FetchLogEntry] = []
            for job in jobs:
                if isinstance(job, FetchLogEntry):
                    lines.append(job)
                    continue
                if isinstance(job, _Save):
                    saves.append(job)
                    if len(saves) < self.max_batch:
                        continue
                self._write(saves, lines)  # in order: what was queued before a call runs before it
                saves, lines = [], []
                if job is _STOP:
                    if self._process is not None:
                        self._process.close()
                    return
                if isinstance(job, _Call):
                    self._call(job)
            self._write(saves, lines)

    def _write(self, saves: list[_Save], lines: list[FetchLogEntry]) -> None:
        if not saves and not lines:
            return
        try:
            results: list[SaveResult | StoreError] | Exception = self._save_many(
                [s.item for s in saves], lines)
        except Exception as err:  # the thread must go on: every later job waits on it
            log.error("could not write %d pages and %d fetch-log lines: %s", len(saves), len(lines), err)
            results = err
        if saves:
            self.batches.append(len(saves))
        outcomes = results if isinstance(results, list) else [results] * len(saves)
        for save, outcome in zip(saves, outcomes, strict=True):
            if save.on_saved is not None and isinstance(outcome, SaveResult):
                self._report(functools.partial(save.on_saved, outcome))
        if saves:
            self._report(self.after_batch)
            self._hand_back([(s.future, o) for s, o in zip(saves, outcomes, strict=True)])

    def _save_many(self, items: list[SaveItem], lines: list[FetchLogEntry]) -> list[SaveResult | StoreError]:
        if self._process is None and self._process_url is not None:
            url, self._process_url = self._process_url, None
            try:
                from .storeproc import StoreProcess

                self._process = StoreProcess(url)
            except Exception as err:  # e.g. no process can be started here: this thread writes
                log.error("could not start the store process (%s): writing in the run's process", err)
        if self._process is not None:
            try:
                return self._process.save_many(items, lines)
            except (OSError, EOFError) as err:  # the child died: this batch and the rest are written here
                log.error("the store process failed (%s): writing in the run's process",
                          err or type(err).__name__)
                process, self._process = self._process, None
                process.close()
        return self.store.save_many(items, lines)

    def _call(self, job: _Call) -> None:
        try:
            outcome: Any = job.fn()
        except Exception as err:  # handed to the awaiting task, as run_in_executor would
            outcome = _Raised(err)
        self._hand_back([(job.future, outcome)])

    def _hand_back(self, results: list[tuple[asyncio.Future[Any] | None, Any]]) -> None:
        # RuntimeError: the loop is closed (the writes left at shutdown), nobody is waiting
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(_settle, results)

    @staticmethod
    def _report(fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception as err:  # figures are bookkeeping: a failure must not stop the thread
            log.error("could not record the run's figures: %s", err)


@dataclass
class _Raised:
    error: Exception


def _settle(results: list[tuple[asyncio.Future[Any] | None, Any]]) -> None:
    """On the event loop: hand each result (or error) to its awaiting task, unless it was cancelled."""
    for future, outcome in results:
        if future is None or future.done():
            continue
        if isinstance(outcome, _Raised):
            future.set_exception(outcome.error)
        elif isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
