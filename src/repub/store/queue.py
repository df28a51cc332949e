"""The work queue in the database: ``repub ingest --enqueue`` fills it, ``repub worker`` empties it.

A claim is one write transaction that picks the host whose ``host_slots.next_allowed_at`` has passed
(SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, so concurrent workers take different hosts), takes the
oldest claimable URL of that host (queued, or leased with an expired lease: a crashed worker's URLs come
back by themselves), leases it to the worker and moves the host's next_allowed_at on by its interval.
Politeness is therefore shared by every worker on every machine. On SQLite the write transaction is
BEGIN IMMEDIATE (see engine.write_engine), which serialises claims the same way; FOR UPDATE compiles
to nothing there. Times are the workers' clocks (UTC): keep machines NTP-synchronised.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .engine import database_now, insert_ignoring_conflicts
from .models import HostSlot, QueueItem
from .views import iso_utc

if TYPE_CHECKING:
    from .store import Store

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CHUNK = 500  # rows per INSERT (SQLite limits bound parameters)
CLAIMABLE_KINDS = ("page", "original")


@dataclass(frozen=True)
class Enqueue:
    url: str
    source: str | None = None
    kind: str = "page"
    copy_url: str | None = None
    outlet: str | None = None


@dataclass(frozen=True)
class Claim:
    id: int
    url: str
    host: str
    source: str | None
    kind: str
    copy_url: str | None
    outlet: str | None
    attempts: int
    lease_expires_at: datetime
    interval: float  # the host's seconds between requests


@dataclass
class HostStats:
    host: str
    queued: int = 0
    leased: int = 0
    done: int = 0
    failed: int = 0
    interval: float | None = None
    next_allowed_at: str | None = None
    done_last_minute: int = 0


@dataclass
class QueueStats:
    queued: int = 0
    leased: int = 0
    expired: int = 0  # leased, but the lease ran out: claimable again
    done: int = 0
    failed: int = 0
    done_last_minute: int = 0
    owners: dict[str, int] = field(default_factory=dict)  # lease owner -> URLs held
    hosts: list[HostStats] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Pages per second over the last minute."""
        return self.done_last_minute / 60.0

    def to_json(self) -> dict[str, Any]:
        return {
            "queued": self.queued, "leased": self.leased, "expired": self.expired, "done": self.done,
            "failed": self.failed, "pages_per_second": round(self.rate, 3), "owners": self.owners,
            "hosts": [h.__dict__ for h in self.hosts],
        }


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _now(now: datetime | None, s: Session | None = None) -> datetime:
    """``now`` when given (tests); else the database server's clock when it has one that several
    machines share (PostgreSQL: leases and host slots then never depend on each worker's own clock);
    else this machine's (SQLite: one machine)."""
    if now is not None:
        return now.astimezone(UTC)
    found = database_now(s) if s is not None else None
    return found if found is not None else datetime.now(UTC)


def enqueue(store: Store, items: Iterable[Enqueue], *, rate: float | dict[str, float] = 1.0,
            now: datetime | None = None) -> int:
    """Add URLs not queued yet (a URL is queued once, ever); returns how many were new.

    ``rate``: requests per second per host, or per source name; a host's interval only ever grows
    (the slowest source reaching a host sets its pace).
    """
    now = _now(now)
    rows, slots = [], {}
    for item in dict((i.url, i) for i in items).values():
        host = host_of(item.url)
        per = rate.get(item.source or "", 1.0) if isinstance(rate, dict) else rate
        slots[host] = max(slots.get(host, 0.0), 1.0 / per)
        rows.append({
            "url": item.url, "host": host, "source": item.source, "kind": item.kind,
            "copy_url": item.copy_url, "outlet": item.outlet, "status": "queued", "attempts": 0,
            "enqueued_at": now,
        })
    if not rows:
        return 0
    table = QueueItem.__table__
    with store._write() as s:
        before = s.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        for start in range(0, len(rows), CHUNK):
            insert_ignoring_conflicts(s, table, rows[start:start + CHUNK], "url")  # type: ignore[arg-type]
        slot_rows = [{"host": h, "next_allowed_at": EPOCH, "interval": i} for h, i in sorted(slots.items())]
        insert_ignoring_conflicts(s, HostSlot.__table__, slot_rows, "host")  # type: ignore[arg-type]
        for host, interval in slots.items():
            s.execute(sa.update(HostSlot).where(HostSlot.host == host, HostSlot.interval < interval)
                      .values(interval=interval))
        after = s.scalar(sa.select(sa.func.count()).select_from(table)) or 0
    return after - before


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        QueueItem.status == "queued",
        sa.and_(QueueItem.status == "leased", QueueItem.lease_expires_at < now),
    )


