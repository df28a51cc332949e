"""End-to-end benchmarks: extraction, import, resync and growth, each beside its peer in the same run.

    .venv/bin/python bench/run_bench.py [--articles 200] [--runs 5] [--growth 1000,10000] [--no-write]
    .venv/bin/python bench/run_bench.py --only extract,import,resync,growth

Writes bench/results/<date>.md (machine, commands, medians, ratios). See bench/README.md.
Figures:
  (a) extract  pages/s of the whole extract path (repub.extract.extract: parse, site rule or generic
               extractor, metadata, original detection) beside trafilatura.extract on the same pages.
  (b) import   `repub ingest` of the fixture web, per machine and per core (taskset -c 0), beside the
               trafilatura command line and a Scrapy spider with trafilatura in its item pipeline given
               the same cores (one process per core over a share of the list; one process pinned):
               pages/s, peak memory (PSS of every process), CPU per page.
  (c) resync   `repub resync` of every stored article: unchanged (304 path) beside the same conditional
               GETs by a plain httpx async loop (the floor) and by Scrapy's HTTP cache (RFC2616Policy);
               changed; the 1,000 checks/s target labelled as a target.
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
    target: bool = False  # peer_values is a goal set for repub, not something measured

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
    measured = run_group([cmd], env=env, stdouts=[stdout])
    return measured.wall, measured.peak, measured.outs[0]


@dataclass
class Measured:
    wall: float  # seconds until the last command exited
    peak: int  # bytes: peak of the summed PSS of every process of the group
    cpu: float  # seconds: user + system of every process of the group
    outs: list[str]  # each command's stdout


def run_group(cmds: list[list[str]], env: dict[str, str] | None = None,
              stdouts: list[object] | None = None) -> Measured:
    """Start every command at once and wait for all. A peer given N cores is N commands, each over a
    share of the list: its time is the slowest share's, its memory and CPU all of theirs."""
    started = time.perf_counter()
    stdouts = stdouts or [subprocess.PIPE] * len(cmds)
    procs = [subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.PIPE, text=True)
             for cmd, out in zip(cmds, stdouts, strict=True)]
    memory = TreeMemory([p.pid for p in procs])
    memory.start()
    outs, errs = [""] * len(procs), [""] * len(procs)

    def drain(i: int) -> None:
        proc = procs[i]
        outs[i] = proc.stdout.read() if proc.stdout else ""  # type: ignore[union-attr]
        errs[i] = proc.stderr.read() if proc.stderr else ""  # type: ignore[union-attr]

    readers = [threading.Thread(target=drain, args=(i,)) for i in range(len(procs))]
    for reader in readers:
        reader.start()
    for proc in procs:
        _, status = os.waitpid(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    memory.stop()
    for reader in readers:
        reader.join()
    for cmd, proc, err in zip(cmds, procs, errs, strict=True):
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:4])}… exited {proc.returncode}: {err[-2000:]}")
    return Measured(wall, memory.peak, memory.cpu, outs)


