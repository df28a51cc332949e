"""A run's helper processes, in one place: how they start, how they hear from the run, how they end.

* ``helper_context(preload)``: the ``forkserver`` context of ingest's extraction workers and store
  process when the run cannot fork them itself (``repub.ingest.helpers``), and of the WARC
  importer's workers (they inherit no open database, lock file or thread; the server imports
  ``preload`` once); ``warm_up()`` starts that server early, so its imports overlap the run's own.
* ``start_every_worker(pool, workers)``: a process pool's workers started now, each running, not on
  the first task (a pool forked from the run must start them before the pool starts its threads).
* ``become_helper(run_pid)``: first thing in every helper: Ctrl-C is the run's to handle (it reaches
  the whole process group), SIGTERM as asked, and the helper exits at once when the run is gone
  (SIGKILL included: ``exit_with``), so none outlives it.
* ``Forked``: a child forked from the run with a pipe both ways (resync's part processes: forked, so
  they start with everything imported, ~0.05 s each instead of a fresh interpreter's ~0.5 s).

The domain modules say what a helper does (``repub.ingest.extraction``, ``repub.ingest.storeproc``,
``repub.resync.parallel``); this module is the plumbing under them.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any


def helper_context(preload: Sequence[str] = ()) -> Any:
    """The multiprocessing context helpers start from: a fork server that imported ``preload``."""
    ctx = multiprocessing.get_context("forkserver" if sys.platform != "win32" else "spawn")
    if ctx.get_start_method() == "forkserver":
        # "__main__" is not in the list: on Python 3.11 the server never gets the main script's path,
        # so it imported nothing and each helper ran the script itself; for the `repub` script that is
        # ``import repub.cli``, cheap.
        ctx.set_forkserver_preload(list(preload))
    return ctx


def warm_up(preload: Sequence[str] = ()) -> None:
    """Start the fork server now, in the background (its imports then overlap the run's). Calling it
    again while the server runs does nothing."""
    if helper_context(preload).get_start_method() == "forkserver":
        from multiprocessing import forkserver

        with contextlib.suppress(OSError):
            forkserver.ensure_running()


def start_every_worker(pool: Any, workers: int) -> None:
    """Start each of ``pool``'s ``workers`` (a ``ProcessPoolExecutor``) now and wait until it runs;
    raises what starting one raised (OSError, BrokenProcessPool)."""
    for future in [pool.submit(os.getpid) for _ in range(workers)]:
        future.result()


def become_helper(run_pid: int, *, ignore_sigterm: bool = False) -> None:
    """Make this process a helper of the run ``run_pid``: Ctrl-C ignored (the run stops its helpers),
    SIGTERM ignored too or left to kill it, and gone as soon as the run is."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN if ignore_sigterm else signal.SIG_DFL)
    exit_with(run_pid)


def exit_with(pid: int) -> None:
    """Exit this process (at once, ``os._exit``) as soon as process ``pid`` is gone; a daemon thread."""
    threading.Thread(target=_watch, args=(pid,), daemon=True, name="repub-lifeline").start()


def _watch(pid: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fd = os.pidfd_open(pid)  # Linux: readable when the process exits
        select.select([fd], [], [])
        os._exit(1)
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except OSError:
            pass
        time.sleep(0.2)


class Forked:
    """``target(conn, *args)`` in a child forked from this process, as a helper of it (Ctrl-C and
    SIGTERM ignored: the run asks it to stop through the pipe). The child never touches what it
    inherited beyond reading it, and leaves with ``os._exit`` (multiprocessing's fork ``Process``), so
    nothing inherited is closed under the parent."""

    def __init__(self, target: Callable[..., None], *args: Any, name: str) -> None:
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_forked, args=(target, child, os.getpid(), args), name=name,
                                    daemon=True)
        self._process.start()
        child.close()

    def send(self, message: Any) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(message)

    def join(self) -> int | None:
        self._process.join()
        return self._process.exitcode


def _forked(target: Callable[..., None], conn: Connection, parent: int, args: tuple[Any, ...]) -> None:
    become_helper(parent, ignore_sigterm=True)
    target(conn, *args)
