"""``repub worker`` and ``repub queue``: the work queue on PostgreSQL (docs/scaling.md)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from ..discover import DEFAULT_SOURCES_PATH
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
    work = add_command(commands, "worker", "run queued jobs: fetch, store, resync, discover (run many)",
                       description="Run queued jobs: fetch and store pages and originals, resync articles, "
                                   "discover sources.\nNeeds PostgreSQL (REPUB_DATABASE_URL); run as many "
                                   "as you like, on any machine (docs/scaling.md).")
    work.add_argument("--concurrency", type=positive_int, default=4, metavar="N",
                      help="jobs in flight in this process (default 4)")
    work.add_argument("--lease", type=positive_seconds, default=30.0, metavar="SECONDS",
                      help="a worker silent this long is taken for dead and its jobs run again "
                           "(its heartbeat comes every third of it; default 30)")
    work.add_argument("--exit-when-empty", action="store_true",
                      help="stop once nothing is queued or running (default: keep waiting for jobs)")
    work.add_argument("--max-items", type=positive_int, metavar="N", help="stop after N jobs")
    work.add_argument("--schedule", action="store_true",
                      help="also queue the sources file's [schedule] (ingest, resync) at its cron times; "
                           "any number of workers may: each time is queued once")
    work.add_argument("--sources", type=Path, default=DEFAULT_SOURCES_PATH, metavar="PATH",
                      help="sources file for discovery jobs and --schedule (default ./sources.toml)")
    work.add_argument("--id", dest="owner", metavar="NAME",
                      help="the worker's name in logs (default host:pid)")
    work.add_argument("-v", "--verbose", action="store_true", help="log each job's failure on stderr")
    add_db_option(work)
    add_network_options(work)
    work.set_defaults(run=cmd_worker)

    queue = add_command(commands, "queue", "queue depth, running jobs, failures and per-host state")
    queue.add_argument("--json", action="store_true", help="one JSON object instead of text")
    add_db_option(queue)
    queue.set_defaults(run=cmd_queue)


def cmd_worker(args: argparse.Namespace) -> int:
    from ..worker import Worker, WorkerOptions

    level = logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(message)s")
    # the engine logs each failed job with its traceback: repub says it in one line instead (-v)
    logging.getLogger("procrastinate").setLevel(logging.WARNING if args.verbose else logging.CRITICAL)
    settings = settings_from(args)
    options = WorkerOptions(concurrency=args.concurrency, lease=args.lease,
                            exit_when_empty=args.exit_when_empty, max_items=args.max_items, owner=args.owner,
                            schedule=args.schedule, sources=args.sources)
    with open_store(settings) as store:
        worker = Worker(store, settings, options)
        result = worker.run()
    print(result.summary(), flush=True)
    return EXIT_INTERRUPTED if worker.stopping else EXIT_OK


def cmd_queue(args: argparse.Namespace) -> int:
    from ..store.jobs import stats

    with open_store(settings_from(args)) as store:
        st = stats(store)
    if args.json:
        emit_json(st.to_json())
        return EXIT_OK
    print(f"queued {st.todo} ({st.scheduled} scheduled later), running {st.doing}, done {st.succeeded}, "
          f"failed {st.failed}; {st.workers} worker(s) alive; {st.rate:.2f} jobs/s over the last minute")
    for r in st.running:
        print(f"  running {r.task} {r.url or ''} (worker {r.worker}, try {r.attempts + 1}, since {r.since})")
    for f in st.failures:
        print(f"  failed  {f.task} {f.url or ''} at {f.at}: {f.error or '-'}")
    if st.hosts:
        print(f"  {'host':<40} {'queued':>7} {'running':>7} {'done':>7} {'failed':>7}  "
              "next start / paused until")
    for h in st.hosts:
        when = f"paused until {h.paused_until}" if h.paused_until else (h.next_allowed_at or "-")
        print(f"  {h.host:<40} {h.todo:>7} {h.doing:>7} {h.succeeded:>7} {h.failed:>7}  {when}")
    return EXIT_OK
