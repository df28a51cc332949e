"""The exact measure that verifies a candidate: how much of one text another carries.

Band keys only say two texts may share much; the shingle sets say how much. For a page and an earlier
article: ``coverage`` is the share of the article's shingles the page carries (what the copy kept of
the original), ``share`` the share of the page's shingles that are the article's (what the copy did
not add), ``similarity`` their Jaccard similarity.

What counts as a copy (``is_copy``), tuned on ``bench/eval_reuse.py`` (docs/reuse.md gives the
figures): it carries at least ``COVERAGE`` of the original, or it is mostly the original's text
(``SHARE``) and keeps at least ``EXCERPT_COVERAGE`` of it (an excerpt ending "Read more at…"); and
either way at least ``MIN_SHARED`` shingles, so that one shared boilerplate line or quotation never
makes two articles one. Two outlets' own reports of one event share names and facts and, now and
then, a quotation: on the 117 same-event pairs of the evaluation sets at most 14 % of either text
(23 % for two reports quoting one earnings release), below ``EXCERPT_COVERAGE`` with room to spare;
the synthetic rewrites at most 4 %.
"""

from __future__ import annotations

from dataclasses import dataclass

from .fingerprint import shingles

COVERAGE = 0.5
SHARE = 0.6
EXCERPT_COVERAGE = 0.3
MIN_SHARED = 15


@dataclass(frozen=True)
class TextMatch:
    """How a page's text relates to an earlier article's (rounded to 3 places)."""

    similarity: float  # Jaccard similarity of the two shingle sets
    coverage: float  # share of the article's text the page carries
    share: float  # share of the page's text that is the article's
    shared: int  # shingles in common

    def reverse(self) -> TextMatch:
        """The same pair seen from the other side (the article as the copy of the page)."""
        return TextMatch(self.similarity, self.share, self.coverage, self.shared)


def measure(page: set[str], article: set[str]) -> TextMatch:
    """``TextMatch`` of two shingle sets (``repub.reuse.shingles``)."""
    common = len(page & article)
    union = len(page) + len(article) - common
    return TextMatch(
        similarity=round(common / union, 3) if union else 0.0,
        coverage=round(common / len(article), 3) if article else 0.0,
        share=round(common / len(page), 3) if page else 0.0,
        shared=common,
    )


def compare(page_text: str, article_text: str) -> TextMatch:
    return measure(shingles(page_text), shingles(article_text))


def is_copy(match: TextMatch) -> bool:
    """Whether a page whose text relates so to an article carries that article's text."""
    if match.shared < MIN_SHARED:
        return False
    return match.coverage >= COVERAGE or (match.share >= SHARE and match.coverage >= EXCERPT_COVERAGE)


def same_text(match: TextMatch) -> bool:
    """Whether either of the two is a copy of the other (the direction is decided by dates)."""
    return is_copy(match) or is_copy(match.reverse())
