"""Runs of ``ingest`` and ``resync``: one at a time per database, each with its figures.

The run lock is engine-specific and lives here with the other backend differences kept out of the
rest of repub: SQLite takes an exclusive ``flock`` on ``<database>.lock`` (released by the kernel if
the process dies, even by SIGKILL); PostgreSQL takes a session advisory lock on a connection held for
the run (released when that connection closes).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..errors import RepubError
from .engine import sqlite_file
from .models import Run
from .store import Store
from .views import iso_utc

ADVISORY_LOCK_KEY = 0x7265707562  # "repub"
STALE_RUN_STATUS = "interrupted"


class RunLocked(RepubError):
    """Another ingest or resync run holds this database's run lock."""


@dataclass
class RunFigures:
    discovered: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    refused: int = 0  # URLs robots.txt refused: the site's wish, not a failure


@dataclass
class RunView:
    id: int
    command: str
    status: str
    started_at: str | None
    finished_at: str | None
    seconds: float | None
    options: dict[str, Any] = field(default_factory=dict)
    figures: RunFigures = field(default_factory=RunFigures)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "command": self.command, "status": self.status,
            "started_at": self.started_at, "finished_at": self.finished_at, "seconds": self.seconds,
            "options": self.options, **self.figures.__dict__, "error": self.error,
        }


# Descriptors of the SQLite run locks this process holds. An flock belongs to the open file, and a
# forked child shares it: a helper forked by the run (repub.ingest.helpers) would keep the database
# locked after a SIGKILL of the run until the helper noticed and exited. Forked children point these
# descriptors at /dev/null (_release_in_child), which lets go of the lock there and nowhere else.
_HELD: set[int] = set()


def _release_in_child() -> None:
    if not _HELD:
        return
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        for fd in _HELD:
            with contextlib.suppress(OSError):
                os.dup2(null, fd)  # the number stays valid: whatever later closes it closes /dev/null
    finally:
        os.close(null)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_release_in_child)


@contextlib.contextmanager
def run_lock(store: Store) -> Iterator[None]:
    """Hold the database's run lock for the ``with`` block, or raise RunLocked at once. A child the
    process forks meanwhile does not hold it."""
    path = sqlite_file(store.engine.url)
    if path is not None:
        with open(f"{path}.lock", "a+") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as err:
                raise RunLocked(f"another repub run is using {path}; try again when it has finished") from err
            _HELD.add(handle.fileno())
            try:
                yield
            finally:
                _HELD.discard(handle.fileno())
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect() as conn:
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY}).scalar()
            if not got:
                raise RunLocked("another repub run is using this database; try again when it has finished")
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
        return
    yield  # in-memory SQLite or another engine: one process, nothing to share


def start_run(store: Store, command: str, options: dict[str, Any], *, now: datetime) -> int:
    """Record a new run. Runs left 'running' by a killed process are marked interrupted first
    (callers hold the run lock, so no other run can be live)."""
    with store._write() as s:
        s.execute(
            sa.update(Run).where(Run.status == "running").values(status=STALE_RUN_STATUS)
        )
        run = Run(
            command=command, started_at=now, status="running", options=options, pid=os.getpid(),
            discovered=0, new=0, updated=0, unchanged=0, failed=0, refused=0,
        )
        s.add(run)
        s.flush()
        return run.id


def update_run(store: Store, run_id: int, figures: RunFigures) -> None:
    """Save the figures so far (a killed run still shows what it did)."""
    with store._write() as s:
        s.execute(sa.update(Run).where(Run.id == run_id).values(**figures.__dict__))


def finish_run(
    store: Store, run_id: int, figures: RunFigures, *, status: str, now: datetime, error: str | None = None
) -> None:
    with store._write() as s:
        run = s.get(Run, run_id)
        if run is None:
            return
        run.status, run.finished_at, run.error = status, now, error
        run.seconds = round((now - run.started_at).total_seconds(), 3)
        for name, value in figures.__dict__.items():
            setattr(run, name, value)


def list_runs(store: Store, limit: int = 50) -> list[RunView]:
    with store._read() as s:
        rows = s.scalars(sa.select(Run).order_by(Run.id.desc()).limit(limit)).all()
        return [
            RunView(
                id=r.id, command=r.command, status=r.status, started_at=iso_utc(r.started_at),
                finished_at=iso_utc(r.finished_at), seconds=r.seconds, options=dict(r.options or {}),
                figures=RunFigures(r.discovered, r.new, r.updated, r.unchanged, r.failed, r.refused),
                error=r.error,
            )
            for r in rows
        ]
