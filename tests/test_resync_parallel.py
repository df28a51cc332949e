"""``repub resync`` split over processes by host (repub.resync.parallel): the split itself, then real runs
of the CLI against the benchmark's fixture web (4 hosts, ETag/304, a changed variant) on real SQLite
files, one process against two, and a SIGTERM in the middle of a two-process run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from repub.resync.parallel import MIN_TARGETS_PER_PROCESS, host_of, processes_for, split_by_host
from repub.store.history import Target

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import fixture_web  # noqa: E402
import run_bench  # noqa: E402

from procs import children, wait_gone  # noqa: E402

REPUB = str(Path(sys.executable).parent / "repub")


def target(url: str) -> Target:
    return Target(url=url, etag=None, last_modified=None, version=1, status="ok")


def test_hosts_are_never_split_and_the_parts_are_balanced(monkeypatch: pytest.MonkeyPatch) -> None:
    counts = {"https://a.example": 5, "https://b.example": 3, "http://c.example": 3, "https://d.example": 1}
    targets = [target(f"{host}/{n}") for host, count in counts.items() for n in range(count)]
    parts = split_by_host(targets, 2)
    assert [[t.url for t in part] for part in parts] == [
        [f"https://a.example/{n}" for n in range(5)] + ["https://d.example/0"],
        [f"https://b.example/{n}" for n in range(3)] + [f"http://c.example/{n}" for n in range(3)],
    ]
    # at most one part a host
    assert [{host_of(t.url) for t in part} for part in split_by_host(targets, 9)] == [
        {"a.example"}, {"b.example"}, {"c.example"}, {"d.example"}]
    assert split_by_host([], 2) == []
    assert host_of("HTTPS://WWW.RT.COM:443/x") == host_of("http://www.rt.com:443/y") == "www.rt.com:443"
    # one per core, as long as each process gets a host and MIN_TARGETS_PER_PROCESS targets
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert processes_for(targets) == 1  # 12 targets
    many = [target(f"https://h{n % 3}.example/{n}") for n in range(2 * MIN_TARGETS_PER_PROCESS)]
    assert processes_for(many) == 2
    assert processes_for(many * 3) == 3  # three hosts
    assert processes_for(many, requested=5) == 3 and processes_for(many, requested=1) == 1


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, Path]:
    """20 copies and their 20 originals over 4 hosts, imported once."""
    web = tmp_path_factory.mktemp("web")
    manifest = fixture_web.generate(web, 20, 4)
    db = web / "imported.db"
    with run_bench.Server(web) as server:
        _, _, summary = run_bench.ingest(web, manifest, server.port, db, rate=10000, concurrency=4,
                                         articles=20)
    assert "new 40," in summary
    return web, manifest, db


def resync(web: Path, manifest: dict, db: Path, port: int, *args: str) -> tuple[dict, sqlite3.Connection]:
    env = run_bench.repub_env(port, manifest["hosts"], db)
    # the rate out of the way (this is about processes); robots.txt is still read, once per host
    done = subprocess.run([REPUB, "resync", "--json", "--rate", "10000", *args], env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), sqlite3.connect(db)


@pytest.mark.parametrize("variant", [0, 1], ids=["unchanged-304", "changed"])
def test_two_processes_record_what_one_records(imported: tuple[Path, dict, Path], tmp_path: Path,
                                               variant: int) -> None:
    web, manifest, db = imported
    results = {}
    with run_bench.Server(web, variant=variant) as server:
        for processes in (1, 2):
            copy = tmp_path / f"p{processes}.db"
            shutil.copy(db, copy)
            report, con = resync(web, manifest, copy, server.port, "--processes", str(processes))
            run = con.execute("SELECT id, status, options, updated, unchanged, failed FROM runs "
                              "ORDER BY id DESC LIMIT 1").fetchone()
            log = con.execute("SELECT url, status FROM fetch_log WHERE run_id = ? AND url NOT LIKE "
                              "'%/robots.txt' ORDER BY url", (run[0],)).fetchall()
            articles = con.execute("SELECT url, version, content_hash, http_status FROM articles "
                                   "ORDER BY url").fetchall()
            con.close()
            assert json.loads(run[2])["processes"] == processes
            assert run[1] == "ok"
            results[processes] = ({k: v for k, v in report.items() if k not in ("run_id", "seconds")},
                                  run[3:], log, articles)
    one, two = results[1], results[2]
    assert two == one
    report, figures, log, articles = two
    if variant == 0:
        assert report == {"checked": 40, "not_modified": 40, "unchanged": 0, "changed": 0, "moved": 0,
                          "gone": 0, "failed": 0, "refused": 0}
        assert figures == (0, 40, 0) and {status for _, status in log} == {304}
        assert {(version, status) for _, version, _, status in articles} == {(1, 304)}
    else:
        assert report["changed"] == 40 and report["checked"] == 40 and figures == (40, 0, 0)
        assert {status for _, status in log} == {200} and len(log) == 40
        assert {version for _, version, _, _ in articles} == {2}


def test_sigterm_stops_every_process_and_keeps_what_they_counted(
    imported: tuple[Path, dict, Path], tmp_path: Path
) -> None:
    web, manifest, db = imported
    copy = tmp_path / "interrupted.db"
    shutil.copy(db, copy)
    with run_bench.Server(web, variant=1) as server:  # every page changed: each check extracts and saves
        env = run_bench.repub_env(server.port, manifest["hosts"], copy)
        proc = subprocess.Popen([REPUB, "resync", "--json", "--processes", "2", "--per-host", "1",
                                 "--rate", "1000", "--concurrency", "2"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        started = _children_when_started(proc.pid)
        _wait_for_rows(copy, "SELECT COUNT(*) FROM article_versions WHERE version = 2", 3)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err
    assert len(started) == 1 and wait_gone(started) == []
    with sqlite3.connect(copy) as con:
        status, updated = con.execute("SELECT status, updated FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        logged = con.execute("SELECT COUNT(*) FROM fetch_log WHERE run_id = (SELECT MAX(id) FROM runs) "
                             "AND url NOT LIKE '%/robots.txt'").fetchone()[0]
        versions = con.execute("SELECT COUNT(*) FROM article_versions WHERE version = 2").fetchone()[0]
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    # both processes stopped early; every check counted was written. The child finishes its checks in
    # flight; SIGTERM interrupts the parent's (at most --concurrency 2) wherever they are, so a page
    # fetched, or also saved, may be missing from the figures, never the other way round
    assert status == "interrupted" and 3 <= updated < 40
    assert updated <= versions <= logged <= updated + 2


def _children_when_started(pid: int) -> list[int]:
    deadline = time.monotonic() + 60  # a hang guard, not a bound
    while time.monotonic() < deadline:
        if found := children(pid):
            return found
        time.sleep(0.01)
    raise AssertionError("no resync process was started")


def _wait_for_rows(db: Path, query: str, at_least: int) -> None:
    deadline = time.monotonic() + 60  # a hang guard, not a bound
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(db) as con:
                if con.execute(query).fetchone()[0] >= at_least:
                    return
        except sqlite3.OperationalError:
            pass
        time.sleep(0.02)
    raise AssertionError(f"never {at_least} rows: {query}")


def test_processes_must_be_at_least_one(imported: tuple[Path, dict, Path], tmp_path: Path) -> None:
    _, manifest, db = imported
    env = run_bench.repub_env(9, manifest["hosts"], db)  # nothing is fetched
    done = subprocess.run([REPUB, "resync", "--processes", "0"], env=env, capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.strip() == "repub: --processes must be at least 1"


def test_two_processes_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    # each process its own connection to the server, under the parent's run (and its advisory lock)
    import sqlalchemy as sa

    manifest = fixture_web.generate(tmp_path, 6, 4)
    with run_bench.Server(tmp_path) as server:
        env = {**run_bench.repub_env(server.port, manifest["hosts"], tmp_path / "unused.db"),
               "REPUB_DATABASE_URL": pg_url}
        env.pop("REPUB_DB")
        sources = tmp_path / "bench-sources.toml"
        run_bench.write_sources(sources, manifest["copy_hosts"], 10000, 4, 6)
        done = subprocess.run([REPUB, "ingest", "--sources", str(sources)], env=env, capture_output=True,
                              text=True)
        assert done.returncode == 0 and "new 12," in done.stdout, done.stderr
        done = subprocess.run([REPUB, "resync", "--json", "--processes", "2", "--rate", "1000"], env=env,
                              capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert (report["checked"], report["not_modified"], report["failed"]) == (12, 12, 0)
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as con:
            run_id, status, options, unchanged = con.execute(sa.text(
                "SELECT id, status, options, unchanged FROM runs ORDER BY id DESC LIMIT 1")).one()
            logged = con.execute(sa.text("SELECT COUNT(*) FROM fetch_log WHERE run_id = :r AND status = 304"),
                                 {"r": run_id}).scalar()
    finally:
        engine.dispose()
    options = options if isinstance(options, dict) else json.loads(options)
    assert (status, options["processes"], unchanged, logged) == ("ok", 2, 12, 12)
