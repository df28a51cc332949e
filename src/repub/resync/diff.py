"""Word-level diffs between two contents (versions of one article, or a copy and its original)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from repub.normalize.types import Record

# Compared field by field: every content field, in the record's order; lists (authors, tags) are
# compared as one comma-joined line.
DIFF_FIELDS = Record.CONTENT_FIELDS
# Whitespace runs are tokens too, so equal stretches come back exactly as written (paragraph breaks kept).
_TOKENS = re.compile(r"\s+|[^\s]+")

Op = tuple[str, str]  # ("=", text) | ("-", removed) | ("+", added)


@dataclass(frozen=True)
class FieldDiff:
    name: str
    old: str
    new: str
    ops: list[Op]

    def to_json(self) -> dict[str, Any]:
        return {"field": self.name, "from": self.old, "to": self.new, "ops": [list(op) for op in self.ops]}


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def word_diff(old: str, new: str) -> list[Op]:
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    ops: list[Op] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append(("=", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            ops.append(("-", "".join(a[i1:i2])))
        if j2 > j1:
            ops.append(("+", "".join(b[j1:j2])))
    return ops


def diff_contents(old: dict[str, Any], new: dict[str, Any],
                  fields: tuple[str, ...] = DIFF_FIELDS) -> list[FieldDiff]:
    """The fields that differ, each with its word-level diff."""
    out = []
    for name in fields:
        a, b = as_text(old.get(name)), as_text(new.get(name))
        if a != b:
            out.append(FieldDiff(name=name, old=a, new=b, ops=word_diff(a, b)))
    return out


def render(ops: list[Op], *, context: int | None = 12) -> str:
    """``git diff --word-diff`` style: [-removed-]{+added+}. Long equal stretches are cut to ``context``
    words either side (None: keep everything)."""
    parts = []
    last = len(ops) - 1
    for i, (kind, text) in enumerate(ops):
        if kind == "-":
            parts.append(f"[-{text}-]")
        elif kind == "+":
            parts.append(f"{{+{text}+}}")
        else:
            parts.append(text if context is None else _trim(text, context, head=i > 0, tail=i < last))
    return "".join(parts)


def _trim(text: str, context: int, *, head: bool, tail: bool) -> str:
    words = _TOKENS.findall(text)
    keep = 2 * context  # words and the spaces between them count as tokens
    if len(words) <= 2 * keep + 1:
        return text
    # Only the spacing beside the "…" is evened out: the stretch's own first and last characters sit
    # next to a change and are kept as written.
    start = "".join(words[:keep]).rstrip() + " …" if head else "…"
    end = " " + "".join(words[-keep:]).lstrip() if tail else ""
    return start + end
