"""Article-body benchmark on two sets, same run: Zyte (shingle F1) and trafilatura's snippets (P/R/F).

Run from the repo root:

    .venv/bin/python bench/eval_extraction.py [--sets zyte,snippets] [--limit N] [--only NAME[,NAME...]]
                                              [--repeat 3] [--no-write]

Sets:
- ``zyte``: /work/shared/bench/extraction/ (181 pages, html/<id>.html.gz + ground-truth.json; override
  with --data DIR or $REPUB_BENCH_DATA). The metric is the benchmark's own rule (see its README and
  ``score`` below): F1 of the mean page precision and mean page recall of 4-token shingles. Every step
  of the generic extractor was first tuned on this set.
- ``snippets``: the 933 body pages of ../shared/bench/metadata (trafilatura's own body benchmark;
  override with --snippet-data DIR or $REPUB_METADATA_DATA): each page has passages a good extraction
  must contain and boilerplate it must not; P/R/F summed over the set (its README's rule, implemented
  in bench/eval_metadata.py ``snippet_counts``, imported, not copied). Pages this project did not tune on.

Input: on the Zyte set every extractor gets the page as text (decoded UTF-8) and its URL. On the snippet
set the peers (``PEERS``) get the page as their own evaluation gives it (its bytes, no URL) and repub's
extractors what a fetched page gives them (``decode_html`` of the bytes, and the URL). Timing covers only
the extractor call (parse + extract + text) with the pages already in memory; everything runs in one
process so the speed ratios are comparable. The Zyte pages/s is the median of ``--repeat`` passes; the
snippet set (5x larger) is timed on its one pass. The extractors take turns page by page (``_interleaved``)
so the shared machine's changing load weighs on each alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path(os.environ.get("REPUB_BENCH_DATA", "/work/shared/bench/extraction"))
RESULTS_DIR = Path(__file__).resolve().parent / "results"
BASELINE = "trafilatura"

# --------------------------------------------------------------------------------------------- metric

_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """Bag of consecutive n-token shingles; 1..n-1 tokens give one shingle of them all; none for none."""
    tokens = _TOKEN.findall(text or "")
    if not tokens:
        return Counter()
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def page_counts(true: str, pred: str) -> tuple[float, float, float]:
    """(tp, fp, fn) of one page, normalized by tp+fp+fn so every page weighs the same ((0,0,0) if empty)."""
    t, p = shingles(true), shingles(pred)
    tp = sum(min(c, p[s]) for s, c in t.items())
    fp = sum(max(0, c - t[s]) for s, c in p.items())
    fn = sum(max(0, c - p[s]) for s, c in t.items())
    total = tp + fp + fn
    if total == 0:
        return 0.0, 0.0, 0.0
    return tp / total, fp / total, fn / total


@dataclass
class Score:
    f1: float
    precision: float
    recall: float


def score(pairs: Iterable[tuple[str, str]]) -> Score:
    """Benchmark score of (true, predicted) text pairs: F1 of the mean precision and mean recall.

    Page precision tp/(tp+fp) is averaged over pages with tp+fp > 0, page recall tp/(tp+fn) over pages
    with tp+fn > 0 (a page where fp = fn = 0 has P = R = 1).
    """
    precisions: list[float] = []
    recalls: list[float] = []
    for true, pred in pairs:
        tp, fp, fn = page_counts(true, pred)
        if tp + fp > 0:
            precisions.append(tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(tp / (tp + fn))
    p = statistics.fmean(precisions) if precisions else 0.0
    r = statistics.fmean(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return Score(f1, p, r)


# ---------------------------------------------------------------------------------------------- data


@dataclass
class Page:
    id: str
    url: str
    html: str
    truth: str


def load_pages(data: Path = DEFAULT_DATA, limit: int | None = None) -> list[Page]:
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for pid in sorted(truth):
        raw = gzip.decompress((data / "html" / f"{pid}.html.gz").read_bytes())
        pages.append(Page(pid, truth[pid]["url"], raw.decode("utf-8", errors="replace"),
                          truth[pid]["articleBody"]))
        if limit and len(pages) >= limit:
            break
    return pages


@dataclass
class SnippetPage:
    id: str
    url: str  # the page's URL, or a neutral one for the pages upstream keys by file name
    html: str  # decoded as a fetched page is (repub.fetch.charset.decode_html)
    raw: bytes  # the page's bytes, as the peers' own evaluation gives them
    with_: list[str]
    without: list[str]


def _metadata_bench():  # noqa: ANN202 - the module bench/eval_metadata.py
    """bench/eval_metadata.py (its data loader and snippet rule), imported from beside this file."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import eval_metadata

    return eval_metadata


