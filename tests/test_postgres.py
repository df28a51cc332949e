"""repub on a real PostgreSQL server (tests/pg.py starts one per session, or these tests skip saying
no binaries were found): migrations up and down, models == migrations, and the work queue with four
worker processes over 1,000 URLs: each fetched exactly once, none lost when a worker is SIGKILLed, and
no host ever above its rate."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from repub.store import Store, create_engine, current_revision, downgrade, upgrade
from repub.store import queue as q
from repub.store.models import Base
from test_migrations import HEAD, TABLES, TABLES_0003
from test_queue import SyntheticWeb, assert_spaced, racing_claim_times
from webserver import Response, TestWeb

REPUB = Path(sys.executable).with_name("repub")
HOSTS = [f"h{i}.test" for i in range(5)]
RATE = 40.0  # requests per second per host: 5 hosts, at most 200 pages/s in all


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_up_down_up(pg_url: str) -> None:
    assert upgrade(pg_url) is True
    assert _tables(pg_url) == TABLES
    engine = create_engine(pg_url)
    try:
        assert current_revision(engine) == HEAD
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    Base.metadata)
        assert diff == []
    finally:
        engine.dispose()
    downgrade(pg_url, "0003")
    assert _tables(pg_url) == TABLES_0003
    downgrade(pg_url, "base")
    assert _tables(pg_url) == set()
    assert upgrade(pg_url) is True
    assert upgrade(pg_url) is False
    assert _tables(pg_url) == TABLES


@pytest.fixture
def synthetic() -> Iterator[SyntheticWeb]:
    with TestWeb() as web:
        yield SyntheticWeb(web, HOSTS)


def _workers(count: int, url: str, synthetic: SyntheticWeb, *extra: str) -> list[subprocess.Popen[str]]:
    env = {**os.environ, "REPUB_DATABASE_URL": url, "REPUB_HOST_MAP": synthetic.host_map()}
    return [
        subprocess.Popen([str(REPUB), "worker", "--exit-when-empty", *extra], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(count)
    ]


def _wait(procs: list[subprocess.Popen[str]], timeout: float = 600) -> list[str]:  # a hang, not a speed
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        outs.append(out + err)
    return outs


def _enqueue(url: str, urls: list[str]) -> None:
    with Store.open(url) as store:
        assert q.enqueue(store, [q.Enqueue(u, "syn") for u in urls], rate=RATE) == len(urls)


def test_four_workers_fetch_each_url_exactly_once(pg_url: str, synthetic: SyntheticWeb) -> None:
    urls = synthetic.urls(1000)
    _enqueue(pg_url, urls)
    outs = _wait(_workers(4, pg_url, synthetic))
    assert len(synthetic.paths) == 1000, outs
    assert set(synthetic.paths.values()) == {1}  # each URL fetched exactly once
    with Store.open(pg_url) as store:
        st = q.stats(store)
        assert (st.done, st.queued, st.leased, st.failed) == (1000, 0, 0, 0)
        assert len(store.list_articles()) == 1000


def test_killed_worker_loses_nothing(pg_url: str, synthetic: SyntheticWeb) -> None:
    urls = synthetic.urls(300)
    held_url = urls[40]
    held_path = f"/{held_url.split('://', 1)[1]}"
    asked, release = threading.Event(), threading.Event()

    def hold_first(handler: object) -> Response:  # the first request for it hangs: its worker is busy
        first = not asked.is_set()
        asked.set()
        if first:
            release.wait(60)
        return synthetic._serve(held_path)

    synthetic.web.route(held_path, hold_first)
    _enqueue(pg_url, urls)
    procs = _workers(4, pg_url, synthetic, "--lease", "2")
    try:
        assert asked.wait(60)
        with Store.open(pg_url) as store, store.engine.connect() as conn:
            owner = conn.execute(sa.text("SELECT lease_owner FROM queue WHERE url = :u"),
                                 {"u": held_url}).scalar()
        (victim,) = [p for p in procs if owner == f"{socket.gethostname()}:{p.pid}"]
        victim.send_signal(signal.SIGKILL)  # while it waits for the held page: certainly alive
    finally:
        release.set()
    _wait(procs)
    assert victim.returncode == -signal.SIGKILL
    assert [p.returncode for p in procs if p is not victim] == [0, 0, 0]
    assert set(synthetic.paths) == {f"/{u.split('://', 1)[1]}" for u in urls}  # none lost
    # the held URL is asked twice (the killed worker's lease expired, another took it), every other once
    assert synthetic.paths[held_path] == 2
    assert sum(synthetic.paths.values()) == 300 + 1
    with Store.open(pg_url) as store:
        st = q.stats(store)
        assert (st.done, st.queued, st.leased) == (300, 0, 0)


def test_racing_claims_keep_each_hosts_rate_on_the_database_clock(pg_url: str) -> None:
    """No host above its rate, however many workers claim at once: the claims' own times (the queue's
    decisions, on PostgreSQL's clock), not the arrival times of requests at a server, which a busy
    machine bunches up."""
    _enqueue(pg_url, [f"https://{HOSTS[i % 5]}/a/{i}/" for i in range(100)])
    times = racing_claim_times(pg_url, claimers=4)
    assert {host: len(found) for host, found in times.items()} == dict.fromkeys(HOSTS, 20)
    assert_spaced(times, RATE)


def test_queue_times_follow_the_database_clock(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers on several machines compare leases and host slots: on PostgreSQL those times come from
    the server's clock, so a worker whose own clock runs an hour fast neither books an hour-long lease
    nor pushes the host's next slot an hour out."""

    class FastClock(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return datetime.now(tz) + timedelta(hours=1)

    def server_clock(store: Store) -> datetime:
        with store.engine.connect() as conn:
            return conn.execute(sa.text("SELECT clock_timestamp()")).scalar()

    with Store.open(pg_url) as store:
        # 10 minutes apart: the second claim below is refused however slow the machine
        q.enqueue(store, [q.Enqueue(f"https://a.test/{i}", "s") for i in range(2)], rate=1 / 600)
        monkeypatch.setattr(q, "datetime", FastClock)
        before = server_clock(store)
        first = q.claim(store, "w1", lease=30)
        after = server_clock(store)
        with store.engine.connect() as conn:
            next_slot = conn.execute(sa.text("SELECT next_allowed_at FROM host_slots")).scalar()
        assert first is not None
        # the claim's time, read back from what it booked, lies between two readings of the server's clock
        assert before <= first.lease_expires_at - timedelta(seconds=30) <= after
        assert before <= next_slot - timedelta(seconds=600) <= after
        assert q.claim(store, "w2", lease=30) is None  # the host's slot is booked for 10 minutes
