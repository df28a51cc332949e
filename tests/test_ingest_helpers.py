"""A large run's helper processes are forked from the run itself before it starts a thread
(repub.ingest.helpers): real interpreters, real processes, a real SQLite file."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from repub.ingest.extraction import available_cores
from repub.store import Store

FORK = textwrap.dedent("""
    import json, multiprocessing, os, subprocess, sys, threading
    from repub.ingest.helpers import fork_helpers
    if sys.argv[2] == "thread":  # a program running a thread of its own
        stop = threading.Event()
        threading.Thread(target=stop.wait, daemon=True).start()
    if sys.argv[2] == "broken":  # the workers forked, then one died before it ran
        from concurrent.futures.process import BrokenProcessPool
        from repub.ingest.extraction import Extractor
        start = Extractor.start
        def broken(self):
            start(self)
            raise BrokenProcessPool("a worker died")
        Extractor.start = broken
    helpers = fork_helpers(sys.argv[1])
    if helpers is None:
        for child in multiprocessing.active_children():
            child.join(10)  # what a failed start stopped is gone, not merely asked to go
    ps = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(os.getpid())], capture_output=True,
                        text=True).stdout.splitlines()
    out = {"forked": helpers is not None,
           "children": len([line for line in ps if " ps -o " not in line]),
           "fork_server": any("forkserver" in line or "resource_tracker" in line for line in ps)}
    if helpers is not None:
        pool = helpers.extractor._pool  # the test's look inside: which process ran the job
        out["job_parent"] = pool.submit(os.getppid).result() == os.getpid()
        out["workers"] = helpers.extractor.workers
        out["store"] = helpers.store is not None and helpers.store.save_many([], []) == []
        helpers.shutdown()
    print(json.dumps(out))
""")


def _fork(tmp_path: Path, mode: str) -> dict[str, object]:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    Store.open(url).close()  # the database, migrated
    done = subprocess.run([sys.executable, "-c", FORK, url, mode], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_helpers_are_forked_from_the_run_and_do_its_work(tmp_path: Path) -> None:
    assert _fork(tmp_path, "alone") == {
        "forked": True, "children": available_cores() + 1, "fork_server": False, "job_parent": True,
        "workers": available_cores(), "store": True,
    }


def test_a_process_running_another_thread_forks_nothing(tmp_path: Path) -> None:
    # a child forked beside another thread may inherit a lock that thread held: the run then starts its
    # helpers from the fork server instead (repub.ingest.runner), as before
    assert _fork(tmp_path, "thread") == {"forked": False, "children": 0, "fork_server": False}


def test_helpers_that_fail_to_start_are_stopped(tmp_path: Path) -> None:
    # the run then starts them from the fork server (repub.ingest.runner), as on a process with threads
    assert _fork(tmp_path, "broken") == {"forked": False, "children": 0, "fork_server": False}
