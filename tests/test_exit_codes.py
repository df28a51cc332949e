"""Every exit code the README's table documents, for every command it names, run end to end.

The table (README.md, "Exit codes": code | meaning | commands) is read here, so docs and code cannot
drift: a command given a code there must reach it in ``test_every_documented_exit_code`` (one case per
pair in ``cases`` below; a pair without a case fails), the code's own table (``repub.cli.common.
EXIT_CODES``, which each command's --help prints) must list the same codes, and each --help must show
them. Real HTTP to the fixture web, a real SQLite file per case, the real CLI: in-process for the codes
a call returns, the installed script in a subprocess for SIGTERM (130) and a closed stdout (141).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from fixturedata import fixture_hosts
from repub.cli import build_parser, main
from repub.cli.common import EXIT_CODES
from repub.store import Store
from repub.store.history import RawBody, prepare_raw
from repub.store.runs import run_lock
from webserver import FIXTURE_SITES, Response, TestWeb

ROOT = Path(__file__).resolve().parent.parent
REPUB = Path(sys.executable).with_name("repub")
CASE_URL = (
    "https://www.transcend.org/tms/2020/10/a-russia-china-military-alliance-would-be-a-bulwark-against-"
    "americas-global-imperialism-is-it-time-for-washington-to-panic/"
)
RT_URL = "https://www.rt.com/op-ed/504399-russia-china-military-alliance-washington/"
RT_PATH = "/www.rt.com/op-ed/504399-russia-china-military-alliance-washington/"
RT_PAGE = FIXTURE_SITES / RT_PATH.strip("/") / "index.html"
CASE_PAGE = FIXTURE_SITES / CASE_URL.removeprefix("https://") / "index.html"
TMS = "https://www.transcend.org/tms"
ROBOTS = b"User-agent: *\nDisallow: /tms/wp-admin/\n"


# -- the README's table ----------------------------------------------------------------------------


def all_commands() -> list[str]:
    """Every command as typed after ``repub`` ("db upgrade" for a command with actions)."""
    out = []
    for name, sub in _choices(build_parser()).items():
        actions = _choices(sub)
        out += [f"{name} {action}" for action in actions] if actions else [name]
    return out


def _choices(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps its subparsers here only (no public accessor)
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def readme_exit_codes() -> dict[int, set[str]]:
    """code -> the commands the README's exit-code table gives it."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.split(r"\n#{1,3} ", text.split("\n### Exit codes\n", 1)[1], maxsplit=1)[0]
    commands = all_commands()
    table: dict[int, set[str]] = {}
    for line in section.splitlines():
        if not re.match(r"\| \d+ \|", line):
            continue
        code, _meaning, who = (cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1])
        named = re.findall(r"`([^`]+)`", who)
        assert set(named) <= set(commands), f"README: no such command in {who!r}"
        if who == "every command":
            table[int(code)] = set(commands)
        elif who.startswith("every command but "):
            table[int(code)] = set(commands) - set(named)
        else:
            table[int(code)] = set(named)
    return table


README_CODES = readme_exit_codes()
PAIRS = sorted((command, code) for code, commands in README_CODES.items() for command in commands)


def test_the_readme_table_is_the_one_the_commands_use() -> None:
    by_command: dict[str, set[int]] = {}
    for command, code in PAIRS:
        by_command.setdefault(command, set()).add(code)
    assert by_command == {command: set(codes) for command, codes in EXIT_CODES.items()}


@pytest.mark.parametrize("command", all_commands())
def test_each_help_ends_with_its_exit_codes(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([*command.split(), "--help"])
    block = capsys.readouterr().out.split("\nexit codes:\n", 1)[1]
    shown = [int(m) for m in re.findall(r"^  (\d+) ", block, re.M)]
    assert shown == sorted(code for code, commands in README_CODES.items() if command in commands)


@pytest.mark.parametrize("command", all_commands())
def test_every_option_says_what_it_does(command: str) -> None:
    parser = build_parser()
    for word in command.split():
        parser = _choices(parser)[word]
    assert [a.option_strings for a in parser._actions if a.option_strings and not a.help] == []


# -- the cases ---------------------------------------------------------------------------------------


class Gate:
    """A route that holds its answers until released: a command is stopped while it waits there."""

    def __init__(self) -> None:
        self.asked, self.release = threading.Event(), threading.Event()

    def __call__(self, _handler: BaseHTTPRequestHandler) -> Response:
        self.asked.set()
        self.release.wait(60)
        return 503, {"Content-Type": "text/html"}, b"<html><body>later</body></html>"


@dataclass
class World:
    web: TestWeb
    gate: Gate
    template: Path  # a database with a copy, its original in two versions, the copy diverged
    files: Path  # sources files, an empty folder...

    def host_map(self, *extra: str) -> str:
        return ",".join([self.web.host_map(*fixture_hosts()), *extra])

    def slow(self, host: str) -> str:
        """A host-map entry serving ``host`` from the gate's paths."""
        return f"{host}={self.web.base}/slow/{host}"


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]
    setup: Callable[[Any, World], None] | None = None  # on the case's database (a path, or a URL if pg)
    how: str = "call"  # call | locked (run lock held) | sigterm | closed (stdout closed) | serve (SIGTERM
    # once it says it is serving)
    pg: bool = False  # on a PostgreSQL database of its own (the work queue needs one)


