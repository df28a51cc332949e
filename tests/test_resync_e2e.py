"""``repub resync`` end to end: a real local web server whose RT original changes between runs
(title corrected, paragraph added, taken down, moved), with and without ETag / Last-Modified, and
with ads, timestamps and tracking parameters that change on every request; real SQLite; the real CLI."""

from __future__ import annotations

import argparse
import gc
import hashlib
import itertools
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from fixturedata import fixture_hosts
from repub.cli import main
from repub.cli.common import settings_from
from repub.resync import Resyncer, ResyncReport
from repub.store import Store
from repub.store.history import resync_targets
from repub.store.runs import list_runs, run_lock
from webserver import FIXTURE_SITES, Response, TestWeb

CASE_URL = (
    "https://www.transcend.org/tms/2020/10/a-russia-china-military-alliance-would-be-a-bulwark-against-"
    "americas-global-imperialism-is-it-time-for-washington-to-panic/"
)
RT_URL = "https://www.rt.com/op-ed/504399-russia-china-military-alliance-washington/"
RT_MOVED_URL = "https://www.rt.com/op-ed/504399-russia-china-alliance-washington-worry/"
RT_PATH = "/www.rt.com/op-ed/504399-russia-china-military-alliance-washington/"
RT_MOVED_PATH = "/www.rt.com/op-ed/504399-russia-china-alliance-washington-worry/"
RT_HTML = (FIXTURE_SITES / RT_PATH.lstrip("/") / "index.html").read_text(encoding="utf-8")
OLD_TITLE_END = "Is It Time for Washington to Panic?"
NEW_TITLE_END = "Should Washington Be Worried?"
ADDED = "Update: the Kremlin later said no talks on a formal treaty are planned."
LAST_MOD = "Fri, 23 Oct 2020 09:15:00 GMT"


@dataclass
class Original:
    """What the RT server answers this run. Ads, a clock and a tracking parameter change every request."""

    title_end: str = OLD_TITLE_END
    added: bool = False
    mode: str = "ok"  # ok, gone, moved, broken
    etag: bool = False
    last_modified: bool = False
    counter: itertools.count = field(default_factory=itertools.count)
    conditional: list[dict[str, str | None]] = field(default_factory=list)
    conditional_moved: list[dict[str, str | None]] = field(default_factory=list)  # at RT_MOVED_URL

    def html(self) -> str:
        n = next(self.counter)
        html = RT_HTML.replace(OLD_TITLE_END, self.title_end)
        if self.added:
            share = "<p><strong>Think your friends"
            html = html.replace(share, f"<p>{ADDED}</p>{share}")
        # noise a real page has: a rotating ad and promo, a "generated at" clock, a tracking parameter
        html = html.replace(
            '<div class="layout__side">',
            f'<div class="layout__side"><div class="ad">Advert #{n}: buy now</div>'
            f'<div class="clock">Page generated 2024-05-0{n % 9 + 1}T10:{n % 60:02d}:00Z</div>',
        )
        promo = "/russia/504345-moscow-beijing-military-alliance/"
        html = html.replace(f'href="{promo}"', f'href="{promo}?utm_source=r{n}"')
        return html.replace("?u=https://www.rt.com/op-ed/", f"?utm_campaign=c{n}&u=https://www.rt.com/op-ed/")

    def validator(self) -> str:
        # the ETag follows the article, not the ads (a server that caches the article body)
        return '"' + hashlib.sha256(f"{self.title_end}|{self.added}".encode()).hexdigest()[:16] + '"'

    def answer(self, h: BaseHTTPRequestHandler) -> Response:
        inm, ims = h.headers.get("If-None-Match"), h.headers.get("If-Modified-Since")
        self.conditional.append({"if-none-match": inm, "if-modified-since": ims})
        if self.mode == "gone":
            return 410, {"Content-Type": "text/html"}, b"<html><body>Gone</body></html>"
        if self.mode == "broken":
            return 503, {"Content-Type": "text/html"}, b"<html><body>Try later</body></html>"
        if self.mode == "moved":
            return 301, {"Location": RT_MOVED_URL}, b""
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if self.etag:
            headers["ETag"] = self.validator()
            if inm == self.validator():
                return 304, headers, b""
        if self.last_modified:
            headers["Last-Modified"] = LAST_MOD
            if ims == LAST_MOD and not self.etag and self.title_end == OLD_TITLE_END:
                return 304, headers, b""
        return 200, headers, self.html().encode("utf-8")


