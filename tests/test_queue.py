"""The database work queue on SQLite: enqueue, claim with shared per-host slots, leases that expire,
workers in one process, ``repub ingest --enqueue``, ``repub worker`` and ``repub queue``.

``SyntheticWeb`` (also used by test_postgres.py) serves a small generated article for every URL of
a few hosts and records when each request arrived."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from repub.cli import main
from repub.config import build_settings
from repub.store import Store
from repub.store import queue as q
from repub.worker import Worker, WorkerOptions
from webserver import Response, TestWeb

PARAGRAPH = ("The committee met on Tuesday to discuss the proposal in detail, and members from every "
             "region raised questions about the budget, the schedule and the people affected by it. ")


class SyntheticWeb:
    """Every GET /<host>/a/<n>/ answers a generated article; ``times[host]`` are arrival times (for
    counting; spacing is checked on the queue's own decisions, ``racing_claim_times``)."""

    def __init__(self, web: TestWeb, hosts: list[str], delay: float = 0.0) -> None:
        self.web, self.hosts, self.delay = web, hosts, delay  # delay: seconds per answer (a slow site)
        self.times: dict[str, list[float]] = defaultdict(list)
        self.paths: Counter[str] = Counter()
        self.robots: dict[str, str] = {}  # host -> robots.txt text; other hosts answer 404
        self.robots_asked: Counter[str] = Counter()
        self._lock = threading.Lock()
        web.static = self._serve  # type: ignore[method-assign]  # every path not routed comes here

    def _serve(self, path: str) -> Response:
        host = path.strip("/").split("/", 1)[0]
        if path.endswith("/robots.txt"):  # not an article: counted apart from the pages
            with self._lock:
                self.robots_asked[host] += 1
            if host not in self.robots:
                return 404, {"Content-Type": "text/plain", "Connection": "close"}, b"no robots.txt"
            return 200, {"Content-Type": "text/plain", "Connection": "close"}, self.robots[host].encode()
        with self._lock:
            self.times[host].append(time.monotonic())
            self.paths[path] += 1
        if self.delay:
            time.sleep(self.delay)
        n = path.rstrip("/").rsplit("/", 1)[-1]
        body = (f"<html><head><title>Article {n} on {host}</title>"
                f'<meta name="author" content="Writer {n}"></head><body><article>'
                f"<h1>Article {n} on {host}</h1><p>Published 2024-07-01.</p>"
                + "".join(f"<p>{PARAGRAPH}Item {n}, part {i}.</p>" for i in range(4))
                + "</article></body></html>")
        # Connection: close: http.server writes headers and body apart, which on a kept-alive
        # connection meets delayed ACKs (40 ms a page); a real site does not behave so
        return 200, {"Content-Type": "text/html; charset=utf-8", "Connection": "close"}, body.encode()

    def urls(self, count: int) -> list[str]:
        return [f"https://{self.hosts[i % len(self.hosts)]}/a/{i}/" for i in range(count)]

    def host_map(self) -> str:
        return self.web.host_map(*self.hosts)


@pytest.fixture
def synthetic() -> Iterator[SyntheticWeb]:
    with TestWeb() as web:
        yield SyntheticWeb(web, [f"h{i}.test" for i in range(3)])


def test_claim_books_host_slots_and_leases_expire(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'q.db'}") as store:
        urls = [f"https://a.test/{i}" for i in range(3)] + ["https://b.test/0"]
        assert q.enqueue(store, [q.Enqueue(u, "s") for u in urls], rate=2.0) == 4
        assert q.enqueue(store, [q.Enqueue(urls[0], "s")], rate=2.0) == 0  # queued once, ever
        t0 = datetime(2024, 1, 1, tzinfo=UTC)
        first = q.claim(store, "w1", lease=10, now=t0)
        second = q.claim(store, "w2", lease=10, now=t0)
        assert first is not None and second is not None
        assert {first.host, second.host} == {"a.test", "b.test"}
        assert q.claim(store, "w3", lease=10, now=t0) is None  # both hosts booked for 0.5 s
        third = q.claim(store, "w3", lease=10, now=t0 + timedelta(seconds=0.5))
        assert third is not None and third.host == "a.test"
        assert q.finish(store, "w1", first.id)
        # w2 dies holding its URL: after the lease it is claimable again, and w2 can no longer finish it
        later = t0 + timedelta(seconds=11)
        again = q.claim(store, "w4", lease=10, now=later)
        assert again is not None and again.id == second.id and again.attempts == 2
        assert not q.finish(store, "w2", second.id)
        assert q.finish(store, "w4", again.id, error="boom")
        st = q.stats(store, now=later)
        assert (st.queued, st.leased, st.done, st.failed, st.expired) == (1, 1, 1, 1, 1)


def test_workers_in_one_process_drain_the_queue(synthetic: SyntheticWeb, tmp_path: Path) -> None:
    settings = build_settings(db=str(tmp_path / "q.db"), host_maps=[synthetic.host_map()])
    urls = synthetic.urls(30)
    with Store.open(f"sqlite:///{tmp_path / 'q.db'}") as store:
        q.enqueue(store, [q.Enqueue(u, "syn") for u in urls], rate=20.0)
        result = Worker(store, settings, WorkerOptions(exit_when_empty=True, lease=5)).run()
        assert (result.done, result.failed) == (30, 0)
        assert all(n == 1 for n in synthetic.paths.values()) and len(synthetic.paths) == 30
        assert all(store.get(u) is not None for u in urls)
        assert q.stats(store).done == 30  # the rate itself: the claims' own times, below


def racing_claim_times(url: str, claimers: int, lease: float = 60.0) -> dict[str, list[datetime]]:
    """Drain the queue at ``url`` with ``claimers`` threads, each on its own connection, claiming as
    fast as they can; host -> the claim times the queue decided (a claim's lease ends ``lease`` after
    it), in order. These are the rate decisions themselves, free of any delay before the request."""
    times: dict[str, list[datetime]] = defaultdict(list)
    lock = threading.Lock()

    def claimer(k: int) -> None:
        with Store.open(url, migrate=False) as store:
            while q.stats(store).queued:
                claim = q.claim(store, f"claimer-{k}", lease=lease)
                if claim is not None:
                    with lock:
                        times[claim.host].append(claim.lease_expires_at - timedelta(seconds=lease))

    threads = [threading.Thread(target=claimer, args=(k,)) for k in range(claimers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {host: sorted(found) for host, found in times.items()}


def assert_spaced(times: dict[str, list[datetime]], rate: float) -> None:
    step = timedelta(seconds=1 / rate) - timedelta(microseconds=1)  # the database keeps microseconds
    for host, found in times.items():
        gaps = [b - a for a, b in zip(found, found[1:], strict=False)]
        assert all(gap >= step for gap in gaps), (host, min(gaps))


def test_racing_claims_keep_each_hosts_rate(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    with Store.open(url) as store:
        q.enqueue(store, [q.Enqueue(f"https://h{i % 3}.test/a/{i}/", "s") for i in range(45)], rate=50.0)
    times = racing_claim_times(url, claimers=4)
    assert {host: len(found) for host, found in times.items()} == {"h0.test": 15, "h1.test": 15,
                                                                    "h2.test": 15}
    assert_spaced(times, 50.0)


def test_worker_retries_transient_failures_and_honours_retry_after(tmp_path: Path) -> None:
    calls: Counter[str] = Counter()
    asked: list[float] = []

    def flaky(handler: object) -> Response:  # 503 with Retry-After once, then the article
        calls["flaky"] += 1
        asked.append(time.monotonic())
        if calls["flaky"] == 1:
            return 503, {"Content-Type": "text/html", "Retry-After": "1"}, b"busy"
        body = b"<html><head><title>Back</title></head><body><article><p>" + PARAGRAPH.encode() + b"</p>"
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body + b"</article></body></html>"

    def gone(handler: object) -> Response:
        calls["gone"] += 1
        return 404, {"Content-Type": "text/html"}, b"no"

    with TestWeb() as web:
        web.route("/f.test/a/1/", flaky)
        web.route("/g.test/a/1/", gone)
        host_map = web.host_map("f.test", "g.test") + ",dead.test=http://127.0.0.1:9"
        settings = build_settings(db=str(tmp_path / "q.db"), host_maps=[host_map])
        urls = ["https://f.test/a/1/", "https://g.test/a/1/", "https://dead.test/a/1/"]
        with Store.open(f"sqlite:///{tmp_path / 'q.db'}") as store:
            q.enqueue(store, [q.Enqueue(u, "s") for u in urls], rate=100.0)
            options = WorkerOptions(exit_when_empty=True, lease=5, backoff=0.05, idle_sleep=0.05)
            result = Worker(store, settings, options).run()
            assert (result.done, result.failed) == (1, 2)
            assert calls == {"flaky": 2, "gone": 1}  # a 404 is final: asked once
            # the host waited out its Retry-After: the second request left the worker at least 1 s
            # after the first was answered (cause and effect: a busy machine only makes it longer)
            assert asked[1] - asked[0] >= 1.0
            with store.engine.connect() as conn:
                query = "SELECT url, attempts || ' ' || status FROM queue"
                rows = dict(conn.exec_driver_sql(query).fetchall())
                dead = conn.exec_driver_sql(
                    "SELECT COUNT(*) FROM fetch_log WHERE url = 'https://dead.test/a/1/'").scalar()
            assert rows == {urls[0]: "2 done", urls[1]: "1 failed", urls[2]: "3 failed"}
            assert dead == 3  # refused three times, then given up
            with store.engine.connect() as conn:
                error = conn.exec_driver_sql("SELECT error FROM queue WHERE url = 'https://dead.test/a/1/'").scalar()
            # robots.txt is read first: an unreachable one holds the whole host, and says so
            assert error == ("https://dead.test/a/1/: robots.txt unreadable, nothing fetched from this host: "
                             "cannot connect to dead.test (via 127.0.0.1:9): connection refused")
            view = store.get(urls[0])
            assert view is not None and view.title == "Back"


def test_worker_obeys_robots_txt_and_its_crawl_delay(synthetic: SyntheticWeb, tmp_path: Path) -> None:
    synthetic.robots = {
        "h0.test": "User-agent: *\nDisallow: /a/3/\nCrawl-delay: 0.3\n",
        "h1.test": "User-agent: repub\nDisallow: /\n\nUser-agent: *\nAllow: /\n",  # only repub refused
    }  # h2.test has none (404): everything allowed
    settings = build_settings(db=str(tmp_path / "q.db"), host_maps=[synthetic.host_map()])
    urls = synthetic.urls(9)  # h0: 0 3 6, h1: 1 4 7, h2: 2 5 8
    with Store.open(f"sqlite:///{tmp_path / 'q.db'}") as store:
        q.enqueue(store, [q.Enqueue(u, "syn") for u in urls], rate=100.0)
        options = WorkerOptions(exit_when_empty=True, lease=5, idle_sleep=0.05)
        result = Worker(store, settings, options).run()
        assert (result.done, result.failed) == (5, 4)
        assert set(synthetic.paths) == {"/h0.test/a/0/", "/h0.test/a/6/", "/h2.test/a/2/", "/h2.test/a/5/",
                                        "/h2.test/a/8/"}
        assert synthetic.robots_asked == {"h0.test": 1, "h1.test": 1, "h2.test": 1}  # once per host
        assert len(synthetic.times["h0.test"]) == 2  # its spacing: the host's interval, below
        with store.engine.connect() as conn:
            query = "SELECT url, status || ' ' || COALESCE(error, '') FROM queue"
            rows = dict(conn.exec_driver_sql(query).fetchall())
            intervals = dict(conn.exec_driver_sql("SELECT host, interval FROM host_slots").fetchall())
            refused = conn.exec_driver_sql(
                "SELECT url FROM fetch_log WHERE error_kind = 'robots' ORDER BY url").scalars().all()
        assert rows["https://h0.test/a/3/"] == "failed https://h0.test/a/3/: refused by robots.txt"
        assert rows["https://h1.test/a/4/"] == "failed https://h1.test/a/4/: refused by robots.txt"
        assert rows["https://h0.test/a/6/"] == "done "
        assert intervals == {"h0.test": 0.3, "h1.test": 0.01, "h2.test": 0.01}
        assert refused == ["https://h0.test/a/3/", "https://h1.test/a/1/", "https://h1.test/a/4/",
                           "https://h1.test/a/7/"]


def test_cli_worker_and_queue(synthetic: SyntheticWeb, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "q.db")
    monkeypatch.setenv("REPUB_HOST_MAP", synthetic.host_map())
    with Store.open(f"sqlite:///{db}") as store:
        q.enqueue(store, [q.Enqueue(u, "syn") for u in synthetic.urls(6)], rate=50.0)
    assert main(["queue", "--db", db]) == 0
    assert "queued 6" in capsys.readouterr().out
    assert main(["worker", "--db", db, "--exit-when-empty"]) == 0
    assert "6 done, 0 failed" in capsys.readouterr().out
    assert main(["queue", "--db", db, "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["done"] == 6 and stats["queued"] == 0 and len(stats["hosts"]) == 3


def test_ingest_enqueue_then_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    from fixturedata import fixture_hosts
    from test_ingest import FAST_ROBOTS, TMS_COPIES, sources_file

    with TestWeb() as web:
        robots = (200, {"Content-Type": "text/plain"}, FAST_ROBOTS)
        web.route("/www.transcend.org/robots.txt", lambda _h: robots)
        monkeypatch.setenv("REPUB_HOST_MAP", web.host_map(*fixture_hosts(), "www.e-ir.info"))
        db = str(tmp_path / "repub.db")
        sources = sources_file(tmp_path)
        assert main(["ingest", "--enqueue", "--sources", str(sources), "--db", db]) == 0
        assert "enqueued" in capsys.readouterr().out
        with Store.open(f"sqlite:///{db}") as store:
            assert store.list_articles() == []  # discovered and queued, nothing imported yet
            # the 10 copies discovered (8 with a fixture page, 2 answering 404)
            assert q.stats(store).queued == 10
        assert main(["ingest", "--enqueue", "--sources", str(sources), "--db", db]) == 0  # again: no dups
        assert "enqueued 0 URLs" in capsys.readouterr().out
        assert main(["worker", "--db", db, "--exit-when-empty"]) == 0
        with Store.open(f"sqlite:///{db}") as store:
            assert all(store.get(u) is not None for u in TMS_COPIES)
            st = q.stats(store)
            # done: 8 copies and the 5 originals with a fixture; failed: 2 copies and 2 originals (404)
            assert (st.queued, st.leased, st.done, st.failed) == (0, 0, 8 + 5, 2 + 2)
