"""The normalize stage: an ``Extracted`` page becomes a ``Record`` in canonical form."""

from __future__ import annotations

from ..extract.types import Extracted
from .dates import iso_date, utc_now
from .text import clean_body, clean_line, clean_list
from .types import OriginalLink, Record
from .urls import BadURL, canonical_url

__all__ = [
    "BadURL", "OriginalLink", "Record", "canonical_url", "clean_body", "clean_line", "iso_date",
    "normalize", "utc_now",
]


def _canonical_or_none(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return canonical_url(url)
    except BadURL:
        return None


def normalize(page: Extracted) -> Record:
    """Canonical URLs, ISO 8601 dates, NFC text with clean whitespace, authors as a list of names.

    The record's key is the URL the page was fetched from, canonicalized; a declared canonical that
    points elsewhere is kept as data (it may be the original), never used as this page's key.
    """
    image = page.lead_image
    original = None
    if page.original is not None and (page.original.url or page.original.outlet):
        original = OriginalLink(
            url=_canonical_or_none(page.original.url),
            outlet=clean_line(page.original.outlet),
            published_at=iso_date(page.original.published),
            signal=page.original.signal,
        )
    return Record(
        url=canonical_url(page.url),
        site=page.site,
        extractor=page.extractor,
        title=clean_line(page.title),
        authors=clean_list(page.authors),
        byline=clean_line(page.byline),
        section=clean_line(page.section),
        published_at=iso_date(page.published),
        modified_at=iso_date(page.modified),
        language=clean_line(page.language.lower()) if page.language else None,
        canonical_url=_canonical_or_none(page.canonical_url),
        lead_image_url=image.url if image and image.url else None,
        lead_image_caption=clean_line(image.caption) if image else None,
        lead_image_credit=clean_line(image.credit) if image else None,
        tags=clean_list(page.tags),
        body_text=clean_body(page.body_text),
        original=original,
    )
