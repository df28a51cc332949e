"""What the extract stage hands on: the fields found on one page, not yet normalized."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from repub.evidence import Evidence
from repub.extract.dates import YearMonth

# A date as found on a page: a date when only the day is known, a datetime (aware when the page gave
# a zone or a zone is known for the site, naive otherwise) when a time is known.
PageDate = date | datetime | YearMonth


@dataclass
class LeadImage:
    url: str | None = None  # the real image URL, never a lazy-load placeholder; absolute
    caption: str | None = None  # caption text without the credit
    credit: str | None = None  # "Sputnik / Ramil Sitdikov" (without the leading ©)


@dataclass
class OriginalRef:
    """Where a copy says its article first appeared."""

    url: str | None  # absolute URL of the original, None when only an outlet is known
    outlet: str | None  # "RT", "Reuters", else derived from the link's host ("rt.com")
    published: PageDate | None = None  # the original's date (e.g. TMS's "23 Oct 2020 –" prefix)
    # What gave it away, strongest first: {"kind", "detail"} items (repub.evidence).
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Extracted:
    """One article as read off one page. Field names are the same for every site."""

    url: str  # the page's real URL (final URL after redirects)
    site: str  # the site key: rule name ("transcend.org", "rt.com") or the host for generic pages
    extractor: str  # which rule and version produced this, e.g. "transcend.org@2020" or "generic"
    title: str | None = None
    authors: list[str] = field(default_factory=list)  # people only
    # Agencies and outlets the byline, dateline or a credit line names ("Associated Press", "dpa"),
    # normalized to one name per agency or outlet (data/outlets.toml); never a person, never the
    # page's own outlet ("Reuters" on reuters.com).
    credits: list[str] = field(default_factory=list)
    # The site's own desk or team that signs the page when no person does ("Redaktion", "Staff Writer",
    # "PETA-Team"): neither people nor a credit (it makes no copy).
    org_authors: list[str] = field(default_factory=list)
    byline: str | None = None  # the raw byline text as printed
    section: str | None = None
    published: PageDate | None = None  # this page's (re)publication date
    modified: PageDate | None = None
    language: str | None = None  # "en", "fr"...
    canonical_url: str | None = None  # as declared by the page (absolute), may be cross-domain
    lead_image: LeadImage | None = None
    tags: list[str] = field(default_factory=list)
    body_text: str = ""  # paragraphs separated by one blank line
    original: OriginalRef | None = None  # None when the page is not a copy
