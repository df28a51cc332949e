"""WARC in and out (issue 20), end to end: WARC files written by warcio itself, the real CLI, real SQLite
files, and the same pages fetched over real HTTP from the local fixture server to compare with.

The WARCs hold what crawlers write: gzip per record and plain, a chunked and gzip-encoded body, a
windows-1251 page, a revisit, a truncated record, images and PDFs, redirects and errors, request and
warcinfo records. An import must give, field by field, the articles a fetch of the same pages gives,
dated by the records' WARC-Date; an export must pass ``warcio check`` and index with pywb's
``cdx-indexer``, and import back to the same records.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from fixturedata import fixture_hosts
from procs import children, opens, wait_gone
from repub.cli import main
from repub.store import Store
from repub.store.history import raw_page_count
from webserver import FIXTURE_SITES, TestWeb

BIN = Path(sys.executable).parent
REPUB = BIN / "repub"
CASE_URL = (
    "https://www.transcend.org/tms/2020/10/a-russia-china-military-alliance-would-be-a-bulwark-against-"
    "americas-global-imperialism-is-it-time-for-washington-to-panic/"
)
RT_URL = "https://www.rt.com/op-ed/504399-russia-china-military-alliance-washington/"
RU_URL = "https://www.example.ru/news/2024/03/zavod/"
COPY_DATE, RT_DATE, RU_DATE, REVISIT_DATE = ("2020-10-27T08:00:00Z", "2020-10-24T06:30:00Z",
                                              "2024-03-05T10:00:00Z", "2021-01-02T03:04:05Z")
# A page in windows-1251, written for this test (our own words), declared only in the HTTP header
RUSSIAN = """<!DOCTYPE html><html lang="ru"><head><title>Завод в Туле снова работает</title>
<meta name="author" content="Анна Петрова">
<meta property="article:published_time" content="2024-03-04T09:00:00+03:00">
</head><body><article><h1>Завод в Туле снова работает</h1>
<p>После двух лет простоя оружейный завод в Туле возобновил работу. Рабочие вернулись в цеха в понедельник
утром, и первая партия продукции уже отправлена заказчикам в соседних областях.</p>
<p>Директор предприятия рассказал журналистам, что новые станки закупили у отечественных производителей,
а часть оборудования отремонтировали своими силами. По его словам, завод сможет выйти на прежнюю мощность
к концу года, если поставки металла не прервутся.</p>
<p>Местные власти обещают помочь с жильём для молодых специалистов, которых завод намерен пригласить из
других регионов страны.</p></article></body></html>"""
VIEW_KEYS = ("url", "site", "outlet", "extractor", "title", "authors", "byline", "section", "published_at",
             "modified_at", "language", "canonical_url", "lead_image", "tags", "body_text", "original",
             "republications", "status", "error", "http_status", "version")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
CP1251 = (("Content-Type", "text/html; charset=windows-1251"),)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fixture_page(url: str) -> bytes:
    host_and_path = url.split("://", 1)[1]
    return (FIXTURE_SITES / host_and_path / "index.html").read_bytes()


# -- writing WARCs with warcio ------------------------------------------------------------------------


@dataclass
class Rec:
    """One record to write: a response (or revisit) with its HTTP part, or another record type."""

    uri: str
    date: str
    body: bytes = b""
    status: str = "200 OK"
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "text/html; charset=utf-8"),)
    kind: str = "response"
    extra: tuple[tuple[str, str], ...] = ()
    raw_http: bytes | None = None  # the HTTP block as written, when the test writes it by hand


def write_warc(path: Path, records: list[Rec], *, gz: bool | None = None) -> Path:
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=path.name.endswith(".gz") if gz is None else gz)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test_warc.py"}))
        for rec in records:
            warc_headers = {"WARC-Date": rec.date, **dict(rec.extra)}
            if rec.kind == "request":
                http = StatusAndHeaders("GET / HTTP/1.1", [("Host", "x")], is_http_request=True)
                writer.write_record(writer.create_warc_record(rec.uri, "request", http_headers=http,
                                                              warc_headers_dict=warc_headers))
                continue
            if rec.raw_http is not None:
                record = writer.create_warc_record(
                    rec.uri, rec.kind, payload=io.BytesIO(rec.raw_http), length=len(rec.raw_http),
                    warc_headers_dict=warc_headers, warc_content_type="application/http; msgtype=response")
            else:
                headers = list(rec.headers)
                if rec.kind == "response":
                    headers.append(("Content-Length", str(len(rec.body))))
                http = StatusAndHeaders(rec.status, headers, protocol="HTTP/1.1")
                record = writer.create_warc_record(rec.uri, rec.kind, payload=io.BytesIO(rec.body),
                                                   http_headers=http, warc_headers_dict=warc_headers)
            writer.write_record(record)
    return path


def chunked_gzip_http(body: bytes) -> bytes:
    """An HTTP response as a server sends it gzip-encoded in chunks of 1,000 bytes."""
    encoded = gzip.compress(body)
    chunks = b"".join(f"{len(encoded[i:i + 1000]):x}\r\n".encode() + encoded[i:i + 1000] + b"\r\n"
                      for i in range(0, len(encoded), 1000))
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    return head + chunks + b"0\r\n\r\n"


def payload_digest(path: Path, uri: str) -> str:
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_headers.get_header("WARC-Target-URI") == uri:
                return str(record.rec_headers.get_header("WARC-Payload-Digest"))
    raise AssertionError(uri)


def crawl(path: Path) -> Path:
    """The crawl under test: the copy (chunked, gzip), its original, the Russian page, and what a
    crawler also meets. Then a revisit of the original, whose digest is the first record's."""
    rt_body = fixture_page(RT_URL)
    records = [
        Rec(CASE_URL, COPY_DATE, kind="request"),
        Rec(CASE_URL, COPY_DATE, raw_http=chunked_gzip_http(fixture_page(CASE_URL))),
        Rec(RT_URL, RT_DATE, rt_body),
        Rec(RU_URL, RU_DATE, RUSSIAN.encode("cp1251"), headers=CP1251),
        Rec("https://www.rt.com/static/lead.jpg", RT_DATE, JPEG, headers=(("Content-Type", "image/jpeg"),)),
        Rec("https://www.rt.com/static/report.pdf", RT_DATE, PDF,
            headers=(("Content-Type", "application/pdf"),)),
        Rec("https://rt.com/op-ed/504399/", RT_DATE, b"", status="301 Moved Permanently",
            headers=(("Location", RT_URL),)),
        Rec("https://www.rt.com/op-ed/000-gone/", RT_DATE, b"<html><body>gone</body></html>",
            status="404 Not Found"),
        Rec("https://www.transcend.org/tms/2020/10/cut/", COPY_DATE, fixture_page(CASE_URL)[:5000],
            extra=(("WARC-Truncated", "length"),)),
    ]
    write_warc(path, records)
    digest = payload_digest(path, RT_URL)
    with path.open("ab") as out:
        writer = WARCWriter(out, gzip=path.name.endswith(".gz"))
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(writer.create_revisit_record(
            RT_URL, digest, RT_URL, RT_DATE, http_headers=http,
            warc_headers_dict={"WARC-Date": REVISIT_DATE}))
    return path