@pytest.fixture
def web() -> Iterator[TestWeb]:
    with TestWeb() as server:
        yield server


@pytest.fixture
def rt(web: TestWeb) -> Original:
    state = Original()
    web.route(RT_PATH, state.answer)

    def moved(h: BaseHTTPRequestHandler) -> Response:
        # the same article at its new address, with the same content-based ETag: a server that
        # validates by content answers 304 to the old URL's validators
        inm, ims = h.headers.get("If-None-Match"), h.headers.get("If-Modified-Since")
        state.conditional_moved.append({"if-none-match": inm, "if-modified-since": ims})
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if state.etag:
            headers["ETag"] = state.validator()
            if inm == state.validator():
                return 304, headers, b""
        return 200, headers, state.html().replace(RT_URL, RT_MOVED_URL).encode()

    web.route(RT_MOVED_PATH, moved)
    return state


@pytest.fixture
def db(web: TestWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "repub.db"
    monkeypatch.setenv("REPUB_HOST_MAP", web.host_map(*fixture_hosts()))
    monkeypatch.setenv("REPUB_DB", str(path))
    monkeypatch.delenv("REPUB_DATABASE_URL", raising=False)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict], str]:
    code, out, err = run(capsys, *argv)
    return code, [json.loads(line) for line in out.splitlines() if line.startswith("{")], err


def imported(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "import", CASE_URL)
    assert code == 0, err


