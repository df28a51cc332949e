"""Text reuse on real article bodies: are copies that do not say so linked to their original, and are
independent reports of one event never linked?

Run from the repo root:

    .venv/bin/python bench/eval_reuse.py [--limit N] [--seed 7] [--write] [--misses]

Data: ../shared/bench (override with --data or $REPUB_SHARED_BENCH): the 181 pages of the extraction set
(their true bodies) and the metadata set's pages, each read as repub reads a fetched page
(``decode_html``, ``extract``, ``normalize``) under its real URL. Everything below goes through repub's
own save path into a real SQLite file: fingerprints, the band lookup, verification, the decision.

- **Originals**: the real pages, stored.
- **Copies**: HTML pages on other sites built from an original's true body (the extraction set's
  ground truth, else repub's extracted body) by the changes republishers make, each copy a random mix
  (seeded): a site header, a byline and a disclaimer, a date prefix ("23 Oct 2020 – "), a new title,
  typographic quotes and dashes, a cut tail, dropped or reordered paragraphs, an editor's note, an
  "originally appeared on <outlet>" footer without a link, a share block, a "Read more at" tail. Each
  copy then goes through repub's extractor like any fetched page. Its label ``kept``: the share of
  the original's words it carries. Originals get one to three copies, dated after them; half of the
  copies are stored before their original (the original must link them when it arrives).
- **Hard negatives**: (a) real pairs of pages from the sets about one event (the same names, different
  outlets: chosen by shared capitalised names, 6 or more and 30 % of the smaller page's), minus pairs
  labelled as real copies by reading both (``KNOWN_COPIES``); (b) synthetic rewrites of originals:
  every sentence rebuilt around the same names and numbers, in other words. Both must get no link.

Scored: copy detection (a copy linked by its text to its own original: TP; to another article: wrong,
counted as a false positive and a miss; not linked: a miss; any text link on a non-copy: FP),
precision and recall, recall for copies keeping at least half of the original's words and for those
keeping less; choosing the right original among several stored candidates (copies saved when an
earlier copy and the original were both stored); links between independent reports of one event.
Then the candidate stage alone, MinHash LSH (the scheme stored) beside SimHash (64 bits, the
``simhash`` package, Hamming distance <= 3 and <= 10) and datasketch's MinHash, with the time each
takes per article: the measurement that chose MinHash.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import pickle
import random
import re
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path(os.environ.get("REPUB_SHARED_BENCH", ROOT.parent / "shared" / "bench"))
RESULTS_DIR = Path(__file__).resolve().parent / "results"
sys.path.insert(0, str(ROOT / "src"))

# Pairs of pages of the sets that are one text under two addresses, found while labelling the
# same-event pairs and confirmed by reading both: not negatives.
KNOWN_COPIES = {
    # the hunters' association's statement on the Heidelberg shooting, reproduced by the DJZ
    frozenset({"9431b98d9ac03a34", "c55a21bd8579ba8f"}),
}
REPUBLISHERS = ["dailyrepost.example", "worldmirror.example", "thecommons.example", "newswire-digest.example",
                "globalreader.example", "frontpage-review.example", "civicvoice.example", "eastwest.example"]
NAME = re.compile(r"\b[A-ZÄÖÜ][\w\-]+(?:\s+[A-ZÄÖÜ][\w\-]+)*")
NUMBER = re.compile(r"\b\d[\d.,%]*\b")
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ\"“])")


@dataclass
class Source:
    key: str  # "extraction:<id>" / "metadata:<id>"
    url: str
    html_path: Path
    truth: str | None = None  # the extraction set's true body


@dataclass
class Doc:
    """One page saved in the run, and what it is."""

    url: str
    kind: str  # original, copy, rewrite
    source: str | None = None  # the original's URL (copies and rewrites)
    kept: float | None = None  # copies: share of the original's words carried
    changes: list[str] = field(default_factory=list)
    record: Any = None
    order: int = 0
    before: bool = False  # a copy stored before its original


# -- reading the sets -----------------------------------------------------------------------------------


def sources(data: Path, limit: int | None) -> list[Source]:
    out = []
    truth = json.loads((data / "extraction" / "ground-truth.json").read_text())
    for pid, item in sorted(truth.items()):
        out.append(Source(f"extraction:{pid}", item["url"], data / "extraction" / "html" / f"{pid}.html.gz",
                          item["articleBody"]))
    urls: dict[str, str] = {}
    for name in ("authors", "dates", "body"):
        for pid, item in json.loads((data / "metadata" / f"{name}.json").read_text()).items():
            if item.get("url") and item["url"].startswith("http"):
                urls.setdefault(pid, item["url"])
    for pid in sorted(urls):
        out.append(Source(f"metadata:{pid}", urls[pid], data / "metadata" / "pages" / f"{pid}.html.gz"))
    return out[:limit] if limit else out


def extract_source(source: Source) -> tuple[str, Any, str | None]:
    from repub.errors import RepubError
    from repub.extract import extract
    from repub.fetch.charset import decode_html
    from repub.normalize import normalize

    html, _ = decode_html(gzip.decompress(source.html_path.read_bytes()))
    try:
        return source.key, normalize(extract(html, source.url)), None
    except (RepubError, ValueError) as err:
        return source.key, None, str(err)


def extract_html(args: tuple[str, str]) -> Any:
    from repub.extract import extract
    from repub.normalize import normalize

    html, url = args
    return normalize(extract(html, url))


# -- making copies ---------------------------------------------------------------------------------------


def outlet_of(url: str) -> str:
    """The outlet's name as a republisher writes it: "Venturebeat" for venturebeat.com."""
    from repub.hosts import registrable_domain

    return registrable_domain(url).split(".")[0].replace("-", " ").title()


