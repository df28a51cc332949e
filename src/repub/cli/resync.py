"""History commands: ``resync``, ``reextract``, ``prune``, ``history``, ``diff``, ``changes``,
``diverged``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from ..discover import DEFAULT_SOURCES_PATH, SourcesConfig, load_sources
from ..normalize import utc_now
from ..resync import (
    DEFAULT_CONCURRENCY,
    DIFF_FIELDS,
    ReextractReport,
    diff_contents,
    parse_duration,
    reextract,
    render,
)
from ..resync.parallel import MIN_TARGETS_PER_PROCESS
from ..resync.run import Resync, ResyncOptions
from ..resync.when import ago
from ..run import Run
from ..store import Store, VersionView
from ..store.history import changes_since, diverged_copies, events, prune_raw_pages
from ..store.runs import RunFigures, RunLocked, run_lock
from .common import (
    AGE_FORMAT,
    EXIT_BUSY,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    add_command,
    add_db_option,
    add_network_options,
    emit_json,
    error,
    lookup_key,
    open_store,
    settings_from,
    stored_article,
    whole_number,
)

# A copy is compared with its original on what a republisher is meant to keep; its own byline, dates
# and section are the republisher's and always differ.
AGAINST_ORIGINAL_FIELDS = ("title", "authors", "lead_image_caption", "body_text")


def positive_rate(text: str) -> float:
    """``--rate``: request starts per second, above 0 (an argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0: {text!r}")
    return value


def sources_or_defaults(path: Path) -> SourcesConfig:
    """The sources file's politeness; the built-in defaults when there is no such file (resync needs
    no sources: a file that exists but is broken is refused, exit 3)."""
    if not path.exists() and path == DEFAULT_SOURCES_PATH:
        return SourcesConfig(sources=())
    return load_sources(path)


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rs = add_command(commands, "resync", "re-fetch stored articles and record what changed", description=(
        "Re-fetch stored articles and record what changed (docs/resync.md).\n"
        "AGE: " + AGE_FORMAT + "."))
    rs.add_argument("--site", help="only this site (e.g. rt.com)")
    rs.add_argument("--older-than", type=_duration, metavar="AGE",
                    help="only articles last checked longer ago than AGE (e.g. 24h, 7d; default: all; "
                         "an age before year 1 leaves only never-checked ones)")
    rs.add_argument("--url", action="append", default=[], metavar="URL",
                    help="only this article (repeatable)")
    rs.add_argument("--originals-only", action="store_true", help="only articles that have copies")
    rs.add_argument("--limit", type=whole_number, metavar="N",
                    help="check at most N articles, least recent first")
    rs.add_argument("--concurrency", type=whole_number, default=DEFAULT_CONCURRENCY, metavar="N",
                    help=f"checks in flight in all (default {DEFAULT_CONCURRENCY})")
    rs.add_argument("--per-host", type=whole_number, metavar="N",
                    help="checks in flight per host (default: the host's `concurrency` in the sources "
                         "file, else 2; 1 = one page at a time)")
    rs.add_argument("--rate", type=positive_rate, metavar="R",
                    help="request starts per second per host (default: the host's `rate` in the sources "
                         "file, else 1); robots.txt's Crawl-delay and a Retry-After still apply")
    rs.add_argument("--sources", type=Path, default=DEFAULT_SOURCES_PATH, metavar="PATH",
                    help="the politeness of each host: its source's, else [crawl] (default ./sources.toml;"
                         " without the file, the built-in defaults)")
    rs.add_argument("--processes", type=whole_number, metavar="N",
                    help="split the hosts over N processes (default: one per core for runs of "
                         f"{MIN_TARGETS_PER_PROCESS}+ articles a process, a host never split)")
    rs.add_argument("--json", action="store_true", help="the summary as one JSON object instead of text")
    add_db_option(rs)
    add_network_options(rs)
    rs.set_defaults(run=cmd_resync)

    rx = add_command(commands, "reextract", "re-run the extractors over stored pages (no fetching)")
    rx.add_argument("--site", help="only this site")
    rx.add_argument("--json", action="store_true", help="the summary as one JSON object instead of text")
    add_db_option(rx)
    rx.set_defaults(run=cmd_reextract)

    pr = add_command(commands, "prune", "delete kept raw pages beyond each article's newest (versions stay)",
                     description="Delete kept raw pages beyond each article's newest (versions stay).\n"
                                 "AGE: " + AGE_FORMAT + ".")
    pr.add_argument("--keep", type=whole_number, default=1, metavar="N",
                    help="raw pages kept per article, the most recently seen (default 1, at least 1)")
    pr.add_argument("--older-than", type=_duration, metavar="AGE",
                    help="only pages last seen longer ago than AGE (e.g. 90d)")
    pr.add_argument("--site", help="only this site")
    pr.add_argument("--dry-run", action="store_true", help="count what would go, delete nothing")
    pr.add_argument("--json", action="store_true", help="the counts as one JSON object instead of text")
    add_db_option(pr)
    pr.set_defaults(run=cmd_prune)

    hist = add_command(commands, "history", "list the versions and events of one article")
    hist.add_argument("url", metavar="URL", help="any URL the article was reached by")
    hist.add_argument("--json", action="store_true", help="one JSON object instead of text")
    add_db_option(hist)
    hist.set_defaults(run=cmd_history)

    diff = add_command(commands, "diff", "word-level diff between two versions, or a copy and its original",
                       description="Word-level diff between two versions (default: the previous one "
                                   "and the current one),\nor a copy and its original. An article with "
                                   "one version has nothing to compare: said on stdout, exit 0.")
    diff.add_argument("url", metavar="URL", help="any URL the article was reached by")
    diff.add_argument("--from", dest="from_version", type=int, metavar="N",
                      help="default: the one before --to")
    diff.add_argument("--to", dest="to_version", type=int, metavar="M", help="default: the current version")
    diff.add_argument("--against-original", action="store_true",
                      help="URL is a copy: diff its current version against its original's current one")
    diff.add_argument("--full", action="store_true", help="do not shorten unchanged stretches")
    diff.add_argument("--json", action="store_true", help="one JSON object instead of text")
    add_db_option(diff)
    diff.set_defaults(run=cmd_diff)

    ch = add_command(commands, "changes", "what changed since a time: new versions, gone, moved, diverged",
                     description="What changed since a time: new versions, gone, moved, diverged.\n"
                                 "AGE: " + AGE_FORMAT + ".")
    ch.add_argument("--since", type=_duration, default=timedelta(days=7), metavar="AGE",
                    help="how far back (default 7d; an age before year 1 means since the start)")
    ch.add_argument("--originals-only", action="store_true", help="only articles that have copies")
    ch.add_argument("--site", help="only this site")
    ch.add_argument("--json", action="store_true", help="one JSON object per line")
    add_db_option(ch)
    ch.set_defaults(run=cmd_changes)

    dv = add_command(commands, "diverged", "copies whose original changed after they were taken")
    dv.add_argument("--site", help="only copies on this site")
    dv.add_argument("--json", action="store_true", help="one JSON object per line")
    add_db_option(dv)
    dv.set_defaults(run=cmd_diverged)


# -- resync / reextract --------------------------------------------------------------------------------


@contextmanager
def _progress(enabled: bool) -> Iterator[tuple[Callable[[int], None], Callable[[Any, str], None]] | None]:
    """A rich progress bar on stderr when it is a terminal; nothing under cron. Yields (set the total,
    advance by one check)."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("resync"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        TextColumn("{task.description}"), transient=True, console=None,
    ) as bar:
        task = bar.add_task("", total=None)

        def total(count: int) -> None:
            bar.update(task, total=count or None)

        def advance(target: Any, outcome: str) -> None:
            bar.update(task, advance=1, description=f"{outcome}: {target.url[:60]}")

        yield total, advance


def cmd_resync(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        error("--limit must be at least 1")
        return EXIT_USAGE
    if args.concurrency < 1 or (args.per_host is not None and args.per_host < 1):
        error("--concurrency and --per-host must be at least 1")
        return EXIT_USAGE
    if args.processes is not None and args.processes < 1:
        error("--processes must be at least 1")
        return EXIT_USAGE
    settings = settings_from(args)
    config = sources_or_defaults(args.sources)
    options = ResyncOptions(
        site=args.site, older_than=args.older_than, urls=tuple(lookup_key(u) for u in args.url),
        originals_only=args.originals_only, limit=args.limit, concurrency=args.concurrency,
        per_host=args.per_host, rate=args.rate, processes=args.processes)
    with open_store(settings) as store, _progress(sys.stderr.isatty() and not args.json) as bar:
        resync = Resync(store, settings, options, crawl_for=config.crawl_for,
                        on_done=bar[1] if bar else None)
        if bar:
            resync.planned = bar[0]
        try:
            result = resync.run()
        except RunLocked as err:
            error(str(err))
            return EXIT_BUSY
    for url in result.missing:
        error(f"not in the database: {url}")
    for message in result.errors:
        error(message)
    if result.error:
        error(result.error)
    if args.json:
        emit_json(result.to_json())
    else:
        print(result.summary())
    if result.interrupted:
        error("interrupted")
        return EXIT_INTERRUPTED
    # A check that failed (timeout, 5xx, refused, no longer HTML...) leaves a stored article unchecked:
    # cron users alert on the exit code, so it is 1 (the run is "partial"), each failure one stderr line.
    return EXIT_OK if result.ok else EXIT_FAILED


def cmd_reextract(args: argparse.Namespace) -> int:
    report = ReextractReport()
    with open_store(settings_from(args)) as store:
        try:
            with Run(store, "reextract", {"site": args.site}) as run:
                try:
                    reextract(store, args.site, report=report)
                    run.status = "partial" if report.failed else "ok"
                finally:
                    run.figures = RunFigures(
                        discovered=report.pages, updated=report.changed,
                        unchanged=report.pages - report.changed - report.failed, failed=report.failed,
                    )
        except RunLocked as err:
            error(str(err))
            return EXIT_BUSY
    for message in report.errors:
        error(message)
    if args.json:
        emit_json({
            "run_id": run.run_id, "pages": report.pages, "changed": report.changed, "failed": report.failed,
        })
    else:
        print(report.summary(run.seconds))
    if run.status == "interrupted":
        error("interrupted")
        return EXIT_INTERRUPTED
    return EXIT_FAILED if report.failed else EXIT_OK


def cmd_prune(args: argparse.Namespace) -> int:
    if args.keep < 1:
        error("--keep must be at least 1: reextract needs each article's newest page")
        return EXIT_USAGE
    seen_before = ago(args.older_than, utc_now()) if args.older_than is not None else None
    with open_store(settings_from(args)) as store:
        try:
            with run_lock(store):  # not under a resync or reextract reading the pages
                result = prune_raw_pages(store, keep=args.keep, seen_before=seen_before, site=args.site,
                                         dry_run=args.dry_run)
        except RunLocked as err:
            error(str(err))
            return EXIT_BUSY
    if args.json:
        emit_json({"pages": result.pages, "bytes": result.nbytes, "articles": result.articles,
                   "dry_run": args.dry_run})
    else:
        verb = "would delete" if args.dry_run else "deleted"
        print(f"{verb} {result.pages} raw pages of {result.articles} articles "
              f"({result.nbytes / 1e6:.1f} MB stored); each article keeps its newest {args.keep}")
    return EXIT_OK


# -- history / diff / changes / diverged --------------------------------------------------------------


def _changed_fields(before: VersionView | None, after: VersionView) -> list[str]:
    if before is None:
        return []
    return [d.name for d in diff_contents(before.content, after.content)]


def cmd_history(args: argparse.Namespace) -> int:
    with open_store(settings_from(args)) as store:
        view = stored_article(store, args.url)
        if view is None:
            return EXIT_FAILED
        key = view.url
        versions = store.versions(key)
        evs = events(store, key)
    rows = []
    for i, v in enumerate(versions):
        rows.append({
            "version": v.version, "first_seen_at": v.first_seen_at, "last_seen_at": v.last_seen_at,
            "content_hash": v.content_hash, "title": v.content.get("title"),
            "changed": _changed_fields(versions[i - 1] if i else None, v),
        })
    if args.json:
        emit_json({
            "url": view.url, "status": view.status, "version": view.version,
            "last_checked_at": view.last_checked_at, "diverged_since": view.diverged_since,
            "versions": rows, "events": [e.to_json() for e in evs],
        })
        return EXIT_OK
    print(f"{view.url}  ({view.status}, version {view.version} of {len(versions)}, "
          f"last checked {view.last_checked_at})")
    if view.diverged_since:
        print(f"  diverged from its original since {view.diverged_since}")
    for row in rows:
        mark = "*" if row["version"] == view.version else " "
        changed: list[str] = row["changed"]  # type: ignore[assignment]
        what = ", ".join(changed) if changed else "first version"
        print(f"{mark} v{row['version']:<3} {row['first_seen_at']} .. {row['last_seen_at']}  {what}")
        print(f"         {row['title'] or '(no title)'}")
    for e in evs:
        print(f"  {e.at}  {e.kind:<8} {e.detail or e.url or ''}")
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    with open_store(settings_from(args)) as store:
        view = stored_article(store, args.url)
        if view is None:
            return EXIT_FAILED
        key = view.url
        if args.against_original:
            return _diff_against_original(store, view.url, args)
        versions = {v.version: v for v in store.versions(key)}
    if not versions:
        error(f"{view.url} has no version: it was never fetched ({view.status})")
        return EXIT_FAILED
    to_v = view.version if args.to_version is None else args.to_version
    from_v = to_v - 1 if args.from_version is None else args.from_version
    missing = [n for n in (from_v, to_v) if n not in versions and not (n == 0 and args.from_version is None)]
    if missing:
        have = "version 1 only" if len(versions) == 1 else f"versions 1..{max(versions)}"
        error(f"{view.url} has {have}; there is no version {missing[0]}")
        return EXIT_FAILED
    if from_v == 0:  # nothing before the first version: not a failure, there is just no change yet
        first = versions[to_v]
        if args.json:
            emit_json({"url": view.url, "from": None,
                       "to": {"version": to_v, "first_seen_at": first.first_seen_at}, "fields": []})
        elif len(versions) == 1:
            print(f"{view.url} has one version so far (first seen {first.first_seen_at}): "
                  "nothing to compare yet")
        else:
            print(f"version 1 is the first of {view.url} (first seen {first.first_seen_at}): "
                  "nothing before it to compare")
        return EXIT_OK
    old, new = versions[from_v], versions[to_v]
    diffs = diff_contents(old.content, new.content, DIFF_FIELDS)
    header = {
        "url": view.url,
        "from": {"version": from_v, "first_seen_at": old.first_seen_at},
        "to": {"version": to_v, "first_seen_at": new.first_seen_at},
    }
    _print_diff(header, diffs, args, f"version {from_v} ({old.first_seen_at})", f"version {to_v} "
                f"({new.first_seen_at})")
    return EXIT_OK


def _diff_against_original(store: Store, url: str, args: argparse.Namespace) -> int:
    copy = store.get(url)
    assert copy is not None
    if not copy.original or not copy.original.get("url"):
        error(f"{url} is not linked to an original")
        return EXIT_FAILED
    original = store.get(copy.original["url"])
    if original is None or original.version == 0:
        error(f"the original of {url} has not been fetched: {copy.original['url']}")
        return EXIT_FAILED
    a, b = copy.to_json(), original.to_json()
    a["lead_image_caption"] = (copy.lead_image or {}).get("caption")
    b["lead_image_caption"] = (original.lead_image or {}).get("caption")
    diffs = diff_contents(a, b, AGAINST_ORIGINAL_FIELDS)
    header = {
        "url": copy.url, "diverged_since": copy.diverged_since,
        "from": {"url": copy.url, "version": copy.version},
        "to": {"url": original.url, "version": original.version},
    }
    new = f"original {original.url} (version {original.version})"
    _print_diff(header, diffs, args, f"copy {copy.url}", new)
    return EXIT_OK


def _print_diff(
    header: dict[str, Any], diffs: list[Any], args: argparse.Namespace, old: str, new: str
) -> None:
    if args.json:
        emit_json({**header, "fields": [d.to_json() for d in diffs]})
        return
    print(f"--- {old}")
    print(f"+++ {new}")
    if header.get("diverged_since"):
        print(f"(copy diverged from its original since {header['diverged_since']})")
    if not diffs:
        print("no differences")
    for d in diffs:
        text = render(d.ops, context=None if args.full else 12)
        if "\n" in text or d.name == "body_text":
            print(f"{d.name}:")
            for para in text.split("\n\n"):
                print(f"  {para}")
        else:
            print(f"{d.name}: {text}")


def cmd_changes(args: argparse.Namespace) -> int:
    since = ago(args.since, utc_now())
    with open_store(settings_from(args)) as store:
        rows = changes_since(store, since, originals_only=args.originals_only, site=args.site)
    for row in rows:
        if args.json:
            emit_json(row.to_json())
            continue
        what = f"v{row.version}" if row.kind == "changed" else (row.detail or "")
        print(f"{row.at}  {row.kind:<8} {what[:60]:<8}  {row.url}  {row.title or ''}".rstrip())
    if not args.json:
        print(f"{len(rows)} change(s) since {since.isoformat(timespec='seconds')}", file=sys.stderr)
    return EXIT_OK


def cmd_diverged(args: argparse.Namespace) -> int:
    with open_store(settings_from(args)) as store:
        rows = diverged_copies(store, args.site)
    for row in rows:
        if args.json:
            emit_json(row.to_json())
        else:
            print(f"{row.diverged_since}  {row.copy_url}\n    original: {row.original_url}")
    return EXIT_OK
