"""The work queue's side in the database: procrastinate's tables (migration 0008), on PostgreSQL only.

``repub.worker`` runs the engine (procrastinate's workers, its retry strategy, stalled jobs, periodic
tasks); this module is what the rest of repub needs of its tables, in SQL through the store's own
engine:

* ``defer(store, jobs)`` puts jobs in the queue from synchronous code (``repub ingest --enqueue``'s
  writer thread, a worker's save thread, a scheduled resync) in one statement per 500 jobs, skipping
  a URL that already has a job waiting or running. It writes ``procrastinate_jobs`` rows as
  procrastinate's own ``defer`` does (the columns of the schema vendored in ``migrations/engine/``,
  whose version the dependency pins): going through procrastinate's Python API would need a second
  connection pool and an event loop in each of those threads. ``tests/test_jobs.py`` fails if the
  installed procrastinate's schema is not the vendored one, and runs jobs deferred here on real workers.
* ``stats(store)``: what ``repub queue`` shows (depth, running jobs, failures, per-host state).
* ``conninfo(store)``: the database for procrastinate's connector; ConfigError on SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import ConfigError
from .engine import database_now
from .models import FetchLog, HostSlot
from .views import iso_utc

if TYPE_CHECKING:
    from .store import Store

QUEUE = "repub"  # the procrastinate queue every repub job goes to
# procrastinate's schema as the pinned version ships it (a later version: a new file, and a migration
# applying procrastinate's SQL migrations in between; migration 0008 keeps reading its own)
ENGINE_SCHEMA = "procrastinate-3.10.0.sql"
CHUNK = 500
NEEDS_POSTGRESQL = ("the work queue needs PostgreSQL (REPUB_DATABASE_URL=postgresql+psycopg://...; "
                    "docs/scaling.md); on SQLite `repub ingest` and `repub resync` fetch in their own "
                    "process")


@dataclass(frozen=True)
class Job:
    """One job to defer: ``task`` (a name of ``repub.worker.tasks``), its keyword arguments, the
    ``lock`` that keeps its host's lane to one job at a time, and the URL it is for (its
    ``queueing_lock``: a URL waiting or running is not queued twice)."""

    task: str
    url: str
    args: dict[str, Any]
    lock: str | None = None
    priority: int = 0


def conninfo(store: Store) -> str:
    """The libpq URL of the store's PostgreSQL database (password included) for procrastinate."""
    url = store.engine.url
    if url.get_backend_name() != "postgresql":
        raise ConfigError(NEEDS_POSTGRESQL)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def require_postgresql(store: Store) -> None:
    conninfo(store)


def engine_schema_sql(name: str = ENGINE_SCHEMA) -> str:
    return (resources.files("repub.migrations") / "engine" / name).read_text(encoding="utf-8")


def apply_engine_schema(conn: sa.Connection, name: str = ENGINE_SCHEMA) -> None:
    """procrastinate's tables, types and functions, on PostgreSQL (nothing elsewhere): the script
    runs as one, through psycopg's simple protocol (no parameters parsed)."""
    if conn.dialect.name != "postgresql":
        return
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.execute(engine_schema_sql(name))
    finally:
        cursor.close()


_DEFER = sa.text("""
    INSERT INTO procrastinate_jobs (queue_name, task_name, priority, lock, queueing_lock, args)
    SELECT :queue, j.task, j.priority, j.lock, j.url, j.args
    FROM jsonb_to_recordset(CAST(:jobs AS jsonb))
         AS j(task varchar, priority integer, lock text, url text, args jsonb)
    WHERE NOT EXISTS (SELECT 1 FROM procrastinate_jobs d WHERE d.queueing_lock = j.url AND d.status = 'doing')
    ON CONFLICT (queueing_lock) WHERE status = 'todo' DO NOTHING
""")


def defer(store: Store, jobs: Iterable[Job]) -> int:
    """Queue ``jobs`` (one transaction); returns how many were new (a URL already waiting or running
    is not queued again)."""
    require_postgresql(store)
    rows = [{"task": j.task, "priority": j.priority, "lock": j.lock, "url": j.url, "args": j.args}
            for j in dict((j.url, j) for j in jobs).values()]
    added = 0
    with store._begin() as conn:
        for start in range(0, len(rows), CHUNK):
            result = conn.execute(_DEFER, {"queue": QUEUE, "jobs": json.dumps(rows[start:start + CHUNK])})
            added += result.rowcount or 0
    return added


@dataclass
class HostState:
    host: str
    todo: int = 0
    doing: int = 0
    succeeded: int = 0
    failed: int = 0
    interval: float | None = None  # the Crawl-delay floor in seconds
    next_allowed_at: str | None = None
    paused_until: str | None = None


@dataclass
class Running:
    job_id: int
    task: str
    url: str | None
    worker: int | None
    attempts: int
    since: str | None