def test_title_corrected_and_paragraph_added_with_etag(
    db: Path, rt: Original, capsys: pytest.CaptureFixture[str]
) -> None:
    rt.etag = True
    imported(capsys)
    assert rt.conditional == [{"if-none-match": None, "if-modified-since": None}]

    # 1. nothing changed: the stored ETag goes back and the server answers 304
    code, [summary], err = run_json(capsys, "resync", "--json")
    assert code == 0, err
    assert summary["checked"] == 2 and summary["not_modified"] == 1 and summary["unchanged"] == 1
    assert summary["changed"] == 0 and summary["failed"] == 0
    assert rt.conditional[-1] == {"if-none-match": rt.validator(), "if-modified-since": None}
    assert [v.version for v in Store.open(f"sqlite:///{db}").versions(RT_URL)] == [1]

    # 2. the title is corrected: a new ETag, a new version, the copy diverges
    rt.title_end = NEW_TITLE_END
    code, [summary], err = run_json(capsys, "resync", "--json", "--originals-only")
    assert code == 0, err
    assert (summary["checked"], summary["changed"]) == (1, 1)

    # 3. a paragraph is added
    rt.added = True
    code, out, err = run(capsys, "resync", "--url", RT_URL)
    assert code == 0, err
    assert out.startswith(
        "resync: 1 checked, 1 changed, 0 unchanged (0 not modified), 0 moved, 0 gone, 0 failed"
    )

    code, [hist], _ = run_json(capsys, "history", RT_URL, "--json")
    assert code == 0
    assert [v["version"] for v in hist["versions"]] == [1, 2, 3]
    assert [v["changed"] for v in hist["versions"]] == [[], ["title"], ["body_text"]]
    assert hist["versions"][1]["title"].endswith(NEW_TITLE_END)
    assert hist["version"] == 3 and hist["status"] == "ok"

    code, [d], _ = run_json(capsys, "diff", RT_URL, "--from", "1", "--to", "2", "--json")
    assert code == 0
    assert [f["field"] for f in d["fields"]] == ["title"]
    ops = d["fields"][0]["ops"]
    assert ops == [
        ["=", "A Russia-China Military Alliance Would Be a Bulwark against America’s Global Imperialism. "],
        ["-", "Is It Time for"], ["+", "Should"], ["=", " Washington "], ["-", "to"], ["+", "Be"],
        ["=", " "], ["-", "Panic?"], ["+", "Worried?"],
    ]
    code, [d], _ = run_json(capsys, "diff", RT_URL, "--json")  # default: previous -> current
    assert (d["from"]["version"], d["to"]["version"]) == (2, 3)
    assert [op for op in d["fields"][0]["ops"] if op[0] != "="] == [["+", f"\n\n{ADDED}"]]
    code, out, _ = run(capsys, "diff", RT_URL, "--from", "1", "--to", "2")
    assert out.splitlines()[2] == (
        "title: A Russia-China Military Alliance Would Be a Bulwark against America’s Global Imperialism. "
        "[-Is It Time for-]{+Should+} Washington [-to-]{+Be+} [-Panic?-]{+Worried?+}"
    )

    # the copy no longer matches its original, since the title correction was first seen
    code, [copy], _ = run_json(capsys, "show", CASE_URL, "--json")
    assert copy["diverged_since"] == hist["versions"][1]["first_seen_at"]
    code, diverged, _ = run_json(capsys, "diverged", "--json")
    assert diverged == [{
        "copy_url": CASE_URL, "copy_title": copy["title"], "original_url": RT_URL,
        "original_title": hist["versions"][2]["title"], "diverged_since": copy["diverged_since"],
    }]
    code, [against], _ = run_json(capsys, "diff", CASE_URL, "--against-original", "--json")
    assert code == 0
    assert against["to"] == {"url": RT_URL, "version": 3}
    fields = {f["field"]: f for f in against["fields"]}
    assert fields["title"]["to"].endswith(NEW_TITLE_END)
    assert any(op == "+" and ADDED in text for op, text in fields["body_text"]["ops"])

    # which originals changed this week, and how
    code, changes, _ = run_json(capsys, "changes", "--since", "7d", "--originals-only", "--json")
    assert [(c["kind"], c["url"], c["version"]) for c in changes] == [
        ("changed", RT_URL, 2), ("changed", RT_URL, 3)
    ]
    code, changes, _ = run_json(capsys, "changes", "--since", "7d", "--json")
    assert [(c["kind"], c["url"]) for c in changes] == [
        ("changed", RT_URL), ("diverged", CASE_URL), ("changed", RT_URL)
    ]
    runs = list_runs(Store.open(f"sqlite:///{db}"))
    assert [(r.command, r.status, r.figures.updated, r.figures.unchanged) for r in runs[:3]] == [
        ("resync", "ok", 1, 0), ("resync", "ok", 1, 0), ("resync", "ok", 0, 2)
    ]


def test_rotating_ads_and_clock_make_no_version_without_validators(
    db: Path, rt: Original, capsys: pytest.CaptureFixture[str]
) -> None:
    imported(capsys)
    for _ in range(2):
        code, [summary], err = run_json(capsys, "resync", "--json")
        assert code == 0, err
        figures = (summary["checked"], summary["unchanged"], summary["not_modified"], summary["changed"])
        assert figures == (2, 2, 0, 0)
    assert rt.conditional[-1] == {"if-none-match": None, "if-modified-since": None}
    store = Store.open(f"sqlite:///{db}")
    assert [v.version for v in store.versions(RT_URL)] == [1]
    with sqlite3.connect(db) as conn:
        # every distinct page is kept (three fetches, three different ads) but makes no version
        count = "SELECT count(*) FROM raw_pages r JOIN articles a ON a.id = r.article_id WHERE a.url = ?"
        (pages,) = conn.execute(count, (RT_URL,)).fetchone()
        (copy_pages,) = conn.execute(count, (CASE_URL,)).fetchone()
    assert (pages, copy_pages) == (3, 1)
    assert store.get(CASE_URL).diverged_since is None


