"""End-to-end benchmarks: extraction, import, resync and growth, each beside its peer in the same run.

    .venv/bin/python bench/run_bench.py [--articles 200] [--runs 5] [--growth 1000,10000] [--no-write]
    .venv/bin/python bench/run_bench.py --only extract,import,resync,growth

Writes bench/results/<date>.md (machine, commands, medians, ratios). See bench/README.md.
Figures:
  (a) extract  pages/s of repub.extract.extract with the site rules, and with the generic extractor (same
               pages served under a host no rule claims), beside trafilatura.extract on the same pages.
  (b) import   `repub ingest` of the fixture web (one sitemap source per copy host, originals followed,
               rate/concurrency opened up for loopback) in pages/s and peak memory, beside
               `trafilatura -i urls.txt --parallel P --json` on the same copies + originals, same server.
  (c) resync   `repub resync` of every stored article: unchanged (304 path) and changed, checks/s.
  (d) growth   databases pre-filled with 1k/10k/(100k) synthetic records through Store.save_article;
               then `repub ingest` of a small batch: seconds per article, peak memory, database bytes/article.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
import fixture_web  # noqa: E402

BIN = Path(sys.executable).parent
REPUB = str(BIN / "repub")
TRAFILATURA = str(BIN / "trafilatura")
RESULTS = BENCH / "results"
NOTES_MARK = "<!-- hand-written notes: kept when the figures above are rewritten -->"


# ---------------------------------------------------------------------------------------------- helpers


@dataclass
class Figure:
    name: str
    unit: str
    values: list[float]
    peer_name: str = ""
    peer_values: list[float] = field(default_factory=list)
    note: str = ""
    higher_is_better: bool = True

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def peer(self) -> float:
        return statistics.median(self.peer_values) if self.peer_values else float("nan")

    def ratio(self) -> str:
        if not self.peer_values or not self.peer:
            return "-"
        return f"{self.median / self.peer:.2f}"


def run_measured(cmd: list[str], env: dict[str, str] | None = None, stdout: object = subprocess.PIPE
                 ) -> tuple[float, int, str]:
    """(wall seconds, peak PSS bytes of the command and all its descendants (``TreeMemory``), stdout)
    of one command."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True)
    memory = TreeMemory(proc.pid)
    memory.start()
    out = proc.stdout.read() if proc.stdout else ""  # type: ignore[union-attr]
    err = proc.stderr.read() if proc.stderr else ""  # type: ignore[union-attr]
    _, status = os.waitpid(proc.pid, 0)
    wall = time.perf_counter() - started
    memory.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}… exited {proc.returncode}: {err[-2000:]}")
    return wall, memory.peak, out


