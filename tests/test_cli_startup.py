"""What a run imports before it works, and what its extraction workers import: the fixed costs of
``repub ingest`` (docs: bench/README.md, figure (b)). Real interpreters, real SQLite files.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

import test_ingest
from repub.cli import COMMAND_MODULES, COMMANDS, build_parser, main
from repub.ingest import extraction
from repub.store import Store, create_engine, downgrade, head_revision, upgrade
from repub.store.migrate import script_head, stored_revision
from test_ingest import db_rows, sources_file, stored_urls

web, env = test_ingest.web, test_ingest.env  # the fixtures, shared
# Never needed by an extraction worker: the command line's commands, the run, the network, Alembic.
NOT_IN_WORKERS = {
    "repub.cli.articles", "repub.cli.ingest", "repub.cli.resync", "repub.cli.rules", "repub.cli.queue",
    "repub.ingest.runner", "repub.pipeline", "repub.fetch.client", "repub.discover", "httpx", "alembic",
    "feedparser",
}


def _python(code: str, cwd: Path | None = None) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_command_is_found_in_the_module_registering_it() -> None:
    registered = {}
    for name in COMMAND_MODULES:
        commands = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"repub.cli.{name}").register(commands)
        registered.update(dict.fromkeys(commands.choices, name))
    assert registered == COMMANDS


def test_import_repub_cli_loads_no_command() -> None:
    loaded = set(json.loads(_python("import json, sys, repub.cli; print(json.dumps(sorted(sys.modules)))")))
    assert {m for m in loaded if m.startswith("repub")} == {"repub", "repub.cli", "repub.cli.common",
                                                             "repub.errors", "repub.interrupt"}
    assert not loaded & {"sqlalchemy", "httpx", "alembic", "trafilatura", "selectolax", "feedparser"}


def test_help_and_usage_errors_still_list_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert all(f"    {command} " in out or f"    {command}\n" in out for command in COMMANDS)
    with pytest.raises(SystemExit) as done:
        main(["ingset"])
    assert done.value.code == 2
    assert "invalid choice: 'ingset' (choose from 'import', 'show'," in capsys.readouterr().err


def test_a_command_that_moved_module_is_still_found(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):  # the parser for `rules` knows the rules module's commands only
        build_parser("rules").parse_args(["ingest"])
    assert "invalid choice: 'ingest' (choose from 'rules')" in capsys.readouterr().err
    monkeypatch.setitem(COMMANDS, "ingest", "rules")  # a stale table: the whole parser is built
    args = build_parser("ingest").parse_args(["ingest", "--max-new", "3"])
    assert args.command == "ingest" and args.max_new == 3


def _worker_modules(tmp_path: Path, main_line: str, *run: str) -> tuple[bool, set[str]]:
    """(ran in another process, the modules loaded) of an extraction worker whose run's main module
    starts with ``main_line``, run as ``python *run``."""
    (tmp_path / "probe.py").write_text(textwrap.dedent("""
        import os, sys

        def modules():
            return os.getpid(), sorted(sys.modules)
    """))
    script = textwrap.dedent(f"""
        {main_line}

        if __name__ == "__main__":
            import asyncio, json, os
            import probe
            from repub.ingest.extraction import Extractor

            extractor = Extractor(1)
            try:
                pid, modules = asyncio.run(extractor._in_worker(probe.modules))
            finally:
                extractor.shutdown()
            print(json.dumps([pid != os.getpid(), modules]))
    """)
    (tmp_path / "run_like_repub.py").write_text(script)
    (tmp_path / "runpkg").mkdir()
    (tmp_path / "runpkg" / "__init__.py").write_text("")
    (tmp_path / "runpkg" / "__main__.py").write_text(script)
    done = subprocess.run([sys.executable, *run], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    elsewhere, modules = json.loads(done.stdout)
    return elsewhere, set(modules)


def test_an_extraction_worker_of_the_repub_script_loads_the_extraction_code_only(tmp_path: Path) -> None:
    # the `repub` console script's own first line: multiprocessing runs it again in every worker
    elsewhere, modules = _worker_modules(tmp_path, "from repub.cli import main", "run_like_repub.py")
    assert elsewhere
    assert {"repub.ingest.extraction", "repub.extract", "repub.normalize", "repub.store.history",
            "trafilatura", "repub.cli"} <= modules  # the fork server's preloads, and the script's import
    assert not modules & NOT_IN_WORKERS


def test_an_extraction_worker_under_python_m_does_not_even_import_repub_cli(tmp_path: Path) -> None:
    elsewhere, modules = _worker_modules(tmp_path, "from repub.cli import main", "-m", "runpkg")
    assert elsewhere
    assert "repub.extract" in modules
    assert not modules & (NOT_IN_WORKERS | {"repub.cli"})


def test_python_m_repub_ingests_with_extraction_workers(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, extraction.POOL_MIN_ENV: "0"}
    done = subprocess.run([sys.executable, "-m", "repub", "ingest", "--sources", str(sources_file(tmp_path))],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ingest run 1 ok: discovered 10, new 13, updated 0, failed 4, ")
    assert len(stored_urls(env["REPUB_DB"])) == 13
    assert db_rows(env["REPUB_DB"], "PRAGMA integrity_check") == [("ok",)]


def test_an_import_with_helpers_forked_from_the_run_on_postgresql(
    env: dict[str, str], tmp_path: Path, pg_url: str
) -> None:
    # the run closes its idle connections before forking (Store.before_fork); the one holding the run
    # lock is inherited by the helpers, which never use it: the store process writes on a connection of
    # its own (repub.ingest.storeproc)
    env = {**{k: v for k, v in env.items() if k != "REPUB_DB"}, "REPUB_DATABASE_URL": pg_url,
           extraction.POOL_MIN_ENV: "0"}
    sources = str(sources_file(tmp_path))
    done = subprocess.run([sys.executable, "-m", "repub", "ingest", "--sources", sources], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ingest run 1 ok: discovered 10, new 13, updated 0, failed 4, ")
    assert "store process failed" not in done.stderr and "extraction workers failed" not in done.stderr
    again = subprocess.run([sys.executable, "-m", "repub", "ingest", "--sources", sources], env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr  # the run lock was let go, the database reads as written
    assert again.stdout.startswith("ingest run 2 ok: discovered 10, new 0, ")
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT COUNT(*) FROM articles WHERE status = 'ok'")).scalar()
            versions = conn.execute(sa.text("SELECT COUNT(*) FROM article_versions")).scalar()
    finally:
        engine.dispose()
    assert (stored, versions) == (13, 13)


@pytest.mark.parametrize(("pool_min", "args", "forked"), [
    ("0", [], True),  # a run wanting workers: forked from the run, before its first thread
    ("0", ["--enqueue"], False),  # discovery only: no workers
    ("1000", [], False),  # below the pool's threshold: extraction in a thread, no workers
])
def test_a_run_forks_its_helpers_before_it_starts_any_thread(
    env: dict[str, str], tmp_path: Path, pool_min: str, args: list[str], forked: bool,
) -> None:
    code = textwrap.dedent(f"""
        import os, sys, threading
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from procs import opens
        from repub.ingest import runner
        fork_helpers = runner.fork_helpers
        def spy(url):
            threads, database = threading.active_count(), opens(os.getpid(), os.environ["REPUB_DB"])
            helpers = fork_helpers(url)
            print("forked:", threads, database, helpers.extractor.workers, helpers.store is not None,
                  flush=True)
            return helpers
        runner.fork_helpers = spy
        from repub.cli import main
        sys.exit(main(["ingest", "--sources", {str(sources_file(tmp_path))!r}, *{args!r}]))
    """)
    env = {**env, extraction.POOL_MIN_ENV: pool_min}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    # --enqueue queues for workers, which need PostgreSQL: on this SQLite file it is refused (exit 3)
    assert done.returncode == (3 if "--enqueue" in args else 0), done.stderr
    lines = done.stdout.splitlines()
    if forked:  # one thread (the main one), the database not open, a worker per core, the store process
        assert lines[0] == f"forked: 1 0 {len(os.sched_getaffinity(0))} True"
    else:
        assert not any(line.startswith("forked:") for line in lines)
    if "--enqueue" not in args:
        assert lines[-1].startswith("ingest run 1 ok: discovered 10, new 13, updated 0, failed 4, ")


def test_a_sources_file_read_from_a_pipe_is_read_once(env: dict[str, str], tmp_path: Path) -> None:
    # the file is read once: a pipe (--sources /dev/stdin, <(...)) gives its text once, and a second
    # read found "no [[source]] tables: nothing to ingest"
    env = {**env, extraction.POOL_MIN_ENV: "0"}
    text = sources_file(tmp_path).read_text()
    done = subprocess.run([sys.executable, "-m", "repub", "ingest", "--sources", "/dev/stdin"], input=text,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ingest run 1 ok: discovered 10, new 13, updated 0, failed 4, ")
    broken = subprocess.run([sys.executable, "-m", "repub", "ingest", "--sources", "/dev/stdin"],
                            input="[[source]\n", env=env, capture_output=True, text=True, timeout=120)
    assert (broken.returncode, broken.stdout) == (3, "")
    assert broken.stderr.startswith("repub: /dev/stdin:1: TOML syntax error")
    assert broken.stderr.count("\n") == 1  # said once


def test_the_head_read_off_the_scripts_is_alembics() -> None:
    assert script_head() == head_revision() == "0013"


def test_a_database_at_the_head_opens_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'repub.db'}"
    opened = ("import sys; from repub.store import Store; Store.open({url!r}).close(); "
              "print('alembic' in sys.modules)")
    # a new file: made from the models at the head (create_at_head), no Alembic either
    assert _python(opened.format(url=url)) == "False\n"
    assert _python(opened.format(url=url)) == "False\n"  # at the head: one SELECT, no Alembic
    assert upgrade(url) is False  # Alembic agrees it is at the head
    engine = create_engine(url)
    try:
        assert stored_revision(engine) == "0013"
    finally:
        engine.dispose()


def test_a_database_behind_the_head_is_still_upgraded_when_opened(any_db_url: str) -> None:
    engine = create_engine(any_db_url)
    try:
        assert stored_revision(engine) is None  # no alembic_version table yet
        assert upgrade(any_db_url) is True
        assert stored_revision(engine) == "0013"
        assert upgrade(any_db_url) is False
        downgrade(any_db_url, "0003")
        assert stored_revision(engine) == "0003"
        with Store.open(any_db_url) as store:
            assert stored_revision(store.engine) == "0013"
            with store.engine.connect() as conn:  # 0004's host_slots is back (its queue went with 0008)
                assert conn.execute(sa.text("SELECT COUNT(*) FROM host_slots")).scalar() == 0
    finally:
        engine.dispose()
