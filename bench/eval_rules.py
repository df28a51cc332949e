"""Site rules vs trafilatura on the rule-covered pages: body F1 and pages/s in one run, plus a metadata table.

Run from the repo root:

    .venv/bin/python bench/eval_rules.py [--repeat 5] [--no-write]

Pages: every fixture page (fixtures/sites/**/index.html + expected.json) whose URL a site rule claims,
and the real saved RT page of the Zyte benchmark (id RT_ID below; its true body from ground-truth.json).
The fixture pages are synthetic (fixtures/README.md), so their F1 says "the rule does what its author
meant", not "the rule generalizes"; the real RT page is the one outside check.

* body F1: the benchmark metric (bench/eval_extraction.py ``score``) of
  ``find_rule(url).extract(LexborHTMLParser(html), url).body_text`` and of
  ``trafilatura.extract(html, include_comments=False)`` against expected.json ``body_text`` / the truth.
* pages/s: the same two calls (parse included), pages in memory, median of ``--repeat`` passes.
* metadata: over ALL fixture pages (rule and generic), the whole ``repub extract --json`` record
  (extract + normalize + record_json): per field, how often it is non-empty (found) and equal to
  expected.json (right).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(BENCH))

from eval_extraction import DEFAULT_DATA, RESULTS_DIR, Score, machine, score, versions  # noqa: E402

FIXTURES = ROOT / "fixtures" / "sites"
RT_ID = "4a44ab3e4c41d56ce9b79eb07acb06aed1bc52aba68a950f06e7de7ef848400a"
RT_URL = "https://www.rt.com/news/473849-3-morales-supporters-killed-bolivia/"
META_FIELDS = ("title", "authors", "published_at", "lead_image.url")


@dataclass
class Page:
    name: str  # fixture path or "zyte:<id>"
    url: str
    html: str
    truth: str
    expected: dict[str, Any] | None = None  # the fixture's expected.json; None for the benchmark page


def fixture_pages() -> list[Page]:
    from repub.fetch.charset import decode_html

    pages = []
    for path in sorted(FIXTURES.rglob("expected.json")):
        expected = json.loads(path.read_text(encoding="utf-8"))
        html, _ = decode_html(path.with_name("index.html").read_bytes())
        pages.append(Page(str(path.parent.relative_to(FIXTURES)), expected["url"], html,
                          expected.get("body_text") or "", expected))
    return pages


def benchmark_rt_page(data: Path) -> Page:
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))[RT_ID]
    raw = gzip.decompress((data / "html" / f"{RT_ID}.html.gz").read_bytes())
    return Page(f"zyte:{RT_ID[:12]}", RT_URL, raw.decode("utf-8", errors="replace"), truth["articleBody"])


# ---------------------------------------------------------------------------------------------- body

Extractor = Callable[[str, str], str]


def rule_body(html: str, url: str) -> str:
    from selectolax.lexbor import LexborHTMLParser

    from repub.extract.rules import find_rule

    rule = find_rule(url)
    assert rule is not None, url
    return rule.extract(LexborHTMLParser(html), url).body_text


def trafilatura_body(html: str, url: str) -> str:
    import trafilatura

    return trafilatura.extract(html, include_comments=False) or ""


def timed(fn: Extractor, pages: list[Page], repeat: int) -> tuple[list[str], float]:
    """Outputs of the last pass and the median pages/s over ``repeat`` passes (extractor call only)."""
    rates = []
    outputs = [""] * len(pages)
    for _ in range(repeat):
        elapsed = 0.0
        for i, page in enumerate(pages):
            t0 = time.process_time()
            outputs[i] = fn(page.html, page.url)
            elapsed += time.process_time() - t0
        rates.append(len(pages) / elapsed)
    return outputs, statistics.median(rates)


def body_table(pages: list[Page], repeat: int) -> tuple[str, dict[str, Any]]:
    # Warm-up: rule loading (TOML, cached) and trafilatura's lazy imports must not count as page time.
    rule_body(pages[0].html, pages[0].url)
    trafilatura_body(pages[0].html, pages[0].url)
    rule_out, rule_rate = timed(rule_body, pages, repeat)
    traf_out, traf_rate = timed(trafilatura_body, pages, repeat)
    groups = {
        "fixtures (synthetic, rule-covered)": [i for i, p in enumerate(pages) if p.expected is not None],
        "real RT page (Zyte benchmark)": [i for i, p in enumerate(pages) if p.expected is None],
        "all": list(range(len(pages))),
    }
    lines = ["| pages | n | rules F1 | P | R | trafilatura F1 | P | R |", "|---|---|---|---|---|---|---|---|"]
    figures: dict[str, Any] = {}
    for label, idx in groups.items():
        if not idx:
            continue
        r: Score = score((pages[i].truth, rule_out[i]) for i in idx)
        t: Score = score((pages[i].truth, traf_out[i]) for i in idx)
        figures[label] = (r, t)
        lines.append(f"| {label} | {len(idx)} | {r.f1:.4f} | {r.precision:.4f} | {r.recall:.4f} | "
                     f"{t.f1:.4f} | {t.precision:.4f} | {t.recall:.4f} |")
    lines += [
        "",
        f"| extractor | pages/s (median of {repeat} passes) | speed × trafilatura |",
        "|---|---|---|",
        f"| site rule: `find_rule(url).extract(LexborHTMLParser(html), url)` | {rule_rate:.1f} | "
        f"{rule_rate / traf_rate:.2f} |",
        f"| `trafilatura.extract(html, include_comments=False)` | {traf_rate:.1f} | 1.00 |",
    ]
    per_page = ["", "| page | rules F1 | trafilatura F1 |", "|---|---|---|"]
    for i, p in enumerate(pages):
        r1 = score([(p.truth, rule_out[i])]).f1
        t1 = score([(p.truth, traf_out[i])]).f1
        per_page.append(f"| {p.name} | {r1:.4f} | {t1:.4f} |")
    figures["rates"] = (rule_rate, traf_rate)
    return "\n".join(lines + per_page), figures


# ------------------------------------------------------------------------------------------ metadata


def _field(record: dict[str, Any], name: str) -> Any:
    value: Any = record
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def metadata_table(pages: list[Page]) -> str:
    from repub.extract import extract
    from repub.extract.rules import find_rule
    from repub.normalize import normalize, record_json

    rows: dict[str, dict[str, list[int]]] = {}  # group -> field -> [found, right, expected non-empty]
    counts: dict[str, int] = {}
    misses: list[str] = []
    for page in pages:
        assert page.expected is not None
        record = record_json(normalize(extract(page.html, page.url)))
        group = "rule pages" if find_rule(page.url) else "generic pages"
        for g in (group, "all"):
            counts[g] = counts.get(g, 0) + 1
            for name in META_FIELDS:
                want, got = _field(page.expected, name), _field(record, name)
                cell = rows.setdefault(g, {}).setdefault(name, [0, 0, 0])
                cell[0] += bool(got)
                cell[1] += got == want
                cell[2] += bool(want)
                if g == "all" and got != want:
                    misses.append(f"- {page.name}: {name} expected {want!r} got {got!r}")
    header = "| pages | n | " + " | ".join(f"{f} found / right (expected non-empty)" for f in META_FIELDS)
    lines = [header + " |", "|---|---|" + "---|" * len(META_FIELDS)]
    for g in ("rule pages", "generic pages", "all"):
        if g not in rows:
            continue
        cells = " | ".join(f"{c[0]} / {c[1]} ({c[2]})" for c in (rows[g][f] for f in META_FIELDS))
        lines.append(f"| {g} | {counts[g]} | {cells} |")
    lines.append("")
    lines.append("Wrong fields:" if misses else "Wrong fields: none.")
    lines.extend(misses)
    return "\n".join(lines)


# -------------------------------------------------------------------------------------------- report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Zyte benchmark folder (for the RT page)")
    ap.add_argument("--repeat", type=int, default=5, help="timed passes; the median pages/s is reported")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/results/")
    args = ap.parse_args(argv)

    from repub.extract.rules import find_rule

    fixtures = fixture_pages()
    rule_pages = [p for p in fixtures if find_rule(p.url) is not None]
    body_pages = rule_pages + [benchmark_rt_page(args.data)]
    body, _ = body_table(body_pages, args.repeat)
    meta = metadata_table(fixtures)

    today = dt.date.today().isoformat()
    m, v = machine(), versions()
    command = "python bench/eval_rules.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = f"""# Site rules vs trafilatura, {today}

- machine: {m['platform']}, Python {m['python']}, CPU {m['cpu']}, {m['cores']} cores
- packages: {', '.join(f'{k} {val}' for k, val in v.items())}
- command: `{command.strip()}`
- pages: {len(rule_pages)} rule-covered fixture pages (synthetic) + the real RT page `{RT_ID}` ({RT_URL})
- timing: CPU time of the extractor call only (`time.process_time`, parse included), pages in memory, one
  process; compare ratios within this run only

## Body text (benchmark metric: 4-token shingles, F1 of mean page precision and recall)

{body}

## Metadata of the whole `repub extract --json` record, all {len(fixtures)} fixture pages

found = non-empty; right = equals expected.json (for `published_at` the normalized ISO string).

{meta}
"""
    print(text)
    if not args.no_write:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"rules-{today}.md"
        path.write_text(text, encoding="utf-8")
        print(f"written: {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
