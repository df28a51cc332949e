"""The normalize stage: an ``Extracted`` page becomes a ``Record`` in canonical form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

from ..evidence import Evidence, confidence
from ..extract.types import Extracted, OriginalRef
from .dates import iso_date, utc_now
from .text import clean_body, clean_line, clean_list
from .types import OriginalLink, Record, record_json, spec_of
from .urls import BadURL, canonical_url

__all__ = [
    "BadURL", "OriginalLink", "Record", "canonical_url", "clean_body", "clean_line", "iso_date",
    "normalize", "record_json", "utc_now",
]


def _canonical_or_none(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return canonical_url(url)
    except BadURL:
        return None


def _language(code: str | None) -> str | None:
    return clean_line(code.lower()) if code else None


_CLEAN: dict[str, Callable[[Any], Any]] = {
    "keep": lambda value: value,
    "link": lambda value: value or None,  # an absolute URL kept as found (an image's query may matter)
    "line": clean_line,
    "list": lambda value: clean_list(list(value or [])),
    "body": clean_body,
    "date": iso_date,
    "url": _canonical_or_none,
    "language": _language,
    "evidence": lambda items: [_evidence(item) for item in items or []],
}


def _source(obj: Any, path: str) -> Any:
    """``obj.a.b`` for ``path`` "a.b"; None when a step is None."""
    for name in path.split("."):
        if obj is None:
            return None
        obj = getattr(obj, name)
    return obj


def _fields_of(cls: type, source: Any) -> dict[str, Any]:
    """Every declared field of ``cls`` read off ``source`` and cleaned as its ``Spec`` says."""
    values = {}
    for f in fields(cls):
        spec = spec_of(f)
        if spec.clean in _CLEAN:
            values[f.name] = _CLEAN[spec.clean](_source(source, spec.source or f.name))
    return values


def _evidence(item: Evidence) -> Evidence:
    """The item with its URL in canonical form (so it can be compared with the original's)."""
    url = item.detail.get("url")
    if not isinstance(url, str):
        return item
    return Evidence(item.kind, {**item.detail, "url": _canonical_or_none(url)})


def normalize_original(ref: OriginalRef | None) -> OriginalLink | None:
    """The copy's original with a canonical URL, a clean outlet, an ISO date and its confidence."""
    if ref is None or not (ref.url or ref.outlet):
        return None
    link = OriginalLink(**_fields_of(OriginalLink, ref))
    link.confidence = confidence(link.evidence, link.url, link.outlet)
    return link


def normalize(page: Extracted) -> Record:
    """Canonical URLs, ISO 8601 dates, NFC text with clean whitespace, authors as a list of names.

    The record's key is the URL the page was fetched from, canonicalized; a declared canonical that
    points elsewhere is kept as data (it may be the original), never used as this page's key.
    """
    values = _fields_of(Record, page)
    values["url"] = canonical_url(page.url)  # the key: a bad URL is an error, not a None
    return Record(**values, original=normalize_original(page.original))
