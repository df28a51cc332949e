"""The ``repub`` command line. Each command group is a module with ``register(commands)``.

Exit codes are in ``repub.cli.common`` and the README.

A run imports only the module of its command (``COMMANDS``), not every command's database, network and
extraction code: ``import repub.cli`` stays cheap. Every run pays it, and so does every extraction
worker, which re-runs the ``repub`` script as multiprocessing's main module (``repub.ingest.extraction``).
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from .. import __version__
from ..errors import ConfigError, RepubError, StoreError
from .common import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_PIPE,
    EXIT_USAGE,
    check_database_directory,
    error,
    exit_codes_help,
    sigterm_as_interrupt,
    sigterm_received,
)

# import, show, list, extract, db | ingest, runs, sources | resync, history, diff, changes, ... | rules
# | worker, queue | serve, search | export | copies, trace, match
COMMAND_MODULES = ["articles", "ingest", "resync", "rules", "queue", "web", "export", "reuse"]
# command -> the module registering it (tests/test_cli_startup.py checks it against the modules); a
# command missing here, or no longer where it says, still works: the parser then registers them all.
COMMANDS = {
    "import": "articles", "show": "articles", "list": "articles", "extract": "articles", "db": "articles",
    "ingest": "ingest", "runs": "ingest", "sources": "ingest",
    "resync": "resync", "reextract": "resync", "prune": "resync", "history": "resync", "diff": "resync",
    "changes": "resync", "diverged": "resync",
    "rules": "rules",
    "worker": "queue", "queue": "queue",
    "serve": "web", "search": "web",
    "export": "export",
    "copies": "reuse", "trace": "reuse", "match": "reuse",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``command`` (a key of COMMANDS) only its module's commands are registered."""
    parser = argparse.ArgumentParser(
        prog="repub", description="Scrape republished articles and link each copy to its original.",
        epilog=exit_codes_help(), formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"repub {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    first = [COMMANDS[command]] if command in COMMANDS else []
    for name in first:
        importlib.import_module(f".{name}", __name__).register(commands)
    if command not in commands.choices:
        for name in COMMAND_MODULES:
            if name not in first:
                importlib.import_module(f".{name}", __name__).register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # `repub COMMAND ...`: that command's module only; anything else (help, --version, a typo) gets
    # the whole parser, so help and usage errors list every command.
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    _fast_exit()
    undecodable = _not_text(args)
    if undecodable is not None:
        error(f"not UTF-8 text: {os.fsencode(undecodable)!r} (only file names may hold other bytes)")
        return EXIT_USAGE
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        with sigterm_as_interrupt():
            if hasattr(args, "db"):  # the command opens a database
                check_database_directory(args)
            code = run(args)
            sys.stdout.flush()  # a reader that went away is found here, not at interpreter exit
        return code
    except BrokenPipeError:  # `repub list | head -1`: stop quietly, as a tool killed by SIGPIPE would
        _discard_stdout()
        return EXIT_PIPE
    except (ConfigError, StoreError) as err:
        error(str(err))
        return EXIT_CONFIG
    except RepubError as err:
        error(str(err))
        return EXIT_FAILED
    except KeyboardInterrupt:
        error("interrupted")
        return EXIT_INTERRUPTED
    except Exception:
        if not sigterm_received():
            raise
        error("interrupted")  # the SIGTERM's KeyboardInterrupt, hidden by a library's failing cleanup
        return EXIT_INTERRUPTED


# Options that name files, kept as str (the others that do are Paths): any bytes the system allows.
_FILE_NAMES = ("db",)


def _not_text(args: argparse.Namespace) -> str | None:
    """The first argument that is not UTF-8: Python reads undecodable argv bytes as lone surrogates
    (``\\udcff``), which a database, a URL or a terminal cannot take (a UnicodeEncodeError traceback)."""
    for name, value in vars(args).items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and name not in _FILE_NAMES:
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return item
    return None


def _discard_stdout() -> None:
    """Point stdout at /dev/null: what is still buffered for the closed pipe must not fail again
    (with a message) when the interpreter flushes it at exit."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _fast_exit() -> None:
    """At interpreter exit, take the objects alive then out of the garbage collector's sight: its
    passes over them while the interpreter tears down took ~0.1 s of every ingest of 400 pages, to
    free memory the process hands back anyway. Files, databases and logs are closed by then (each
    command closes its own; logging's own exit hook runs after this one)."""
    atexit.unregister(gc.freeze)  # once, however many times main() runs in one process (tests)
    atexit.register(gc.freeze)


if __name__ == "__main__":
    sys.exit(main())
