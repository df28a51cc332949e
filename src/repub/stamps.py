"""Dates a document gives for itself, checked against the clock.

A feed entry's ``<pubDate>``, a sitemap's ``<lastmod>``, a listing's ``<time>`` and a WARC record's
WARC-Date all say when something already happened. One more than ``MAX_AHEAD`` in the future is a
broken stamp (a CMS placeholder, a misread zone, a crawler's wrong clock), whichever reader meets it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# A stamp this far ahead of the clock may still be today somewhere (time zones, a server's clock).
MAX_AHEAD = timedelta(days=1)


def in_the_future(when: datetime) -> bool:
    """Whether ``when`` (aware) lies more than ``MAX_AHEAD`` ahead of now."""
    return when - datetime.now(UTC) > MAX_AHEAD


def plausible_stamp(when: datetime | None) -> datetime | None:
    """``when`` (aware), or None when it lies in the future (``in_the_future``): as if the document
    gave no date."""
    return None if when is None or in_the_future(when) else when