# -- the fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def web() -> Iterator[TestWeb]:
    with TestWeb() as server:
        server.route("/www.example.ru/news/2024/03/zavod/",
                     lambda _h: (200, dict(CP1251), RUSSIAN.encode("cp1251")))
        yield server


@pytest.fixture
def env(web: TestWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("REPUB_HOST_MAP", web.host_map(*fixture_hosts(), "www.example.ru"))
    monkeypatch.delenv("REPUB_DATABASE_URL", raising=False)
    monkeypatch.delenv("REPUB_DB", raising=False)
    return {**os.environ}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def views(db: Path) -> dict[str, dict]:
    with Store.open(f"sqlite:///{db}") as store:
        return {v.url: v.to_json() for v in store.list_articles()}


@pytest.fixture(scope="module")
def fetched(tmp_path_factory: pytest.TempPathFactory, web: TestWeb) -> Path:
    """The same pages imported by fetching them from the local server."""
    db = tmp_path_factory.mktemp("fetched") / "fetched.db"
    hosts = web.host_map(*fixture_hosts(), "www.example.ru")
    assert main(["import", CASE_URL, RU_URL, "--db", str(db), "--host-map", hosts]) == 0
    return db


# -- import ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_import_gives_the_records_a_fetch_gives(name: str, env: dict, fetched: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    warc, db = crawl(tmp_path / name), tmp_path / "warc.db"
    code, out, err = run(capsys, "import", "--warc", str(warc), "--db", str(db))
    assert code == 0, err
    assert err == ""
    assert out.splitlines()[0] == (
        f"{warc}: done, 11 records: 4 pages stored (3 new, 1 unchanged), 1 revisits, 2 not-html, "
        "1 truncated, 1 redirect, 1 http-error, 2 other-records, " + out.splitlines()[0].rsplit(", ", 1)[1])

    got, want = views(db), views(fetched)
    assert sorted(got) == sorted(want) == sorted([CASE_URL, RT_URL, RU_URL])
    for url in want:
        for key in VIEW_KEYS:
            assert got[url][key] == want[url][key], f"{url}: {key}"
    assert got[RU_URL]["title"] == "Завод в Туле снова работает"
    assert got[RU_URL]["authors"] == ["Анна Петрова"]
    assert got[CASE_URL]["original"]["url"] == RT_URL and got[CASE_URL]["original"]["status"] == "ok"
    # dated by the records, not by the import
    assert (got[CASE_URL]["first_seen_at"], got[RT_URL]["first_seen_at"], got[RU_URL]["first_seen_at"]) == (
        COPY_DATE, RT_DATE, RU_DATE)
    assert got[RT_URL]["last_checked_at"] == REVISIT_DATE  # the revisit saw it again, unchanged
    with Store.open(f"sqlite:///{db}") as store:
        (version,) = store.versions(RT_URL)
        assert (version.first_seen_at, version.last_seen_at) == (RT_DATE, REVISIT_DATE)
        assert raw_page_count(store, RT_URL) == 1
        log = {(e.url, e.error_kind) for e in store.fetch_log(limit=100)}
    assert log == {(CASE_URL, None), (RT_URL, None), (RU_URL, None),
                   ("https://www.rt.com/static/lead.jpg", "not-html"),
                   ("https://www.rt.com/static/report.pdf", "not-html"),
                   ("https://rt.com/op-ed/504399/", "redirect"),
                   ("https://www.rt.com/op-ed/000-gone/", "http-error"),
                   ("https://www.transcend.org/tms/2020/10/cut/", "truncated")}
    with sqlite3.connect(db) as conn:
        kept = conn.execute("SELECT r.status_line, r.headers, r.encoding FROM raw_pages r JOIN articles a "
                            "ON a.id = r.article_id WHERE a.url = ?", (CASE_URL,)).fetchone()
        ru = conn.execute("SELECT r.encoding FROM raw_pages r JOIN articles a ON a.id = r.article_id "
                          "WHERE a.url = ?", (RU_URL,)).fetchone()
    assert kept[0] == "HTTP/1.1 200 OK"
    assert json.loads(kept[1]) == [["Content-Type", "text/html; charset=utf-8"], ["Content-Encoding", "gzip"],
                                   ["Transfer-Encoding", "chunked"]]
    assert ru == ("cp1251",)


def test_a_second_import_resumes_at_the_end_and_again_starts_over(env: dict, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    warc, db = crawl(tmp_path / "crawl.warc.gz"), tmp_path / "warc.db"
    assert run(capsys, "import", "--warc", str(warc), "--db", str(db))[0] == 0
    code, out, _ = run(capsys, "import", "--warc", str(warc), "--db", str(db))
    assert code == 0 and out.startswith(f"{warc}: already, resumed at byte {warc.stat().st_size}, 11 records")
    code, out, _ = run(capsys, "import", "--warc", str(warc), "--db", str(db), "--again")
    assert code == 0 and "4 pages stored (4 unchanged), 1 revisits" in out
    with Store.open(f"sqlite:///{db}") as store:
        assert len(store.list_articles()) == 3
        assert [v.version for v in store.versions(CASE_URL)] == [1]


def test_originals_not_in_the_warc_are_fetched_only_when_asked(env: dict, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    warc = write_warc(tmp_path / "copy.warc.gz", [Rec(CASE_URL, COPY_DATE, fixture_page(CASE_URL))])
    db = tmp_path / "warc.db"
    code, out, _ = run(capsys, "import", "--warc", str(warc), "--db", str(db))
    assert code == 0
    assert "originals: 1 pending (named by copies, in no WARC given; --fetch-originals fetches them)" in out
    assert views(db)[RT_URL]["status"] == "pending"
    code, out, _ = run(capsys, "import", "--warc", str(warc), "--db", str(db), "--fetch-originals")
    assert code == 0 and "originals: 1 fetched, 0 failed" in out
    got = views(db)
    assert got[RT_URL]["status"] == "ok" and got[CASE_URL]["original"]["status"] == "ok"


# -- export ---------------------------------------------------------------------------------------------


def test_export_passes_warcio_check_and_cdx_indexer_and_imports_back(
        env: dict, fetched: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_warc = tmp_path / "export.warc.gz"
    code, out, _ = run(capsys, "export", "--warc", str(out_warc), "--with-records", "--db", str(fetched))
    assert code == 0
    assert out.strip() == f"wrote 3 response records and 3 metadata records to {out_warc}"
    check = subprocess.run([str(BIN / "warcio"), "check", "-v", str(out_warc)], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("digest pass") == 7  # warcinfo, 3 responses, 3 metadata records
    cdx = subprocess.run([str(BIN / "cdx-indexer"), str(out_warc)], capture_output=True, text=True)
    assert cdx.returncode == 0, cdx.stderr
    lines = [line.split() for line in cdx.stdout.splitlines()[1:]]
    assert sorted((f[2], f[3], f[4]) for f in lines) == sorted(
        [(u, "text/html", "200") for u in (CASE_URL, RT_URL, RU_URL)] + [(u, "application/json", "-")
                                                                         for u in (CASE_URL, RT_URL, RU_URL)])

    with out_warc.open("rb") as fh:
        records = list(_records(fh))
    info, responses, metadata = records[0], records[1::2], records[2::2]
    assert info["type"] == "warcinfo" and b"software: repub/" in info["payload"]
    fetched_views = views(fetched)
    for response, meta in zip(responses, metadata, strict=True):
        url = response["uri"]
        assert response["date"] == fetched_views[url]["first_seen_at"]
        assert response["status"] == "200 OK" and response["protocol"] == "HTTP/1.1"
        names = [k.lower() for k, _ in response["http"]]
        assert "content-encoding" not in names and "transfer-encoding" not in names
        length = dict((k.lower(), v) for k, v in response["http"])["content-length"]
        assert length == str(len(response["payload"]))
        assert meta["concurrent_to"] == response["id"]
        record = json.loads(meta["payload"])
        assert {k: record[k] for k in VIEW_KEYS} == {k: fetched_views[url][k] for k in VIEW_KEYS}
    assert responses[[r["uri"] for r in responses].index(RU_URL)]["payload"] == RUSSIAN.encode("cp1251")

    db = tmp_path / "back.db"
    code, out, _ = run(capsys, "import", "--warc", str(out_warc), "--db", str(db), "--processes", "2")
    assert code == 0, out
    back = views(db)
    assert sorted(back) == sorted(fetched_views)
    for url, view in fetched_views.items():
        for key in VIEW_KEYS:
            assert back[url][key] == view[key], f"{url}: {key}"
    # each version dated by its page's fetch (the records' WARC-Date); an article's first_seen_at may be
    # earlier than its page's when a copy named it first (its pending stub's date, as ingest keeps it)
    assert _version_dates(db) == _version_dates(fetched)


def _version_dates(db: Path) -> dict[str, list[tuple[str, str]]]:
    with Store.open(f"sqlite:///{db}") as store:
        return {v.url: [(x.first_seen_at, x.last_seen_at) for x in store.versions(v.url)]
                for v in store.list_articles()}


def test_pages_kept_before_headers_export_with_what_they_have(env: dict, fetched: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "old.db"
    db.write_bytes(fetched.read_bytes())
    with sqlite3.connect(db) as conn:  # as rows kept before migration 0010 are
        conn.execute("UPDATE raw_pages SET status_line = NULL, headers = NULL")
    out_warc = tmp_path / "old.warc"
    code, out, _ = run(capsys, "export", "--warc", str(out_warc), "--site", "rt.com", "--db", str(db))
    assert code == 0
    assert out.strip() == (
        f"wrote 1 response records to {out_warc}; 1 pages were kept before repub kept status lines and "
        "headers (migration 0010): written as HTTP/1.1 200 OK with the Content-Type of their encoding, "
        "marked WARC-Repub-Headers: not-kept")
    with out_warc.open("rb") as fh:
        (_info, response) = list(_records(fh))
    assert response["uri"] == RT_URL and response["not_kept"] == "not-kept"
    assert response["http"] == [("Content-Type", "text/html; charset=utf-8"),
                                ("Content-Length", str(len(fixture_page(RT_URL))))]


def test_export_to_a_place_that_cannot_be_written(env: dict, fetched: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no" / "such" / "dir" / "x.warc.gz"
    code, out, err = run(capsys, "export", "--warc", str(target), "--db", str(fetched))
    assert (code, out) == (1, "")
    assert err == f"repub: cannot write {target}: No such file or directory\n"


def _records(fh: io.BufferedReader) -> Iterator[dict]:
    for record in ArchiveIterator(fh):
        http = record.http_headers
        yield {"type": record.rec_type, "uri": record.rec_headers.get_header("WARC-Target-URI"),
               "date": record.rec_headers.get_header("WARC-Date"),
               "id": record.rec_headers.get_header("WARC-Record-ID"),
               "concurrent_to": record.rec_headers.get_header("WARC-Concurrent-To"),
               "not_kept": record.rec_headers.get_header("WARC-Repub-Headers"),
               "status": http.statusline if http else None, "protocol": http.protocol if http else None,
               "http": list(http.headers) if http else None, "payload": record.content_stream().read()}


# -- bad input ------------------------------------------------------------------------------------------


def _good(tmp_path: Path, name: str) -> Path:
    rt_body = fixture_page(RT_URL)
    return write_warc(tmp_path / name, [Rec(RU_URL, RU_DATE, RUSSIAN.encode("cp1251"), headers=CP1251),
                                        Rec(RT_URL, RT_DATE, rt_body)])


def _cut_gzip(tmp_path: Path) -> Path:
    good = _good(tmp_path, "whole.warc.gz").read_bytes()
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(good[: len(good) - 2000])  # inside the last record (the RT page)
    return path


def _lying_length(tmp_path: Path) -> Path:
    good = _good(tmp_path, "whole.warc").read_bytes()
    first = good.index(b"Content-Length: ", good.index(RU_URL.encode()))
    end = good.index(b"\r\n", first)
    length = int(good[first + 16:end])
    path = tmp_path / "lying.warc"
    path.write_bytes(good[:first] + f"Content-Length: {length + 300}".encode() + good[end:])
    return path


@pytest.mark.parametrize(("case", "message", "stored"), [
    ("garbage", "not a WARC record here (it starts ['<html>', 'not', 'a', 'warc", []),
    ("cut-gzip", "", [RU_URL]),
    ("lying-length", "", []),
    ("whole-file-gzip", "not a WARC with one gzip member per record (a whole-file gzip): `warcio recompress "
                        "FILE NEW.warc.gz` writes one that can be read (at byte 0)", []),
    ("missing", "cannot read: No such file or directory", []),
])
def test_a_corrupt_file_gives_one_line_and_exit_1(case: str, message: str, stored: list[str], env: dict,
                                                  tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if case == "garbage":
        path = tmp_path / "garbage.warc.gz"
        path.write_bytes(b"<html> not a warc\n" + os.urandom(4000))
    elif case == "cut-gzip":
        path = _cut_gzip(tmp_path)
    elif case == "lying-length":
        path = _lying_length(tmp_path)
    elif case == "whole-file-gzip":
        path = tmp_path / "whole.warc.gz"
        path.write_bytes(gzip.compress(_good(tmp_path, "plain.warc").read_bytes()))
    else:
        path = tmp_path / "missing.warc.gz"
    db = tmp_path / "repub.db"
    code, out, err = run(capsys, "import", "--warc", str(path), "--db", str(db))
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"repub: {path}: "), err
    assert "Traceback" not in err
    assert message in lines[0]
    assert out.splitlines()[0].startswith(f"{path}: failed")
    assert sorted(views(db)) == stored
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM article_versions").fetchone()[0] == len(stored)
        rows = conn.execute("SELECT status, error FROM warc_files").fetchall()
    if case != "missing":
        assert rows == [("failed", lines[0].removeprefix("repub: "))]


def test_what_each_corrupt_file_says(env: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The lines themselves, where the offset depends on the bytes warcio wrote."""
    cut = _cut_gzip(tmp_path)
    code, _out, err = run(capsys, "import", "--warc", str(cut), "--db", str(tmp_path / "a.db"))
    assert code == 1 and err.startswith(f"repub: {cut}: the file ends inside a record: truncated (")
    lying = _lying_length(tmp_path)
    code, _out, err = run(capsys, "import", "--warc", str(lying), "--db", str(tmp_path / "b.db"))
    assert code == 1 and err.startswith(f"repub: {lying}: Invalid WARC record, first line: ")
    with sqlite3.connect(tmp_path / "b.db") as conn:
        assert conn.execute("SELECT error_kind FROM fetch_log").fetchall() == [("broken",)]
    # the installed command, as a user runs it: one line on stderr, nothing from warcio or logging
    garbage = tmp_path / "garbage.warc"
    garbage.write_bytes(b"\x00\x01binary\xff" * 100)
    proc = subprocess.run([str(REPUB), "import", "--warc", str(garbage), "--db", str(tmp_path / "c.db")],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert proc.stderr == (f"repub: {garbage}: not a WARC record here (it starts ['\\x00\\x01binaryÿ\\x00"
                           "\\x01binaryÿ\\x00\\x01binaryÿ\\x00\\x01binar…) (at byte 0)\n")


def test_a_record_whose_http_body_is_short_is_counted_not_stored(env: dict, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    body = fixture_page(RT_URL)
    raw = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: "
           + str(len(body) + 500).encode() + b"\r\n\r\n" + body)
    warc = write_warc(tmp_path / "short.warc.gz", [Rec(RT_URL, RT_DATE, raw_http=raw)])
    db = tmp_path / "repub.db"
    code, out, err = run(capsys, "import", "--warc", str(warc), "--db", str(db))
    assert (code, err) == (0, "")
    assert "0 pages stored, 1 truncated, 1 other-records" in out
    assert views(db) == {}
    with Store.open(f"sqlite:///{db}") as store:
        (line,) = store.fetch_log()
    assert (line.url, line.error_kind, line.status) == (RT_URL, "truncated", 200)
    assert line.error == (f"body of {len(body)} bytes, shorter than its Content-Length {len(body) + 500} "
                          f"(WARC {warc} at byte {line.error.rsplit(' ', 1)[1]}")


def test_a_challenge_page_in_a_warc_is_a_bot_wall_as_when_fetched(
        env: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    challenge = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>wait</body></html>"
    warc = write_warc(tmp_path / "wall.warc.gz", [Rec(RT_URL, RT_DATE, challenge)])
    db = tmp_path / "repub.db"
    code, out, err = run(capsys, "import", "--warc", str(warc), "--db", str(db))
    assert (code, err) == (0, "")
    assert "0 pages stored, 1 bot-wall, 1 other-records" in out
    with Store.open(f"sqlite:///{db}") as store:
        (line,) = store.fetch_log()
        assert store.list_articles() == []
    assert (line.error_kind, line.error.split(" (WARC ")[0]) == ("bot-wall", (
        'bot wall: Cloudflare answered with a challenge or block page (HTTP 200, title "Just a moment...")'))


def test_urls_and_warc_files_are_not_given_together(env: dict, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "import", "--db", str(tmp_path / "x.db"))[0] == 2
    warc = _good(tmp_path, "g.warc.gz")
    code, _out, err = run(capsys, "import", RT_URL, "--warc", str(warc), "--db", str(tmp_path / "x.db"))
    assert code == 2 and err == "repub: import: give URLs to fetch, or --warc FILE... to read (not both)\n"


# -- interrupted, then resumed ----------------------------------------------------------------------------


ARTICLE = ("<html><head><title>Report {n}: the river</title></head><body><article>"
           "<h1>Report {n}: the river</h1>{paragraphs}</article></body></html>")


def many_pages(path: Path, count: int) -> Path:
    sentence = ("The river rose again this spring and the town council met in the old school hall to decide "
                "what should be done about the bridge, the farms and the road to the station. ")
    records = []
    for n in range(count):
        paragraphs = "".join(f"<p>Part {p} of report {n}. {sentence * 3}</p>" for p in range(6))
        records.append(Rec(f"https://news.example.org/2024/reports/{n}/",
                           f"2024-01-{n % 28 + 1:02d}T12:00:00Z",
                           ARTICLE.format(n=n, paragraphs=paragraphs).encode()))
    return write_warc(path, records)


def test_sigterm_mid_file_then_the_import_resumes_without_duplicates(env: dict, tmp_path: Path) -> None:
    count = 400
    warc, db = many_pages(tmp_path / "many.warc.gz", count), tmp_path / "repub.db"
    run_env = {**env, "REPUB_DB": str(db), "REPUB_WARC_POOL_MIN_BYTES": "0"}  # worker processes too
    proc = subprocess.Popen([str(REPUB), "import", "--warc", str(warc), "--processes", "2"], env=run_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        offset = 0
        deadline = time.monotonic() + 120
        while offset == 0 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            offset = _offset(db)
        assert offset > 0, "no batch committed"
        # two extraction workers forked from the command itself (repub.ingest.helpers.fork_context): no
        # fork server or resource tracker between them and it
        workers = children(proc.pid)
        assert len(workers) == 2 and [c for w in workers for c in children(w)] == []
        assert [opens(w, str(db)) for w in workers] == [0, 0]  # forked with no database file open
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert err == ("repub: interrupted: the next `repub import --warc` of the same files resumes where this "
                   "stopped\n")
    assert wait_gone(workers) == []
    with sqlite3.connect(db) as conn:
        status, stopped_at, counts = conn.execute("SELECT status, offset, counts FROM warc_files").fetchone()
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        logged = conn.execute("SELECT count(*) FROM fetch_log").fetchone()[0]
    assert status == "interrupted" and 0 < stopped_at < warc.stat().st_size
    assert stored == logged == json.loads(counts)["new"] < count  # the committed batches, whole

    done = subprocess.run([str(REPUB), "import", "--warc", str(warc)], env=run_env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{warc}: done, resumed at byte {stopped_at}, {count + 1} records: "
                                  f"{count} pages stored ({count} new), 1 other-records")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == count
        logged = conn.execute("SELECT count(*), count(DISTINCT url) FROM fetch_log").fetchone()
        assert logged == (count, count)
        assert conn.execute("SELECT count(*) FROM article_versions").fetchone()[0] == count
        assert conn.execute("SELECT count(*) FROM raw_pages").fetchone()[0] == count
        assert conn.execute("SELECT min(first_seen_at), max(first_seen_at) FROM articles").fetchone() == (
            "2024-01-01 12:00:00.000000", "2024-01-28 12:00:00.000000")


def _offset(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            row = conn.execute("SELECT offset FROM warc_files").fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0]) if row else 0


def test_many_files_over_processes(env: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [many_pages(tmp_path / f"part{i}.warc.gz", 5) for i in range(3)]  # the same 5 URLs each
    files.append(_good(tmp_path, "good.warc"))
    db = tmp_path / "repub.db"
    code, out, err = run(capsys, "import", "--warc", *map(str, files), "--db", str(db), "--processes", "2")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert sorted(line.split(": ", 1)[0] for line in lines[:-1]) == sorted(map(str, files))
    assert lines[-1].startswith("imported 4 WARC files (4 done): 21 records: 17 pages stored (7 new, "
                                "10 unchanged), 4 other-records; ")
    assert len(views(db)) == 7


# -- what the fetcher keeps for a WARC -----------------------------------------------------------------


def test_a_fetched_page_keeps_its_status_line_and_headers(fetched: Path) -> None:
    with sqlite3.connect(fetched) as conn:
        status_line, headers = conn.execute(
            "SELECT r.status_line, r.headers FROM raw_pages r JOIN articles a ON a.id = r.article_id "
            "WHERE a.url = ?", (RU_URL,)).fetchone()
    assert status_line == "HTTP/1.1 200 OK"
    names = [name for name, _ in json.loads(headers)]
    assert names[:2] == ["Server", "Date"]  # as http.server sends them, in order and case
    assert ["Content-Type", "text/html; charset=windows-1251"] in json.loads(headers)


def test_busy_file_is_refused_with_one_line(env: dict, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    warc, db = _good(tmp_path, "g.warc.gz"), tmp_path / "repub.db"
    assert run(capsys, "import", "--warc", str(warc), "--db", str(db), "--again")[0] == 0
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE warc_files SET status = 'running', pid = ?", (sleeper.pid,))
        code, out, err = run(capsys, "import", "--warc", str(warc), "--db", str(db))
    finally:
        sleeper.kill()
        sleeper.wait()
    assert code == 1
    assert err.startswith(f"repub: {warc}: being imported by process {sleeper.pid} (started ")


def test_import_resume_and_export_on_every_backend(any_db_url: str, tmp_path: Path) -> None:
    """The store side (warc_files and its "offset" column, headers as JSON, revisits by digest) on
    SQLite and PostgreSQL: the Python API the command runs."""
    from repub.store.warcfiles import warc_file
    from repub.warc.export import export_warc
    from repub.warc.importer import FileImport, ImportOptions

    warc = crawl(tmp_path / "crawl.warc.gz")
    with Store.open(any_db_url) as store:
        first = FileImport(store, warc, ImportOptions()).run()
        figures = (first.status, first.records, first.counts["new"], first.counts["revisits"])
        assert figures == ("done", 11, 3, 1)
        again = FileImport(store, warc, ImportOptions()).run()
        assert (again.status, again.resumed_at) == ("already", warc.stat().st_size)
        row = warc_file(store, 1)
        assert row is not None and (row.status, row.offset, row.records) == ("done", warc.stat().st_size, 11)
        assert store.get(RT_URL).last_checked_at == REVISIT_DATE  # type: ignore[union-attr]
        report = export_warc(store, tmp_path / "out.warc.gz", site="example.ru", with_records=True)
    assert (report.responses, report.metadata, report.without_headers) == (1, 1, 0)
    with (tmp_path / "out.warc.gz").open("rb") as fh:
        _info, response, meta = list(_records(fh))
    assert (response["uri"], response["date"]) == (RU_URL, RU_DATE)
    assert response["payload"] == RUSSIAN.encode("cp1251")
    assert response["http"] == [("Content-Type", "text/html; charset=windows-1251"),
                                ("Content-Length", str(len(RUSSIAN.encode("cp1251"))))]
    assert json.loads(meta["payload"])["title"] == "Завод в Туле снова работает"


def test_a_killed_import_process_fails_its_file_and_the_next_run_finishes_it(env: dict,
                                                                              tmp_path: Path) -> None:
    files = [many_pages(tmp_path / "a.warc.gz", 300), many_pages(tmp_path / "b.warc.gz", 300)]
    db = tmp_path / "repub.db"
    run_env = {**env, "REPUB_DB": str(db)}
    proc = subprocess.Popen([str(REPUB), "import", "--warc", *map(str, files), "--processes", "2"],
                            env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while _offset(db) == 0 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert _offset(db) > 0, "no batch committed"
        kids = children(proc.pid)
        assert len(kids) == 2
        os.kill(kids[0], signal.SIGKILL)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1, err
    (line,) = err.splitlines()
    assert line.startswith("repub: ")
    assert line.endswith(": the import process died (exit code -9); run again to resume")
    done = subprocess.run([str(REPUB), "import", "--warc", *map(str, files)], env=run_env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 300  # the same URLs in both
        assert conn.execute("SELECT count(*) FROM fetch_log").fetchone()[0] == 600  # each record once
        assert conn.execute("SELECT group_concat(status) FROM warc_files").fetchone()[0] == "done,done"


def test_sigterm_with_files_over_processes_stops_each_child_then_resumes(env: dict, tmp_path: Path) -> None:
    """The children are helpers that ignore signals: the command tells each to stop through its pipe,
    each records its file as interrupted after its last commit, and the next run finishes them."""
    files = [many_pages(tmp_path / "a.warc.gz", 300), many_pages(tmp_path / "b.warc.gz", 300)]
    db = tmp_path / "repub.db"
    run_env = {**env, "REPUB_DB": str(db)}
    proc = subprocess.Popen([str(REPUB), "import", "--warc", *map(str, files), "--processes", "2"],
                            env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while _offset(db) == 0 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert _offset(db) > 0, "no batch committed"
        kids = children(proc.pid)
        assert len(kids) == 2
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert err == ("repub: interrupted: the next `repub import --warc` of the same files resumes where this "
                   "stopped\n")
    assert wait_gone(kids) == []
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT status, offset, counts FROM warc_files").fetchall()
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        logged = conn.execute("SELECT count(*) FROM fetch_log").fetchone()[0]
    assert "interrupted" in {status for status, _, _ in rows}
    assert all(status in ("interrupted", "done") for status, _, _ in rows), rows
    # what was committed is whole: one log line per page each file counted, no page beyond them
    assert logged == sum(json.loads(counts).get("new", 0) + json.loads(counts).get("unchanged", 0)
                         for _, _, counts in rows)
    assert stored <= 300
    done = subprocess.run([str(REPUB), "import", "--warc", *map(str, files)], env=run_env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 300  # the same URLs in both
        assert conn.execute("SELECT count(*) FROM fetch_log").fetchone()[0] == 600  # each record once
        assert conn.execute("SELECT group_concat(status) FROM warc_files").fetchone()[0] == "done,done"
