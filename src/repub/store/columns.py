"""A record's fields as article columns, derived from the one declaration (``repub.normalize.types``).

The rule: a field ``x`` of ``Record`` is the column ``articles.x``; a field ``y`` of the nested
``OriginalLink`` is ``articles.original_y``; ``url`` is the row's key and ``original`` is written by the
save path (it also links the row), so neither is among ``RECORD_COLUMNS``. Values are stored as the JSON
record shows them (evidence as ``{"kind", "detail"}`` objects). ``tests/test_fields.py`` checks that the
models have every column this rule names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from functools import partial
from typing import Any

from repub.evidence import Evidence
from repub.normalize.types import OriginalLink, Record, json_key, to_json_value

_KEY, _NESTED = "url", "original"
RECORD_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Record) if f.name not in (_KEY, _NESTED))
ORIGINAL_COLUMNS: dict[str, str] = {f.name: f"original_{f.name}" for f in fields(OriginalLink)}
# Fields whose empty value is a list: a row read back (or a stub) shows [] for them, never None.
_LISTS = frozenset(f.name for f in fields(Record) if f.default_factory is list)
_ORIGINAL_LISTS = frozenset(f.name for f in fields(OriginalLink) if f.default_factory is list)


def record_values(record: Record) -> dict[str, Any]:
    """The column values of ``record``'s fields, but its key and its original."""
    return {name: to_json_value(getattr(record, name)) for name in RECORD_COLUMNS}


def original_values(link: OriginalLink) -> dict[str, Any]:
    """The ``original_*`` column values of ``link``; its URL only when it has one (a link known by URL
    keeps it when a later extraction names only the outlet)."""
    values = {ORIGINAL_COLUMNS[f.name]: to_json_value(getattr(link, f.name)) for f in fields(link)}
    if link.url is None:
        del values[ORIGINAL_COLUMNS["url"]]
    return values


def stub_values() -> dict[str, Any]:
    """The record columns of a row that has no content yet (a stub): lists empty, the body "".."""
    return {name: [] for name in _LISTS} | {"body_text": ""}


def record_of(row: Any) -> Record:
    """The record a stored row (an ``Article`` or a result row with the columns) holds."""
    values = {name: getattr(row, name) for name in RECORD_COLUMNS}
    values.update({name: list(values[name] or []) for name in _LISTS})
    values["body_text"] = values["body_text"] or ""
    return Record(url=row.url, **values, original=original_of(row))


def original_of(row: Any) -> OriginalLink | None:
    """The original a stored row names, as it printed it; None when it names none."""
    if getattr(row, ORIGINAL_COLUMNS["url"]) is None and getattr(row, ORIGINAL_COLUMNS["outlet"]) is None:
        return None
    values = {name: getattr(row, column) for name, column in ORIGINAL_COLUMNS.items()}
    values.update({name: list(values[name] or []) for name in _ORIGINAL_LISTS})
    values["evidence"] = [Evidence.from_json(item) for item in values["evidence"]]
    return OriginalLink(**values)


# -- a row straight to its ``--json`` record ---------------------------------------------------------------
# ``record_json(record_of(row))`` builds a Record (and an OriginalLink) only to take it apart again, and
# reads each field's Spec per row: a third of a row's export CPU. The plan below is derived once from the same
# declarations (field order, json keys, list fields, the body's "" for None) and gives the same dict;
# tests/test_export_records.py checks that on every stored row of the test worlds.
_PLAIN, _LIST, _BODY, _ORIGINAL = range(4)


def _kind(name: str) -> int:
    if name == _NESTED:
        return _ORIGINAL
    if name in _LISTS:
        return _LIST
    return _BODY if name == "body_text" else _PLAIN


_PLAN: tuple[tuple[str, str, str | None, int], ...] = tuple(
    (f.name, *((json_key(f).split(".", 1)) if "." in json_key(f) else (json_key(f), None)), _kind(f.name))
    for f in fields(Record))
_ORIGINAL_PLAN: tuple[tuple[str, str, bool, bool], ...] = tuple(
    (ORIGINAL_COLUMNS[f.name], json_key(f), f.name in _ORIGINAL_LISTS, f.name == "evidence")
    for f in fields(OriginalLink))
_GROUPS = tuple(dict.fromkeys(key for _name, key, sub, _kind in _PLAN if sub is not None))


def record_json_of(row: Any) -> dict[str, Any]:
    """``record_json(record_of(row))``, without the Record: the ``--json`` record a stored row holds
    (a result row, read by its mapping: a fifth of the cost of its attributes; or an ``Article``)."""
    mapping = getattr(row, "_mapping", None)
    get: Callable[[str], Any] = mapping.__getitem__ if mapping is not None else partial(getattr, row)
    out: dict[str, Any] = {}
    value: Any
    for name, key, sub, kind in _PLAN:
        if kind == _ORIGINAL:
            value = _original_json(get)
        else:
            value = get(name)
            if kind == _LIST:
                value = to_json_value(list(value or []))
            elif kind == _BODY:
                value = value or ""
        if sub is None:
            out[key] = value
        else:
            out.setdefault(key, {})[sub] = value
    for group in _GROUPS:
        if all(v is None for v in out[group].values()):
            out[group] = None
    return out


def _original_json(get: Callable[[str], Any]) -> dict[str, Any] | None:
    if get(ORIGINAL_COLUMNS["url"]) is None and get(ORIGINAL_COLUMNS["outlet"]) is None:
        return None
    out: dict[str, Any] = {}
    for column, key, is_list, is_evidence in _ORIGINAL_PLAN:
        value = get(column)
        if is_evidence:
            value = [Evidence.from_json(item).to_json() for item in value or []]
        elif is_list:
            value = to_json_value(list(value or []))
        out[key] = value
    return out
