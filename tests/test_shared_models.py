"""The extraction workers' fork server loads the language model once for all workers
(repub.ingest.shared_models), and the run's own process never loads it."""

from __future__ import annotations

import subprocess
import sys

from repub.ingest.extraction import WORKER_MODULES


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          timeout=120).stdout.strip()


def test_the_fork_server_preloads_the_model_and_freezes_it() -> None:
    assert WORKER_MODULES[-1] == "repub.ingest.shared_models"  # after the modules it loads from
    out = _run("import gc, repub.ingest.shared_models\n"
               "from repub.extract import language\n"
               "frozen, loose = gc.get_freeze_count(), len(gc.get_objects())\n"
               "print(language._load_identifier.cache_info().currsize, frozen > 10 * loose)")
    assert out == "1 True"


def test_the_runs_process_does_not_load_it() -> None:
    out = _run("import sys, repub.cli.ingest, repub.ingest.runner, repub.ingest.extraction\n"
               "print('repub.ingest.shared_models' in sys.modules, 'py3langid' in sys.modules)")
    assert out == "False False"


def test_threads_asking_at_once_load_the_model_once() -> None:
    # an import on one core extracts its first pages in several threads at once: one load, not one each
    out = _run("from concurrent.futures import ThreadPoolExecutor\n"
               "from repub.extract import language\n"
               "with ThreadPoolExecutor(5) as pool:\n"
               "    models = list(pool.map(lambda _: language._identifier(), range(5)))\n"
               "print(language._load_identifier.cache_info().misses, len({id(m) for m in models}))")
    assert out == "1 1"
