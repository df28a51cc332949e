"""Saved real pages (fixtures/real/) through extract and normalize, against the record beside each page.

Only the keys a page's JSON lists under ``expected`` are compared; nested objects only by the keys they
list. A long body is checked by parts: ``body_starts`` / ``body_ends`` (its first / last characters),
``body_contains`` / ``body_excludes`` (lists of passages it must / must not hold). See
fixtures/real/README.md.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from repub.extract import extract
from repub.fetch.charset import decode_html
from repub.normalize import normalize, record_json

REAL = Path(__file__).resolve().parent.parent / "fixtures" / "real"
CASES = sorted(REAL.glob("*.json"))


def test_every_saved_page_has_its_record_and_a_source():
    pages = {p.name.removesuffix(".html.gz") for p in REAL.glob("*.html.gz")}
    records = {p.stem for p in CASES}
    assert pages == records
    for path in CASES:
        case = json.loads(path.read_text(encoding="utf-8"))
        missing = [k for k in ("source", "fault", "url", "expected") if not case.get(k)]
        assert missing == [], path.name


def _compare(got: Any, want: Any, where: str) -> None:
    if isinstance(want, dict) and isinstance(got, dict):
        for key, value in want.items():
            _compare(got.get(key), value, f"{where}.{key}")
    elif isinstance(want, list) and want and all(isinstance(w, dict) for w in want):
        # a list of objects (original.evidence): as many items, each compared by the keys it lists
        assert isinstance(got, list) and len(got) == len(want), f"{where}: {got!r}"
        for n, (item, wanted) in enumerate(zip(got, want, strict=True)):
            _compare(item, wanted, f"{where}[{n}]")
    else:
        assert got == want, where


# Checks of the body by parts (a long body is not written out whole in a fixture).
BODY_PARTS = {
    "body_starts": lambda body, want: body.startswith(want),
    "body_ends": lambda body, want: body.endswith(want),
    "body_contains": lambda body, want: [w for w in want if w not in body] == [],
    "body_excludes": lambda body, want: [w for w in want if w in body] == [],
}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_real_page(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    raw = gzip.decompress(path.with_name(path.stem + ".html.gz").read_bytes())
    html, _ = decode_html(raw, case.get("content_type", ""))
    got = record_json(normalize(extract(html, case["url"])))
    for key, want in case["expected"].items():
        if key in BODY_PARTS:
            assert want, key  # an empty part would pass on any body
            body = got["body_text"]
            assert BODY_PARTS[key](body, want), (key, body[:300], body[-300:])
        elif want is None:
            assert got.get(key) is None, key
        else:
            _compare(got.get(key), want, key)
