"""How well pages are decoded when their label lies: repub.fetch.charset.decode_html beside charset_normalizer
(what a user would reach for), on the real pages of ../shared/bench/metadata.

Cases, each made from every page that is UTF-8 with non-ASCII text (the truth is its own text):

* ``utf8-labelled-latin1``: the UTF-8 bytes served as ``charset=iso-8859-1`` (issue 16: "sanciÃ³n");
* ``cp125x-labelled-utf8 lang``: the text re-encoded to the Windows code page of its ``<html lang>``
  (pages whose language has one), labelled UTF-8 (issue 15.4: "ańos", "Zoė");
* ``cp125x-labelled-utf8 no-lang``: the same without the ``lang`` attribute;

and ``real non-UTF-8``: the pages that are not valid UTF-8, as they are, with their own declarations
(scored by hand off the listing: read the samples).

    .venv/bin/python bench/eval_charsets.py [--data ../shared/bench/metadata] [--limit N]
"""

from __future__ import annotations

import argparse
import codecs
import gzip
import re
import sys
import time
from collections import Counter
from pathlib import Path

from charset_normalizer import from_bytes

from repub.fetch.charset import decode_html

ROOT = Path(__file__).resolve().parent.parent
LANG_RE = re.compile(r"""(<html\b[^>]*?\blang\s*=\s*["']?)([A-Za-z-]+)""", re.IGNORECASE)
TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
# the Windows code page of each language of the set that has one (as in src/repub/fetch/legacy_charsets.toml)
CODE_PAGE = {
    **dict.fromkeys(["fr", "es", "de", "pt", "it", "en", "da", "no", "sv", "fi", "id", "sq"], "cp1252"),
    **dict.fromkeys(["pl", "hu", "cs", "sk", "bs", "sh"], "cp1250"),
    "ru": "cp1251", "bg": "cp1251", "el": "cp1253", "tr": "cp1254", "ar": "cp1256", "fa": "cp1256",
    "lt": "cp1257", "vi": "cp1258",
}


def normalizer(body: bytes) -> str | None:
    best = from_bytes(body).best()
    return codecs.lookup(best.encoding).name if best is not None else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "bench" / "metadata")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    pages = sorted((args.data / "pages").glob("*.html.gz"))[: args.limit or None]
    if not pages:
        print(f"no pages under {args.data}/pages", file=sys.stderr)
        return 1
    right: Counter[tuple[str, str]] = Counter()
    total: Counter[str] = Counter()
    legacy: list[tuple[str, bytes]] = []
    started = time.monotonic()
    for path in pages:
        raw = gzip.decompress(path.read_bytes())
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            legacy.append((path.name.split(".")[0], raw))
            continue
        if text.isascii():
            continue
        cases = [("utf8-labelled-latin1", raw, "text/html; charset=iso-8859-1", "utf-8")]
        match = LANG_RE.search(text[:5000])
        code_page = CODE_PAGE.get(match.group(2).lower()[:2]) if match else None
        if code_page:
            body = text.encode(code_page, errors="xmlcharrefreplace")
            if body.decode("utf-8", errors="ignore") != body.decode(code_page):
                no_lang = LANG_RE.sub(r"\g<1>", text, count=1).encode(code_page, errors="xmlcharrefreplace")
                cases.append(("cp125x-labelled-utf8 lang", body, "text/html; charset=utf-8", code_page))
                cases.append(("cp125x-labelled-utf8 no-lang", no_lang, "text/html; charset=utf-8", code_page))
        for case, body, ctype, truth in cases:
            total[case] += 1
            expected = body.decode(truth, errors="replace").removeprefix("\ufeff")
            right[(case, "repub")] += decode_html(body, ctype)[0] == expected
            guess = normalizer(body)
            found = body.decode(guess, "replace") if guess is not None else None
            right[(case, "charset_normalizer")] += found == expected
    print(f"{len(pages)} pages, {time.monotonic() - started:.0f} s\n")
    print("| case | pages | repub | charset_normalizer |\n|---|---|---|---|")
    for case in sorted(total):
        ours, peer = right[(case, "repub")], right[(case, "charset_normalizer")]
        print(f"| {case} | {total[case]} | {ours} | {peer} |")
    print(f"\nreal non-UTF-8 pages: {len(legacy)} (charset chosen, <title>)")
    for page_id, raw in legacy:
        text, charset = decode_html(raw, "text/html")
        title = TITLE_RE.search(text)
        shown = re.sub(r"\s+", " ", title.group(1)).strip()[:70] if title else "-"
        print(f"  {page_id} {charset:<10} (normalizer {normalizer(raw)}) {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