def load_snippet_pages(data: Path | None = None, limit: int | None = None) -> list[SnippetPage]:
    from repub.fetch.charset import decode_html

    em = _metadata_bench()
    pages = []
    for p in em.load_pages(data or em.DEFAULT_DATA):
        if not p.in_body:
            continue
        html, _ = decode_html(p.raw)
        pages.append(SnippetPage(p.id, p.url or em.NEUTRAL_URL, html, p.raw, p.with_, p.without))
        if limit and len(pages) >= limit:
            break
    return pages


@dataclass
class SnippetScore:
    tp: int
    fp: int
    fn: int

    @property
    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f = 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0
        return p, r, f


def snippet_score(pages: list[SnippetPage], outputs: list[str]) -> SnippetScore:
    """trafilatura's rule (../shared/bench/metadata/README.md), summed over the pages."""
    rule = _metadata_bench().snippet_counts
    tp = fp = fn = 0
    for page, text in zip(pages, outputs, strict=True):
        a, b, c, _ = rule(text, page.with_, page.without)
        tp, fp, fn = tp + a, fp + b, fn + c
    return SnippetScore(tp, fp, fn)


# ------------------------------------------------------------------------------------------ extractors

Extractor = Callable[[str, str], str]


def _trafilatura(**options: object) -> Extractor:
    import trafilatura

    def run(html: str, url: str) -> str:
        return trafilatura.extract(html, include_comments=False, **options) or ""

    return run


def _trafilatura_metadata() -> Extractor:
    """trafilatura reading what repub's extract stage reads (title, authors, date by htmldate, site
    name, body): the call whose authors eval_metadata.py scores, so the like-for-like speed peer of
    the whole extract stage (``trafilatura`` above reads the body alone)."""
    import trafilatura

    def run(html: str, url: str) -> str:
        doc = trafilatura.bare_extraction(html, url=url or None, include_comments=False, with_metadata=True)
        return (doc.text if doc is not None else None) or ""

    return run


def _clean_trafilatura(**options: object) -> Extractor:
    import trafilatura

    from repub.extract.clean import clean_tree

    def run(html: str, url: str) -> str:
        return trafilatura.extract(clean_tree(html), include_comments=False, **options) or ""

    return run


def _jsonld_then(fallback: Extractor) -> Extractor:
    """JSON-LD articleBody when the page has one that agrees with its visible text, else ``fallback``."""
    from repub.extract.clean import jsonld_body

    def run(html: str, url: str) -> str:
        body = jsonld_body(html)
        return body if body is not None else fallback(html, url)

    return run


_WORDS = re.compile(r"\w+")


def _recommended(jsonld: bool = False, **options: object) -> Extractor:
    """clean_tree, trafilatura(favor_precision); favor_recall retry when it found almost nothing."""
    import trafilatura

    from repub.extract.clean import clean_tree, jsonld_body, paragraph_words

    def run(html: str, url: str) -> str:
        cleaned = clean_tree(html)
        text = trafilatura.extract(cleaned, include_comments=False, favor_precision=True, **options) or ""
        words = len(_WORDS.findall(text))
        if words < 0.15 * paragraph_words(cleaned):
            retry = trafilatura.extract(cleaned, include_comments=False, favor_recall=True, **options) or ""
            if len(_WORDS.findall(retry)) > words:
                text, words = retry, len(_WORDS.findall(retry))
        if jsonld:
            body = jsonld_body(html)
            # Only a complete articleBody: one that covers the extracted text (truncated teasers fail).
            if body is not None and len(_WORDS.findall(body)) >= 0.9 * words:
                have = shingles(body)
                if sum((shingles(text) & have).values()) >= 0.9 * sum(shingles(text).values()):
                    text = body
        return text

    return run


