"""What a worker's jobs do, as procrastinate tasks on one ``App`` (``build_app``): fetch and store a
page, fetch an original, resync an article, discover a source; and, with ``repub worker --schedule``,
the scheduled ingest and resync as the engine's periodic tasks.

Every fetch goes through ``repub.crawl.PoliteFetcher`` with the host state in the database: robots.txt
shared through the database, the host's rate kept by its shared slot, a Retry-After pausing the host for
every worker. A failed fetch is not retried in the job: it raises ``Failed`` and the engine's retry
strategy (``CrawlRetry``, the same ``repub.crawl.outcomes.retry_delay`` as ingest's) schedules the job
again, or lets it fail for good. The CPU and database work of a page runs in a thread, so one worker
has ``concurrency`` jobs in flight; a database that stops answering (a PostgreSQL restart) is waited
for (``Worker.db``), not given up on.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import procrastinate
from procrastinate.jobs import Job as EngineJob
from procrastinate.retry import BaseRetryStrategy, RetryDecision

from ..crawl.outcomes import retry_delay
from ..crawl.settings import from_json
from ..errors import FetchError, RepubError
from ..store.jobs import QUEUE
from . import jobs

if TYPE_CHECKING:
    from procrastinate import JobContext

    from .worker import Worker

log = logging.getLogger("repub.worker")
DATABASE_RETRY = 10.0  # seconds before a job the database failed under (beyond Worker.db's wait) runs again
DATABASE_TRIES = 5


class Failed(Exception):
    """A job's fetch failed; ``final`` when no further try will be made (``CrawlRetry`` agrees)."""

    def __init__(self, error: RepubError, final: bool) -> None:
        super().__init__(str(error))
        self.error, self.final = error, final


class CrawlRetry(BaseRetryStrategy):
    """The engine's retry strategy for repub's jobs: a transient fetch failure is tried again after
    the job's own ``[crawl]`` backoff (or the server's Retry-After), as many times as its ``retries``;
    anything else is final. A job the database failed under is tried again a few times."""

    def get_retry_decision(self, *, exception: BaseException, job: EngineJob) -> RetryDecision | None:
        if isinstance(exception, Failed):
            if exception.final or not isinstance(exception.error, FetchError):
                return None
            crawl = from_json(job.task_kwargs.get("crawl"))  # type: ignore[arg-type]
            delay = retry_delay(exception.error, job.attempts + 1, crawl)
            return None if delay is None else RetryDecision(retry_at=_after(delay))
        if isinstance(exception, RepubError) and job.attempts + 1 < DATABASE_TRIES:
            return RetryDecision(retry_at=_after(DATABASE_RETRY))
        from .worker import lost_database  # here: worker imports this module

        if lost_database(exception) and job.attempts + 1 < DATABASE_TRIES:
            return RetryDecision(retry_at=_after(DATABASE_RETRY))  # the database went away under it
        return None


