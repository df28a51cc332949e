"""Extraction off the writer thread: ``normalize(extract(...))`` in a pool of worker processes, and the
raw page's digest and compression (``repub.store.history.prepare_raw``) with it.

A run with more than ``POOL_MIN_URLS`` pages to import (``$REPUB_EXTRACT_POOL_MIN`` overrides it) on
more than one core starts one ``ProcessPoolExecutor`` with a worker per core the run may use
(``available_cores``: its CPU affinity); the writer thread then only writes. Smaller runs, and runs
on one core, do the same work in a thread of the run's process (``prepare_page``): starting the
workers (~0.5 s) would cost more than it buys, and on one core they only add work (``use_workers``).

The workers are forked from the run's process before it starts a thread (``repub.ingest.helpers``),
else they start from a fork server (``worker_context``). They ignore SIGINT (Ctrl-C reaches the whole
process group; the run itself stops them) and exit on their own when the run's process dies
(SIGKILL): they never outlive it, and the run's lock is not theirs (``repub.store.runs``), so a killed
run never leaves the database locked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import ExtractError, RepubError
from ..procs import become_helper, helper_context, start_every_worker
from ..procs import warm_up as _warm_up

if TYPE_CHECKING:
    from ..fetch.types import Page
    from ..normalize.types import Record
    from ..reuse.fingerprint import Fingerprint
    from ..store.history import PreparedRaw, RawBody

log = logging.getLogger("repub.ingest")
POOL_MIN_URLS = 20
POOL_MIN_ENV = "REPUB_EXTRACT_POOL_MIN"
T = TypeVar("T")
# What the workers run, imported before any worker is forked (by the run, repub.ingest.helpers, or by
# the fork server), so that a worker starts with it loaded and the workers share its memory. This
# module imports them where used, not at its top: a run that extracts in a thread needs few of them.
# trafilatura (the generic extractor's, imported on its first page otherwise) is among them: once
# (~0.06 s) rather than once per worker on the run's first page of a site without rules.
# Last, repub.ingest.shared_models loads the models each worker would load on its first page (the
# language model, mapped from repub's cache), so that all workers share one copy.
WORKER_MODULES = ["repub.ingest.extraction", "repub.extract.article", "repub.normalize",
                  "repub.store.history", "repub.fetch.charset", "repub.reuse.fingerprint",
                  "trafilatura", "repub.ingest.shared_models"]


def pool_min_urls() -> int:
    """URLs to import above which a run extracts in worker processes."""
    with contextlib.suppress(ValueError):
        return int(os.environ.get(POOL_MIN_ENV, ""))
    return POOL_MIN_URLS


def use_workers(urls: int) -> bool:
    """Whether a run importing ``urls`` pages extracts in worker processes (and writes in a store
    process): above ``pool_min_urls()``, and only with a second core to run them on. On one core
    (``taskset -c 0``, a one-CPU container) the processes bought nothing and cost a quarter more CPU
    a page (pickling pages and batches across, the processes taking turns: 12.3 vs 8.5 ms a page on
    2,000 pages, bench/profile_import.py --pin) and 60 MB more memory (176 vs 113 MB). An explicit
    $REPUB_EXTRACT_POOL_MIN is obeyed on any machine (tests use it to have workers)."""
    if urls <= pool_min_urls():
        return False
    return available_cores() > 1 or POOL_MIN_ENV in os.environ


def available_cores() -> int:
    """The cores this process may run on: its CPU affinity (``taskset -c 0 repub ingest`` is a one-core
    run, one extraction worker), not every core of the machine as ``os.cpu_count()`` says."""
    with contextlib.suppress(AttributeError, OSError):  # no sched_getaffinity (macOS)
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def extract_in_worker(html: str, final_url: str) -> tuple[Record | None, str | None]:
    """(record, None), or (None, the readable message) when the page holds no article."""
    from ..extract import extract
    from ..normalize import normalize

    try:
        return normalize(extract(html, final_url)), None
    except RepubError as err:
        return None, str(err)


@dataclass(frozen=True)
class Prepared:
    """A fetched page made ready for the writer: its record, the record's content digest and the raw
    page digested and compressed: all the CPU work of saving a page that needs no database."""

    record: Record
    content_hash: str
    raw: PreparedRaw
    fingerprint: Fingerprint  # of the body: the text-reuse index's signature (repub.reuse)


def prepare_in_worker(html: str | None, final_url: str, raw: RawBody, content_type: str = ""
                      ) -> tuple[Prepared | None, str | None]:
    """(``Prepared``, None), or (None, the readable message) when the page holds no article.
    ``html`` None: the text is decoded here from ``raw`` as the fetcher decoded it (``decode_html``),
    so only the bytes cross the process boundary."""
    from ..fetch.charset import decode_html
    from ..reuse.fingerprint import fingerprint
    from ..store import content_hash
    from ..store.history import prepare_raw
    from ..store.save import content_of

    if html is None:
        html = decode_html(raw.body, content_type)[0]
    record, error = extract_in_worker(html, final_url)
    if record is None:
        return None, error
    digest = content_hash(content_of(record))
    return Prepared(record, digest, prepare_raw(raw), fingerprint(record.body_text)), None


def prepare_page(page: Page) -> Prepared:
    """``prepare_in_worker`` in this process; ExtractError when the page holds no article."""
    return _prepared(prepare_in_worker(page.text, page.final_url, _raw(page)))


def _prepared(outcome: tuple[Prepared | None, str | None]) -> Prepared:
    prepared, error = outcome
    if prepared is None:
        raise ExtractError(error or "no article")
    return prepared


def _raw(page: Page) -> RawBody:
    from ..store.history import RawBody

    return RawBody(url=page.final_url, body=page.body, encoding=page.charset,
                   status_line=page.status_line or None, headers=page.raw_headers or None)


def _init_worker(run_pid: int) -> None:
    # the worker's parent is the run or the fork server (which the workers themselves keep alive):
    # either way, watch the run
    become_helper(run_pid)


def worker_context() -> Any:
    """The extraction workers' (and the store process's) start when they cannot be forked from the run
    (``repub.ingest.helpers``), and the WARC importer's: a fork server that imported the extraction
    code (WORKER_MODULES) and nothing else (``repub.procs``)."""
    return helper_context(WORKER_MODULES)


def warm_up() -> None:
    """Start the fork server now, in the background (a run that could not fork its helpers): its
    imports (~0.3 s on this 2-core machine) then overlap the run's database opening and discovery
    instead of holding up the first pages fetched. A run that turns out too small for workers leaves
    it unused; it exits with the run. Calling it again while the server runs does nothing."""
    if use_workers(sys.maxsize):
        _warm_up(WORKER_MODULES)


class Extractor:
    """``await extractor.record(html, url)``: the record, extracted in a worker process."""

    def __init__(self, workers: int | None = None, *, context: Any = None) -> None:
        """``context``: the multiprocessing context the workers start from (``worker_context()``, the
        fork server, by default; ``repub.ingest.helpers`` forks them from the run)."""
        self.workers = workers or available_cores()
        self._pool: ProcessPoolExecutor | None = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context or worker_context(), initializer=_init_worker,
            initargs=(os.getpid(),)
        )
        self._ready: asyncio.Future[None] | None = None
        self._broken = False

    def start(self) -> None:
        """Start every worker now and wait until each runs (blocking: on the event loop, ``record``
        and ``prepare`` do it on a thread)."""
        if self._pool is not None:
            start_every_worker(self._pool, self.workers)

    async def _in_worker(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker process; here (a thread of this process) if the workers failed."""
        loop = asyncio.get_running_loop()
        if self._ready is None:
            self._ready = loop.run_in_executor(None, self.start)
        try:
            await asyncio.shield(self._ready)
            pool = self._pool
            if pool is None:
                raise BrokenProcessPool("shut down")
            return await loop.run_in_executor(pool, fn, *args)
        except (BrokenProcessPool, OSError) as err:  # a worker died (OOM killer...): work here
            if not self._broken:
                self._broken = True
                log.error("the extraction workers failed (%s): extracting in the run's process", err)
            return fn(*args)

    async def record(self, html: str, final_url: str) -> Record:
        """The extracted record; ExtractError (the same readable line as in the run's process)."""
        record, error = await self._in_worker(extract_in_worker, html, final_url)
        if error is not None:
            raise ExtractError(error)
        assert record is not None
        return record

    async def prepare(self, page: Page) -> Prepared:
        """``prepare_page`` in a worker process. Only the page's bytes are sent (the worker decodes
        them again, as the fetcher did): half the bytes pickled on this process's busy threads."""
        html = None if page.body else page.text
        ctype = page.headers.get("content-type", "")
        return _prepared(await self._in_worker(prepare_in_worker, html, page.final_url, _raw(page), ctype))

    def shutdown(self) -> None:
        """Stop the workers; extractions not started are dropped (their pages are not saved)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
