"""Text reuse without a database: the fingerprint (pinned), the exact measure on real bodies, the
decision's rules, and what a copy changed.

Real bodies: the true article bodies of the Zyte set, copied to fixtures/reuse (ground-truth.json): a Forbes
article and LiveScience's own report of the same case (same names, same facts, other sentences), and
FOX Business's and Barron's reports of one earnings release (they quote the same paragraph of it).
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from repub.evidence import Evidence, confidence
from repub.reuse import compare, fingerprint, is_copy, shingles, words
from repub.reuse.changes import changes
from repub.reuse.compare import MIN_SHARED, ShingleCache, TextMatch, may_be_copy, same_text
from repub.reuse.dating import UNKNOWN, Dating, dating
from repub.reuse.decide import Candidate, Stored, choose, copies_of, sooner, which_first
from repub.reuse.fingerprint import BANDS, MIN_SHINGLES, PERMUTATIONS, SCHEME

ROOT = Path(__file__).resolve().parent.parent
TRUTH = ROOT / "fixtures" / "reuse" / "ground-truth.json"  # four pages of the Zyte set (fixtures/reuse)
FORBES = "a078b3656adc0295d0e37bd4f599342f4a0894da2451e0ef3038ac045434fef3"
LIVESCIENCE = "bd673bd7988144f0ab7b9c5e19fed140fb5aaa30d8894cb045b72d3b79a7dc54"
FOXBUSINESS = "51374560f40088e227f0053ff1bb0b8525d10a8d7bfbff1cd6033f42347fd85b"
BARRONS = "f8ff621a0b9b7646cc0d57d37416feabba2bf78ef5dd0bfc5b080f9f97bbe584"
T0 = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def bodies() -> dict[str, str]:
    if not TRUTH.exists():
        pytest.fail(f"the benchmark's true bodies are needed: {TRUTH} (fixtures/reuse)")
    truth = json.loads(TRUTH.read_text(encoding="utf-8"))
    return {key: truth[key]["articleBody"] for key in (FORBES, LIVESCIENCE, FOXBUSINESS, BARRONS)}


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n") if p.strip()]


# -- the fingerprint -----------------------------------------------------------------------------------


def test_the_stored_digest_is_pinned() -> None:
    # rensa's minimums and these band keys are stored: a release that changes them must fail here
    fp = fingerprint("The council voted on Tuesday to keep the harbour open all winter, the mayor said. " * 3)
    assert fp.scheme == SCHEME == "minhash-rensa0.5-w5-p128-r2-s17"
    assert fp.shingles == 15
    assert len(fp.signature) == 4 * PERMUTATIONS
    assert fp.minimums()[:4] == (3251468471, 3310734078, 3229677433, 3238443230)
    assert fp.bands == ()  # 15 shingles: too short to index (MIN_SHINGLES)
    longer = fingerprint(" ".join(f"word{i}" for i in range(MIN_SHINGLES + 4)))
    assert len(longer.bands) == BANDS and len(set(longer.bands)) == BANDS
    assert longer.bands[:2] == (116759350370226434, 507135323264145377)


def test_typographic_quotes_dashes_and_case_change_nothing() -> None:
    plain = 'He said "It\'s over" - and left. The END of a 10-year feud between the two families.'
    curly = "He said “It’s over” – and left. The end of a 10—year feud between the two families."
    assert words(plain) == words(curly)
    assert fingerprint(plain) == fingerprint(curly)


def test_an_empty_body_has_an_empty_fingerprint() -> None:
    fp = fingerprint("")
    assert (fp.shingles, fp.signature, fp.bands) == (0, b"", ())


# -- the exact measure on real bodies ---------------------------------------------------------------------


def test_a_cut_copy_with_a_header_and_a_disclaimer_is_a_copy(bodies: dict[str, str]) -> None:
    original = paragraphs(bodies[FORBES])
    kept = original[:10]  # the last five paragraphs cut
    copy = "\n\n".join(["By Staff Writer | Forbes – Daily Repost",
                        "The views expressed are the author's own.",
                        "19 Nov 2019 – " + kept[0], *kept[1:], "Share this: Facebook Twitter Email"])
    match = compare(copy, bodies[FORBES])
    words_kept = sum(len(p.split()) for p in kept) / sum(len(p.split()) for p in original)
    assert abs(match.coverage - words_kept) < 0.05  # the share of the original's text it carries
    assert match.share > 0.95  # almost all of it is the original's
    assert is_copy(match)
    # LSH finds it: the two fingerprints share band keys
    assert set(fingerprint(copy).bands) & set(fingerprint(bodies[FORBES]).bands)


def test_two_outlets_reports_of_one_case_are_not_copies(bodies: dict[str, str]) -> None:
    match = compare(bodies[LIVESCIENCE], bodies[FORBES])
    assert not is_copy(match) and not is_copy(match.reverse())
    assert max(match.coverage, match.share) < 0.1
    # sharing a quoted earnings-release paragraph is not copying either
    quoted = compare(bodies[FOXBUSINESS], bodies[BARRONS])
    assert quoted.shared > 40
    assert not is_copy(quoted) and not is_copy(quoted.reverse())
    assert max(quoted.coverage, quoted.share) < 0.3


def test_an_excerpt_that_is_mostly_the_originals_text_is_a_copy(bodies: dict[str, str]) -> None:
    original = paragraphs(bodies[FORBES])
    excerpt = "\n\n".join([*original[:5], "Read more at Forbes"])
    match = compare(excerpt, bodies[FORBES])
    assert 0.3 <= match.coverage < 0.5 and match.share > 0.9
    assert is_copy(match)


def _cuts(body: str) -> list[str]:
    """Copies of ``body`` keeping more or less of it, with text of their own around."""
    parts = paragraphs(body)
    n = len(parts)
    return ["\n\n".join(parts[: max(1, n * k // 10)]) + "\n\nRead more at the original outlet." * extra
            for k in (2, 3, 4, 5, 7, 10) for extra in (0, 8)]


def test_the_signature_filter_keeps_every_copy_and_drops_unrelated_pages(bodies: dict[str, str]) -> None:
    kept = dropped = 0
    for key, body in bodies.items():
        original = fingerprint(body)
        for copy in _cuts(body):
            mine = fingerprint(copy)
            plausible = may_be_copy(mine.shingles, original.shingles, mine.estimate(original))
            if same_text(compare(copy, body)):  # a copy either way: the filter must never drop it
                assert plausible, (key, len(copy))
                kept += 1
        for other_key, other in bodies.items():
            if other_key != key:
                theirs = fingerprint(other)
                assert not same_text(compare(body, other))
                dropped += not may_be_copy(original.shingles, theirs.shingles, original.estimate(theirs))
    assert kept >= 12  # cuts of each body down to the excerpts
    assert dropped == 12  # four unrelated articles, each pair both ways: all ruled out by signature


def test_the_signature_filter_from_sizes_alone() -> None:
    # a page too short to share MIN_SHARED shingles with anything is no copy whatever the estimate
    assert not may_be_copy(MIN_SHARED - 1, 1000, 1.0)
    # equal sizes: a copy shares at least half (Jaccard 1/3); an estimate of 0.1 is 5+ errors below
    assert may_be_copy(1000, 1000, 0.34) and may_be_copy(1000, 1000, 0.25)
    assert not may_be_copy(1000, 1000, 0.1)
    # a short page and a long article: the article carrying half the page (Jaccard 0.13) would do
    assert may_be_copy(300, 1000, 0.13) and may_be_copy(300, 1000, 0.05)
    assert not may_be_copy(300, 1000, 0.03)


def test_the_shingle_cache_measures_as_the_sets_do(bodies: dict[str, str]) -> None:
    cache = ShingleCache(size=2)
    texts = list(bodies.values())
    for copy in _cuts(texts[0])[:4]:
        page = {hash(shingle) for shingle in shingles(copy)}  # as the cache hashes them
        for text in texts:
            assert cache.measure(page, text) == compare(copy, text)
    assert len(cache._entries) == 2  # the two texts measured last, no more
    assert cache.hashes(texts[-1]) is cache.hashes(texts[-1])  # kept, not read again
    # bounded by bytes too: a text bigger than the budget is measured, never kept; smaller ones evict
    small = ShingleCache(size=100, max_bytes=len(cache.hashes(texts[0])) * 8 + 8)
    huge = " ".join(texts) * 3
    assert small.measure(set(small.hashes(huge)), huge).coverage == 1.0 and not small._entries
    small.hashes(texts[0])
    small.hashes(texts[1])
    assert list(small._entries) == [(len(texts[1]), hash(texts[1]))]
    assert small._bytes == len(small.hashes(texts[1])) * 8 <= small.max_bytes


def test_a_fingerprint_carries_its_shingles_hashes_for_this_process_only(bodies: dict[str, str]) -> None:
    text, other = bodies[FORBES], bodies[LIVESCIENCE]
    fp = fingerprint(text)
    assert fp.hashes is not None and fp.hashes.usable()
    assert sorted(fp.hashes.hashes) == sorted(ShingleCache().hashes(text))  # the cache's own form
    assert len(fp.hashes.hashes) == fp.shingles
    assert fp == replace(fp, hashes=None)  # not part of the stored value
    cache = ShingleCache()
    assert cache.hashes(text, fp.hashes) is fp.hashes.hashes  # taken as they are, and kept
    # hashes of the wrong text would be taken too: the store passes them only with their own body
    # (repub.store.textreuse); hashes made under another hash seed are never taken
    code = ("import pickle, sys; from repub.reuse import fingerprint; "
            "sys.stdout.buffer.write(pickle.dumps(fingerprint(sys.stdin.read()).hashes))")
    seed = "12345" if os.environ.get("PYTHONHASHSEED") != "12345" else "54321"  # never this process's
    child = subprocess.run([sys.executable, "-c", code], input=text.encode(), capture_output=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": seed})
    theirs = pickle.loads(child.stdout)
    assert theirs.probe != fp.hashes.probe and not theirs.usable()
    fresh = ShingleCache()
    assert fresh.hashes(text, theirs) is not theirs.hashes
    assert sorted(fresh.hashes(text)) == sorted(fp.hashes.hashes)
    page = set(fresh.hashes(text, theirs))
    assert fresh.measure(page, other) == compare(text, other)


# -- the decision ----------------------------------------------------------------------------------------


def stored(id_: int, url: str, published: str | None, *, original_id: int | None = None,
           original_url: str | None = None, evidence: tuple[Evidence, ...] = (),
           dated: Dating = UNKNOWN) -> Stored:
    return Stored(id=id_, url=url, published_at=published, first_seen_at=T0, original_id=original_id,
                  original_url=original_url, evidence=evidence, dating=dated)


FULL = TextMatch(similarity=0.9, coverage=0.95, share=0.95, shared=500)
ORIGINAL = "https://www.forbes.com/sites/x/2019/11/18/duvet/"
COPY = "https://www.repost.example.com/2019/11/duvet/"
SYNDICATOR = "https://syndicator.example.org/duvet/"


def test_no_link_back_the_earlier_article_of_another_site_is_the_original() -> None:
    article = stored(1, ORIGINAL, "2019-11-19")
    choice = choose(COPY, "2019-11-20", [], None, (None, None, None), [Candidate(article, FULL)], page_id=2)
    assert choice is not None and choice.by_text
    assert (choice.url, choice.original_id, choice.published_at) == (ORIGINAL, 1, "2019-11-19")
    assert [e.to_json() for e in choice.evidence] == [
        {"kind": "text-match", "detail": {"url": ORIGINAL, "similarity": 0.9, "coverage": 0.95}}]
    assert choice.confidence == confidence(choice.evidence, ORIGINAL, choice.outlet)


def test_a_later_article_or_one_of_the_same_site_or_a_partial_match_is_no_original() -> None:
    later = stored(1, ORIGINAL, "2019-11-21")
    same_site = stored(3, "https://www.repost.example.com/2019/11/other/", "2019-11-01")
    weak = TextMatch(similarity=0.1, coverage=0.2, share=0.2, shared=80)
    assert choose(COPY, "2019-11-20", [], None, (None, None, None),
                  [Candidate(later, FULL), Candidate(same_site, FULL),
                   Candidate(stored(4, ORIGINAL + "x", "2019-11-01"), weak)], page_id=2) is None


def test_a_canonical_to_an_intermediate_syndicator_gives_way_to_the_earliest_matching_article() -> None:
    canonical = Evidence("canonical", {"url": SYNDICATOR, "outlet": "syndicator.example.org"})
    article = stored(1, ORIGINAL, "2019-11-19")
    choice = choose(COPY, "2019-11-20", [canonical], None, (SYNDICATOR, "syndicator.example.org", None),
                    [Candidate(article, FULL)], page_id=2)
    assert choice is not None and (choice.url, choice.by_text) == (ORIGINAL, True)
    assert [e.kind for e in choice.evidence] == ["canonical", "text-match"]  # all the evidence kept
    # the canonical disagrees: it takes off half its strength
    assert choice.confidence == round(0.9 * 0.95 * (1 - 0.8 / 2), 2)


def test_a_go_to_original_link_stays_unless_the_text_match_is_dated_before_it() -> None:
    link = Evidence("go-to-original", {"url": SYNDICATOR, "outlet": "Syndicator", "text": "Go to Original"})
    article = stored(1, ORIGINAL, "2019-11-19")
    kept = choose(COPY, "2019-11-20", [link], None, (SYNDICATOR, "Syndicator", None),
                  [Candidate(article, FULL)], page_id=2)
    assert kept is not None and (kept.url, kept.by_text) == (SYNDICATOR, False)
    assert [e.kind for e in kept.evidence] == ["go-to-original", "text-match"]
    dated = stored(5, SYNDICATOR, "2019-11-20")
    earlier = choose(COPY, "2019-11-21", [link], dated, (SYNDICATOR, "Syndicator", None),
                     [Candidate(article, FULL)], page_id=2)
    assert earlier is not None and (earlier.url, earlier.by_text) == (ORIGINAL, True)


def test_of_an_earlier_copy_and_the_original_the_original_wins() -> None:
    original = stored(1, ORIGINAL, "2019-11-19")
    earlier_copy = stored(3, "https://mirror.example.net/duvet/", "2019-11-19", original_id=1,
                          original_url=ORIGINAL)
    choice = choose(COPY, "2019-11-22", [], None, (None, None, None),
                    [Candidate(earlier_copy, FULL), Candidate(original, FULL)], page_id=2)
    assert choice is not None and choice.url == ORIGINAL


def test_an_outlet_the_page_names_picks_its_article_among_the_matches() -> None:
    line = Evidence("text-line", {"outlet": "Forbes", "text": "This article originally appeared on Forbes."})
    other = stored(3, "https://mirror.example.net/duvet/", "2019-11-18")
    forbes = stored(1, ORIGINAL, "2019-11-19")
    choice = choose(COPY, "2019-11-22", [line], None, (None, "Forbes", None),
                    [Candidate(other, FULL), Candidate(forbes, FULL)], page_id=2)
    assert choice is not None and (choice.url, choice.outlet) == (ORIGINAL, "Forbes")


def test_which_came_first_without_dates() -> None:
    page, other = "https://a.example.com/x/", stored(1, "https://b.example.net/y/", None)
    # nothing tells: the one stored first
    assert which_first(page, None, [], other, FULL) == "other"
    # the stored one names the page's outlet: it is the copy
    naming = stored(1, "https://b.example.net/y/", None,
                    evidence=(Evidence("text-line", {"outlet": "a.example.com",
                                                     "text": "Source: a.example.com"}),))
    assert which_first(page, None, [], naming, FULL) == "page"
    # the stored one carries only part of the page's text and adds little: a cut copy
    cut = TextMatch(similarity=0.6, coverage=0.95, share=0.62, shared=300)
    assert which_first(page, None, [], other, cut) == "page"
    # a dated article comes before an undated one...
    assert which_first(page, "2020-01-02", [], other, FULL) == "page"
    assert which_first(page, None, [], stored(1, "https://b.example.net/y/", "2020-01-02"), FULL) == "other"
    # ...unless the undated one was stored before the other's day
    seen = datetime(2019, 12, 30, tzinfo=UTC)
    assert which_first(page, None, [], stored(1, "https://b.example.net/y/", "2020-01-02"), FULL,
                       page_seen=seen) == "page"


# -- how a stored date came about (repub.reuse.dating) -----------------------------------------------------

QUIET = "https://mirror.example.net/health/duvet-lung/"  # a URL without a date


def test_a_date_prefix_opening_a_copys_text_is_the_originals_day(bodies: dict[str, str]) -> None:
    original = paragraphs(bodies[FORBES])
    copy = "\n\n".join(["The views expressed are the author's own.", "18 Nov 2019 – " + original[0],
                       *original[1:]])
    how = dating("2019-11-18", copy, QUIET)
    assert how == Dating(prefix="2019-11-18", mentioned=False)
    assert how.borrowed("2019-11-18") and how.own("2019-11-18") is None
    # a date of the copy's own (a stated one, another day) stays its own
    assert how.own("2019-11-20T08:00:00+00:00") == "2019-11-20T08:00:00+00:00"
    assert dating("2019-11-20", copy, QUIET) == Dating(prefix="2019-11-18", mentioned=False)
    # a chronology opens several paragraphs with a date: no republisher's prefix
    chronology = "\n\n".join(["12 Mar 2019 – " + original[0], "3 Apr 2019 – " + original[1], *original[2:]])
    assert dating("2019-03-12", chronology, QUIET) == Dating(prefix=None, mentioned=False)
    # the original itself: no prefix, a stated time
    assert dating("2019-11-18T09:00:00-05:00", bodies[FORBES], ORIGINAL) == Dating(prefix=None,
                                                                                   mentioned=False)


def test_a_day_the_text_only_mentions_is_no_date_of_the_pages_own(bodies: dict[str, str]) -> None:
    text = paragraphs(bodies[FORBES])
    mentioned = "\n\n".join([*text[:3], text[3] + " He was first seen on 12 March 2019, the doctors wrote.",
                              *text[4:]])
    assert dating("2019-03-12", mentioned, QUIET) == Dating(prefix=None, mentioned=True)
    # the page's own URL backs it (its year and month): the page's own date
    backed = "https://mirror.example.net/2019/03/duvet-lung/"
    assert dating("2019-03-12", mentioned, backed).mentioned is False
    # a time is stated, never read off the text
    assert dating("2019-03-12T10:00:00Z", mentioned, QUIET).mentioned is False
    # htmldate reads a lone year as 1 January: the text prints "2016", not the day
    assert dating("2016-01-01", bodies[FORBES], QUIET) == Dating(prefix=None, mentioned=True)
    assert dating("2016-01-01", bodies[FORBES], "https://x.example.org/2016/01/01/duvet/").mentioned is False
    # a date line opening the text is the text's own date: a short paragraph, or a place and the date
    for line in ("Datum 12.03.2019", "Aberdeen, 12. März 2019. " + text[0]):
        assert dating("2019-03-12", "\n\n".join([line, *text]), QUIET) == Dating(prefix=None, mentioned=False)


def test_dates_are_compared_by_how_they_came_about() -> None:
    said = Dating(mentioned=True)
    # a mentioned day is a lower bound: it makes its page later, never earlier
    assert sooner("2019-03-12", said, "2019-11-18", UNKNOWN) is None
    assert sooner("2019-11-18", UNKNOWN, "2019-03-12", said) is None
    assert sooner("2019-11-25", said, "2019-11-18", UNKNOWN) == 1
    assert sooner("2019-03-12", UNKNOWN, "2019-11-18", UNKNOWN) == -1
    # against an undated page, a prefix's day (the original's) or a mentioned one is no date either
    prefixed = Dating(prefix="2019-11-18")
    assert sooner("2019-11-18", prefixed, None, UNKNOWN, T0, T0) is None
    assert sooner("2019-11-18", said, None, UNKNOWN, T0, T0) is None
    assert sooner("2019-11-18", UNKNOWN, None, UNKNOWN, T0, T0) == -1
    assert sooner("2019-11-18", prefixed, "2019-11-18T09:00:00-05:00", UNKNOWN) == 0


def test_a_copy_dated_by_its_prefix_and_stored_first_is_still_the_copy() -> None:
    prefixed = Dating(prefix="2019-11-18")
    copy = stored(1, COPY, "2019-11-18", dated=prefixed)  # stored before the original arrived
    # the original arrives: the same day, nothing named, the whole text: the prefix tells
    assert which_first(ORIGINAL, "2019-11-18", [], copy, FULL) == "page"
    assert which_first(ORIGINAL, "2019-11-18T09:00:00-05:00", [], copy, FULL) == "page"
    no_prefix = stored(1, COPY, "2019-11-18")
    assert which_first(ORIGINAL, "2019-11-18", [], no_prefix, FULL) == "other"  # the one stored first
    original = stored(2, ORIGINAL, "2019-11-18")
    assert [c.article.id for c in copies_of(original, [Candidate(copy, FULL.reverse())])] == [1]
    choice = choose(COPY, "2019-11-18", [], None, (None, None, None), [Candidate(original, FULL)], page_id=1,
                    page_dating=prefixed)
    assert choice is not None and (choice.url, choice.original_id, choice.by_text) == (ORIGINAL, 2, True)
    # the other way round: the copy arrives after its original, and is its copy
    assert which_first(COPY, "2019-11-18", [], original, FULL, page_dating=prefixed) == "other"
    # an undated page and a copy dated by its prefix: the prefixed one is the copy
    undated = stored(3, "https://b.example.net/duvet/", None)
    assert which_first(COPY, "2019-11-18", [], undated, FULL, page_dating=prefixed) == "other"
    # of an original and its prefixed copy on one day, the original comes first
    choice = choose("https://c.example.org/duvet/", "2019-11-20", [], None, (None, None, None),
                    [Candidate(copy, FULL), Candidate(original, FULL)], page_id=4)
    assert choice is not None and choice.original_id == 2


def test_an_original_stored_after_its_copy_claims_it() -> None:
    original = stored(1, ORIGINAL, "2019-11-19")
    copy = stored(2, COPY, "2019-11-20")
    found = copies_of(original, [Candidate(copy, FULL.reverse())])
    assert [(c.article.id, c.match.coverage) for c in found] == [(2, FULL.coverage)]
    # a copy already linked to it, or a page of its own site, is not claimed again
    assert copies_of(original, [Candidate(stored(2, COPY, "2019-11-20", original_id=1), FULL)]) == []
    assert copies_of(original, [Candidate(stored(2, ORIGINAL + "amp/", "2019-11-20"), FULL)]) == []


# -- what a copy changed ----------------------------------------------------------------------------------


def test_changes_name_the_new_title_the_cut_paragraphs_and_the_added_lines(bodies: dict[str, str]) -> None:
    original = paragraphs(bodies[FORBES])
    copy = "\n\n".join(["The views expressed are the author's own.",
                        "19 Nov 2019 – " + original[0], *original[1:13]])
    got = changes("How This Man’s Bedding Gave Him ‘Feather Duvet Lung’", bodies[FORBES],
                  "How this man's bedding gave him 'feather duvet lung'", copy)
    assert got.title is None  # the same words: only case and quotes differ
    assert got.cut == original[13:]
    assert got.added == ["The views expressed are the author's own.", "19 Nov 2019"]
    retitled = changes("A", bodies[FORBES], "Opinion: the duvet", bodies[FORBES])
    assert retitled.to_json() == {"title": "Opinion: the duvet", "cut": [], "added": []}


def test_shingles_of_a_short_text_are_its_words() -> None:
    assert shingles("Breaking news") == {"breaking news"}
    assert shingles("") == set()


def test_two_times_are_ordered_as_instants_whatever_their_offsets() -> None:
    from repub.reuse.decide import order

    # 10:12 in New York is 14:12 UTC: after 12:00 UTC, though "10:12" < "12:00" as text
    assert order("2023-11-02T10:12:16-04:00", "2023-11-02T12:00:00Z") == 1
    assert order("2023-11-02T12:00:00Z", "2023-11-02T10:12:16-04:00") == -1
    # late evening in New York is the next day in Berlin: the instants decide, not the days' text
    assert order("2023-11-02T23:30:00-04:00", "2023-11-03T01:00:00+02:00") == 1
    assert order("2023-11-02T14:12:16+00:00", "2023-11-02T10:12:16-04:00") == 0
    # a day, a month, or a time without an offset: the days decide, the same day is a tie
    assert order("2023-11-02", "2023-11-02T10:12:16-04:00") == 0
    assert order("2023-11", "2023-12-01") == -1
    assert order("2023-11-02T10:00:00", "2023-11-02T09:00:00") == 1