def test_last_modified_only_sends_if_modified_since(
    db: Path, rt: Original, capsys: pytest.CaptureFixture[str]
) -> None:
    rt.last_modified = True
    imported(capsys)
    before = Store.open(f"sqlite:///{db}").get(RT_URL)
    code, [summary], _ = run_json(capsys, "resync", "--json", "--url", RT_URL)
    assert (code, summary["not_modified"]) == (0, 1)
    assert rt.conditional[-1] == {"if-none-match": None, "if-modified-since": LAST_MOD}
    after = Store.open(f"sqlite:///{db}").get(RT_URL)
    assert after.version == before.version == 1
    assert after.last_checked_at >= before.last_checked_at
    assert after.http_status == 304


def test_taken_down_then_transient_error(db: Path, rt: Original, capsys: pytest.CaptureFixture[str]) -> None:
    imported(capsys)
    rt.mode = "broken"
    code, out, err = run(capsys, "resync", "--url", RT_URL)
    # a check that failed is told to cron by the exit code, and `repub runs` does not call it ok
    assert code == 1
    assert err == f"repub: {RT_URL}: HTTP 503 Service Unavailable\n"
    assert out.startswith(
        "resync: 1 checked, 0 changed, 0 unchanged (0 not modified), 0 moved, 0 gone, 1 failed")
    view = Store.open(f"sqlite:///{db}").get(RT_URL)
    assert (view.status, view.error, view.http_status) == ("ok", None, 200)  # only the fetch log knows
    [last] = [r for r in list_runs(Store.open(f"sqlite:///{db}"))[:1]]
    assert (last.command, last.status, last.figures.failed) == ("resync", "partial", 1)
    code, out, _ = run(capsys, "runs", "--limit", "1")
    assert code == 0 and out.split()[1:3] == ["resync", "partial"]

    rt.mode = "gone"
    code, [summary], err = run_json(capsys, "resync", "--json", "--url", RT_URL)
    assert (code, summary["gone"]) == (0, 1)
    store = Store.open(f"sqlite:///{db}")
    view = store.get(RT_URL)
    assert (view.status, view.http_status, view.version) == ("gone", 410, 1)
    assert view.title is not None and view.title.endswith(OLD_TITLE_END)  # content kept
    assert [e.status for e in store.fetch_log(RT_URL)][:2] == [410, 503]
    code, [hist], _ = run_json(capsys, "history", RT_URL, "--json")
    assert [(e["kind"], e["url"]) for e in hist["events"]] == [("gone", RT_URL)]
    code, changes, _ = run_json(capsys, "changes", "--originals-only", "--json")
    assert [(c["kind"], c["url"], c["detail"]) for c in changes] == [("gone", RT_URL, view.error)]

    rt.mode = "ok"  # back again: same content, no new version
    code, [summary], _ = run_json(capsys, "resync", "--json", "--url", RT_URL)
    assert (summary["unchanged"], summary["gone"]) == (1, 0)
    view = Store.open(f"sqlite:///{db}").get(RT_URL)
    assert (view.status, view.version) == ("ok", 1)
    code, [hist], _ = run_json(capsys, "history", RT_URL, "--json")
    assert [e["kind"] for e in hist["events"]] == ["gone", "back"]


def test_a_refused_connection_fails_the_check_and_the_run_says_so(
    db: Path, rt: Original, capsys: pytest.CaptureFixture[str]
) -> None:
    imported(capsys)
    # RT's server is gone from the network: nothing listens on port 9
    code, [summary], err = run_json(capsys, "resync", "--json", "--host-map", "www.rt.com=http://127.0.0.1:9")
    assert code == 1
    assert (summary["checked"], summary["failed"], summary["unchanged"]) == (2, 1, 1)
    assert err.startswith(f"repub: {RT_URL}: ") and err.count("\n") == 1
    [last] = list_runs(Store.open(f"sqlite:///{db}"))[:1]
    assert (last.status, last.figures.failed, last.figures.unchanged) == ("partial", 1, 1)
    # every check answered: 0, and the run is ok
    code, [summary], err = run_json(capsys, "resync", "--json")
    assert (code, summary["failed"]) == (0, 0), err
    assert list_runs(Store.open(f"sqlite:///{db}"))[0].status == "ok"


