"""The ``repub`` command line. Each command group is a module with ``register(commands)``.

Exit codes are in ``repub.cli.common`` and the README.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from .. import __version__
from ..errors import ConfigError, RepubError, StoreError
from . import articles, ingest, queue, resync, rules
from .common import EXIT_CONFIG, EXIT_FAILED, EXIT_INTERRUPTED, error

# import, show, list, extract, db | ingest, runs, sources | resync, history, diff, changes, ... | rules
# | worker, queue
COMMAND_MODULES = [articles, ingest, resync, rules, queue]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="repub", description="Scrape republished articles and link each copy to its original."
    )
    parser.add_argument("--version", action="version", version=f"repub {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except (ConfigError, StoreError) as err:
        error(str(err))
        return EXIT_CONFIG
    except RepubError as err:
        error(str(err))
        return EXIT_FAILED
    except KeyboardInterrupt:
        error("interrupted")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
