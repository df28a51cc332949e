"""The evidence vocabulary and the confidence scale (repub.evidence), as documented there."""

from __future__ import annotations

import pytest

from repub.evidence import EVIDENCE_KINDS, STRENGTH, Evidence, confidence


def test_every_kind_but_text_match_has_a_strength() -> None:
    assert set(STRENGTH) == set(EVIDENCE_KINDS) - {"text-match"}
    assert all(0 < s < 1 for s in STRENGTH.values())
    with pytest.raises(ValueError, match="unknown evidence kind"):
        Evidence("rumour", {})


def test_the_documented_examples() -> None:
    byline = Evidence("byline-credit", {"outlet": "Associated Press"})
    dateline = Evidence("dateline", {"outlet": "Associated Press", "text": "WASHINGTON (AP) —"})
    assert confidence([byline], None, "Associated Press") == 0.65
    assert confidence([dateline, byline], None, "Associated Press") == 0.91  # two witnesses agree
    assert confidence([Evidence("mirror", {"url": "http://a.example/x"})], "http://a.example/x", None) == 0.99
    link = Evidence("go-to-original", {"url": "https://rt.example/a"})
    elsewhere = Evidence("canonical", {"url": "https://syndicator.example/a"})
    assert confidence([link, elsewhere], "https://rt.example/a", "RT") == 0.57  # one disagrees
    assert confidence([], None, "RT") == 0.0


def test_an_item_naming_only_an_outlet_does_not_disagree_with_a_url() -> None:
    url = "https://www.cnn.com/2019/11/18/health/x/index.html"
    items = [Evidence("canonical", {"url": url, "outlet": "CNN"}),
             Evidence("byline-credit", {"outlet": "CNN"})]
    assert confidence(items, url, "CNN") == 0.93


def test_text_match_items_weigh_their_similarity_and_coverage() -> None:
    # issue 17 adds text-match evidence: detail {similarity, coverage, url}
    url = "https://orig.example/a"
    match = Evidence("text-match", {"url": url, "similarity": 0.9, "coverage": 0.5})
    assert confidence([match], url, None) == 0.45
    assert confidence([Evidence("text-match", {"url": url})], url, None) == 0.0
    assert Evidence.from_json(match.to_json()) == match
