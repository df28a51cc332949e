"""WARC import benchmark (issue 20): pages/s beside the same pages fetched, and memory as files grow.

    .venv/bin/python bench/warc_bench.py [--articles 1000] [--runs 3] [--memory 1000,10000,100000]
    .venv/bin/python bench/warc_bench.py --only speed|memory [--no-write]

Writes bench/results/warc-<date>.md. Figures, each run interleaved so the machine's load hits all alike:
  (w1) `repub import --warc` of one WARC holding the fixture web's pages (bench/fixture_web.py: N TMS-shaped
       copies and their N RT-shaped originals, 60-120 KB each, one gzip member per record), pages/s of the
       whole command, fresh database each run;
  (w2) `repub ingest` of the same pages fetched from the fixture web on loopback (one sitemap source per
       copy host, originals followed), as bench/run_bench.py's import figure runs it: the fetching peer;
  (w3) trafilatura over the same records: warcio reads the WARC, `trafilatura.extract` runs on each HTML
       payload in a pool of one process per core (the same cores repub gets; nothing is stored);
  (w4) peak memory (summed PSS of the command and every process under it) of `repub import --warc` over
       synthetic WARCs of 1k, 10k, 100k records as crawlers write them (a quarter generic article pages
       of ~7 KB, a quarter images, half request records): flat means the same figure at every size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
import fixture_web  # noqa: E402
from run_bench import TreeMemory  # noqa: E402  (peak PSS and CPU of a process tree, as run_bench measures)

BIN = Path(sys.executable).parent
REPUB = str(BIN / "repub")
RESULTS = BENCH / "results"


# -- measuring --------------------------------------------------------------------------------------


LAST_CPU: list[float] = [0.0]  # CPU seconds of the command's tree, of the last ``measured`` call


def measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """(wall seconds, peak PSS bytes of the command's tree, stdout); RuntimeError when it fails.
    Its CPU seconds are left in LAST_CPU."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    memory = TreeMemory([proc.pid])
    memory.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    memory.stop()
    LAST_CPU[0] = memory.cpu
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}… exited {proc.returncode}: {err[-2000:]}")
    return wall, memory.peak, out


# -- the WARCs --------------------------------------------------------------------------------------


def write_fixture_warc(work: Path, path: Path) -> int:
    """The fixture web's copies and originals as response records, a copy then its original."""
    from warcio.warcwriter import WARCWriter

    copies = (work / "copies.txt").read_text().split()
    originals = (work / "originals.txt").read_text().split()
    when = dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.UTC)
    count = 0
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "bench/warc_bench.py"}))
        for pair in zip(copies, originals, strict=True):
            for url in pair:
                body = (work / "pages" / url.split("://", 1)[1] / "index.html").read_bytes()
                _response(writer, url, body, when + dt.timedelta(seconds=count))
                count += 1
    return count


def _response(writer: object, url: str, body: bytes, when: dt.datetime) -> None:
    from warcio.statusandheaders import StatusAndHeaders

    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                       ("Content-Length", str(len(body))), ("Server", "bench")],
                            protocol="HTTP/1.1")
    record = writer.create_warc_record(  # type: ignore[attr-defined]
        url, "response", payload=io.BytesIO(body), http_headers=http,
        warc_headers_dict={"WARC-Date": when.strftime("%Y-%m-%dT%H:%M:%SZ")})
    writer.write_record(record)  # type: ignore[attr-defined]


WORDS = [
    "river", "town", "council", "bridge", "farm", "road", "station", "spring", "water", "school",
    "hall", "market", "mayor", "budget", "harvest", "rain", "winter", "report", "meeting", "decision",
    "villagers", "engineers", "repair", "flood", "bank",
]


