"""Scheduled ingest commands: ``ingest``, ``runs``, ``sources check``. See docs/ingest.md."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..discover import DEFAULT_SOURCES_PATH, SourcesConfig, check_sources, load_sources
from ..errors import ConfigError
from .common import (
    EXIT_BUSY,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    add_command,
    add_db_option,
    add_network_options,
    emit_json,
    error,
    open_store,
    positive_int,
    settings_from,
)

if TYPE_CHECKING:
    from ..ingest.runner import Progress

STATUS_EXIT = {"ok": EXIT_OK, "capped": EXIT_OK, "interrupted": EXIT_INTERRUPTED, "failed": EXIT_FAILED}


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ing = add_command(commands, "ingest", "discover and import new articles from the sources file")
    ing.add_argument("--sources", type=Path, default=DEFAULT_SOURCES_PATH, metavar="PATH",
                     help="sources file (default ./sources.toml)")
    ing.add_argument("--source", metavar="NAME", help="only this source")
    ing.add_argument("--max-new", type=positive_int, metavar="N", help="at most N new articles per source")
    ing.add_argument("--since", type=_since, metavar="DATE",
                     help="skip entries published before DATE: YYYY-MM-DD (midnight UTC) or an ISO "
                          "date-time such as 2026-11-01T08:00 (UTC unless it names a zone)")
    ing.add_argument("--backfill", action="store_true",
                     help="walk whole archives instead of stopping at known URLs")
    ing.add_argument("--enqueue", action="store_true",
                     help="discover only: queue new URLs for `repub worker` processes (docs/scaling.md)")
    ing.add_argument("--log-file", type=Path, metavar="PATH", help="append a line per fetch and failure")
    add_db_option(ing)
    add_network_options(ing)
    ing.set_defaults(run=cmd_ingest)

    runs = add_command(commands, "runs", "list past ingest/resync runs and their figures")
    runs.add_argument("--json", action="store_true", help="one JSON object per line per run")
    runs.add_argument("--limit", type=positive_int, default=50, metavar="N", help="the N latest (default 50)")
    add_db_option(runs)
    runs.set_defaults(run=cmd_runs)

    src = commands.add_parser("sources", help="the sources file", description="The sources file.",
                              epilog="exit codes: see `repub sources check --help`")
    src_commands = src.add_subparsers(dest="sources_command", required=True, metavar="ACTION")
    check = add_command(src_commands, "sources check",
                        "validate a sources file: file:line: message per problem")
    check.add_argument("path", nargs="?", type=Path, default=DEFAULT_SOURCES_PATH, metavar="PATH")
    check.set_defaults(run=cmd_sources_check)


def _since(text: str) -> datetime:
    """``2024-07-01`` (midnight UTC) or an ISO date-time (UTC when no zone is given)."""
    try:
        value = datetime.fromisoformat(text) if "T" in text or " " in text else None
        if value is None:
            day = date.fromisoformat(text)
            value = datetime(day.year, day.month, day.day)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD or ISO date-time): {text!r}") from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:  # in UTC now: 0001-01-01T00:00+14:00 has no UTC time (it went to SQL, "date value out of range")
        return value.astimezone(UTC)
    except OverflowError:
        raise argparse.ArgumentTypeError(f"outside the calendar in UTC: {text!r}") from None


def cmd_ingest(args: argparse.Namespace) -> int:
    config = _sources_file(args)  # ConfigError -> exit 3 with file:line: message
    _check_log_file(args.log_file)  # one that cannot be opened: exit 3 before anything is done
    from ..config import build_settings
    from ..ingest import Ingest, IngestOptions
    from ..store.runs import RunLocked

    # --user-agent > $REPUB_USER_AGENT > [settings] user_agent of the sources file > built-in default
    agent = args.user_agent or os.environ.get("REPUB_USER_AGENT") or config.user_agent
    settings = build_settings(db=args.db, host_maps=args.host_map, user_agent=agent, timeout=args.timeout)
    options = IngestOptions(source=args.source, max_new=args.max_new, since=args.since,
                            backfill=args.backfill, enqueue=args.enqueue)
    with (_log_file(args.log_file) as logger, _warnings_on_stderr(args.log_file is not None),
          open_store(settings) as store, _progress() as progress):
        ingest = Ingest(store, settings, config, options, progress=progress)
        try:
            result = ingest.run()
        except RunLocked as err:
            error(str(err))
            return EXIT_BUSY
        logger.info("%s", result.summary())
    print(result.summary())
    if args.enqueue:
        print(f"enqueued {ingest.enqueued} URLs for `repub worker`")
    return STATUS_EXIT.get(result.status, EXIT_FAILED)


def _sources_file(args: argparse.Namespace) -> SourcesConfig:
    """``load_sources(args.sources)``, read once however often it is asked for (a pipe, as
    ``--sources /dev/stdin`` or ``<(...)``, can be read only once): its config, or its ConfigError again."""
    loaded: SourcesConfig | ConfigError | None = getattr(args, "loaded_sources", None)
    if loaded is None:
        try:
            loaded = load_sources(args.sources)
        except ConfigError as err:
            loaded = err
        args.loaded_sources = loaded
    if isinstance(loaded, ConfigError):
        raise loaded
    return loaded


def _check_log_file(path: Path | None) -> None:
    if path is None:
        return
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as err:
        raise ConfigError(f"cannot open the log file {path}: {err.strerror or err}") from None


@contextmanager
def _log_file(path: Path | None) -> Iterator[logging.Logger]:
    logger = logging.getLogger("repub.ingest")
    if path is None:
        yield logger
        return
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield logger
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        handler.close()


@contextmanager
def _warnings_on_stderr(log_file: bool) -> Iterator[None]:
    """The run's warnings on stderr, one ``repub: `` line each (cron mails them). With --log-file only
    the discovery warnings (a start point or child sitemap that failed): each page's failure is in the
    file and counted in the summary."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("repub: %(message)s"))
    if log_file:
        handler.addFilter(lambda record: record.name == "repub.ingest.discovery")
    logger = logging.getLogger("repub.ingest")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


