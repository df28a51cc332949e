"""A recorded run (``repub ingest``, ``resync``, ``reextract``): what every such command shares, so the
command line only parses arguments and prints.

``with Run(store, "resync", options) as run:`` takes the database's run lock (``RunLocked`` at once
when another run holds it), makes SIGTERM end the run as Ctrl-C does, and records the run (status
``running``); ``run.update(figures)`` saves the figures as they go (at most every ``every`` seconds
unless forced: a killed run still shows what it did); leaving the block records how it ended. A
Ctrl-C or SIGTERM inside the block ends it as ``interrupted`` and is not raised further: the caller
still builds its result (``RunResult``, exit 130 on the command line); any other exception records
the run as ``failed`` and goes on up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from .interrupt import sigterm_as_interrupt
from .normalize import utc_now
from .store import Store
from .store.runs import RunFigures, finish_run, run_lock, start_run, update_run

Progress = Callable[[int, int], None]  # (done, total)


@dataclass
class RunResult:
    """How a run ended: ``status`` is ok, capped, partial, failed or interrupted."""

    run_id: int
    command: str
    status: str
    figures: RunFigures
    seconds: float
    error: str | None = None
    errors: list[str] = field(default_factory=list)  # one line per thing that failed

    @property
    def interrupted(self) -> bool:
        return self.status == "interrupted"


class Run:
    """One run of ``command`` on ``store``, recorded with ``options`` (see the module's docstring)."""

    def __init__(self, store: Store, command: str, options: dict[str, Any], *, every: float = 0.5,
                 before_start: Callable[[], None] | None = None) -> None:
        """``before_start()`` runs once the lock is held, before the run is recorded (ingest reads
        how the previous runs ended there)."""
        self.store, self.command, self.options = store, command, options
        self.every = every
        self.before_start = before_start
        self.figures = RunFigures()
        self.status = "ok"  # what the run ends as, unless interrupted or failed
        self.error: str | None = None
        self.run_id = 0
        self.started = 0.0
        self._saved_at = 0.0
        self._stack = ExitStack()

    def __enter__(self) -> Run:
        with ExitStack() as stack:
            stack.enter_context(run_lock(self.store))
            stack.enter_context(sigterm_as_interrupt())
            self.started = time.monotonic()
            if self.before_start is not None:
                self.before_start()
            self.run_id = start_run(self.store, self.command, self.options, now=utc_now())
            self._stack = stack.pop_all()
        return self

    def update(self, figures: RunFigures | None = None, *, force: bool = False) -> None:
        """Save the figures so far (``figures`` replaces the run's); at most every ``every`` seconds
        unless ``force``. Called from any one thread at a time."""
        if figures is not None:
            self.figures = figures
        now = time.monotonic()
        if force or now - self._saved_at >= self.every:
            self._saved_at = now
            update_run(self.store, self.run_id, self.figures)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool:
        with self._stack:
            if exc_type is not None and issubclass(exc_type, KeyboardInterrupt):
                self.status = "interrupted"
            elif exc is not None:
                self.status, self.error = "failed", self.error or str(exc)
            finish_run(self.store, self.run_id, self.figures, status=self.status, now=utc_now(),
                       error=self.error)
        return exc_type is not None and issubclass(exc_type, KeyboardInterrupt)

    def result(self, errors: list[str] | None = None) -> RunResult:
        return RunResult(self.run_id, self.command, self.status, self.figures, self.seconds, self.error,
                         list(errors or []))