def sources(world: World, name: str) -> str:
    path = world.files / f"{name}.toml"
    path.write_text(
        f'[[source]]\nname = "tms"\nsite = "{TMS}/"\nfeeds = ["{TMS}/feed/"]\ninclude = ["nato-at-75"]\n'
        "follow_originals = false\nrate = 200.0\nmax_new = 5\n", encoding="utf-8")
    return str(path)


def broken_raw_page(db: Path | str, world: World) -> None:
    """The original's newest kept page now holds no article: reextract cannot extract it."""
    page = prepare_raw(RawBody(RT_URL, b"<html><body></body></html>", "utf-8"))
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE raw_pages SET body = ?, body_hash = ?, size = ?, compression = ? "
                     "WHERE id = (SELECT max(r.id) FROM raw_pages r JOIN articles a ON a.id = r.article_id "
                     "WHERE a.url = ?)",
                     (page.data, page.digest, page.size, page.compression, RT_URL))


def queued_original(url: str, world: World) -> None:
    from repub.store.jobs import defer
    from repub.worker.jobs import page_job

    with Store.open(url) as store:
        defer(store, [page_job(RT_URL, "test")])


def cases(world: World) -> dict[tuple[str, int], Case]:
    missing = ("--db", str(world.files / "no" / "such" / "dir" / "repub.db"))
    good = sources(world, "good")
    refused = world.files / "refused.toml"
    refused.write_text(Path(good).read_text(encoding="utf-8"), encoding="utf-8")
    bad = world.files / "bad.toml"
    bad.write_text("[[source]]\nsite = 5\n", encoding="utf-8")
    empty = world.files / "empty"
    empty.mkdir(exist_ok=True)
    c: dict[tuple[str, int], Case] = {
        ("import", 0): Case(("import", CASE_URL)),
        ("import", 1): Case(("import", "https://www.rt.com/op-ed/000-no-such-page/")),
        ("import", 2): Case(("import", RT_URL, "--timeout", "0")),
        ("import", 3): Case(("import", RT_URL, *missing)),
        ("import", 130): Case(("import", RT_URL, "--host-map", world.slow("www.rt.com")), how="sigterm"),
        ("show", 0): Case(("show", CASE_URL)),
        ("show", 1): Case(("show", "https://www.rt.com/op-ed/000-no-such-page/")),
        ("show", 2): Case(("show",)),
        ("show", 3): Case(("show", CASE_URL, *missing)),
        ("list", 0): Case(("list",)),
        ("list", 2): Case(("list", "--no-such-option")),
        ("list", 3): Case(("list", *missing)),
        ("extract", 0): Case(("extract", str(RT_PAGE), "--url", RT_URL)),
        ("extract", 1): Case(("extract", str(world.files / "no-such-page.html"), "--url", RT_URL)),
        ("extract", 2): Case(("extract", str(RT_PAGE))),
        ("db upgrade", 0): Case(("db", "upgrade")),
        ("db upgrade", 2): Case(("db", "upgrade", "--no-such-option")),
        ("db upgrade", 3): Case(("db", "upgrade", *missing)),
        ("db downgrade", 0): Case(("db", "downgrade", "0003")),
        ("db downgrade", 2): Case(("db", "downgrade")),
        ("db downgrade", 3): Case(("db", "downgrade", "nosuchrev")),
        ("ingest", 0): Case(("ingest", "--sources", good)),
        ("ingest", 1): Case(("ingest", "--sources", str(refused), "--host-map",
                             "www.transcend.org=http://127.0.0.1:9")),
        ("ingest", 2): Case(("ingest", "--sources", good, "--since", "last week")),
        ("ingest", 3): Case(("ingest", "--sources", str(world.files / "no-such.toml"))),
        ("ingest", 130): Case(("ingest", "--sources", good, "--host-map", world.slow("www.transcend.org")),
                              how="sigterm"),
        ("runs", 0): Case(("runs",)),
        ("runs", 2): Case(("runs", "--limit", "0")),
        ("runs", 3): Case(("runs", *missing)),
        ("sources check", 0): Case(("sources", "check", good)),
        ("sources check", 1): Case(("sources", "check", str(bad))),
        ("sources check", 2): Case(("sources", "check", good, "--no-such-option")),
        ("resync", 0): Case(("resync", "--url", RT_URL)),
        ("resync", 1): Case(("resync", "--url", RT_URL, "--host-map", "www.rt.com=http://127.0.0.1:9")),
        ("resync", 2): Case(("resync", "--older-than", "soon")),
        ("resync", 3): Case(("resync", *missing)),
        ("resync", 130): Case(("resync", "--url", RT_URL, "--host-map", world.slow("www.rt.com")),
                              how="sigterm"),
        ("reextract", 0): Case(("reextract",)),
        ("reextract", 1): Case(("reextract",), setup=broken_raw_page),
        ("reextract", 2): Case(("reextract", "--no-such-option")),
        ("reextract", 3): Case(("reextract", *missing)),
        ("prune", 0): Case(("prune",)),
        ("prune", 2): Case(("prune", "--keep", "0")),
        ("prune", 3): Case(("prune", *missing)),
        ("history", 0): Case(("history", RT_URL)),
        ("history", 1): Case(("history", "https://www.rt.com/op-ed/000-no-such-page/")),
        ("history", 2): Case(("history",)),
        ("history", 3): Case(("history", RT_URL, *missing)),
        ("diff", 0): Case(("diff", RT_URL)),
        ("diff", 1): Case(("diff", RT_URL, "--to", "9")),
        ("diff", 2): Case(("diff", RT_URL, "--to", "two")),
        ("diff", 3): Case(("diff", RT_URL, *missing)),
        ("changes", 0): Case(("changes",)),
        ("changes", 2): Case(("changes", "--since", "soon")),
        ("changes", 3): Case(("changes", *missing)),
        ("diverged", 0): Case(("diverged",)),
        ("diverged", 2): Case(("diverged", "--no-such-option")),
        ("diverged", 3): Case(("diverged", *missing)),
        ("rules test", 0): Case(("rules", "test", "--site", "rt.com")),
        ("rules test", 1): Case(("rules", "test", "--fixtures", str(empty))),
        ("rules test", 2): Case(("rules", "test", "--site", "nosuch.example")),
        ("rules test", 3): Case(("rules", "test", "--fixtures", str(world.files / "no-such-folder"))),
        ("rules list", 0): Case(("rules", "list")),
        ("rules list", 2): Case(("rules", "list", "--no-such-option")),
        ("worker", 0): Case(("worker", "--exit-when-empty"), pg=True),
        ("worker", 2): Case(("worker", "--lease", "0")),
        ("worker", 3): Case(("worker", "--exit-when-empty")),  # SQLite: no work queue there
        ("worker", 130): Case(("worker", "--host-map", world.slow("www.rt.com")), setup=queued_original,
                              how="sigterm", pg=True),
        ("queue", 0): Case(("queue",), pg=True),
        ("queue", 2): Case(("queue", "--no-such-option")),
        ("queue", 3): Case(("queue", *missing)),
        # serve: exit 0 when SIGTERM stops it after it started serving
        ("serve", 0): Case(("serve", "--port", "0"), how="serve"),
        ("serve", 2): Case(("serve", "--host", "0.0.0.0", "--port", "0")),  # off loopback, no token
        ("serve", 3): Case(("serve", "--port", "0", *missing)),
        ("search", 0): Case(("search", "nato")),
        ("search", 2): Case(("search", '"(nato')),  # a query the search language cannot read
        ("search", 3): Case(("search", "nato", *missing)),
        ("export", 0): Case(("export", "--format", "jsonl")),
        ("export", 1): Case(("export", "--format", "csv", "-o", str(world.files / "no-such-dir" / "x.csv"))),
        ("export", 2): Case(("export", "--warc", str(world.files / "out.warc.gz"), "--query", "nato")),
        ("export", 3): Case(("export", "--format", "jsonl", *missing)),
        ("copies", 0): Case(("copies", RT_URL)),
        ("copies", 1): Case(("copies", "https://www.rt.com/op-ed/000-no-such-page/")),
        ("copies", 2): Case(("copies",)),
        ("copies", 3): Case(("copies", RT_URL, *missing)),
        ("trace", 0): Case(("trace", CASE_URL)),
        ("trace", 1): Case(("trace", "https://www.rt.com/op-ed/000-no-such-page/")),
        ("trace", 2): Case(("trace", CASE_URL, "--no-such-option")),
        ("trace", 3): Case(("trace", CASE_URL, *missing)),
        ("match", 0): Case(("match", str(CASE_PAGE), "--url", CASE_URL)),
        ("match", 1): Case(("match", str(world.files / "no-such-page.html"), "--url", CASE_URL)),
        ("match", 2): Case(("match", str(CASE_PAGE))),
        ("match", 3): Case(("match", str(CASE_PAGE), "--url", CASE_URL, *missing)),
    }
    for command in all_commands():  # 4: the run lock held; 141: stdout closed, on the case that exits 0
        if (command, 4) in PAIRS:
            c[command, 4] = replace(c[command, 0], how="locked")
        c[command, 141] = replace(c[command, 0], how="closed")
    return c


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    files = tmp_path_factory.mktemp("exit-codes")
    gate = Gate()
    with TestWeb() as web:
        for host in ("www.rt.com", "www.transcend.org"):
            web.route(f"/slow/{host}/robots.txt", gate)
        web.route(f"/slow{RT_PATH}", gate)
        web.route("/www.transcend.org/robots.txt", lambda _h: (200, {"Content-Type": "text/plain"}, ROBOTS))
        world = World(web, gate, files / "template.db", files)
        hosts = ("--db", str(world.template), "--host-map", world.host_map())
        assert main(["import", CASE_URL, *hosts]) == 0
        corrected = RT_PAGE.read_text(encoding="utf-8").replace("Is It Time for Washington to Panic?",
                                                                "Should Washington Be Worried?")
        web.route(RT_PATH, lambda _h: (200, {"Content-Type": "text/html; charset=utf-8"}, corrected.encode()))
        assert main(["resync", "--url", RT_URL, *hosts]) == 0  # version 2: the copy diverges
        del web.routes[RT_PATH]
        yield world
        gate.release.set()