def write_synthetic_warc(path: Path, records: int, seed: int = 5) -> int:
    """``records`` records as a crawler writes them, in fours: a generic article page (~7 KB, no site
    rule, no canonical link, a distinct URL), its request, an image and its request. Returns the pages."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    rng = random.Random(seed)
    when = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    image = bytes(rng.randrange(256) for _ in range(5000))
    pages = 0
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "bench/warc_bench.py"}))
        for n in range(records):
            at = when + dt.timedelta(seconds=n)
            url = f"https://news{n // 4 % 7}.example.org/{n // 4000}/report-{n // 4}/"
            if n % 4 == 2:
                url += "lead.jpg"
            if n % 2 == 1:
                request = StatusAndHeaders("GET / HTTP/1.1", [("Host", url.split("/")[2])],
                                           is_http_request=True)
                writer.write_record(writer.create_warc_record(
                    url, "request", http_headers=request,
                    warc_headers_dict={"WARC-Date": at.strftime("%Y-%m-%dT%H:%M:%SZ")}))
                continue
            if n % 4 == 2:
                http = StatusAndHeaders("200 OK", [("Content-Type", "image/jpeg"),
                                                   ("Content-Length", str(len(image)))], protocol="HTTP/1.1")
                writer.write_record(writer.create_warc_record(
                    url, "response", payload=io.BytesIO(image), http_headers=http,
                    warc_headers_dict={"WARC-Date": at.strftime("%Y-%m-%dT%H:%M:%SZ")}))
                continue
            paragraphs = "".join(
                "<p>" + " ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 110))).capitalize()
                + ".</p>" for _ in range(8))
            body = (f"<!DOCTYPE html><html><head><title>Report {n} on the {rng.choice(WORDS)}</title>"
                    f"<meta name=\"author\" content=\"Reporter {n % 97}\"></head><body><article>"
                    f"<h1>Report {n}</h1>{paragraphs}</article></body></html>").encode()
            _response(writer, url, body, at)
            pages += 1
    return pages


# -- figures ----------------------------------------------------------------------------------------


def repub_import(warc: Path, db: Path, **extra_env: str) -> tuple[float, int, str]:
    env = {k: v for k, v in os.environ.items() if k != "REPUB_DATABASE_URL"}
    env.update(extra_env)
    for p in db.parent.glob(db.name + "*"):
        p.unlink()
    return measured([REPUB, "import", "--warc", str(warc), "--db", str(db)], env=env)


def repub_ingest(work: Path, manifest: dict, db: Path) -> float:
    sources = work / "bench-sources.toml"
    lines = ['[settings]', 'user_agent = "repub-bench/0.1 (+https://github.com/repub/repub)"', ""]
    for host in manifest["copy_hosts"]:
        lines += ["[[source]]", f'name = "{host}"', f'site = "https://{host}/"',
                  f'sitemaps = ["https://{host}/bench-sitemap.xml"]',
                  f"include = ['^https://{host.replace('.', chr(92) + '.')}/']",
                  f"max_new = {manifest['articles']}", "follow_originals = true", "rate = 10000.0",
                  "concurrency = 8", ""]
    sources.write_text("\n".join(lines), encoding="utf-8")
    for p in db.parent.glob(db.name + "*"):
        p.unlink()
    server = subprocess.Popen([sys.executable, str(BENCH / "fixture_web.py"), "serve", str(work)],
                              stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline().split()[1])  # type: ignore[union-attr]
        env = {k: v for k, v in os.environ.items() if k != "REPUB_DATABASE_URL"}
        env.update(REPUB_HOST_MAP=fixture_web.host_map(port, manifest["hosts"]), REPUB_DB=str(db))
        wall, _, _ = measured([REPUB, "ingest", "--sources", str(sources)], env=env)
    finally:
        server.terminate()
        server.wait(10)
    return wall


TRAFILATURA_OVER_WARC = r"""
import sys, os, time
from multiprocessing import Pool
from warcio.archiveiterator import ArchiveIterator
import trafilatura

def extract(html):
    return trafilatura.extract(html, include_comments=False) is not None

def pages(path):
    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "response":
                yield record.content_stream().read().decode("utf-8", "replace")

if __name__ == "__main__":
    started = time.perf_counter()
    with Pool(os.cpu_count()) as pool:
        got = sum(pool.imap(extract, pages(sys.argv[1]), chunksize=8))
    print(got, time.perf_counter() - started)