@contextmanager
def _progress() -> Iterator[Progress | None]:
    """A rich progress bar on a terminal; nothing under cron (stdout not a terminal)."""
    if not sys.stdout.isatty():
        yield None
        return
    from rich.progress import Progress as Bar

    # Shown from the first figures on, not before: the bar redraws itself from a thread, and the run
    # forks its helper processes before it starts any thread (repub.ingest.helpers).
    bar = Bar(transient=True)
    task = bar.add_task("ingest", total=None)

    def update(done: int, total: int) -> None:
        if not bar.live.is_started:
            bar.start()
        bar.update(task, completed=done, total=total or None)

    try:
        yield update
    finally:
        if bar.live.is_started:
            bar.stop()


def cmd_runs(args: argparse.Namespace) -> int:
    from ..store.runs import list_runs

    with open_store(settings_from(args)) as store:
        runs = list_runs(store, limit=args.limit)
    for run in runs:
        if args.json:
            emit_json(run.to_json())
            continue
        f = run.figures
        seconds = f"{run.seconds:.1f}s" if run.seconds is not None else "-"
        print(f"{run.id:>5} {run.command:<7} {run.status:<11} {run.started_at or '-':<20} {seconds:>8}  "
              f"discovered {f.discovered}, new {f.new}, updated {f.updated}, failed {f.failed}, "
              f"refused {f.refused}"
              + (f"  ({run.error})" if run.error else ""))
    return EXIT_OK


def cmd_sources_check(args: argparse.Namespace) -> int:
    problems = check_sources(args.path)
    for problem in problems:
        print(problem.format(args.path))
    if problems:
        return EXIT_FAILED
    count = len(load_sources(args.path).sources)
    print(f"{args.path}: ok ({count} source{'s' if count != 1 else ''})")
    return EXIT_OK
