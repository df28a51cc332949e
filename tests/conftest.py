"""Shared test set-up: tests/ on sys.path for the local web server and fixture helpers."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pg import pg_server, pg_url, private_pg_server  # noqa: E402, F401  (PostgreSQL fixtures, tests/pg.py)

# The language model's cache (repub.extract.langmodel) goes to a folder of this test run, not the user's
# ~/.cache: written once by the first test that detects a language, inherited by every command a test runs.
if not os.environ.get("REPUB_CACHE_DIR"):
    os.environ["REPUB_CACHE_DIR"] = tempfile.mkdtemp(prefix="repub-test-cache-")
    atexit.register(shutil.rmtree, os.environ["REPUB_CACHE_DIR"], True)

# CI runs the property tests derandomized so a run is repeatable; developers keep the random search.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database on the embedded default, then on PostgreSQL: the store's suites run on both,
    since the same models and migrations serve both (on PostgreSQL they skip saying why when no server
    binaries are installed; CI installs them)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'repub.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def web_world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The web app's database, built once by real imports, an ingest and a resync (tests/webworld.py);
    the fixture web keeps serving for the session."""
    from webworld import build_world

    with build_world(tmp_path_factory.mktemp("web-world")) as world:
        yield world
