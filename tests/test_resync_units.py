"""Word diffs, durations and conditional headers: the small pure parts of repub.resync."""

from __future__ import annotations

from datetime import timedelta

import pytest

from repub.resync import conditional_headers, diff_contents, parse_duration, render, word_diff
from repub.store.history import Target


def test_word_diff_keeps_spacing_and_paragraphs() -> None:
    ops = word_diff("One two three.\n\nFour five.", "One 2 three.\n\nFour five.\n\nSix.")
    assert ops == [("=", "One "), ("-", "two"), ("+", "2"), ("=", " three.\n\nFour five."), ("+", "\n\nSix.")]
    assert render(ops) == "One [-two-]{+2+} three.\n\nFour five.{+\n\nSix.+}"


def test_render_shortens_long_unchanged_stretches() -> None:
    before = " ".join(f"w{i}" for i in range(40))
    ops = word_diff(before + " end", before + " END")
    assert render(ops, context=3) == "… w37 w38 w39 [-end-]{+END+}"
    assert render(ops, context=None) == before + " [-end-]{+END+}"


def test_shortened_render_keeps_the_spaces_next_to_a_change() -> None:
    # a stretch shortened on both sides sits between two changes: its own first and last spaces are
    # the ones next to them (issue 15 item 12: "over the past [-two-]{+three+}years")
    middle = " ".join(f"w{i}" for i in range(60))
    old = f"Over the past two years {middle} and then one more time."
    new = f"Over the past three years {middle} and then two more times."
    assert render(word_diff(old, new), context=2) == (
        "Over the past [-two-]{+three+} years w0 … and then [-one-]{+two+} more [-time.-]{+times.+}"
    )
    # a paragraph break next to a change is kept as written
    old, new = f"A b.\n\n{middle}\n\nC d.", f"A c.\n\n{middle}\n\nC e."
    assert render(word_diff(old, new), context=1) == "A [-b.-]{+c.+}\n\nw0 … C [-d.-]{+e.+}"


def test_diff_contents_compares_lists_as_lines_and_skips_equal_fields() -> None:
    old = {"title": "T", "authors": ["A", "B"], "body_text": "x", "tags": []}
    new = {"title": "T", "authors": ["A", "C"], "body_text": "x", "tags": None}
    [authors] = diff_contents(old, new)
    assert authors.to_json() == {"field": "authors", "from": "A, B", "to": "A, C",
                                 "ops": [["=", "A, "], ["-", "B"], ["+", "C"]]}


@pytest.mark.parametrize(("text", "expected"), [
    ("90s", timedelta(seconds=90)), ("30m", timedelta(minutes=30)), ("24h", timedelta(hours=24)),
    ("7d", timedelta(days=7)), ("2w", timedelta(days=14)), ("12", timedelta(hours=12)),
    (" 1.5H ", timedelta(hours=1.5)),
])
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "d7", "7 days", "-1h"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_conditional_headers() -> None:
    both = Target(url="u", etag='"e"', last_modified="Fri, 23 Oct 2020 09:15:00 GMT", version=2, status="ok")
    assert conditional_headers(both) == {
        "If-None-Match": '"e"', "If-Modified-Since": "Fri, 23 Oct 2020 09:15:00 GMT"
    }
    assert conditional_headers(Target(url="u", etag=None, last_modified=None, version=1, status="ok")) == {}
    # a stub has no content a 304 could confirm
    stub = Target(url="u", etag='"e"', last_modified=None, version=0, status="failed")
    assert conditional_headers(stub) == {}
