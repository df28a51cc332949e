"""One-off import end to end: real HTTP from a local server, a real SQLite file, the real CLI."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixturedata import Fixture, all_fixtures, fixture_for, fixture_hosts
from repub.cli import main
from repub.reuse import compare
from webserver import TestWeb

CASE_URL = (
    "https://www.transcend.org/tms/2020/10/a-russia-china-military-alliance-would-be-a-bulwark-against-"
    "americas-global-imperialism-is-it-time-for-washington-to-panic/"
)
RT_URL = "https://www.rt.com/op-ed/504399-russia-china-military-alliance-washington/"
EXTRACTION_KEYS = (
    "url", "site", "title", "authors", "byline", "section", "published_at", "modified_at", "language",
    "lead_image", "tags", "body_text",
)


@pytest.fixture(scope="module")
def web() -> Iterator[TestWeb]:
    with TestWeb() as server:
        yield server


@pytest.fixture
def env(web: TestWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every fixture host served by the local server; a fresh database file per test."""
    db = tmp_path / "repub.db"
    # www.e-ir.info has no fixture pages: its articles answer 404 from the local server
    monkeypatch.setenv("REPUB_HOST_MAP", web.host_map(*fixture_hosts(), "www.e-ir.info"))
    monkeypatch.setenv("REPUB_DB", str(db))
    monkeypatch.delenv("REPUB_DATABASE_URL", raising=False)
    return db


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return code, lines, err


def assert_record(actual: dict, fixture: Fixture, keys: tuple[str, ...] = EXTRACTION_KEYS) -> None:
    for key in keys:
        assert actual[key] == fixture.expected[key], f"{fixture}: field {key}"


