"""``Store.save_many`` (the import path's batched write) against real SQLite files, and on PostgreSQL
when tests/pg.py finds its binaries: the same rows as one ``save_article`` per page, a SAVEPOINT per
page (a page failing half-way leaves no row of it and loses none of the others), the original's stub
and link folded into the page's transaction, fetch-log lines written with the batch, and
``url_states`` (what an ingest run asks of every discovered URL)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import zstandard

from repub.errors import StoreError
from repub.evidence import Evidence
from repub.normalize.types import OriginalLink
from repub.store import FetchLogEntry, SaveResult, Store
from repub.store.history import RawBody, prepare_raw
from repub.store.known import url_states
from repub.store.save import SaveItem, content_of
from test_store import COPY_URL, ORIG_URL, copy_record, original_record

T1 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
T2 = T1 + timedelta(hours=1)
BODY = b"<html><body><p>the copy, as fetched</p></body></html>" * 40
TABLES = ("articles", "article_versions", "raw_pages", "url_aliases", "fetch_log")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'repub.db'}") as s:
        yield s


def counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES}


def line(url: str, at: datetime = T1) -> FetchLogEntry:
    return FetchLogEntry(url=url, final_url=url, fetched_at=at, status=200, nbytes=len(BODY), run_id=1)


def copy_item(n: int, **changes: object) -> SaveItem:
    url = f"https://www.transcend.org/tms/2020/10/copy-{n}/"
    link = OriginalLink(f"https://www.rt.com/op-ed/{n}-x/", "RT", "2020-10-23",
                        [Evidence("byline-credit", {"outlet": "RT"})])
    record = copy_record(url=url, canonical_url=url, title=f"copy {n}", body_text=f"body {n}", original=link)
    item = SaveItem(record, T1, (url,), http_status=200, raw=prepare_raw(RawBody(url, BODY, "utf-8")),
                    stub_original=True)
    return replace(item, **changes)  # type: ignore[arg-type]


def test_a_batch_stores_what_one_save_per_page_stores(store: Store, tmp_path: Path) -> None:
    # the copy names its original: a "pending" stub is made and linked in the copy's own savepoint
    copies = store.save_many([copy_item(1), copy_item(2)], [line("a"), line("b")])
    assert all(isinstance(r, SaveResult) for r in copies)
    first = copies[0]
    assert isinstance(first, SaveResult) and first.original_status == "pending" and first.created
    stub = store.get("https://www.rt.com/op-ed/1-x/")
    assert stub is not None and (stub.status, stub.version, stub.outlet) == ("pending", 0, "RT")
    assert stub.published_at == "2020-10-23"
    assert [r["url"] for r in stub.republications] == ["https://www.transcend.org/tms/2020/10/copy-1/"]

    # the original, fetched through a redirect, fills the stub and (re)links its copy by id
    orig = original_record(url="https://www.rt.com/op-ed/1-x-final/")
    (saved,) = store.save_many([SaveItem(
        orig, T2, ("https://www.rt.com/op-ed/1-x/",), http_status=200, outlet="RT",
        raw=RawBody(orig.url, b"<html>original</html>", "utf-8"), copy_id=first.article_id,
        original_url="https://www.rt.com/op-ed/1-x/",
    )])
    assert isinstance(saved, SaveResult) and saved.article_id == first.original_id and not saved.created
    view = store.get("https://www.transcend.org/tms/2020/10/copy-1/")
    assert view is not None and view.original is not None
    assert (view.original["url"], view.original["status"]) == ("https://www.rt.com/op-ed/1-x-final/", "ok")
    assert store.get("https://www.rt.com/op-ed/1-x/") == store.get("https://www.rt.com/op-ed/1-x-final/")
    # aliases: the two copies', the two stubs' (one now the original's) and the original's final URL
    assert counts(store) == {"articles": 4, "article_versions": 3, "raw_pages": 3, "url_aliases": 5,
                             "fetch_log": 2}
    # the raw page went in as prepared: zstd of the very bytes
    db = tmp_path / "repub.db"
    with sqlite3.connect(db) as con:
        body, compression = con.execute("SELECT body, compression FROM raw_pages ORDER BY id").fetchone()
    assert (zstandard.ZstdDecompressor().decompress(body), compression) == (BODY, "zstd")

    # one save_article per page gives the same articles (apart from ids and times)
    with Store.open(f"sqlite:///{tmp_path / 'single.db'}") as single:
        for item in (copy_item(1), copy_item(2)):
            single.save_article(item.record, fetched_at=T1, aliases=item.aliases, http_status=200,
                                raw=RawBody(item.record.url, BODY, "utf-8"))
            single.link_original(item.record.url, item.record.original.url)  # type: ignore[union-attr]
        single.save_article(orig, fetched_at=T2, aliases=["https://www.rt.com/op-ed/1-x/"], http_status=200,
                            outlet="RT", raw=RawBody(orig.url, b"<html>original</html>", "utf-8"))
        single.link_original("https://www.transcend.org/tms/2020/10/copy-1/", "https://www.rt.com/op-ed/1-x/")
        strip = {"id", "first_seen_at", "last_checked_at"}
        assert [{k: v for k, v in a.to_json().items() if k not in strip} for a in single.list_articles()] == [
            {k: v for k, v in a.to_json().items() if k not in strip} for a in store.list_articles()]


def test_a_page_failing_half_way_leaves_no_row_and_the_others_stay(store: Store) -> None:
    # the original is written (article, version, raw page, aliases), then its copy link fails:
    # its savepoint rolls all of it back; the pages before and after it in the batch are kept
    bad = replace(copy_item(2), stub_original=False, copy_url="https://nowhere.example/never-saved/",
                  original_url="https://www.transcend.org/tms/2020/10/copy-2/")
    results = store.save_many([copy_item(1), bad, copy_item(3)], [line("a"), line("b")])
    assert isinstance(results[0], SaveResult) and isinstance(results[2], SaveResult)
    assert isinstance(results[1], StoreError) and "no article stored for https://nowhere.example" in str(
        results[1])
    assert store.get("https://www.transcend.org/tms/2020/10/copy-2/") is None
    assert {a.url for a in store.list_articles() if a.status == "ok"} == {
        "https://www.transcend.org/tms/2020/10/copy-1/", "https://www.transcend.org/tms/2020/10/copy-3/"}
    assert counts(store) == {"articles": 4, "article_versions": 2, "raw_pages": 2, "url_aliases": 4,
                             "fetch_log": 2}


def test_a_database_error_in_one_page_is_rolled_back_alone(store: Store, tmp_path: Path) -> None:
    # a constraint the database enforces (not Python): this page's article INSERT fails mid-batch
    with sqlite3.connect(tmp_path / "repub.db") as con:
        con.execute("CREATE TRIGGER no_copy_2 BEFORE INSERT ON articles WHEN NEW.url LIKE '%copy-2/' "
                    "BEGIN SELECT RAISE(ABORT, 'copy 2 refused'); END")
    results = store.save_many([copy_item(1), copy_item(2), copy_item(3)])
    assert [type(r) for r in results] == [SaveResult, StoreError, SaveResult]
    assert "copy 2 refused" in str(results[1])
    assert counts(store)["article_versions"] == 2 and counts(store)["raw_pages"] == 2


def test_a_bad_fetch_log_line_is_skipped_not_the_batch(store: Store, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "repub.db") as con:
        con.execute("CREATE TRIGGER no_boom BEFORE INSERT ON fetch_log WHEN NEW.url = 'boom' "
                    "BEGIN SELECT RAISE(ABORT, 'boom refused'); END")
    results = store.save_many([copy_item(1)], [line("a"), line("boom"), line("c")])
    assert isinstance(results[0], SaveResult)
    assert [e.url for e in reversed(store.fetch_log())] == ["a", "c"]


def test_resave_in_a_batch_only_bumps_last_seen(store: Store) -> None:
    store.save_many([copy_item(1)])
    (again,) = store.save_many([replace(copy_item(1), fetched_at=T2)])
    assert isinstance(again, SaveResult)
    assert (again.created, again.changed, again.version) == (False, False, 1)
    (version,) = store.versions("https://www.transcend.org/tms/2020/10/copy-1/")
    assert version.last_seen_at == "2024-03-01T13:00:00Z"
    assert counts(store)["raw_pages"] == 1  # the same bytes are kept once


def test_url_states(store: Store) -> None:
    store.save_many([copy_item(1)], [line("https://gone.example/a"), line("https://gone.example/b")])
    store.log_fetch(FetchLogEntry(url="https://gone.example/a", fetched_at=T2, status=404, error_kind="http",
                                  error="http 404"))
    copy_url = "https://www.transcend.org/tms/2020/10/copy-1/"
    states = url_states(store, [copy_url, "https://gone.example/a", "https://gone.example/b",
                                "https://new.example/"])
    copy = states[copy_url]
    assert (copy.article_url, copy.status) == (copy_url, "ok")
    assert (copy.original_url, copy.original_status, copy.original_outlet) == (
        "https://www.rt.com/op-ed/1-x/", "pending", "RT")
    gone, fetched = states["https://gone.example/a"], states["https://gone.example/b"]
    assert (gone.last_error_kind, gone.last_http_status) == ("http", 404)  # the newest line wins
    assert (fetched.last_error_kind, fetched.last_http_status, fetched.status) == (None, 200, None)
    assert states["https://new.example/"].article_url is None
    # an alias finds its article
    alias = replace(copy_item(5), aliases=("https://www.transcend.org/?p=5",))
    store.save_many([alias])
    found = url_states(store, ["https://www.transcend.org/?p=5"])["https://www.transcend.org/?p=5"]
    assert found.article_url == "https://www.transcend.org/tms/2020/10/copy-5/"


def test_save_many_on_postgresql(pg_url: str) -> None:
    with Store.open(pg_url) as store:
        bad = replace(copy_item(2), stub_original=False, copy_url="https://nowhere.example/x/",
                      original_url="https://www.transcend.org/tms/2020/10/copy-2/")
        results = store.save_many([copy_item(1), bad, copy_item(3)], [line("a")])
        assert [type(r) for r in results] == [SaveResult, StoreError, SaveResult]
        assert counts(store) == {"articles": 4, "article_versions": 2, "raw_pages": 2, "url_aliases": 4,
                                 "fetch_log": 1}
        assert store.get(COPY_URL) is None and store.get(ORIG_URL) is None


def test_content_of_is_record_content() -> None:
    # the digest of every stored version depends on it: the same dict as Record.content(), not a copy
    # sharing lists with the record
    for record in (copy_record(), original_record(), copy_item(3).record):
        content = content_of(record)
        assert content == record.content()
        assert content["authors"] is not record.authors
