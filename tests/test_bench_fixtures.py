"""Metadata read by hand off ten pages of the extraction benchmark (fixtures/bench/<id>.expected.json).

The HTML is not copied: it is read from ../shared/bench/extraction/html/<id>.html.gz next to the repo
(or $REPUB_BENCH_DATA). Each expected file records the true title, people-only authors, published day,
lead image URL and republication (with the original's URL); ``known_miss`` lists the fields repub gets
wrong on that page, with the reason. The test asserts the other fields match and that the misses are
exactly the listed ones (a fixed miss must be taken off the list).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from repub.extract import extract

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = sorted((ROOT / "fixtures" / "bench").glob("*.expected.json"))
FIELDS = ("title", "authors", "published", "lead_image", "original_url")


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _found(expected: dict[str, Any]) -> dict[str, Any]:
    html_path = ROOT / "fixtures" / "bench" / f"{expected['id']}.html.gz"  # the Zyte set's page, copied
    html = gzip.decompress(html_path.read_bytes()).decode("utf-8", errors="replace")
    ex = extract(html, expected["url"])
    return {
        "title": ex.title,
        "authors": list(ex.authors),
        "published": ex.published.isoformat()[:10] if ex.published else None,
        "lead_image": ex.lead_image.url if ex.lead_image else None,
        "original_url": ex.original.url if ex.original else None,
    }


def test_ten_varied_pages() -> None:
    assert len(EXPECTED) == 10
    hosts = {_load(p)["url"].split("/")[2] for p in EXPECTED}
    assert len(hosts) == 10


@pytest.mark.parametrize("path", EXPECTED, ids=[p.name[:8] for p in EXPECTED])
def test_bench_page_metadata(path: Path) -> None:
    expected = _load(path)
    assert expected["republished"] == (expected["original_url"] is not None)
    found = _found(expected)
    wrong = {name for name in FIELDS if found[name] != expected[name]}
    listed = {miss["field"] for miss in expected["known_miss"]}
    assert all(miss.get("reason") for miss in expected["known_miss"])
    details = {name: (found[name], expected[name]) for name in wrong ^ listed}
    assert wrong == listed, f"misses differ from known_miss (found, expected): {details}"
