"""``repub resync`` / ``reextract``: keep stored articles current and say what changed (docs/resync.md)."""

from repub.resync.diff import DIFF_FIELDS, FieldDiff, diff_contents, render, word_diff
from repub.resync.engine import (
    DEFAULT_CONCURRENCY,
    ReextractReport,
    Resyncer,
    ResyncReport,
    conditional_headers,
    reextract,
)
from repub.resync.when import parse_duration

__all__ = [
    "DEFAULT_CONCURRENCY", "DIFF_FIELDS", "FieldDiff", "ReextractReport", "ResyncReport",
    "Resyncer", "conditional_headers",
    "diff_contents", "parse_duration", "reextract", "render", "word_diff",
]
