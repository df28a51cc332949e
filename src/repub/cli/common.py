"""What every ``repub`` command shares: exit codes, common options, settings, output helpers.

Imported by ``repub.cli`` itself, so by every run: the settings, the URL rules and the store are
imported where used (see ``repub.cli``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, RepubError
from ..interrupt import sigterm_as_interrupt as sigterm_as_interrupt  # the commands' own, re-exported
from ..interrupt import sigterm_received as sigterm_received

if TYPE_CHECKING:
    from ..config import Settings
    from ..store import ArticleView, Store

# Exit codes, documented in the README.
EXIT_OK = 0  # done
EXIT_FAILED = 1  # some URL could not be imported or found (details on stderr, one line each)
EXIT_USAGE = 2  # bad usage (argparse)
EXIT_CONFIG = 3  # configuration or database problem
EXIT_BUSY = 4  # another run holds the database's run lock
EXIT_INTERRUPTED = 130  # Ctrl-C / SIGTERM
EXIT_PIPE = 141  # 128 + SIGPIPE: stdout was closed early (`| head`), as for a tool killed by SIGPIPE


# What each code means in every command's --help; exit 1 means something of its own per command
# (FAILED_MEANS). The README's exit-code table lists the same codes per command, and
# tests/test_exit_codes.py runs every one of them.
EXIT_MEANS = {
    EXIT_OK: "done",
    EXIT_USAGE: "bad usage: unknown option, missing argument, bad value",
    EXIT_CONFIG: "configuration or database problem (one line on stderr)",
    EXIT_BUSY: "another ingest/resync/reextract/prune run holds the database's run lock",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C, SIGTERM)",
    EXIT_PIPE: "the output was closed early (e.g. | head): stopped quietly",
}
FAILED_MEANS = {
    "import": "some URL could not be imported, or some WARC file could not be read to its end "
              "(one line each on stderr)",
    "show": "the URL is not in the database",
    "extract": "the file cannot be read",
    "ingest": "the run could not proceed (no start point could be fetched)",
    "sources check": "the file has problems (file:line: message each)",
    "resync": "some check failed (one line each on stderr; the run is recorded as partial), "
              "or a --url is not in the database",
    "reextract": "some page could not be extracted (the run is recorded as partial)",
    "history": "the URL is not in the database",
    "diff": "the URL is not in the database, a version does not exist, or an original was never fetched",
    "rules test": "some page does not give its expected record, or there is no page to test",
    "export": "the output file cannot be written (none is left behind)",
    "copies": "the URL is not in the database",
    "trace": "the URL is not in the database",
    "match": "the file cannot be read, or holds no article",
}
_WITH_DB = (EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONFIG, EXIT_PIPE)
# The codes each command can exit with (tests/test_exit_codes.py checks them against the README).
EXIT_CODES: dict[str, tuple[int, ...]] = {
    "import": (*_WITH_DB, EXIT_INTERRUPTED),
    "show": _WITH_DB,
    "list": (EXIT_OK, EXIT_USAGE, EXIT_CONFIG, EXIT_PIPE),
    "extract": (EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PIPE),
    "db upgrade": (EXIT_OK, EXIT_USAGE, EXIT_CONFIG, EXIT_PIPE),
    "db downgrade": (EXIT_OK, EXIT_USAGE, EXIT_CONFIG, EXIT_PIPE),
    "ingest": (*_WITH_DB, EXIT_BUSY, EXIT_INTERRUPTED),
    "runs": (EXIT_OK, EXIT_USAGE, EXIT_CONFIG, EXIT_PIPE),
    "sources check": (EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PIPE),
    "resync": (*_WITH_DB, EXIT_BUSY, EXIT_INTERRUPTED),
    "reextract": (*_WITH_DB, EXIT_BUSY),
    "prune": (EXIT_OK, EXIT_USAGE, EXIT_CONFIG, EXIT_BUSY, EXIT_PIPE),
    "history": _WITH_DB,
    "diff": _WITH_DB,
    "changes": (EXIT_OK, EXIT_USAGE, EXIT_CONFIG, EXIT_PIPE),
    "diverged": (EXIT_OK, EXIT_USAGE, EXIT_CONFIG, EXIT_PIPE),
    "rules test": _WITH_DB,
    "rules list": (EXIT_OK, EXIT_USAGE, EXIT_PIPE),
    "worker": (EXIT_OK, EXIT_USAGE, EXIT_CONFIG, EXIT_INTERRUPTED, EXIT_PIPE),
    "queue": (EXIT_OK, EXIT_USAGE, EXIT_CONFIG, EXIT_PIPE),
    "serve": (EXIT_OK, EXIT_USAGE, EXIT_CONFIG, EXIT_PIPE),
    "search": (EXIT_OK, EXIT_USAGE, EXIT_CONFIG, EXIT_PIPE),
    "export": _WITH_DB,
    "copies": _WITH_DB,
    "trace": _WITH_DB,
    "match": _WITH_DB,
}
AGE_FORMAT = "a number and a unit s, m, h, d or w (90s, 30m, 24h, 7d, 2w);\n  a bare number is hours"
JSON_HELP = "one JSON object per line instead of text"


def exit_codes_help(command: str | None = None) -> str:
    """The ``exit codes:`` block of a command's --help (of ``repub --help`` without a command)."""
    codes = sorted(EXIT_CODES[command]) if command else sorted({*EXIT_MEANS, EXIT_FAILED})
    means = {**EXIT_MEANS, EXIT_FAILED: FAILED_MEANS.get(command or "", "something asked for could not be "
                                                         "done (see each command's --help)")}
    return "exit codes:\n" + "\n".join(
        textwrap.fill(means[code], 78, initial_indent=f"  {code:<4} ", subsequent_indent=" " * 7)
        for code in codes)


