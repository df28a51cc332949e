"""What the normalize stage hands to the store: one article record in canonical form.

A record's fields are declared once, here: each field of ``Record`` (and of ``OriginalLink``, the
object under ``original``) carries a ``Spec`` in its dataclass metadata, and the rest derives from it:

- ``normalize()`` reads each field off the ``Extracted`` page (``Spec.source``) and cleans it
  (``Spec.clean``);
- ``Record.CONTENT_FIELDS`` / ``content()``: what makes a new version (``Spec.content``);
- ``record_json``: the ``--json`` shape (``Spec.json``: ``"lead_image.url"`` goes to
  ``{"lead_image": {"url": ...}}``; a nested record such as ``original`` is an object of its own fields);
- the store (``repub.store.columns``): field ``x`` is column ``articles.x``, a field ``y`` of the nested
  ``original`` is column ``original_y``; saving and reading go through that rule, and so does
  ``ArticleView``;
- ``repub diff``'s fields are the content fields.

Adding a field: declare it here with its ``Spec``, add its column to ``repub.store.models.Article`` and a
migration (Alembic needs those written out; tests/test_fields.py checks that every field has its
column), and say what it holds in README's ``--json`` list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import Any, ClassVar

from repub.evidence import Evidence


@dataclass(frozen=True)
class Spec:
    """How one record field is found, cleaned, versioned and shown."""

    # How normalize() cleans the raw value: "line" (one line of NFC text), "list" (cleaned, de-duplicated
    # lines), "body" (paragraphs), "date" (ISO 8601), "url" (canonical URL or None), "language" (a
    # lower-case code), "link" (an absolute URL as found, or None), "evidence" (items with canonical
    # URLs), "keep" (as found), "original" (the nested OriginalLink), "derived" (computed by normalize()
    # from other fields, not read off the page: the original's confidence).
    clean: str = "keep"
    # The ``Extracted`` attribute it comes from ("published", "lead_image.caption"); "" for the same name.
    source: str = ""
    # A change of it makes a new version (extracted content, never fetch data).
    content: bool = False
    # Where it goes in the JSON record ("lead_image.url"); "" for its own name.
    json: str = ""
    # Added after versions were stored: left out of ``content()`` while empty, so stored versions keep
    # their content hash and adding the field makes no new version of every stored article.
    omit_empty: bool = False


def spec(default: Any = MISSING, *, factory: Callable[[], Any] | None = None, **options: Any) -> Any:
    """A dataclass field carrying its ``Spec``."""
    metadata = {"repub": Spec(**options)}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def spec_of(f: Field[Any]) -> Spec:
    spec: Spec = f.metadata.get("repub", Spec())
    return spec


@dataclass
class OriginalLink:
    """Where the copy came from, and why repub thinks so."""

    url: str | None = spec(None, clean="url")  # canonical URL; None when only an outlet is known
    outlet: str | None = spec(None, clean="line")  # "Associated Press", "RT", else the link's host
    published_at: str | None = spec(None, clean="date", source="published")  # the original's date, ISO 8601
    # Every reason found, strongest first ({"kind", "detail"}: repub.evidence), and how sure the link is.
    evidence: list[Evidence] = spec(factory=list, clean="evidence")
    confidence: float | None = spec(None, clean="derived")


@dataclass
class Record:
    """An article ready to store: canonical URL, ISO dates, NFC text, authors as a list of names."""

    url: str = spec(clean="url")  # canonical URL: the row key
    site: str = spec()
    extractor: str = spec()
    title: str | None = spec(None, clean="line", content=True)
    authors: list[str] = spec(factory=list, clean="list", content=True)  # people only
    # Agencies and outlets named in the byline, dateline or a credit line ("Associated Press"); never people.
    credits: list[str] = spec(factory=list, clean="list", content=True, omit_empty=True)
    # The site's own desk or team that signs the page when no person does ("Redaktion",
    # "Staff Writer", "PETA-Team"): neither a person nor a credit (it makes no copy).
    org_authors: list[str] = spec(factory=list, clean="list", content=True, omit_empty=True)
    byline: str | None = spec(None, clean="line", content=True)
    section: str | None = spec(None, clean="line", content=True)
    published_at: str | None = spec(None, clean="date", source="published", content=True)
    modified_at: str | None = spec(None, clean="date", source="modified", content=True)
    language: str | None = spec(None, clean="language", content=True)
    canonical_url: str | None = spec(None, clean="url")  # what the page declared, normalized
    lead_image_url: str | None = spec(None, clean="link", source="lead_image.url", content=True,
                                      json="lead_image.url")
    lead_image_caption: str | None = spec(None, clean="line", source="lead_image.caption", content=True,
                                          json="lead_image.caption")
    lead_image_credit: str | None = spec(None, clean="line", source="lead_image.credit", content=True,
                                         json="lead_image.credit")
    tags: list[str] = spec(factory=list, clean="list", content=True)
    body_text: str = spec("", clean="body", content=True)
    original: OriginalLink | None = spec(None, clean="original")

    # The fields whose change makes a new version (issue 4): extracted content only, never fetch data.
    CONTENT_FIELDS: ClassVar[tuple[str, ...]]
    # Content fields left out of content() while empty (see Spec.omit_empty).
    OMIT_EMPTY: ClassVar[frozenset[str]]

    def content(self) -> dict[str, Any]:
        """The content fields, as versions store and hash them."""
        out: dict[str, Any] = {}
        for name in self.CONTENT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, list):
                value = list(value)
            if value in (None, "", []) and name in self.OMIT_EMPTY:
                continue
            out[name] = value
        return out


Record.CONTENT_FIELDS = tuple(f.name for f in fields(Record) if spec_of(f).content)
Record.OMIT_EMPTY = frozenset(f.name for f in fields(Record) if spec_of(f).omit_empty)


def json_key(f: Field[Any]) -> str:
    return spec_of(f).json or f.name


def to_json_value(value: Any) -> Any:
    """A field's value in its JSON shape: nested records and evidence as objects, lists item by item."""
    if isinstance(value, Evidence):
        return value.to_json()
    if isinstance(value, OriginalLink):
        return {json_key(f): to_json_value(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list):
        return [to_json_value(v) for v in value]
    return value


def record_json(record: Record) -> dict[str, Any]:
    """The record in the shape of ``--json`` output and fixtures' expected.json, derived from the fields'
    ``Spec.json``: a dotted key groups fields into one object ("lead_image"), null when all are null."""
    out: dict[str, Any] = {}
    groups = set()
    for f in fields(record):
        key, value = json_key(f), to_json_value(getattr(record, f.name))
        if "." in key:
            group, sub = key.split(".", 1)
            out.setdefault(group, {})[sub] = value
            groups.add(group)
        else:
            out[key] = value
    for group in groups:
        if all(v is None for v in out[group].values()):
            out[group] = None
    return out
