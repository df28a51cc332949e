"""SIGTERM as Ctrl-C, for the command line and for runs (``repub.run``); a module of its own so that
``import repub.cli`` stays cheap."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_RECEIVED: list[int] = []  # the SIGTERMs turned into KeyboardInterrupt by the handler below


def sigterm_received() -> bool:
    """Whether a SIGTERM was turned into KeyboardInterrupt: raised at any bytecode, it can land inside
    a library's own cleanup (anyio's cancel scopes under httpx), which then fails with an error of
    its own that hides the KeyboardInterrupt; the command line still reports that as interrupted."""
    return bool(_RECEIVED)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """cron's, systemd's and kill's SIGTERM ends a command like Ctrl-C: KeyboardInterrupt, exit 130
    (a run is recorded as interrupted). Commands that stop more gently install their own handler
    inside this one (ingest's event loop, the worker). Only the main thread can install it: elsewhere
    (a test runner's thread) nothing changes."""

    def handler(signum: int, frame: object) -> None:
        _RECEIVED.append(signum)
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _RECEIVED.clear()
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
