"""``repub export``: stored articles out as a file, streamed (docs/web.md).

One command, one output format per run: ``--format jsonl|csv`` (the ``--json`` record of each article,
as ``repub serve``'s export links give it); other outputs join the same mutually exclusive group.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from .common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_command,
    add_db_option,
    error,
    open_store,
    settings_from,
)
from .web import add_search_filters


def since_time(text: str) -> datetime:
    """``2024-07-01`` (midnight UTC) or an ISO date-time (UTC when no zone is given): an argparse type."""
    try:
        value = datetime.fromisoformat(text) if "T" in text or " " in text else None
        if value is None:
            day = date.fromisoformat(text)
            value = datetime(day.year, day.month, day.day)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD or ISO date-time): {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    exp = add_command(commands, "export", "write stored articles out as JSON Lines or CSV", description=(
        "Write stored articles out, streamed (constant memory however many): --format jsonl (one\n"
        "--json record a line, as `repub list --json`) or csv (the same record flattened one level).\n"
        "Filters as `repub search`; --query takes the search language (docs/web.md)."))
    out = exp.add_mutually_exclusive_group(required=True)
    out.add_argument("--format", choices=("jsonl", "csv"), help="JSON Lines or CSV of the --json record")
    exp.add_argument("-o", "--output", type=Path, metavar="FILE",
                     help="write to FILE (whole or not at all: a failed export leaves none); default stdout")
    exp.add_argument("--query", "-q", default="", metavar="Q", help="only the articles this search finds")
    exp.add_argument("--since", type=since_time, metavar="DATE",
                     help="only articles first stored at or after DATE: YYYY-MM-DD (midnight UTC) or an "
                          "ISO date-time")
    add_search_filters(exp)
    add_db_option(exp)
    exp.set_defaults(run=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
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