def claim(store: Store, owner: str, *, lease: float = 60.0, now: datetime | None = None) -> Claim | None:
    """Lease one URL of a host whose slot is free, and book the host's next slot; None when no host
    with work is free right now (see ``next_free``)."""
    with store._write() as s:
        now = _now(now, s)
        has_work = sa.exists().where(QueueItem.host == HostSlot.host, _claimable(now))
        slot = s.scalar(
            sa.select(HostSlot).where(HostSlot.next_allowed_at <= now, has_work)
            .order_by(HostSlot.next_allowed_at).limit(1)
            .with_for_update(skip_locked=True)
        )
        if slot is None:
            return None
        item = s.scalar(
            sa.select(QueueItem).where(QueueItem.host == slot.host, _claimable(now))
            .order_by(QueueItem.id).limit(1)
            .with_for_update(skip_locked=True)
        )
        if item is None:  # taken between the two reads (cannot happen while we hold the host row)
            return None
        expires = now + timedelta(seconds=lease)
        item.status, item.lease_owner, item.lease_expires_at = "leased", owner, expires
        item.attempts += 1
        slot.next_allowed_at = now + timedelta(seconds=slot.interval)
        return Claim(item.id, item.url, item.host, item.source, item.kind, item.copy_url, item.outlet,
                     item.attempts, expires, slot.interval)


def next_free(store: Store, now: datetime | None = None) -> float | None:
    """Seconds until some host with claimable work is free (0 if one is); None when nothing is left
    to do but leases still running elsewhere may come back: then the earliest lease expiry counts."""
    with store._read() as s:
        now = _now(now, s)
        has_work = sa.exists().where(QueueItem.host == HostSlot.host, _claimable(now))
        first = s.scalar(sa.select(sa.func.min(HostSlot.next_allowed_at)).where(has_work))
        if first is None:
            expiry = s.scalar(sa.select(sa.func.min(QueueItem.lease_expires_at))
                              .where(QueueItem.status == "leased"))
            if expiry is None:
                return None
            first = expiry
        first = first.replace(tzinfo=UTC) if first.tzinfo is None else first
        return max(0.0, (first - now).total_seconds())


def renew(store: Store, owner: str, ids: list[int], *, lease: float = 60.0,
          now: datetime | None = None) -> int:
    """Extend the leases ``owner`` still holds; returns how many it still had."""
    if not ids:
        return 0
    with store._write() as s:
        now = _now(now, s)
        result = s.execute(
            sa.update(QueueItem)
            .where(QueueItem.id.in_(ids), QueueItem.lease_owner == owner, QueueItem.status == "leased")
            .values(lease_expires_at=now + timedelta(seconds=lease))
        )
        return result.rowcount or 0  # type: ignore[attr-defined]


