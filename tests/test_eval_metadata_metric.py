"""The scoring rules of bench/eval_metadata.py (../shared/bench/metadata/README.md), on hand-made cases."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parent.parent / "bench" / "eval_metadata.py"
_spec = importlib.util.spec_from_file_location("eval_metadata", _PATH)
ev = importlib.util.module_from_spec(_spec)
sys.modules["eval_metadata"] = ev  # dataclasses look their module up
_spec.loader.exec_module(ev)


def test_exact_authors_compare_the_whole_string_and_join_lists_with_semicolons():
    assert ev.author_exact("Jane Doe", "Jane Doe")
    assert not ev.author_exact("Jane Doe", "Jane Doe ")  # upstream's trailing space counts
    assert not ev.author_exact("jane doe", "Jane Doe")
    assert ev.author_exact("Jane Doe; John Roe", ["Jane Doe", "John Roe"])
    assert not ev.author_exact("", "")
    assert not ev.author_exact(None, "Jane Doe")


def test_lenient_authors_compare_name_words():
    assert ev.name_words("Von Jane Doe und J. Roe") == frozenset({"jane", "doe", "roe"})
    assert ev.author_lenient("Jane Doe; John Roe", "JOHN ROE, Jane Doe")
    assert ev.author_lenient("FR mit dpa", "FR; mit; dpa")
    assert not ev.author_lenient("Jane Doe", "Jane Doe; John Roe")
    assert not ev.author_lenient("", "")  # an empty output never matches


def test_dates_follow_htmldates_rule():
    assert ev.date_outcome(None, "2020-01-02") == "fn"
    assert ev.date_outcome("2020-01-02", "2020-01-02") == "tp"
    assert ev.date_outcome("2020-01-03", "2020-01-02") == "fp"
    assert ev.date_outcome("2020-01-03", None) == "fp"  # a page without a date: any output is wrong
    assert ev.date_outcome(None, None) == "fn"
    assert ev.prf(8, 2, 0) == (0.8, 1.0, 16 / 18)


def test_body_snippets_are_whitespace_normalized_substrings():
    text = "First  paragraph\nhere.\n\nSecond one."
    counts = ev.snippet_counts(text, ["paragraph here.", "missing"], ["Second one.", "nav menu"])
    assert counts == (1, 1, 1, 1)
    assert ev.snippet_counts("", ["a", "b"], ["c"]) == (0, 0, 2, 1)
    assert ev.snippet_counts(None, ["a"], []) == (0, 0, 1, 0)


def test_miss_kinds_name_what_went_wrong():
    assert ev.author_miss_kind("Jane Doe", "Jane Doe") is None
    assert ev.author_miss_kind(None, "Jane Doe") == "no output"
    assert ev.author_miss_kind("Doe, Jane", "Jane Doe") == "same names, other form (lenient hit)"
    assert ev.author_miss_kind("Jane Doe", "Jane Doe; John Roe") == "names missing"
    assert ev.author_miss_kind("Jane Doe Reporter", "Jane Doe") == "extra words"
    assert ev.date_miss_kind("2020-01-03", "2020-01-02") == "one day off"
    assert ev.date_miss_kind("2019-01-02", "2020-01-02") == "other year"
    assert ev.date_miss_kind("2020-05-02", "2020-01-02") == "other day, same year"
    assert ev.date_miss_kind("2020-05-02", None) == "output where the page has no date"
