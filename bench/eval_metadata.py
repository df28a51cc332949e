"""Metadata and body-snippet benchmark on real pages: authors, publication day, body snippets.

Run from the repo root:

    .venv/bin/python bench/eval_metadata.py [--fields authors,dates,body] [--only repub,...] [--limit N]
                                            [--dump FILE.json] [--no-write]

Data: ../shared/bench/metadata (1,294 real pages from trafilatura's and htmldate's evaluation sets with
true authors, publication days and body snippets; override with --data DIR or $REPUB_METADATA_DATA).
Its README gives the scoring rules, implemented here as written there (``author_exact``,
``author_lenient``, ``date_outcome``, ``snippet_counts``), and the peers' reference figures.

repub is scored as a user gets it: ``repub.extract.extract(html, url)`` then ``repub.normalize``, the
page decoded the way a fetched page is (``repub.fetch.charset.decode_html`` on its bytes) and given its
URL; authors are the record's people, else its org_authors (the site's own desk or team), followed by its
credits (agencies, outlets), joined with "; ";
the day is the calendar day of the record's ``published_at``. The peers get the page as their own
evaluations give it (``str`` when it decodes as UTF-8, else bytes) and no URL, as the README measured
them. Timing is CPU time of the extractor call only, pages in memory, one process: compare ratios
within one run. repub's one extraction per page serves all three fields, so its pages/s is that of the
whole extract stage; each peer is timed for its own field.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path(os.environ.get("REPUB_METADATA_DATA", ROOT.parent / "shared" / "bench" / "metadata"))
RESULTS_DIR = Path(__file__).resolve().parent / "results"
NEUTRAL_URL = "https://example.org/article"  # for the body pages that upstream keys by file name
FIELDS = ("authors", "dates", "body")

# ------------------------------------------------------------------------------------------- scoring

_SPLIT = re.compile(r"[;,/&|]|\band\b|\bund\b|\bet\b|\bby\b|\bvon\b|\bde\b", re.I)


def truth_author(value: str | list[str]) -> str:
    return "; ".join(value) if isinstance(value, list) else value


def name_words(text: str) -> frozenset[str]:
    """The README's lenient rule: casefolded \\w+ words of two characters or more, separators dropped."""
    return frozenset(w for w in re.findall(r"\w+", _SPLIT.sub(" ", text.casefold())) if len(w) > 1)


def author_exact(output: str | None, truth: str | list[str]) -> bool:
    return bool(output) and output == truth_author(truth)


def author_lenient(output: str | None, truth: str | list[str]) -> bool:
    return bool(output) and name_words(output or "") == name_words(truth_author(truth))


def date_outcome(output: str | None, truth: str | None) -> str:
    """htmldate's rule: no output -> "fn"; the true day -> "tp"; any other output -> "fp"."""
    if not output:
        return "fn"
    return "tp" if truth is not None and output == truth else "fp"


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return p, r, f


def _ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def snippet_counts(text: str | None, with_: list[str], without: list[str]) -> tuple[int, int, int, int]:
    """trafilatura's rule: (tp, fp, fn, tn) of one page; no output: every `with` FN, every `without` TN."""
    if not text:
        return 0, 0, len(with_), len(without)
    body = _ws(text)
    tp = sum(1 for s in with_ if _ws(s) in body)
    fp = sum(1 for s in without if _ws(s) in body)
    return tp, fp, len(with_) - tp, len(without) - fp


# ---------------------------------------------------------------------------------------------- data


@dataclass
class Page:
    id: str
    url: str | None
    raw: bytes
    author: str | list[str] | None = None
    day: str | None = None
    has_day: bool = False
    with_: list[str] = field(default_factory=list)
    without: list[str] = field(default_factory=list)
    in_body: bool = False

    def peer_input(self) -> str | bytes:
        try:
            return self.raw.decode("utf-8")
        except UnicodeDecodeError:
            return self.raw


