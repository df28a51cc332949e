"""Durations typed on the command line: ``90s``, ``30m``, ``24h``, ``7d``, ``2w``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """``24h`` -> 24 hours; a bare number is hours. ValueError on anything else, and on a duration
    longer than a timedelta holds (~2.7 million years)."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            return timedelta(hours=float(text))
        match = _DURATION.match(text)
        if match is None:
            raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 30m, 24h, 7d, 2w)")
        return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])
    except OverflowError:
        raise ValueError(f"too long: {text!r}") from None


def ago(age: timedelta, now: datetime) -> datetime:
    """``now - age``; an age reaching before year 1 is the start of the calendar (nothing is older,
    everything is newer), not an error."""
    try:
        return now - age
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)
