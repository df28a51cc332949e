"""Expected failures print one readable line and no traceback (issue 15, item 7), run as a user runs
them: the installed ``repub`` script in a subprocess, real SQLite files, real HTTP to a local server."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fixturedata import fixture_hosts
from repub.cli import main
from webserver import TestWeb

REPUB = Path(sys.executable).with_name("repub")
ROOT = Path(__file__).resolve().parent.parent
CASE_URL = (
    "https://www.transcend.org/tms/2020/10/a-russia-china-military-alliance-would-be-a-bulwark-against-"
    "americas-global-imperialism-is-it-time-for-washington-to-panic/"
)
# a real page that begins <!DOCTYPE html SYSTEM "about:legacy-compat"> (source in its .json beside it)
LEGACY_DOCTYPE_PAGE = ROOT / "fixtures" / "real" / "deutschlandfunk-legacy-doctype.html.gz"
LEGACY_DOCTYPE_URL = ("https://www.deutschlandfunk.de/die-zukunft-der-arbeit-wir-dekorieren-auf-der-titanic-die"
                      ".911.de.html?dram:article_id=385022")


def repub(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(REPUB), *argv], env=env, capture_output=True, text=True)


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The one stderr line of an expected failure (asserted: one line, no traceback)."""
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("repub: "), proc.stderr
    return proc.stderr.rstrip("\n")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {**os.environ, "REPUB_DB": str(tmp_path / "repub.db")}
    values.pop("REPUB_DATABASE_URL", None)
    return values


def test_a_database_url_of_no_known_kind_is_a_configuration_error(env: dict[str, str]) -> None:
    proc = repub("list", env={**env, "REPUB_DATABASE_URL": "nonsense://x"})
    assert proc.returncode == 3
    assert one_line(proc) == "repub: cannot open database nonsense://x: no database driver for 'nonsense'"


def test_a_database_server_that_refuses_is_one_line(env: dict[str, str]) -> None:
    url = "postgresql+psycopg://repub@127.0.0.1:9/repub"
    proc = repub("list", env={**env, "REPUB_DATABASE_URL": url})
    assert proc.returncode == 3
    line = one_line(proc)
    assert line.startswith("repub: cannot create the tables of database postgresql+psycopg://repub@127.0.0.1:9/")
    assert "Connection refused" in line and "sqlalche.me" not in line


def test_downgrade_to_no_such_revision(env: dict[str, str]) -> None:
    assert repub("db", "upgrade", env=env).returncode == 0
    proc = repub("db", "downgrade", "nosuchrev", env=env)
    assert proc.returncode == 3
    assert one_line(proc) == ("repub: cannot downgrade the database to 'nosuchrev': no such revision "
                              "(known: base, 0001, 0002, 0003, 0004, 0005, 0006, 0007, 0008, 0009, 0010, "
                              "0011, 0012, 0013)")
    assert proc.stdout == ""


def test_a_log_file_in_a_missing_directory(env: dict[str, str], tmp_path: Path) -> None:
    proc = repub("ingest", "--sources", str(ROOT / "sources.toml"), "--log-file", "/no/such/dir/x.log",
                 env=env)
    assert proc.returncode == 3
    assert one_line(proc) == ("repub: cannot open the log file /no/such/dir/x.log: "
                              "No such file or directory")
    assert not (tmp_path / "repub.db").exists()  # refused before anything was done


@pytest.fixture(scope="module")
def web() -> TestWeb:
    with TestWeb() as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def stored(env: dict[str, str], web: TestWeb) -> dict[str, str]:
    """A copy and its original imported from the fixture web."""
    env = {**env, "REPUB_HOST_MAP": web.host_map(*fixture_hosts())}
    proc = repub("import", CASE_URL, env=env)
    assert proc.returncode == 0, proc.stderr
    return env


def test_ages_beyond_the_calendar_mean_everything_or_nothing(stored: dict[str, str]) -> None:
    # nothing was checked, changed or seen that long ago: nothing is older, everything is newer
    proc = repub("resync", "--older-than", "99999999d", "--json", env=stored)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["checked"] == 0
    proc = repub("prune", "--older-than", "99999999d", "--json", env=stored)
    assert (proc.returncode, json.loads(proc.stdout)["pages"]) == (0, 0), proc.stderr
    proc = repub("changes", "--since", "99999999d", env=stored)
    assert proc.returncode == 0
    assert proc.stdout == "" and proc.stderr == "0 change(s) since 0001-01-01T00:00:00+00:00\n"
    # and beyond what a duration can hold: a usage error, not a traceback
    proc = repub("changes", "--since", "99999999999999999999d", env=stored)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1] == (
        "repub changes: error: argument --since: too long: '99999999999999999999d'")


