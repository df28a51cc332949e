"""What a fetch outcome is called, and whether it is worth another try: decided here, once, for
ingest, resync and the workers alike.

``judge(err)`` names a failed fetch (``NAMES``); ``retry_delay`` says how long to wait before another
try, from the same ``CrawlSettings`` everywhere: in one process the ``PoliteFetcher`` waits and tries
again itself, on the workers the engine's retry strategy (``repub.worker.tasks``) schedules the job
again after that delay.
"""

from __future__ import annotations

import email.utils
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from ..discover.robots import REFUSED, refused_by_robots
from ..errors import FetchError
from .settings import CrawlSettings

TRANSIENT_KINDS = frozenset({"timeout", "connect"})
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
RETRY_AFTER_STATUSES = frozenset({429, 503})
GONE_STATUSES = frozenset({404, 410})
ROBOTS_UNREADABLE = "robots.txt unreadable, nothing fetched from this host"

# The names of failed fetches (the fetch log keeps the fetcher's own ``error_kind``):
NAMES = {
    "refused": "robots.txt disallows the URL (the site's wish: counted apart from failures)",
    "robots-unreadable": "the host's robots.txt could not be read: nothing is fetched from it (RFC 9309)",
    "bot-wall": "a bot-protection challenge or block page (repub.fetch.botwall); never retried",
    "wait": "429 or 503 with a Retry-After: the whole host waits that long (capped by max_retry_after)",
    "transient": "timeout, connection error, 429/502/503/504 without Retry-After: retried with backoff",
    "gone": "404 or 410: the page is not there",
    "wrong-type": "a discovery document of a type not asked for",
    "not-html": "a page that is not HTML",
    "failed": "any other failure (HTTP error, too large, bad URL, broken encoding...): final",
}


@dataclass(frozen=True)
class Verdict:
    name: str  # a key of NAMES
    transient: bool  # worth another try
    asked: float | None = None  # seconds the server asked us to wait (Retry-After), when it said


def judge(err: FetchError) -> Verdict:
    """The name of a failed fetch and whether another try may do better."""
    if refused_by_robots(err):
        return Verdict("refused", False)
    if err.message.startswith(ROBOTS_UNREADABLE):
        return Verdict("robots-unreadable", is_transient(err), asked_wait(err))
    if err.kind in ("bot-wall", "wrong-type", "not-html"):
        return Verdict(err.kind, False)
    if err.kind == "http" and err.status in GONE_STATUSES:
        return Verdict("gone", False)
    asked = asked_wait(err)
    if asked is not None:
        return Verdict("wait", True, asked)
    if is_transient(err):
        return Verdict("transient", True)
    return Verdict("failed", False)


def robots_unreadable(url: str, cause: FetchError) -> FetchError:
    """The failure of a URL whose host's robots.txt could not be read: the URL itself was not asked
    (no status); transient when the network failed (timeout, connection), final on an HTTP error."""
    return FetchError(url, cause.kind if cause.kind != "http" else "robots",
                      f"{ROBOTS_UNREADABLE}: {cause.message}")


def refused(url: str) -> FetchError:
    return FetchError(url, "robots", REFUSED)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or an HTTP date); None if unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() takes "²", which float() refuses
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


def is_transient(err: FetchError) -> bool:
    """Worth retrying: the server or network may do better in a moment. 4xx (but 429) never is; a
    robots.txt that could not be read is as transient as the failure that stopped it."""
    if err.kind in TRANSIENT_KINDS:
        return True
    return err.kind in ("http", "robots") and err.status in TRANSIENT_STATUSES


def asked_wait(err: FetchError) -> float | None:
    """Seconds the server asked us to wait (Retry-After on a 429/503), None when it did not say."""
    if err.status not in RETRY_AFTER_STATUSES or err.kind not in ("http", "robots"):
        return None
    return retry_after_seconds(err.retry_after)


def retry_delay(err: FetchError, tries: int, settings: CrawlSettings,
                rng: random.Random | None = None) -> float | None:
    """Seconds before another try after ``tries`` tries ended, the last in ``err``; None when the
    failure is final: not transient, ``settings.retries`` retries made already, or a Retry-After
    longer than ``settings.max_retry_after``. A Retry-After is taken as asked; otherwise the backoff
    doubles with each try (up to ``max_backoff``), spread by +-``jitter`` so clients do not come back
    in step."""
    verdict = judge(err)
    if tries > settings.retries or not verdict.transient:
        return None
    if verdict.asked is not None:
        return None if verdict.asked > settings.max_retry_after else verdict.asked
    base: float = min(settings.max_backoff, settings.backoff * 2.0 ** (tries - 1))
    return base * (rng or random).uniform(1 - settings.jitter, 1 + settings.jitter)
