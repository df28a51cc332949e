"""What the normalize stage hands to the store: one article record in canonical form."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass
class OriginalLink:
    url: str | None  # canonical URL of the original, None when only the outlet is known
    outlet: str | None
    published_at: str | None  # ISO 8601: "2020-10-23" or "2020-10-23T05:47:00Z"
    signal: str = ""


@dataclass
class Record:
    """An article ready to store: canonical URL, ISO dates, NFC text, authors as a list of names."""

    url: str  # canonical URL: the row key
    site: str
    extractor: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    byline: str | None = None
    section: str | None = None
    published_at: str | None = None
    modified_at: str | None = None
    language: str | None = None
    canonical_url: str | None = None  # what the page declared, normalized
    lead_image_url: str | None = None
    lead_image_caption: str | None = None
    lead_image_credit: str | None = None
    tags: list[str] = field(default_factory=list)
    body_text: str = ""
    original: OriginalLink | None = None

    # The fields whose change makes a new version (issue 4): extracted content only, never fetch data.
    CONTENT_FIELDS: ClassVar[tuple[str, ...]] = (
        "title", "authors", "byline", "section", "published_at", "modified_at", "language",
        "lead_image_url", "lead_image_caption", "lead_image_credit", "tags", "body_text",
    )

    def content(self) -> dict[str, Any]:
        data = asdict(self)
        return {name: data[name] for name in self.CONTENT_FIELDS}
