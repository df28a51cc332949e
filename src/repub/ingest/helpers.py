"""A large run's helper processes (its extraction workers and its store process), forked from the run's
own process before it starts a thread.

Why forked from the run: they used to come from a fork server (``repub.procs.helper_context``), a fresh
interpreter that imported the extraction code and the store again. The run's process holds its own
imports (~80 MB: SQLAlchemy, httpx, lxml, selectolax...), so a two-core import carried two copies of
them, and the server's imports cost ~1 s of CPU a run. Forked from the run, the helpers start from its
pages: one copy, shared until written (2,000 pages on two cores, ``bench/profile_import.py``: peak PSS
of all processes ~298 -> ~258 MB; no fork server, no multiprocessing resource tracker).

Why before any thread: a child forked while another thread holds a lock (a stream's buffer, a
connection pool's, any library's) inherits it held, and waits on it for ever. ``Ingest.run`` forks
them once the run lock is held and before its event loop, writer thread or extraction threads start
(``fork_helpers``); in a process that already runs another thread (a program embedding ``Ingest``),
and in a run that turns out larger than its budgets said, they start from the fork server as before.
SQLite's run lock file is taken out of every forked child (``repub.store.runs``): a run killed by
SIGKILL frees its database for the next run at once, whatever its helpers are doing. (PostgreSQL's
lock lives on a connection whose socket the helpers share: it is freed when the last of them has
gone, which each does as soon as the run is gone, ``repub.procs.exit_with``.)

``fork_context`` is the same decision for any pool of extraction workers: ``repub import --warc``
forks a large file's workers with it (``repub.warc.importer``).

The helpers read what they inherited and write nothing of it: the run closes its idle database
connections before it forks them (``Store.before_fork``: SQLite says not to carry an open database
across fork), the store process opens its own connection (``repub.ingest.storeproc``), the workers
never touch the database, and every helper leaves with ``os._exit`` (multiprocessing's fork start), so
nothing inherited is closed under the run.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import sys
import threading
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from .extraction import WORKER_MODULES, Extractor
from .storeproc import StoreProcess

log = logging.getLogger("repub.ingest")


@dataclass
class Helpers:
    """The processes forked for a run: handed to the run's extraction and writer when it uses them."""

    extractor: Extractor
    store: StoreProcess | None  # None: the database cannot be opened by a second process (in-memory)

    def shutdown(self) -> None:
        """Stop the helpers nobody took over (a run that found too little to import)."""
        self.extractor.shutdown()
        if self.store is not None:
            self.store.close()


def can_fork() -> bool:
    """Whether helpers can be forked here: not on Windows (no fork), nor on macOS (whose system
    libraries are not safe in a forked child: Python's own default there is spawn)."""
    return sys.platform != "darwin" and "fork" in multiprocessing.get_all_start_methods()


def fork_context() -> Any | None:
    """multiprocessing's fork context, with what the workers run imported (``WORKER_MODULES``: the
    extraction code, the language model mapped, the garbage collector frozen), when this process may
    fork its helpers now: it runs no other thread and has a safe fork. None otherwise: start them from
    the fork server (``repub.ingest.extraction.worker_context``). A pool on it must start its workers
    at once (``ProcessPoolExecutor`` starts its own threads after them)."""
    if not can_fork():
        return None
    if threading.active_count() > 1:  # a program that runs repub beside threads of its own, a live bar
        log.debug("%d threads run: the helper processes start from the fork server", threading.active_count())
        return None
    for name in WORKER_MODULES:
        importlib.import_module(name)
    return multiprocessing.get_context("fork")


def fork_helpers(store_url: str | None) -> Helpers | None:
    """Import what the helpers run (``WORKER_MODULES``: the extraction code, and the language model
    mapped and the garbage collector frozen, ``repub.ingest.shared_models``), then fork the store
    process (when ``store_url``) and an extraction worker per core. None, and nothing forked, when
    this process runs another thread or cannot fork (``fork_context``): the run then starts its helpers
    from the fork server as before."""
    context = fork_context()
    if context is None:
        return None
    store: StoreProcess | None = None
    extractor: Extractor | None = None
    try:
        # the store process first: starting the pool's workers starts the pool's own threads
        store = StoreProcess(store_url, context=context) if store_url is not None else None
        extractor = Extractor(context=context)
        extractor.start()
    except (OSError, BrokenProcessPool) as err:  # no process can be started here (limits), or one died
        log.error("could not start the helper processes (%s): starting them from the fork server", err)
        if extractor is not None:
            extractor.shutdown()
        if store is not None:
            with contextlib.suppress(OSError):
                store.close()
        return None
    return Helpers(extractor, store)