def load_pages(data: Path, limit: int | None = None) -> list[Page]:
    authors = json.loads((data / "authors.json").read_text(encoding="utf-8"))
    dates = json.loads((data / "dates.json").read_text(encoding="utf-8"))
    body = json.loads((data / "body.json").read_text(encoding="utf-8"))
    pages = []
    for pid in sorted(set(authors) | set(dates) | set(body)):
        url = (authors.get(pid) or dates.get(pid) or body.get(pid) or {}).get("url")
        page = Page(pid, url, gzip.decompress((data / "pages" / f"{pid}.html.gz").read_bytes()))
        if pid in authors:
            page.author = authors[pid]["author"]
        if pid in dates:
            page.day, page.has_day = dates[pid]["date"], True
        if pid in body:
            page.with_, page.without, page.in_body = body[pid]["with"], body[pid]["without"], True
        pages.append(page)
        if limit and len(pages) >= limit:
            break
    return pages


# ------------------------------------------------------------------------------------------ extractors


@dataclass
class Output:
    authors: str | None = None
    day: str | None = None
    body: str | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # repub: byline, people, credits, published_at


def repub_extractor() -> Callable[[Page], Output]:
    from repub.extract import extract
    from repub.fetch.charset import decode_html
    from repub.normalize import normalize

    def run(page: Page) -> Output:
        html, _ = decode_html(page.raw)
        record = normalize(extract(html, page.url or NEUTRAL_URL))
        # people, else the site's own desk or team that signs the page, then the agencies and outlets
        names = list(record.authors) + list(record.org_authors) + list(record.credits)
        return Output(
            authors="; ".join(names) or None,
            day=record.published_at[:10] if record.published_at else None,
            body=record.body_text,
            extra={"byline": record.byline, "people": record.authors,
                   "credits": list(record.credits), "org_authors": list(record.org_authors),
                   "published_at": record.published_at, "title": record.title},
        )

    return run


def trafilatura_authors() -> Callable[[Page], Output]:
    from trafilatura import bare_extraction

    def run(page: Page) -> Output:
        doc = bare_extraction(page.peer_input(), with_metadata=True)
        author = getattr(doc, "author", None) if doc is not None else None
        return Output(authors=author or None)

    return run


def trafilatura_body() -> Callable[[Page], Output]:
    from trafilatura import extract

    def run(page: Page) -> Output:
        return Output(body=extract(page.raw) or None)

    return run


def htmldate_extractor(extensive: bool) -> Callable[[Page], Output]:
    from htmldate import find_date

    def run(page: Page) -> Output:
        return Output(day=find_date(page.peer_input(), extensive_search=extensive, original_date=True))

    return run


# name -> (fields it is scored on, factory, description)
EXTRACTORS: dict[str, tuple[tuple[str, ...], Callable[[], Callable[[Page], Output]], str]] = {
    "repub": (FIELDS, repub_extractor,
              "repub.extract.extract(html, url) + normalize; authors = people, else org_authors, "
              "then credits"),
    "trafilatura": (("authors",), trafilatura_authors,
                    "trafilatura bare_extraction(page, with_metadata=True).author"),
    "trafilatura-body": (("body",), trafilatura_body, "trafilatura extract(page bytes)"),
    "htmldate-extensive": (("dates",), lambda: htmldate_extractor(True),
                           "htmldate find_date(page, extensive_search=True, original_date=True)"),
    "htmldate-fast": (("dates",), lambda: htmldate_extractor(False),
                      "htmldate find_date(page, extensive_search=False, original_date=True)"),
}


@dataclass
class Run:
    name: str
    outputs: dict[str, Output]  # page id -> output
    cpu_s: float
    pages: int
    errors: int


def run_extractor(name: str, pages: list[Page], fields: tuple[str, ...]) -> Run:
    scored_on, factory, _ = EXTRACTORS[name]
    fn = factory()
    wanted = [p for p in pages if _relevant(p, set(scored_on) & set(fields))]
    outputs: dict[str, Output] = {}
    cpu = 0.0
    errors = 0
    for page in wanted:
        t0 = time.process_time()
        try:
            out = fn(page)
        except Exception as exc:  # noqa: BLE001 - a crash scores as no output, and is counted
            out = Output(error=f"{type(exc).__name__}: {exc}"[:200])
            errors += 1
        cpu += time.process_time() - t0
        outputs[page.id] = out
    return Run(name, outputs, cpu, len(wanted), errors)


def _relevant(page: Page, fields: set[str]) -> bool:
    return (("authors" in fields and page.author is not None) or ("dates" in fields and page.has_day)
            or ("body" in fields and page.in_body))


# ------------------------------------------------------------------------------------------- scores


