"""Pages/s with 1, 2 and 4 `repub worker` processes on a throwaway PostgreSQL (README "Scaling out").

    .venv/bin/python bench/workers_bench.py [URLS=400] [DELAY_SECONDS=0.1]

URLS synthetic pages over 5 hosts are served from 127.0.0.1 (each answered after DELAY_SECONDS, like a
distant site), queued with a rate high enough not to matter, and drained by N workers; each worker
count gets a fresh database. Needs Debian's postgresql binaries (as the PostgreSQL tests do).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from pg import find_bindir, running_server  # noqa: E402
from repub.store import Store  # noqa: E402
from repub.store import queue as q  # noqa: E402
from test_queue import SyntheticWeb  # noqa: E402
from webserver import TestWeb  # noqa: E402


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    delay = float(sys.argv[2]) if len(sys.argv) > 2 else 0.1
    repub = str(Path(sys.executable).with_name("repub"))
    bindir = find_bindir()
    if bindir is None:
        sys.exit("workers_bench: no PostgreSQL binaries found (apt-get install postgresql)")
    with running_server(bindir) as server, TestWeb() as web:
        synthetic = SyntheticWeb(web, [f"h{i}.test" for i in range(5)], delay=delay)
        for workers in (1, 2, 4):
            url = server.create_database()
            with Store.open(url) as store:
                q.enqueue(store, [q.Enqueue(u, "bench") for u in synthetic.urls(count)], rate=1000)
            env = {**os.environ, "REPUB_DATABASE_URL": url, "REPUB_HOST_MAP": synthetic.host_map()}
            started = time.monotonic()
            procs = [
                subprocess.Popen([repub, "worker", "--exit-when-empty"], env=env, stdout=subprocess.DEVNULL)
                for _ in range(workers)
            ]
            for proc in procs:
                proc.wait()
            seconds = time.monotonic() - started
            rate = count / seconds
            print(f"{workers} workers: {count} pages in {seconds:.1f} s = {rate:.1f} pages/s", flush=True)


if __name__ == "__main__":
    main()
