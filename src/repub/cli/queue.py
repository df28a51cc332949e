"""``repub worker`` and ``repub queue``: the database work queue (docs/scaling.md)."""

from __future__ import annotations

import argparse
import logging

from ..store import queue as q
from ..worker import Worker, WorkerOptions
from .common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    add_command,
    add_db_option,
    add_network_options,
    emit_json,
    open_store,
    positive_int,
    positive_seconds,
    settings_from,
)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    work = add_command(commands, "worker", "claim queued URLs, fetch and store them (run many)")
    work.add_argument("--lease", type=positive_seconds, default=60.0, metavar="SECONDS",
                      help="lease per claimed URL; a dead worker's URLs return after it (default 60)")
    work.add_argument("--exit-when-empty", action="store_true",
                      help="stop when nothing is queued or leased (default: keep polling)")
    work.add_argument("--max-items", type=positive_int, metavar="N", help="stop after N URLs")
    work.add_argument("--id", dest="owner", metavar="NAME", help="lease owner name (default host:pid)")
    work.add_argument("-v", "--verbose", action="store_true", help="log each failure on stderr")
    add_db_option(work)
    add_network_options(work)
    work.set_defaults(run=cmd_worker)

    queue = add_command(commands, "queue", "queue depth, leases and rates")
    queue.add_argument("--json", action="store_true", help="one JSON object instead of text")
    add_db_option(queue)
    queue.set_defaults(run=cmd_queue)


def cmd_worker(args: argparse.Namespace) -> int:
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = settings_from(args)
    options = WorkerOptions(lease=args.lease, exit_when_empty=args.exit_when_empty,
                            max_items=args.max_items, owner=args.owner)
    with open_store(settings) as store:
        worker = Worker(store, settings, options)
        result = worker.run()
    print(result.summary(), flush=True)
    return EXIT_INTERRUPTED if worker.stopping else EXIT_OK


def cmd_queue(args: argparse.Namespace) -> int:
    with open_store(settings_from(args)) as store:
        st = q.stats(store)
    if args.json:
        emit_json(st.to_json())
        return EXIT_OK
    print(f"queued {st.queued}, leased {st.leased} ({st.expired} expired), done {st.done}, "
          f"failed {st.failed}; {st.rate:.2f} pages/s over the last minute")
    for owner, count in sorted(st.owners.items()):
        print(f"  lease {owner}: {count}")
    if st.hosts:
        print(f"  {'host':<40} {'queued':>7} {'leased':>7} {'done':>7} {'failed':>7} {'rate/s':>7}  next")
    for h in st.hosts:
        rate = 1.0 / h.interval if h.interval else 0.0
        print(f"  {h.host:<40} {h.queued:>7} {h.leased:>7} {h.done:>7} {h.failed:>7} {rate:>7.2f}  "
              f"{h.next_allowed_at or '-'}")
    return EXIT_OK
