"""Where an import's CPU goes, per process: `repub ingest` of a fixture web, optionally on one core and
under py-spy.

    .venv/bin/python bench/profile_import.py [--articles 1000] [--pin] [--py-spy OUT.raw] [--runs 3]

Generates the fixture web (bench/fixture_web.py), serves it, runs ``repub ingest`` as run_bench.py's
import figure does (``--pin``: ``taskset -c 0``, the per-core figure) and, every 50 ms, reads each of
its processes' CPU seconds (/proc/PID/stat) and PSS (/proc/PID/smaps_rollup). A process's role comes
from where it sits: the run's own process; under it the extraction workers and the store process (the
one holding the database file open), forked from the run (``repub.ingest.helpers``), or else
multiprocessing's resource tracker and fork server with the workers and the store process under the
server. Prints, per role, CPU milliseconds per page and peak PSS, and the wall time.
``--py-spy OUT.raw`` records every process (``py-spy record --subprocesses``, raw folded stacks);
``--top N`` then prints the N functions with the most samples of their own, per role.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import fixture_web  # noqa: E402
import run_bench  # noqa: E402

ROLES = ("run", "resource tracker", "fork server", "extraction workers", "store process")


def role_of(pid: int, root: int, db: Path) -> str:
    if pid == root:
        return "run"
    cmdline = _read(f"/proc/{pid}/cmdline").replace("\0", " ")
    if "resource_tracker" in cmdline:
        return "resource tracker"
    with contextlib.suppress(OSError, IndexError, ValueError):  # gone meanwhile
        parent = int(_read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()[1])
        if parent == root and "forkserver" in cmdline:  # its children are forked with its command line
            return "fork server"
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(str(db)):
                    return "store process"
    return "extraction workers"


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


class Sampler(threading.Thread):
    def __init__(self, root: int, db: Path) -> None:
        super().__init__(daemon=True)
        self.root, self.db = root, db
        self.cpu: dict[int, float] = {}
        self.pss: dict[int, int] = {}
        self.roles: dict[int, str] = {}
        self.peak_total = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.05):
            total = 0
            for pid in run_bench._tree(self.root):
                if pid not in self.roles or self.roles[pid] == "extraction workers":
                    self.roles[pid] = role_of(pid, self.root, self.db)  # the store opens its db late
                self.cpu[pid] = max(self.cpu.get(pid, 0.0), run_bench._cpu_seconds(pid))
                pss = run_bench._pss(pid)
                self.pss[pid] = max(self.pss.get(pid, 0), pss)
                total += pss
            self.peak_total = max(self.peak_total, total)

    def by_role(self) -> dict[str, tuple[float, int, int]]:
        """role -> (CPU seconds, peak PSS of one process of it, processes)."""
        out: dict[str, tuple[float, int, int]] = {}
        for role in ROLES:
            pids = [p for p, r in self.roles.items() if r == role]
            out[role] = (sum(self.cpu[p] for p in pids), max((self.pss[p] for p in pids), default=0),
                         len(pids))
        return out


def one_run(work: Path, manifest: dict, port: int, pin: bool, py_spy: Path | None) -> dict:
    db = work / "profile.db"
    for p in work.glob("profile.db*"):
        p.unlink()
    sources = work / "bench-sources.toml"
    n = manifest["articles"]
    run_bench.write_sources(sources, manifest["copy_hosts"], 10000.0, 8, n)
    cmd = [run_bench.REPUB, "ingest", "--sources", str(sources)]
    if py_spy is not None:
        cmd = [str(run_bench.BIN / "py-spy"), "record", "--subprocesses", "--gil", "-r", "200", "-f", "raw",
               "-o", str(py_spy), "--", *cmd]
    if pin:
        cmd = [*run_bench.PIN, *cmd]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=run_bench.repub_env(port, manifest["hosts"], db),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    root = proc.pid
    if py_spy is not None:  # the repub process is py-spy's child
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (kids := run_bench._tree(proc.pid)[1:]):
            time.sleep(0.01)
        root = kids[0] if kids else proc.pid
    sampler = Sampler(root, db)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    sampler.stopping.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"repub ingest exited {proc.returncode}: {err[-2000:]}")
    stored = run_bench.count_articles(db)
    if stored != 2 * n:
        raise RuntimeError(f"stored {stored} of {2 * n}: {out}")
    return {"wall": wall, "pages": 2 * n, "roles": sampler.by_role(), "peak": sampler.peak_total,
            "summary": out.strip()}


def top_functions(raw: Path, top: int) -> dict[str, list[tuple[int, str]]]:
    """Per process (py-spy's "process PID:..." root frame), the functions with the most own samples."""
    own: dict[str, Counter[str]] = defaultdict(Counter)
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        own[frames[0][:60]][frames[-1]] += int(count)
    return {proc: counts.most_common(top) for proc, counts in own.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pin", action="store_true", help="taskset -c 0 (one core)")
    parser.add_argument("--py-spy", type=Path, help="record the last run with py-spy to this raw file")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="repub-profile-"))
    manifest = (json.loads((work / "manifest.json").read_text()) if (work / "manifest.json").exists()
                else fixture_web.generate(work, args.articles, args.hosts, seed=7))
    results = []
    with run_bench.Server(work) as server:
        for i in range(args.runs):
            spy = args.py_spy if i == args.runs - 1 else None
            results.append(one_run(work, manifest, server.port, args.pin, spy))
    pages = results[0]["pages"]
    print(f"repub ingest of {pages} pages{' on one core' if args.pin else ''}, {args.runs} runs "
          f"(median; CPU from /proc every 50 ms)")
    print(f"wall {statistics.median(r['wall'] for r in results):.2f} s = "
          f"{statistics.median(pages / r['wall'] for r in results):.1f} pages/s; peak PSS, all processes "
          f"{statistics.median(r['peak'] for r in results) / 2**20:.1f} MB")
    total = statistics.median(sum(c for c, _, _ in r["roles"].values()) for r in results)
    print(f"CPU, all processes: {total / pages * 1000:.2f} ms/page")
    for role in ROLES:
        cpu = statistics.median(r["roles"][role][0] for r in results)
        pss = statistics.median(r["roles"][role][1] for r in results)
        count = results[-1]["roles"][role][2]
        print(f"  {role:20s} x{count}: {cpu / pages * 1000:6.2f} ms/page CPU, peak PSS {pss / 2**20:6.1f} MB "
              "(one process)")
    if args.py_spy:
        for proc, functions in top_functions(args.py_spy, args.top).items():
            print(f"\n{proc}")
            for fn, count in functions:
                print(f"  {count:6d}  {fn[:120]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