class TreeMemory(threading.Thread):
    """The peak memory of a process and every process under it (repub's fork server, extraction workers
    and store process), sampled every 50 ms: the sum of their PSS (proportional set size: pages
    shared between forked processes counted once, split between them), from /proc/PID/smaps_rollup.
    wait4's ru_maxrss only sees the command's own process. Reading smaps_rollup costs ~1 ms a process
    per sample, a little of the CPU both tools are timed on (more for repub, which has more processes).
    Also the CPU seconds (user + system) of every process seen, from /proc/PID/stat: a process's last
    50 ms before it exits are missed. On a shared machine CPU per page is steadier than wall time."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids, self.peak = pids, 0
        self._cpu: dict[int, float] = {}
        self._stopping = threading.Event()

    @property
    def cpu(self) -> float:
        return sum(self._cpu.values())

    def run(self) -> None:
        while not self._stopping.wait(0.05):
            tree = [pid for root in self.pids for pid in _tree(root)]
            self.peak = max(self.peak, sum(_pss(pid) for pid in tree))
            for pid in tree:
                self._cpu[pid] = max(self._cpu.get(pid, 0.0), _cpu_seconds(pid))

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


def _cpu_seconds(pid: int) -> float:
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return 0.0


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
    # one untimed page each first: what a process pays once (repub's language model, ~0.4 s; the
    # rules' and the suffix list's loading; trafilatura's first call) is no page's cost
    url, html = pages[0]
    extract(html, url), extract(html, generic_url(url)), trafilatura.extract(html, include_comments=False)
    for _ in range(runs):
        rules.append(timed(lambda h, u: extract(h, u)))
        generic.append(timed(lambda h, u: extract(h, generic_url(u))))
        peer.append(timed(lambda h, u: trafilatura.extract(h, include_comments=False)))
    size = sum(len(h) for _, h in pages) // len(pages)
    note = (f"{len(pages)} pages (copies + originals), {size} chars avg; "
            "the whole path from fetched HTML to the record (parse, rule or generic body, metadata, "
            "original detection), after one untimed page each; bench/eval_rules.py's ~13x is the rule's "
            "own call alone")
    return [Figure("(a) extract, whole path, site rules", "pages/s", rules, "trafilatura.extract", peer,
                   note),
            Figure("(a) extract, whole path, generic extractor", "pages/s", generic, "trafilatura.extract",
                   peer, note)]


def trafilatura_config(work: Path) -> Path:
    import trafilatura

    cfg = (Path(trafilatura.__file__).parent / "settings.cfg").read_text()
    cfg = cfg.replace("SLEEP_TIME = 5.0", "SLEEP_TIME = 0").replace("SSRF_PROTECTION = on",
                                                                    "SSRF_PROTECTION = off")
    path = work / "trafilatura.cfg"
    path.write_text(cfg)
    return path


CORES = len(os.sched_getaffinity(0))
PIN = ["taskset", "-c", "0"]  # one core: the command and every process it starts (affinity is inherited)


def shares(items: list[str], parts: int) -> list[list[str]]:
    """``items`` dealt round-robin into ``parts`` lists (copies and originals mixed in each)."""
    return [items[k::parts] for k in range(parts)]


@dataclass
class Contender:
    """One command line (or one per core) timed on the import list; its pages/s and peak memory."""

    name: str
    run: Callable[[int], Measured]  # run index -> what the command(s) took
    pps: list[float] = field(default_factory=list)
    mb: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # CPU milliseconds per page, all processes


def bench_import(work: Path, manifest: dict, runs: int, rate: float, concurrency: int,
                 parallel: int, commands: list[str], label: str = "") -> tuple[list[Figure], Path]:
    """repub beside the trafilatura command line and a Scrapy spider with trafilatura in its item
    pipeline, each per core (pinned to core 0 with taskset; repub sees one core and starts one
    extraction worker) and per machine (repub as it is; the peers as one process per core, each over
    a round-robin share of the list). All six run in each round, in an order rotated every round."""
    n = manifest["articles"]
    pages = 2 * n
    cfg = trafilatura_config(work)
    kept = work / "after-import.db"
    env = dict(os.environ)
    with Server(work) as server:
        loop_urls = [fixture_web.loopback(u, server.port) for f in ("copies.txt", "originals.txt")
                     for u in (work / f).read_text().split()]
        lists: dict[int, list[Path]] = {}
        for parts in {1, CORES}:
            lists[parts] = []
            for k, share in enumerate(shares(loop_urls, parts)):
                path = work / f"urls-{parts}-{k}.txt"
                path.write_text("".join(u + "\n" for u in share))
                lists[parts].append(path)

        def repub(pin: bool) -> Callable[[int], Measured]:
            def go(i: int) -> Measured:
                db = work / f"import-{i}{'-pinned' if pin else ''}.db"
                for p in work.glob(db.name + "*"):
                    p.unlink()
                sources = work / "bench-sources.toml"
                write_sources(sources, manifest["copy_hosts"], rate, concurrency, max(n, 1))
                cmd = [*(PIN if pin else []), REPUB, "ingest", "--sources", str(sources)]
                measured = run_group([cmd], env=repub_env(server.port, manifest["hosts"], db))
                stored = count_articles(db)
                if stored != pages:
                    raise RuntimeError(f"repub stored {stored} of {pages} pages: {measured.outs[0].strip()}")
                if i == 0 and not pin:
                    shutil.copy(db, kept)
                for p in work.glob(db.name + "*"):
                    p.unlink()
                return measured
            return go

        def trafilatura_cli(parts: int, pin: bool) -> Callable[[int], Measured]:
            def go(i: int) -> Measured:
                outs = [work / f"trafilatura-{k}.jsonl" for k in range(parts)]
                handles = [o.open("w") for o in outs]
                try:
                    measured = run_group(
                        [[*(PIN if pin else []), TRAFILATURA, "-i", str(urls), "--parallel", str(parallel),
                          "--json", "--config-file", str(cfg)] for urls in lists[parts]],
                        env=env, stdouts=handles)
                finally:
                    for h in handles:
                        h.close()
                got = sum(1 for o in outs for line in o.open() if line.strip())
                if got < pages * 0.95:
                    raise RuntimeError(f"trafilatura extracted {got} of {pages} pages")
                return measured
            return go

        def scrapy(parts: int, pin: bool) -> Callable[[int], Measured]:
            def go(i: int) -> Measured:
                outs = [work / f"scrapy-{k}.jsonl" for k in range(parts)]
                measured = run_group(
                    [[*(PIN if pin else []), sys.executable, str(BENCH / "peers.py"), "scrapy-import",
                      str(urls), str(out), "--concurrency", str(2 * parallel)]
                     for urls, out in zip(lists[parts], outs, strict=True)], env=env)
                got = sum(json.loads(o.strip().splitlines()[-1])["items"] for o in measured.outs)
                if got != pages:
                    raise RuntimeError(f"scrapy + trafilatura extracted {got} of {pages} pages")
                return measured
            return go

        contenders = [
            Contender("repub", repub(False)),
            Contender("repub, one core", repub(True)),
            Contender(f"trafilatura CLI x{CORES}", trafilatura_cli(CORES, False)),
            Contender("trafilatura CLI, one core", trafilatura_cli(1, True)),
            Contender(f"Scrapy + trafilatura x{CORES}", scrapy(CORES, False)),
            Contender("Scrapy + trafilatura, one core", scrapy(1, True)),
        ]
        for i in range(runs):
            order = contenders[i % len(contenders):] + contenders[: i % len(contenders)]
            for c in order:
                measured = c.run(i)
                c.pps.append(pages / measured.wall)
                c.mb.append(measured.peak / 2**20)
                c.cpu_ms.append(measured.cpu / pages * 1000)
    if not label:
        hosts = len(manifest["hosts"])
        commands += [
            f"REPUB_HOST_MAP=<{hosts} hosts -> 127.0.0.1:PORT/host> repub ingest --sources bench-sources.toml"
            f"  # one sitemap source per copy host, rate={rate}, concurrency={concurrency}, follow_originals",
            "taskset -c 0 repub ingest ...  # one core: repub reads its CPU affinity, one extraction worker",
            f"trafilatura -i urls-{CORES}-K.txt --parallel {parallel} --json --config-file trafilatura.cfg"
            f"  # K = 0..{CORES - 1} at once, each a round-robin share; SLEEP_TIME=0, SSRF_PROTECTION=off",
            f"taskset -c 0 trafilatura -i urls-1-0.txt --parallel {parallel} --json "
            "--config-file trafilatura.cfg",
            f"python bench/peers.py scrapy-import urls-{CORES}-K.txt out-K.jsonl --concurrency {2 * parallel}"
            f"  # K = 0..{CORES - 1} at once: Scrapy spider, trafilatura.extract(json) in its item "
            "pipeline, JSON-lines feed",
            "taskset -c 0 python bench/peers.py scrapy-import urls-1-0.txt out.jsonl "
            f"--concurrency {2 * parallel}",
        ]
    by = {c.name: c for c in contenders}
    note = (f"{n} copies + {n} originals = {pages} pages over {len(manifest['hosts'])} hosts, fresh "
            f"database each run; database {kept.stat().st_size / pages:.0f} bytes/article (raw pages kept "
            "compressed); "
            "peers get the same pages from the same server as loopback URLs")
    memory_note = (f"{pages} pages; peak of the summed PSS of the command's processes and every process "
                   "under them (repub: its run, fork server, extraction workers, store process), sampled "
                   "every 50 ms")
    cpu_note = ("user + system seconds of every process of the command (from /proc/PID/stat every 50 ms) / "
                "pages: what a page costs whatever else the machine runs")
    name = f"(b) import{label}"
    figures = []
    for scope, mine, peers in (
            (f"per machine ({CORES} cores)", by["repub"],
             [by[f"trafilatura CLI x{CORES}"], by[f"Scrapy + trafilatura x{CORES}"]]),
            ("per core (taskset -c 0)", by["repub, one core"],
             [by["trafilatura CLI, one core"], by["Scrapy + trafilatura, one core"]])):
        for peer in peers:
            figures.append(Figure(f"{name}, {scope}", "pages/s", mine.pps, peer.name, peer.pps, note))
        for peer in peers:
            figures.append(Figure(f"{name}, {scope}, peak memory (PSS, all processes)", "MB", mine.mb,
                                  peer.name, peer.mb, memory_note, higher_is_better=False))
    for scope, mine, peers in (
            ("one core", by["repub, one core"],
             [by["trafilatura CLI, one core"], by["Scrapy + trafilatura, one core"]]),
            (f"{CORES} cores", by["repub"],
             [by[f"trafilatura CLI x{CORES}"], by[f"Scrapy + trafilatura x{CORES}"]])):
        for peer in peers:
            figures.append(Figure(f"{name}, CPU per page (all processes, {scope})", "ms", mine.cpu_ms,
                                  peer.name, peer.cpu_ms, cpu_note, higher_is_better=False))
    return figures, kept


TARGET_CHECKS = 1000.0  # issue 7's goal for resync: a target, not a measured peer


def stored_etags(db: Path) -> list[tuple[str, str]]:
    import sqlite3

    with sqlite3.connect(db) as con:
        return con.execute("select url, etag from articles where status = 'ok' order by id").fetchall()


def bench_resync(work: Path, manifest: dict, runs: int, db: Path, commands: list[str], *,
                 changed_too: bool = True) -> list[Figure]:
    """``repub resync`` of every stored article beside two measured peers re-checking the same pages
    with the same conditional GETs (If-None-Match with each page's ETag), each as one process per core
    over a share: a plain httpx async loop (the floor) and Scrapy's HTTP cache with its RFC 2616 policy
    (its cache filled by a first, untimed crawl). The 1,000 checks/s of issue 7 is shown as a target."""
    n = 2 * manifest["articles"]
    label = "" if changed_too else f" ({n} articles)"
    unchanged, changed, unchanged_in, changed_in = [], [], [], []
    floor, scrapy_cache = [], []
    pairs = stored_etags(db)
    if len(pairs) != n:
        raise RuntimeError(f"{len(pairs)} stored articles, expected {n}")

    def resync(port: int, target: Path) -> tuple[float, dict]:
        # politeness out of the way (a local server): the figure is repub's own cost per check
        wall, _, out = run_measured([REPUB, "resync", "--json", "--rate", "100000", "--per-host", "4"],
                                    env=repub_env(port, manifest["hosts"], target))
        return wall, json.loads(out.strip().splitlines()[-1])

    def peer_checks(cmds: list[list[str]]) -> float:
        measured = run_group(cmds)
        got = sum(json.loads(o.strip().splitlines()[-1])["not_modified"] for o in measured.outs)
        if got != n:
            raise RuntimeError(f"{cmds[0][2]}: {got} of {n} not modified")
        return n / measured.wall

    peers_py = str(BENCH / "peers.py")
    with Server(work) as server:
        target = work / "resync.db"
        shutil.copy(db, target)
        loop_pairs = [(fixture_web.loopback(u, server.port), etag) for u, etag in pairs]
        pair_files, url_files, caches = [], [], []
        for k, share in enumerate(shares([f"{u}\t{e}" for u, e in loop_pairs], CORES)):
            pair_files.append(work / f"etags-{k}.tsv")
            pair_files[-1].write_text("".join(line + "\n" for line in share))
            url_files.append(work / f"recheck-{k}.txt")
            url_files[-1].write_text("".join(line.split("\t", 1)[0] + "\n" for line in share))
            caches.append(work / f"scrapy-cache-{k}")
            shutil.rmtree(caches[-1], ignore_errors=True)
        run_group([[sys.executable, peers_py, "scrapy-recheck", str(u), str(c)]  # fills the caches
                   for u, c in zip(url_files, caches, strict=True)])
        for _ in range(runs):  # interleaved: repub, the floor, scrapy in each round
            wall, report = resync(server.port, target)
            if report["not_modified"] != n:
                raise RuntimeError(f"expected {n} not-modified: {report}")
            unchanged.append(n / wall)
            unchanged_in.append(n / report["seconds"])
            floor.append(peer_checks([[sys.executable, peers_py, "httpx-recheck", str(p)]
                                      for p in pair_files]))
            scrapy_cache.append(peer_checks([[sys.executable, peers_py, "scrapy-recheck", str(u), str(c)]
                                             for u, c in zip(url_files, caches, strict=True)]))
        for c in caches:
            shutil.rmtree(c, ignore_errors=True)
    last_unchanged = report
    target_rate = [TARGET_CHECKS] * runs
    first_note = f"{n} articles incl. process start; last report {json.dumps(last_unchanged)}"
    peer_note = (f"{n} conditional GETs (If-None-Match), {CORES} processes each over a share, whole "
                 "commands incl. process start, like repub's whole-command figure")
    name = f"(c) resync{label}, unchanged (304)"
    figures = [Figure(f"{name}, whole command", "checks/s", unchanged, f"httpx async loop x{CORES} (floor)",
                      floor, peer_note),
               Figure(f"{name}, whole command", "checks/s", unchanged,
                      f"Scrapy HTTP cache, RFC2616Policy x{CORES}", scrapy_cache, peer_note),
               Figure(f"{name}, whole command", "checks/s", unchanged, "target", target_rate, first_note,
                      target=True),
               Figure(f"{name}, in the run", "checks/s", unchanged_in, "target", target_rate,
                      "the run's own seconds (no interpreter start, imports, migrations check)", target=True)]
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
    commands.append(f"python bench/peers.py httpx-recheck etags-K.tsv  # K = 0..{CORES - 1} at once: "
                    "URL, ETag of each stored article; 16 in flight")
    commands.append(f"python bench/peers.py scrapy-recheck recheck-K.txt cache-K  # K = 0..{CORES - 1} at "
                    "once, after one untimed run filled cache-K; HttpCacheMiddleware, RFC2616Policy, "
                    "filesystem storage")
    return figures + [
        Figure("(c) resync, changed, whole command", "checks/s", changed, "", [],
               f"{n} articles (every page changed: extracted, versioned, raw page kept); last report "
               f"{json.dumps(report)}; no peer does this work and no target was set"),
        Figure("(c) resync, changed, in the run", "checks/s", changed_in, "", [])]


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
             f"({seconds:.0f} s); median of {args.runs} runs ({args.long_runs} for the "
             f"{2 * args.long_articles}-page list). A **peer** is another tool measured in the "
             "same run, on the same pages from the same server; ratio = repub / peer (for ms and MB, "
             "lower is better). A **target** is a goal set for repub, not a measurement: its column says "
             "so.", "",
             "| figure | repub (median) | compared with | its median | ratio | runs (repub; peer) |",
             "|---|---|---|---|---|---|"]
    for f in figures:
        runs = ", ".join(f"{v:.1f}" for v in f.values)
        if f.target:
            lines.append(f"| {f.name} | {f.median:.1f} {f.unit} | **target** (not a peer) | {f.peer:.0f} "
                         f"{f.unit} | {f.ratio()} of target | {runs} |")
        elif f.peer_values:
            peer_runs = ", ".join(f"{v:.1f}" for v in f.peer_values)
            lines.append(f"| {f.name} | {f.median:.1f} {f.unit} | {f.peer_name} | {f.peer:.1f} {f.unit} | "
                         f"{f.ratio()} | {runs}; {peer_runs} |")
        else:
            lines.append(f"| {f.name} | {f.median:.1f} {f.unit} | (none) | - | - | {runs} |")
    notes = dict.fromkeys(f"- {f.name}: {f.note}" for f in figures if f.note)
    lines += ["", "Notes:", "", *notes]
    lines += ["", "Commands:", ""] + [f"    {c}" for c in commands] + [""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200, help="copies (each with its original)")
    parser.add_argument("--long-articles", type=int, default=1000,
                        help="copies of a second, longer import (and resync) figure; 0: none")
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--long-runs", type=int, default=3,
                        help="rounds of the longer list (six commands each, ~100 s a round on 2 cores)")
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
                imported, db = bench_import(long_work, long_manifest, args.long_runs, args.rate,
                                            args.concurrency, args.parallel, commands, label=label)
                figures += imported
                if "resync" in only:
                    figures += bench_resync(long_work, long_manifest, args.long_runs, db, commands,
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