def add_command(commands: argparse._SubParsersAction, name: str, help: str,  # type: ignore[type-arg]
                description: str | None = None) -> argparse.ArgumentParser:
    """A command's parser, its --help ending with its exit codes. ``name`` is the command as typed
    after ``repub`` ("db upgrade"); ``commands`` the subparsers it is added to."""
    return commands.add_parser(  # type: ignore[no-any-return]
        name.split()[-1], help=help, description=description or help[:1].upper() + help[1:] + ".",
        epilog=exit_codes_help(name), formatter_class=argparse.RawDescriptionHelpFormatter)


MAX_COUNT = 10**9  # counts beyond this are typos, and beyond 2**63 the database cannot take them


def whole_number(text: str) -> int:
    """An integer of at most MAX_COUNT (an argparse type; the command checks the lower bound)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_COUNT}: {text!r}")
    return value


def positive_int(text: str) -> int:
    """``--max-new``, ``--limit``...: a whole number from 1 to MAX_COUNT (an argparse type)."""
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def positive_seconds(text: str) -> float:
    """``--timeout``, ``--lease``: a number of seconds above 0 and at most a day (an argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (math.isfinite(value) and 0 < value <= 86400):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0 and at most 86400: {text!r}")
    return value


def output_file(text: str) -> Path:
    """``-o FILE``, ``--warc OUT``: a path ending with a file name (an argparse type): "" and "." name
    none, so there is no FILE.part to write first."""
    path = Path(text)
    if not path.name:
        raise argparse.ArgumentTypeError(f"not a file name: {text!r}")
    return path


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH", help="SQLite file (default $REPUB_DB or ./repub.db)")
    parser.add_argument("--create-db-dir", action="store_true",
                        help="create the SQLite file's directory if it does not exist (without it, a "
                             "missing directory is refused: exit 3)")


def check_database_directory(args: argparse.Namespace) -> None:
    """A SQLite file in a directory that does not exist is refused (ConfigError, exit 3) unless
    ``--create-db-dir`` is given: a typo in a cron line must not start an empty database elsewhere."""
    from ..store.engine import resolve_database_url, sqlite_file

    path = sqlite_file(resolve_database_url(args.db))
    if path is None or path.parent.is_dir():
        return
    if not args.create_db_dir:
        raise ConfigError(f"no such directory for the database: {path.parent} (--create-db-dir creates it)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        why = err.strerror or err
        raise ConfigError(f"cannot create the database's directory {path.parent}: {why}") from None


def add_network_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host-map", action="append", default=[], metavar="HOST=BASE",
        help="serve HOST from BASE (repeatable; adds to $REPUB_HOST_MAP)",
    )
    parser.add_argument("--user-agent", metavar="UA", help="User-Agent header ($REPUB_USER_AGENT)")
    parser.add_argument("--timeout", type=positive_seconds, metavar="SECONDS",
                        help="total time allowed per page: above 0, at most 86400 (default 60)")


def settings_from(args: argparse.Namespace) -> Settings:
    from ..config import build_settings

    return build_settings(
        db=getattr(args, "db", None),
        host_maps=getattr(args, "host_map", ()),
        user_agent=getattr(args, "user_agent", None),
        timeout=getattr(args, "timeout", None),
    )


def open_store(settings: Settings) -> Store:
    from ..store import Store, resolve_database_url

    return Store.open(resolve_database_url(settings.db))


def emit_json(obj: dict[str, Any]) -> None:
    print(json.dumps(obj, ensure_ascii=False))


# Lines SQLAlchemy appends to a database driver's message: the statement, its parameters and a link.
_DRIVER_NOISE = ("(Background on this error at:", "[SQL:", "[parameters:")


def one_line(message: str) -> str:
    """``message`` as one line: a database driver's message often spans several ("Is the server
    running on that host…?"), which are joined; SQLAlchemy's statement and link lines are dropped."""
    lines = (line.strip() for line in message.splitlines())
    return " ".join(line for line in lines if line and not line.startswith(_DRIVER_NOISE))


def error(message: str) -> None:
    """One readable line on stderr."""
    print(f"repub: {one_line(message)}", file=sys.stderr)


def lookup_key(url: str) -> str:
    """The canonical form of a URL typed by a user, or the text itself when it is not a URL."""
    from ..normalize import canonical_url

    try:
        return canonical_url(url)
    except RepubError:
        return url


def stored_article(store: Store, url: str) -> ArticleView | None:
    """The article a user named by any of its URLs, or None after saying on stderr that it is not stored."""
    view = store.get(lookup_key(url))
    if view is None:
        error(f"not in the database: {url}")
    return view


def redact(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return url
