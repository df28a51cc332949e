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

import math
import threading
from array import array
from collections import OrderedDict
from dataclasses import dataclass

from .fingerprint import PERMUTATIONS, ShingleHashes, hashed, shingles

COVERAGE = 0.5
SHARE = 0.6
EXCERPT_COVERAGE = 0.3
MIN_SHARED = 15
# How many standard errors below the least similarity a copy could have a MinHash estimate may fall
# before ``may_be_copy`` rules the pair out. At 3, a copy sitting exactly at that least similarity is
# dropped 0.13 % of the time, one 0.1 above it practically never; on bench/eval_reuse.py's 2,198 pages
# every link and event came out identical with and without the filter (at 3 and at 4).
MARGIN = 3.0


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
    return measure_counts(len(page & article), len(page), len(article))


def measure_counts(common: int, page: int, article: int) -> TextMatch:
    """``TextMatch`` of a page of ``page`` distinct shingles and an article of ``article`` sharing
    ``common``."""
    union = page + article - common
    return TextMatch(
        similarity=round(common / union, 3) if union else 0.0,
        coverage=round(common / article, 3) if article else 0.0,
        share=round(common / page, 3) if page else 0.0,
        shared=common,
    )


class ShingleCache:
    """The shingles of recently compared texts, each kept as the array of its shingles' hashes
    (8 bytes a shingle, ~11 KB a news article): the most recently used, at most ``size`` texts and
    ``max_bytes`` of arrays (a page of a million words is measured but not kept).

    Why: every page that arrives is measured against the stored articles its band keys find, and a
    story carried by many outlets finds the same articles again and again; reading each one's text
    into shingles costs ~1 ms (0.65 ms for a 4.5 KB body), comparing hashes ~0.05 ms. The hashes are
    Python's own ``hash`` (64 bits; never stored, so its per-process seed does not matter): two
    different shingles of two texts agree by chance about once in 10^13 comparisons of news-sized
    texts."""

    def __init__(self, size: int = 512, max_bytes: int = 8 << 20) -> None:
        self.size, self.max_bytes = size, max_bytes
        self._entries: OrderedDict[tuple[int, int], array[int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def hashes(self, text: str, known: ShingleHashes | None = None) -> array[int]:
        """The hashes of ``text``'s shingles: from the cache, else ``known`` when they are this text's
        and made in this process's hash (``ShingleHashes.usable``), else computed."""
        key = (len(text), hash(text))
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        found = known.hashes if known is not None and known.usable() else hashed(shingles(text))
        size = len(found) * found.itemsize
        if size > self.max_bytes:
            return found
        with self._lock:
            if key not in self._entries:
                self._entries[key] = found
                self._bytes += size
            while len(self._entries) > self.size or self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped) * dropped.itemsize
        return found

    def measure(self, page: set[int], text: str) -> TextMatch:
        """``measure`` of a page (its shingles' hashes: ``set(cache.hashes(page_text))``) and a text, the
        text's hashes from the cache."""
        theirs = self.hashes(text)
        return measure_counts(len(page.intersection(theirs)), len(page), len(theirs))


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


def may_be_copy(page_shingles: int, article_shingles: int, estimate: float) -> bool:
    """Whether two texts of so many distinct shingles, whose MinHash signatures estimate their Jaccard
    similarity at ``estimate``, could be a copy one of the other (``same_text``), allowing ``MARGIN``
    standard errors of the estimate.

    Why: the band lookup of a story carried by many outlets, or of pages sharing long boilerplate,
    returns dozens of candidates, and the exact measure reads each one's text again (~1 ms a body):
    on a web whose pages all shared one of three texts (the benchmark's fixture web before it was
    fixed), 40 ms a page, ten times the rest of the store's work. The signatures are stored: comparing
    them rules out most such candidates for microseconds."""
    least = [c for c in (_least_common(page_shingles, article_shingles),
                         _least_common(article_shingles, page_shingles)) if c is not None]
    if not least:
        return False
    common = min(least)
    needed = common / (page_shingles + article_shingles - common)
    error = math.sqrt(needed * (1 - needed) / PERMUTATIONS)
    return estimate >= needed - MARGIN * error


def _least_common(page: int, article: int) -> int | None:
    """The fewest shared shingles with which a page of ``page`` shingles is a copy (``is_copy``) of an
    article of ``article``; None when none would do."""
    share_rule = max(SHARE * page, EXCERPT_COVERAGE * article)
    common = max(MIN_SHARED, math.floor(min(COVERAGE * article, share_rule) * 0.999))
    return common if common <= min(page, article) else None
