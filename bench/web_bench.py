"""`repub serve` and its search at scale: page and API times over real HTTP, export rate, and what
keeping the search index costs import and ingest, each measured in one run.

    .venv/bin/python bench/web_bench.py [--articles 100000] [--requests 200] [--runs 5] [--work DIR]
    .venv/bin/python bench/web_bench.py --only search,pages,export,index,e2e

Figures (targets from issue 19):
  search   GET /?q=… (the search page, facets and snippets included) and GET /api/search over HTTP to
           `repub serve` on 127.0.0.1, a mix of queries (common and rare words, phrases, OR, prefixes,
           filters, no words at all): median ms (target <= 50), and the server's mean CPU ms a request
  pages    GET /article?url=… and GET /compare?url=… for sampled articles and copies: median ms (<= 30)
  export   GET /api/export?format=jsonl and `repub export --format jsonl|csv` of every article:
           articles/s (>= 5,000) per wall second and per CPU second (the server's, the export
           process's), and the export process's peak RSS at one site's rows and at all of them (flat)
  index    the store's write path (Store.save_many, 500 pages a transaction, as import's and ingest's
           writer) into a fresh database with the search index and into one whose index was dropped
           (repub.store.searchindex.uninstall), runs interleaved: pages/s of each and the cost. This is
           the whole of what the index adds to import and ingest (their fetching and extraction do not
           change), so its cost against their end-to-end throughput is smaller
  e2e      that end-to-end cost (target <= 10 %): `repub import` of --e2e-articles copies (originals
           followed) and `repub ingest` of the same fixture web (bench/fixture_web.py on loopback), each
           into a fresh database with the index and into one whose index was dropped before the run,
           rounds interleaved: pages per CPU second of every process of repub's tree (sampled from
           /proc, as run_bench.py does), pages per wall second, and the index's share of each

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


SAVED = 7_000  # articles written through Store.save_many; more are copies of them made in SQL


def build_database(path: Path, count: int, seed: int = 19) -> float:
    """``count`` synthetic articles at ``path``; seconds taken. The first ``SAVED`` go through
    Store.save_many (links, versions, the index and counts kept by the store and its triggers); the rest
    are those rows copied in SQL (``_replicate``): every row through save_many took ~3 hours for 100k on
    the shared machine (~9 pages/s), and 100k synthetic rows need the shape, not the variety."""
    from repub.normalize.types import Record
    from repub.store import Store
    from repub.store.save import SaveItem

    started = time.perf_counter()
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    items: list[SaveItem] = []
    originals: list[Record] = []
    with Store.open(f"sqlite:///{path}") as store:
        for record in synthetic(min(count, SAVED), seed):
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
    if count > SAVED:
        _replicate(path, count)
    return time.perf_counter() - started


def _replicate(path: Path, count: int) -> None:
    """Copy the saved articles (with their URL aliases and versions) until ``count``: copy k gets ids
    shifted by k times the saved count and URLs suffixed "r<k>/", links kept within the copy; the
    articles' triggers fill the full-text index and the facet counts as for any insert."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        saved = conn.execute("SELECT max(id) FROM articles").fetchone()[0]
        columns = [r[1] for r in conn.execute("PRAGMA table_info(articles)")]
        version_columns = [r[1] for r in conn.execute("PRAGMA table_info(article_versions)") if r[1] != "id"]
        shifted = {
            "id": "id + {shift}", "url": "url || 'r{k}/'", "canonical_url": "canonical_url || 'r{k}/'",
            "original_id": "original_id + {shift}",
            "original_url": "CASE WHEN original_id IS NOT NULL THEN original_url || 'r{k}/' "
                            "ELSE original_url END",
        }
        k, stored = 1, conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        while stored < count:
            shift, left = k * saved, count - stored
            picked = ", ".join(shifted.get(c, c).format(shift=shift, k=k) for c in columns)
            conn.execute(f"INSERT INTO articles ({', '.join(columns)}) SELECT {picked} FROM articles "
                         f"WHERE id <= {saved} AND id <= {left} ORDER BY id")
            conn.execute(f"INSERT INTO url_aliases (url, article_id) SELECT url || 'r{k}/', "
                         f"article_id + {shift} FROM url_aliases WHERE article_id <= {saved} "
                         f"AND article_id <= {left}")
            versions = ", ".join(f"article_id + {shift}" if c == "article_id" else c for c in version_columns)
            conn.execute(f"INSERT INTO article_versions ({', '.join(version_columns)}) SELECT {versions} "
                         f"FROM article_versions WHERE article_id <= {saved} AND article_id <= {left}")
            conn.commit()
            k, stored = k + 1, conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        conn.close()


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

    def cpu(self) -> float:
        """CPU seconds (user + system) the server process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.conn.close()
        self.proc.terminate()
        self.proc.wait(30)


def _median_ms(server: Server, paths: list[str], runs: int) -> float:
    return _timed(server, paths, runs)[0]


def _timed(server: Server, paths: list[str], runs: int) -> tuple[float, float]:
    """(median wall ms of a request, the server's mean CPU ms per request): on a loaded machine the
    wall time counts the wait for a core, the CPU time does not."""
    for path in paths[:5]:
        server.get(path)  # warm: first-use imports and the page cache
    cpu = server.cpu()
    times = [server.get(path)[0] for _ in range(runs) for path in paths]
    return statistics.median(times) * 1000, (server.cpu() - cpu) * 1000 / len(times)


def _queries(db: Path, rng: random.Random) -> list[str]:
    """A mix: common and rare words, phrases, OR, NOT, prefixes, a site filter, sorts, no words."""
    with sqlite3.connect(db) as conn:  # titles of articles drawn by the seeded rng: the same mix each run
        ids = [i for (i,) in conn.execute("SELECT id FROM articles WHERE title IS NOT NULL ORDER BY id")]
        drawn = sorted(rng.sample(ids, min(200, len(ids))))
        titles = [t for (t,) in conn.execute(
            f"SELECT title FROM articles WHERE id IN ({', '.join(map(str, drawn))}) ORDER BY id")]
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
    out = {}
    for name, path in (("search page", "/?"), ("api search", "/api/search?")):
        out[f"{name} ms"], out[f"{name} CPU ms (mean)"] = _timed(server, [path + q for q in queries], runs)
    return out


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
    started, cpu = time.perf_counter(), server.cpu()
    _seconds, body = server.get("/api/export?format=jsonl")
    rows = body.count(b"\n")
    out["api export rows"] = rows
    out["api export articles/s"] = rows / (time.perf_counter() - started)
    out["api export articles/CPU s (server)"] = rows / (server.cpu() - cpu)
    for fmt in ("jsonl", "csv"):
        target = work / f"export.{fmt}"
        # one site's rows first, then all: the peak RSS of each (the child's ru_maxrss; flat = streamed)
        for label, args in (("one site", ["--site", OUTLETS[0]]), ("all", [])):
            code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
                    "subprocess.run(sys.argv[1:], check=True); "
                    "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
                    "print(time.perf_counter() - t, u.ru_maxrss, u.ru_utime + u.ru_stime)")
            argv = [REPUB, "export", "--db", str(db), "--format", fmt, "-o", str(target), *args]
            proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                                  check=True)
            took, rss_kb, cpu_seconds = proc.stdout.split()
            with target.open(encoding="utf-8", newline="") as handle:  # (CSV cells hold newlines)
                lines = sum(1 for _ in handle) if fmt == "jsonl" else sum(1 for _ in csv.reader(handle)) - 1
            if label == "all":
                out[f"cli export {fmt} articles/s"] = lines / float(took)
                out[f"cli export {fmt} articles/CPU s"] = lines / float(cpu_seconds)
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
    cpu_rates: dict[str, list[float]] = {"with index": [], "without index": []}
    for n in range(rounds):
        for variant in (("with index", "without index") if n % 2 == 0 else ("without index", "with index")):
            path = work / f"index-{variant.replace(' ', '-')}.db"
            for p in work.glob(f"{path.name}*"):
                p.unlink()
            with Store.open(f"sqlite:///{path}") as store:
                if variant == "without index":
                    with store.engine.begin() as conn:
                        uninstall(conn)
                started, cpu = time.perf_counter(), time.process_time()
                items: list[SaveItem] = []
                for record in records:
                    items.append(SaveItem(record, now, (record.url,), 200))
                    if len(items) == 500:
                        _flush(store, items)
                _flush(store, items)
                rates[variant].append(pages / (time.perf_counter() - started))
                cpu_rates[variant].append(pages / (time.process_time() - cpu))
                with store.engine.connect() as conn:
                    stored = conn.execute(sa.text("SELECT count(*) FROM articles")).scalar_one()
                assert stored == pages, (variant, stored)
    with_index, without = (statistics.median(rates[k]) for k in ("with index", "without index"))
    cpu_with, cpu_without = (statistics.median(cpu_rates[k]) for k in ("with index", "without index"))
    return {"write pages/s with index": with_index, "write pages/s without index": without,
            "index cost %": 100 * (1 - with_index / without),
            "write pages/CPU s with index": cpu_with, "write pages/CPU s without index": cpu_without,
            "index cost % (CPU)": 100 * (1 - cpu_with / cpu_without)}


# -- the index's cost end to end: import and ingest of the same pages ----------------------------------------


def bench_end_to_end(work: Path, articles: int, rounds: int) -> dict[str, float]:
    """``repub import`` of the copies (their originals followed) and ``repub ingest`` of the same fixture
    web (bench/fixture_web.py, served on loopback), each into a fresh database with the index and into
    one whose index was dropped before the run, interleaved: pages per CPU second (every process of
    repub's tree, so the shared machine's load counts less) and per wall second, and the index's share."""
    import fixture_web
    import run_bench

    from repub.store import Store
    from repub.store.searchindex import uninstall

    web = work / f"e2e-web-{articles}"
    manifest_path = web / "manifest.json"
    manifest = (json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists()
                else fixture_web.generate(web, articles, 4))
    pages = 2 * articles
    copies = (web / "copies.txt").read_text(encoding="utf-8").split()
    sources = work / "e2e-sources.toml"
    run_bench.write_sources(sources, manifest["copy_hosts"], 10000.0, 8, articles)
    commands = {"import": [REPUB, "import", *copies], "ingest": [REPUB, "ingest", "--sources", str(sources)]}
    cpu: dict[tuple[str, str], list[float]] = {}
    wall: dict[tuple[str, str], list[float]] = {}
    with run_bench.Server(web) as server:
        for n in range(rounds):
            for variant in (("with", "without") if n % 2 == 0 else ("without", "with")):
                for command, argv in commands.items():
                    db = work / f"e2e-{command}-{variant}.db"
                    for p in work.glob(f"{db.name}*"):
                        p.unlink()
                    with Store.open(f"sqlite:///{db}") as store, store.engine.begin() as conn:
                        if variant == "without":
                            uninstall(conn)
                    env = run_bench.repub_env(server.port, manifest["hosts"], db)
                    # CPU of every process of repub's tree (fork server, extraction workers, store
                    # process), sampled from /proc as run_bench does: wait4 would miss the workers
                    # no process waits for
                    measured = run_bench.run_group([argv], env=env)
                    seconds, cpu_seconds = measured.wall, measured.cpu
                    with sqlite3.connect(db) as con:
                        stored = con.execute("SELECT count(*) FROM articles WHERE status = 'ok'"
                                             ).fetchone()[0]
                        indexed = con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'articles_fts'"
                                              ).fetchone()[0]
                    if stored != pages or indexed != (variant == "with"):
                        raise SystemExit(f"{command} {variant} index: {stored} of {pages} pages stored, "
                                         f"index tables {indexed}")
                    cpu.setdefault((command, variant), []).append(pages / cpu_seconds)
                    wall.setdefault((command, variant), []).append(pages / seconds)
    out: dict[str, float] = {}
    for command in commands:
        for label, rates in (("CPU", cpu), ("wall", wall)):
            with_index, without = (statistics.median(rates[command, v]) for v in ("with", "without"))
            out[f"{command} pages/{label} s with index"] = with_index
            out[f"{command} pages/{label} s without index"] = without
            out[f"{command} index cost % ({label})"] = 100 * (1 - with_index / without)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="passes over each list of requests")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--index-pages", type=int, default=5000)
    parser.add_argument("--index-rounds", type=int, default=6)
    parser.add_argument("--work", type=Path, default=None, help="where the databases are kept (reused)")
    parser.add_argument("--e2e-articles", type=int, default=200,
                        help="end to end: copies imported and ingested (each with its original)")
    parser.add_argument("--e2e-rounds", type=int, default=3)
    parser.add_argument("--only", default="search,pages,export,index,e2e")
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
    if "e2e" in parts:
        figures |= bench_end_to_end(work, args.e2e_articles, args.e2e_rounds)
    print(f"repub serve at {args.articles} articles ({os.cpu_count()} cores), medians:")
    for name, value in figures.items():
        print(f"  {name:<48} {value:10.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
