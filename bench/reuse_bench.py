"""Text reuse at scale: fingerprint speed, index time per article and candidate lookup time as the
store grows, and what text reuse costs the import and ingest paths, each measured in one run.

Run from the repo root (``make bench`` runs it with its defaults):

    .venv/bin/python bench/reuse_bench.py [--sizes 10000,100000,1000000] [--db-url URL] [--write]

- **fingerprint**: ``repub.reuse.fingerprint`` over the 181 true bodies of ../shared/bench/extraction,
  articles per CPU-second (process time: the machine is shared), best of five passes.
- **index and lookup at N stored**: the band table is filled with N synthetic articles (64 random
  band keys each, as many rows as N real ones would give) plus the 181 real bodies stored as articles;
  then, at each size, *index*: ``write_fingerprint`` of 100 more articles (the per-article cost of the
  save path's index write), *lookup*: ``candidate_ids`` for copies of the real bodies (their last
  third cut), and *lookup + verify*: the lookup, the candidates' texts loaded and measured, as a save
  does it. Medians, in milliseconds.
- **import / ingest cost**: the same pages (the extraction set's real HTML) saved with and without the
  text-reuse step, alternately, in this process: *import* is ``Importer.save_page`` (extract, normalize,
  fingerprint, save one page a transaction: the ``repub import`` path without the network); *ingest* is
  ``prepare_in_worker`` (what an extraction worker does, fingerprint included) then ``Store.save_many``
  in batches of 50 (what the writer does). Pages per second, median of the runs; the ratio is the
  throughput with text reuse over without.

SQLite by default (a file under --work); ``--db-url`` measures the index and lookup on another database
(e.g. PostgreSQL: ``postgresql+psycopg://...``), which must be empty.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gzip
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("REPUB_SHARED_BENCH", ROOT.parent / "shared" / "bench")) / "extraction"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
sys.path.insert(0, str(ROOT / "src"))
SYNTHETIC_BASE = 10_000_000  # synthetic article ids start here: no real row has them


def true_bodies() -> list[tuple[str, str]]:
    truth = json.loads((DATA / "ground-truth.json").read_text(encoding="utf-8"))
    return [(item["url"], item["articleBody"]) for _, item in sorted(truth.items())]


def bench_fingerprint(bodies: list[str]) -> int:
    from repub.reuse import fingerprint

    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for body in bodies:
            fingerprint(body)
        best = min(best, time.process_time() - start)
    return int(len(bodies) / best)


def _fill(engine: Any, start: int, count: int, rng: random.Random) -> None:
    """``count`` synthetic articles' band rows, ids from ``start``: on SQLite made by one INSERT ... SELECT
    in SQLite itself, sorted by key (64M rows for 1M articles: rows built in Python and sent by
    executemany took over 40 minutes on a loaded machine); elsewhere in sorted batches."""
    from repub.reuse.fingerprint import BANDS
    from repub.store.models import FingerprintBand

    table = FingerprintBand.__table__
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "WITH RECURSIVE ids(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM ids WHERE x < ?), "
                "bands(b) AS (SELECT 1 UNION ALL SELECT b + 1 FROM bands WHERE b < ?) "
                f"INSERT INTO {table.name} (band_key, article_id) "
                "SELECT random() AS k, x FROM ids, bands ORDER BY k",
                (start, start + count - 1, BANDS),
            )
        return
    batch = 5_000
    for first in range(start, start + count, batch):
        rows = sorted((rng.getrandbits(64) - (1 << 63), aid)
                      for aid in range(first, min(first + batch, start + count)) for _ in range(BANDS))
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"band_key": k, "article_id": a} for k, a in rows])


def bench_scale(url: str, sizes: list[int], bodies: list[tuple[str, str]], rng: random.Random
                ) -> list[dict[str, Any]]:
    from repub.normalize import utc_now
    from repub.normalize.types import Record
    from repub.reuse import fingerprint
    from repub.store import Store
    from repub.store.save import new_stub
    from repub.store.textreuse import candidate_ids, load, measured, write_fingerprint

    store = Store.open(url)
    engine = store.engine
    for i, (page_url, body) in enumerate(bodies):
        store.save_article(Record(url=page_url, site=f"site{i}.example", extractor="bench", body_text=body,
                                  published_at="2019-11-18"), fetched_at=utc_now())
    copies = []
    for _, body in bodies:
        paragraphs = [p for p in body.split("\n") if p.strip()]
        copies.append("\n\n".join(paragraphs[: max(1, 2 * len(paragraphs) // 3)]))
    copy_prints = [fingerprint(text) for text in copies]
    extra = [fingerprint(body + f"\n\nRevision note {n}.") for n, (_, body) in enumerate(bodies[:100])]
    out = []
    filled = 0
    next_id = SYNTHETIC_BASE
    for size in sizes:
        _fill(engine, next_id, size - filled, rng)
        next_id += size - filled
        filled = size
        with engine.begin() as conn:  # analyse, as a database that has been used
            conn.exec_driver_sql("ANALYZE")
        index_ms = []
        for fp in extra:
            with engine.begin() as conn:
                article_id, _ = new_stub(conn, f"https://bench.example/{size}/{len(index_ms)}", status="ok",
                                         seen_at=utc_now())
                start = time.perf_counter()
                write_fingerprint(conn, article_id, 1, fp, utc_now(), new_article=True)
                index_ms.append((time.perf_counter() - start) * 1000)
        lookup_ms, verify_ms, found = [], [], 0
        for fp, text in zip(copy_prints, copies, strict=True):
            with engine.connect() as conn:
                start = time.perf_counter()
                ids = candidate_ids(conn, fp.bands)
                lookup_ms.append((time.perf_counter() - start) * 1000)
                candidates = measured(text, load(conn, ids).values())
                verify_ms.append((time.perf_counter() - start) * 1000)
                found += any(c.match.coverage > 0.5 for c in candidates)
        out.append({"stored": size + len(bodies), "index_ms": round(statistics.median(index_ms), 3),
                    "lookup_ms": round(statistics.median(lookup_ms), 3),
                    "lookup_p95_ms": round(sorted(lookup_ms)[int(0.95 * len(lookup_ms))], 3),
                    "lookup_verify_ms": round(statistics.median(verify_ms), 3),
                    "copies_found": f"{found}/{len(copies)}"})
        print(f"  {out[-1]}", file=sys.stderr)
    store.close()
    return out


@contextlib.contextmanager
def reuse_off() -> Iterator[None]:
    """The save path without its text-reuse step (and the import path without its fingerprint)."""
    import repub.pipeline as pipeline
    import repub.store.save as save

    fp = sys.modules["repub.reuse.fingerprint"]  # the package exports a function of the same name

    saved = (save.index_and_link, pipeline.fingerprint, fp.fingerprint)
    save.index_and_link = lambda *a, **k: None  # type: ignore[assignment]
    pipeline.fingerprint = lambda text: None  # type: ignore[assignment,return-value]
    fp.fingerprint = lambda text: None  # type: ignore[assignment,return-value]  (prepare_in_worker's)
    try:
        yield
    finally:
        save.index_and_link, pipeline.fingerprint, fp.fingerprint = saved


def pages(limit: int) -> list[Any]:
    from repub.fetch.charset import decode_html
    from repub.fetch.types import Page
    from repub.normalize import utc_now

    truth = json.loads((DATA / "ground-truth.json").read_text(encoding="utf-8"))
    out = []
    for key, item in sorted(truth.items())[:limit]:
        body = gzip.decompress((DATA / "html" / f"{key}.html.gz").read_bytes())
        text, charset = decode_html(body)
        out.append(Page(url=item["url"], final_url=item["url"], status=200, headers={},
                        content_type="text/html", charset=charset, body=body, text=text,
                        fetched_at=utc_now(), elapsed=0.0))
    return out


def bench_paths(work: Path, limit: int, runs: int) -> dict[str, Any]:
    from repub.config import Settings
    from repub.errors import RepubError
    from repub.ingest.extraction import prepare_in_worker
    from repub.pipeline import Importer, save_item
    from repub.store import Store
    from repub.store.history import RawBody

    fetched = pages(limit)

    def import_run(db: Path) -> float:
        with Store.open(f"sqlite:///{db}") as store:
            importer = Importer(store, Settings())
            start = time.perf_counter()
            for page in fetched:
                with contextlib.suppress(RepubError):
                    importer.save_page(page)
            return len(fetched) / (time.perf_counter() - start)

    def ingest_run(db: Path) -> float:
        with Store.open(f"sqlite:///{db}") as store:
            start = time.perf_counter()
            items = []
            for page in fetched:
                raw = RawBody(page.final_url, page.body, page.charset)
                ready, _ = prepare_in_worker(None, page.final_url, raw)
                if ready is not None:
                    items.append(save_item(ready.record, page, raw=ready.raw, content_hash=ready.content_hash,
                                           fingerprint=ready.fingerprint))
            for first in range(0, len(items), 50):
                store.save_many(items[first:first + 50])
            return len(fetched) / (time.perf_counter() - start)

    figures: dict[str, dict[str, list[float]]] = {"import": {"with": [], "without": []},
                                                   "ingest": {"with": [], "without": []}}
    n = 0
    for _ in range(runs):
        for name, fn in (("import", import_run), ("ingest", ingest_run)):
            for variant in ("without", "with"):
                n += 1
                db = work / f"paths-{n}.db"
                if variant == "without":
                    with reuse_off():
                        figures[name][variant].append(fn(db))
                else:
                    figures[name][variant].append(fn(db))
                db.unlink()
    out: dict[str, Any] = {"pages": len(fetched), "runs": runs}
    for name, both in figures.items():
        with_, without = statistics.median(both["with"]), statistics.median(both["without"])
        out[name] = {"with_pages_s": round(with_, 1), "without_pages_s": round(without, 1),
                     "ratio": round(with_ / without, 3)}
    return out


def report(result: dict[str, Any]) -> str:
    lines = [f"# Text reuse at scale, {dt.date.today().isoformat()} (bench/reuse_bench.py)", "",
             f"Fingerprint: {result['fingerprint_per_cpu_s']} articles per CPU-second (target >= 2,000).", "",
             f"Index and lookup on {result['backend']}:", "",
             "| stored | index ms/article | lookup ms (median) | lookup ms (p95) | lookup + verify ms "
             "| copies found |",
             "|---|---|---|---|---|---|"]
    for row in result["scale"]:
        lines.append(f"| {row['stored']:,} | {row['index_ms']} | {row['lookup_ms']} | "
                     f"{row['lookup_p95_ms']} | {row['lookup_verify_ms']} | {row['copies_found']} |")
    paths = result.get("paths")
    if paths:
        lines += ["", f"Import and ingest paths, {paths['pages']} real pages, {paths['runs']} runs each way "
                      "(target: with text reuse >= 0.90 x without):", "",
                  "| path | with (pages/s) | without (pages/s) | ratio |", "|---|---|---|---|"]
        for name in ("import", "ingest"):
            p = paths[name]
            lines.append(f"| {name} | {p['with_pages_s']} | {p['without_pages_s']} | {p['ratio']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="stored fingerprints to measure at")
    parser.add_argument("--db-url", help="an empty database to measure the index on (default: SQLite)")
    parser.add_argument("--work", type=Path, help="a folder for the databases (default: a temporary one)")
    parser.add_argument("--paths", type=int, default=150, help="pages for the import/ingest cost (0: skip)")
    parser.add_argument("--runs", type=int, default=3, help="runs each way for the import/ingest cost")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--write", action="store_true",
                        help="write bench/results/<date>-reuse-scale.md and .json")
    args = parser.parse_args()
    if not (DATA / "ground-truth.json").exists():
        print(f"no data at {DATA} ($REPUB_SHARED_BENCH)", file=sys.stderr)
        return 1
    sizes = sorted(int(s) for s in args.sizes.split(","))
    bodies = true_bodies()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        url = args.db_url or f"sqlite:///{work / 'scale.db'}"
        result: dict[str, Any] = {"fingerprint_per_cpu_s": bench_fingerprint([b for _, b in bodies]),
                                  "backend": url.split(":")[0]}
        print(f"fingerprint: {result['fingerprint_per_cpu_s']}/CPU-s", file=sys.stderr)
        result["scale"] = bench_scale(url, sizes, bodies, random.Random(args.seed))
        if args.paths:
            result["paths"] = bench_paths(work, args.paths, args.runs)
    text = report(result)
    print(text)
    if args.write:
        RESULTS_DIR.mkdir(exist_ok=True)
        stem = RESULTS_DIR / f"{dt.date.today().isoformat()}-reuse-scale"
        stem.with_suffix(".md").write_text(text + "\n")
        stem.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
