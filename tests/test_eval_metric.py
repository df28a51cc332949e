"""The benchmark metric of bench/eval_extraction.py, on small hand-computed cases."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parent.parent / "bench" / "eval_extraction.py"
_spec = importlib.util.spec_from_file_location("eval_extraction", _PATH)
ev = importlib.util.module_from_spec(_spec)
sys.modules["eval_extraction"] = ev  # dataclasses look their module up
_spec.loader.exec_module(ev)


def test_shingles_of_long_short_and_empty_texts():
    assert ev.shingles("") == Counter()
    assert ev.shingles("  — , ") == Counter()
    assert ev.shingles("one") == Counter({("one",): 1})
    assert ev.shingles("one, two three!") == Counter({("one", "two", "three"): 1})
    assert ev.shingles("a b c d e") == Counter({("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1})
    assert ev.shingles("a b c d a b c d") == Counter(
        {("a", "b", "c", "d"): 2, ("b", "c", "d", "a"): 1, ("c", "d", "a", "b"): 1, ("d", "a", "b", "c"): 1}
    )


def test_tokens_are_unicode_words_with_case_kept():
    assert ev.shingles("Über naïve café") == Counter({("Über", "naïve", "café"): 1})
    assert ev.shingles("A") != ev.shingles("a")


def test_page_counts_are_normalized():
    # true: abcd bcde cdef (3); pred: abcd bcde cdeX (3) -> tp 2, fp 1, fn 1, total 4
    assert ev.page_counts("a b c d e f", "a b c d e X") == pytest.approx((0.5, 0.25, 0.25))
    assert ev.page_counts("a b c d", "a b c d") == (1.0, 0.0, 0.0)
    assert ev.page_counts("", "") == (0.0, 0.0, 0.0)
    assert ev.page_counts("a b c d", "") == (0.0, 0.0, 1.0)
    assert ev.page_counts("", "x y") == (0.0, 1.0, 0.0)
    # 1-3 token texts: one shingle of all tokens; "one two" vs "one two three" share nothing
    assert ev.page_counts("one two", "one two") == (1.0, 0.0, 0.0)
    assert ev.page_counts("one two", "one two three") == pytest.approx((0.0, 0.5, 0.5))


def test_score_is_f1_of_mean_precision_and_mean_recall():
    pages = [
        ("a b c d e f", "a b c d e X"),  # P 2/3, R 2/3
        ("a b c d", "a b c d"),  # P 1, R 1
        ("a b c d", ""),  # no prediction: recall 0, no precision
        ("", "x y"),  # nothing true: precision 0, no recall
        ("", ""),  # neither: counts for nothing
    ]
    s = ev.score(pages)
    p = (2 / 3 + 1 + 0) / 3
    r = (2 / 3 + 1 + 0) / 3
    assert s.precision == pytest.approx(p)
    assert s.recall == pytest.approx(r)
    assert s.f1 == pytest.approx(2 * p * r / (p + r))


def test_score_precision_and_recall_differ():
    # true "a b c d e" (abcd, bcde); pred "a b c d" (abcd): P 1, R 1/2 -> F1 2/3
    s = ev.score([("a b c d e", "a b c d")])
    assert (s.precision, s.recall) == (1.0, 0.5)
    assert s.f1 == pytest.approx(2 / 3)
    # repeated prediction: pred abcd x2, bcda, cdab, dabc vs true abcd -> tp 1, fp 4 -> P 1/5, R 1
    s = ev.score([("a b c d", "a b c d a b c d")])
    assert (s.precision, s.recall) == (pytest.approx(0.2), 1.0)


def test_score_of_nothing_is_zero():
    assert ev.score([]).f1 == 0.0
    assert ev.score([("", "")]).f1 == 0.0


def test_snippet_score_sums_trafilaturas_rule_over_the_pages():
    pages = [
        ev.SnippetPage("a", "https://example.org/a", "", b"", ["first  passage", "second"], ["Share this"]),
        ev.SnippetPage("b", "https://example.org/b", "", b"", ["third"], ["Menu", "Login"]),
    ]
    # page a: both passages found (whitespace-normalized), its boilerplate too; page b: no output at all
    s = ev.snippet_score(pages, ["The first passage.\n\nThe second. Share this", ""])
    assert (s.tp, s.fp, s.fn) == (2, 1, 1)
    assert s.prf == (pytest.approx(2 / 3), pytest.approx(2 / 3), pytest.approx(4 / 6))


def test_table_puts_both_sets_side_by_side_with_ratios_to_the_peer():
    peer = ev.Result("trafilatura", ev.Score(0.96, 0.94, 0.98), 50.0, snippets=ev.SnippetScore(90, 10, 5),
                     snippet_pages_per_s=30.0)
    repub = ev.Result("repub-body", ev.Score(0.97, 0.96, 0.98), 60.0, snippets=ev.SnippetScore(94, 5, 6),
                      snippet_pages_per_s=45.0, snippet_errors=1)
    lines = ev.table([peer, repub]).splitlines()
    assert lines[0].startswith("| extractor | Zyte F1 | P | R | pages/s |")
    assert "| snippets F | P | R | pages/s |" in lines[0]
    cells = [c.strip() for c in lines[3].strip("|").split("|")]
    assert cells == ["repub-body", "0.9700", "0.9600", "0.9800", "60.0", "+0.0100", "1.20",
                     "0.9447 (1 errors)", "0.9495", "0.9400", "45.0", f"{188 / 199 - 180 / 195:+.4f}", "1.50"]


def test_extractors_take_turns_and_a_page_that_raises_scores_empty():
    calls: list[str] = []

    def upper(html, url):
        calls.append("upper")
        return html.upper()

    def fails_on_b(html, url):
        calls.append("fails")
        if html == "b":
            raise ValueError(html)
        return html

    inputs = [("a", None), ("b", None), ("c", None)]
    out = ev._interleaved({"upper": upper, "fails": fails_on_b}, {"upper": inputs, "fails": inputs}, 2)
    assert out["upper"][0] == ["A", "B", "C"] and out["upper"][2] == 0
    assert out["fails"][0] == ["a", "", "c"] and out["fails"][2] == 1
    # page by page, the first turn rotating: a: upper, fails; b: fails, upper; c: upper, fails
    assert calls[:6] == ["upper", "fails", "fails", "upper", "upper", "fails"]
