"""Dates in ISO 8601 as the page gives them: a day, or a time with the page's own UTC offset."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class _HasIsoformat(Protocol):
    def isoformat(self) -> str: ...


def iso_date(value: object | None) -> str | None:
    """``date`` -> ``2020-10-23``; ``datetime`` -> its time with the page's own offset.

    An aware time keeps its offset (``2020-02-19T04:00:10-08:00``: the day is the page's day, not the
    UTC one), UTC is written ``Z`` (``2020-10-23T05:47:00Z``), and a time the page gave without any
    zone is written without one (``2020-04-29T11:52:23``: local time, zone unknown). Seconds only.
    Reduced-precision values such as a year and month render their own ``isoformat()`` (``2020-12``).
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        text = value.replace(microsecond=0).isoformat()
        return text[:-6] + "Z" if value.utcoffset() == timedelta(0) else text
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return str(value.isoformat())  # YearMonth and friends
    if isinstance(value, str):
        return value.strip() or None
    raise TypeError(f"not a date: {value!r}")


_YEAR_MONTH = re.compile(r"^\d{4}-\d{2}$")


def instant(text: str | None) -> datetime | None:
    """A stored ISO date as a UTC instant, to order dates written with different offsets.

    ``2020-02-19T04:00:10-08:00`` and ``2020-02-19T12:00:10Z`` are the same instant; a day counts as
    its midnight UTC, a year and month as its first day, a time without a zone as UTC. None for None
    or text that is no ISO date."""
    if not text:
        return None
    text = text.strip()
    if _YEAR_MONTH.match(text):
        text += "-01"
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)
