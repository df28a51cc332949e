"""Why a page is taken for a copy: evidence items and the confidence they add up to.

Every stage that links a copy to its original speaks this vocabulary: the extract stage finds evidence
on the page, the normalize stage carries it in ``Record.original``, the store keeps it as JSON beside the
link, and a later text-reuse stage adds ``text-match`` items. An item is ``{"kind": ..., "detail": {...}}``;
``detail`` is always an object, its keys depend on the kind:

============================  ======================================================================
kind                          detail
============================  ======================================================================
``go-to-original``            ``url``, ``outlet``, ``text`` ("Go to Original – rt.com"): a republisher's
                              link back
``text-line``                 ``text`` (the line), ``url`` and/or ``outlet`` it names ("This article
                              originally appeared on <a>X</a>", "Quelle: <a>…</a>", "Read the original")
``canonical``                 ``url``, ``outlet``: a ``rel=canonical`` on another outlet's site
``syndication-source``        ``url``, ``outlet``, ``tag`` (``syndication-source``, ``original-source``,
                              ``isBasedOn``)
``byline-credit``             ``outlet``, ``text``: a wire or outlet credited in the byline
``dateline``                  ``outlet``, ``text`` ("WASHINGTON (AP) —"), ``url`` when it links,
                              ``via`` ("KVELLER via JTA —": the agency it came through)
``mirror``                    ``url`` (the original), ``archive`` (host), ``timestamp``: an archive's
                              snapshot, whose own address names the original
``aggregator``                ``outlet``, ``text`` (the title suffix or "provided by" line), ``url``
``text-match``                ``similarity``, ``coverage`` (0-1), ``url``: the stored original whose
                              text the copy carries (added by the text-reuse stage, issue 17)
============================  ======================================================================

Items carried over from a database written before evidence existed (migration 0006) name the URL or
outlet stored then, with ``"migrated": true``.

Confidence (0-1) is how sure repub is that the chosen original is where the text came from, from the
kinds of the evidence and whether they agree (``confidence``):

- each kind has a strength (``STRENGTH``): how often a link of that kind alone names the true source.
  ``bench/eval_provenance.py`` prints, per kind, the share of its items on the labelled pages
  (``bench/provenance.json``) that name the right original; the strengths are kept at or below those
  shares (byline credits: 0.69 measured with the authors work's credits of 2026-12, hence 0.65);
- items that agree with the chosen original (same URL, or same outlet where no URL is given) combine
  as independent witnesses: ``1 - prod(1 - strength)``; two kinds that agree are surer than either;
- an item that points elsewhere (another URL or outlet) takes off half its own strength:
  ``* prod(1 - strength / 2)``;
- a ``text-match`` item's strength is its ``similarity * coverage``.

So a lone wire byline ("By The Associated Press") gives 0.65, a dateline and a byline naming the same
agency 0.91, a Wayback snapshot 0.99, a cross-domain canonical alone 0.80, and a canonical that
disagrees with a "Go to Original" link 0.95 * 0.6 = 0.57.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# The kinds, in the order of trust used to pick the original when several point to different places.
EVIDENCE_KINDS = (
    "mirror", "go-to-original", "text-line", "dateline", "aggregator", "byline-credit",
    "syndication-source", "canonical", "text-match",
)

STRENGTH: dict[str, float] = {
    "mirror": 0.99,
    "go-to-original": 0.95,
    "text-line": 0.9,
    "dateline": 0.75,
    "aggregator": 0.8,
    "byline-credit": 0.65,
    "syndication-source": 0.75,
    "canonical": 0.8,
}


@dataclass(frozen=True)
class Evidence:
    """One reason to take a page for a copy of ``detail``'s URL or outlet."""

    kind: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in EVIDENCE_KINDS:
            raise ValueError(f"unknown evidence kind {self.kind!r}")

    @property
    def url(self) -> str | None:
        value = self.detail.get("url")
        return value if isinstance(value, str) else None

    @property
    def outlet(self) -> str | None:
        value = self.detail.get("outlet")
        return value if isinstance(value, str) else None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "detail": dict(self.detail)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Evidence:
        return cls(str(data["kind"]), dict(data.get("detail") or {}))


def strength(item: Evidence) -> float:
    if item.kind == "text-match":
        similarity, coverage = item.detail.get("similarity"), item.detail.get("coverage")
        if isinstance(similarity, int | float) and isinstance(coverage, int | float):
            return max(0.0, min(1.0, float(similarity) * float(coverage)))
        return 0.0
    return STRENGTH[item.kind]


def agrees(item: Evidence, url: str | None, outlet: str | None) -> bool:
    """Whether ``item`` points to the original at ``url`` / of ``outlet`` (None: it names neither)."""
    if item.url and url:
        return item.url == url
    if item.outlet and outlet:
        return item.outlet.casefold() == outlet.casefold()
    # An item naming only an outlet beside an original known by URL (or the reverse) does not disagree.
    return True


def confidence(evidence: Iterable[Evidence], url: str | None, outlet: str | None) -> float:
    """How sure the link to the original at ``url`` / of ``outlet`` is (see the module docstring)."""
    doubt, against = 1.0, 1.0
    for item in evidence:
        if agrees(item, url, outlet):
            doubt *= 1.0 - strength(item)
        else:
            against *= 1.0 - strength(item) / 2
    if doubt == 1.0:
        return 0.0
    return round((1.0 - doubt) * against, 2)
