"""Dates in ISO 8601: a date where only a date is known, a UTC datetime where a time is known."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol


class _HasIsoformat(Protocol):
    def isoformat(self) -> str: ...


def iso_date(value: object | None) -> str | None:
    """``date`` -> ``2020-10-23``; ``datetime`` -> ``2020-10-23T05:47:00Z`` in UTC.

    A naive datetime is taken as UTC: the sites whose pages give times without a zone (RT) print UTC.
    Reduced-precision values such as a year and month render their own ``isoformat()`` (``2020-12``).
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return str(value.isoformat())  # YearMonth and friends
    if isinstance(value, str):
        return value.strip() or None
    raise TypeError(f"not a date: {value!r}")


def utc_now() -> datetime:
    return datetime.now(UTC)
