"""A check of repub's title choice on real pages that carry no true title: what the pages agree on.

Run from the repo root:

    .venv/bin/python bench/check_titles.py [--data DIR] [--dump FILE.json] [--diff OLD.json] [--limit N]

Data: the 1,294 pages of ../shared/bench/metadata (override with --data or $REPUB_METADATA_DATA). There
is no true title for them, so the check counts what can be judged from the page itself:

- **agreed**: pages where a printed heading (<h1>, <h2>) reads exactly as og:title or the JSON-LD
  headline (case, punctuation and spacing aside). On those the headline is beyond doubt; the share
  of them where repub's title is that headline is the figure to keep at 1.
- **site affix**: titles that still start or end with the site's own name at a separator
  ("Headline | Site", "Site - Headline": og:site_name or the domain).
- **cut short**: titles ending in "…" or "..." although a printed heading completes them.

``--dump`` writes every page's title; ``--diff`` prints the pages whose title changed against such a
dump, for reading by hand. The title is ``read_metadata(...).title``, as the generic extractor uses it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path(os.environ.get("REPUB_METADATA_DATA", ROOT.parent / "shared" / "bench" / "metadata"))
_AFFIX = re.compile(r"\s*(?:[|\-–—·»:]|::)\s*")


def key(text: str | None) -> str:
    return " ".join(re.findall(r"\w+", (text or "").casefold()))


def page_urls(data: Path) -> dict[str, str | None]:
    urls: dict[str, str | None] = {}
    for name in ("dates", "authors", "body"):
        for pid, row in json.loads((data / f"{name}.json").read_text(encoding="utf-8")).items():
            urls.setdefault(pid, row.get("url"))
    return urls


def judge(tree: LexborHTMLParser, title: str | None, url: str) -> dict[str, bool]:
    from repub.extract.jsonld import find_article_object, load_jsonld_blocks
    from repub.hosts import registrable_domain

    art = find_article_object(load_jsonld_blocks(tree)) or {}
    metas = {n.attributes.get("property") or n.attributes.get("name"): n.attributes.get("content")
             for n in tree.css("meta")}
    declared = {key(metas.get("og:title")), key(art.get("headline") if isinstance(art.get("headline"), str)
                                                   else None)} - {""}
    headings = [key(n.text(deep=True)) for n in tree.css("h1, h2")]
    agreed = next((h for h in headings if h and h in declared), None)
    sites = {key(metas.get("og:site_name")), key(registrable_domain(url))} - {""}
    parts = [key(p) for p in _AFFIX.split(title or "")]
    stem = key(re.sub(r"\s*(?:…|\.\.\.)\s*$", "", title or ""))
    return {
        "agreed": agreed is not None,
        "agreed_ok": agreed is not None and key(title) == agreed,
        "site_affix": len(parts) > 1 and (parts[0] in sites or parts[-1] in sites),
        "cut_short": bool(title) and (title or "").rstrip().endswith(("…", "...")) and any(
            h.startswith(stem) and len(h) > len(stem) for h in headings if stem),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--dump", type=Path)
    ap.add_argument("--diff", type=Path)
    ap.add_argument("--limit", type=int)
    args = ap.parse_args(argv)
    if not (args.data / "pages").is_dir():
        print(f"check_titles: no data at {args.data} (needs ../shared/bench/metadata)", file=sys.stderr)
        return 1
    from repub.extract.metadata import read_metadata
    from repub.fetch.charset import decode_html

    urls = page_urls(args.data)
    titles: dict[str, str | None] = {}
    counts = {"pages": 0, "agreed": 0, "agreed_ok": 0, "site_affix": 0, "cut_short": 0}
    for path in sorted((args.data / "pages").glob("*.html.gz"))[: args.limit]:
        pid = path.name[:16]
        url = urls.get(pid) or "https://example.org/article"
        html, _ = decode_html(gzip.decompress(path.read_bytes()))
        tree = LexborHTMLParser(html)
        title = read_metadata(tree, url, guess_date=False, html=html).title
        titles[pid] = title
        counts["pages"] += 1
        for name, hit in judge(tree, title, url).items():
            counts[name] += hit
    share = counts["agreed_ok"] / counts["agreed"] if counts["agreed"] else 0.0
    print(f"pages: {counts['pages']}")
    print(f"agreed headline (a heading reads as og:title or JSON-LD headline): {counts['agreed']} pages, "
          f"repub's title is it on {counts['agreed_ok']} ({share:.3f})")
    print(f"titles with the site's name left at a separator: {counts['site_affix']}")
    print(f"titles cut short that a heading completes: {counts['cut_short']}")
    if args.dump:
        args.dump.write_text(json.dumps(titles, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.diff:
        old = json.loads(args.diff.read_text(encoding="utf-8"))
        changed = [pid for pid in titles if pid in old and old[pid] != titles[pid]]
        for pid in changed:
            print(f"{pid}\n  was: {old[pid]}\n  now: {titles[pid]}")
        print(f"{len(changed)} titles changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
