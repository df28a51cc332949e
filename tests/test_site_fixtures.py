"""Each TMS/RT fixture page through its site rule alone, against the fields the rule is responsible for.

The dispatcher (repub.extract.extract) later fills what a rule leaves empty from the page metadata;
these tests check the rule on its own, so a field the rule should read but misses shows up here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser

from fixturedata import Fixture, all_fixtures
from repub.extract.dates import YearMonth
from repub.extract.rules import find_rule
from repub.extract.types import Extracted

RULE_SITES = ("transcend.org", "rt.com")
FIXTURES = [f for f in all_fixtures() if f.expected.get("site") in RULE_SITES]


def iso(value: date | datetime | YearMonth | None) -> str | None:
    """The ISO form expected.json uses: 2020-10-23, 2020-12, or 2020-10-23T05:47:00Z for aware times."""
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def actual_fields(ex: Extracted) -> dict[str, Any]:
    image = ex.lead_image
    original = ex.original
    return {
        "title": ex.title,
        "authors": ex.authors,
        "byline": ex.byline,
        "section": ex.section,
        "published_at": iso(ex.published),
        "lead_image": None if image is None else
        {"url": image.url, "caption": image.caption, "credit": image.credit},
        "tags": ex.tags,
        "body_text": ex.body_text,
        "original": None if original is None else
        {"url": original.url, "outlet": original.outlet, "published_at": iso(original.published)},
    }


@pytest.mark.skipif(not FIXTURES, reason="no transcend.org / rt.com fixtures yet")
@pytest.mark.parametrize("fixture", FIXTURES, ids=str)
def test_rule_reads_fixture(fixture: Fixture) -> None:
    rule = find_rule(fixture.url)
    assert rule is not None, f"no rule for {fixture.url}"
    ex = rule.extract(LexborHTMLParser(fixture.page.read_text(encoding="utf-8")), fixture.url)
    assert ex.site == fixture.expected["site"]
    got = actual_fields(ex)
    for key, want in fixture.expected.items():
        if key not in got:
            continue  # language, canonical, modified...: filled by the dispatcher from metadata
        if isinstance(want, dict) and isinstance(got[key], dict):
            for sub, sub_want in want.items():
                assert got[key].get(sub) == sub_want, f"{key}.{sub}"
        else:
            assert got[key] == want, key