@dataclass
class AuthorScore:
    pages: int
    exact: float
    lenient: float
    no_output: float


@dataclass
class DateScore:
    pages: int
    tp: int
    fp: int
    fn: int

    @property
    def prf(self) -> tuple[float, float, float]:
        return prf(self.tp, self.fp, self.fn)


@dataclass
class BodyScore:
    pages: int
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def prf(self) -> tuple[float, float, float]:
        return prf(self.tp, self.fp, self.fn)


def score_authors(pages: list[Page], outputs: dict[str, Output]) -> AuthorScore:
    rows = [(p, outputs.get(p.id, Output())) for p in pages if p.author is not None]
    n = len(rows)
    return AuthorScore(
        n,
        sum(author_exact(o.authors, p.author) for p, o in rows) / n,  # type: ignore[arg-type]
        sum(author_lenient(o.authors, p.author) for p, o in rows) / n,  # type: ignore[arg-type]
        sum(not o.authors for _, o in rows) / n,
    )


def score_dates(pages: list[Page], outputs: dict[str, Output]) -> DateScore:
    c = Counter(date_outcome(outputs.get(p.id, Output()).day, p.day) for p in pages if p.has_day)
    return DateScore(sum(c.values()), c["tp"], c["fp"], c["fn"])


def score_body(pages: list[Page], outputs: dict[str, Output]) -> BodyScore:
    tp = fp = fn = tn = 0
    n = 0
    for p in pages:
        if not p.in_body:
            continue
        n += 1
        a, b, c, d = snippet_counts(outputs.get(p.id, Output()).body, p.with_, p.without)
        tp, fp, fn, tn = tp + a, fp + b, fn + c, tn + d
    return BodyScore(n, tp, fp, fn, tn)


# ------------------------------------------------------------------------------------- misses by kind


def author_miss_kind(output: str | None, truth: str | list[str]) -> str | None:
    if author_exact(output, truth):
        return None
    if not output:
        return "no output"
    got, want = name_words(output), name_words(truth_author(truth))
    if got == want:
        return "same names, other form (lenient hit)"
    if got and want and got < want:
        return "names missing"
    if got and want and got > want:
        return "extra words"
    if got & want:
        return "partly right"
    return "wrong"


def date_miss_kind(output: str | None, truth: str | None) -> str | None:
    outcome = date_outcome(output, truth)
    if outcome == "tp":
        return None
    if outcome == "fn":
        return "no output"
    if truth is None:
        return "output where the page has no date"
    assert output is not None
    try:
        delta = (dt.date.fromisoformat(output) - dt.date.fromisoformat(truth)).days
    except ValueError:
        return "unparseable output"
    if abs(delta) == 1:
        return "one day off"
    if output[:4] != truth[:4]:
        return "other year"
    return "other day, same year"


