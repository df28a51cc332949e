"""Run bookkeeping and the one-run-at-a-time lock, on real SQLite files and real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from repub.store import Store
from repub.store.runs import RunFigures, RunLocked, finish_run, list_runs, run_lock, start_run, update_run

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_run_figures_round_trip(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'r.db'}") as store:
        run_id = start_run(store, "ingest", {"source": "tms"}, now=T0)
        update_run(store, run_id, RunFigures(discovered=5, new=2))
        assert list_runs(store)[0].status == "running"
        finish_run(store, run_id, RunFigures(5, 2, 1, 1, 1, 3), status="ok", now=T0 + timedelta(seconds=3))
        (run,) = list_runs(store)
    assert run.to_json() == {
        "id": run_id, "command": "ingest", "status": "ok", "started_at": "2026-11-26T12:00:00Z",
        "finished_at": "2026-11-26T12:00:03Z", "seconds": 3.0, "options": {"source": "tms"},
        "discovered": 5, "new": 2, "updated": 1, "unchanged": 1, "failed": 1, "refused": 3, "error": None,
    }


def test_a_run_left_running_is_marked_interrupted(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'r.db'}") as store:
        first = start_run(store, "ingest", {}, now=T0)  # its process was killed: never finished
        second = start_run(store, "resync", {}, now=T0 + timedelta(minutes=5))
        statuses = {run.id: run.status for run in list_runs(store)}
    assert statuses == {first: "interrupted", second: "running"}


def test_second_process_cannot_take_the_lock(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    probe = (
        "import sys\n"
        "from repub.store import Store\n"
        "from repub.store.runs import RunLocked, run_lock\n"
        f"store = Store.open('sqlite:///{db}')\n"
        "try:\n"
        "    with run_lock(store):\n"
        "        print('got it')\n"
        "except RunLocked as err:\n"
        "    print(err)\n"
    )
    with Store.open(f"sqlite:///{db}") as store:
        with run_lock(store):
            held = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
            with pytest.raises(RunLocked, match="another repub run is using"), run_lock(store):
                pass  # the same process asking again on a new descriptor is refused too
        free = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert held.stdout.strip() == f"another repub run is using {db}; try again when it has finished"
    assert free.stdout.strip() == "got it"


def test_a_child_forked_under_the_lock_does_not_keep_it_when_the_run_dies(tmp_path: Path) -> None:
    # a run's helpers are forked from it while it holds the lock (repub.ingest.helpers); an flock belongs
    # to the open file, which a child shares: without the at-fork release, the run's death (os._exit:
    # nothing unlocked, as under SIGKILL) left the database locked for as long as a helper lived
    db = tmp_path / "r.db"
    run = (
        "import os, time\n"
        "from repub.store import Store\n"
        "from repub.store.runs import run_lock\n"
        f"store = Store.open('sqlite:///{db}')\n"
        "with run_lock(store):\n"
        "    child = os.fork()\n"
        "    if child == 0:\n"
        "        null = os.open(os.devnull, os.O_WRONLY)\n"
        "        os.dup2(null, 1), os.dup2(null, 2)  # the test reads the run's output to its end\n"
        "        time.sleep(60)\n"
        "        os._exit(0)\n"
        "    print(child, flush=True)\n"
        "    os._exit(0)\n"
    )
    done = subprocess.run([sys.executable, "-c", run], capture_output=True, text=True, check=True, timeout=60)
    child = int(done.stdout)
    try:
        assert Path(f"/proc/{child}").exists()  # the child outlives the run
        with Store.open(f"sqlite:///{db}") as store, run_lock(store):
            pass  # and the lock is free
    finally:
        os.kill(child, signal.SIGKILL)
