"""``Store.save_many`` in a child process, for the writer thread of a large run.

Why: an import's bottleneck was the run's own process. Its event loop (fetching), the writer thread
(SQLAlchemy statements, ~1.3 ms a page) and the threads feeding the extraction workers share one
GIL, and it was held ~90% of the time while the second core idled: more extraction workers changed
nothing. Writing the batches in a process of their own takes the writer's CPU off that GIL; the
writer thread only pickles a batch (~40 KB a page: record and compressed raw page) and waits.

What stays the same: the writer thread still takes one job at a time, so a batch is committed before
any later job (a read, the run's figures, a failed original) runs in the run's process, and the two
connections never write at once. Results, per-page errors and the SAVEPOINT per page are
``Store.save_many``'s own. If the child dies (OOM killer...), the batch it held and every later one
are written by the run's process: nothing is lost, though a batch the child had committed is then
seen again (its pages count as unchanged, its fetch-log lines are written twice).

The child ignores SIGINT and SIGTERM (the run stops on them and then sends what is left), exits when
its pipe closes, and exits at once when the run's process is gone (SIGKILL), as the extraction workers
do; a transaction it leaves open is rolled back by the database.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from ..errors import StoreError
from ..procs import become_helper
from ..store import FetchLogEntry, SaveResult, Store
from ..store.save import SaveItem
from .extraction import worker_context

Results = list[SaveResult | StoreError]


class StoreProcess:
    """``save_many(items, lines)`` as ``Store.save_many``, run by a child process on its own connection."""

    def __init__(self, url: str, *, context: Any = None) -> None:
        """``context``: the multiprocessing context the child starts from (the fork server's by default;
        ``repub.ingest.helpers`` forks it from the run)."""
        ctx = context or worker_context()
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(url, child, os.getpid()), name="repub-store",
                                    daemon=True)
        self._process.start()
        child.close()

    def save_many(self, items: Sequence[SaveItem], lines: Sequence[FetchLogEntry]) -> Results:
        """The batch's results; the whole batch's error is raised as ``Store.save_many`` raises it.
        OSError or EOFError: the child is gone (the batch may or may not be written)."""
        self._conn.send((list(items), list(lines)))
        failed, outcome = self._conn.recv()
        if failed:
            raise outcome
        results: Results = outcome
        return results

    def close(self) -> None:
        """Let the child finish and exit (it has nothing queued: every call waited for its answer)."""
        with contextlib.suppress(OSError):
            self._conn.send(None)
        self._conn.close()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


def _serve(url: str, conn: Connection, run_pid: int) -> None:
    become_helper(run_pid, ignore_sigterm=True)  # the run sends what is left, then stops it
    store = Store.open(url, migrate=False)  # the run migrated it before starting this process
    try:
        while True:
            try:
                job = conn.recv()
            except EOFError:
                return
            if job is None:
                return
            conn.send(_save(store, *job))
    finally:
        store.close()


def _save(store: Store, items: list[SaveItem], lines: list[FetchLogEntry]) -> tuple[bool, Any]:
    try:
        return False, store.save_many(items, lines)
    except StoreError as err:
        return True, StoreError(str(err))  # plain: its cause may not pickle
    except Exception as err:  # the writer thread reports it as it reports its own errors
        return True, StoreError(f"{type(err).__name__}: {err}")