def test_moved_permanently_keeps_old_url_as_alias(
    db: Path, rt: Original, capsys: pytest.CaptureFixture[str]
) -> None:
    imported(capsys)
    rt.mode = "moved"
    code, [summary], err = run_json(capsys, "resync", "--json", "--url", RT_URL)
    assert (code, summary["moved"]) == (0, 1), err
    store = Store.open(f"sqlite:///{db}")
    by_old, by_new = store.get(RT_URL), store.get(RT_MOVED_URL)
    assert by_old is not None and by_new is not None
    assert (by_old.id, by_old.url) == (by_new.id, RT_MOVED_URL)
    assert by_old.version == 1  # same content at the new address
    assert store.get(CASE_URL).original["url"] == RT_MOVED_URL
    code, [hist], _ = run_json(capsys, "history", RT_URL, "--json")
    assert [(e["kind"], e["url"], e["detail"]) for e in hist["events"]] == [
        ("moved", RT_URL, f"{RT_URL} -> {RT_MOVED_URL}")
    ]


def test_moved_to_a_url_that_answers_304_to_the_old_validators_is_still_a_move(
    db: Path, rt: Original, capsys: pytest.CaptureFixture[str]
) -> None:
    rt.etag = True
    imported(capsys)
    rt.mode = "moved"
    code, [summary], err = run_json(capsys, "resync", "--json", "--url", RT_URL)
    assert (code, summary["moved"], summary["not_modified"], summary["failed"]) == (0, 1, 0, 0), err
    # validators belong to a URL: the old URL's went to the old URL only, never to the new one
    assert rt.conditional[-1] == {"if-none-match": rt.validator(), "if-modified-since": None}
    assert rt.conditional_moved == [{"if-none-match": None, "if-modified-since": None}]
    store = Store.open(f"sqlite:///{db}")
    view = store.get(RT_URL)
    assert view is not None and (view.url, view.version, view.http_status) == (RT_MOVED_URL, 1, 200)
    assert store.get(CASE_URL).original["url"] == RT_MOVED_URL

    # the next run asks the new URL with the new URL's validators: a 304, and no second move
    code, [summary], err = run_json(capsys, "resync", "--json", "--url", RT_URL)
    assert (code, summary["not_modified"], summary["moved"]) == (0, 1, 0), err
    assert rt.conditional_moved[-1] == {"if-none-match": rt.validator(), "if-modified-since": None}
    code, [hist], _ = run_json(capsys, "history", RT_MOVED_URL, "--json")
    assert [(e["kind"], e["url"], e["detail"]) for e in hist["events"]] == [
        ("moved", RT_URL, f"{RT_URL} -> {RT_MOVED_URL}")
    ]


def test_a_temporary_redirect_keeps_the_url_and_stores_no_validators_of_another_url(
    db: Path, rt: Original, web: TestWeb, capsys: pytest.CaptureFixture[str]
) -> None:
    rt.etag = True
    imported(capsys)
    web.route(RT_PATH, lambda h: (302, {"Location": RT_MOVED_URL}, b""))
    for _ in range(2):
        code, [summary], err = run_json(capsys, "resync", "--json", "--url", RT_URL)
        assert (code, summary["unchanged"], summary["moved"], summary["not_modified"]) == (0, 1, 0, 0), err
    # the ETag the temporary address gave is not the article's: never sent, to either URL
    assert rt.conditional_moved == [{"if-none-match": None, "if-modified-since": None}] * 2
    view = Store.open(f"sqlite:///{db}").get(RT_URL)
    assert view is not None and view.url == RT_URL
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT etag FROM articles WHERE url = ?", (RT_URL,)).fetchone() == (None,)