@pytest.mark.parametrize("argv", [["show", CASE_URL, "--json"], ["list", "--json"], ["list"],
                                  ["history", CASE_URL]])
def test_output_closed_early_ends_quietly(stored: dict[str, str], argv: list[str]) -> None:
    # `repub list --json | head -1`: the reader is gone before repub writes
    read, write = os.pipe()
    os.close(read)
    with os.fdopen(write, "w") as closed:
        proc = subprocess.run([str(REPUB), *argv], env=stored, stdout=closed, stderr=subprocess.PIPE,
                              text=True)
    assert (proc.returncode, proc.stderr) == (141, "")  # 128 + SIGPIPE, as `seq 1 9 | head -1` leaves it


def test_extract_a_real_page_with_a_legacy_compat_doctype(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(gzip.decompress(LEGACY_DOCTYPE_PAGE.read_bytes()))
    assert page.read_text(encoding="utf-8").startswith('<!DOCTYPE html SYSTEM "about:legacy-compat">')
    proc = repub("extract", str(page), "--url", LEGACY_DOCTYPE_URL, "--json")
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert record["title"] == "Die Zukunft der Arbeit - \"Wir dekorieren auf der Titanic die Liegestühle um\""
    # the benchmark's truth for this page (shared/bench/metadata/body.json): text a good body contains
    for snippet in ("Die Digitalisierung der Arbeitswelt werde Millionen Arbeitsplätze kosten, auch in "
                    "Deutschland.", "Das Problem ist dabei nicht das selbstfahrende",
                    "Also ich glaube, wenn man sich"):
        assert snippet in record["body_text"]


def test_import_stopped_by_sigterm_exits_130_like_ctrl_c(stored: dict[str, str], web: TestWeb) -> None:
    asked, answer = threading.Event(), threading.Event()

    def slow(_handler: object) -> tuple[int, dict[str, str], bytes]:
        asked.set()
        answer.wait(30)
        return 200, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body><p>late</p></body></html>"

    web.route("/www.example.org/slow/", slow)
    env = {**stored, "REPUB_HOST_MAP": f"{stored['REPUB_HOST_MAP']},{web.host_map('www.example.org')}"}
    proc = subprocess.Popen([str(REPUB), "import", "https://www.example.org/slow/"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert asked.wait(30), "the import never asked for the page"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        answer.set()
        if proc.poll() is None:
            proc.kill()
    assert (proc.returncode, out, err) == (130, "", "repub: interrupted\n")
    with sqlite3.connect(stored["REPUB_DB"]) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM articles WHERE url LIKE '%example.org%'").fetchone() == (0,)


def test_a_database_in_a_missing_directory_is_refused_unless_asked_for(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REPUB_DB", "REPUB_DATABASE_URL")}
    missing = tmp_path / "no" / "such" / "dir" / "repub.db"
    for argv, extra in ([["list", "--db", str(missing)], {}], [["runs"], {"REPUB_DB": str(missing)}]):
        proc = repub(*argv, env={**env, **extra})
        assert proc.returncode == 3
        assert one_line(proc) == (f"repub: no such directory for the database: {missing.parent} "
                                  "(--create-db-dir creates it)")
    assert not (tmp_path / "no").exists()
    proc = repub("list", "--db", str(missing), "--create-db-dir", env=env)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert missing.is_file()


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e9", "soon"])
@pytest.mark.parametrize("command", [["import", "https://www.rt.com/x/"], ["resync"], ["ingest"], ["worker"]])
def test_a_timeout_that_is_not_a_positive_number_of_seconds_is_refused(
    command: list[str], value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main([*command, "--timeout", value])
    assert done.value.code == 2
    why = "must be a number of seconds above 0 and at most 86400"
    if value == "soon":
        why = "not a number of seconds"
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"repub {command[0]}: error: argument --timeout: {why}: {value!r}")


def test_a_lease_that_is_not_a_positive_number_of_seconds_is_refused(
    capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["worker", "--lease", "0"])
    assert done.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "repub worker: error: argument --lease: must be a number of seconds above 0 and at most 86400: '0'")


@pytest.mark.parametrize("argv", [
    ["resync", "--limit"], ["resync", "--processes"], ["resync", "--concurrency"], ["runs", "--limit"],
    ["prune", "--keep"], ["ingest", "--max-new"], ["worker", "--max-items"],
])
def test_a_count_beyond_what_the_database_holds_is_a_usage_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # it went into SQL as is: "OverflowError: Python int too large to convert to SQLite INTEGER"
    with pytest.raises(SystemExit) as done:
        main([*argv, "99999999999999999999"])
    assert done.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"repub {argv[0]}: error: argument {argv[1]}: must be at most 1000000000: '99999999999999999999'")


def test_a_sigterm_hidden_by_a_librarys_failing_cleanup_is_still_an_interrupt(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """SIGTERM raises KeyboardInterrupt wherever the process is; inside anyio's cancel scopes (httpx)
    the scope's own exit then fails and hides it (seen: `repub import` killed mid-fetch printed a
    traceback). The command line still says "interrupted" and exits 130, and only after a SIGTERM."""
    import argparse

    import repub.cli.articles as articles

    def killed_mid_fetch(args: argparse.Namespace) -> int:
        try:
            os.kill(os.getpid(), signal.SIGTERM)  # the handler raises KeyboardInterrupt here
        except KeyboardInterrupt:
            # as anyio does: its own error, the interrupt only its implicit context
            raise RuntimeError("Attempted to exit cancel scope in a different task")  # noqa: B904
        return 0

    def failing(args: argparse.Namespace) -> int:
        raise RuntimeError("a bug, not an interrupt")

    monkeypatch.setenv("REPUB_DB", str(tmp_path / "repub.db"))
    monkeypatch.setattr(articles, "cmd_show", killed_mid_fetch)
    assert main(["show", "https://example.org/a"]) == 130
    assert capsys.readouterr().err == "repub: interrupted\n"
    monkeypatch.setattr(articles, "cmd_show", failing)  # no SIGTERM this time: the error is not hidden
    with pytest.raises(RuntimeError, match="a bug"):
        main(["show", "https://example.org/a"])


def test_a_warc_export_names_the_filters_it_cannot_take(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("REPUB_DB", str(tmp_path / "repub.db"))
    out = tmp_path / "out.warc.gz"
    assert main(["export", "--warc", str(out), "--from", "2020-01-01", "--kind", "copy"]) == 2
    assert capsys.readouterr().err == "repub: --warc selects by --site and --since only, not --kind, --from\n"
    assert not out.exists()


@pytest.mark.parametrize("argv", [
    [b"show", b"\xff"], [b"history", b"https://example.org/\xff"], [b"diff", b"\xff"], [b"copies", b"\xff"],
    [b"trace", b"\xff"], [b"list", b"--site", b"\xff"], [b"changes", b"--site", b"\xff"],
    [b"diverged", b"--site", b"\xff"], [b"search", b"nato\xff"], [b"search", b"x", b"--status", b"\xff"],
    [b"export", b"--format", b"csv", b"--site", b"\xff"],
    [b"export", b"--format", b"csv", b"--query", b"\xff"],
])
def test_an_argument_that_is_not_utf8_is_a_usage_error(env: dict[str, str], argv: list[bytes]) -> None:
    # undecodable bytes reach Python as lone surrogates, which SQLite cannot take: a UnicodeEncodeError
    # traceback (exit 1)
    proc = subprocess.run([str(REPUB).encode(), *argv], env=env, capture_output=True, text=True)
    assert proc.returncode == 2
    bad = next(a for a in argv if b"\xff" in a)
    assert one_line(proc) == f"repub: not UTF-8 text: {bad!r} (only file names may hold other bytes)"


def test_a_database_file_name_may_hold_any_bytes(env: dict[str, str], tmp_path: Path) -> None:
    db = os.fsencode(tmp_path) + b"/caf\xe9.db"
    proc = subprocess.run([os.fsencode(REPUB), b"list", b"--db", db], env=env, capture_output=True, text=True)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert os.path.exists(db)


@pytest.mark.parametrize("value", ["", ".", "/"])
@pytest.mark.parametrize("option", [["--format", "csv", "-o"], ["--warc"]])
def test_an_output_that_names_no_file_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], option: list[str],
    value: str
) -> None:
    # Path("").with_name("….part"): "ValueError: PosixPath('.') has an empty name", a traceback
    monkeypatch.setenv("REPUB_DB", str(tmp_path / "repub.db"))
    with pytest.raises(SystemExit) as done:
        main(["export", *option, value])
    assert done.value.code == 2
    flag = "-o/--output" if option[0] == "--format" else "--warc"
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"repub export: error: argument {flag}: not a file name: {value!r}")


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_since_outside_the_calendar_in_utc_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    # it went to SQL as given: exit 3, "database read failed: date value out of range" (with the
    # statement, for a WARC export)
    monkeypatch.setenv("REPUB_DB", str(tmp_path / "repub.db"))
    for argv in (["export", "--format", "csv"], ["export", "--warc", str(tmp_path / "out.warc")]):
        with pytest.raises(SystemExit) as done:
            main([*argv, "--since", value])
        assert done.value.code == 2
        assert capsys.readouterr().err.splitlines()[-1] == (
            f"repub export: error: argument --since: outside the calendar in UTC: {value!r}")
