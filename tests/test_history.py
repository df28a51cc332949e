"""repub.store.history against a real SQLite file: 304s, gone, moved, divergence, raw pages, changes."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import zstandard

from repub.store import Store
from repub.store.history import (
    RawBody,
    Touch,
    carries_text,
    changes_since,
    diverged_copies,
    events,
    latest_raw_pages,
    mark_gone,
    prune_raw_pages,
    raw_page_count,
    record_moved,
    resync_targets,
    save_raw_page,
    touch_checked,
    touch_checked_many,
)
from repub.store.models import RawPage
from repub.store.views import FetchLogEntry
from test_store import COPY_URL, ORIG_URL, copy_record, original_record

T1 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
T2 = T1 + timedelta(days=1)
T3 = T1 + timedelta(days=2)
T4 = T1 + timedelta(days=3)


@pytest.fixture
def store(any_db_url: str) -> Iterator[Store]:
    with Store.open(any_db_url) as s:
        yield s


def saved_pair(store: Store) -> None:
    store.save_article(original_record(), fetched_at=T1, http_status=200, etag='"a"', last_modified="x")
    store.save_article(copy_record(), fetched_at=T1, http_status=200)


def test_touch_checked_moves_check_time_and_version_last_seen(store: Store) -> None:
    saved_pair(store)
    assert touch_checked(store, ORIG_URL, T2) is True
    view = store.get(ORIG_URL)
    assert (view.last_checked_at, view.http_status, view.version) == ("2024-03-02T12:00:00Z", 304, 1)
    [v1] = store.versions(ORIG_URL)
    assert (v1.first_seen_at, v1.last_seen_at) == ("2024-03-01T12:00:00Z", "2024-03-02T12:00:00Z")
    assert touch_checked(store, "https://www.rt.com/unknown/", T2) is False


def test_original_change_marks_earlier_copies_diverged_once(store: Store) -> None:
    saved_pair(store)
    late_copy = copy_record(url="https://other.example/copy/", site="other.example", canonical_url=None)
    store.save_article(late_copy, fetched_at=T3)  # taken after the change below: not diverged
    store.save_article(original_record(title="China and Russia: allies after all"), fetched_at=T2)
    assert store.get(COPY_URL).diverged_since == "2024-03-02T12:00:00Z"
    store.save_article(original_record(title="Third title"), fetched_at=T4)  # keeps its first date
    assert store.get(COPY_URL).diverged_since == "2024-03-02T12:00:00Z"
    assert store.get(late_copy.url).diverged_since == "2024-03-04T12:00:00Z"
    assert [(d.copy_url, d.original_url, d.diverged_since) for d in diverged_copies(store)] == [
        (COPY_URL, ORIG_URL, "2024-03-02T12:00:00Z"), (late_copy.url, ORIG_URL, "2024-03-04T12:00:00Z"),
    ]
    assert [(e.kind, e.at, e.url, e.detail) for e in events(store, COPY_URL)] == [
        ("diverged", "2024-03-02T12:00:00Z", ORIG_URL, "original changed to version 2")
    ]
    # the first version of an original is not a change: no copy diverges when it is first fetched
    assert store.get(ORIG_URL).diverged_since is None


def test_a_corrected_copy_matches_its_original_again(store: Store) -> None:
    saved_pair(store)
    other = copy_record(url="https://other.example/copy/", site="other.example", canonical_url=None)
    store.save_article(other, fetched_at=T1)
    corrected = "para one\n\npara two, corrected"
    store.save_article(original_record(body_text=corrected), fetched_at=T2)  # both copies now diverge
    assert [store.get(u).diverged_since for u in (COPY_URL, other.url)] == ["2024-03-02T12:00:00Z"] * 2
    # the first copy takes the correction (and keeps its own credit line, and its own title): matched
    store.save_article(copy_record(body_text=f"{corrected}\n\nGo to Original \u2013 rt.com"), fetched_at=T3)
    # the second changes too, but still has the old second paragraph: still diverged
    store.save_article(replace(other, body_text="para one\n\npara two\n\nRead more"), fetched_at=T3)
    assert store.get(COPY_URL).diverged_since is None
    assert store.get(other.url).diverged_since == "2024-03-02T12:00:00Z"
    assert [(d.copy_url, d.diverged_since) for d in diverged_copies(store)] == [
        (other.url, "2024-03-02T12:00:00Z")]
    assert [(e.kind, e.at, e.url, e.detail) for e in events(store, COPY_URL)] == [
        ("diverged", "2024-03-02T12:00:00Z", ORIG_URL, "original changed to version 2"),
        ("matched", "2024-03-03T12:00:00Z", ORIG_URL, "copy carries the original's version 2 again"),
    ]
    assert [e.kind for e in events(store, other.url)] == ["diverged"]


def test_carries_text_compares_paragraphs_not_spacing() -> None:
    original = "First  paragraph.\n\nSecond \uff21 paragraph."  # a fullwidth A: NFKC makes it "A"
    assert carries_text("Intro line\nFirst paragraph.\n\n  Second A paragraph.\nCredit", original)
    assert not carries_text("First paragraph.", original)  # a paragraph dropped
    assert not carries_text("First paragraph.\n\nSecond A paragraph, changed.", original)
    assert not carries_text("anything", "")  # an empty original matches nothing


def test_mark_gone_keeps_content_and_records_once(store: Store) -> None:
    saved_pair(store)
    assert mark_gone(store, ORIG_URL, T2, http_status=404, error="HTTP 404 Not Found") is True
    assert mark_gone(store, ORIG_URL, T3, http_status=404, error="HTTP 404 Not Found") is False
    view = store.get(ORIG_URL)
    assert (view.status, view.http_status, view.error) == ("gone", 404, "HTTP 404 Not Found")
    assert (view.title, view.body_text, view.version) == (
        "China and Russia: not allies", "para one\n\npara two", 1
    )
    assert view.last_checked_at == "2024-03-03T12:00:00Z"
    assert [(e.kind, e.at) for e in events(store, ORIG_URL)] == [("gone", "2024-03-02T12:00:00Z")]
    # a stub that never had content simply failed
    stub = "https://www.rt.com/op-ed/1-never-fetched/"
    store.ensure_original(stub, "RT", None)
    assert mark_gone(store, stub, T2, http_status=410, error="HTTP 410 Gone") is False
    assert store.get(stub).status == "failed"


def test_record_moved_and_alias(store: Store) -> None:
    saved_pair(store)
    new_url = "https://www.rt.com/op-ed/504321-new-slug/"
    store.save_article(original_record(url=new_url), fetched_at=T2, aliases=[ORIG_URL])
    record_moved(store, new_url, ORIG_URL, T2)
    assert store.get(ORIG_URL).url == new_url
    assert [(e.kind, e.url, e.detail) for e in events(store, new_url)] == [
        ("moved", ORIG_URL, f"{ORIG_URL} -> {new_url}")
    ]
    assert store.get(COPY_URL).original["url"] == new_url


def test_save_article_keeps_its_raw_page_in_the_same_write(store: Store) -> None:
    raw = RawBody(url=ORIG_URL, body=b"<html>page</html>", encoding="utf-8")
    store.save_article(original_record(), fetched_at=T1, raw=raw)
    store.save_article(original_record(), fetched_at=T2, raw=raw)  # the same bytes again: kept once
    assert raw_page_count(store, ORIG_URL) == 1
    [page] = latest_raw_pages(store)
    assert (page.article_url, page.text, page.last_seen_at) == (ORIG_URL, "<html>page</html>", T2)


def test_raw_pages_are_kept_once_per_distinct_body(store: Store) -> None:
    saved_pair(store)
    article_id = store.get(ORIG_URL).id
    body = "<html><body>ünïcode</body></html>".encode()
    assert save_raw_page(store, article_id, url=ORIG_URL, body=body, encoding="utf-8", fetched_at=T1) is True
    assert save_raw_page(store, article_id, url=ORIG_URL, body=body, encoding="utf-8", fetched_at=T2) is False
    assert save_raw_page(store, article_id, url=ORIG_URL, body=b"<html>v2</html>", encoding="utf-8",
                         fetched_at=T3) is True
    assert raw_page_count(store, ORIG_URL) == 2
    # the newest seen page wins; the body was stored compressed and comes back decoded
    [page] = latest_raw_pages(store, site="rt.com")
    assert (page.article_url, page.url, page.text) == (ORIG_URL, ORIG_URL, "<html>v2</html>")
    assert page.last_seen_at == T3
    save_raw_page(store, article_id, url=ORIG_URL, body=body, encoding="utf-8", fetched_at=T4)
    [page] = latest_raw_pages(store)
    assert page.text == "<html><body>ünïcode</body></html>"
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT body, size, compression FROM raw_pages ORDER BY id").fetchall()
    assert [(zstandard.ZstdDecompressor().decompress(b), size, c) for b, size, c in stored] == [
        (body, len(body), "zstd"), (b"<html>v2</html>", 15, "zstd")
    ]
    assert latest_raw_pages(store, site="transcend.org") == []


def test_raw_pages_kept_before_zstd_still_read(store: Store) -> None:
    # databases written before 2026-11-26 hold zlib rows; a row may also name no compression
    saved_pair(store)
    ids = {u: store.get(u).id for u in (COPY_URL, ORIG_URL)}
    old = "<html><body>kept with zlib: ünïcode</body></html>".encode()
    rows = [(ids[ORIG_URL], ORIG_URL, zlib.compress(old, 1), "zlib", len(old)),
            (ids[COPY_URL], COPY_URL, b"<html>plain</html>", "none", 18)]
    with store.engine.begin() as conn:
        for article_id, url, data, compression, size in rows:
            conn.execute(sa.insert(RawPage.__table__).values(
                article_id=article_id, url=url, body_hash=hashlib.sha256(data).hexdigest(), encoding="utf-8",
                compression=compression, body=data, size=size, first_seen_at=T1, last_seen_at=T1))
    pages = {p.article_url: p.text for p in latest_raw_pages(store)}
    assert pages == {ORIG_URL: old.decode(), COPY_URL: "<html>plain</html>"}


def test_prune_raw_pages_keeps_each_articles_newest(store: Store) -> None:
    saved_pair(store)
    ids = {u: store.get(u).id for u in (COPY_URL, ORIG_URL)}
    for n, at in enumerate((T1, T2, T3)):  # three distinct pages of the original, one of the copy
        body = f"<html>v{n}</html>".encode()
        save_raw_page(store, ids[ORIG_URL], url=ORIG_URL, body=body, encoding="utf-8", fetched_at=at)
    save_raw_page(store, ids[COPY_URL], url=COPY_URL, body=b"<html>copy</html>", encoding="utf-8",
                  fetched_at=T1)
    assert (raw_page_count(store, ORIG_URL), raw_page_count(store, COPY_URL)) == (3, 1)
    with pytest.raises(ValueError, match="at least 1"):
        prune_raw_pages(store, keep=0)
    dry = prune_raw_pages(store, seen_before=T2, dry_run=True)  # only v0 is older than T2
    assert (dry.pages, dry.articles, raw_page_count(store, ORIG_URL)) == (1, 1, 3)
    assert dry.nbytes == len(zstandard.ZstdCompressor(level=1).compress(b"<html>v0</html>"))
    assert prune_raw_pages(store, keep=2, site="transcend.org").pages == 0  # the copy has one page
    done = prune_raw_pages(store)
    assert (done.pages, done.articles) == (2, 1)
    assert (raw_page_count(store, ORIG_URL), raw_page_count(store, COPY_URL)) == (1, 1)
    assert sorted((p.article_url, p.text) for p in latest_raw_pages(store)) == [
        (ORIG_URL, "<html>v2</html>"), (COPY_URL, "<html>copy</html>")]  # rt.com sorts first
    assert prune_raw_pages(store).pages == 0  # nothing left to prune


def test_reextract_save_keeps_fetch_fields(store: Store) -> None:
    saved_pair(store)
    result = store.save_article(original_record(section="Op-ed"), fetched_at=T2, checked=False)
    assert (result.changed, result.version) == (True, 2)
    view = store.get(ORIG_URL)
    assert (view.section, view.last_checked_at, view.http_status) == ("Op-ed", "2024-03-01T12:00:00Z", 200)


def test_targets_and_changes_since(store: Store) -> None:
    saved_pair(store)
    touch_checked(store, COPY_URL, T3)
    targets = resync_targets(store, checked_before=T2)
    assert [(t.url, t.etag, t.last_modified, t.version) for t in targets] == [(ORIG_URL, '"a"', "x", 1)]
    assert [t.url for t in resync_targets(store)] == [ORIG_URL, COPY_URL]  # least recently checked first
    assert [t.url for t in resync_targets(store, originals_only=True)] == [ORIG_URL]
    assert [t.url for t in resync_targets(store, urls=[COPY_URL], checked_before=T1)] == [COPY_URL]
    assert [t.url for t in resync_targets(store, limit=1)] == [ORIG_URL]

    store.save_article(original_record(body_text="para one\n\npara two\n\npara three"), fetched_at=T3)
    mark_gone(store, ORIG_URL, T4, http_status=410, error="HTTP 410 Gone")
    rows = changes_since(store, T2)
    assert [(c.kind, c.url, c.version, c.is_original, c.at) for c in rows] == [
        ("changed", ORIG_URL, 2, True, "2024-03-03T12:00:00Z"),
        ("diverged", COPY_URL, None, False, "2024-03-03T12:00:00Z"),
        ("gone", ORIG_URL, None, True, "2024-03-04T12:00:00Z"),
    ]
    assert [c.kind for c in changes_since(store, T2, originals_only=True)] == ["changed", "gone"]
    assert changes_since(store, T4 + timedelta(seconds=1)) == []


def test_touch_checked_many_by_id_in_one_transaction(store: Store) -> None:
    saved_pair(store)
    mark_gone(store, COPY_URL, T2, http_status=410, error="HTTP 410 Gone")
    ids = {t.url: t.article_id for t in resync_targets(store)}
    assert None not in ids.values()
    log = [FetchLogEntry(url=u, fetched_at=T3, status=304, run_id=7) for u in (ORIG_URL, COPY_URL)]
    touches = [Touch(ids[ORIG_URL], ORIG_URL, T3), Touch(ids[COPY_URL], COPY_URL, T3),
               Touch(999_999, "x", T3)]
    assert touch_checked_many(store, touches, log) == 2  # an id no longer in the database is skipped
    orig, copy = store.get(ORIG_URL), store.get(COPY_URL)
    assert orig is not None and copy is not None
    assert orig.last_checked_at == copy.last_checked_at == "2024-03-03T12:00:00Z"
    assert (orig.http_status, copy.http_status) == (304, 304)
    assert [v.last_seen_at for v in store.versions(ORIG_URL)] == ["2024-03-03T12:00:00Z"]
    assert copy.status == "ok"  # answering again means it is back
    assert [e.kind for e in events(store, COPY_URL)] == ["gone", "back"]
    # an older answer never moves a version's last_seen_at back
    assert touch_checked_many(store, [Touch(ids[ORIG_URL], ORIG_URL, T2)]) == 1
    assert [v.last_seen_at for v in store.versions(ORIG_URL)] == ["2024-03-03T12:00:00Z"]
    with store.engine.connect() as con:
        assert con.exec_driver_sql("select count(*) from fetch_log where run_id = 7").scalar() == 2