@pytest.mark.parametrize(("command", "code"), PAIRS, ids=[f"{cmd}-{code}" for cmd, code in PAIRS])
def test_every_documented_exit_code(
    command: str, code: int, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest,
) -> None:
    case = cases(world).get((command, code))
    assert case is not None, f"README gives `{command}` exit {code}: add its case to tests/test_exit_codes.py"
    db = tmp_path / "repub.db"
    shutil.copyfile(world.template, db)
    env = {**os.environ, "REPUB_DB": str(db), "REPUB_HOST_MAP": world.host_map()}
    env.pop("REPUB_DATABASE_URL", None)
    if case.pg:
        env["REPUB_DATABASE_URL"] = request.getfixturevalue("pg_url")
        with Store.open(env["REPUB_DATABASE_URL"]):  # `repub db upgrade`
            pass
    if case.setup is not None:
        case.setup(env["REPUB_DATABASE_URL"] if case.pg else db, world)  # type: ignore[arg-type]
    if case.how in ("call", "locked"):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        if not case.pg:
            monkeypatch.delenv("REPUB_DATABASE_URL", raising=False)
        if case.how == "locked":
            with Store.open(f"sqlite:///{db}") as store, run_lock(store):
                got = _call(case.argv)
        else:
            got = _call(case.argv)
        out, err = capsys.readouterr()
        assert got == code, f"{' '.join(case.argv)}: exit {got}\n{err}"
        assert "Traceback" not in err
    elif case.how == "closed":
        read, write = os.pipe()
        os.close(read)
        with os.fdopen(write, "w") as closed:
            proc = subprocess.run([str(REPUB), *case.argv], env=env, stdout=closed, stderr=subprocess.PIPE,
                                  text=True, timeout=120)
        assert proc.returncode == code, proc.stderr
        assert "Traceback" not in proc.stderr
    elif case.how == "serve":
        proc = subprocess.Popen([str(REPUB), *case.argv], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None and proc.stdout.readline().startswith("serving "), proc.stderr
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == code, err
        assert "Traceback" not in err
    else:
        assert case.how == "sigterm"
        world.gate.asked.clear()
        world.gate.release.clear()
        proc = subprocess.Popen([str(REPUB), *case.argv], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            assert world.gate.asked.wait(60), f"{' '.join(case.argv)} never reached the server"
            proc.send_signal(signal.SIGTERM)
            world.gate.release.set()
            _out, err = proc.communicate(timeout=60)
        finally:
            world.gate.release.set()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == code, err
        assert "Traceback" not in err


def _call(argv: tuple[str, ...]) -> int:
    try:
        return main(list(argv))
    except SystemExit as done:  # argparse's usage errors
        return int(done.code or 0)