def _repub_generic() -> Extractor:
    import repub.extract as rx  # may not be ready: the caller marks the extractor unavailable
    from repub.normalize import clean_body

    def run(html: str, url: str) -> str:
        return clean_body(rx.extract(html, url).body_text)  # the body as the stored record holds it

    return run


def _repub_body() -> Extractor:
    from repub.extract.generic import body_text  # the body step alone, without metadata

    def run(html: str, url: str) -> str:
        return body_text(html, url)

    return run


# Extractors that get the snippet pages as their own evaluation gives them (bytes, no URL).
PEERS = {"trafilatura", "trafilatura-metadata", "trafilatura-precision", "trafilatura-fast"}

# name -> (factory, description). The first three are the headline comparison; the others are variants.
EXTRACTORS: dict[str, tuple[Callable[[], Extractor], str]] = {
    "trafilatura": (lambda: _trafilatura(), "trafilatura.extract(html, include_comments=False)"),
    "repub-generic": (_repub_generic, "repub.extract.extract(html, url).body_text, cleaned as normalize does "
                      "(whole extract stage)"),
    "repub-body": (_repub_body, "repub.extract.generic.body_text(html, url) (body step only)"),
    "trafilatura-metadata": (_trafilatura_metadata, "trafilatura.bare_extraction(html, url, "
                             "include_comments=False, with_metadata=True).text (body and metadata: the "
                             "whole stage's like-for-like peer)"),
    "clean+trafilatura": (lambda: _clean_trafilatura(), "clean_tree, then trafilatura default"),
    "trafilatura-precision": (lambda: _trafilatura(favor_precision=True), "favor_precision=True"),
    "trafilatura-fast": (lambda: _trafilatura(fast=True), "fast=True"),
    "clean+trafilatura-precision": (lambda: _clean_trafilatura(favor_precision=True),
                                    "clean_tree, then favor_precision=True"),
    "clean+trafilatura-fast": (lambda: _clean_trafilatura(fast=True), "clean_tree, then fast=True"),
    "recommended": (lambda: _recommended(),
                    "clean_tree, favor_precision=True, favor_recall retry when < 15% of <p> words found"),
    "recommended-fast": (lambda: _recommended(fast=True), "recommended with fast=True"),
    "recommended+jsonld": (lambda: _recommended(jsonld=True),
                           "recommended, then a JSON-LD articleBody that covers ≥ 90% of its text"),
    "jsonld|clean+trafilatura": (lambda: _jsonld_then(_clean_trafilatura()),
                                 "JSON-LD articleBody if it agrees with the page, else clean+trafilatura"),
    "jsonld|clean+trafilatura-fast": (lambda: _jsonld_then(_clean_trafilatura(fast=True)),
                                      "JSON-LD articleBody if it agrees, else clean+trafilatura fast"),
}


@dataclass
class Result:
    name: str
    score: Score | None = None
    pages_per_s: float | None = None
    errors: int = 0
    note: str = ""
    snippets: SnippetScore | None = None
    snippet_pages_per_s: float | None = None
    snippet_errors: int = 0


def _interleaved(
    fns: dict[str, Extractor], inputs: dict[str, list[tuple[str | bytes, str | None]]], passes: int
) -> dict[str, tuple[list[str], float, int]]:
    """Each extractor's outputs (last pass), median pages/s over ``passes`` and errors (a page that
    raises scores as empty output).

    The extractors take turns page by page, the order rotating from one page to the next, so a change
    in the machine's load during the run (it is shared) weighs on each of them alike: run one after the
    other, two extractors of equal speed measured up to 20% apart.
    """
    names = list(fns)
    n = len(next(iter(inputs.values()))) if inputs else 0
    outputs = {name: [""] * n for name in names}
    errors = dict.fromkeys(names, 0)
    rates: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(passes):
        elapsed = dict.fromkeys(names, 0.0)
        errors = dict.fromkeys(names, 0)
        for i in range(n):
            for k in range(len(names)):
                name = names[(i + k) % len(names)]
                html, url = inputs[name][i]
                t0 = time.process_time()
                try:
                    text = fns[name](html, url)  # type: ignore[arg-type]
                except Exception:  # noqa: BLE001 - a page that fails scores as empty output
                    text = ""
                    errors[name] += 1
                elapsed[name] += time.process_time() - t0
                outputs[name][i] = text or ""
        for name in names:
            rates[name].append(n / elapsed[name] if elapsed[name] else float("inf"))
    return {name: (outputs[name], statistics.median(rates[name]), errors[name]) for name in names}


