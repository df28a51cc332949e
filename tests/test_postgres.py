"""repub on a real PostgreSQL server (tests/pg.py starts one per session, or these tests skip saying
no binaries were found): migrations up and down, models == migrations, and the work queue with four
worker processes over 1,000 URLs: each fetched exactly once, none lost when a worker is SIGKILLed, and
no host ever above its rate."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
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
from test_queue import SyntheticWeb
from webserver import TestWeb

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


def _wait(procs: list[subprocess.Popen[str]], timeout: float = 60) -> list[str]:
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
    started = time.monotonic()
    outs = _wait(_workers(4, pg_url, synthetic))
    seconds = time.monotonic() - started
    assert len(synthetic.paths) == 1000, outs
    assert set(synthetic.paths.values()) == {1}  # each URL fetched exactly once
    for host in HOSTS:
        assert synthetic.max_in_window(host) <= RATE + 1, host
    with Store.open(pg_url) as store:
        st = q.stats(store)
        assert (st.done, st.queued, st.leased, st.failed) == (1000, 0, 0, 0)
        assert len(store.list_articles()) == 1000
    print(f"4 workers: 1000 pages in {seconds:.1f} s")


def test_killed_worker_loses_nothing(pg_url: str, synthetic: SyntheticWeb) -> None:
    urls = synthetic.urls(300)
    _enqueue(pg_url, urls)
    procs = _workers(4, pg_url, synthetic, "--lease", "2")
    time.sleep(1.5)
    procs[0].send_signal(signal.SIGKILL)
    _wait(procs)
    assert procs[0].returncode == -signal.SIGKILL
    assert set(synthetic.paths) == {f"/{u.split('://', 1)[1]}" for u in urls}  # none lost
    assert sum(synthetic.paths.values()) <= 300 + 1  # only the killed worker's URL can be fetched twice
    for host in HOSTS:
        assert synthetic.max_in_window(host) <= RATE + 1, host
    with Store.open(pg_url) as store:
        st = q.stats(store)
        assert (st.done, st.queued, st.leased) == (300, 0, 0)


def test_queue_times_follow_the_database_clock(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers on several machines compare leases and host slots: on PostgreSQL those times come from
    the server's clock, so a worker whose own clock runs an hour fast neither books an hour-long lease
    nor pushes the host's next slot an hour out."""

    class FastClock(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return datetime.now(tz) + timedelta(hours=1)

    with Store.open(pg_url) as store:
        q.enqueue(store, [q.Enqueue(f"https://a.test/{i}", "s") for i in range(2)], rate=0.5)  # 2 s apart
        monkeypatch.setattr(q, "datetime", FastClock)
        first = q.claim(store, "w1", lease=30)
        with store.engine.connect() as conn:
            server_now = conn.execute(sa.text("SELECT clock_timestamp()")).scalar()
            next_slot = conn.execute(sa.text("SELECT next_allowed_at FROM host_slots")).scalar()
        assert first is not None
        assert 25 < (first.lease_expires_at - server_now).total_seconds() <= 30
        assert 0 < (next_slot - server_now).total_seconds() <= 2
        assert q.claim(store, "w2", lease=30) is None  # the host's slot is booked for 2 s