def test_redirect_to_an_article_already_stored_is_one_move_and_the_old_one_is_no_longer_due(
    db: Path, rt: Original, capsys: pytest.CaptureFixture[str]
) -> None:
    imported(capsys)  # the copy and its original at RT_URL
    code, _, err = run(capsys, "import", RT_MOVED_URL)  # the same article stored on its own
    assert code == 0, err
    store = Store.open(f"sqlite:///{db}")
    old_id, new_id = store.get(RT_URL).id, store.get(RT_MOVED_URL).id
    assert old_id != new_id
    rt.mode = "moved"

    code, [summary], err = run_json(capsys, "resync", "--json")
    assert (code, summary["checked"], summary["moved"], summary["failed"]) == (0, 3, 1, 0), err
    # Two stored articles turned out to be one: the old one keeps its versions and rests as "moved"
    # (pointing at the new one), its copies follow, and the move is recorded once on each.
    old, new = store.get(RT_URL), store.get(RT_MOVED_URL)
    assert (old.id, old.url, old.status, old.version) == (old_id, RT_URL, "moved", 1)
    assert old.error == f"moved permanently to {RT_MOVED_URL}"
    assert (new.id, new.status, new.version) == (new_id, "ok", 1)
    assert store.get(CASE_URL).original["url"] == RT_MOVED_URL
    moved = ("moved", RT_URL, f"{RT_URL} -> {RT_MOVED_URL}")
    for url in (RT_URL, RT_MOVED_URL):
        code, [hist], _ = run_json(capsys, "history", url, "--json")
        assert [(e["kind"], e["url"], e["detail"]) for e in hist["events"]] == [moved]
    checked = "SELECT last_checked_at FROM articles WHERE id = ?"
    with sqlite3.connect(db) as conn:
        (checked_at,) = conn.execute(checked, (old_id,)).fetchone()

    # later runs: the old article is not due any more; the copy and the new one are checked
    code, [summary], err = run_json(capsys, "resync", "--json")
    assert (code, summary["checked"], summary["moved"], summary["unchanged"]) == (0, 2, 0, 2), err
    # asked for by name it is checked again, and still nothing is recorded twice
    code, [summary], err = run_json(capsys, "resync", "--json", "--url", RT_URL)
    assert (code, summary["checked"], summary["moved"], summary["unchanged"]) == (0, 1, 0, 1), err
    old = store.get(RT_URL)
    assert (old.status, old.version) == ("moved", 1)
    with sqlite3.connect(db) as conn:
        assert conn.execute(checked, (old_id,)).fetchone()[0] > checked_at
    code, changes, _ = run_json(capsys, "changes", "--json")
    assert sorted((c["kind"], c["url"], c["detail"]) for c in changes) == [
        ("moved", RT_MOVED_URL, moved[2]), ("moved", RT_URL, moved[2])
    ]
    code, out, _ = run(capsys, "show", RT_URL)
    assert f"  moved to:   {RT_MOVED_URL}" in out.splitlines()


def test_diff_of_an_article_with_one_version_says_so(
    db: Path, rt: Original, capsys: pytest.CaptureFixture[str]
) -> None:
    imported(capsys)
    first_seen = Store.open(f"sqlite:///{db}").versions(RT_URL)[0].first_seen_at
    code, out, err = run(capsys, "diff", RT_URL)
    assert (code, err) == (0, "")
    assert out == f"{RT_URL} has one version so far (first seen {first_seen}): nothing to compare yet\n"
    code, [d], err = run_json(capsys, "diff", RT_URL, "--json")
    assert (code, err) == (0, "")
    assert d == {"url": RT_URL, "from": None, "to": {"version": 1, "first_seen_at": first_seen}, "fields": []}
    # a version asked for that does not exist is still a failure, said plainly
    code, out, err = run(capsys, "diff", RT_URL, "--from", "1", "--to", "3")
    assert (code, out) == (1, "")
    assert err == f"repub: {RT_URL} has version 1 only; there is no version 3\n"


