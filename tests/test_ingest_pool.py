"""``repub ingest`` with its extraction in worker processes, and the bound on pages in flight.

The fixture runs are small (below the pool's threshold), so ``$REPUB_EXTRACT_POOL_MIN=0`` forces the
worker processes; the same results as on the writer thread are expected.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import test_ingest
from procs import children, opens, wait_gone
from repub.errors import ExtractError
from repub.fetch import FetchSettings, fetch_page
from repub.fetch.hostmap import parse_host_map
from repub.ingest import extraction, runner
from repub.pipeline import extract_record
from repub.store import content_hash
from repub.store.save import content_of
from test_ingest import (
    REPUB,
    TMS_COPIES,
    db_rows,
    ingest,
    slow_copies,
    sources_file,
    stored_urls,
    wait_for_articles,
)
from webserver import FIXTURE_SITES, TestWeb

web, env = test_ingest.web, test_ingest.env  # the fixtures, shared
COPY = TMS_COPIES[0]
CLIMATE_STRIKE = "tms/2019/03/schoolkids-skip-class-in-100-countries-as-global-climate-strike-takes-off"


def spy_runs(monkeypatch: pytest.MonkeyPatch) -> list[runner.Ingest]:
    seen: list[runner.Ingest] = []
    original = runner.Ingest.run

    def run(self: runner.Ingest) -> runner.IngestResult:
        seen.append(self)
        return original(self)

    monkeypatch.setattr(runner.Ingest, "run", run)
    return seen


def test_workers_store_what_the_writer_thread_stores(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(extraction.POOL_MIN_ENV, "0")
    seen = spy_runs(monkeypatch)
    code, out, err = ingest(capsys, sources_file(tmp_path), "--log-file", str(tmp_path / "ingest.log"))
    assert code == 0, err
    assert out.startswith("ingest run 1 ok: discovered 10, new 13, updated 0, failed 4, ")
    (run,) = seen
    assert run._extractor is not None  # the workers were used
    assert run._slots is not None and run._slots._value == runner.IN_FLIGHT_PER_REQUEST * 4  # all back
    db = env["REPUB_DB"]
    assert len(stored_urls(db)) == 13
    assert db_rows(db, "SELECT COUNT(*) FROM articles WHERE original_id IS NOT NULL")[0][0] == 7
    assert "failed: https://www.transcend.org/tms/2020/10/disarmament-talks-stall-again-in-geneva/" in (
        tmp_path / "ingest.log").read_text()


def test_small_runs_extract_on_the_writer_thread(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(extraction.POOL_MIN_ENV, raising=False)
    seen = spy_runs(monkeypatch)
    code, out, err = ingest(capsys, sources_file(tmp_path))
    assert code == 0 and ", new 13," in out, err
    assert seen[0]._extractor is None  # 10 URLs: no worker processes started


def test_one_page_in_flight_still_completes(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a copy's slot is given back before its original is fetched: a bound of 1 cannot deadlock
    monkeypatch.setattr(runner, "IN_FLIGHT_PER_REQUEST", 1)
    code, out, err = ingest(capsys, sources_file(tmp_path, concurrency=1))
    assert code == 0, err
    assert out.startswith("ingest run 1 ok: discovered 10, new 13, updated 0, failed 4, ")


def test_an_extraction_error_reads_the_same_from_a_worker() -> None:
    html = "<html><head></head><body></body></html>"
    with pytest.raises(ExtractError) as here:
        extract_record(html, COPY)

    async def in_worker() -> None:
        extractor = extraction.Extractor(1)
        try:
            with pytest.raises(ExtractError) as there:
                await extractor.record(html, COPY)
            assert str(there.value) == str(here.value) and str(here.value).startswith(COPY)
        finally:
            extractor.shutdown()

    asyncio.run(in_worker())


def test_a_worker_prepares_from_the_bytes_what_the_run_prepares_from_the_text() -> None:
    # Only the body crosses to a worker, which decodes it again: the same record, digest and raw page
    # as from the text the fetcher decoded, whatever the charset and however it was declared.
    saved = FIXTURE_SITES / "www.transcend.org" / CLIMATE_STRIKE
    doc = (saved / "index.html").read_text(encoding="utf-8")
    title = json.loads((saved / "expected.json").read_text(encoding="utf-8"))["title"]
    variants = {
        "utf8": (doc.encode(), "text/html; charset=utf-8"),
        "cp1252": (doc.encode("cp1252", "xmlcharrefreplace"), "text/html; charset=windows-1252"),
        "bom": (codecs.BOM_UTF8 + doc.encode(), "text/html"),
        "mislabelled": (doc.encode("cp1252", "xmlcharrefreplace"), "text/html; charset=utf-8"),
    }
    with TestWeb() as site:
        for name, (body, ctype) in variants.items():
            site.route(f"/www.transcend.org/{name}",
                       lambda _h, b=body, c=ctype: (200, {"Content-Type": c}, b))
        settings = FetchSettings(host_map=parse_host_map(site.host_map("www.transcend.org")))
        pages = {name: fetch_page(f"https://www.transcend.org/{name}", settings) for name in variants}
    assert pages["cp1252"].charset == "cp1252" and pages["bom"].text[:1] != "\ufeff"

    async def in_worker() -> None:
        extractor = extraction.Extractor(1)
        try:
            for name, page in pages.items():
                here = extraction.prepare_page(page)
                there = await extractor.prepare(page)
                assert there == here, name
                assert here.content_hash == content_hash(content_of(here.record)), name
                assert here.record.title == title, name
                assert here.raw.size == len(page.body) and here.raw.url == page.final_url, name
        finally:
            extractor.shutdown()

    asyncio.run(in_worker())


def _running_with_workers(env: dict[str, str], web: TestWeb, tmp_path: Path, *, stored: int,
                          own_group: bool = False) -> tuple[subprocess.Popen[str], dict[str, str], Path]:
    """``repub ingest`` with extraction workers over copies served slowly, once ``stored`` articles are
    in its database: the process, its environment and its sources file (``own_group``: a process group
    of its own, for a Ctrl-C sent to the group)."""
    slow_copies(web, 0.4)
    sources = sources_file(tmp_path, concurrency=1)
    env = {**env, extraction.POOL_MIN_ENV: "0"}
    proc = subprocess.Popen([REPUB, "ingest", "--sources", sources], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=own_group)
    wait_for_articles(env["REPUB_DB"], stored)
    return proc, env, sources


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_sigkill_with_workers_leaves_no_process_and_the_next_run_completes(
    env: dict[str, str], web: TestWeb, tmp_path: Path
) -> None:
    proc, env, sources = _running_with_workers(env, web, tmp_path, stored=3)
    db = env["REPUB_DB"]
    # a worker per core and the store process, forked from the run itself (repub.ingest.helpers): no
    # fork server, no multiprocessing resource tracker, nothing under the helpers
    helpers = children(proc.pid)
    assert len(helpers) == len(os.sched_getaffinity(0)) + 1
    assert [c for helper in helpers for c in children(helper)] == []
    proc.kill()
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    assert wait_gone(helpers) == []  # no worker outlives the run

    done = subprocess.run([REPUB, "ingest", "--sources", sources], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ingest run 2 ok: discovered 10, ")
    assert len(stored_urls(db)) == 13
    assert db_rows(db, "SELECT COUNT(*) FROM article_versions")[0][0] == 13
    assert db_rows(db, "PRAGMA integrity_check") == [("ok",)]


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
@pytest.mark.parametrize("how", ["sigterm", "ctrl-c"])
def test_a_run_with_forked_helpers_stops_cleanly(env: dict[str, str], web: TestWeb, tmp_path: Path,
                                                 how: str) -> None:
    # SIGTERM reaches the run alone, Ctrl-C the whole process group: either way the run finishes the
    # writes in flight through its store process, stops its helpers and records itself interrupted
    proc, env, _ = _running_with_workers(env, web, tmp_path, stored=2, own_group=True)
    db = env["REPUB_DB"]
    helpers = children(proc.pid)
    assert len(helpers) == len(os.sched_getaffinity(0)) + 1
    if how == "sigterm":
        proc.send_signal(signal.SIGTERM)
    else:
        os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)  # a hang, not a speed
    assert proc.returncode == 130, err
    assert out.startswith("ingest run 1 interrupted: discovered 10, ")
    assert wait_gone(helpers) == []
    (row,) = db_rows(db, "SELECT status, finished_at IS NOT NULL, new FROM runs")
    assert row[:2] == ("interrupted", 1) and row[2] == len(stored_urls(db))
    assert db_rows(db, "SELECT COUNT(*) FROM article_versions")[0][0] == len(stored_urls(db))
    assert db_rows(db, "PRAGMA integrity_check") == [("ok",)]


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_a_forked_worker_killed_mid_run_loses_no_page(env: dict[str, str], web: TestWeb,
                                                      tmp_path: Path) -> None:
    # the OOM killer's SIGKILL on an extraction worker: the pool breaks, the run extracts the rest in its
    # own process (repub.ingest.extraction.Extractor) and says so in one line
    proc, env, _ = _running_with_workers(env, web, tmp_path, stored=2)
    db = env["REPUB_DB"]
    # the store process has the database open, the workers not: the run closed its connections before
    # it forked them (Store.before_fork)
    helpers = {pid: opens(pid, db) for pid in children(proc.pid)}
    workers = [pid for pid, count in helpers.items() if count == 0]
    assert len(workers) == len(os.sched_getaffinity(0)) == len(helpers) - 1
    os.kill(workers[0], signal.SIGKILL)
    out, err = proc.communicate(timeout=120)  # a hang, not a speed
    assert proc.returncode == 0, err
    assert out.startswith("ingest run 1 ok: discovered 10, new 13, updated 0, failed 4, ")
    assert err.count("the extraction workers failed") == 1
    assert len(stored_urls(db)) == 13
    assert db_rows(db, "SELECT COUNT(*) FROM article_versions")[0][0] == 13
    assert db_rows(db, "PRAGMA integrity_check") == [("ok",)]


def test_a_run_on_one_core_extracts_in_its_own_process() -> None:
    """`taskset -c 0 repub ingest` (the bench's per-core figure) starts no worker or store process: on
    one core they only add work. With two cores the pool has a worker per core the run may use (its
    CPU affinity, not the machine's count); an explicit $REPUB_EXTRACT_POOL_MIN is obeyed anyway."""
    code = ("from repub.ingest.extraction import Extractor, available_cores, use_workers; "
            "e = Extractor(); print(available_cores(), use_workers(20), use_workers(21), e.workers); "
            "e.shutdown()")
    one = min(os.sched_getaffinity(0))

    def run(pinned: bool, **extra: str) -> list[str]:
        env = {k: v for k, v in os.environ.items() if k != extraction.POOL_MIN_ENV} | extra
        pin = (lambda: os.sched_setaffinity(0, {one})) if pinned else None
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env=env, preexec_fn=pin)
        return done.stdout.split()

    assert run(True) == ["1", "False", "False", "1"]
    assert run(True, **{extraction.POOL_MIN_ENV: "0"}) == ["1", "True", "True", "1"]
    cores = len(os.sched_getaffinity(0))
    assert run(False) == [str(cores), "False", str(cores > 1), str(cores)]
