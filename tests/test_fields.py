"""The record's fields, declared once (repub.normalize.types): JSON, versions and the store derive from it.

A field added to ``Record`` without its column, or that the store does not give back, fails here; so
does a change that would make every stored article's content hash (and so its next version) change.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, get_type_hints

import pytest
import sqlalchemy as sa

from repub.evidence import Evidence
from repub.normalize.types import OriginalLink, Record, record_json
from repub.resync import DIFF_FIELDS
from repub.store import Store, content_hash
from repub.store.columns import ORIGINAL_COLUMNS, RECORD_COLUMNS, record_of
from repub.store.models import Article

AT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def sample(cls: type, url: str) -> Any:
    """An instance of ``cls`` with a distinct, non-empty value in every field, read off the declaration."""
    values: dict[str, Any] = {}
    for f in fields(cls):
        hint = str(get_type_hints(cls)[f.name])
        if "OriginalLink" in hint:
            values[f.name] = sample(OriginalLink, "https://orig.example/a/1")
        elif "Evidence" in hint:
            values[f.name] = [Evidence("go-to-original", {"url": "https://orig.example/a/1", "text": "Go"}),
                              Evidence("byline-credit", {"outlet": "Orig", "text": "By Orig"})]
        elif "list" in hint:
            values[f.name] = [f"{f.name} one", f"{f.name} two"]
        elif "float" in hint:
            values[f.name] = 0.98
        elif f.name == "url":
            values[f.name] = url
        else:
            values[f.name] = f"{f.name}: value"
    return cls(**values)


def test_every_field_has_its_column() -> None:
    columns = set(Article.__table__.c.keys())
    assert set(RECORD_COLUMNS) <= columns
    assert set(ORIGINAL_COLUMNS.values()) <= columns
    assert "original_signal" not in columns  # the evidence is the one truth (migration 0006)


def test_every_field_survives_the_store(any_db_url: str) -> None:
    record = sample(Record, "https://copy.example/2026/11/story/")
    with Store.open(any_db_url) as store:
        store.save_article(record, fetched_at=AT, http_status=200)
        view = store.get(record.url)
        with store.engine.connect() as conn:
            table = Article.__table__
            row = conn.execute(sa.select(table).where(table.c.url == record.url)).one()
    assert record_of(row) == record
    assert view is not None
    want = record_json(record)
    want["original"].update(title=None, status="unknown", error=None)
    assert view.record == want
    shown = view.to_json()
    assert {k: shown[k] for k in want} == want
    assert view.title == "title: value" and view.credits == ["credits one", "credits two"]


def test_the_json_record_is_the_declaration_in_order() -> None:
    record = sample(Record, "https://copy.example/2026/11/story/")
    data = record_json(record)
    assert list(data) == [
        "url", "site", "extractor", "title", "authors", "credits", "org_authors", "byline", "section",
        "published_at", "modified_at", "language", "canonical_url", "lead_image", "tags", "body_text",
        "original",
    ]
    assert data["lead_image"] == {"url": "lead_image_url: value", "caption": "lead_image_caption: value",
                                  "credit": "lead_image_credit: value"}
    assert data["original"] == {
        "url": "https://orig.example/a/1", "outlet": "outlet: value", "published_at": "published_at: value",
        "evidence": [{"kind": "go-to-original", "detail": {"url": "https://orig.example/a/1", "text": "Go"}},
                     {"kind": "byline-credit", "detail": {"outlet": "Orig", "text": "By Orig"}}],
        "confidence": 0.98,
    }
    empty = record_json(Record(url="https://x.example/", site="x.example", extractor="generic"))
    assert (empty["lead_image"], empty["original"]) == (None, None)
    assert (empty["credits"], empty["org_authors"]) == ([], [])


def test_content_fields_make_versions_and_diffs() -> None:
    assert Record.CONTENT_FIELDS == (
        "title", "authors", "credits", "org_authors", "byline", "section", "published_at", "modified_at",
        "language", "lead_image_url", "lead_image_caption", "lead_image_credit", "tags", "body_text",
    )
    assert DIFF_FIELDS == Record.CONTENT_FIELDS


@pytest.mark.parametrize("credits", [[], ["Associated Press"]])
def test_a_field_added_later_leaves_stored_hashes_alone_while_empty(credits: list[str]) -> None:
    record = Record(url="https://x.example/a", site="x.example", extractor="generic", title="T",
                    authors=["Jane Roe"], credits=credits, body_text="Body.")
    # the content as versions stored it before credits existed
    before = {"title": "T", "authors": ["Jane Roe"], "byline": None, "section": None, "published_at": None,
              "modified_at": None, "language": None, "lead_image_url": None, "lead_image_caption": None,
              "lead_image_credit": None, "tags": [], "body_text": "Body."}
    if credits:
        assert record.content() == {**before, "credits": credits}
        assert content_hash(record.content()) != content_hash(before)
    else:
        assert record.content() == before
        assert content_hash(record.content()) == content_hash(before)


@pytest.mark.parametrize("org_authors", [[], ["Redaktion"]])
def test_org_authors_added_later_leave_stored_hashes_alone_while_empty(org_authors: list[str]) -> None:
    record = Record(url="https://x.example/a", site="x.example", extractor="generic", title="T",
                    org_authors=org_authors, body_text="Body.")
    # the content as versions stored it before org_authors existed
    before = {"title": "T", "authors": [], "byline": None, "section": None, "published_at": None,
              "modified_at": None, "language": None, "lead_image_url": None, "lead_image_caption": None,
              "lead_image_credit": None, "tags": [], "body_text": "Body."}
    want = {**before, "org_authors": org_authors} if org_authors else before
    assert record.content() == want
    assert (content_hash(record.content()) == content_hash(before)) is not bool(org_authors)


def test_show_prints_the_desk_that_signs_a_page_no_person_signs() -> None:
    from repub.cli.articles import _summary
    from repub.store.views import ArticleView

    desk = Record(url="https://x.example/a", site="x.example", extractor="generic", title="T",
                  org_authors=["Redaktion"], byline="Von Redaktion", body_text="Body.")
    lines = _summary(ArticleView(id=1, record=record_json(desk))).splitlines()
    assert "  signed by:  Redaktion (the site's desk or team)" in lines
    person = Record(url="https://x.example/b", site="x.example", extractor="generic", title="T",
                    authors=["Jane Roe"], body_text="Body.")
    lines = _summary(ArticleView(id=2, record=record_json(person))).splitlines()
    assert "  authors:    Jane Roe" in lines and not any("signed by" in line for line in lines)