"""


def trafilatura_over(warc: Path, work: Path) -> tuple[float, int]:
    script = work / "trafilatura_over_warc.py"
    script.write_text(TRAFILATURA_OVER_WARC, encoding="utf-8")
    wall, _, out = measured([sys.executable, str(script), str(warc)])
    return wall, int(out.split()[0])


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def bench_speed(work: Path, articles: int, runs: int) -> tuple[list[str], list[str]]:
    manifest = fixture_web.generate(work, articles, 4)
    warc = work / "fixture.warc.gz"
    pages = write_fixture_warc(work, warc)
    warc_pps, ingest_pps, traf_pps, warc_mem = [], [], [], []
    warc_cpu, ingest_cpu, traf_cpu = [], [], []  # pages per CPU second of the whole process tree
    for i in range(runs):
        wall, memory, out = repub_import(warc, work / "warc.db")
        warc_cpu.append(pages / LAST_CPU[0])
        stored = count(work / "warc.db", "SELECT count(*) FROM articles WHERE status = 'ok'")
        if stored != pages:
            raise RuntimeError(f"import --warc stored {stored} of {pages}: {out}")
        warc_pps.append(pages / wall)
        warc_mem.append(memory / 2**20)
        wall = repub_ingest(work, manifest, work / "ingest.db")
        ingest_cpu.append(pages / LAST_CPU[0])
        stored = count(work / "ingest.db", "SELECT count(*) FROM articles WHERE status = 'ok'")
        if stored != pages:
            raise RuntimeError(f"ingest stored {stored} of {pages}")
        ingest_pps.append(pages / wall)
        wall, got = trafilatura_over(warc, work)
        traf_cpu.append(pages / LAST_CPU[0])
        if got < pages * 0.95:
            raise RuntimeError(f"trafilatura extracted {got} of {pages}")
        traf_pps.append(pages / wall)
        print(f"run {i + 1}: import --warc {warc_pps[-1]:.1f}, ingest {ingest_pps[-1]:.1f}, trafilatura "
              f"{traf_pps[-1]:.1f} pages/s; per CPU second {warc_cpu[-1]:.1f}, {ingest_cpu[-1]:.1f}, "
              f"{traf_cpu[-1]:.1f}", file=sys.stderr)
    w, g, t = statistics.median(warc_pps), statistics.median(ingest_pps), statistics.median(traf_pps)
    wc, gc, tc = statistics.median(warc_cpu), statistics.median(ingest_cpu), statistics.median(traf_cpu)
    rows = [
        f"| (w1) `repub import --warc`, {pages} pages, whole command | {w:.1f} pages/s | "
        f"{', '.join(f'{x:.1f}' for x in warc_pps)} |",
        f"| (w2) `repub ingest` of the same pages from the fixture web (loopback) | {g:.1f} pages/s | "
        f"{', '.join(f'{x:.1f}' for x in ingest_pps)} |",
        f"| (w3) trafilatura over the same records (warcio + `trafilatura.extract`, {os.cpu_count()} "
        f"processes) | {t:.1f} pages/s | {', '.join(f'{x:.1f}' for x in traf_pps)} |",
        f"| (w1) peak memory, PSS of all processes | {statistics.median(warc_mem):.1f} MB | "
        f"{', '.join(f'{x:.1f}' for x in warc_mem)} |",
        f"| (w1) `repub import --warc`, pages per CPU second (all its processes) | {wc:.1f} | "
        f"{', '.join(f'{x:.1f}' for x in warc_cpu)} |",
        f"| (w2) `repub ingest`, pages per CPU second (all its processes; the server not counted) | "
        f"{gc:.1f} | {', '.join(f'{x:.1f}' for x in ingest_cpu)} |",
        f"| (w3) trafilatura over the records, pages per CPU second | {tc:.1f} | "
        f"{', '.join(f'{x:.1f}' for x in traf_cpu)} |",
    ]
    ratios = [f"- import --warc / ingest of the same pages fetched: **{w / g:.2f}x** by wall time, "
              f"**{wc / gc:.2f}x** by CPU time (target >= 3x)",
              f"- import --warc / trafilatura over the same records: **{w / t:.2f}x** by wall time, "
              f"**{wc / tc:.2f}x** by CPU time",
              f"- WARC: {warc.stat().st_size / 2**20:.1f} MB gzip per record, {pages} response records "
              f"({articles} copies + {articles} originals, fixture_web.py --hosts 4)"]
    return rows, ratios


def bench_memory(work: Path, sizes: list[int]) -> list[str]:
    rows = []
    for size in sizes:
        warc = work / f"synthetic-{size}.warc.gz"
        started = time.perf_counter()
        pages = write_synthetic_warc(warc, size)
        made = time.perf_counter() - started
        # every size with the extraction workers (a file under 4 MiB is otherwise read in one process)
        wall, memory, out = repub_import(warc, work / "memory.db", REPUB_WARC_POOL_MIN_BYTES="0")
        stored = count(work / "memory.db", "SELECT count(*) FROM articles")
        if stored != pages:
            raise RuntimeError(f"stored {stored} of {pages}: {out}")
        rows.append(f"| (w4) `repub import --warc`, {size} synthetic records, {pages} of them pages "
                    f"({warc.stat().st_size / 2**20:.0f} MB) | {memory / 2**20:.1f} MB peak PSS | "
                    f"{pages / wall:.1f} pages/s, {size / wall:.0f} records/s (written in {made:.0f} s) |")
        print(rows[-1], file=sys.stderr)
        warc.unlink()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="copies (and as many originals)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory", default="1000,10000,100000", help="record counts for the memory figure")
    parser.add_argument("--only", choices=("speed", "memory"))
    parser.add_argument("--no-write", action="store_true", help="print, do not write bench/results")
    args = parser.parse_args()
    started = time.perf_counter()
    lines = [f"# WARC import, {dt.date.today().isoformat()}", "",
             f"Machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}; command: "
             f"`python bench/warc_bench.py {' '.join(sys.argv[1:])}`", "",
             "| figure | median | runs |", "|---|---|---|"]
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="warc-bench-") as tmp:
        work = Path(tmp)
        if args.only in (None, "speed"):
            rows, notes = bench_speed(work, args.articles, args.runs)
            lines += rows
        if args.only in (None, "memory"):
            lines += bench_memory(work, [int(s) for s in args.memory.split(",")])
    lines += ["", *notes, f"- {time.perf_counter() - started:.0f} s in all", ""]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"warc-{dt.date.today().isoformat()}.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