def test_import_tms_copy_and_rt_original(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, err = run(capsys, "import", CASE_URL, "--json")
    assert code == 0, err
    assert err == ""
    copy, original = lines
    tms, rt = fixture_for(CASE_URL), fixture_for(RT_URL)
    assert_record(copy, tms)
    assert_record(original, rt)
    measured = compare(copy["body_text"], original["body_text"])
    assert (measured.similarity, measured.coverage) == (1.0, 1.0)  # TMS carries RT's text whole
    # once fetched, the original's own date (with its time) is shown; the copy's printed date is kept too
    assert copy["original"] == {
        "url": RT_URL,
        "outlet": "RT",
        "published_at": rt.expected["published_at"],
        # the "Go to Original" link, and the byline's outlet agreeing with it
        "evidence": [
            {"kind": "go-to-original", "detail": {"url": RT_URL, "text": "Go to Original – rt.com"}},
            {"kind": "byline-credit", "detail": {"outlet": "RT", "text": tms.expected["byline"]}},
            # and its text is the original's (repub.reuse, measured on the two stored bodies)
            {"kind": "text-match", "detail": {"url": RT_URL, "similarity": measured.similarity,
                                              "coverage": measured.coverage}},
        ],
        "confidence": 1.0,  # the whole text matching: text-match's strength is similarity x coverage
        "title": rt.expected["title"],
        "status": "ok",
        "error": None,
    }
    assert copy["republications"] == []
    assert original["original"] is None
    assert original["republications"] == [
        {"url": CASE_URL, "site": "transcend.org", "published_at": "2020-10-26"}
    ]
    assert copy["status"] == original["status"] == "ok"
    for row in (copy, original):
        assert row["first_seen_at"].endswith("Z") and row["last_checked_at"].endswith("Z")


def test_reimport_never_duplicates(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "import", CASE_URL)[0] == 0
    # the same article reached through a tracking-laden URL with a fragment
    assert run(capsys, "import", CASE_URL + "?utm_source=feed&utm_medium=rss#comments")[0] == 0
    with sqlite3.connect(env) as conn:
        urls = [row[0] for row in conn.execute("SELECT url FROM articles ORDER BY url")]
        versions = conn.execute("SELECT COUNT(*) FROM article_versions").fetchone()[0]
        fetches = conn.execute("SELECT COUNT(*) FROM fetch_log").fetchone()[0]
    assert urls == sorted([CASE_URL, RT_URL])
    assert versions == 2  # one per article: identical content makes no new version
    assert fetches == 4  # every fetch is logged


@pytest.mark.parametrize(
    ("e_ir_base", "status", "kind", "needle"),
    [(None, 404, "http", "HTTP 404"), ("http://127.0.0.1:9", None, "connect", "connection refused")],
    ids=["404", "refused"],
)
def test_unfetchable_original_is_stored_with_its_failure(
    env: Path,
    capsys: pytest.CaptureFixture[str],
    e_ir_base: str | None,
    status: int | None,
    kind: str,
    needle: str,
) -> None:
    missing = [
        f for f in all_fixtures()
        if f.expected["site"] == "transcend.org"
        and "e-ir.info" in ((f.expected["original"] or {}).get("url") or "")
    ]
    assert missing, "the fixture whose original is not served (e-ir.info) is missing"
    fixture = missing[0]
    extra = ["--host-map", f"www.e-ir.info={e_ir_base}"] if e_ir_base else []
    code, lines, err = run(capsys, "import", fixture.url, "--json", *extra)
    assert code == 0
    assert err.startswith("repub: original not fetched: https://www.e-ir.info/") and needle in err, err
    copy, original = lines
    assert_record(copy, fixture)
    assert copy["original"]["status"] == "failed"
    assert copy["original"]["url"] == fixture.expected["original"]["url"]
    assert copy["original"]["outlet"] == fixture.expected["original"]["outlet"]
    assert original["status"] == "failed"
    assert original["url"] == fixture.expected["original"]["url"]
    assert original["body_text"] in ("", None)
    assert needle in original["error"] and copy["original"]["error"] == original["error"]
    with sqlite3.connect(env) as conn:
        logged = conn.execute(
            "SELECT status, error_kind FROM fetch_log WHERE url = ?", (original["url"],)
        ).fetchall()
    assert logged == [(status, kind)]


def test_no_follow_original_keeps_the_link(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = run(capsys, "import", CASE_URL, "--json", "--no-follow-original")
    assert code == 0
    copy = lines[0]
    assert copy["original"]["url"] == RT_URL
    assert copy["original"]["status"] == "pending"
    with sqlite3.connect(env) as conn:
        fetched = [row[0] for row in conn.execute("SELECT url FROM fetch_log")]
    assert fetched == [CASE_URL]


def test_show_and_list(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "import", CASE_URL)[0] == 0
    code, lines, _ = run(capsys, "show", CASE_URL, "--json")
    assert code == 0 and lines[0]["url"] == CASE_URL
    code, lines, _ = run(capsys, "list", "--json")
    assert code == 0
    assert sorted(line["url"] for line in lines) == sorted([CASE_URL, RT_URL])
    assert main(["show", CASE_URL]) == 0
    text = capsys.readouterr().out
    assert "Tom Fowdy | RT - TRANSCEND Media Service" in text
    assert f"original:   {RT_URL} (RT, 2020-10-23T09:15:00Z)" in text
    # why it is taken for a copy, and how sure: each item of the evidence on a line of its own
    assert (f"              confidence: 1.00\n"
            f"              evidence: go-to-original: \"Go to Original – rt.com\" ({RT_URL})\n"
            f"              evidence: byline-credit: \"Tom Fowdy | RT - TRANSCEND Media Service\" (RT)\n"
            f"              evidence: text-match: ({RT_URL}, similarity 1.0, coverage 1.0)\n"
            ) in text
    assert run(capsys, "show", "https://www.transcend.org/tms/nope/")[0] == 1


@pytest.mark.parametrize("fixture", all_fixtures(), ids=str)
def test_extract_saved_page_matches_expected(fixture: Fixture, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = run(capsys, "extract", str(fixture.page), "--url", fixture.url, "--json")
    assert code == 0
    actual = lines[0]
    assert_record(actual, fixture)
    expected_original = fixture.expected["original"]
    if expected_original is None:
        assert actual["original"] is None
    else:
        assert {k: actual["original"][k] for k in ("url", "outlet", "published_at")} == expected_original


def test_expected_failures_are_one_line(env: Path, web: TestWeb, tmp_path: Path) -> None:
    """Run the installed console script: bad input gives one stderr line and a non-zero exit."""
    pdf = (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4")
    web.route("/www.example.org/report.pdf", lambda handler: pdf)
    environ = dict(os.environ)
    environ["REPUB_HOST_MAP"] += (
        f",www.example.org={web.base}/www.example.org,dead.example.net=http://127.0.0.1:9"
    )
    repub = Path(sys.executable).with_name("repub")
    cases = {
        "https://www.example.org/report.pdf": "not HTML: application/pdf",
        "https://dead.example.net/story/": "dead.example.net",
        "notaurl": "notaurl",
        "ftp://www.example.org/x": "ftp://www.example.org/x",
    }
    for url, needle in cases.items():
        proc = subprocess.run([str(repub), "import", url], env=environ, capture_output=True, text=True)
        assert proc.returncode == 1, (url, proc.stderr)
        assert proc.stdout == ""
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert needle in proc.stderr


def test_db_upgrade_and_downgrade(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    with sqlite3.connect(env) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"articles", "article_versions", "url_aliases", "fetch_log"} <= tables
    assert main(["db", "downgrade", "base"]) == 0
    with sqlite3.connect(env) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables & {"articles", "article_versions", "url_aliases", "fetch_log"} == set()
    capsys.readouterr()
