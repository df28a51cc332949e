"""repub.store against a real SQLite file: saving, versions, aliases, originals, fetch log, locking."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from repub.errors import ConfigError, StoreError
from repub.evidence import Evidence
from repub.normalize.types import OriginalLink, Record
from repub.store import FetchLogEntry, Store, content_hash, resolve_database_url

COPY_URL = "https://www.transcend.org/tms/2020/10/china-and-russia/"
ORIG_URL = "https://www.rt.com/op-ed/504321-china-russia-alliance/"
T1 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
T2 = datetime(2024, 3, 2, 8, 30, 0, tzinfo=UTC)
T3 = datetime(2024, 3, 3, 9, 0, 0, tzinfo=UTC)
# What copy_record() says of its original's provenance, as the view shows it
PRINTED = {"evidence": [{"kind": "byline-credit", "detail": {"outlet": "RT"}}], "confidence": 0.7}


def copy_record(**changes: object) -> Record:
    record = Record(
        url=COPY_URL,
        site="transcend.org",
        extractor="transcend",
        title="China and Russia Are Not Allies",
        authors=["Tom Fowdy"],
        byline="Tom Fowdy | RT - TRANSCEND Media Service",
        section="MILITARISM",
        published_at="2020-10-26",
        modified_at=None,
        language="en",
        canonical_url=COPY_URL,
        lead_image_url="https://www.transcend.org/tms/wp-content/uploads/2020/10/x.jpg",
        lead_image_caption="Presidents at a summit",
        lead_image_credit="Sputnik / Ramil Sitdikov",
        tags=["Russia", "China"],
        body_text="para one\n\npara two",
        original=OriginalLink(url=ORIG_URL, outlet="RT", published_at="2020-10-23",
                              evidence=[Evidence("byline-credit", {"outlet": "RT"})], confidence=0.7),
    )
    return replace(record, **changes)  # type: ignore[arg-type]


def original_record(**changes: object) -> Record:
    record = Record(
        url=ORIG_URL, site="rt.com", extractor="rt", title="China and Russia: not allies",
        authors=["Tom Fowdy"], published_at="2020-10-23T05:47:00Z", language="en",
        body_text="para one\n\npara two",
    )
    return replace(record, **changes)  # type: ignore[arg-type]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'repub.db'}"


@pytest.fixture
def store(any_db_url: str) -> Store:
    with Store.open(any_db_url) as s:
        yield s  # type: ignore[misc]


def test_resolve_database_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("REPUB_DATABASE_URL", raising=False)
    monkeypatch.delenv("REPUB_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    assert resolve_database_url() == f"sqlite:///{tmp_path / 'repub.db'}"
    monkeypatch.setenv("REPUB_DB", "/data/x.db")
    assert resolve_database_url() == "sqlite:////data/x.db"
    monkeypatch.setenv("REPUB_DATABASE_URL", "postgresql://u@h/repub")
    assert resolve_database_url() == "postgresql://u@h/repub"
    assert resolve_database_url("/tmp/cli.db") == "sqlite:////tmp/cli.db"
    assert resolve_database_url("sub/cli.db") == f"sqlite:///{tmp_path / 'sub' / 'cli.db'}"
    monkeypatch.setenv("REPUB_DATABASE_URL", "not a url")
    with pytest.raises(ConfigError):
        resolve_database_url()


def test_sqlite_pragmas(db_url: str, tmp_path: Path) -> None:
    with Store.open(db_url) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    # WAL is persistent: a plain sqlite3 connection sees it too.
    with sqlite3.connect(tmp_path / "repub.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_save_then_get_field_by_field(store: Store) -> None:
    result = store.save_article(
        copy_record(), fetched_at=T1, aliases=["https://transcend.org/tms/?p=158000"],
        http_status=200, etag='"abc"', last_modified="Mon, 26 Oct 2020 10:00:00 GMT",
    )
    assert result.created is True
    assert result.changed is True
    assert result.version == 1

    view = store.get(COPY_URL)
    assert view is not None
    assert view.id == result.article_id
    assert view.url == COPY_URL
    assert view.site == "transcend.org"
    assert view.outlet is None
    assert view.extractor == "transcend"
    assert view.title == "China and Russia Are Not Allies"
    assert view.authors == ["Tom Fowdy"]
    assert view.byline == "Tom Fowdy | RT - TRANSCEND Media Service"
    assert view.section == "MILITARISM"
    assert view.published_at == "2020-10-26"
    assert view.modified_at is None
    assert view.language == "en"
    assert view.canonical_url == COPY_URL
    assert view.lead_image == {
        "url": "https://www.transcend.org/tms/wp-content/uploads/2020/10/x.jpg",
        "caption": "Presidents at a summit",
        "credit": "Sputnik / Ramil Sitdikov",
    }
    assert view.tags == ["Russia", "China"]
    assert view.body_text == "para one\n\npara two"
    assert view.original == {
        "url": ORIG_URL, "outlet": "RT", "published_at": "2020-10-23",
        "evidence": [{"kind": "byline-credit", "detail": {"outlet": "RT"}}], "confidence": 0.7,
        "title": None, "status": "unknown", "error": None,
    }
    assert view.republications == []
    assert view.status == "ok"
    assert view.error is None
    assert view.http_status == 200
    assert view.first_seen_at == "2024-03-01T12:00:00Z"
    assert view.last_checked_at == "2024-03-01T12:00:00Z"
    assert view.diverged_since is None
    assert view.version == 1
    assert list(view.to_json()) == [
        "id", "url", "site", "extractor", "title", "authors", "credits", "org_authors", "byline", "section",
        "published_at", "modified_at", "language", "canonical_url", "lead_image", "tags", "body_text",
        "original", "outlet", "republications", "status", "error", "http_status", "first_seen_at",
        "last_checked_at", "diverged_since", "version",
    ]
    assert view.to_json()["lead_image"]["credit"] == "Sputnik / Ramil Sitdikov"


def test_lead_image_none_when_all_parts_missing(store: Store) -> None:
    store.save_article(
        copy_record(lead_image_url=None, lead_image_caption=None, lead_image_credit=None, original=None),
        fetched_at=T1,
    )
    view = store.get(COPY_URL)
    assert view is not None
    assert view.lead_image is None
    assert view.original is None


def test_resave_identical_bumps_last_seen_only(store: Store) -> None:
    first = store.save_article(copy_record(), fetched_at=T1)
    second = store.save_article(copy_record(), fetched_at=T2, http_status=304)
    assert second.article_id == first.article_id
    assert (second.created, second.changed, second.version) == (False, False, 1)

    versions = store.versions(COPY_URL)
    assert len(versions) == 1
    assert versions[0].version == 1
    assert versions[0].first_seen_at == "2024-03-01T12:00:00Z"
    assert versions[0].last_seen_at == "2024-03-02T08:30:00Z"
    assert versions[0].content_hash == content_hash(copy_record().content())
    view = store.get(COPY_URL)
    assert view is not None
    assert view.last_checked_at == "2024-03-02T08:30:00Z"
    assert view.http_status == 304
    assert len(store.list_articles()) == 1


def test_resave_changed_body_keeps_both_versions(store: Store) -> None:
    store.save_article(copy_record(), fetched_at=T1)
    result = store.save_article(copy_record(body_text="para one\n\npara two, corrected"), fetched_at=T2)
    assert (result.created, result.changed, result.version) == (False, True, 2)

    versions = store.versions(COPY_URL)
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].content["body_text"] == "para one\n\npara two"
    assert versions[1].content["body_text"] == "para one\n\npara two, corrected"
    assert versions[0].content == copy_record().content()
    assert versions[1].first_seen_at == "2024-03-02T08:30:00Z"
    assert versions[0].content_hash != versions[1].content_hash
    view = store.get(COPY_URL)
    assert view is not None
    assert view.body_text == "para one\n\npara two, corrected"
    assert view.version == 2
    assert view.first_seen_at == "2024-03-01T12:00:00Z"

    # Going back to the first text is a change too: a third version, nothing overwritten.
    third = store.save_article(copy_record(), fetched_at=T3)
    assert (third.changed, third.version) == (True, 3)
    assert [v.content["body_text"] for v in store.versions(COPY_URL)] == [
        "para one\n\npara two", "para one\n\npara two, corrected", "para one\n\npara two",
    ]


def test_aliases_find_the_article(store: Store) -> None:
    requested = "http://transcend.org/tms/?p=158000"
    final = "https://www.transcend.org/tms/2020/10/china-and-russia/?amp"
    saved = store.save_article(copy_record(), fetched_at=T1, aliases=[requested, final])
    for url in (COPY_URL, requested, final):
        view = store.get(url)
        assert view is not None and view.id == saved.article_id
    assert store.get("https://www.transcend.org/other/") is None
    assert [v.version for v in store.versions(requested)] == [1]

    # Re-importing through an alias updates the same row; no duplicate.
    again = store.save_article(copy_record(title="New title"), fetched_at=T2, aliases=[requested])
    assert again.article_id == saved.article_id
    assert again.created is False
    assert [a.url for a in store.list_articles()] == [COPY_URL]


def test_copy_before_original_links_on_save_of_original(store: Store) -> None:
    copy = store.save_article(copy_record(), fetched_at=T1)
    original = store.save_article(original_record(), fetched_at=T2)

    copy_view = store.get(COPY_URL)
    assert copy_view is not None
    assert copy_view.original == {
        **PRINTED, "url": ORIG_URL, "outlet": "RT", "published_at": "2020-10-23T05:47:00Z",
        "title": "China and Russia: not allies", "status": "ok", "error": None,
    }
    orig_view = store.get(ORIG_URL)
    assert orig_view is not None
    assert orig_view.id == original.article_id != copy.article_id
    assert orig_view.outlet == "RT"  # learned from the copy's byline
    assert orig_view.republications == [
        {"url": COPY_URL, "site": "transcend.org", "published_at": "2020-10-26"}
    ]
    assert orig_view.original is None


def test_copies_are_ordered_by_instant_whatever_their_offsets(store: Store) -> None:
    """published_at keeps each page's offset; as text "2020-10-24T01:00:00Z" sorts before
    "2020-10-24T20:00:00-08:00", whose instant (2020-10-25T04:00Z) is later still; undated copies last."""
    store.save_article(original_record(), fetched_at=T1)
    dates = {
        "https://a.example.org/late": "2020-10-24T20:00:00-08:00",  # 2020-10-25T04:00Z
        "https://b.example.org/undated": None,
        "https://c.example.org/day": "2020-10-25",  # midnight UTC: before the late one
        "https://d.example.org/early": "2020-10-24T01:00:00Z",
        "https://e.example.org/east": "2020-10-24T09:00:00+09:00",  # 2020-10-24T00:00Z
    }
    for url, published_at in dates.items():
        store.save_article(copy_record(url=url, canonical_url=url, published_at=published_at), fetched_at=T2)
    view = store.get(ORIG_URL)
    assert view is not None
    assert [r["url"] for r in view.republications] == [
        "https://e.example.org/east", "https://d.example.org/early", "https://c.example.org/day",
        "https://a.example.org/late", "https://b.example.org/undated",
    ]
    assert view.republications[3]["published_at"] == "2020-10-24T20:00:00-08:00"


def test_save_with_outlet(store: Store) -> None:
    store.save_article(original_record(), fetched_at=T1, outlet="RT")
    store.save_article(original_record(), fetched_at=T2)  # no outlet given: the stored one stays
    view = store.get(ORIG_URL)
    assert view is not None and view.outlet == "RT"


def test_copy_after_original_links_at_once(store: Store) -> None:
    original = store.save_article(original_record(), fetched_at=T1)
    store.save_article(copy_record(), fetched_at=T2)
    copy_view = store.get(COPY_URL)
    assert copy_view is not None and copy_view.original is not None
    assert copy_view.original["status"] == "ok"
    orig_view = store.get(ORIG_URL)
    assert orig_view is not None and orig_view.id == original.article_id
    assert [r["url"] for r in orig_view.republications] == [COPY_URL]


def test_ensure_original_stub_links_and_is_filled_by_save(store: Store) -> None:
    store.save_article(copy_record(), fetched_at=T1)
    stub_id = store.ensure_original(ORIG_URL, "RT", "2020-10-23")
    assert store.ensure_original(ORIG_URL, "Other", None) == stub_id  # existing row returned as is

    stub = store.get(ORIG_URL)
    assert stub is not None
    assert (stub.status, stub.version, stub.outlet, stub.site) == ("pending", 0, "RT", "rt.com")
    assert stub.published_at == "2020-10-23"
    assert store.versions(ORIG_URL) == []
    copy_view = store.get(COPY_URL)
    assert copy_view is not None
    assert copy_view.original == {
        **PRINTED, "url": ORIG_URL, "outlet": "RT", "published_at": "2020-10-23", "title": None,
        "status": "pending", "error": None,
    }

    # The fetched original fills the stub's row: same id, version 1, copy still linked.
    saved = store.save_article(original_record(), fetched_at=T2)
    assert (saved.article_id, saved.created, saved.changed, saved.version) == (stub_id, False, True, 1)
    copy_view = store.get(COPY_URL)
    assert copy_view is not None and copy_view.original is not None
    assert copy_view.original["status"] == "ok"
    assert copy_view.original["title"] == "China and Russia: not allies"


def test_stub_reached_through_redirect_is_merged(store: Store) -> None:
    printed = "http://rt.com/op-ed/504321/"  # the URL as printed on the copy; redirects to ORIG_URL
    store.save_article(copy_record(original=OriginalLink(printed, "RT", "2020-10-23")), fetched_at=T1)
    stub_id = store.ensure_original(printed, "RT", "2020-10-23")
    saved = store.save_article(original_record(), fetched_at=T2, aliases=[printed])
    assert saved.article_id == stub_id
    view = store.get(printed)
    assert view is not None and view.url == ORIG_URL
    assert [r["url"] for r in view.republications] == [COPY_URL]
    assert len(store.list_articles()) == 2


def test_failed_stub_original_shows_in_copy(store: Store) -> None:
    store.save_article(copy_record(), fetched_at=T1)
    store.ensure_original(ORIG_URL, "RT", "2020-10-23")
    store.mark_failed(ORIG_URL, "http 403: Forbidden", http_status=403, checked_at=T2)

    stub = store.get(ORIG_URL)
    assert stub is not None
    assert (stub.status, stub.error, stub.http_status) == ("failed", "http 403: Forbidden", 403)
    assert stub.last_checked_at == "2024-03-02T08:30:00Z"
    copy_view = store.get(COPY_URL)
    assert copy_view is not None
    assert copy_view.original == {
        **PRINTED, "url": ORIG_URL, "outlet": "RT", "published_at": "2020-10-23", "title": None,
        "status": "failed", "error": "http 403: Forbidden",
    }


def test_mark_failed_keeps_content(store: Store) -> None:
    store.save_article(copy_record(), fetched_at=T1)
    store.mark_failed(COPY_URL, "timeout", http_status=None, checked_at=T2)
    view = store.get(COPY_URL)
    assert view is not None
    assert (view.status, view.error, view.version) == ("ok", "timeout", 1)
    assert view.body_text == "para one\n\npara two"
    assert view.last_checked_at == "2024-03-02T08:30:00Z"
    # A later successful fetch clears the error.
    store.save_article(copy_record(), fetched_at=T3)
    view = store.get(COPY_URL)
    assert view is not None and view.error is None


def test_mark_failed_unknown_url_makes_failed_row(store: Store) -> None:
    store.mark_failed("https://www.rt.com/gone/", "http 404", http_status=404, checked_at=T1)
    view = store.get("https://www.rt.com/gone/")
    assert view is not None
    assert (view.status, view.error, view.http_status, view.version) == ("failed", "http 404", 404, 0)
    assert view.first_seen_at == "2024-03-01T12:00:00Z"


def test_link_original(store: Store) -> None:
    store.save_article(copy_record(original=None), fetched_at=T1)
    store.save_article(original_record(), fetched_at=T1)
    store.link_original(COPY_URL, ORIG_URL)
    copy_view = store.get(COPY_URL)
    assert copy_view is not None and copy_view.original is not None
    assert copy_view.original["url"] == ORIG_URL
    assert copy_view.original["status"] == "ok"
    with pytest.raises(StoreError):
        store.link_original("https://nowhere.example/", ORIG_URL)
    with pytest.raises(StoreError):
        store.link_original(ORIG_URL, ORIG_URL)


def test_link_original_makes_the_stub_from_what_the_copy_printed(store: Store) -> None:
    store.save_article(copy_record(), fetched_at=T1)
    store.link_original(COPY_URL, ORIG_URL)  # no ensure_original first: one transaction suffices
    stub = store.get(ORIG_URL)
    assert stub is not None
    assert (stub.status, stub.outlet, stub.published_at, stub.version) == ("pending", "RT", "2020-10-23", 0)
    copy_view = store.get(COPY_URL)
    assert copy_view is not None and copy_view.original is not None
    assert (copy_view.original["url"], copy_view.original["status"]) == (ORIG_URL, "pending")


def test_list_articles_by_site(store: Store) -> None:
    store.save_article(copy_record(), fetched_at=T1)
    store.save_article(original_record(), fetched_at=T1)
    assert [a.url for a in store.list_articles()] == [COPY_URL, ORIG_URL]
    assert [a.url for a in store.list_articles(site="rt.com")] == [ORIG_URL]
    assert store.list_articles(site="example.org") == []


def test_fetch_log_round_trip(store: Store) -> None:
    ok = FetchLogEntry(
        url=ORIG_URL, fetched_at=T1, final_url=ORIG_URL, status=200, nbytes=51234, elapsed_ms=412,
    )
    failed = FetchLogEntry(
        url="http://rt.com/x", fetched_at=T2, final_url=ORIG_URL, status=403, nbytes=120,
        elapsed_ms=88, error_kind="http", error="http 403", run_id=7,
    )
    other = FetchLogEntry(url=COPY_URL, fetched_at=T3, status=None, error_kind="timeout", error="timed out")
    for entry in (ok, failed, other):
        store.log_fetch(entry)

    rows = store.fetch_log(ORIG_URL)  # matches the requested or the final URL, newest first
    assert [r.url for r in rows] == ["http://rt.com/x", ORIG_URL]
    assert rows[0] == replace(failed, id=rows[0].id)
    assert rows[1] == replace(ok, id=rows[1].id)
    assert rows[0].fetched_at == T2 and rows[0].fetched_at.tzinfo is not None
    assert [r.url for r in store.fetch_log()] == [COPY_URL, "http://rt.com/x", ORIG_URL]
    assert [r.url for r in store.fetch_log(limit=1)] == [COPY_URL]


def test_times_are_stored_in_utc(store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    store.save_article(copy_record(), fetched_at=datetime(2024, 3, 1, 13, 0, tzinfo=paris))
    view = store.get(COPY_URL)
    assert view is not None and view.first_seen_at == "2024-03-01T12:00:00Z"
    with pytest.raises(ValueError):
        store.save_article(copy_record(), fetched_at=datetime(2024, 3, 1, 12, 0))


def test_two_stores_write_alternately(any_db_url: str) -> None:
    with Store.open(any_db_url) as a, Store.open(any_db_url) as b:
        for i in range(5):
            a.save_article(copy_record(body_text=f"text {i}"), fetched_at=T1 + timedelta(hours=i))
            b.save_article(original_record(body_text=f"text {i}"), fetched_at=T1 + timedelta(hours=i))
            b.log_fetch(FetchLogEntry(url=COPY_URL, fetched_at=T1))
            a.mark_failed(ORIG_URL, "timeout", http_status=None, checked_at=T2)
        assert [v.version for v in b.versions(COPY_URL)] == [1, 2, 3, 4, 5]
        assert [v.version for v in a.versions(ORIG_URL)] == [1, 2, 3, 4, 5]
        assert len(a.fetch_log(COPY_URL)) == 5
        copy_view = b.get(COPY_URL)
        assert copy_view is not None and copy_view.original is not None
        assert copy_view.original["error"] == "timeout"


def test_two_stores_write_concurrently(any_db_url: str) -> None:
    # SQLite: writers take the lock with BEGIN IMMEDIATE and wait (busy_timeout) instead of failing.
    db_url = any_db_url
    errors: list[BaseException] = []

    def work(prefix: str) -> None:
        try:
            with Store.open(db_url) as store:
                for i in range(15):
                    url = f"https://{prefix}.example/{i}/"
                    store.save_article(original_record(url=url, site=prefix), fetched_at=T1)
                    store.log_fetch(FetchLogEntry(url=url, fetched_at=T1, status=200))
        except BaseException as exc:  # collected: pytest would not see a thread's exception
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(p,)) for p in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Store.open(db_url) as store:
        assert len(store.list_articles()) == 45
        assert len(store.list_articles(site="b")) == 15
        assert len(store.fetch_log(limit=1000)) == 45


def test_a_database_error_is_one_line_of_the_databases_own_words(any_db_url: str) -> None:
    """SQLAlchemy's text of an error quotes the statement and its parameters (the article's whole body
    on a failed save) over several lines: the store's errors keep the driver's message only."""
    with Store.open(any_db_url) as store, store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE url_aliases")
    body = "A secret body that no error message may quote."
    with Store.open(any_db_url) as store:
        with pytest.raises(StoreError) as read:
            store.get("https://example.org/a")
        with pytest.raises(StoreError) as write:
            store.save_article(Record(url="https://example.org/a", site="example.org", extractor="test",
                                      title="A", body_text=body), fetched_at=T1, http_status=200)
    for err, verb in ((read.value, "read"), (write.value, "write")):
        message = str(err)
        assert "\n" not in message and "SELECT" not in message and "[SQL" not in message
        assert body not in message and "sqlalche.me" not in message
        if any_db_url.startswith("sqlite"):
            assert message == f"database {verb} failed: no such table: url_aliases"
        else:
            assert message == f'database {verb} failed: relation "url_aliases" does not exist'