def typographic(text: str) -> str:
    text = re.sub(r'"(\w)', "“\\1", text)
    text = text.replace('"', "”").replace("'", "’").replace(" - ", " – ").replace("--", "—")
    return text


def day_of(published: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(published[:10]) if published else None
    except ValueError:  # a month only, or a year the sets give oddly
        return None


def date_prefix(published: str | None) -> str:
    day = day_of(published) or dt.date(2020, 10, 23)
    return f"{day.day} {day.strftime('%b %Y')} – "


def later(published: str | None, days: int) -> str | None:
    day = day_of(published)
    return (day + dt.timedelta(days=days)).isoformat() if day else None


def make_copy(rng: random.Random, paragraphs: list[str], title: str, outlet: str, published: str | None,
              host: str, slug: str, date: str | None, *, heavy: bool = False
              ) -> tuple[str, str, float, list[str]]:
    """(html, url, kept, changes) of a copy of ``paragraphs``."""
    changes: list[str] = []
    paras = list(paragraphs)
    total = sum(len(p.split()) for p in paras) or 1
    if heavy:  # an excerpt: a third to a half of the text
        target = rng.uniform(0.3, 0.5) * total
        keep, words = [], 0
        for p in paras:
            if words >= target and keep:
                break
            keep.append(p)
            words += len(p.split())
        paras = keep
        changes.append("excerpt")
    elif len(paras) > 3 and rng.random() < 0.45:
        cut = rng.randint(1, max(1, len(paras) // 3))
        paras = paras[:-cut]
        changes.append("cut-tail")
    if len(paras) > 4 and rng.random() < 0.3:
        del paras[rng.randrange(1, len(paras) - 1)]
        changes.append("dropped-paragraph")
    if len(paras) > 3 and rng.random() < 0.3:
        i = rng.randrange(1, len(paras) - 1)
        paras[i], paras[i + 1] = paras[i + 1], paras[i]
        changes.append("reordered")
    kept = sum(len(p.split()) for p in paras) / total
    if rng.random() < 0.5:
        paras = [typographic(p) for p in paras]
        changes.append("typographic")
    if paras and rng.random() < 0.5:
        paras[0] = date_prefix(published) + paras[0]
        changes.append("date-prefix")
    new_title = title
    if rng.random() < 0.5:
        new_title = (rng.choice(["Opinion: ", "ANALYSIS – ", "", "Must read: "]) + " ".join(title.split()[:6])
                     + rng.choice(["", " (updated)", " – what we know"]))
        changes.append("new-title")
    top, bottom = [], []
    if rng.random() < 0.6:
        top.append(f"<p class='byline'>By Staff Writer | {escape(outlet)} – {host.split('.')[0].title()}</p>")
        top.append("<p><em>The views expressed in this article are the author's own and do not necessarily "
                   f"reflect the editorial stance of {host.split('.')[0].title()}.</em></p>")
        changes.append("byline-disclaimer")
    if rng.random() < 0.3:
        top.append("<p><strong>Editor's note:</strong> We republish this piece because our readers asked "
                   "for it; minor edits for style.</p>")
        changes.append("editors-note")
    if rng.random() < 0.5:
        bottom.append(f"<p><em>This article originally appeared on {escape(outlet)}.</em></p>")
        changes.append("originally-appeared")
    if rng.random() < 0.4:
        bottom.append("<div class='share'><p>Share this: Facebook Twitter WhatsApp Email Print</p></div>")
        changes.append("share-block")
    if heavy or rng.random() < 0.2:
        bottom.append(f"<p>Read more at {escape(outlet)}</p>")
        changes.append("read-more")
    url = f"https://www.{host}/{date[:7].replace('-', '/') if date else 'news'}/{slug}/"
    meta = f"<meta property='article:published_time' content='{date}'>" if date else ""
    body = "".join(f"<p>{escape(p)}</p>" for p in paras)
    html = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{escape(new_title)}</title>{meta}"
            f"</head><body><header><nav><a href='/'>Home</a> <a href='/world/'>World</a> "
            f"<a href='/opinion/'>Opinion</a></nav></header><main><article><h1>{escape(new_title)}</h1>"
            f"{''.join(top)}{body}{''.join(bottom)}</article></main>"
            f"<footer><p>© {host} – all rights reserved</p></footer></body></html>")
    return html, url, kept, changes


TEMPLATES = [
    "Reports about {a} keep coming, and {b} is part of them.",
    "What {a} means for {b} was the question of the day.",
    "Among those involved were {a} and {b}, observers noted.",
    "{a} drew attention, with {b} close behind.",
    "Observers pointed to {a}; others to {b}.",
    "It was {a}, not {b}, that most people talked about afterwards.",
    "In the end {a} and {b} both featured in the accounts.",
    "Accounts differ, but {a} figures in all of them, as does {b}.",
    "People following {a} also followed {b}.",
    "The figure cited most was {b}, next to {a}.",
]


def rewrite(rng: random.Random, paragraphs: list[str]) -> str:
    """Each sentence rebuilt around its names and numbers, in other words: same facts, other text."""
    out = []
    for para in paragraphs:
        sentences = []
        for sentence in SENTENCE.split(para):
            names = NAME.findall(sentence)[1:] + NUMBER.findall(sentence)  # the first is the sentence's start
            if not names:
                continue
            rng.shuffle(names)
            a = names[0]
            b = names[1] if len(names) > 1 else "the rest"
            sentences.append(rng.choice(TEMPLATES).format(a=a, b=b))
        if sentences:
            out.append(" ".join(sentences))
    return "\n\n".join(out)


# -- same-event pairs ------------------------------------------------------------------------------------


def same_event_pairs(records: dict[str, Any]) -> list[tuple[str, str]]:
    from repub.hosts import registrable_domain

    names = {}
    for key, record in records.items():
        if len(record.body_text.split()) >= 100:
            names[key] = {n for n in NAME.findall(record.body_text) if len(n) > 3}
    keys = sorted(names)
    pairs = []
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            shared = names[a] & names[b]
            small = min(len(names[a]), len(names[b])) or 1
            if len(shared) >= 6 and len(shared) / small >= 0.3 \
                    and registrable_domain(records[a].url) != registrable_domain(records[b].url) \
                    and frozenset({a.split(":")[1], b.split(":")[1]}) not in KNOWN_COPIES:
                pairs.append((a, b))
    return pairs


# -- the run ---------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    from repub.normalize import utc_now
    from repub.normalize.types import Record
    from repub.store import Store

    rng = random.Random(args.seed)
    started = time.monotonic()
    srcs = sources(args.data, args.limit)
    records: dict[str, Any] = {}
    failed = 0
    if args.cache and args.cache.exists():  # the sets' pages extracted by an earlier run (tuning)
        records, failed = pickle.loads(args.cache.read_bytes())
    else:
        with ProcessPoolExecutor(args.workers) as pool:
            for key, record, _error in pool.map(extract_source, srcs, chunksize=8):
                if record is None or len(record.body_text.split()) < 40:
                    failed += record is None
                    continue
                records[key] = record
        if args.cache:
            args.cache.write_bytes(pickle.dumps((records, failed)))
    by_key = {s.key: s for s in srcs}
    # one record per URL (the sets list a few pages twice under one address)
    seen_urls: set[str] = set()
    for key in sorted(records):
        if records[key].url in seen_urls:
            del records[key]
        else:
            seen_urls.add(records[key].url)
    extracted_s = time.monotonic() - started

    docs: list[Doc] = [Doc(r.url, "original", record=r) for r in records.values()]
    copy_pages: list[tuple[str, str]] = []
    copy_docs: list[Doc] = []
    eligible = [k for k, r in records.items() if len(r.body_text.split()) >= 120]
    rng.shuffle(eligible)
    chosen = eligible[: args.originals]
    n = 0
    for key in chosen:
        record = records[key]
        truth = by_key[key].truth
        paragraphs = [p.strip() for p in (truth or record.body_text).split("\n") if p.strip()]
        outlet = outlet_of(record.url)
        for j in range(rng.choice([1, 1, 2, 3])):
            n += 1
            host = REPUBLISHERS[(n + j) % len(REPUBLISHERS)]
            date = later(record.published_at, j + 1) if rng.random() < 0.9 else None
            html, url, kept, changes = make_copy(rng, paragraphs, record.title or "Untitled", outlet,
                                                 record.published_at, host, f"copy-{n}", date,
                                                 heavy=rng.random() < 0.12)
            copy_pages.append((html, url))
            copy_docs.append(Doc(url, "copy", source=record.url, kept=kept, changes=changes, order=j))
    rewrites: list[Doc] = []
    for i, key in enumerate(chosen[: args.rewrites]):
        record = records[key]
        paragraphs = [p for p in record.body_text.split("\n\n") if p.strip()]
        text = rewrite(rng, paragraphs)
        if len(text.split()) < 60:
            continue
        url = f"https://www.{REPUBLISHERS[i % len(REPUBLISHERS)]}/rewrite/{i}/"
        rec = Record(url=url, site=REPUBLISHERS[i % len(REPUBLISHERS)], extractor="eval", title=record.title,
                     body_text=text, published_at=later(record.published_at, 1))
        rewrites.append(Doc(url, "rewrite", source=record.url, record=rec))
    with ProcessPoolExecutor(args.workers) as pool:
        for doc, rec in zip(copy_docs, pool.map(extract_html, copy_pages, chunksize=8), strict=True):
            doc.record = rec
    pairs = same_event_pairs(records)

    # save order: originals shuffled; half the copies before their original, half after; the first
    # copy of an original with several is the "earlier copy" later ones must look past
    order: list[Doc] = list(docs)
    rng.shuffle(order)
    position = {d.url: i for i, d in enumerate(order)}
    before, after = [], []
    for doc in copy_docs:
        doc.before = rng.random() < 0.5
        (before if doc.before else after).append(doc)
    # copies before: inserted just before their original; after: appended at the end in date order
    for doc in before:
        order.insert(position[doc.source], doc)
        position = {d.url: i for i, d in enumerate(order)}
    order += sorted(after, key=lambda d: d.order) + rewrites

    saved_candidates: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{args.db or Path(tmp) / 'eval.db'}")
        stored_sources: Counter[str] = Counter()  # per original URL: how many of its texts are stored
        save_times = []
        for doc in order:
            if args.misses:
                print("saving", doc.kind, doc.record.url, doc.record.published_at, file=sys.stderr)
            if doc.kind == "copy":
                saved_candidates[doc.url] = stored_sources[doc.source]
            t0 = time.perf_counter()
            store.save_article(doc.record, fetched_at=utc_now())
            save_times.append(time.perf_counter() - t0)
            if doc.kind in ("copy", "original"):
                stored_sources[doc.source or doc.url] += 1
        links = {v.url: v for v in store.list_articles()}
        store.close()
    result = score(docs, copy_docs, rewrites, pairs, records, links, saved_candidates)
    result["candidates"] = candidate_stage(rng, copy_docs, rewrites, pairs, records, args)
    result["timing"] = {"extract_s": round(extracted_s, 1), "pages_saved": len(order),
                        "save_ms_median": round(sorted(save_times)[len(save_times) // 2] * 1000, 2)}
    result["data"] = {"sources": len(srcs), "originals": len(docs), "unreadable": failed,
                      "copies": len(copy_docs), "rewrites": len(rewrites), "same_event_pairs": len(pairs),
                      "seed": args.seed}
    return result


def _by_text(view: Any) -> bool:
    """Whether the page's original was chosen by its text (a text match names it, nothing else does)."""
    original = view.original or {}
    items = original.get("evidence") or []
    texts = {i["detail"].get("url") for i in items if i.get("kind") == "text-match"}
    own = {i["detail"].get("url") for i in items if i.get("kind") != "text-match"}
    return original.get("url") in texts and original.get("url") not in own


def records_by_url(records: dict[str, Any], url: str) -> str:
    return next((r.body_text for r in records.values() if r.url == url), "")


def measure_pair(copy_text: str, original_text: str) -> dict[str, float]:
    from repub.reuse import compare

    m = compare(copy_text, original_text)
    return {"coverage": m.coverage, "share": m.share}


def score(docs: list[Doc], copies: list[Doc], rewrites: list[Doc], pairs: list[tuple[str, str]],
          records: dict[str, Any], links: dict[str, Any], saved_candidates: dict[str, int]) -> dict[str, Any]:
    tp = fp = 0
    half = Counter()
    less = Counter()
    choose = Counter()
    undated = Counter()  # copies where neither the copy nor its original has a date
    misses: list[dict[str, Any]] = []
    wrong_links: list[dict[str, Any]] = []
    for doc in copies:
        view = links.get(doc.record.url)
        got = (view.original or {}).get("url") if view is not None else None
        source = links.get(doc.source)
        if source is not None and source.original and got == source.original.get("url"):
            got = doc.source  # the original names its own source, and the copy went there: right too
        bucket = half if (doc.kept or 0) >= 0.5 else less
        bucket["copies"] += 1
        if got == doc.source:
            tp += 1
            bucket["found"] += 1
        else:
            bucket["missed"] += 1
            if got is not None:
                fp += 1
                bucket["wrong"] += 1
            misses.append({"copy": doc.record.url, "original": doc.source, "got": got,
                           "kept": round(doc.kept or 0, 2),
                           "changes": doc.changes, "dated": bool(doc.record.published_at),
                           "original_dated": bool(source is not None and source.published_at),
                           "measured": measure_pair(doc.record.body_text,
                                                    records_by_url(records, doc.source))})
        source_view = links.get(doc.source)
        if not doc.record.published_at and (source_view is None or not source_view.published_at):
            undated["copies"] += 1
            undated["found"] += got == doc.source
            undated["stored_first"] += doc.before
        if saved_candidates.get(doc.url, 0) >= 2:  # the original and an earlier copy were stored
            choose["cases"] += 1
            choose["right"] += got == doc.source
    for doc in [*docs, *rewrites]:
        view = links.get(doc.record.url)
        if view is not None and view.original and _by_text(view):
            fp += 1
            wrong_links.append({"page": doc.record.url, "kind": doc.kind, "linked": view.original.get("url")})
    event_links = 0
    for a, b in pairs:
        ua, ub = records[a].url, records[b].url
        for x, y in ((ua, ub), (ub, ua)):
            view = links.get(x)
            if view is not None and view.original and view.original.get("url") == y:
                event_links += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / len(copies) if copies else 1.0
    return {
        "precision": round(precision, 4), "recall": round(recall, 4), "tp": tp, "fp": fp,
        "recall_half_or_more": round(half["found"] / half["copies"], 4) if half["copies"] else None,
        "copies_half_or_more": half["copies"], "wrong_half_or_more": half["wrong"],
        "recall_under_half": round(less["found"] / less["copies"], 4) if less["copies"] else None,
        "copies_under_half": less["copies"],
        "right_original": round(choose["right"] / choose["cases"], 4) if choose["cases"] else None,
        "right_original_cases": choose["cases"],
        "same_event_links": event_links,
        "undated_pairs": dict(undated),
        "false_links": wrong_links, "misses": misses,
    }


def candidate_stage(rng: random.Random, copies: list[Doc], rewrites: list[Doc], pairs: list[tuple[str, str]],
                    records: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """MinHash LSH (as stored) beside SimHash and datasketch: candidate recall on the copies, false
    candidates among negatives, and time per article."""
    from repub.reuse.fingerprint import PERMUTATIONS, SHINGLE, fingerprint, shingles

    by_url = {r.url: r for r in records.values()}
    positives = [(d.record.body_text, by_url[d.source].body_text, d.kept) for d in copies]
    negatives = [(d.record.body_text, by_url[d.source].body_text) for d in rewrites]
    negatives += [(records[a].body_text, records[b].body_text) for a, b in pairs]
    bodies = [r.body_text for r in records.values()]
    for _ in range(2000):  # random unrelated pairs
        negatives.append((rng.choice(bodies), rng.choice(bodies)))
    negatives = [(a, b) for a, b in negatives if a != b]
    out: dict[str, Any] = {"positives": len(positives), "negatives": len(negatives)}

    def lsh_hit(a: str, b: str) -> bool:
        return bool(set(fingerprint(a).bands) & set(fingerprint(b).bands))

    out["minhash_lsh"] = _stage(positives, negatives, lsh_hit)
    out["minhash_lsh"]["articles_per_cpu_s"] = _speed(bodies, fingerprint)
    try:
        from simhash import Simhash
    except ImportError:
        out["simhash"] = "not installed (pip install simhash)"
    else:
        def simhash(text: str) -> int:
            return Simhash(sorted(shingles(text))).value

        for k in (3, 10):
            out[f"simhash_hamming_le_{k}"] = _stage(
                positives, negatives, lambda a, b, k=k: bin(simhash(a) ^ simhash(b)).count("1") <= k)
        out["simhash_hamming_le_3"]["articles_per_cpu_s"] = _speed(bodies, simhash)
    try:
        from datasketch import MinHash
    except ImportError:
        out["datasketch"] = "not installed (pip install datasketch)"
    else:
        def datasketch_minhash(text: str) -> Any:
            sketch = MinHash(num_perm=PERMUTATIONS, seed=1)
            sketch.update_batch([s.encode() for s in shingles(text)])
            return sketch

        out["datasketch_minhash"] = {"articles_per_cpu_s": _speed(bodies, datasketch_minhash)}
    out["shingle_words"] = SHINGLE
    return out


def _stage(positives: list[tuple[str, str, float | None]], negatives: list[tuple[str, str]], hit: Any
           ) -> dict[str, Any]:
    half = [p for p in positives if (p[2] or 0) >= 0.5]
    found_half = sum(hit(a, b) for a, b, _ in half)
    found_all = sum(hit(a, b) for a, b, _ in positives)
    false = sum(hit(a, b) for a, b in negatives)
    return {"recall_half_or_more": round(found_half / len(half), 4) if half else None,
            "recall_all": round(found_all / len(positives), 4) if positives else None,
            "false_candidates": false, "false_candidate_rate": round(false / len(negatives), 4)}


def _speed(bodies: list[str], fn: Any) -> int:
    """Articles a CPU-second (process time: the machine is shared), best of three passes."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for body in bodies:
            fn(body)
        best = min(best, time.process_time() - start)
    return int(len(bodies) / best) if best else 0


def report(result: dict[str, Any], misses: bool) -> str:
    c = result["candidates"]
    lines = [
        f"# Text reuse, {dt.date.today().isoformat()} (bench/eval_reuse.py, seed {result['data']['seed']})",
        "",
        f"Data: {result['data']['originals']} real pages stored as originals, "
        f"{result['data']['copies']} copies "
        f"built from them, {result['data']['rewrites']} synthetic rewrites, "
        f"{result['data']['same_event_pairs']} real same-event pairs.",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| precision of text links | {result['precision']:.4f} ({result['tp']} right, {result['fp']} false) "
        "| >= 0.99 |",
        f"| recall, copies keeping >= half the text | {result['recall_half_or_more']} "
        f"({result['copies_half_or_more']} copies) | >= 0.97 |",
        f"| recall, copies keeping less (excerpts) | {result['recall_under_half']} "
        f"({result['copies_under_half']} copies) | - |",
        f"| recall, all copies | {result['recall']:.4f} | - |",
        f"| right original among several stored | {result['right_original']} "
        f"({result['right_original_cases']} copies) | - |",
        f"| links between same-event reports | {result['same_event_links']} | 0 |",
        "",
        f"Copies where neither page has a date: {result['undated_pairs']} (of those stored before their "
        "original nothing tells which came first but what the pages say and cut; see docs/reuse.md).",
        "",
        "Candidate stage alone (any band key shared / Hamming distance), on the same copies and negatives "
        f"({c['positives']} copy pairs, {c['negatives']} negative pairs: rewrites, same-event, random):",
        "",
        "| scheme | recall >= half | recall all | false candidates | articles per CPU-second |",
        "|---|---|---|---|---|",
    ]
    for name in ("minhash_lsh", "simhash_hamming_le_3", "simhash_hamming_le_10", "datasketch_minhash"):
        row = c.get(name)
        if isinstance(row, dict):
            lines.append(f"| {name} | {row.get('recall_half_or_more', '-')} | {row.get('recall_all', '-')} | "
                         f"{row.get('false_candidates', '-')} | {row.get('articles_per_cpu_s', '-')} |")
    lines += ["", f"Timing: {result['timing']}"]
    if misses:
        lines += ["", "Misses:"] + [f"- {m}" for m in result["misses"]]
        lines += ["", "False links:"] + [f"- {m}" for m in result["false_links"]]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, help="only the first N pages of the sets")
    parser.add_argument("--originals", type=int, default=400, help="originals that get copies")
    parser.add_argument("--rewrites", type=int, default=200, help="synthetic rewrites")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, help="keep the run's database in this (new) file")
    parser.add_argument("--cache", type=Path, help="keep the pages extracted from the sets in this file "
                                                   "and read them from it next time (for tuning runs)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="write bench/results/<date>-reuse.md and .json")
    parser.add_argument("--misses", action="store_true", help="list every miss and false link")
    args = parser.parse_args()
    if not (args.data / "extraction").is_dir():
        print(f"no data at {args.data} (--data or $REPUB_SHARED_BENCH)", file=sys.stderr)
        return 1
    result = run(args)
    text = report(result, args.misses)
    print(text)
    if args.write:
        RESULTS_DIR.mkdir(exist_ok=True)
        stem = RESULTS_DIR / f"{dt.date.today().isoformat()}-reuse"
        stem.with_suffix(".md").write_text(report(result, False) + "\n")
        stem.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
