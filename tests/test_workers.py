"""The work queue on procrastinate, against a real PostgreSQL (tests/pg.py; skipped, saying so, without
its binaries): `repub worker` processes over synthetic sites, judged on the server's own request log.

Each URL fetched exactly once and no host above its rate with four workers; nothing lost when a
worker is killed (its jobs come back once its heartbeat is missed); a PostgreSQL restart in the middle
of a run survived by every worker; retries by the engine's strategy; `ingest --enqueue`, `worker`,
`queue`; the scheduled ingest as a periodic task; what was queued in the old table carried over.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pg import PgServer
from repub.cli import main
from repub.config import build_settings
from repub.crawl import CrawlSettings
from repub.store import Store, create_engine, upgrade
from repub.store.jobs import defer, stats
from repub.store.migrate import upgrade_engine
from repub.worker import Worker, WorkerOptions
from repub.worker.jobs import page_job, resync_job
from synthweb import SyntheticWeb
from webserver import Response, TestWeb

REPUB = Path(sys.executable).with_name("repub")
ROOT = Path(__file__).resolve().parent.parent
HOSTS = [f"h{i}.test" for i in range(5)]
PLAIN = {"Content-Type": "text/plain"}
RATE = 20.0  # requests per second per host: 5 hosts, at most 100 pages/s in all


@pytest.fixture
def synthetic() -> Iterator[SyntheticWeb]:
    with TestWeb() as web:
        yield SyntheticWeb(web, HOSTS)


def _workers(count: int, url: str, synthetic: SyntheticWeb, *extra: str) -> list[subprocess.Popen[str]]:
    env = {**os.environ, "REPUB_DATABASE_URL": url, "REPUB_HOST_MAP": synthetic.host_map()}
    return [subprocess.Popen([str(REPUB), "worker", "--exit-when-empty", *extra], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(count)]


def _wait(procs: list[subprocess.Popen[str]], timeout: float = 300) -> list[str]:
    outs = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=timeout)  # a hang guard, not a bound
        except subprocess.TimeoutExpired:
            for stuck in procs:  # a stuck worker's stacks (SIGUSR1: faulthandler), then none left behind
                if stuck.poll() is None:
                    stuck.send_signal(signal.SIGUSR1)
            time.sleep(1.0)
            for stuck in procs:
                stuck.kill()
            stacks = [p.communicate()[1][-6000:] for p in procs]
            pytest.fail("workers stuck:\n" + "\n-----\n".join(stacks))
        outs.append(out + err)
    return outs


def _enqueue(url: str, urls: list[str], crawl: CrawlSettings | None = None) -> None:
    crawl = crawl or CrawlSettings(rate=RATE, concurrency=2)
    with Store.open(url) as store:
        assert defer(store, [page_job(u, "syn", crawl) for u in urls]) == len(urls)
        assert defer(store, [page_job(u, "syn", crawl) for u in urls[:5]]) == 0  # queued once


def _rows(url: str, query: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(query)).all()]
    finally:
        engine.dispose()


def _paths(urls: list[str]) -> set[str]:
    return {f"/{u.split('://', 1)[1]}" for u in urls}


def test_four_workers_fetch_each_url_exactly_once(pg_url: str, synthetic: SyntheticWeb) -> None:
    urls = synthetic.urls(400)
    _enqueue(pg_url, urls)
    outs = _wait(_workers(4, pg_url, synthetic))
    assert synthetic.paths == Counter(dict.fromkeys(_paths(urls), 1)), outs  # each URL once
    for host in HOSTS:
        assert synthetic.max_in_window(host) <= RATE + 1, host  # the shared slot held across workers
    # robots.txt is shared through the database: read by the first workers to reach a host (several
    # reaching it at the same moment may each read it), never again by the others
    assert set(synthetic.robots_asked) == set(HOSTS) and max(synthetic.robots_asked.values()) <= 4
    with Store.open(pg_url) as store:
        st = stats(store)
        assert (st.succeeded, st.todo, st.doing, st.failed) == (400, 0, 0, 0)
        assert len(store.list_articles()) == 400
    assert sum(int(o.split(" done,")[0].rsplit(" ", 1)[1]) for o in outs) == 400  # "worker X: N done, ..."


def test_a_killed_worker_loses_nothing(pg_url: str, synthetic: SyntheticWeb) -> None:
    synthetic.delay = 0.05  # pages in flight when the worker dies
    urls = synthetic.urls(200)
    _enqueue(pg_url, urls)
    # a short lease, so the dead worker's jobs come back soon; not so short that a live worker's
    # heartbeat (every lease/3 s) is late on a loaded machine and its jobs are taken from it too
    procs = _workers(3, pg_url, synthetic, "--lease", "6")
    while sum(synthetic.paths.values()) < 20:
        time.sleep(0.05)
    procs[0].send_signal(signal.SIGKILL)
    _wait(procs)
    assert procs[0].returncode == -signal.SIGKILL
    assert set(synthetic.paths) == _paths(urls)  # none lost
    twice = [p for p, n in synthetic.paths.items() if n > 1]
    assert len(twice) <= 4  # only the killed worker's pages in flight (--concurrency 4)
    with Store.open(pg_url) as store:
        st = stats(store)
        assert (st.succeeded, st.todo, st.doing, st.failed) == (200, 0, 0, 0)
        assert len(store.list_articles()) == 200


def test_every_worker_survives_a_postgresql_restart(private_pg_server: PgServer,
                                                    synthetic: SyntheticWeb) -> None:
    server = private_pg_server  # its own: the session's server stays up for the other tests
    url = server.create_database()
    synthetic.delay = 0.05
    urls = synthetic.urls(200)
    _enqueue(url, urls)
    procs = _workers(3, url, synthetic)
    try:
        while sum(synthetic.paths.values()) < 40:
            assert any(p.poll() is None for p in procs), "every worker ended before the restart"
            time.sleep(0.05)
        server.stop("fast")  # "terminating connection due to administrator command" for every session
        time.sleep(1.0)
        server.start()
    except BaseException:
        for proc in procs:  # none left behind, waiting for a server that is not coming back
            proc.kill()
            proc.communicate()
        raise
    outs = _wait(procs)
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    # each met the outage (its engine reconnected, or its jobs waited for the database) and went on
    assert all("database reconnection" in o or "database unreachable" in o for o in outs), outs
    assert set(synthetic.paths) == _paths(urls)  # nothing lost
    with Store.open(url) as store:
        st = stats(store)
        if (st.succeeded, st.todo, st.doing, st.failed) != (200, 0, 0, 0):  # every worker's log, whole
            pytest.fail(f"{st.succeeded, st.todo, st.doing, st.failed} != (200, 0, 0, 0): {st.failures}\n"
                        + "\n-----\n".join(outs))
        assert len(store.list_articles()) == 200


def test_retries_follow_the_engines_strategy(pg_url: str) -> None:
    calls: Counter[str] = Counter()
    body = (b"<html><head><title>Back</title></head><body><article><p>" + b"The board met. " * 40
            + b"</p></article></body></html>")

    def flaky(_h: object) -> Response:  # 503 once, then the article
        calls["flaky"] += 1
        if calls["flaky"] == 1:
            return 503, {"Content-Type": "text/html"}, b"busy"
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body

    def gone(_h: object) -> Response:
        calls["gone"] += 1
        return 404, {"Content-Type": "text/html"}, b"no"

    with TestWeb() as web:
        web.route("/f.test/a/1/", flaky)
        web.route("/g.test/a/1/", gone)
        host_map = web.host_map("f.test", "g.test") + ",dead.test=http://127.0.0.1:9"
        settings = build_settings(db=pg_url, host_maps=[host_map])
        urls = ["https://f.test/a/1/", "https://g.test/a/1/", "https://dead.test/a/1/"]
        crawl = CrawlSettings(rate=100, retries=2, backoff=0.05)
        with Store.open(pg_url) as store:
            defer(store, [page_job(u, "s", crawl) for u in urls])
            result = Worker(store, settings, WorkerOptions(exit_when_empty=True, poll=0.05)).run()
    assert (result.done, result.failed) == (1, 2)
    assert calls == {"flaky": 2, "gone": 1}  # a 404 is final: asked once
    jobs = dict((u, (a, s)) for u, a, s in _rows(
        pg_url, "SELECT args->>'url', attempts, status::text FROM procrastinate_jobs"))
    # runs of each job as the engine counts them: 503 then 200; 404 once; refused three times (2 retries)
    assert jobs == {urls[0]: (2, "succeeded"), urls[1]: (1, "failed"), urls[2]: (3, "failed")}
    errors = _rows(pg_url, "SELECT error FROM fetch_log WHERE url = 'https://dead.test/a/1/'")
    assert errors == [("robots.txt unreadable, nothing fetched from this host: cannot connect to dead.test "
                       "(via 127.0.0.1:9): connection refused",)] * 3


def test_ingest_enqueue_then_workers_then_queue(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from fixturedata import fixture_hosts
    from test_ingest import FAST_ROBOTS, TMS_COPIES, sources_file

    with TestWeb() as web:
        web.route("/www.transcend.org/robots.txt", lambda _h: (200, PLAIN, FAST_ROBOTS))
        monkeypatch.setenv("REPUB_HOST_MAP", web.host_map(*fixture_hosts(), "www.e-ir.info"))
        monkeypatch.setenv("REPUB_DATABASE_URL", pg_url)
        sources = sources_file(tmp_path)
        assert main(["ingest", "--enqueue", "--sources", str(sources)]) == 0
        out = capsys.readouterr().out
        assert out.endswith("enqueued 10 URLs for `repub worker`\n")  # the feed's copies, 2 of them 404
        with Store.open(pg_url) as store:
            assert store.list_articles() == []  # discovered and queued, nothing imported yet
        assert main(["ingest", "--enqueue", "--sources", str(sources)]) == 0  # again: nothing twice
        assert capsys.readouterr().out.endswith("enqueued 0 URLs for `repub worker`\n")
        assert main(["worker", "--exit-when-empty"]) == 0
        assert "worker " in capsys.readouterr().out
        assert main(["queue", "--json"]) == 0
        st = json.loads(capsys.readouterr().out)
        with Store.open(pg_url) as store:
            assert all(store.get(u) is not None and store.get(u).status == "ok" for u in TMS_COPIES)
    jobs = _rows(pg_url, "SELECT task_name, status::text, count(*) FROM procrastinate_jobs GROUP BY 1, 2")
    # the 10 copies (2 of them answer 404: failed for good), then the originals the stored ones named
    assert {(t, s): n for t, s, n in jobs if t == "repub.fetch_page"} == {
        ("repub.fetch_page", "succeeded"): 8, ("repub.fetch_page", "failed"): 2}
    assert (st["todo"], st["doing"]) == (0, 0)
    assert st["succeeded"] + st["failed"] == sum(n for _t, _s, n in jobs)
    assert st["failed"] == len(st["failures"])
    assert all(f["error"] == "HTTP 404 Not Found" for f in st["failures"])
    assert {h["host"] for h in st["hosts"]} >= {"www.transcend.org"}


def test_a_resync_job_checks_a_stored_article(pg_url: str, synthetic: SyntheticWeb) -> None:
    url = synthetic.urls(1)[0]
    settings = build_settings(db=pg_url, host_maps=[synthetic.host_map()])
    with Store.open(pg_url) as store:
        defer(store, [page_job(url, "syn", CrawlSettings(rate=100))])
        assert Worker(store, settings, WorkerOptions(exit_when_empty=True)).run().done == 1
        defer(store, [resync_job(url, CrawlSettings(rate=100))])
        assert Worker(store, settings, WorkerOptions(exit_when_empty=True)).run().done == 1
        checks = [(e.status, e.error_kind) for e in store.fetch_log(url)]
    assert checks == [(200, None), (200, None)]  # fetched, then checked again (no validators to send)
    assert _rows(pg_url, "SELECT task_name, status::text FROM procrastinate_jobs ORDER BY id") == [
        ("repub.fetch_page", "succeeded"), ("repub.resync_article", "succeeded")]


def test_scheduled_ingest_runs_as_a_periodic_task_one_run_at_a_time(
        pg_url: str, tmp_path: Path) -> None:
    from fixturedata import fixture_hosts
    from test_ingest import FAST_ROBOTS, TMS_COPIES, sources_file

    with TestWeb() as web:
        web.route("/www.transcend.org/robots.txt", lambda _h: (200, PLAIN, FAST_ROBOTS))
        sources = sources_file(tmp_path, sitemaps=False, listings=False)
        # every 2 seconds (a sixth field: seconds), as a crontab line would say it in minutes
        sources.write_text('[schedule]\ningest = "* * * * * */2"\n\n' + sources.read_text())
        upgrade(pg_url)  # `repub db upgrade`: the workers would otherwise race to create the schema
        env = {**os.environ, "REPUB_DATABASE_URL": pg_url,
               "REPUB_HOST_MAP": web.host_map(*fixture_hosts(), "www.e-ir.info")}
        argv = [str(REPUB), "worker", "--schedule", "--sources", str(sources)]
        procs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        try:
            deadline = time.monotonic() + 120  # a hang guard
            while time.monotonic() < deadline:
                runs = _rows(pg_url, "SELECT count(*) FROM runs WHERE status = 'ok'")[0][0]
                ok = {u for (u,) in _rows(pg_url, "SELECT url FROM articles WHERE status = 'ok'")}
                if runs >= 2 and ok >= set(TMS_COPIES):
                    break
                time.sleep(0.2)
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            outs = _wait(procs, 60)
    assert [p.returncode for p in procs] == [130, 130], outs
    runs = _rows(pg_url, "SELECT command, status, options, started_at, finished_at FROM runs ORDER BY id")
    assert len(runs) >= 2 and {r[0] for r in runs} == {"ingest"}
    assert all((json.loads(r[2]) if isinstance(r[2], str) else r[2])["enqueue"] for r in runs), runs
    ended = [r for r in runs if r[4] is not None]
    for before, after in zip(ended, ended[1:], strict=False):
        assert before[4] <= after[3]  # one run at a time: each began after the one before it ended
    periodic = _rows(pg_url, "SELECT count(DISTINCT defer_timestamp), count(*) "
                             "FROM procrastinate_periodic_defers")
    assert periodic[0][0] == periodic[0][1]  # two schedulers, each tick deferred once
    with Store.open(pg_url) as store:
        assert all(store.get(u) is not None for u in TMS_COPIES)


def test_sqlite_has_no_work_queue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "repub.db")
    sources = tmp_path / "s.toml"
    sources.write_text('[[source]]\nname = "a"\nsite = "https://a.example/"\nfeeds = ["https://a.example/f"]\n')
    enqueue = ["ingest", "--enqueue", "--sources", str(sources)]
    for argv in (["worker", "--exit-when-empty"], ["queue"], enqueue):
        assert main([*argv, "--db", db]) == 3
        assert capsys.readouterr().err.startswith("repub: the work queue needs PostgreSQL "), argv


def test_the_vendored_engine_schema_is_the_installed_procrastinates() -> None:
    """Migration 0008 applies procrastinate's schema as the pinned version ships it, and
    repub.store.jobs writes its job rows: a newer procrastinate needs a migration of ours first."""
    from procrastinate.schema import SchemaManager

    vendored = (ROOT / "migrations" / "engine" / "procrastinate-3.10.0.sql").read_text(encoding="utf-8")
    assert vendored.split("\n", 3)[3] == SchemaManager.get_schema()


def _old_queue(url: str) -> None:
    """A database at 0007 with the home-made queue holding a queued page, a leased original and a
    done page."""
    engine = create_engine(url)
    try:
        upgrade_engine(engine, "0007")
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO queue (url, host, source, kind, copy_url, outlet, status, attempts, "
                "enqueued_at) VALUES (:u, :h, 'tms', :k, :c, :o, :s, 0, '2026-11-01 08:00:00+00')"), [
                {"u": "https://a.example/new/", "h": "a.example", "k": "page", "c": None, "o": None,
                 "s": "queued"},
                {"u": "https://www.b.example/orig/", "h": "www.b.example", "k": "original",
                 "c": "https://a.example/copy/", "o": "B News", "s": "leased"},
                {"u": "https://a.example/done/", "h": "a.example", "k": "page", "c": None, "o": None,
                 "s": "done"}])
    finally:
        engine.dispose()


def test_queued_work_is_carried_over_to_the_engine(pg_url: str) -> None:
    _old_queue(pg_url)
    upgrade(pg_url)
    jobs = _rows(pg_url, "SELECT task_name, lock, queueing_lock, args, status::text FROM procrastinate_jobs "
                         "ORDER BY id")
    assert jobs == [
        ("repub.fetch_page", "host:a.example#0", "https://a.example/new/",
         {"url": "https://a.example/new/", "source": "tms", "copy_url": None, "outlet": None}, "todo"),
        ("repub.fetch_original", "host:www.b.example#0", "https://www.b.example/orig/",
         {"url": "https://www.b.example/orig/", "source": "tms", "copy_url": "https://a.example/copy/",
          "outlet": "B News"}, "todo"),
    ]


def test_queued_work_on_sqlite_becomes_stubs_resync_fetches(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'repub.db'}"
    _old_queue(url)
    upgrade(url)
    with sqlite3.connect(tmp_path / "repub.db") as conn:
        rows = conn.execute("SELECT url, site, status, version FROM articles ORDER BY url").fetchall()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert rows == [("https://a.example/new/", "a.example", "pending", 0),
                    ("https://www.b.example/orig/", "b.example", "pending", 0)]
    assert "queue" not in tables


def test_a_freed_lane_is_announced_as_procrastinate_announces_a_new_job() -> None:
    """Worker.announce leans on the engine's notification protocol (its channel per queue and the
    payload its workers wake up for): this fails if procrastinate changes either."""
    import inspect

    from procrastinate import worker as engine
    from procrastinate.jobs import JobInserted
    from procrastinate.manager import get_channel_for_queues

    from repub.store.jobs import QUEUE
    from repub.worker.worker import FREED, FREED_CHANNEL

    assert list(get_channel_for_queues([QUEUE])) == [FREED_CHANNEL]
    payload = json.loads(FREED)
    assert set(payload) == set(JobInserted.__annotations__) and payload["type"] == "job_inserted"
    assert 'notification["type"] == "job_inserted"' in inspect.getsource(engine.Worker._handle_notification)


def test_a_job_the_database_went_away_under_is_tried_again() -> None:
    """A PostgreSQL restart can reach a job as psycopg's own error (AdminShutdown, an OperationalError),
    not through the store: the engine's strategy tries it again, a few times, and a bug not at all."""
    import psycopg
    from procrastinate.jobs import Job as EngineJob

    from repub.worker.tasks import DATABASE_TRIES, CrawlRetry

    def job(attempts: int) -> EngineJob:
        return EngineJob(id=1, queue="repub", lock=None, queueing_lock=None, task_name="repub.fetch_page",
                         task_kwargs={}, attempts=attempts)

    shutdown = psycopg.errors.AdminShutdown("terminating connection due to administrator command")
    strategy = CrawlRetry()
    assert strategy.get_retry_decision(exception=shutdown, job=job(0)) is not None
    assert strategy.get_retry_decision(exception=shutdown, job=job(DATABASE_TRIES - 1)) is None
    assert strategy.get_retry_decision(exception=ValueError("a bug"), job=job(0)) is None


