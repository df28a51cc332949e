"""A copy beside its original, paragraph by paragraph: what the copy kept, added, cut or changed.

Paragraphs equal once spacing and Unicode forms are set aside are anchors (difflib over the two lists);
between anchors, a copy's paragraph and an original's that share most of their words are the same
paragraph changed (shown with a word-level diff, ``repub.resync.diff.word_diff``); the others were cut
from the original or added by the copy (a disclaimer, an editor's note, a "first published" line).
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass, field

from repub.resync.diff import Op, word_diff

# Two paragraphs between anchors are taken for one changed paragraph at this word similarity or above.
CHANGED_AT = 0.5


@dataclass(frozen=True)
class Row:
    kind: str  # same | changed | added | cut
    original: str | None  # the original's paragraph (None: the copy added one)
    copy: str | None  # the copy's paragraph (None: cut from the original)
    ops: list[Op] = field(default_factory=list)  # word diff, for "changed"


def paragraphs(body: str | None) -> list[str]:
    return [p.strip() for p in (body or "").split("\n\n") if p.strip()]


def _key(paragraph: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", paragraph).split())


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _key(a).split(), _key(b).split(), autojunk=False).ratio()


def align(original_body: str | None, copy_body: str | None) -> list[Row]:
    """The rows of the side-by-side view, in reading order."""
    old, new = paragraphs(original_body), paragraphs(copy_body)
    rows: list[Row] = []
    matcher = difflib.SequenceMatcher(None, [_key(p) for p in old], [_key(p) for p in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [Row("same", old[i], new[j]) for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
        else:
            rows += _pair(old[i1:i2], new[j1:j2])
    return rows


def _pair(old: list[str], new: list[str]) -> list[Row]:
    """Between two anchors: each copy paragraph takes the most similar original one still free after
    the last taken (order kept); the rest were cut or added."""
    rows: list[Row] = []
    i = 0
    for paragraph in new:
        best, best_at = 0.0, -1
        for k in range(i, len(old)):
            score = _similarity(old[k], paragraph)
            if score > best:
                best, best_at = score, k
        if best >= CHANGED_AT:
            rows += [Row("cut", p, None) for p in old[i:best_at]]
            rows.append(Row("changed", old[best_at], paragraph, word_diff(old[best_at], paragraph)))
            i = best_at + 1
        else:
            rows.append(Row("added", None, paragraph))
    rows += [Row("cut", p, None) for p in old[i:]]
    return rows


def counts(rows: list[Row]) -> dict[str, int]:
    out = {"same": 0, "changed": 0, "added": 0, "cut": 0}
    for row in rows:
        out[row.kind] += 1
    return out