def test_reextract_makes_a_version_only_when_fields_change(
    db: Path, rt: Original, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    imported(capsys)
    code, [summary], err = run_json(capsys, "reextract", "--json")
    assert (code, summary["pages"], summary["changed"], summary["failed"]) == (0, 2, 0, 0), err
    before = Store.open(f"sqlite:///{db}").get(RT_URL)

    # an "improved" RT rule: the same stored page now gives a different section
    import repub.resync.engine as engine

    real = engine.extract

    def improved(html: str, url: str):  # type: ignore[no-untyped-def]
        page = real(html, url)
        if "rt.com" in url:
            page.section = "Opinion"
        return page

    monkeypatch.setattr(engine, "extract", improved)
    rt.mode = "broken"  # proves no fetching: the server would fail every request
    hits = len(rt.conditional)
    code, out, err = run(capsys, "reextract", "--site", "rt.com")
    assert code == 0, err
    assert out.startswith("reextract: 1 pages, 1 changed, 0 failed")
    assert len(rt.conditional) == hits
    after = Store.open(f"sqlite:///{db}").get(RT_URL)
    assert (after.section, after.version) == ("Opinion", 2)
    # a re-extraction is not a check: fetch fields stay
    assert (after.last_checked_at, after.http_status) == (before.last_checked_at, 200)


def test_the_run_keeps_old_objects_out_of_full_collections_and_hands_them_back(
    web: TestWeb, db: Path, rt: Original, capsys: pytest.CaptureFixture[str]
) -> None:
    rt.etag = True
    imported(capsys)
    frozen_at_request: list[int] = []

    def answer(h: BaseHTTPRequestHandler) -> Response:
        frozen_at_request.append(gc.get_freeze_count())  # while the resync waits for this answer
        return rt.answer(h)

    web.route(RT_PATH, answer)
    code, [summary], err = run_json(capsys, "resync", "--json", "--originals-only")
    assert code == 0, err
    assert summary["not_modified"] == 1
    assert len(frozen_at_request) == 1 and frozen_at_request[0] > 10_000
    assert gc.get_freeze_count() == 0  # handed back to the collector when the command ends


def test_one_run_at_a_time(db: Path, rt: Original, capsys: pytest.CaptureFixture[str]) -> None:
    imported(capsys)
    store = Store.open(f"sqlite:///{db}")
    with run_lock(store):
        code, out, err = run(capsys, "resync")
    assert code == 4
    assert out == ""
    assert err.startswith("repub: another repub run is using ")


def test_interrupted_run_still_writes_the_checks_it_counted(
    db: Path, rt: Original, capsys: pytest.CaptureFixture[str]
) -> None:
    rt.etag = True
    imported(capsys)
    store = Store.open(f"sqlite:///{db}")
    before = store.get(RT_URL)
    assert before is not None and before.http_status == 200
    targets = [t for t in resync_targets(store) if t.url == RT_URL]
    report = ResyncReport()

    def stop(target: object, outcome: str) -> None:  # Ctrl-C / SIGTERM right after the 304
        raise KeyboardInterrupt

    # the 304's bookkeeping waits for a batch of 100: the interruption must write it all the same
    with pytest.raises(KeyboardInterrupt):
        Resyncer(store, settings_from(argparse.Namespace()), batch=100).run(
            targets, report=report, on_done=stop)
    assert report.not_modified == 1
    after = store.get(RT_URL)
    assert after is not None and after.http_status == 304
    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from fetch_log where status = 304").fetchone()[0] == 1


def test_concurrent_checks_in_small_batches(
    db: Path, rt: Original, capsys: pytest.CaptureFixture[str]
) -> None:
    rt.etag = True
    imported(capsys)
    code, [summary], err = run_json(capsys, "resync", "--json", "--concurrency", "2", "--per-host", "1")
    assert code == 0, err
    assert (summary["checked"], summary["not_modified"], summary["unchanged"]) == (2, 1, 1)
    [last] = [r for r in list_runs(Store.open(f"sqlite:///{db}")) if r.command == "resync"]
    assert last.options["concurrency"] == 2 and last.options["per_host"] == 1
    code, _, err = run(capsys, "resync", "--concurrency", "0")
    assert code == 2 and "--concurrency" in err
