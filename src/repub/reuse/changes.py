"""What a copy changed of its original's text: the title, the paragraphs it cut, the lines it added.

Paragraphs are compared by their words (``repub.reuse.fingerprint.words``: case, punctuation,
typographic quotes and dashes aside), so a copy that only curls the quotes changes nothing. A paragraph
of the original is *carried* when its words run, in order, anywhere in the copy (a copy that joins two
paragraphs, or prefixes one with a date, still carries them); a line of the copy is *added* when its
words do not run in the original. A line that carries a paragraph of the original with words before or
after it (``23 Oct 2020 – The council voted…``) adds those words only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .fingerprint import words

_TOKEN = re.compile(r"\w+")


@dataclass
class Changes:
    title: str | None  # the copy's title when it is not the original's, else None
    cut: list[str] = field(default_factory=list)  # the original's paragraphs the copy does not carry
    added: list[str] = field(default_factory=list)  # the copy's own lines (or the words it put around one)

    def to_json(self) -> dict[str, object]:
        return {"title": self.title, "cut": self.cut, "added": self.added}


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n|\n", text or "") if p.strip()]


def _key(text: str) -> str:
    return " " + " ".join(words(text)) + " "


def changes(original_title: str | None, original_body: str, copy_title: str | None,
            copy_body: str) -> Changes:
    """What the copy (``copy_title``, ``copy_body``) changed of the original."""
    title = copy_title if _key(copy_title or "") != _key(original_title or "") else None
    original, copy = paragraphs(original_body), paragraphs(copy_body)
    copy_text, original_text = _key(" ".join(copy)), _key(" ".join(original))
    cut = [p for p in original if _key(p).strip() and _key(p) not in copy_text]
    added = []
    for line in copy:
        key = _key(line)
        if not key.strip() or key in original_text:
            continue
        extra = _around(line, [p for p in original if len(_key(p)) > 2 and _key(p) in key])
        if extra:
            added.extend(extra)
    return Changes(title=title, cut=cut, added=added)


def _around(line: str, inside: list[str]) -> list[str]:
    """The words of ``line`` outside the original paragraphs it carries (``inside``), as printed; the
    whole line when it carries none."""
    if not inside:
        return [line]
    tokens = list(_TOKEN.finditer(line))
    folded = [unicodedata.normalize("NFKC", t.group()).casefold() for t in tokens]
    covered = [False] * len(tokens)
    for paragraph in inside:
        want = words(paragraph)
        for start in range(len(folded) - len(want) + 1):
            if folded[start:start + len(want)] == want:
                covered[start:start + len(want)] = [True] * len(want)
                break
    out: list[str] = []
    run: list[re.Match[str]] = []
    for token, used in zip(tokens, covered, strict=True):
        if used:
            if run:
                out.append(_span(line, run))
                run = []
        else:
            run.append(token)
    if run:
        out.append(_span(line, run))
    return out


def _span(line: str, run: list[re.Match[str]]) -> str:
    """The text of ``line`` from the first to the last token of ``run``, punctuation between kept."""
    return line[run[0].start():run[-1].end()]
