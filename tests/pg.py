"""A throwaway PostgreSQL server for the test session, from Debian's postgresql binaries.

``pg_server`` (session fixture) runs initdb in a temporary directory and starts ``postgres`` on a
free port of 127.0.0.1 (socket in the same directory), fsync off; ``pg_url`` gives each test a fresh
database; ``private_pg_server`` is a server of one test's own, for a test that stops it. initdb
refuses to run as root, so as root the server runs as the ``postgres`` system user.
Without binaries (none on $PATH, none in /usr/lib/postgresql/*/bin) the tests skip saying so; CI
(.ci/run) installs them, so there they always run.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

NO_BINARIES = ("PostgreSQL tests skipped: no PostgreSQL server binaries found (pg_ctl not on PATH nor in "
               "/usr/lib/postgresql/*/bin); install Debian's postgresql package to run them")


def find_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found and Path(found).with_name("initdb").exists():
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PgServer:
    port: int
    user: str
    directory: Path
    bindir: Path | None = None
    options: str = ""

    def stop(self, mode: str = "fast") -> None:
        """Stop the server as an administrator would (``fast``: every session is terminated)."""
        assert self.bindir is not None
        data = str(self.directory / "data")
        done = subprocess.run(_as_server_user([str(self.bindir / "pg_ctl"), "-D", data, "-m", mode, "-w",
                                               "-t", "120", "stop"]), capture_output=True, text=True)
        if done.returncode != 0:  # what pg_ctl and the server said, to tell a slow stop from a dead server
            raise RuntimeError(f"pg_ctl stop -m {mode} failed ({done.returncode}): {done.stdout} "
                               f"{done.stderr}\nserver log:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        log = self.directory / "log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(none)"

    def start(self) -> None:
        assert self.bindir is not None
        subprocess.run(_as_server_user([str(self.bindir / "pg_ctl"), "-D", str(self.directory / "data"),
                                        "-l", str(self.directory / "log"), "-o", self.options, "-w",
                                        "-t", "60", "start"]), check=True, capture_output=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    with running_server(_bindir()) as server:
        yield server


@pytest.fixture
def private_pg_server() -> Iterator[PgServer]:
    """A server of the test's own, for a test that stops and starts it: the session's server, shared
    by every other test, is never taken down (a stop that failed there once left the tests after it
    without a server)."""
    with running_server(_bindir()) as server:
        yield server


def _bindir() -> Path:
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(NO_BINARIES)
    pytest.importorskip("psycopg", reason="PostgreSQL tests skipped: psycopg is not installed")
    return bindir


@contextmanager
def running_server(bindir: Path) -> Iterator[PgServer]:
    """Start a throwaway server from ``bindir``; stopped and removed on exit."""
    directory = Path(tempfile.mkdtemp(prefix="repub-pg-", dir="/tmp"))
    data = directory / "data"
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    user = "repub"
    port = _free_port()
    subprocess.run(_as_server_user([str(bindir / "initdb"), "-D", str(data), "-U", user, "-A", "trust",
                                    "--no-sync", "-E", "UTF8", "--locale=C"]),
                   check=True, capture_output=True)
    options = (f"-h 127.0.0.1 -p {port} -k {directory} -c fsync=off -c synchronous_commit=off "
               "-c full_page_writes=off -c max_connections=100")
    server = PgServer(port, user, directory, bindir, options)
    server.start()
    try:
        yield server
    finally:
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A fresh, empty database on the session's server."""
    return pg_server.create_database()