class TreeMemory(threading.Thread):
    """The peak memory of a process and every process under it (repub's fork server, extraction workers
    and store process), sampled every 50 ms: the sum of their PSS (proportional set size: pages
    shared between forked processes counted once, split between them), from /proc/PID/smaps_rollup.
    wait4's ru_maxrss only sees the command's own process. Reading smaps_rollup costs ~1 ms a process
    per sample, a little of the CPU both tools are timed on (more for repub, which has more processes)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak = pid, 0
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(0.05):
            self.peak = max(self.peak, sum(_pss(pid) for pid in _tree(self.pid)))

    def stop(self) -> None:
        self._stopping.set()
        self.join()


def _tree(pid: int) -> list[int]:
    found = [pid]
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split():
                    found += _tree(int(child))
    return found


def _pss(pid: int) -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return 0


class Server:
    """The fixture web in a child process (its own core), on loopback."""

    def __init__(self, out: Path, variant: int = 0) -> None:
        self.proc = subprocess.Popen([sys.executable, str(BENCH / "fixture_web.py"), "serve", str(out),
                                      "--variant", str(variant)], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError(f"fixture server did not start: {line!r}")
        self.port = int(line.split()[1])

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def repub_env(port: int, hosts: list[str], db: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["REPUB_HOST_MAP"] = fixture_web.host_map(port, hosts)
    env["REPUB_DB"] = str(db)
    env.pop("REPUB_DATABASE_URL", None)
    return env


def write_sources(path: Path, copy_hosts: list[str], rate: float, concurrency: int, max_new: int) -> None:
    lines = ['[settings]', 'user_agent = "repub-bench/0.1 (+https://github.com/repub/repub)"', ""]
    for host in copy_hosts:
        lines += ["[[source]]", f'name = "{host}"', f'site = "https://{host}/"',
                  f'sitemaps = ["https://{host}/bench-sitemap.xml"]',
                  f"include = ['^https://{host.replace('.', chr(92) + '.')}/']",
                  f"max_new = {max_new}", "follow_originals = true", f"rate = {rate}",
                  f"concurrency = {concurrency}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def ingest(work: Path, manifest: dict, port: int, db: Path, *, rate: float, concurrency: int,
           articles: int) -> tuple[float, int, str]:
    sources = work / "bench-sources.toml"
    write_sources(sources, manifest["copy_hosts"], rate, concurrency, max(articles, 1))
    wall, memory, out = run_measured([REPUB, "ingest", "--sources", str(sources)],
                                        env=repub_env(port, manifest["hosts"], db))
    return wall, memory, out.strip()


def count_articles(db: Path) -> int:
    import sqlite3

    with sqlite3.connect(db) as con:
        return con.execute("select count(*) from articles where status = 'ok'").fetchone()[0]


# ---------------------------------------------------------------------------------------------- figures


def bench_extract(work: Path, runs: int, limit: int) -> list[Figure]:
    import trafilatura

    from repub.extract import extract

    urls = [u for f in ("copies.txt", "originals.txt")
            for u in (work / f).read_text().split()[: limit // 2]]
    pages = [(u, (work / "pages" / (u.split("://", 1)[1] + "index.html")).read_text(encoding="utf-8"))
             for u in urls]

    def generic_url(u: str) -> str:
        return "https://mirror-generic.example/" + u.split("://", 1)[1].split("/", 1)[1]

    def timed(fn: Callable[[str, str], object]) -> float:
        started = time.perf_counter()
        for url, html in pages:
            fn(html, url)
        return len(pages) / (time.perf_counter() - started)

    rules, generic, peer = [], [], []
    for _ in range(runs):
        rules.append(timed(lambda h, u: extract(h, u)))
        generic.append(timed(lambda h, u: extract(h, generic_url(u))))
        peer.append(timed(lambda h, u: trafilatura.extract(h, include_comments=False)))
    note = f"{len(pages)} pages (copies + originals), {sum(len(h) for _, h in pages) // len(pages)} chars avg"
    return [Figure("(a) extract, site rules", "pages/s", rules, "trafilatura.extract", peer, note),
            Figure("(a) extract, generic extractor", "pages/s", generic, "trafilatura.extract", peer, note)]


def trafilatura_config(work: Path) -> Path:
    import trafilatura

    cfg = (Path(trafilatura.__file__).parent / "settings.cfg").read_text()
    cfg = cfg.replace("SLEEP_TIME = 5.0", "SLEEP_TIME = 0").replace("SSRF_PROTECTION = on",
                                                                    "SSRF_PROTECTION = off")
    path = work / "trafilatura.cfg"
    path.write_text(cfg)
    return path


def bench_import(work: Path, manifest: dict, runs: int, rate: float, concurrency: int,
                 parallel: int, commands: list[str], label: str = "") -> tuple[list[Figure], Path]:
    n = manifest["articles"]
    pages = 2 * n
    cfg = trafilatura_config(work)
    repub_pps, repub_mem, traf_pps, traf_mem = [], [], [], []
    kept = work / "after-import.db"
    with Server(work) as server:
        urls = work / "urls-loopback.txt"
        urls.write_text("".join(fixture_web.loopback(u, server.port) + "\n" for f in
                                ("copies.txt", "originals.txt") for u in (work / f).read_text().split()))
        for i in range(runs):
            db = work / f"import-{i}.db"
            for p in work.glob(f"import-{i}.db*"):
                p.unlink()
            wall, memory, summary = ingest(work, manifest, server.port, db, rate=rate,
                                           concurrency=concurrency, articles=n)
            stored = count_articles(db)
            if stored != pages:
                raise RuntimeError(f"repub stored {stored} of {pages} pages: {summary}")
            repub_pps.append(pages / wall)
            repub_mem.append(memory / 2**20)
            with open(work / "trafilatura-out.jsonl", "w") as out:
                wall, memory, _ = run_measured([TRAFILATURA, "-i", str(urls), "--parallel", str(parallel),
                                                   "--json", "--config-file", str(cfg)], stdout=out)
            got = sum(1 for line in (work / "trafilatura-out.jsonl").open() if line.strip())
            if got < pages * 0.95:
                raise RuntimeError(f"trafilatura extracted {got} of {pages} pages")
            traf_pps.append(pages / wall)
            traf_mem.append(memory / 2**20)
            if i == 0:
                shutil.copy(db, kept)
            for p in work.glob(f"import-{i}.db*"):
                p.unlink()
    if not label:
        hosts = len(manifest["hosts"])
        commands.append(f"REPUB_HOST_MAP=<{hosts} hosts -> 127.0.0.1:PORT/host> repub ingest "
                        f"--sources bench-sources.toml  # one sitemap source per copy host, rate={rate}, "
                        f"concurrency={concurrency}, follow_originals")
        commands.append(f"trafilatura -i urls-loopback.txt --parallel {parallel} --json --config-file "
                        "trafilatura.cfg  # SLEEP_TIME=0, SSRF_PROTECTION=off")
    note = (f"{n} copies + {n} originals = {pages} pages, fresh database each run; database "
            f"{kept.stat().st_size / pages:.0f} bytes/article (raw pages kept compressed)")
    memory_note = (f"{pages} pages; peak of the summed PSS of the command's process and every process under "
                   "it (repub: fork server, extraction workers, store process), sampled every 50 ms")
    name = f"(b) import{label}"
    return [Figure(f"{name}, end to end", "pages/s", repub_pps, "trafilatura CLI", traf_pps, note),
            Figure(f"{name}, peak memory (PSS, all processes)", "MB", repub_mem, "trafilatura CLI", traf_mem,
                   memory_note, higher_is_better=False)], kept


def bench_resync(work: Path, manifest: dict, runs: int, db: Path, commands: list[str], *,
                 changed_too: bool = True) -> list[Figure]:
    n = 2 * manifest["articles"]
    label = "" if changed_too else f" ({n} articles)"
    unchanged, changed, unchanged_in, changed_in = [], [], [], []

    def resync(port: int, target: Path) -> tuple[float, dict]:
        # politeness out of the way (a local server): the figure is repub's own cost per check
        wall, _, out = run_measured([REPUB, "resync", "--json", "--rate", "100000", "--per-host", "4"],
                                       env=repub_env(port, manifest["hosts"], target))
        return wall, json.loads(out.strip().splitlines()[-1])

    with Server(work) as server:
        target = work / "resync.db"
        shutil.copy(db, target)
        for _ in range(runs):
            wall, report = resync(server.port, target)
            if report["not_modified"] != n:
                raise RuntimeError(f"expected {n} not-modified: {report}")
            unchanged.append(n / wall)
            unchanged_in.append(n / report["seconds"])
    last_unchanged = report
    target_rate = [1000.0] * runs
    first_note = f"{n} articles incl. process start; last report {json.dumps(last_unchanged)}"
    figures = [Figure(f"(c) resync{label}, unchanged (304), whole command", "checks/s", unchanged, "target",
                      target_rate, first_note),
               Figure(f"(c) resync{label}, unchanged (304), in the run", "checks/s", unchanged_in, "target",
                      target_rate, "the run's own seconds (no interpreter start, imports, migrations check)")]
    if not changed_too:
        return figures
    with Server(work, variant=1) as server:
        for _ in range(runs):
            target = work / "resync-changed.db"
            shutil.copy(db, target)
            wall, report = resync(server.port, target)
            if report["changed"] != n:
                raise RuntimeError(f"expected {n} changed: {report}")
            changed.append(n / wall)
            changed_in.append(n / report["seconds"])
    commands.append("repub resync --json  # every stored article; server variant 0 (304) then 1 (changed)")
    return figures + [
        Figure("(c) resync, changed, whole command", "checks/s", changed, "target", target_rate,
               f"{n} articles; last report {json.dumps(report)}"),
        Figure("(c) resync, changed, in the run", "checks/s", changed_in, "target", target_rate)]


def fill(db: Path, count: int) -> float:
    """Store ``count`` synthetic articles (copy + original pairs, ~6 KB of body) directly; seconds."""
    from repub.normalize.types import OriginalLink, Record
    from repub.store import Store
    from repub.store.history import RawBody

    words = ["peace", "war", "treaty", "alliance", "summit", "sanctions", "climate", "strike", "refugees",
             "election", "nuclear", "military", "pact", "washington", "moscow", "beijing", "europe"]
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    with Store.open(f"sqlite:///{db}") as store:
        for i in range(count):
            body = "\n\n".join(" ".join(words[(i + j + k) % len(words)] for k in range(120))
                               + f" {i}-{j}." for j in range(8))
            is_copy = i % 2 == 0
            url = (f"https://filler.example/tms/2024/01/article-{i}/" if is_copy
                   else f"https://rt-filler.example/op-ed/{i}-article/")
            record = Record(
                url=url, site="filler.example" if is_copy else "rt-filler.example", extractor="bench",
                title=f"Synthetic article {i}", authors=["A. Writer"], byline="A. Writer | RT",
                section="MILITARISM", published_at="2024-01-02", language="en",
                canonical_url=url, tags=["Russia", "China"], body_text=body,
                original=OriginalLink(f"https://rt-filler.example/op-ed/{i + 1}-article/", "RT", "2024-01-01")
                if is_copy else None)
            page = f"<html><body><p>{body}</p></body></html>".encode()
            raw = RawBody(url=url, body=page, encoding="utf-8")
            store.save_article(record, fetched_at=now, aliases=[url], http_status=200, etag=f'"{i}"', raw=raw)
    return time.perf_counter() - started


def bench_growth(work: Path, sizes: list[int], runs: int, batch: int, rate: float, concurrency: int,
                 hosts: int, commands: list[str]) -> list[Figure]:
    figures = []
    results: dict[int, tuple[list[float], list[float], float, float]] = {}
    for size in sizes:
        base = work / f"growth-{size}.db"
        for p in work.glob(f"growth-{size}.db*"):
            p.unlink()
        fill_seconds = fill(base, size)
        db_bytes = base.stat().st_size
        per, memories = [], []
        web = work / "growth-web"  # the same new pages every run, each on a fresh copy of the filled db
        if not (web / "manifest.json").exists():
            fixture_web.generate(web, batch, hosts, seed=100)
        manifest = json.loads((web / "manifest.json").read_text())
        for _ in range(runs):
            target = work / "growth-run.db"
            shutil.copy(base, target)
            with Server(web) as server:
                wall, peak, summary = ingest(web, manifest, server.port, target, rate=rate,
                                             concurrency=concurrency, articles=batch)
            if f"new {2 * batch}," not in summary:
                raise RuntimeError(f"growth ingest did not store {2 * batch} pages: {summary}")
            in_run = float(re.search(r"([0-9.]+) s$", summary).group(1))  # the run's own seconds
            per.append(in_run / (2 * batch) * 1000)
            memories.append(peak / 2**20)
        results[size] = (per, memories, db_bytes / size, fill_seconds)
        for p in work.glob("growth-run.db*"):
            p.unlink()
        base.unlink()
    first = sizes[0]
    for size in sizes:
        per, memories, bpa, fill_s = results[size]
        note = (f"{size} stored (filled in {fill_s:.0f} s, {bpa:.0f} DB bytes/article); then {2 * batch} "
                "pages ingested, time = the ingest run's own seconds / pages")
        figures.append(Figure(f"(d) growth, {size} stored: ms/article", "ms", per, f"at {first} stored",
                              results[first][0], note, higher_is_better=False))
        figures.append(Figure(f"(d) growth, {size} stored: peak memory (PSS, all processes)", "MB", memories,
                              f"at {first} stored",
                              results[first][1], note, higher_is_better=False))
    commands.append(f"Store.save_article x SIZE synthetic records, then repub ingest of {batch} new copies "
                    f"(+ originals) per run, sizes {sizes}")
    return figures


# ---------------------------------------------------------------------------------------------- report


def machine() -> str:
    """The machine line of the results file (cores, CPU, memory, platform, versions)."""
    import trafilatura
    from eval_extraction import machine as machine_facts  # the CPU model is read once, there

    facts = machine_facts()
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem = f", {int(Path('/proc/meminfo').read_text().split()[1]) // 1024} MB RAM"
    return (f"{facts['cores']} cores, {facts['cpu']}{mem}; {facts['platform']}; Python {facts['python']}; "
            f"trafilatura {trafilatura.__version__}")


def report(figures: list[Figure], args: argparse.Namespace, commands: list[str], seconds: float) -> str:
    lines = [f"# Benchmarks {dt.date.today().isoformat()}", "",
             f"Machine: {machine()}", "",
             f"Command: `{' '.join([Path(sys.executable).name, 'bench/run_bench.py', *sys.argv[1:]])}` "
             f"({seconds:.0f} s); median of {args.runs} runs; every ratio is repub / peer measured in the "
             "same run.", "", "| figure | repub (median) | peer | peer (median) | ratio | runs |",
             "|---|---|---|---|---|---|"]
    for f in figures:
        runs = ", ".join(f"{v:.1f}" for v in f.values)
        lines.append(f"| {f.name} | {f.median:.1f} {f.unit} | {f.peer_name} | "
                     f"{f.peer:.1f} {f.unit} | {f.ratio()} | {runs} |")
    lines += ["", "Notes:", ""] + [f"- {f.name}: {f.note}" for f in figures if f.note]
    lines += ["", "Commands:", ""] + [f"    {c}" for c in commands] + [""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200, help="copies (each with its original)")
    parser.add_argument("--long-articles", type=int, default=1000,
                        help="copies of a second, longer import (and resync) figure; 0: none")
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="extract,import,resync,growth")
    parser.add_argument("--extract-pages", type=int, default=60)
    parser.add_argument("--growth", default="1000,10000", help="stored sizes, e.g. 1000,10000,100000")
    parser.add_argument("--growth-batch", type=int, default=100, help="copies ingested per growth run")
    parser.add_argument("--rate", type=float, default=10000.0, help="repub per-host rate (loopback)")
    parser.add_argument("--concurrency", type=int, default=8, help="repub per-host concurrency")
    parser.add_argument("--parallel", type=int, default=8, help="trafilatura --parallel")
    parser.add_argument("--work", type=Path, help="work directory (default: a temporary one)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    started = time.perf_counter()
    work = args.work or Path(tempfile.mkdtemp(prefix="repub-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    commands = [f"bench/fixture_web.py generate WORK --articles {args.articles} --hosts {args.hosts}"]
    manifest = fixture_web.generate(work, args.articles, args.hosts)
    figures: list[Figure] = []
    try:
        if "extract" in only:
            figures += bench_extract(work, args.runs, args.extract_pages)
        if "import" in only or "resync" in only:
            imported, db = bench_import(work, manifest, args.runs, args.rate, args.concurrency,
                                        args.parallel, commands)
            figures += imported
            if "resync" in only:
                figures += bench_resync(work, manifest, args.runs, db, commands)
            if args.long_articles:  # a longer list: the fixed start of a run weighs less
                long_work = work / "long"
                long_manifest = fixture_web.generate(long_work, args.long_articles, args.hosts, seed=7)
                commands.append(f"bench/fixture_web.py generate WORK/long --articles {args.long_articles} "
                                f"--hosts {args.hosts} --seed 7  # then the same import and resync")
                label = f" of {2 * args.long_articles} pages"
                imported, db = bench_import(long_work, long_manifest, args.runs, args.rate, args.concurrency,
                                            args.parallel, commands, label=label)
                figures += imported
                if "resync" in only:
                    figures += bench_resync(long_work, long_manifest, args.runs, db, commands,
                                            changed_too=False)
        if "growth" in only:
            sizes = [int(s) for s in args.growth.split(",") if s]
            figures += bench_growth(work, sizes, args.runs, args.growth_batch, args.rate,
                                    args.concurrency, args.hosts, commands)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    text = report(figures, args, commands, time.perf_counter() - started)
    print(text)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{dt.date.today().isoformat()}.md"
        if path.exists() and NOTES_MARK in (old := path.read_text(encoding="utf-8")):
            text += "\n" + old[old.index(NOTES_MARK):]  # hand-written analysis below the mark is kept
        path.write_text(text, encoding="utf-8")
        print(f"written {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
