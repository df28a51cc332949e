"""`repub serve` and its search at scale: page and API times over real HTTP, export rate, and what
keeping the search index costs import and ingest, each measured in one run.

    .venv/bin/python bench/web_bench.py [--articles 100000] [--requests 200] [--runs 5] [--work DIR]
    .venv/bin/python bench/web_bench.py --only search,pages,export,index

Figures (targets from issue 19):
  search   GET /?q=… (the search page, facets and snippets included) and GET /api/search over HTTP to
           `repub serve` on 127.0.0.1, a mix of queries (common and rare words, phrases, OR, prefixes,
           filters, no words at all): median ms (target <= 50)
  pages    GET /article?url=… and GET /compare?url=… for sampled articles and copies: median ms (<= 30)
  export   GET /api/export?format=jsonl and `repub export --format jsonl|csv` of every article:
           articles/s (>= 5,000) and the export process's peak RSS at 10 % and 100 % of the rows (flat)
  index    the store's write path (Store.save_many, 500 pages a transaction, as import's and ingest's
           writer) into a fresh database with the search index and into one whose index was dropped
           (repub.store.searchindex.uninstall), runs interleaved: pages/s of each and the cost. This is
           the whole of what the index adds to import and ingest (their fetching and extraction do not
           change), so its cost against their end-to-end throughput is smaller (target <= 10 %)

The stored articles are synthetic rows written through the store's own write path (Store.save_many,
so the index triggers run as on import): bodies of 4-12 paragraphs drawn from the 181 real article
bodies of ../shared/bench/extraction, authors from ../shared/bench/metadata, 40 % originals on 12
outlet sites, 40 % copies of them on 8 republisher sites (each adding a disclaimer, some cutting the
last paragraph or changing a word), 20 % standalone; 1 % of originals changed later (their copies
diverge). The database is built once per --articles/--seed in --work and reused.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import http.client
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SHARED = ROOT.parent / "shared" / "bench"
sys.path.insert(0, str(BENCH))

BIN = Path(sys.executable).parent
REPUB = str(BIN / "repub")
OUTLETS = [f"outlet{i}.example" for i in range(12)]
REPUBLISHERS = [f"republisher{i}.example" for i in range(8)]
DISCLAIMER = ("Disclaimer: the views in this article are the author's own and are republished here "
              "for discussion; they do not necessarily reflect the editors' opinion.")


# -- the synthetic database -----------------------------------------------------------------------------


def _pool() -> tuple[list[str], list[str]]:
    truth = json.loads((SHARED / "extraction" / "ground-truth.json").read_text(encoding="utf-8"))
    paragraphs = [p.strip() for v in truth.values() for p in (v.get("articleBody") or "").split("\n")
                  if len(p.split()) >= 8]
    authors = json.loads((SHARED / "metadata" / "authors.json").read_text(encoding="utf-8"))
    names = sorted({str(v["author"]).strip() for v in authors.values() if v.get("author")})
    return paragraphs, names


def synthetic(count: int, seed: int, start: int = 0) -> Iterator[Any]:
    """``count`` synthetic records (see the module's docstring), in the order they are stored."""
    from repub.normalize.types import OriginalLink, Record

    rng = random.Random(seed)
    paragraphs, names = _pool()
    day0 = dt.date(2019, 1, 1)
    originals: list[Record] = []
    for i in range(start, start + count):
        roll = i % 5  # 0, 1: original; 2, 3: copy of a recent original; 4: standalone
        published = (day0 + dt.timedelta(days=rng.randrange(7 * 365))).isoformat()
        if roll in (2, 3) and originals:
            source = originals[-rng.randrange(1, min(len(originals), 50) + 1)]
            body = source.body_text.split("\n\n")
            if rng.random() < 0.4 and len(body) > 2:
                body = body[:-1]  # the last paragraph cut
            if rng.random() < 0.3:
                j = rng.randrange(len(body))
                body[j] = body[j].replace(" the ", " this ", 1)  # a word changed
            site = rng.choice(REPUBLISHERS)
            url = f"https://{site}/{published[:7].replace('-', '/')}/copy-{i}/"
            record = Record(url=url, site=site, extractor="bench", title=source.title,
                            authors=list(source.authors), byline=f"{', '.join(source.authors)} | "
                            f"{source.site}", section="World", published_at=published, language="en",
                            canonical_url=url, tags=list(source.tags),
                            body_text="\n\n".join([*body, DISCLAIMER]),
                            original=OriginalLink(source.url, source.site, source.published_at))
        else:
            site = rng.choice(OUTLETS) if roll < 2 else rng.choice(REPUBLISHERS)
            url = f"https://{site}/news/{published}/article-{i}/"
            text = rng.sample(paragraphs, rng.randint(4, 12))
            title = " ".join(text[0].split()[:rng.randint(5, 10)]).rstrip(",.;:")
            authors = rng.sample(names, rng.choice((1, 1, 1, 2)))
            record = Record(url=url, site=site, extractor="bench", title=title, authors=authors,
                            byline="By " + " and ".join(authors), section="World", published_at=published,
                            language="en", canonical_url=url,
                            tags=rng.sample(["politics", "climate", "economy", "war", "health", "tech"], 2),
                            body_text="\n\n".join(text))
            if roll < 2:
                originals.append(record)
        yield record


def _flush(store: Any, items: list[Any]) -> None:
    for result in store.save_many(items):
        if isinstance(result, Exception):
            raise result
    items.clear()


def build_database(path: Path, count: int, seed: int = 19) -> float:
    """Store ``count`` synthetic articles at ``path`` through Store.save_many; seconds taken."""
    from repub.normalize.types import Record
    from repub.store import Store
    from repub.store.save import SaveItem

    started = time.perf_counter()
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    items: list[SaveItem] = []
    originals: list[Record] = []
    with Store.open(f"sqlite:///{path}") as store:
        for record in synthetic(count, seed):
            if record.original is None and record.site in OUTLETS:
                originals.append(record)
            items.append(SaveItem(record, now, (record.url,), 200))
            if len(items) == 500:
                _flush(store, items)
        _flush(store, items)
        # 1 % of the originals change: their copies diverge (a second version, as a resync would save it)
        later = now + dt.timedelta(days=30)
        for record in random.Random(seed).sample(originals, max(1, len(originals) // 100)):
            changed = Record(**{**record.__dict__, "body_text": record.body_text + "\n\nUpdate: corrected."})
            items.append(SaveItem(changed, later, (record.url,), 200))
        _flush(store, items)  # (the store links each copy to its original by URL as it saves)
    return time.perf_counter() - started


def database(work: Path, count: int, seed: int) -> Path:
    """The bench database for ``count``/``seed``, built on first use and kept in ``work``."""
    path = work / f"web-{count}-{seed}.db"
    marker = path.with_suffix(".done")
    if not marker.exists():
        for p in work.glob(f"{path.name}*"):
            p.unlink()
        seconds = build_database(path, count, seed)
        marker.write_text(f"{seconds:.1f}\n", encoding="utf-8")
        print(f"built {path} ({count} articles) in {seconds:.0f} s", file=sys.stderr)
    return path


# -- over HTTP ----------------------------------------------------------------------------------------


class Server:
    """``repub serve`` on a free port over ``db``; ``get`` times one request on a kept-alive connection."""

    def __init__(self, db: Path) -> None:
        self.proc = subprocess.Popen([REPUB, "serve", "--db", str(db), "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if "http://" not in line:
            self.proc.kill()
            raise SystemExit(f"repub serve did not start: {line!r}")
        host, port = line.split("http://", 1)[1].split("/", 1)[0].rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=120)

    def get(self, path: str) -> tuple[float, bytes]:
        started = time.perf_counter()
        self.conn.request("GET", path)
        answer = self.conn.getresponse()
        body = answer.read()
        seconds = time.perf_counter() - started
        if answer.status != 200:
            raise SystemExit(f"GET {path}: {answer.status} {body[:200]!r}")
        return seconds, body

    def close(self) -> None:
        self.conn.close()
        self.proc.terminate()
        self.proc.wait(30)


def _median_ms(server: Server, paths: list[str], runs: int) -> float:
    for path in paths[:5]:
        server.get(path)  # warm: first-use imports and the page cache
    times = [server.get(path)[0] for _ in range(runs) for path in paths]
    return statistics.median(times) * 1000


def _queries(db: Path, rng: random.Random) -> list[str]:
    """A mix: common and rare words, phrases, OR, NOT, prefixes, a site filter, sorts, no words."""
    with sqlite3.connect(db) as conn:
        titles = [t for (t,) in conn.execute("SELECT title FROM articles ORDER BY random() LIMIT 200")]
    words = [w.strip(",.;:'\"()").lower() for t in titles for w in t.split()]
    words = [w for w in words if w.isalpha() and len(w) > 3]
    out = ["q=the", "q=government", "q=president+OR+minister", "q=%22the+government%22", "q=war+-climate",
           "q=polit*", "q=", "q=&sort=oldest", "q=&kind=copy", "q=&diverged=1",
           f"q=the&site={REPUBLISHERS[0]}", "q=&site=" + OUTLETS[0] + "&sort=title"]
    out += [f"q={quote(rng.choice(words))}" for _ in range(12)]
    out += [f"q={quote(rng.choice(words))}+{quote(rng.choice(words))}" for _ in range(6)]
    return out


def bench_search(server: Server, db: Path, runs: int, rng: random.Random) -> dict[str, float]:
    queries = _queries(db, rng)
    return {"search page ms": _median_ms(server, [f"/?{q}" for q in queries], runs),
            "api search ms": _median_ms(server, [f"/api/search?{q}" for q in queries], runs)}


def bench_pages(server: Server, db: Path, runs: int) -> dict[str, float]:
    with sqlite3.connect(db) as conn:
        articles = [u for (u,) in conn.execute("SELECT url FROM articles ORDER BY random() LIMIT 40")]
        copies = [u for (u,) in conn.execute(
            "SELECT url FROM articles WHERE original_id IS NOT NULL ORDER BY random() LIMIT 40")]
        originals = [u for (u,) in conn.execute(
            "SELECT o.url FROM articles o WHERE o.id IN (SELECT original_id FROM articles) "
            "ORDER BY random() LIMIT 40")]
    return {"article ms": _median_ms(server, [f"/article?url={quote(u, safe='')}" for u in articles], runs),
            "original (travel) ms": _median_ms(
                server, [f"/article?url={quote(u, safe='')}" for u in originals], runs),
            "compare ms": _median_ms(server, [f"/compare?url={quote(u, safe='')}" for u in copies], runs)}


def bench_export(server: Server, db: Path, work: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    started = time.perf_counter()
    _seconds, body = server.get("/api/export?format=jsonl")
    rows = body.count(b"\n")
    out["api export rows"] = rows
    out["api export articles/s"] = rows / (time.perf_counter() - started)
    for fmt in ("jsonl", "csv"):
        target = work / f"export.{fmt}"
        # one site's rows first, then all: the peak RSS of each (the child's ru_maxrss; flat = streamed)
        for label, args in (("one site", ["--site", OUTLETS[0]]), ("all", [])):
            code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
                    "subprocess.run(sys.argv[1:], check=True); "
                    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
            argv = [REPUB, "export", "--db", str(db), "--format", fmt, "-o", str(target), *args]
            proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                                  check=True)
            took, rss_kb = proc.stdout.split()
            with target.open(encoding="utf-8", newline="") as handle:  # (CSV cells hold newlines)
                lines = sum(1 for _ in handle) if fmt == "jsonl" else sum(1 for _ in csv.reader(handle)) - 1
            if label == "all":
                out[f"cli export {fmt} articles/s"] = lines / float(took)
            out[f"cli export {fmt} peak MB ({label}: {lines} rows)"] = int(rss_kb) / 1024
            target.unlink()
    return out


# -- the index's cost on the write path ------------------------------------------------------------------


def bench_index(work: Path, pages: int, rounds: int) -> dict[str, float]:
    import sqlalchemy as sa

    from repub.store import Store
    from repub.store.save import SaveItem
    from repub.store.searchindex import uninstall

    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    records = list(synthetic(pages, 7))
    rates: dict[str, list[float]] = {"with index": [], "without index": []}
    for n in range(rounds):
        for variant in (("with index", "without index") if n % 2 == 0 else ("without index", "with index")):
            path = work / f"index-{variant.replace(' ', '-')}.db"
            for p in work.glob(f"{path.name}*"):
                p.unlink()
            with Store.open(f"sqlite:///{path}") as store:
                if variant == "without index":
                    with store.engine.begin() as conn:
                        uninstall(conn)
                started = time.perf_counter()
                items: list[SaveItem] = []
                for record in records:
                    items.append(SaveItem(record, now, (record.url,), 200))
                    if len(items) == 500:
                        _flush(store, items)
                _flush(store, items)
                rates[variant].append(pages / (time.perf_counter() - started))
                with store.engine.connect() as conn:
                    stored = conn.execute(sa.text("SELECT count(*) FROM articles")).scalar_one()
                assert stored == pages, (variant, stored)
    with_index, without = (statistics.median(rates[k]) for k in ("with index", "without index"))
    return {"write pages/s with index": with_index, "write pages/s without index": without,
            "index cost %": 100 * (1 - with_index / without)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="passes over each list of requests")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--index-pages", type=int, default=5000)
    parser.add_argument("--index-rounds", type=int, default=6)
    parser.add_argument("--work", type=Path, default=None, help="where the databases are kept (reused)")
    parser.add_argument("--only", default="search,pages,export,index")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    work = args.work or Path(tempfile.gettempdir()) / "repub-web-bench"
    work.mkdir(parents=True, exist_ok=True)
    figures: dict[str, float] = {}
    if parts & {"search", "pages", "export"}:
        db = database(work, args.articles, args.seed)
        server = Server(db)
        try:
            if "search" in parts:
                figures |= bench_search(server, db, args.runs, random.Random(args.seed))
            if "pages" in parts:
                figures |= bench_pages(server, db, args.runs)
            if "export" in parts:
                figures |= bench_export(server, db, work)
        finally:
            server.close()
    if "index" in parts:
        figures |= bench_index(work, args.index_pages, args.index_rounds)
    print(f"repub serve at {args.articles} articles ({os.cpu_count()} cores), medians:")
    for name, value in figures.items():
        print(f"  {name:<48} {value:10.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