def misses(pages: list[Page], outputs: dict[str, Output], fields: tuple[str, ...]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    if "authors" in fields:
        out["authors"] = Counter(
            k for p in pages if p.author is not None
            if (k := author_miss_kind(outputs.get(p.id, Output()).authors, p.author))
        )
    if "dates" in fields:
        out["dates"] = Counter(
            k for p in pages if p.has_day if (k := date_miss_kind(outputs.get(p.id, Output()).day, p.day))
        )
    return out


# ------------------------------------------------------------------------------------------- report


def report(pages: list[Page], runs: dict[str, Run], fields: tuple[str, ...], command: str) -> str:
    lines = [f"# Metadata benchmark, {dt.date.today().isoformat()}", "",
             f"- data: {DEFAULT_DATA_LABEL}: {len(pages)} pages; scoring rules of its README",
             f"- command: `{command}`",
             "- timing: CPU time of the extractor calls only, one process; compare ratios within this run;",
             "  repub's pages/s is its whole extract stage (one call gives every field)", ""]
    for name, run in runs.items():
        if run.errors:
            lines.append(f"- {name}: {run.errors} pages raised (scored as no output)")
    rate = {n: (r.pages / r.cpu_s if r.cpu_s else 0.0) for n, r in runs.items()}
    if "authors" in fields:
        lines += ["", "## Authors", "",
                  "| extractor | pages | exact | lenient | no output | pages/s |",
                  "|---|---|---|---|---|---|"]
        for name, run in runs.items():
            if "authors" in EXTRACTORS[name][0]:
                s = score_authors(pages, run.outputs)
                lines.append(f"| {name} | {s.pages} | {s.exact:.3f} | {s.lenient:.3f} | "
                             f"{s.no_output:.1%} | {rate[name]:.0f} |")
    if "dates" in fields:
        lines += ["", "## Publication day", "",
                  "| extractor | pages | P | R | F | TP | FP | FN | pages/s |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for name, run in runs.items():
            if "dates" in EXTRACTORS[name][0]:
                s = score_dates(pages, run.outputs)
                p, r, f = s.prf
                lines.append(f"| {name} | {s.pages} | {p:.3f} | {r:.3f} | {f:.3f} | {s.tp} | {s.fp} | "
                             f"{s.fn} | {rate[name]:.0f} |")
    if "body" in fields:
        lines += ["", "## Body snippets", "",
                  "| extractor | pages | P | R | F | TP | FP | FN | pages/s |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for name, run in runs.items():
            if "body" in EXTRACTORS[name][0]:
                s = score_body(pages, run.outputs)
                p, r, f = s.prf
                lines.append(f"| {name} | {s.pages} | {p:.3f} | {r:.3f} | {f:.3f} | {s.tp} | {s.fp} | "
                             f"{s.fn} | {rate[name]:.0f} |")
    if "repub" in runs:
        for what, counts in misses(pages, runs["repub"].outputs, fields).items():
            lines += ["", f"## repub's {what} misses by kind", ""]
            lines += [f"- {kind}: {n}" for kind, n in counts.most_common()] or ["- none"]
    lines += ["", *(f"- `{n}`: {EXTRACTORS[n][2]}" for n in runs)]
    return "\n".join(lines) + "\n"


DEFAULT_DATA_LABEL = "../shared/bench/metadata"


def dump(path: Path, pages: list[Page], runs: dict[str, Run]) -> None:
    """Per page: the truths and every extractor's output, for reading misses one by one."""
    rows = []
    for p in pages:
        row: dict[str, Any] = {"id": p.id, "url": p.url}
        if p.author is not None:
            row["author"] = p.author
        if p.has_day:
            row["day"] = p.day
        for name, run in runs.items():
            out = run.outputs.get(p.id)
            if out is not None:
                row[name] = {"authors": out.authors, "day": out.day, "error": out.error, **out.extra}
                if p.in_body and out.body is not None:
                    tp, fp, fn, _ = snippet_counts(out.body, p.with_, p.without)
                    row[name]["snippets"] = {"tp": tp, "fp": fp, "fn": fn}
        rows.append(row)
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--fields", default=",".join(FIELDS), help="authors,dates,body")
    ap.add_argument("--only", default="", help="extractor names, comma-separated (default: all)")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--dump", type=Path, default=None, help="write every page's outputs to this JSON file")
    ap.add_argument("--no-write", action="store_true", help="print only; no bench/results file")
    args = ap.parse_args(argv)
    fields = tuple(f for f in args.fields.split(",") if f)
    if unknown := set(fields) - set(FIELDS):
        ap.error(f"unknown field(s): {', '.join(sorted(unknown))}")
    names = [n for n in (args.only.split(",") if args.only else EXTRACTORS) if n]
    if unknown := set(names) - set(EXTRACTORS):
        ap.error(f"unknown extractor(s): {', '.join(sorted(unknown))}")
    names = [n for n in names if set(EXTRACTORS[n][0]) & set(fields)]
    if not (args.data / "pages").is_dir():
        print(f"eval_metadata: no data at {args.data} (needs ../shared/bench/metadata)", file=sys.stderr)
        return 1
    pages = load_pages(args.data, args.limit)
    runs = {}
    for name in names:
        runs[name] = run_extractor(name, pages, fields)
        print(f"{name}: {runs[name].pages} pages in {runs[name].cpu_s:.1f} s CPU", file=sys.stderr)
    text = report(pages, runs, fields, "python bench/eval_metadata.py " + " ".join(argv or sys.argv[1:]))
    print(text)
    if args.dump:
        dump(args.dump, pages, runs)
    if not args.no_write and not args.limit:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        out = RESULTS_DIR / f"metadata-{dt.date.today().isoformat()}.md"
        out.write_text(text, encoding="utf-8")
        print(f"written: {out.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