def test_a_statement_after_a_disconnect_in_the_same_transaction_is_the_database_gone() -> None:
    """The store's per-page savepoints go on after a page's statement met a PostgreSQL restart; the
    next statement then fails with SQLAlchemy's PendingRollbackError, the disconnect itself only logged.
    The worker waits for the database and writes again; a rolled-back flush is no such case."""
    from sqlalchemy.exc import PendingRollbackError

    from repub.errors import StoreError
    from repub.worker.worker import lost_database

    pending = PendingRollbackError("Can't reconnect until invalid transaction is rolled back.  Please "
                                   "rollback() fully before proceeding", None, None)
    wrapped = StoreError(f"database write failed: {pending}")
    wrapped.__cause__ = pending
    assert lost_database(wrapped)
    flush = PendingRollbackError("This Session's transaction has been rolled back due to a previous "
                                 "exception during flush.", None, None)
    assert not lost_database(flush)


def test_a_page_whose_save_lost_the_connection_is_the_database_gone() -> None:
    """The store answers each page of a batch with a SaveResult or a StoreError it returns, not raises:
    the StoreError had no cause, so a PostgreSQL restart under a page's savepoint looked like a fault of
    the page, and the worker failed its job for good (a CI run lost one page of 200 that way). The
    returned error keeps its cause; a fault of the page is still no lost database."""
    from types import SimpleNamespace

    import psycopg
    from sqlalchemy.exc import OperationalError

    from repub.store.store import _page_error
    from repub.worker.worker import lost_database

    item = SimpleNamespace(record=SimpleNamespace(url="https://h1.test/a/66/"))
    gone = OperationalError("INSERT INTO articles ...", {}, psycopg.OperationalError(
        "server closed the connection unexpectedly"))
    error = _page_error(item, gone)  # type: ignore[arg-type]
    assert str(error) == "https://h1.test/a/66/: server closed the connection unexpectedly"  # no SQL
    assert error.__cause__ is gone and lost_database(error)
    assert not lost_database(_page_error(item, ValueError("a date out of range")))  # type: ignore[arg-type]
