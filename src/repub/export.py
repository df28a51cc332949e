"""Articles out as files: JSON Lines and CSV of the ``--json`` record, streamed.

``repub export`` and ``repub serve``'s export links both write through here, from
``repub.store.search.iter_views`` (a batch of rows at a time), so an export of any size takes the memory
of one batch. A JSONL line is exactly what ``repub list --json`` prints for the article. A CSV row holds
the same record flattened one level: ``lead_image.url``, ``original.evidence``…; values that are lists
or objects (authors, tags, evidence, republications) are their JSON text; null is the empty cell.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import fields
from typing import Any

from repub.normalize.types import OriginalLink, Record, json_key
from repub.store.views import ArticleView

FORMATS = ("jsonl", "csv")
MEDIA_TYPES = {"jsonl": "application/x-ndjson; charset=utf-8", "csv": "text/csv; charset=utf-8"}
# What the store adds to a copy's ``original`` beside the fields it printed (repub.store.store._view_of).
ORIGINAL_EXTRAS = ("title", "status", "error")
CHUNK = 512 * 1024  # characters gathered before a piece is handed on: fewer writes, and for the API fewer
# trips of the stream through the thread pool and fewer HTTP chunks (64 KiB: 4,562-5,044 articles/s by
# /api/export, 512 KiB: 5,428-6,127, two runs each at 100k; memory stays one chunk)
# json.dumps(value, ensure_ascii=False) makes a new encoder per call (any option but the defaults does):
# one made once writes the same text, ~8 us less per record and per list cell.
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def csv_columns() -> list[str]:
    """The CSV header: the record's JSON keys in order, nested objects flattened as ``group.key``."""
    columns = ["id"]
    for f in fields(Record):
        key = json_key(f)
        if f.name == "original":
            columns += [f"original.{json_key(g)}" for g in fields(OriginalLink)]
            columns += [f"original.{extra}" for extra in ORIGINAL_EXTRAS]
        elif key not in columns:
            columns.append(key)
    columns += [f.name for f in fields(ArticleView) if f.name not in ("id", "record")]
    return columns


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    """A ``--json`` record with its objects spread one level (``lead_image`` -> ``lead_image.url``…)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key in ("lead_image", "original"):
            for sub, item in (value or {}).items():
                out[f"{key}.{sub}"] = item
        else:
            out[key] = value
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if type(value) is str:
        return value
    if isinstance(value, list | dict):
        return _ENCODE(value)
    return str(value)


def jsonl_lines(views: Iterable[ArticleView]) -> Iterator[str]:
    for view in views:
        yield _ENCODE(view.to_json()) + "\n"


def csv_field(text: str) -> str:
    """One field as ``csv.writer`` (the default dialect, QUOTE_MINIMAL, lineterminator "\\r\\n")
    writes it: quoted, inner quotes doubled, when it holds a quote, a comma or a line break. Written
    here because the csv module walks a field character by character in its own buffer: two thirds
    of a CSV export's CPU went to ``writerow`` for bodies of a few kB, against a few substring tests
    and one ``replace`` (tests/test_export_records.py compares both over every row and random text)."""
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def csv_lines(views: Iterable[ArticleView]) -> Iterator[str]:
    columns = csv_columns()
    yield ",".join(map(csv_field, columns)) + "\r\n"
    for view in views:
        flat = flatten(view.to_json())
        # (most cells are text or empty: said inline, _cell for the rest)
        yield ",".join([csv_field("" if v is None else v if type(v) is str else _cell(v))
                        for v in map(flat.get, columns)]) + "\r\n"


def lines(views: Iterable[ArticleView], fmt: str) -> Iterator[str]:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (one of: {', '.join(FORMATS)})")
    return jsonl_lines(views) if fmt == "jsonl" else csv_lines(views)


def chunks(pieces: Iterable[str]) -> Iterator[str]:
    """``pieces`` joined into chunks of about CHUNK characters."""
    gathered: list[str] = []
    size = 0
    for piece in pieces:
        gathered.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield "".join(gathered)
            gathered, size = [], 0
    if gathered:
        yield "".join(gathered)
