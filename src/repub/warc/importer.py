"""``repub import --warc``: one WARC file, read once, its pages stored as fetched pages are.

``FileImport(store, path, options).run()`` streams the file's records (``repub.warc.records``), turns
each response into a ``Page`` (``repub.warc.pages``; its fetch time is the record's WARC-Date), runs
the pipeline's own CPU part on it (``prepare_record``: decode, extract, normalize, digest and compress
the raw page; in worker processes for a large file) and stores it through ``repub.pipeline.save_item``
and ``Store.save_many``, the write path of every fetched page: copies linked to their originals (a
stored one, else a "pending" stub that the original's own record fills in when it comes), the same
URL and content digest never stored twice.

Pages are committed in batches, and each batch's transaction also moves the file's row in
``warc_files`` to the offset of the first record it does not cover, with the counts so far
(``repub.store.warcfiles.progress_writer``): an import killed at any point resumes at that offset and
neither loses nor repeats a page or a fetch-log line. Memory holds one record being read, the pages
in flight to the workers (``IN_FLIGHT_PER_WORKER`` each) and one batch: flat however long the file.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..errors import RepubError, StoreError
from ..fetch.types import Page
from ..normalize import canonical_url
from ..pipeline import save_item
from ..procs import become_helper, start_every_worker
from ..store import FetchLogEntry, SaveResult, Store
from ..store.history import RawBody
from ..store.save import SaveItem
from ..store.warcfiles import (
    Claim,
    FileBusy,
    claim_file,
    finish_file,
    progress_writer,
    revisited_page,
    stop_file,
)
from .pages import Failure, Revisit, Skip, classify, prepare_record, revisit_page
from .records import WarcFileError, WarcRecord, read_records

log = logging.getLogger("repub.warc")
HEAD_BYTES = 1 << 20  # a file is known by the sha256 of its first MiB (see WarcFile)
BATCH = 50  # pages per transaction, as the ingest writer's
MAX_LOG_LINES = 1000  # fetch-log lines of skipped records per transaction at most
COMMIT_EVERY = 2.0  # seconds: progress is committed at least this often while pages come
IN_FLIGHT_PER_WORKER = 4
POOL_MIN_BYTES = 4 << 20  # a smaller file is read and extracted in this process: workers cost ~0.5 s
POOL_MIN_ENV = "REPUB_WARC_POOL_MIN_BYTES"
# The order of the summary's counts (anything else after them)
COUNT_ORDER = ("new", "updated", "unchanged", "revisits", "no-article", "not-html", "truncated", "broken",
               "too-large", "redirect", "http-error", "not-modified", "bot-wall", "revisit-unresolved",
               "save-failed", "other-records")
STORED = ("new", "updated", "unchanged")


@dataclass(frozen=True)
class ImportOptions:
    max_bytes: int = 10 * 1024 * 1024  # a record's body at most (the fetcher's cap)
    again: bool = False  # start a file over from its first record
    workers: int = 0  # extraction worker processes for a large file (0 or 1: this process)
    batch: int = BATCH


@dataclass
class FileResult:
    """What one file's import did (this run and, for a resumed file, the runs before)."""

    name: str
    status: str  # done, already (done before: nothing new), failed, interrupted, busy
    records: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None
    resumed_at: int = 0  # the offset this run started at

    @property
    def pages(self) -> int:
        return sum(self.counts.get(k, 0) for k in STORED)

    def summary(self) -> str:
        head = f"{self.name}: {self.status}"
        if self.status == "busy":
            return f"{head} ({self.error})"
        resumed = f", resumed at byte {self.resumed_at}" if self.resumed_at else ""
        return f"{head}{resumed}, {describe(self.records, self.counts)}, {self.seconds:.1f} s"


def describe(records: int, counts: dict[str, int]) -> str:
    """"120 records: 80 pages stored (70 new, 10 unchanged), 30 not-html, 10 other-records"."""
    stored = sum(counts.get(k, 0) for k in STORED)
    parts = [f"{counts[k]} {k}" for k in STORED if counts.get(k)]
    text = f"{records} records: {stored} pages stored" + (f" ({', '.join(parts)})" if parts else "")
    rest = [k for k in COUNT_ORDER if k not in STORED and counts.get(k)]
    rest += sorted(k for k in counts if k not in COUNT_ORDER and counts[k])
    return text + "".join(f", {counts[k]} {k}" for k in rest)


