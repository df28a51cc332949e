"""``repub export``: stored articles out as a file, streamed (docs/web.md).

One command, one output format per run: ``--format jsonl|csv`` (the ``--json`` record of each article,
as ``repub serve``'s export links give it) or ``--warc OUT`` (the kept raw pages as a WARC file,
``repub.cli.warc``; docs/warc.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from .common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_command,
    add_db_option,
    error,
    open_store,
    output_file,
    settings_from,
)
from .ingest import _since as since_time  # the one date rule of the command line
from .web import add_search_filters


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    exp = add_command(commands, "export", "write stored articles out as JSON Lines, CSV or WARC",
                      description=(
        "Write stored articles out, streamed (constant memory however many): --format jsonl (one\n"
        "--json record a line, as `repub list --json`) or csv (the same record flattened one level);\n"
        "filters as `repub search`, --query takes the search language (docs/web.md). Or --warc OUT:\n"
        "the kept raw pages as a WARC file, a warcinfo record then a response record per page (status\n"
        "line and headers as received, WARC-Date = fetch time), with --with-records a metadata record\n"
        "per page holding its record as JSON; filters --site and --since only (docs/warc.md)."))
    out = exp.add_mutually_exclusive_group(required=True)
    out.add_argument("--format", choices=("jsonl", "csv"), help="JSON Lines or CSV of the --json record")
    out.add_argument("--warc", type=output_file, metavar="OUT",
                     help="a WARC file of the kept raw pages (OUT.warc.gz: gzip per record; OUT.warc: plain)")
    exp.add_argument("--with-records", action="store_true",
                     help="with --warc: a metadata record (application/json) after each response: the "
                          "article's record")
    exp.add_argument("-o", "--output", type=output_file, metavar="FILE",
                     help="write to FILE (whole or not at all: a failed export leaves none); default stdout")
    exp.add_argument("--query", "-q", default="", metavar="Q", help="only the articles this search finds")
    exp.add_argument("--since", type=since_time, metavar="DATE",
                     help="only articles first stored at or after DATE: YYYY-MM-DD (midnight UTC) or an "
                          "ISO date-time")
    add_search_filters(exp)
    add_db_option(exp)
    exp.set_defaults(run=cmd_export)


# what --format takes and a WARC export (its raw pages, selected by --site and --since) does not
_NOT_FOR_WARC = {"query": "--query", "kind": "--kind", "status": "--status", "published_from": "--from",
                 "published_to": "--to", "diverged": "--diverged", "output": "-o"}


def cmd_export(args: argparse.Namespace) -> int:
    if args.warc is not None:
        other = [flag for name, flag in _NOT_FOR_WARC.items() if getattr(args, name, None)]
        if other:
            error(f"--warc selects by --site and --since only, not {', '.join(other)}")
            return EXIT_USAGE
        from .warc import cmd_export_warc

        return cmd_export_warc(args)
    if args.with_records:
        error("--with-records goes with --warc")
        return EXIT_USAGE
    from .. import export as out
    from ..store.search import FilterError, SearchQuery, iter_views
    from ..store.searchquery import QuerySyntaxError

    query = SearchQuery(text=args.query, site=args.site, kind=args.kind, status=args.status,
                        published_from=args.published_from, published_to=args.published_to,
                        diverged=args.diverged, seen_since=args.since)
    try:
        query.checked()
    except (QuerySyntaxError, FilterError) as err:
        error(str(err))
        return EXIT_USAGE
    started = time.monotonic()
    with open_store(settings_from(args)) as store:
        counted = _Counted(iter_views(store, query))
        pieces = out.chunks(out.lines(counted, args.format))
        if args.output is None:
            for piece in pieces:
                sys.stdout.write(piece)
            sys.stdout.flush()
            return EXIT_OK
        partial = args.output.with_name(args.output.name + ".part")
        try:
            with open(partial, "w", encoding="utf-8", newline="") as handle:
                for piece in pieces:
                    handle.write(piece)
            os.replace(partial, args.output)
        except OSError as err:
            partial.unlink(missing_ok=True)
            error(f"cannot write {args.output}: {err.strerror or err}")
            return EXIT_FAILED
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    seconds = time.monotonic() - started
    print(f"exported {counted.count} articles to {args.output} ({args.format}) in {seconds:.1f} s",
          file=sys.stderr)
    return EXIT_OK


class _Counted:
    """An iterable that counts what went through it."""

    def __init__(self, items: object) -> None:
        self.items, self.count = items, 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        for item in self.items:  # type: ignore[attr-defined]
            self.count += 1
            yield item
