"""Which fetch failures are worth another try, and when: shared by ingest and the queue workers."""

from __future__ import annotations

import email.utils
import math
import random
from datetime import UTC, datetime

from ..errors import FetchError

TRANSIENT_KINDS = frozenset({"timeout", "connect"})
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
RETRY_AFTER_STATUSES = frozenset({429, 503})


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or an HTTP date); None if unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
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
    """Worth retrying: the server or network may do better in a moment. 4xx (but 429) never is."""
    if err.kind in TRANSIENT_KINDS:
        return True
    return err.kind == "http" and err.status in TRANSIENT_STATUSES



def asked_wait(err: FetchError) -> float | None:
    """Seconds the server asked us to wait (Retry-After on a 429/503), None when it did not say."""
    if err.kind != "http" or err.status not in RETRY_AFTER_STATUSES:
        return None
    return retry_after_seconds(err.retry_after)


def retry_delay(err: FetchError, tries: int, allowed: int, *, backoff: float, max_retry_after: float,
                max_backoff: float = math.inf, jitter: float = 0.25,
                rng: random.Random | None = None) -> float | None:
    """Seconds before another try after ``tries`` tries (of ``allowed`` in all) ended in ``err``; None
    when the failure is final: not transient, no tries left, or a Retry-After longer than
    ``max_retry_after``. A Retry-After is taken as asked; otherwise ``backoff`` doubles with each try
    (up to ``max_backoff``), spread by +-``jitter`` so clients do not come back in step."""
    if tries >= allowed or not is_transient(err):
        return None
    asked = asked_wait(err)
    if asked is not None:
        return None if asked > max_retry_after else asked
    base = min(max_backoff, backoff * 2 ** (tries - 1))
    return base * (rng or random).uniform(1 - jitter, 1 + jitter)
