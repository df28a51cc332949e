"""``repub.ingest.writer.Writer``, the ingest run's database thread, on a real SQLite file: saves queued
together share a transaction, a bad page fails alone, jobs and fetch-log lines keep their order, and
``shutdown`` writes what is queued even when the tasks waiting for it were cancelled (SIGTERM)."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from repub.errors import StoreError
from repub.ingest.writer import Writer
from repub.store import SaveResult, Store
from test_store_batch import copy_item, counts, line


def hold(writer: Writer) -> threading.Event:
    """Keep the writer thread busy (inside a job) until the returned event is set."""
    entered, gate = threading.Event(), threading.Event()
    writer.call(lambda: (entered.set(), gate.wait()))
    assert entered.wait(60)  # a hang, not a speed
    return gate


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'repub.db'}") as s:
        yield s


def test_saves_queued_together_share_a_transaction_and_a_bad_one_fails_alone(store: Store) -> None:
    saved: list[int] = []
    figures: list[int] = []

    async def main() -> list[SaveResult | BaseException]:
        writer = Writer(store, asyncio.get_running_loop(), after_batch=lambda: figures.append(len(saved)))
        gate = hold(writer)  # while 12 pages and their log lines queue up
        futures = []
        for n in range(12):
            writer.log(line(f"https://www.transcend.org/tms/2020/10/copy-{n}/"))
            item = copy_item(n)
            if n == 5:  # its copy link cannot be made: the page is rolled back, not the batch
                item = replace(item, stub_original=False, copy_url="https://nowhere.example/",
                               original_url=item.record.url)
            futures.append(writer.save(item, lambda r: saved.append(r.article_id)))
        gate.set()
        results = await asyncio.gather(*futures, return_exceptions=True)
        writer.shutdown()
        assert writer.batches == [12]  # one transaction for all twelve
        return results

    results = asyncio.run(main())
    assert [type(r) for r in results] == [SaveResult] * 5 + [StoreError] + [SaveResult] * 6
    assert len(saved) == 11 and figures == [11]  # counted on the writer thread, once committed
    assert counts(store) == {"articles": 22, "article_versions": 11, "raw_pages": 11, "url_aliases": 22,
                             "fetch_log": 12}
    assert [e.url for e in reversed(store.fetch_log())] == [
        f"https://www.transcend.org/tms/2020/10/copy-{n}/" for n in range(12)]  # in order


def test_a_batch_is_at_most_max_batch_pages_and_calls_run_in_order(store: Store) -> None:
    async def main() -> list[str]:
        order: list[str] = []
        writer = Writer(store, asyncio.get_running_loop(), max_batch=4)
        gate = hold(writer)
        saves = [writer.save(copy_item(n), lambda r, n=n: order.append(f"save {n}")) for n in range(6)]
        between = writer.call(lambda: order.append("call") or len(store.list_articles()))
        saves += [writer.save(copy_item(n), lambda r, n=n: order.append(f"save {n}")) for n in range(6, 8)]
        gate.set()
        await asyncio.gather(*saves)
        assert await between == 12  # the six pages queued before it (and their stubs) were written
        writer.shutdown()
        assert writer.batches == [4, 2, 2]
        return order

    assert asyncio.run(main()) == [f"save {n}" for n in range(6)] + ["call", "save 6", "save 7"]


def test_shutdown_writes_what_is_queued_though_its_tasks_were_cancelled(store: Store) -> None:
    saved: list[int] = []

    async def main() -> Writer:
        writer = Writer(store, asyncio.get_running_loop())
        gate = hold(writer)
        waiting = [asyncio.ensure_future(writer.save(copy_item(n), lambda r: saved.append(r.article_id)))
                   for n in range(3)]
        await asyncio.sleep(0)
        for task in waiting:
            task.cancel()  # what SIGTERM does to the run's tasks
        await asyncio.gather(*waiting, return_exceptions=True)
        gate.set()
        return writer

    writer = asyncio.run(main())  # the loop is closed before the writes are done
    writer.shutdown()
    assert len(saved) == 3 and counts(store)["article_versions"] == 3


def test_a_failing_call_reaches_its_caller_and_the_thread_goes_on(store: Store) -> None:
    async def main() -> None:
        writer = Writer(store, asyncio.get_running_loop())
        with pytest.raises(ZeroDivisionError):
            await writer.call(lambda: 1 / 0)
        result = await writer.save(copy_item(1))
        assert result.created
        writer.shutdown()

    asyncio.run(main())


# --- the store process (large runs: ``Writer.use_process``) -------------------------------------------


@pytest.fixture
def any_store(any_db_url: str) -> Iterator[Store]:
    with Store.open(any_db_url) as s:
        yield s


def test_the_store_process_writes_what_this_thread_writes(any_store: Store) -> None:
    store = any_store  # on SQLite and on PostgreSQL (the child opens the URL, password included)
    saved: list[int] = []

    async def main() -> tuple[list[SaveResult | BaseException], BaseException | None]:
        writer = Writer(store, asyncio.get_running_loop())
        url = store.url_for_another_process()
        assert url is not None
        writer.use_process(url)
        gate = hold(writer)
        futures = []
        for n in range(12):
            writer.log(line(f"https://www.transcend.org/tms/2020/10/copy-{n}/"))
            item = copy_item(n)
            if n == 5:  # fails alone, as in the thread (first test)
                item = replace(item, stub_original=False, copy_url="https://nowhere.example/",
                               original_url=item.record.url)
            futures.append(writer.save(item, lambda r: saved.append(r.article_id)))
        gate.set()
        results = await asyncio.gather(*futures, return_exceptions=True)
        child = writer._process
        assert child is not None and child._process.pid != os.getpid() and child._process.is_alive()
        # a batch failing as a whole (one page, no log line) raises its error in the child: same line
        alone = replace(copy_item(99), stub_original=False, copy_url="https://nowhere.example/",
                        original_url=copy_item(99).record.url)
        try:
            await writer.save(alone)
            whole: BaseException | None = None
        except StoreError as err:
            whole = err
        writer.shutdown()
        assert not child._process.is_alive()  # shutdown let it exit
        assert writer.batches == [12, 1]
        return results, whole

    results, whole = asyncio.run(main())
    assert [type(r) for r in results] == [SaveResult] * 5 + [StoreError] + [SaveResult] * 6
    assert str(results[5]) == "no article stored for https://nowhere.example/"  # as in the thread
    assert isinstance(whole, StoreError) and str(whole) == "no article stored for https://nowhere.example/"
    assert len(saved) == 11
    assert counts(store) == {"articles": 22, "article_versions": 11, "raw_pages": 11, "url_aliases": 22,
                             "fetch_log": 12}
    assert [e.url for e in reversed(store.fetch_log())] == [
        f"https://www.transcend.org/tms/2020/10/copy-{n}/" for n in range(12)]


def test_a_killed_store_process_loses_no_page(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> list[SaveResult]:
        writer = Writer(store, asyncio.get_running_loop())
        writer.use_process(store.url_for_another_process() or "")
        first = [await writer.save(copy_item(n)) for n in range(3)]
        child = writer._process
        assert child is not None
        os.kill(child._process.pid, signal.SIGKILL)  # the OOM killer, say
        child._process.join(5)
        rest = await asyncio.gather(*(writer.save(copy_item(n)) for n in range(3, 6)))
        assert writer._process is None  # this thread writes from now on
        writer.shutdown()
        return first + rest

    results = asyncio.run(main())
    assert [r.created for r in results] == [True] * 6
    assert counts(store)["article_versions"] == 6
    assert "the store process failed" in caplog.text and "writing in the run's process" in caplog.text


def test_only_a_database_on_disk_or_a_server_is_opened_by_another_process(tmp_path: Path) -> None:
    with Store.open("sqlite://") as memory:
        assert memory.url_for_another_process() is None
    with Store.open(f"sqlite:///{tmp_path / 'x.db'}") as disk:
        assert disk.url_for_another_process() == f"sqlite:///{tmp_path / 'x.db'}"
