"""WARC on the command line: ``repub import --warc FILE...`` (its options are registered by ``import``,
in ``repub.cli.articles``, which hands the run over here) and ``repub export --warc OUT`` (registered
by ``repub.cli.export``, one output format per run, which hands ``--warc`` over here). See docs/warc.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    error,
    open_store,
    positive_int,
    settings_from,
)

if TYPE_CHECKING:
    from ..warc.run import Progress


def add_import_options(imp: argparse.ArgumentParser) -> None:
    """``repub import``'s WARC options."""
    imp.add_argument("--warc", nargs="+", action="extend", type=Path, default=[], metavar="FILE",
                     help="import the pages of WARC files (.warc or .warc.gz) instead of fetching URLs")
    imp.add_argument("--processes", type=positive_int, metavar="N",
                     help="with --warc: files imported at once, or a large file's extraction processes "
                          "(default: one per core)")
    imp.add_argument("--fetch-originals", action="store_true",
                     help="with --warc: then fetch the originals the copies name that no WARC held")
    imp.add_argument("--again", action="store_true",
                     help="with --warc: import files already imported again from their first record")


def cmd_import_warc(args: argparse.Namespace) -> int:
    from ..warc.importer import ImportOptions
    from ..warc.run import import_warcs

    settings = settings_from(args)
    processes = args.processes or os.cpu_count() or 1
    options = ImportOptions(max_bytes=settings.fetch.max_bytes, again=args.again)
    with open_store(settings) as store, _progress() as progress:
        def report(result: object) -> None:
            from ..warc.importer import FileResult

            assert isinstance(result, FileResult)
            if result.status in ("failed", "busy") and result.error:
                error(result.error)
            _print_above(result.summary())

        run = import_warcs(store, settings, list(args.warc), options, processes=processes,
                           fetch_originals=args.fetch_originals, progress=progress, report=report)
    for line in run.originals_failed:
        error(f"original not fetched: {line}")
    print(run.summary())
    if run.interrupted:
        error("interrupted: the next `repub import --warc` of the same files resumes where this stopped")
        return EXIT_INTERRUPTED
    return EXIT_FAILED if run.failed else EXIT_OK


_BAR: list[object] = []  # the live progress bar, so lines print above it


def _print_above(line: str) -> None:
    if _BAR:
        _BAR[0].console.print(line, markup=False, highlight=False)  # type: ignore[attr-defined]
    else:
        print(line, flush=True)


@contextmanager
def _progress() -> Iterator[Progress | None]:
    """A rich progress bar over the files' bytes on a terminal; nothing otherwise."""
    if not sys.stdout.isatty():
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("import --warc"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                  transient=True) as bar:
        task = bar.add_task("warc", total=None)
        _BAR.append(bar)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        try:
            yield update
        finally:
            _BAR.clear()


def cmd_export_warc(args: argparse.Namespace) -> int:
    from ..warc.export import ExportError, export_warc

    with open_store(settings_from(args)) as store:
        try:
            report = export_warc(store, args.warc, site=args.site, since=args.since,
                                 with_records=args.with_records)
        except ExportError as err:
            error(str(err))
            return EXIT_FAILED
    print(report.summary())
    return EXIT_OK
