"""Per-host crawl state in the database (``host_slots``), shared by every worker on every machine:
the next request start, the interval between starts, a Retry-After pause and the host's robots.txt.
``repub.crawl.hosts.DatabaseHosts`` calls these from its event loop's threads.

Times are the database server's (``clock_timestamp()`` on PostgreSQL), so workers whose clocks
differ still agree; SQLite (one machine) uses this machine's. Each function is one short write
transaction: ``SELECT … FOR UPDATE`` then ``UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .engine import database_now, insert_ignoring_conflicts
from .models import HostSlot

if TYPE_CHECKING:
    from .store import Store

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _now(s: Session) -> datetime:
    return database_now(s) or datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _row(s: Session, host: str) -> HostSlot:
    """The host's row, locked for this transaction; made when the host is new. Its ``interval`` is
    the floor robots.txt's Crawl-delay set; each booking brings the rate of the job it books for."""
    insert_ignoring_conflicts(s, HostSlot.__table__,
                              [{"host": host, "next_allowed_at": EPOCH, "interval": 0.0}], "host")
    row = s.scalar(sa.select(HostSlot).where(HostSlot.host == host).with_for_update())
    assert row is not None
    return row


# PostgreSQL: the booking in one statement, on the server's clock (a worker books every page)
_BOOK = sa.text("""
    UPDATE host_slots SET next_allowed_at = GREATEST(next_allowed_at, clock_timestamp(),
                                                     COALESCE(paused_until, clock_timestamp()))
                                            + make_interval(secs => GREATEST(interval, :interval))
    WHERE host = :host
    RETURNING EXTRACT(EPOCH FROM next_allowed_at - clock_timestamp()) - GREATEST(interval, :interval)
""")


def book(store: Store, host: str, interval: float) -> float:
    """Reserve the host's next start: at least ``interval`` (or the host's own wider one) after the
    previous start, after any pause. Returns the seconds to wait before starting."""
    if store.engine.dialect.name == "postgresql":
        with store._begin() as conn:
            wait = conn.execute(_BOOK, {"host": host, "interval": interval}).scalar()
            if wait is None:  # a new host: its row, then the booking
                insert_ignoring_conflicts(conn, HostSlot.__table__, [
                    {"host": host, "next_allowed_at": EPOCH, "interval": 0.0}], "host")
                wait = conn.execute(_BOOK, {"host": host, "interval": interval}).scalar_one()
        return max(0.0, float(wait))
    with store._write() as s:
        now = _now(s)
        row = _row(s, host)
        start = max(now, _aware(row.next_allowed_at) or now, _aware(row.paused_until) or now)
        row.next_allowed_at = start + timedelta(seconds=max(interval, row.interval))
        return (start - now).total_seconds()


def paused_for(store: Store, host: str) -> float:
    with store._read() as s:
        now = _now(s)
        until = s.scalar(sa.select(HostSlot.paused_until).where(HostSlot.host == host))
    until = _aware(until)
    return max(0.0, (until - now).total_seconds()) if until is not None else 0.0


def pause(store: Store, host: str, seconds: float) -> None:
    """No request to ``host`` starts for ``seconds`` (a Retry-After), on any worker."""
    with store._write() as s:
        now = _now(s)
        row = _row(s, host)
        until = now + timedelta(seconds=seconds)
        row.paused_until = max(_aware(row.paused_until) or until, until)
        row.next_allowed_at = max(_aware(row.next_allowed_at) or until, until)


def widen(store: Store, host: str, interval: float) -> None:
    """At least ``interval`` seconds between starts from now on (a Crawl-delay): the next start,
    booked with the old interval, moves on too. A host's interval only ever grows."""
    with store._write() as s:
        now = _now(s)
        row = _row(s, host)
        if interval > row.interval:
            row.interval = interval
            not_before = now + timedelta(seconds=interval)
            row.next_allowed_at = max(_aware(row.next_allowed_at) or not_before, not_before)


def robots(store: Store, host: str) -> tuple[str | None, tuple[str, str] | None, float] | None:
    """(text, (error kind, message) or None, age in seconds) of the host's robots.txt as last read."""
    with store._read() as s:
        now = _now(s)
        row = s.execute(sa.select(HostSlot.robots_read_at, HostSlot.robots_text, HostSlot.robots_error_kind,
                                  HostSlot.robots_error).where(HostSlot.host == host)).first()
    if row is None or row.robots_read_at is None:
        return None
    error = (row.robots_error_kind, row.robots_error or "") if row.robots_error_kind else None
    read_at = _aware(row.robots_read_at)
    assert read_at is not None
    return row.robots_text, error, (now - read_at).total_seconds()


def save_robots(store: Store, host: str, text: str | None, error: tuple[str, str] | None) -> None:
    with store._write() as s:
        row = _row(s, host)
        row.robots_read_at = _now(s)
        row.robots_text = text
        row.robots_error_kind, row.robots_error = error if error is not None else (None, None)
