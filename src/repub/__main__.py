"""``python -m repub``: the ``repub`` command line."""

from __future__ import annotations

import sys

from repub.cli import main

if __name__ == "__main__":
    sys.exit(main())