def file_identity(path: Path) -> tuple[str, int]:
    """(sha256 of the first MiB, size in bytes): OSError when the file cannot be read."""
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
        size = os.fstat(fh.fileno()).st_size
    return hashlib.sha256(head).hexdigest(), size


def pool_min_bytes() -> int:
    with contextlib.suppress(ValueError):
        return int(os.environ.get(POOL_MIN_ENV, ""))
    return POOL_MIN_BYTES


@dataclass
class _Slot:
    """A record on its way to the store, in file order: a page in extraction, or a skip to log."""

    next_offset: int
    page: Page | None = None
    future: Future[Prepared | Failure] | None = None
    skip: Skip | None = None
    record_offset: int = 0
    uri: str = ""
    date: datetime | None = None
    status: int | None = None
    revisit: bool = False


Prepared = Any  # repub.ingest.extraction.Prepared (imported lazily)
ProgressFn = Callable[[int], None]  # bytes of the file done so far


class FileImport:
    """Import one WARC file into ``store``; ``run()`` returns its ``FileResult`` (never raises but
    KeyboardInterrupt, after recording the file as interrupted). ``stop()`` is asked after each
    commit: True stops the file there as a Ctrl-C would (how a parent process stops a child that
    ignores signals, ``repub.warc.run``)."""

    def __init__(self, store: Store, path: Path, options: ImportOptions, *,
                 progress: ProgressFn | None = None, stop: Callable[[], bool] | None = None) -> None:
        self.store, self.path, self.options = store, path, options
        self.name = str(path)
        self.progress = progress or (lambda _done: None)
        self.stop = stop or (lambda: False)
        self.counts: collections.Counter[str] = collections.Counter()
        self.records = 0
        self._slots: collections.deque[_Slot] = collections.deque()
        self._items: list[SaveItem] = []
        self._item_slots: list[_Slot] = []
        self._log: list[FetchLogEntry] = []
        self._covered = 0  # offset up to which every record is in the batch (or committed)
        self._committed_at = time.monotonic()
        self._pool: ProcessPoolExecutor | None = None
        self._claim: Claim | None = None
        self._durable_offset = -1  # the offset committed last

    # -- the run ------------------------------------------------------------------------------------

    def run(self) -> FileResult:
        started = time.monotonic()
        try:
            head, size = file_identity(self.path)
        except OSError as err:
            return FileResult(self.name, "failed", error=f"{self.name}: cannot read: {err.strerror or err}")
        try:
            claim = self._claim = claim_file(self.store, head_sha256=head, name=self.name, size=size,
                                             again=self.options.again)
        except FileBusy as err:
            return FileResult(self.name, "busy", error=str(err))
        self.counts.update(claim.counts)
        self.records = claim.records
        self._covered = claim.offset

        def result(status: str, error: str | None = None) -> FileResult:
            return FileResult(self.name, status, self.records, dict(self.counts), time.monotonic() - started,
                              error, claim.offset)

        if claim.status == "done" and claim.offset >= size:
            finish_file(self.store, claim.file_id, status="done", offset=claim.offset, records=self.records,
                        counts=dict(self.counts))
            return result("already")
        status, error = "done", None
        try:
            self._start_pool(size - claim.offset)
            try:
                self._read(claim.offset, size)
            except WarcFileError as err:
                status, error = "failed", str(err)
                log.info("%s", err)
            self._drain(wait=True)
            self._commit()
        except KeyboardInterrupt:
            # what is committed stays, with the offset committed beside it; the batch in hand is dropped
            self._stop_pool()
            stop_file(self.store, claim.file_id, status="interrupted")
            raise
        except StoreError as err:
            self._stop_pool()
            with contextlib.suppress(StoreError):
                stop_file(self.store, claim.file_id, status="failed", error=f"{self.name}: {err}")
            return result("failed", f"{self.name}: {err}")
        finally:
            self._stop_pool()
        finish_file(self.store, claim.file_id, status=status, offset=self._covered, records=self.records,
                    counts=dict(self.counts), error=error)
        self.progress(self._covered - claim.offset)
        return result(status, error)

    def _read(self, start: int, size: int) -> None:
        with self.path.open("rb") as fh:
            fh.seek(start)
            records = read_records(fh, self.name, start=start, size=size, max_bytes=self.options.max_bytes)
            for record in records:
                self.records += 1
                self._take(record)
                self._drain(wait=False)
                if self._batch_full():
                    self._drain(wait=False)
                    self._commit()
                    self.progress(self._covered - start)
                    if self.stop():
                        raise KeyboardInterrupt

    def _window(self) -> int:
        return IN_FLIGHT_PER_WORKER * max(1, self.options.workers) if self._pool else 0

    def _batch_full(self) -> bool:
        return (len(self._items) >= self.options.batch or len(self._log) >= MAX_LOG_LINES
                or (bool(self._items) and time.monotonic() - self._committed_at > COMMIT_EVERY))

    # -- one record ---------------------------------------------------------------------------------

    def _take(self, record: WarcRecord) -> None:
        outcome = classify(record, self.options.max_bytes)
        slot = _Slot(next_offset=record.next_offset, record_offset=record.offset, uri=record.uri,
                     date=record.date, status=record.status)
        if isinstance(outcome, Revisit):
            slot.revisit = True
            outcome = self._resolve(outcome)
        if isinstance(outcome, Skip):
            slot.skip = outcome
        else:
            try:
                canonical_url(outcome.url)
            except RepubError as err:
                outcome = Skip("broken", f"bad URL: {err}")
                slot.skip = outcome
            else:
                slot.page = outcome
                slot.future = self._submit(outcome, record.headers.get("warc-payload-digest"))
        self._slots.append(slot)

    def _resolve(self, revisit: Revisit) -> Page | Skip:
        """The page a revisit records, from the kept pages: first as committed, then after committing
        what is in flight (the record it points at may be in this very batch)."""
        urls = []
        for url in (revisit.refers_to, revisit.uri):
            with contextlib.suppress(RepubError):
                urls.append(canonical_url(url))
        kept = revisited_page(self.store, digest=revisit.digest, urls=urls, before=revisit.refers_to_date)
        if kept is None and (self._slots or self._items):
            self._drain(wait=True)
            self._commit()
            kept = revisited_page(self.store, digest=revisit.digest, urls=urls, before=revisit.refers_to_date)
        if kept is None:
            return Skip("revisit-unresolved", "revisit of a record not stored as a page here "
                        f"({revisit.digest or revisit.refers_to})")
        return revisit_page(revisit, kept.body, kept.status_line, kept.headers)

    def _submit(self, page: Page, digest: str | None) -> Future[Prepared | Failure]:
        raw = RawBody(url=page.final_url, body=page.body, encoding="", status_line=page.status_line or None,
                      headers=page.raw_headers or None,
                      warc_payload_digest=(digest or "").strip()[:128] or None)
        ctype = page.headers.get("content-type", "")
        if self._pool is not None:
            return self._pool.submit(prepare_record, page.final_url, raw, ctype, page.status)
        done: Future[Prepared | Failure] = Future()
        try:
            done.set_result(prepare_record(page.final_url, raw, ctype, page.status))
        except Exception as err:  # noqa: BLE001 - see _outcome
            done.set_exception(err)
        return done

    # -- in file order to the batch -----------------------------------------------------------------

    def _drain(self, *, wait: bool) -> None:
        """Move the records whose work is done, in file order, into the batch; ``wait``: all of them
        (else as many as are done, waiting for the oldest while more than the window are out)."""
        while self._slots:
            slot = self._slots[0]
            if slot.future is not None and not slot.future.done():
                if not wait and len(self._slots) <= self._window():
                    return
                slot.future.result()
            self._slots.popleft()
            self._to_batch(slot)

    def _to_batch(self, slot: _Slot) -> None:
        at = slot.date or datetime.now(UTC)
        where = f"{self.name} at byte {slot.record_offset}"
        if slot.skip is not None:
            self.counts[slot.skip.kind] += 1
            if slot.skip.log:
                self._log.append(FetchLogEntry(
                    url=slot.uri or f"(no URI: {where})", final_url=slot.uri or None, fetched_at=at,
                    status=slot.status, error_kind=slot.skip.kind,
                    error=f"{slot.skip.message} (WARC {where})"))
        else:
            assert slot.future is not None and slot.page is not None
            page = slot.page
            outcome = self._outcome(slot.future, page)
            line = FetchLogEntry(url=page.url, final_url=page.final_url, fetched_at=at, status=page.status,
                                 nbytes=len(page.body))
            if isinstance(outcome, Failure):
                self.counts[outcome.kind] += 1
                line.error_kind, line.error = ("extract" if outcome.kind == "no-article" else outcome.kind,
                                               f"{_unprefixed(outcome.message, page.url)} (WARC {where})")
            else:
                raw = outcome.raw
                if slot.revisit:
                    self.counts["revisits"] += 1
                item = save_item(outcome.record, page, raw=raw, content_hash=outcome.content_hash,
                                 stub_original=True)
                self._items.append(item)
                self._item_slots.append(slot)
            self._log.append(line)
        self._covered = slot.next_offset

    def _outcome(self, future: Future[Prepared | Failure], page: Page) -> Prepared | Failure:
        """The extraction's outcome. A worker that died (the OOM killer...) leaves the rest to this
        process; an extractor that broke on a page (not one of repub's errors: a bug, a parser's
        limit) costs that page only, never the file."""
        try:
            return future.result()
        except BrokenProcessPool as err:
            if self._pool is not None:
                log.info("the extraction workers failed (%s): extracting in this process", err)
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            return self._outcome(self._submit(page, None), page)
        except Exception as err:  # noqa: BLE001
            log.info("%s: extraction failed: %s: %s", page.url, type(err).__name__, err)
            return Failure("no-article", f"extraction failed: {type(err).__name__}: {err}")

    def _commit(self) -> None:
        """The batch, its fetch-log lines and the file's progress in one transaction."""
        idle = not self._items and not self._log and self._durable_offset == self._covered
        if self._claim is None or idle:
            return
        file_id = self._claim.file_id
        offset, records = self._covered, self.records - len(self._slots)
        counted: list[collections.Counter[str]] = []

        def then(conn: sa.Connection, results: Sequence[SaveResult | StoreError]) -> None:
            counts = collections.Counter(self.counts)  # anew on a retry: counted once
            counts.update(_saved_kind(result) for result in results)
            progress_writer(file_id, offset, records, dict(counts))(conn, results)
            counted[:] = [counts]

        results = self.store.save_many(self._items, self._log, then=then)
        for slot, result in zip(self._item_slots, results, strict=True):
            if isinstance(result, StoreError):
                log.info("%s: not stored: %s", slot.uri, result)
        self.counts = counted[0]
        self._durable_offset = offset
        self._items, self._item_slots, self._log = [], [], []
        self._committed_at = time.monotonic()

    # -- worker processes ---------------------------------------------------------------------------

    def _start_pool(self, todo: int) -> None:
        if self.options.workers < 2 or todo < pool_min_bytes():
            return
        from ..ingest.extraction import worker_context
        from ..ingest.helpers import fork_context

        def pool_on(context: Any) -> ProcessPoolExecutor:
            return ProcessPoolExecutor(max_workers=self.options.workers, mp_context=context,
                                       initializer=_init_worker, initargs=(os.getpid(),))

        # forked from this process when it runs no other thread (its imports shared, no fork server:
        # repub.ingest.helpers), every worker at once, before the pool starts its threads; else (a
        # live progress bar, a fork that failed) from the fork server
        context = fork_context()
        if context is not None:
            self.store.before_fork()
            pool = pool_on(context)
            try:
                start_every_worker(pool, self.options.workers)
                self._pool = pool
                return
            except (OSError, BrokenProcessPool) as err:
                log.info("could not fork the extraction workers (%s): using the fork server", err)
                pool.shutdown(wait=True, cancel_futures=True)
        self._pool = pool_on(worker_context())

    def _stop_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _saved_kind(result: SaveResult | Exception) -> str:
    if not isinstance(result, SaveResult):
        return "save-failed"
    if result.created or (result.changed and result.version == 1):
        return "new"
    return "updated" if result.changed else "unchanged"


def _unprefixed(message: str, url: str) -> str:
    return message.removeprefix(f"{url}: ")


def _init_worker(parent: int) -> None:
    """Extraction workers ignore Ctrl-C (the import stops them) and die with the importing process."""
    become_helper(parent)
