"""Fixture pages of sites without rules, through ``extract`` and ``normalize``, against expected.json.

Only the keys an expected.json lists are compared, and of those only what the generic path is answerable
for: title, authors, published_at, language, lead image URL, original {url, outlet} and the body text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from repub.extract import extract
from repub.normalize import normalize

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sites"
RULE_SITES = ("transcend.org", "rt.com")  # read by site rules, tested with them


def _generic_cases() -> list[Path]:
    cases = []
    for expected in sorted(FIXTURES.glob("**/expected.json")):
        host = expected.relative_to(FIXTURES).parts[0].lower().removeprefix("www.")
        if host not in RULE_SITES and (expected.parent / "index.html").exists():
            cases.append(expected)
    return cases


CASES = _generic_cases()


@pytest.mark.parametrize("expected_path", CASES, ids=[str(p.parent.relative_to(FIXTURES)) for p in CASES])
def test_generic_fixture(expected_path: Path) -> None:
    expected: dict[str, Any] = json.loads(expected_path.read_text(encoding="utf-8"))
    html = (expected_path.parent / "index.html").read_text(encoding="utf-8")
    got = normalize(extract(html, expected["url"]))
    assert got.extractor == "generic"
    for key in ("title", "authors", "published_at", "language", "body_text"):
        if key in expected:
            assert getattr(got, key) == expected[key], key
    if "lead_image" in expected:
        want = expected["lead_image"]
        assert got.lead_image_url == (want or {}).get("url"), "lead_image.url"
    if "original" in expected:
        want = expected["original"]
        if want is None:
            assert got.original is None, "original"
        else:
            assert got.original is not None, "original"
            found = (got.original.url, got.original.outlet)
            assert found == (want.get("url"), want.get("outlet")), "original"
