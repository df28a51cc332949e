"""Pages/s with 1, 2 and 4 `repub worker` processes on a throwaway PostgreSQL (README "Scaling out"),
the CPU each page costs the workers and the database server, and the politeness they kept.

    .venv/bin/python bench/workers_bench.py [URLS=400] [DELAY_SECONDS=0.1] [--rate R] [--old REPUB]

URLS synthetic pages over 5 hosts are served from 127.0.0.1 (each answered after DELAY_SECONDS, like a
distant site) and queued with ``repub.store.jobs.defer`` (as ``repub ingest --enqueue`` does), each
host with ``--rate`` (default 1000/s: out of the way) and 2 lanes, then drained by N workers
(``--exit-when-empty``); each worker count gets a fresh database. Checked from the test server's own
log: no host above its rate in any second, and no page fetched twice. ``--old PATH`` runs the same
against another installation's `repub` (e.g. the home-made queue before procrastinate: `git archive`
that commit, `pip install` it in a venv of its own) for its figures in the same run. Needs Debian's
postgresql binaries (as the PostgreSQL tests do).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from pg import find_bindir, running_server  # noqa: E402
from repub.crawl import CrawlSettings  # noqa: E402
from repub.store import Store  # noqa: E402
from repub.store.jobs import defer  # noqa: E402
from repub.worker.jobs import page_job  # noqa: E402
from synthweb import SyntheticWeb  # noqa: E402
from webserver import TestWeb  # noqa: E402

HOSTS = [f"h{i}.test" for i in range(5)]


def server_cpu(directory: Path) -> float:
    """CPU seconds of the PostgreSQL server: the postmaster and every child it has reaped or still has."""
    pid = int((directory / "data" / "postmaster.pid").read_text().split()[0])
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid:
            total += sum(int(f) for f in fields[11:15]) / tick  # utime stime cutime cstime
        elif int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def enqueue_old(url: str, urls: list[str], rate: float) -> None:
    """The home-made queue's own enqueue, in the old installation's interpreter."""
    code = ("import sys; from repub.store import Store; from repub.store import queue as q\n"
            f"s = Store.open({url!r})\n"
            f"q.enqueue(s, [q.Enqueue(u, 'bench') for u in sys.argv[1:]], rate={rate})")
    subprocess.run([str(Path(OLD).with_name("python")), "-c", code, *urls], check=True)


OLD: str | None = None


def one(server: object, synthetic: SyntheticWeb, repub: str, workers: int, count: int, rate: float,
        old: bool) -> tuple[float, float, float]:
    url = server.create_database()  # type: ignore[attr-defined]
    urls = synthetic.urls(count)
    if old:
        enqueue_old(url, urls, rate)
    else:
        with Store.open(url) as store:
            defer(store, [page_job(u, "bench", CrawlSettings(rate=rate, concurrency=2)) for u in urls])
    synthetic.times.clear()
    synthetic.paths.clear()
    env = {**os.environ, "REPUB_DATABASE_URL": url, "REPUB_HOST_MAP": synthetic.host_map()}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    pg_before = server_cpu(server.directory)  # type: ignore[attr-defined]
    started = time.monotonic()
    procs = [subprocess.Popen([repub, "worker", "--exit-when-empty"], env=env, stdout=subprocess.DEVNULL)
             for _ in range(workers)]
    for proc in procs:
        proc.wait()
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    pg_cpu = server_cpu(server.directory) - pg_before  # type: ignore[attr-defined]
    fetched = sum(synthetic.paths.values())
    assert len(synthetic.paths) == count, f"{len(synthetic.paths)} of {count} pages fetched"
    twice = [p for p, n in synthetic.paths.items() if n > 1]
    worst = max(synthetic.max_in_window(h) for h in HOSTS)
    print(f"{'old queue' if old else 'procrastinate'}: {workers} workers: {count} pages in {seconds:.1f} s = "
          f"{count / seconds:.1f} pages/s; CPU per page {1000 * cpu / count:.1f} ms in the workers + "
          f"{1000 * pg_cpu / count:.1f} ms in PostgreSQL; fetched twice: {len(twice)} ({fetched} requests); "
          f"most requests to one host in a second: {worst} (rate {rate:g})", flush=True)
    return count / seconds, cpu / count, pg_cpu / count


def main() -> None:
    global OLD
    parser = argparse.ArgumentParser()
    parser.add_argument("urls", nargs="?", type=int, default=400)
    parser.add_argument("delay", nargs="?", type=float, default=0.1)
    parser.add_argument("--rate", type=float, default=1000.0, help="per host (default 1000: out of the way)")
    parser.add_argument("--old", metavar="REPUB", help="another installation's repub script to compare")
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    OLD = args.old
    repub = str(Path(sys.executable).with_name("repub"))
    bindir = find_bindir()
    if bindir is None:
        sys.exit("workers_bench: no PostgreSQL binaries found (apt-get install postgresql)")
    with running_server(bindir) as server, TestWeb() as web:
        synthetic = SyntheticWeb(web, HOSTS, delay=args.delay)
        for workers in (int(w) for w in args.workers.split(",")):
            one(server, synthetic, repub, workers, args.urls, args.rate, old=False)
            if args.old:
                one(server, synthetic, args.old, workers, args.urls, args.rate, old=True)


if __name__ == "__main__":
    main()
