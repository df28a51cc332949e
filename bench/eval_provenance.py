"""Provenance on real pages: are copies traced to where they came from, and are originals never invented?

Run from the repo root:

    .venv/bin/python bench/eval_provenance.py [--dump FILE.json] [--misses] [--write]

Data: bench/provenance.json, real pages of ../shared/bench (metadata and extraction sets; override the
directory with --data or $REPUB_SHARED_BENCH) labelled by reading each page, never by running repub:
``copy`` true or false, and for a copy the ``outlet`` it came from and the ``original_url`` when the page
names one. Each page goes through repub as a user gets it: its bytes decoded as a fetched page's
(``decode_html``), ``extract(html, url)`` then ``normalize``.

Scored, per page:
- a copy is *traced* when the record has an original that is the labelled one: the same URL (both in
  canonical form) when the label gives one, else the same outlet (one name per outlet, through
  repub.extract.outlets's aliases, or equal names ignoring case and a leading "The");
- a copy is *missed* when the record has no original, *wrong* when it names another one;
- a non-copy has an *invented* original when the record has any.
Also per evidence kind: how many items of that kind the records carry, and the share that point to the
labelled original of a copy (items on non-copies count as wrong). These shares are what the strengths
of ``repub.evidence.STRENGTH`` are checked against.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LABELS = Path(__file__).resolve().parent / "provenance.json"
DEFAULT_DATA = Path(os.environ.get("REPUB_SHARED_BENCH", ROOT.parent / "shared" / "bench"))
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def page_path(data: Path, item: dict[str, Any]) -> Path:
    if item["set"] == "metadata":
        return data / "metadata" / "pages" / f"{item['id']}.html.gz"
    return data / "extraction" / "html" / f"{item['id']}.html.gz"


def same_outlet(got: str | None, want: str | None) -> bool:
    from repub.extract.outlets import find_outlet, name_key

    if not got or not want:
        return False
    known_got, known_want = find_outlet(got), find_outlet(want)
    if known_got is not None or known_want is not None:
        return known_got is known_want
    return name_key(got) == name_key(want)


def same_url(got: str | None, want: str | None) -> bool:
    from repub.normalize import BadURL, canonical_url

    if not got or not want:
        return False
    try:
        return canonical_url(got) == canonical_url(want)
    except BadURL:
        return False


def points_to(detail: dict[str, Any], item: dict[str, Any]) -> bool:
    """Whether an evidence detail (or an original) names the labelled original of ``item``."""
    if not item["copy"]:
        return False
    if item.get("original_url") and detail.get("url"):
        return same_url(detail.get("url"), item["original_url"])
    return same_outlet(detail.get("outlet"), item["outlet"])


def outcome(original: dict[str, Any] | None, item: dict[str, Any]) -> str:
    if not item["copy"]:
        return "invented" if original else "clean"
    if original is None:
        return "missed"
    return "traced" if points_to(original, item) else "wrong"


def run(data: Path) -> list[dict[str, Any]]:
    from repub.errors import RepubError
    from repub.extract import extract
    from repub.fetch.charset import decode_html
    from repub.normalize import normalize, record_json

    rows = []
    for item in json.loads(LABELS.read_text(encoding="utf-8")):
        html, _ = decode_html(gzip.decompress(page_path(data, item).read_bytes()))
        try:
            record = record_json(normalize(extract(html, item["url"])))
            original, error = record["original"], None
        except (RepubError, Exception) as err:  # noqa: BLE001 - a crash is a page without an original
            original, error = None, f"{type(err).__name__}: {err}"
        rows.append({"id": item["id"], "url": item["url"], "copy": item["copy"], "label": item,
                     "original": original, "error": error, "outcome": outcome(original, item)})
    return rows


def report(rows: list[dict[str, Any]]) -> str:
    copies = [r for r in rows if r["copy"]]
    others = [r for r in rows if not r["copy"]]
    counts = Counter(r["outcome"] for r in rows)
    traced = counts["traced"]
    lines = [
        f"pages {len(rows)}: copies {len(copies)}, non-copies {len(others)}",
        f"copies traced   {traced}/{len(copies)} = {traced / len(copies):.1%}",
        f"copies missed   {counts['missed']}",
        f"copies wrong    {counts['wrong']} (an original, but not the labelled one)",
        f"originals invented on non-copies  {counts['invented']}/{len(others)}",
        "",
        "evidence kind        items  right  share  (right: names the labelled original of a copy)",
    ]
    kinds: dict[str, list[int]] = {}
    for row in rows:
        for ev in (row["original"] or {}).get("evidence") or []:
            entry = kinds.setdefault(ev["kind"], [0, 0])
            entry[0] += 1
            entry[1] += points_to(ev["detail"], row["label"]) or (
                row["outcome"] == "traced" and not ev["detail"].get("url") and not ev["detail"].get("outlet"))
    for kind, (items, right) in sorted(kinds.items(), key=lambda kv: -kv[1][0]):
        lines.append(f"{kind:<20} {items:>5}  {right:>5}  {right / items:.2f}")
    confidences = [(r["original"]["confidence"], r["outcome"] == "traced") for r in rows if r["original"]]
    if confidences:
        lines += ["", "confidence   links  right"]
        for low, high in ((0.9, 1.01), (0.75, 0.9), (0.5, 0.75), (0.0, 0.5)):
            band = [ok for c, ok in confidences if c is not None and low <= c < high]
            if band:
                lines.append(f"[{low:.2f}, {min(high, 1):.2f}{']' if high > 1 else ')'}  {len(band):>5}  "
                             f"{sum(band) / len(band):.2f}")
    return "\n".join(lines)


def misses(rows: list[dict[str, Any]]) -> str:
    out = []
    for row in rows:
        if row["outcome"] in ("missed", "wrong", "invented"):
            label = row["label"]
            want = f"{label.get('outlet')} {label.get('original_url') or ''}".strip() if row["copy"] else "-"
            got = row["original"]
            shown = (f"{got['outlet']} {got['url'] or ''} {[e['kind'] for e in got['evidence']]}"
                     if got else "-")
            out.append(f"{row['outcome']:<8} {row['id'][:16]} {row['url']}\n"
                       f"         want {want}\n         got  {shown}\n         note {label['note']}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="../shared/bench")
    parser.add_argument("--dump", type=Path, help="write every page's outcome and original as JSON")
    parser.add_argument("--misses", action="store_true", help="list the missed, wrong and invented pages")
    parser.add_argument("--write", action="store_true",
                        help=f"write the report to {RESULTS_DIR.name}/provenance-<date>.md")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    if not (args.data / "metadata" / "pages").is_dir():
        print(f"eval_provenance: no pages under {args.data}", file=sys.stderr)
        return 2
    rows = run(args.data)
    text = report(rows)
    print(text)
    if args.misses:
        print()
        print(misses(rows))
    if args.dump:
        args.dump.write_text(json.dumps([{k: v for k, v in r.items() if k != "label"} for r in rows],
                                        indent=1, ensure_ascii=False), encoding="utf-8")
    if args.write:
        day = dt.date.today().isoformat()
        path = RESULTS_DIR / f"provenance-{day}.md"
        path.write_text(f"# Provenance on real pages, {day}\n\n`bench/eval_provenance.py` on "
                        f"bench/provenance.json\n\n```\n{text}\n```\n", encoding="utf-8")
        print(f"\nwritten to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
