"""SIGTERM as Ctrl-C, for the command line and for runs (``repub.run``); a module of its own so that
``import repub.cli`` stays cheap."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """cron's, systemd's and kill's SIGTERM ends a command like Ctrl-C: KeyboardInterrupt, exit 130
    (a run is recorded as interrupted). Commands that stop more gently install their own handler
    inside this one (ingest's event loop, the worker). Only the main thread can install it: elsewhere
    (a test runner's thread) nothing changes."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
