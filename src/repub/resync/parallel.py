"""A large resync spread over processes, by host.

A resync of unchanged pages is bound by one core: its event loop (the HTTP client's work per
request, ~0.8 ms a 304 on the benchmark machine) holds the process's GIL. With more hosts than one
and thousands of targets, the targets are split into parts by host (a host is never split, so its
``per_host`` limit holds as it does in one process) and each part but the first is checked by a
child process with its own ``Resyncer`` and its own database connection, under the parent's run
(same run id: every fetch-log line says which run made it; the run lock stays with the parent).

Children are forked from the command (``repub.procs.Forked``), before it starts its event loop or any
thread, so they start with everything imported. They never touch the parent's database connection:
each opens its own. They ignore Ctrl-C and SIGTERM: the parent, which gets them, asks each child to
stop; the child finishes the checks in flight, writes what it has counted (as the parent does) and
reports. A child whose parent is gone (SIGKILL) exits at once. Reports arrive after each written
batch (the run's figures stay current) and at the end.
"""

from __future__ import annotations

import os
import threading
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection

from ..config import Settings
from ..crawl.polite import host_key
from ..procs import Forked
from ..store import Store
from ..store.history import Target
from .engine import CrawlFor, Resyncer, ResyncReport

MIN_TARGETS_PER_PROCESS = 100  # a forked child costs ~0.05 s (its own connection and HTTP client)


def host_of(url: str) -> str:
    """The host a target's politeness is counted on (``repub.crawl``): never split over processes."""
    return host_key(url)


def processes_for(targets: list[Target], requested: int | None = None) -> int:
    """How many processes check ``targets``: ``requested`` (at most one per host), else one per core
    while each gets at least MIN_TARGETS_PER_PROCESS targets and a host of its own."""
    hosts = len({host_of(t.url) for t in targets})
    if requested is not None:
        return max(1, min(requested, hosts))
    return max(1, min(os.cpu_count() or 1, hosts, len(targets) // MIN_TARGETS_PER_PROCESS))


def split_by_host(targets: list[Target], parts: int) -> list[list[Target]]:
    """``targets`` in at most ``parts`` lists, each host's targets in one list (in their order), the
    largest hosts placed first, each on the list with the fewest targets so far."""
    by_host: dict[str, list[Target]] = {}
    for target in targets:
        by_host.setdefault(host_of(target.url), []).append(target)
    split: list[list[Target]] = [[] for _ in range(max(1, min(parts, len(by_host))))]
    for group in sorted(by_host.values(), key=len, reverse=True):
        min(split, key=len).extend(group)
    return [part for part in split if part]


@dataclass(frozen=True)
class PartJob:
    """What a child checks, and how (the parent's own options)."""

    url: str  # the database, for the child's own connection
    settings: Settings
    run_id: int
    concurrency: int
    per_host: int | None
    targets: list[Target]
    rate: float | None = None
    crawl_for: CrawlFor | None = None  # forked, not pickled: any callable goes


class Part:
    """A child process checking one part; ``latest()`` is its report so far, ``finish()`` its last."""

    def __init__(self, job: PartJob) -> None:
        self._child = Forked(_serve, job, name="repub-resync-part")
        self._conn = self._child.conn
        self._report = ResyncReport()
        self._finished = False  # its last report arrived
        self.failure: str | None = None

    def latest(self) -> ResyncReport:
        """The child's report as of its last written batch (reads what has arrived, never waits)."""
        while not self._conn.closed and self._conn.poll():
            self._receive()
        return self._report

    def stop(self) -> None:
        """Ask the child to finish the checks in flight and stop."""
        self._child.send("stop")

    def finish(self) -> ResyncReport:
        """Wait for the child's last report (its checks counted and written), then for its exit."""
        while not self._conn.closed:
            try:
                self._receive()
            except KeyboardInterrupt:  # SIGTERM or Ctrl-C while waiting: the child stops as well
                self.stop()
        code = self._child.join()
        if code not in (0, None) and self.failure is None and not self._finished:
            self.failure = f"a resync process exited with code {code}"
        return self._report

    def _receive(self) -> None:
        try:
            kind, report, message = self._conn.recv()
        except (EOFError, OSError):
            self._conn.close()
            return
        self._report = ResyncReport(**report)
        if kind != "progress":
            self._finished = True
            self.failure = message  # None when done or interrupted
            self._conn.close()


def merged(reports: list[ResyncReport]) -> ResyncReport:
    total = ResyncReport()
    for report in reports:
        for name, value in asdict(report).items():
            if name == "errors":
                total.errors.extend(value)
            else:
                setattr(total, name, getattr(total, name) + value)
    return total


def _serve(conn: Connection, job: PartJob) -> None:
    report = ResyncReport()
    sending = threading.Lock()  # the writer thread reports batches; this thread reports the end

    def send(kind: str, message: str | None = None) -> None:
        with sending:
            conn.send((kind, asdict(report), message))

    kind, message = "done", None
    with Store.open(job.url, migrate=False) as store:
        resyncer = Resyncer(store, job.settings, run_id=job.run_id, concurrency=job.concurrency,
                            per_host=job.per_host, rate=job.rate, crawl_for=job.crawl_for)
        threading.Thread(target=_stop_on_request, args=(conn, resyncer), daemon=True).start()
        try:
            resyncer.run(job.targets, report=report, on_flush=lambda: send("progress"))
        except KeyboardInterrupt:
            kind = "interrupted"
        except Exception as err:  # the parent records the run as failed, with this line
            kind, message = "failed", f"{type(err).__name__}: {err}"
    send(kind, message)


def _stop_on_request(conn: Connection, resyncer: Resyncer) -> None:
    try:
        while conn.recv() != "stop":
            pass
    except (EOFError, OSError):
        return
    resyncer.stop()


__all__ = ["MIN_TARGETS_PER_PROCESS", "Part", "PartJob", "merged", "processes_for", "split_by_host"]