def run_all(
    fns: dict[str, Extractor], pages: list[Page], snippet_pages: list[SnippetPage], repeat: int = 1
) -> list[Result]:
    """Every extractor on the Zyte set (``repeat`` timed passes) and on the snippet set (one pass)."""
    results = {name: Result(name) for name in fns}
    if pages:
        zyte = _interleaved(fns, {name: [(p.html, p.url) for p in pages] for name in fns}, repeat)
        for name, (outputs, rate, errors) in zyte.items():
            if errors == len(pages):
                results[name] = Result(name, note="unavailable (every page raised)")
                continue
            sc = score((p.truth, out) for p, out in zip(pages, outputs, strict=True))
            results[name] = Result(name, sc, rate, errors)
    live = {name: fn for name, fn in fns.items() if not results[name].note}
    if snippet_pages and live:
        inputs = {name: [(p.raw, None) if name in PEERS else (p.html, p.url) for p in snippet_pages]
                  for name in live}
        for name, (outputs, rate, errors) in _interleaved(live, inputs, 1).items():
            res = results[name]
            res.snippets = snippet_score(snippet_pages, outputs)
            res.snippet_pages_per_s = rate
            res.snippet_errors = errors
    return [results[name] for name in fns]


# ------------------------------------------------------------------------------------------- report


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"platform": platform.platform(), "python": platform.python_version(), "cpu": cpu,
            "cores": str(os.cpu_count())}


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("trafilatura", "selectolax", "lxml", "repub"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def table(results: list[Result]) -> str:
    """One row per extractor: the Zyte set, then the snippet set, each with its speed × trafilatura."""
    base = next((r for r in results if r.name == BASELINE), None)
    zyte = any(r.score for r in results)
    snip = any(r.snippets for r in results)
    head = ["extractor"]
    if zyte:
        head += ["Zyte F1", "P", "R", "pages/s", "F1 Δ vs trafilatura", "speed × trafilatura"]
    if snip:
        head += ["snippets F", "P", "R", "pages/s", "F Δ vs trafilatura", "speed × trafilatura"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        if r.note:
            lines.append(f"| {r.name} | {r.note} |")
            continue
        row = [r.name]
        if zyte:
            row += _cells(_zyte_fpr(r), r.pages_per_s, r.errors, _zyte_fpr(base), base and base.pages_per_s)
        if snip:
            row += _cells(_snippet_fpr(r), r.snippet_pages_per_s, r.snippet_errors, _snippet_fpr(base),
                          base and base.snippet_pages_per_s)
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _zyte_fpr(r: Result | None) -> tuple[float, float, float] | None:
    return (r.score.f1, r.score.precision, r.score.recall) if r and r.score else None


def _snippet_fpr(r: Result | None) -> tuple[float, float, float] | None:
    if not r or not r.snippets:
        return None
    p, rec, f = r.snippets.prf
    return f, p, rec


def _cells(fpr: tuple[float, float, float] | None, rate: float | None, errors: int,
           base: tuple[float, float, float] | None, base_rate: float | None) -> list[str]:
    if not fpr or rate is None:
        return ["–"] * 6
    f, p, r = fpr
    base_f = base[0] if base else None
    err = f" ({errors} errors)" if errors else ""
    return [f"{f:.4f}{err}", f"{p:.4f}", f"{r:.4f}", f"{rate:.1f}",
            f"{f - base_f:+.4f}" if base_f is not None else "–",
            f"{rate / base_rate:.2f}" if base_rate else "–"]


def write_report(results: list[Result], data: str, command: str, extra: str = "") -> Path:
    today = dt.date.today().isoformat()
    m, v = machine(), versions()
    described = "\n".join(f"- `{r.name}`: {EXTRACTORS[r.name][1]}" for r in results if r.name in EXTRACTORS)
    text = f"""# Extraction benchmark, {today}

- machine: {m['platform']}, Python {m['python']}, CPU {m['cpu']}, {m['cores']} cores
- packages: {', '.join(f'{k} {val}' for k, val in v.items())}
- data: {data}
- command: `{command}`
- timing: CPU time of the extractor call only (`time.process_time`: other jobs on a shared machine do not
  count), pages in memory, one process; compare ratios within this run only
- input: Zyte pages as text with their URL; snippet pages as bytes without URL for the peers
  ({', '.join(sorted(PEERS))}), as `decode_html` text with their URL for repub's extractors

{table(results)}

{described}
{extra}"""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"extraction-{today}.md"
    path.write_text(text, encoding="utf-8")
    return path


def jsonld_stats(pages: list[Page]) -> str:
    """How often a JSON-LD articleBody exists / agrees with the page, and its score on those pages."""
    try:
        from repub.extract.clean import jsonld_bodies, jsonld_body
    except ImportError:
        return ""
    present, agreeing = [], []
    for p in pages:
        if jsonld_bodies(p.html):
            present.append(p)
            body = jsonld_body(p.html)
            if body is not None:
                agreeing.append((p.truth, body))
    if not present:
        return "\nJSON-LD articleBody: on no page.\n"
    sc = score(agreeing) if agreeing else None
    raw = score((p.truth, max(jsonld_bodies(p.html), key=len)) for p in present)
    msg = (f"\nJSON-LD articleBody: present on {len(present)}/{len(pages)} pages "
           f"(raw F1 {raw.f1:.4f} P {raw.precision:.4f} R {raw.recall:.4f} on those pages); "
           f"agrees with the visible text on {len(agreeing)}")
    if sc:
        msg += f" (F1 {sc.f1:.4f} P {sc.precision:.4f} R {sc.recall:.4f} on those pages)"
    return msg + ".\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="zyte,snippets", help="zyte, snippets or both (default)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the Zyte set")
    ap.add_argument("--snippet-data", type=Path, default=None,
                    help="the metadata set holding body.json (default: ../shared/bench/metadata)")
    ap.add_argument("--limit", type=int, default=None, help="first N pages of each set only")
    ap.add_argument("--only", default=None, help="comma-separated extractor names (default: all)")
    ap.add_argument("--repeat", type=int, default=1, help="time N passes of the Zyte set, report the median")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/results/")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(ROOT / "src"))
    sets = {s.strip() for s in args.sets.split(",") if s.strip()}
    if not sets or sets - {"zyte", "snippets"}:
        ap.error(f"--sets: zyte and/or snippets, not {args.sets!r}")
    names = list(EXTRACTORS)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in EXTRACTORS]
        if unknown:
            ap.error(f"unknown extractor(s): {', '.join(unknown)}; known: {', '.join(EXTRACTORS)}")
    pages = load_pages(args.data, args.limit) if "zyte" in sets else []
    snippet_pages = load_snippet_pages(args.snippet_data, args.limit) if "snippets" in sets else []
    print(f"{len(pages)} Zyte pages, {len(snippet_pages)} snippet pages loaded", file=sys.stderr)
    fns: dict[str, Extractor] = {}
    unavailable: dict[str, Result] = {}
    for name in names:
        try:
            fns[name] = EXTRACTORS[name][0]()
        except Exception as exc:  # noqa: BLE001 - a module not ready yet must not stop the benchmark
            unavailable[name] = Result(name, note=f"unavailable ({type(exc).__name__}: {exc})"[:120])
            print(f"{name}: unavailable: {exc!r}", file=sys.stderr)
    ran = {r.name: r for r in run_all(fns, pages, snippet_pages, args.repeat)}
    results = [ran.get(name) or unavailable[name] for name in names]
    extra = jsonld_stats(pages) if pages and any(n.startswith("jsonld") for n in names) else ""
    print(table(results))
    if extra:
        print(extra)
    if not args.no_write:
        command = "python bench/eval_extraction.py " + " ".join(argv if argv is not None else sys.argv[1:])
        data = " and ".join(
            ([f"{len(pages)} pages of the Zyte article-extraction benchmark"] if pages else [])
            + ([f"{len(snippet_pages)} body pages of ../shared/bench/metadata (trafilatura's snippets)"]
               if snippet_pages else []))
        print(f"written: {write_report(results, data, command.strip(), extra)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
