"""Text reuse end to end: real pages over real HTTP (REPUB_HOST_MAP), ``repub import`` in either order,
the links by text with their evidence, ``repub copies``, ``repub trace``, ``repub match``, ``repub
reextract`` on a database without fingerprints, the batch save the ingest writer uses, on SQLite and
PostgreSQL.

The original and an independent report of the same case are real pages of the Zyte set (fixtures/reuse)
(Forbes, 18 November 2019, and LiveScience's own story of the same "feather duvet lung" case). The
copies are written here from the Forbes article's true body with the changes republishers make: a new
title, a byline and a disclaimer, a date prefix, the last paragraphs cut, a share block; one credits
Forbes by name only, one has a canonical to an intermediate syndicator and says nothing else.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
from collections.abc import Iterator
from html import escape
from pathlib import Path

import pytest
import sqlalchemy as sa

from repub.cli import main
from repub.reuse import compare, fingerprint
from repub.store import Store
from webserver import TestWeb

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "fixtures" / "reuse"  # pages and true bodies of the Zyte set (fixtures/reuse/README.md)
FORBES_ID = "a078b3656adc0295d0e37bd4f599342f4a0894da2451e0ef3038ac045434fef3"
LIVESCIENCE_ID = "bd673bd7988144f0ab7b9c5e19fed140fb5aaa30d8894cb045b72d3b79a7dc54"
ORIGINAL = "https://www.forbes.com/sites/brucelee/2019/11/18/how-this-mans-bedding-gave-him-feather-duvet-lung/"
REPORT = "https://www.livescience.com/feather-duvet-lung.html"
COPY = "https://repost.example.com/2019/11/20/the-duvet-that-took-his-breath/"
QUIET_COPY = "https://mirror.example.net/health/duvet-lung/"
SYNDICATOR = "https://syndicator.example.org/stories/duvet-lung/"
# A republisher in TMS's manner: the original's date as a prefix of the text, nothing else said.
PREFIXED_COPY = "https://press.example.org/articles/feather-duvet-lung/"
HOSTS = ("www.forbes.com", "www.livescience.com", "repost.example.com", "mirror.example.net",
         "syndicator.example.org", "press.example.org")


def real_page(page_id: str) -> bytes:
    path = DATA / "html" / f"{page_id}.html.gz"
    if not path.exists():
        pytest.fail(f"benchmark page needed: {path} (fixtures/reuse)")
    return gzip.decompress(path.read_bytes())


def true_paragraphs() -> list[str]:
    truth = json.loads((DATA / "ground-truth.json").read_text(encoding="utf-8"))
    return [p for p in truth[FORBES_ID]["articleBody"].split("\n") if p.strip()]


def copy_page(title: str, date: str, head: str, paragraphs: list[str], top: list[str],
              bottom: list[str]) -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"{date and f'<meta property={chr(39)}article:published_time{chr(39)} content={date!r}>'}"
            f"{head}</head><body>"
            "<header><nav><a href='/'>Home</a> <a href='/health/'>Health</a></nav></header>"
            f"<main><article><h1>{escape(title)}</h1>{''.join(top)}{body}{''.join(bottom)}</article></main>"
            "<footer><p>All rights reserved</p></footer></body></html>").encode()


PARAGRAPHS = true_paragraphs()
KEPT = PARAGRAPHS[:11]  # the last four paragraphs cut
COPY_TITLE = "The duvet that took his breath away"


def html(content: bytes) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "text/html; charset=utf-8"}, content


@pytest.fixture
def web() -> Iterator[TestWeb]:
    copy = copy_page(
        COPY_TITLE, "2019-11-20", f"<link rel='canonical' href='{COPY}'>",
        ["19 Nov 2019 – " + KEPT[0], *KEPT[1:]],
        ["<p class='byline'>By Staff Writer | Forbes – Repost</p>",
         "<p><em>The views expressed in this article are the author's own.</em></p>"],
        ["<p><em>This article originally appeared on Forbes.</em></p>",
         "<div class='share'><p>Share this: Facebook Twitter Email</p></div>"])
    quiet = copy_page("Feather duvet lung: a warning", "2019-11-21",
                      f"<link rel='canonical' href='{SYNDICATOR}'>", PARAGRAPHS[:13], [],
                      ["<p>Share this: Facebook Twitter Email</p>"])
    prefixed = copy_page("Feather duvet lung", "", "", ["18 Nov 2019 – " + PARAGRAPHS[0], *PARAGRAPHS[1:]],
                         ["<p><em>The views expressed in this article are the author's own.</em></p>"], [])
    with TestWeb() as server:
        server.route("/press.example.org" + PREFIXED_COPY.removeprefix("https://press.example.org"),
                     lambda h: html(prefixed))
        server.route("/www.forbes.com" + ORIGINAL.removeprefix("https://www.forbes.com"),
                     lambda h: html(real_page(FORBES_ID)))
        server.route("/www.livescience.com/feather-duvet-lung.html",
                     lambda h: html(real_page(LIVESCIENCE_ID)))
        server.route("/repost.example.com" + COPY.removeprefix("https://repost.example.com"),
                     lambda h: html(copy))
        server.route("/mirror.example.net" + QUIET_COPY.removeprefix("https://mirror.example.net"),
                     lambda h: html(quiet))
        yield server


@pytest.fixture
def env(web: TestWeb, any_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("REPUB_HOST_MAP", web.host_map(*HOSTS))
    monkeypatch.setenv("REPUB_DATABASE_URL", any_db_url)
    monkeypatch.delenv("REPUB_DB", raising=False)
    return any_db_url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.startswith("{")], out + err


def show(capsys: pytest.CaptureFixture[str], url: str) -> dict:
    code, lines, text = run(capsys, "show", url, "--json")
    assert code == 0, text
    return lines[0]


def text_match(record: dict) -> dict:
    return next(item["detail"] for item in record["original"]["evidence"] if item["kind"] == "text-match")


def test_original_first_then_copies_found_by_their_text(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "import", ORIGINAL)[0] == 0
    assert run(capsys, "import", REPORT)[0] == 0  # the same case told by another outlet
    assert run(capsys, "import", COPY, "--no-follow-original")[0] == 0
    copy, original = show(capsys, COPY), show(capsys, ORIGINAL)
    measured = compare(copy["body_text"], original["body_text"])
    assert copy["original"]["url"] == ORIGINAL
    assert copy["original"]["outlet"] == "Forbes"
    assert copy["original"]["published_at"] == original["published_at"] == "2019-11-18"
    assert copy["original"]["status"] == "ok"
    assert copy["original"]["evidence"] == [
        {"kind": "text-line", "detail": {"outlet": "Forbes",
                                         "text": "This article originally appeared on Forbes."}},
        {"kind": "text-match", "detail": {"url": ORIGINAL, "similarity": measured.similarity,
                                          "coverage": measured.coverage}},
    ]
    kept = sum(len(p.split()) for p in KEPT) / sum(len(p.split()) for p in PARAGRAPHS)
    assert abs(measured.coverage - kept) < 0.05
    # two witnesses that agree: the line (0.9) and the text (similarity x coverage)
    assert copy["original"]["confidence"] == round(1 - 0.1 * (1 - measured.similarity * measured.coverage), 2)
    # the independent report is nobody's copy, and nobody is its copy
    report = show(capsys, REPORT)
    assert report["original"] is None and report["republications"] == []
    assert [c["url"] for c in original["republications"]] == [COPY]

    # a copy with a canonical to an intermediate syndicator: the text's earlier article wins
    assert run(capsys, "import", QUIET_COPY, "--no-follow-original")[0] == 0
    quiet = show(capsys, QUIET_COPY)
    assert quiet["original"]["url"] == ORIGINAL
    assert [e["kind"] for e in quiet["original"]["evidence"]] == ["canonical", "text-match"]
    assert quiet["original"]["evidence"][0]["detail"]["url"] == SYNDICATOR
    assert quiet["original"]["confidence"] == round(
        text_match(quiet)["similarity"] * text_match(quiet)["coverage"] * (1 - 0.8 / 2), 2)

    code, lines, _ = run(capsys, "copies", ORIGINAL, "--json")
    assert code == 0
    assert lines == [
        {"url": COPY, "site": "repost.example.com", "published_at": "2019-11-20",
         "evidence": copy["original"]["evidence"], "similarity": measured.similarity,
         "coverage": measured.coverage, "confidence": copy["original"]["confidence"]},
        {"url": QUIET_COPY, "site": "mirror.example.net", "published_at": "2019-11-21",
         "evidence": quiet["original"]["evidence"], "similarity": text_match(quiet)["similarity"],
         "coverage": text_match(quiet)["coverage"], "confidence": quiet["original"]["confidence"]},
    ]
    assert run(capsys, "copies", REPORT, "--json")[1] == []


def test_a_copy_stored_first_is_linked_when_its_original_arrives(
        env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "import", QUIET_COPY, "--no-follow-original")[0] == 0
    before = show(capsys, QUIET_COPY)
    assert before["original"]["url"] == SYNDICATOR  # its canonical: all it says
    assert run(capsys, "import", ORIGINAL)[0] == 0
    after = show(capsys, QUIET_COPY)
    assert after["original"]["url"] == ORIGINAL and after["original"]["status"] == "ok"
    assert [e["kind"] for e in after["original"]["evidence"]] == ["canonical", "text-match"]
    code, lines, _ = run(capsys, "history", QUIET_COPY, "--json")
    assert code == 0
    linked = [e for e in lines[0]["events"] if e["kind"] == "linked"]
    detail = text_match(after)
    assert linked == [{"kind": "linked", "at": linked[0]["at"], "url": ORIGINAL,
                       "detail": f"text-match: similarity {detail['similarity']}, "
                                 f"coverage {detail['coverage']}; was {SYNDICATOR}"}]
    assert [c["url"] for c in show(capsys, ORIGINAL)["republications"]] == [QUIET_COPY]


@pytest.mark.parametrize("order", [(PREFIXED_COPY, ORIGINAL), (ORIGINAL, PREFIXED_COPY)],
                         ids=["copy-first", "original-first"])
def test_a_copy_dated_by_its_prefix_is_the_copy_in_either_order(
        order: tuple[str, str], env: str, capsys: pytest.CaptureFixture[str]) -> None:
    # The copy states no date: the date extraction reads its prefix, the original's day, so the two
    # tie on the day. The prefix is the republisher's mark (repub.reuse.dating): the copy is the copy
    # even when it was stored first.
    for url in order:
        assert run(capsys, "import", url, "--no-follow-original")[0] == 0
    copy, original = show(capsys, PREFIXED_COPY), show(capsys, ORIGINAL)
    assert copy["published_at"] == original["published_at"] == "2019-11-18"
    measured = compare(copy["body_text"], original["body_text"])
    assert measured.coverage == 1.0
    assert (copy["original"]["url"], copy["original"]["outlet"], copy["original"]["published_at"]) == (
        ORIGINAL, "forbes.com", "2019-11-18")
    assert copy["original"]["evidence"] == [
        {"kind": "text-match", "detail": {"url": ORIGINAL, "similarity": measured.similarity,
                                          "coverage": measured.coverage}}]
    assert original["original"] is None
    assert [c["url"] for c in original["republications"]] == [PREFIXED_COPY]
    code, lines, _ = run(capsys, "copies", ORIGINAL, "--json")
    assert code == 0 and [c["url"] for c in lines] == [PREFIXED_COPY]


def test_trace_shows_the_original_then_each_copy_with_what_it_changed(
        env: str, capsys: pytest.CaptureFixture[str]) -> None:
    for url in (COPY, ORIGINAL, QUIET_COPY):
        assert run(capsys, "import", url, "--no-follow-original")[0] == 0
    original = show(capsys, ORIGINAL)
    code, steps, _ = run(capsys, "trace", QUIET_COPY, "--json")
    assert code == 0
    assert [(s["role"], s["url"], s["published_at"]) for s in steps] == [
        ("original", ORIGINAL, "2019-11-18"), ("copy", COPY, "2019-11-20"),
        ("copy", QUIET_COPY, "2019-11-21")]
    first = steps[1]
    assert first["copy_of"] == ORIGINAL and first["title"] == COPY_TITLE
    assert first["changed"]["title"] == COPY_TITLE
    stored = [p for p in original["body_text"].split("\n\n") if p.strip()]
    # the original's paragraphs the copy does not carry: its last ones (as repub extracted them)
    assert first["changed"]["cut"] and all(p in stored[-6:] for p in first["changed"]["cut"])
    assert "19 Nov 2019" in first["changed"]["added"]
    assert steps[2]["changed"]["title"] == "Feather duvet lung: a warning"
    code, _, text = run(capsys, "trace", ORIGINAL)
    assert code == 0 and f"original  {ORIGINAL}" in text and "added: 19 Nov 2019" in text


def test_match_names_the_stored_original_and_stores_nothing(
        env: str, web: TestWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "import", ORIGINAL)[0] == 0
    saved = tmp_path / "saved.html"
    route = web.routes["/repost.example.com" + COPY.removeprefix("https://repost.example.com")]
    saved.write_bytes(route(None)[2])  # type: ignore[arg-type,index]
    code, lines, _ = run(capsys, "match", str(saved), "--url", COPY, "--json")
    assert code == 0
    copy_body = json.loads(_extracted(capsys, saved))["body_text"]
    measured = compare(copy_body, show(capsys, ORIGINAL)["body_text"])
    assert lines == [{"url": ORIGINAL, "site": "forbes.com", "published_at": "2019-11-18",
                      "title": "How This Man’s Bedding Gave Him ‘Feather Duvet Lung’",
                      "similarity": measured.similarity, "coverage": measured.coverage, "original": True}]
    assert run(capsys, "show", COPY)[0] == 1  # nothing stored
    report = tmp_path / "report.html"
    report.write_bytes(real_page(LIVESCIENCE_ID))
    # the same case told by another outlet copies nothing
    assert run(capsys, "match", str(report), "--url", REPORT, "--json")[1] == []


def _extracted(capsys: pytest.CaptureFixture[str], saved: Path) -> str:
    assert main(["extract", str(saved), "--url", COPY, "--json"]) == 0
    return capsys.readouterr().out


def test_reextract_gives_an_old_database_its_fingerprints_and_links(
        env: str, capsys: pytest.CaptureFixture[str]) -> None:
    for url in (ORIGINAL, COPY):
        assert run(capsys, "import", url, "--no-follow-original")[0] == 0
    engine = sa.create_engine(env)
    try:
        with engine.begin() as conn:  # as a database written before fingerprints existed
            conn.execute(sa.text("DELETE FROM fingerprint_bands"))
            conn.execute(sa.text("DELETE FROM fingerprints"))
            conn.execute(sa.text("UPDATE articles SET original_id = NULL, original_url = NULL, "
                                 "original_evidence = NULL, original_confidence = NULL"))
        assert show(capsys, COPY)["original"]["url"] is None
        assert run(capsys, "reextract")[0] == 0
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT a.url, f.version, f.shingles, f.signature "
                                        "FROM fingerprints f JOIN articles a ON a.id = f.article_id "
                                        "ORDER BY a.url")).all()
            bands = conn.execute(sa.text("SELECT count(*) FROM fingerprint_bands")).scalar()
    finally:
        engine.dispose()
    bodies = {url: show(capsys, url)["body_text"] for url in (ORIGINAL, COPY)}
    assert [(r[0], r[1], r[2], bytes(r[3])) for r in rows] == [
        (url, 1, fingerprint(bodies[url]).shingles, fingerprint(bodies[url]).signature)
        for url in sorted(bodies)]
    assert bands == 2 * 64
    assert show(capsys, COPY)["original"]["url"] == ORIGINAL


def test_the_ingest_writers_batch_save_stores_the_workers_fingerprint_and_links(
        env: str, web: TestWeb) -> None:
    from repub.config import build_settings
    from repub.ingest.extraction import prepare_in_worker
    from repub.pipeline import Importer, save_item

    with Store.open(env) as store:
        importer = Importer(store, build_settings())  # REPUB_HOST_MAP: the local web
        pages = [importer.fetch(url) for url in (ORIGINAL, COPY)]
        items = []
        for page in pages:  # what an extraction worker hands the writer
            ready, error = prepare_in_worker(None, page.final_url, _raw(page),
                                             page.headers.get("content-type", ""))
            assert error is None and ready is not None
            assert ready.fingerprint == fingerprint(ready.record.body_text)
            items.append(save_item(ready.record, page, raw=ready.raw, content_hash=ready.content_hash,
                                   fingerprint=ready.fingerprint))
        results = store.save_many(items)
        assert all(r.version == 1 for r in results)  # type: ignore[union-attr]
        view = store.get(COPY)
        assert view is not None and view.original is not None and view.original["url"] == ORIGINAL


def _raw(page: object) -> object:
    from repub.store.history import RawBody

    return RawBody(url=page.final_url, body=page.body, encoding=page.charset)  # type: ignore[attr-defined]


def test_a_sqlite_band_table_is_its_primary_key_alone(tmp_path: Path) -> None:
    path = tmp_path / "repub.db"
    Store.open(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'fingerprint_bands'").fetchone()[0]
    assert "WITHOUT ROWID" in sql and "PRIMARY KEY (band_key, article_id)" in sql


def test_a_copy_goes_to_the_original_not_to_a_copy_linked_to_it_in_the_same_save(any_db_url: str) -> None:
    # The original, then a cut copy of it two days later, then another copy of the original's day that
    # is exactly the cut text. When that one arrives it is linked to the original, and the earlier copy
    # (which carries all of its text) is decided again: it must see it as it now stands, a copy of the
    # original, and go to the original (rule 3 of repub.reuse.decide), not to it.
    from repub.normalize import utc_now
    from repub.normalize.types import Record

    cut = "\n\n".join(PARAGRAPHS[:11])
    pages = [(ORIGINAL, "forbes.com", "2019-11-18", "\n\n".join(PARAGRAPHS)),
             (COPY, "repost.example.com", "2019-11-20", cut),
             (QUIET_COPY, "mirror.example.net", "2019-11-18", cut)]
    with Store.open(any_db_url) as store:
        for url, site, day, body in pages:
            store.save_article(Record(url=url, site=site, extractor="test", title="Feather duvet lung",
                                      body_text=body, published_at=day), fetched_at=utc_now())
        links = {url: (store.get(url).original or {}).get("url") for url, *_ in pages}  # type: ignore[union-attr]
        quiet = store.get(QUIET_COPY)
    assert links == {ORIGINAL: None, COPY: ORIGINAL, QUIET_COPY: ORIGINAL}
    assert quiet is not None and quiet.original is not None
    measured = compare(cut, "\n\n".join(PARAGRAPHS))
    assert quiet.original["evidence"] == [
        {"kind": "text-match", "detail": {"url": ORIGINAL, "similarity": measured.similarity,
                                          "coverage": measured.coverage}}]
