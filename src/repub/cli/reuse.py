"""Text-reuse commands: ``copies``, ``trace``, ``match`` (docs/reuse.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import (
    EXIT_FAILED,
    EXIT_OK,
    JSON_HELP,
    add_command,
    add_db_option,
    emit_json,
    error,
    lookup_key,
    open_store,
    settings_from,
)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cop = add_command(commands, "copies", "list the stored copies of an article, with why each is one",
                      description="List the stored copies of an article: each with its evidence, how "
                                  "similar its text is, how much of the article's text it carries "
                                  "(coverage) and how sure the link is (confidence), in date order.")
    cop.add_argument("url", metavar="URL", help="any URL the article was reached by")
    cop.add_argument("--json", action="store_true", help=JSON_HELP + " (one per copy)")
    add_db_option(cop)
    cop.set_defaults(run=cmd_copies)

    tra = add_command(commands, "trace", "the travel of an article's text: its original, then each copy",
                      description="The travel of a text: the original the article leads back to, then "
                                  "each copy in date order, with what it changed (title, paragraphs cut, "
                                  "lines added).")
    tra.add_argument("url", metavar="URL", help="the original or any copy, by any URL it was reached by")
    tra.add_argument("--json", action="store_true", help=JSON_HELP + " (one per article, the original first)")
    add_db_option(tra)
    tra.set_defaults(run=cmd_trace)

    mat = add_command(commands, "match", "which stored articles a saved page copies; stores nothing",
                      description="Which stored articles a saved page copies: extracted as if fetched from "
                                  "URL, its text looked up among the stored fingerprints and verified; the "
                                  "article repub would link it to comes first. Nothing is stored.")
    mat.add_argument("file", type=Path, metavar="FILE")
    mat.add_argument("--url", required=True, help="the URL the page was saved from")
    mat.add_argument("--json", action="store_true", help=JSON_HELP + " (one per matching article)")
    add_db_option(mat)
    mat.set_defaults(run=cmd_match)


def _pct(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.2f}"


def _kinds(evidence: list[dict[str, Any]]) -> str:
    return ",".join(dict.fromkeys(str(item.get("kind")) for item in evidence)) or "-"


def cmd_copies(args: argparse.Namespace) -> int:
    from ..store.reuseviews import copies

    with open_store(settings_from(args)) as store:
        found = copies(store, lookup_key(args.url))
    if found is None:
        error(f"not in the database: {args.url}")
        return EXIT_FAILED
    for copy in found:
        if args.json:
            emit_json(copy.to_json())
        else:
            print(f"{copy.published_at or '-':<20} {copy.site or '-':<24} similarity {_pct(copy.similarity)} "
                  f"coverage {_pct(copy.coverage)} confidence {_pct(copy.confidence)} "
                  f"{_kinds(copy.evidence)}  {copy.url}")
    if not found and not args.json:
        print("no stored copies")
    return EXIT_OK


def cmd_trace(args: argparse.Namespace) -> int:
    from ..store.reuseviews import trace

    with open_store(settings_from(args)) as store:
        steps = trace(store, lookup_key(args.url))
    if steps is None:
        error(f"not in the database: {args.url}")
        return EXIT_FAILED
    for step in steps:
        if args.json:
            emit_json(step.to_json())
            continue
        if step.role == "original":
            print(f"{step.published_at or '-':<20} original  {step.url}")
            print(f"{'':<20}           {step.title or '(no title)'}")
            continue
        via = f" (via {step.copy_of})" if step.copy_of != steps[0].url else ""
        print(f"{step.published_at or '-':<20} copy      {step.url}{via}")
        print(f"{'':<20}           similarity {_pct(step.similarity)} coverage {_pct(step.coverage)} "
              f"confidence {_pct(step.confidence)} {_kinds(step.evidence)}")
        changed = step.changed or {}
        if changed.get("title"):
            print(f"{'':<20}           new title: {changed['title']}")
        for line in changed.get("cut") or []:
            print(f"{'':<20}           cut:   {_short(line)}")
        for line in changed.get("added") or []:
            print(f"{'':<20}           added: {_short(line)}")
    return EXIT_OK


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cmd_match(args: argparse.Namespace) -> int:
    from ..errors import RepubError
    from ..extract import extract
    from ..fetch.charset import decode_html
    from ..normalize import normalize
    from ..store.reuseviews import matches

    try:
        raw = args.file.read_bytes()
    except OSError as err:
        error(f"cannot read {args.file}: {err.strerror}")
        return EXIT_FAILED
    text, _charset = decode_html(raw)
    try:
        record = normalize(extract(text, args.url))
    except RepubError as err:  # the page holds no article, or the URL is not one
        error(f"{args.file}: {err}")
        return EXIT_FAILED
    with open_store(settings_from(args)) as store:
        found = matches(store, record)
    for match in found:
        if args.json:
            emit_json(match.to_json())
        else:
            mark = "original" if match.original else "        "
            print(f"{mark} {match.published_at or '-':<20} similarity {match.similarity:.2f} "
                  f"coverage {match.coverage:.2f}  {match.url}")
    if not found and not args.json:
        print("no stored article shares its text")
    return EXIT_OK