def finish(store: Store, owner: str, item_id: int, *, error: str | None = None,
           now: datetime | None = None) -> bool:
    """Mark a leased URL done (or failed with ``error``). False if the lease was lost meanwhile."""
    with store._write() as s:
        now = _now(now, s)
        result = s.execute(
            sa.update(QueueItem)
            .where(QueueItem.id == item_id, QueueItem.lease_owner == owner, QueueItem.status == "leased")
            .values(status="failed" if error else "done", done_at=now, error=error, lease_expires_at=None)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def retry_later(store: Store, owner: str, item_id: int, *, host: str, wait: float, error: str,
                now: datetime | None = None) -> bool:
    """Put a leased URL back in the queue after a transient failure, and keep every worker off its host
    for ``wait`` seconds (a Retry-After or a backoff holds the host, not just this URL). False if the
    lease was lost meanwhile."""
    with store._write() as s:
        not_before = _now(now, s) + timedelta(seconds=wait)
        result = s.execute(
            sa.update(QueueItem)
            .where(QueueItem.id == item_id, QueueItem.lease_owner == owner, QueueItem.status == "leased")
            .values(status="queued", lease_owner=None, lease_expires_at=None, error=error)
        )
        s.execute(
            sa.update(HostSlot)
            .where(HostSlot.host == host, HostSlot.next_allowed_at < not_before)
            .values(next_allowed_at=not_before)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def widen_host(store: Store, host: str, interval: float, *, now: datetime | None = None) -> None:
    """Keep at least ``interval`` seconds between requests to ``host`` (a robots.txt Crawl-delay), from
    now on: the host's next slot moves too, since it was booked with the old interval. A host's
    interval only ever grows, as in ``enqueue``."""
    with store._write() as s:
        not_before = _now(now, s) + timedelta(seconds=interval)
        s.execute(sa.update(HostSlot).where(HostSlot.host == host, HostSlot.interval < interval)
                  .values(interval=interval))
        s.execute(sa.update(HostSlot).where(HostSlot.host == host, HostSlot.next_allowed_at < not_before)
                  .values(next_allowed_at=not_before))


def release(store: Store, owner: str, ids: list[int]) -> None:
    """Give leases back at once (a worker stopping cleanly)."""
    if ids:
        with store._write() as s:
            s.execute(sa.update(QueueItem)
                      .where(QueueItem.id.in_(ids), QueueItem.lease_owner == owner,
                             QueueItem.status == "leased")
                      .values(status="queued", lease_owner=None, lease_expires_at=None))


def stats(store: Store, now: datetime | None = None) -> QueueStats:
    out = QueueStats()
    hosts: dict[str, HostStats] = {}
    with store._read() as s:
        now = _now(now, s)
        minute_ago = now - timedelta(seconds=60)
        for host, status, count in s.execute(
            sa.select(QueueItem.host, QueueItem.status, sa.func.count()).group_by(QueueItem.host,
                                                                                  QueueItem.status)
        ):
            h = hosts.setdefault(host, HostStats(host))
            if status in ("queued", "leased", "done", "failed"):
                setattr(h, status, count)
                setattr(out, status, getattr(out, status) + count)
        out.expired = s.scalar(sa.select(sa.func.count()).where(
            QueueItem.status == "leased", QueueItem.lease_expires_at < now)) or 0
        for owner, count in s.execute(
            sa.select(QueueItem.lease_owner, sa.func.count())
            .where(QueueItem.status == "leased").group_by(QueueItem.lease_owner)
        ):
            out.owners[owner or "-"] = count
        for host, count in s.execute(
            sa.select(QueueItem.host, sa.func.count())
            .where(QueueItem.done_at >= minute_ago, QueueItem.status == "done").group_by(QueueItem.host)
        ):
            hosts.setdefault(host, HostStats(host)).done_last_minute = count
            out.done_last_minute += count
        for slot in s.scalars(sa.select(HostSlot)):
            h = hosts.setdefault(slot.host, HostStats(slot.host))
            h.interval, h.next_allowed_at = slot.interval, iso_utc(slot.next_allowed_at)
    out.hosts = [hosts[k] for k in sorted(hosts)]
    return out