def _after(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def _worker(context: JobContext) -> Worker:
    return context.additional_context["repub"]  # type: ignore[no-any-return]


def _announced(fn: Callable[..., Awaitable[str]]) -> Callable[..., Awaitable[str]]:
    """``fn``'s end, whatever it is, announced (``Worker.announce``): its host lane is free."""

    @functools.wraps(fn)
    async def wrapper(context: JobContext, **kwargs: Any) -> str:
        try:
            return await fn(context, **kwargs)
        finally:
            _worker(context).announce()

    return wrapper


def _final(err: RepubError, context: JobContext) -> bool:
    """Whether ``err`` ends the job for good (the retry strategy decides the same)."""
    if not isinstance(err, FetchError):
        return True
    crawl = from_json(context.job.task_kwargs.get("crawl"))  # type: ignore[arg-type]
    return retry_delay(err, context.job.attempts + 1, crawl) is None


async def fetch_page(context: JobContext, url: str, source: str | None = None,
                     crawl: dict[str, Any] | None = None) -> str:
    w = _worker(context)
    if await w.db(w.stored, url):  # a page stored meanwhile (or by a job a killed worker ran): done
        return "stored already"
    try:
        page = await w.fetch(url, crawl)
        record, saved = await w.db(w.save, page, url)
    except RepubError as err:
        final = _final(err, context)
        w.count("failed" if final else "retry", err)
        raise Failed(err, final) from None
    found = await w.db(w.follow, record, saved, source, crawl)
    w.count("done")
    return f"stored{'; original queued' if found else ''}"


async def fetch_original(context: JobContext, url: str, copy_url: str, outlet: str | None = None,
                         source: str | None = None, crawl: dict[str, Any] | None = None) -> str:
    w = _worker(context)
    if await w.db(w.stored, url):
        await w.db(w.store.link_original, copy_url, url)
        return "stored already: linked"
    try:
        page = await w.fetch(url, crawl)
        await w.db(w.save, page, url, copy_url=copy_url, outlet=outlet)
    except RepubError as err:
        final = _final(err, context)
        if final:  # the copy's stub keeps the failure
            await w.db(w.importer.original_failed, url, err)
        w.count("failed" if final else "retry", err)
        raise Failed(err, final) from None
    w.count("done")
    return "stored"


async def resync_article(context: JobContext, url: str, crawl: dict[str, Any] | None = None) -> str:
    w = _worker(context)
    target = await w.db(w.target, url)
    if target is None:
        return "not stored"
    try:
        outcome, error = await w.resyncer(crawl).check_one(w.fetcher, target)
    except FetchError as err:  # transient (Resyncer.raise_transient)
        final = _final(err, context)
        w.count("failed" if final else "retry", err)
        raise Failed(err, final) from None
    w.count("failed" if outcome == "failed" else "done", error)
    return outcome


def discover_source(context: JobContext, source: str) -> str:
    """``repub ingest --enqueue --source SOURCE`` as a job (a run of its own, under the run lock)."""
    return _worker(context).discover(source)


def scheduled_ingest(context: JobContext, timestamp: int) -> str:
    """[schedule] ingest: every source's discovery queued, one job each (they run one at a time)."""
    w = _worker(context)
    names = [s.name for s in w.sources().sources]
    added = w.db_sync(w.defer, [jobs.discover_job(name) for name in names])
    return f"{added} sources to discover"


def scheduled_resync(context: JobContext, timestamp: int) -> str:
    """[schedule] resync: the articles due, one ``resync_article`` job each, on their hosts' lanes."""
    w = _worker(context)
    return f"{w.db_sync(w.queue_resync)} articles to check"


def build_app(connector: Any, *, schedule: dict[str, str] | None = None) -> procrastinate.App:
    """An App with repub's tasks on ``connector``; ``schedule`` ({"ingest"|"resync": cron}) adds the
    periodic tasks this worker defers (several schedulers defer each tick once: the engine's periodic
    defers are unique per task and time)."""
    app = procrastinate.App(connector=connector)
    retry = CrawlRetry()
    fetching: tuple[tuple[str, Callable[..., Any]], ...] = (
        (jobs.FETCH_PAGE, fetch_page), (jobs.FETCH_ORIGINAL, fetch_original),
        (jobs.RESYNC_ARTICLE, resync_article))
    for name, fn in fetching:
        app.task(name=name, queue=QUEUE, pass_context=True, retry=retry)(_announced(fn))
    app.task(name=jobs.DISCOVER_SOURCE, queue=QUEUE, pass_context=True, lock=jobs.RUN_LOCK)(discover_source)
    for what, cron in (schedule or {}).items():
        scheduled: Callable[..., str] = scheduled_ingest if what == "ingest" else scheduled_resync
        task = app.task(name=f"repub.scheduled_{what}", queue=QUEUE, pass_context=True, lock=jobs.RUN_LOCK,
                        queueing_lock=f"scheduled:{what}")(scheduled)
        app.periodic(cron=cron, periodic_id=what)(task)
    return app
