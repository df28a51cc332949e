"""``repub serve`` (the read-only web app, repub.web) and ``repub search`` (its search, on the command
line). See docs/web.md."""

from __future__ import annotations

import argparse
import os
import sys

from .common import (
    EXIT_OK,
    EXIT_USAGE,
    JSON_HELP,
    add_command,
    add_db_option,
    emit_json,
    error,
    positive_int,
    settings_from,
)

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8080


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535 (0: any free port): {text!r}")
    return value


def add_search_filters(parser: argparse.ArgumentParser) -> None:
    """The filters ``repub search`` and ``repub export`` share with the web app's search."""
    parser.add_argument("--site", help="only this site (e.g. transcend.org)")
    parser.add_argument("--kind", choices=("copy", "original"),
                        help="copies (name an original) or originals (have copies stored)")
    parser.add_argument("--status", help="only articles of this status (ok, failed, gone, pending, moved)")
    parser.add_argument("--from", dest="published_from", metavar="DATE",
                        help="published on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD)")
    parser.add_argument("--to", dest="published_to", metavar="DATE",
                        help="published on or before DATE (YYYY, YYYY-MM or YYYY-MM-DD)")
    parser.add_argument("--diverged", action="store_true", help="only copies whose original changed since")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = add_command(commands, "serve", "serve a read-only web app over the database (docs/web.md)",
                        description=(
                            "Serve a read-only web app over the database: search, articles, a copy beside\n"
                            "its original, a text's travel, history, runs and sources, export, and a JSON\n"
                            "API (docs/web.md). Ctrl-C or SIGTERM stops it (exit 0)."))
    serve.add_argument("--host", default=DEFAULT_HOST,
                       help=f"address to listen on (default {DEFAULT_HOST}; any other needs --token)")
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT,
                       help=f"port (default {DEFAULT_PORT}; 0: any free port, printed at start)")
    serve.add_argument("--token", default=None,
                       help="a secret every request must carry ($REPUB_TOKEN); required off loopback")
    serve.add_argument("--access-log", action="store_true", help="a line on stderr per request")
    add_db_option(serve)
    serve.set_defaults(run=cmd_serve)

    search = add_command(commands, "search", "full-text search of the stored articles", description=(
        "Full-text search of the stored articles: title, byline, authors, credits and body.\n"
        'QUERY: words (all must be found), "a phrase", a OR b, -excluded, prefix*, (groups);\n'
        '"" lists every article; a query starting with "-" goes after "--" (repub search -- -word x).\n'
        "The same search as `repub serve` (docs/web.md)."))
    search.add_argument("query", metavar="QUERY", help='what to find ("" for everything)')
    add_search_filters(search)
    search.add_argument("--sort", choices=("relevance", "newest", "oldest", "seen", "title"),
                        help="order (default: relevance with words, else newest)")
    search.add_argument("--page", type=positive_int, default=1, metavar="N", help="page N of the results")
    search.add_argument("--limit", type=positive_int, default=20, metavar="N",
                        help="results per page (default 20, at most 200)")
    search.add_argument("--json", action="store_true", help=JSON_HELP + " (the --json record of each)")
    add_db_option(search)
    search.set_defaults(run=cmd_search)


def cmd_serve(args: argparse.Namespace) -> int:
    from ..store import Store, resolve_database_url
    from ..web import create_app
    from ..web.server import OpenWithoutToken, allowed_hosts, bind, check_exposure, run

    token = args.token or os.environ.get("REPUB_TOKEN") or None
    try:
        check_exposure(args.host, token)
    except OpenWithoutToken as err:
        error(str(err))
        return EXIT_USAGE
    url = resolve_database_url(settings_from(args).db)
    Store.open(url).close()  # create or migrate it now: the server itself never writes
    store = Store.open_read_only(url)
    try:
        sock = bind(args.host, args.port)
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        app = create_app(store, token=token, allowed_hosts=allowed_hosts(args.host))

        def started() -> None:
            print(f"serving {_shown_db(url)} on http://{shown}:{port}/ (read-only; Ctrl-C stops)", flush=True)

        try:
            run(app, sock, on_started=started, access_log=args.access_log)
        except KeyboardInterrupt:  # uvicorn stopped gracefully, then raised the signal again
            pass
        finally:
            sock.close()
    finally:
        store.close()
    return EXIT_OK


def _shown_db(url: str) -> str:
    from ..store.engine import sqlite_file
    from .common import redact

    path = sqlite_file(url)
    return str(path) if path is not None else redact(url)


def cmd_search(args: argparse.Namespace) -> int:
    from ..store.search import FilterError, SearchQuery, search
    from ..store.searchquery import QuerySyntaxError
    from .common import open_store

    query = SearchQuery(text=args.query, site=args.site, kind=args.kind, status=args.status,
                        published_from=args.published_from, published_to=args.published_to,
                        diverged=args.diverged, sort=args.sort, page=args.page, per_page=args.limit)
    try:
        query.checked()
    except (QuerySyntaxError, FilterError) as err:
        error(str(err))
        return EXIT_USAGE
    with open_store(settings_from(args)) as store:
        try:
            result = search(store, query, facets=False, snippets=False)
        except QuerySyntaxError as err:
            error(str(err))
            return EXIT_USAGE
    for hit in result.hits:
        view = hit.view
        if args.json:
            emit_json(view.to_json())
            continue
        kind = "copy" if view.original else ("orig" if view.republications else "    ")
        print(f"{view.status:<7} {kind} {view.published_at or '-':<20} {view.site or '-':<16} "
              f"{(view.title or '(no title)')[:60]}  {view.url}")
    if not args.json:
        first = (query.page - 1) * query.per_page
        shown = f"{first + 1}-{first + len(result.hits)} of " if result.hits else "none of "
        more = f"; --page {query.page + 1} for more" if query.page < result.pages else ""
        print(f"{shown}{result.total} found{more}")
    sys.stdout.flush()
    return EXIT_OK