@dataclass
class Failure:
    job_id: int
    task: str
    url: str | None
    at: str | None
    error: str | None  # the URL's last line in the fetch log


@dataclass
class QueueStats:
    todo: int = 0  # waiting (some scheduled later: a retry, a paused host)
    scheduled: int = 0  # of which not due yet
    doing: int = 0
    succeeded: int = 0
    failed: int = 0
    workers: int = 0  # with a heartbeat in the last minute
    done_last_minute: int = 0
    running: list[Running] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)  # the latest
    hosts: list[HostState] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Jobs finished per second over the last minute."""
        return self.done_last_minute / 60.0

    def to_json(self) -> dict[str, Any]:
        return {
            "todo": self.todo, "scheduled": self.scheduled, "doing": self.doing,
            "succeeded": self.succeeded, "failed": self.failed, "workers": self.workers,
            "jobs_per_second": round(self.rate, 3),
            "running": [r.__dict__ for r in self.running], "failures": [f.__dict__ for f in self.failures],
            "hosts": [h.__dict__ for h in self.hosts],
        }


def _host_of_lock(lock: str | None) -> str | None:
    return lock.removeprefix("host:").rsplit("#", 1)[0] if lock and lock.startswith("host:") else None


def stats(store: Store, *, failures: int = 20) -> QueueStats:
    require_postgresql(store)
    out = QueueStats()
    hosts: dict[str, HostState] = {}
    with store._read() as s:
        now = database_now(s) or datetime.now(UTC)
        for lock, status, scheduled, count in s.execute(sa.text(
                "SELECT lock, status::text, scheduled_at > now(), count(*) FROM procrastinate_jobs "
                "WHERE queue_name = :q GROUP BY 1, 2, 3"), {"q": QUEUE}):
            if status in ("todo", "doing", "succeeded", "failed"):
                setattr(out, status, getattr(out, status) + count)
            if status == "todo" and scheduled:
                out.scheduled += count
            host = _host_of_lock(lock)
            if host is not None and status in ("todo", "doing", "succeeded", "failed"):
                h = hosts.setdefault(host, HostState(host))
                setattr(h, status, getattr(h, status) + count)
        out.workers = s.scalar(sa.text("SELECT count(*) FROM procrastinate_workers "
                                       "WHERE last_heartbeat > now() - interval '1 minute'")) or 0
        out.done_last_minute = s.scalar(sa.text(
            "SELECT count(*) FROM procrastinate_events e JOIN procrastinate_jobs j ON j.id = e.job_id "
            "WHERE j.queue_name = :q AND e.type IN ('succeeded', 'failed') "
            "AND e.at > now() - interval '1 minute'"), {"q": QUEUE}) or 0
        for row in s.execute(sa.text(
                "SELECT j.id, j.task_name, j.args->>'url', j.worker_id, j.attempts, max(e.at) "
                "FROM procrastinate_jobs j LEFT JOIN procrastinate_events e "
                "ON e.job_id = j.id AND e.type = 'started' "
                "WHERE j.queue_name = :q AND j.status = 'doing' GROUP BY j.id ORDER BY j.id"), {"q": QUEUE}):
            out.running.append(Running(row[0], row[1], row[2], row[3], row[4], iso_utc(row[5])))
        for row in s.execute(sa.text(
                "SELECT j.id, j.task_name, j.args->>'url', max(e.at) FROM procrastinate_jobs j "
                "LEFT JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'failed' "
                "WHERE j.queue_name = :q AND j.status = 'failed' GROUP BY j.id ORDER BY j.id DESC LIMIT :n"),
                {"q": QUEUE, "n": failures}):
            last = (sa.select(FetchLog.error).where(FetchLog.url == row[2], FetchLog.error.is_not(None))
                    .order_by(FetchLog.id.desc()).limit(1))
            error = s.scalar(last) if row[2] else None
            out.failures.append(Failure(row[0], row[1], row[2], iso_utc(row[3]), error))
        for slot in s.scalars(sa.select(HostSlot)):
            h = hosts.setdefault(slot.host, HostState(slot.host))
            h.interval = slot.interval
            h.next_allowed_at = iso_utc(slot.next_allowed_at)
            paused = slot.paused_until
            if paused is not None and (paused if paused.tzinfo else paused.replace(tzinfo=UTC)) > now:
                h.paused_until = iso_utc(paused)
    out.hosts = [hosts[k] for k in sorted(hosts)]
    return out


def active(store: Store) -> int:
    """Jobs waiting (due or not) or running: 0 when the queue is drained."""
    with store._read() as s:
        return s.scalar(sa.text("SELECT count(*) FROM procrastinate_jobs WHERE queue_name = :q "
                                "AND status IN ('todo', 'doing')"), {"q": QUEUE}) or 0
