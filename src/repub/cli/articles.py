"""Article commands: ``import``, ``show``, ``list``, ``extract``, ``db``: argument parsing and printing
over the Python API (``repub.api``) and the store's reads."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..api import extract_page, import_urls
from ..fetch.charset import decode_html
from ..normalize import record_json
from ..store import ArticleView, downgrade, resolve_database_url, upgrade
from ..store.history import MOVED_TO
from .common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    JSON_HELP,
    add_command,
    add_db_option,
    add_network_options,
    emit_json,
    error,
    open_store,
    redact,
    settings_from,
    stored_article,
)
from .warc import add_import_options, cmd_import_warc


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]

    imp = add_command(commands, "import", "fetch URLs and their originals into the database", description=(
        "Fetch URLs and their originals into the database; with --warc FILE..., store the pages of\n"
        "WARC files instead, as if fetched when their records say (docs/warc.md)."))
    imp.add_argument("urls", nargs="*", metavar="URL")
    imp.add_argument("--json", action="store_true", help="one JSON object per line per stored article")
    imp.add_argument("--no-follow-original", action="store_true", help="do not fetch the originals")
    add_import_options(imp)
    add_db_option(imp)
    add_network_options(imp)
    imp.set_defaults(run=cmd_import)

    show = add_command(commands, "show", "show one stored article")
    show.add_argument("url", metavar="URL", help="any URL the article was reached by")
    show.add_argument("--json", action="store_true", help="one JSON object instead of text")
    add_db_option(show)
    show.set_defaults(run=cmd_show)

    lst = add_command(commands, "list", "list stored articles")
    lst.add_argument("--site", help="only this site (e.g. transcend.org)")
    lst.add_argument("--json", action="store_true", help=JSON_HELP)
    add_db_option(lst)
    lst.set_defaults(run=cmd_list)

    ext = add_command(commands, "extract", "extract a saved page as if fetched from URL; store nothing")
    ext.add_argument("file", type=Path, metavar="FILE")
    ext.add_argument("--url", required=True, help="the URL the page was saved from")
    ext.add_argument("--json", action="store_true", help="one JSON object instead of text")
    ext.set_defaults(run=cmd_extract)

    db = commands.add_parser("db", help="database maintenance", description="Database maintenance.",
                             epilog="exit codes: see `repub db ACTION --help`")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = add_command(db_commands, "db upgrade", "run migrations up to the latest")
    add_db_option(up)
    up.set_defaults(run=cmd_db_upgrade)
    down = add_command(db_commands, "db downgrade", "run migrations down to REVISION")
    down.add_argument("revision", help='target revision, e.g. "base" or "0003"')
    add_db_option(down)
    down.set_defaults(run=cmd_db_downgrade)


def cmd_import(args: argparse.Namespace) -> int:
    if bool(args.urls) == bool(args.warc):
        error("import: give URLs to fetch, or --warc FILE... to read (not both)")
        return EXIT_USAGE
    if args.warc:
        return cmd_import_warc(args)
    settings = settings_from(args)
    failed = 0
    with open_store(settings) as store:
        for outcome in import_urls(args.urls, store, follow_original=not args.no_follow_original,
                                   settings=settings):
            url = outcome.requested_url
            if outcome.error or outcome.url is None:
                failed += 1
                error(outcome.error or f"{url}: not imported")
                continue
            if outcome.original_error:
                error(f"original not fetched: {outcome.original_error}")
            shown = [outcome.url] + ([outcome.original_url] if outcome.original_url else [])
            for stored_url in shown:
                view = store.get(stored_url)
                if view is None:
                    continue
                if args.json:
                    emit_json(view.to_json())
                else:
                    print(_summary(view))
                    print()
    return EXIT_FAILED if failed else EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    with open_store(settings_from(args)) as store:
        view = stored_article(store, args.url)
        if view is None:
            return EXIT_FAILED
        if args.json:
            emit_json(view.to_json())
        else:
            print(_summary(view, full_body=True))
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    with open_store(settings_from(args)) as store:
        for view in store.list_articles(site=args.site):
            if args.json:
                emit_json(view.to_json())
            else:
                copy_mark = "copy" if view.original else ("orig" if view.republications else "    ")
                print(
                    f"{view.status:<7} {copy_mark} {view.published_at or '-':<20} {view.site:<16} "
                    f"{(view.title or '(no title)')[:60]}  {view.url}"
                )
    return EXIT_OK


def cmd_extract(args: argparse.Namespace) -> int:
    try:
        raw = args.file.read_bytes()
    except OSError as err:
        error(f"cannot read {args.file}: {err.strerror}")
        return EXIT_FAILED
    text, _charset = decode_html(raw)
    record = extract_page(text, args.url)
    data = record_json(record)
    if args.json:
        emit_json(data)
    else:
        for key, value in data.items():
            if key != "body_text":
                print(f"{key:>13}: {value}")
        print()
        print(record.body_text)
    return EXIT_OK


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    url = resolve_database_url(settings_from(args).db)
    upgrade(url)
    print(f"database at {redact(url)} is up to date")
    return EXIT_OK


def cmd_db_downgrade(args: argparse.Namespace) -> int:
    url = resolve_database_url(settings_from(args).db)
    downgrade(url, args.revision)
    print(f"database at {redact(url)} downgraded to {args.revision}")
    return EXIT_OK


def _evidence_line(item: dict[str, Any]) -> str:
    """``dateline: "WASHINGTON (AP) —" (Associated Press)``: the kind, what the page said, what it names."""
    detail = item.get("detail") or {}
    said = f' "{detail["text"]}"' if detail.get("text") else ""
    named = [str(detail[k]) for k in ("outlet", "url") if detail.get(k)]
    named += [f"{k} {detail[k]}" for k in ("similarity", "coverage") if detail.get(k) is not None]
    return f"{item.get('kind')}:{said}" + (f" ({', '.join(named)})" if named else "")


def _summary(view: ArticleView, *, full_body: bool = False) -> str:
    lines = [view.title or "(no title)", f"  url:        {view.url}"]
    lines.append(f"  site:       {view.site}" + (f"   section: {view.section}" if view.section else ""))
    if view.byline:
        lines.append(f"  byline:     {view.byline}")
    if view.authors:
        lines.append(f"  authors:    {', '.join(view.authors)}")
    elif view.org_authors:
        lines.append(f"  signed by:  {', '.join(view.org_authors)} (the site's desk or team)")
    if view.credits:
        lines.append(f"  credits:    {', '.join(view.credits)}")
    dates = view.published_at or "-"
    if view.modified_at:
        dates += f" (modified {view.modified_at})"
    lines.append(f"  published:  {dates}")
    if view.lead_image:
        image = view.lead_image
        lines.append(f"  image:      {image.get('url') or '-'}")
        caption = image.get("caption") or ""
        if image.get("credit"):
            caption = f"{caption} (© {image['credit']})".strip()
        if caption:
            lines.append(f"              {caption}")
    if view.tags:
        lines.append(f"  tags:       {', '.join(view.tags)}")
    if view.original:
        orig = view.original
        facts = ", ".join(str(x) for x in (orig.get("outlet"), orig.get("published_at")) if x)
        lines.append(f"  original:   {orig.get('url') or '(no link)'}" + (f" ({facts})" if facts else ""))
        status = orig.get("status")
        title = orig.get("title")
        lines.append(f"              status: {status}" + (f"; title: {title}" if title else ""))
        if orig.get("confidence") is not None:
            lines.append(f"              confidence: {orig['confidence']:.2f}")
        lines.extend(f"              evidence: {_evidence_line(item)}" for item in orig.get("evidence") or [])
        if view.diverged_since:
            lines.append(
                f"              diverged: original changed since {view.diverged_since}"
                " (repub diff URL --against-original)"
            )
    for copy in view.republications:
        lines.append(f"  copy:       {copy['url']} ({copy['site']}, {copy.get('published_at') or '-'})")
    lines.append(
        f"  status:     {view.status}; first seen {view.first_seen_at}; last checked {view.last_checked_at}"
    )
    if view.status == "moved":  # onto another stored article (resync), whose URL is kept here
        lines.append(f"  moved to:   {(view.error or '-').removeprefix(MOVED_TO)}")
    elif view.error:
        lines.append(f"  last error: {view.error}")
    body = view.body_text or ""
    words = len(body.split())
    if full_body:
        lines.append(f"  body ({words} words):")
        lines.extend(f"    {para}" for para in body.split("\n\n"))
    else:
        preview = body[:200].replace("\n\n", " ¶ ")
        lines.append(f"  body:       {words} words: {preview}{'…' if len(body) > 200 else ''}")
    return "\n".join(lines)
