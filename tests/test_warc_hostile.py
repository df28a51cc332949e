"""Hostile WARC files (issue 20): what a crawl in the wild holds besides pages, and files broken on
the way. Every WARC here is written by warcio (tests/test_warc.py's ``write_warc``), then, where a
crawler's bug is the point, broken byte by byte. The real CLI, real SQLite files.

A record that is merely bad is counted under its kind, gets one fetch-log line (or none for records
that are no page at all: dns:, metadata, resource) and never stops the file; a file whose structure
fails stops there with one line naming the file, what is wrong and the byte offset, keeps the pages
before it whole and writes nothing half; a second run says the same and duplicates nothing.
"""

from __future__ import annotations

import gzip
import io
import sqlite3
import subprocess
from pathlib import Path

import pytest
from warcio.warcwriter import WARCWriter

from repub.store import Store
from test_warc import (  # noqa: F401 - env and web are fixtures this module's tests use
    BIN,
    CP1251,
    RT_DATE,
    RT_URL,
    RU_DATE,
    RU_URL,
    RUSSIAN,
    Rec,
    env,
    fixture_page,
    run,
    views,
    web,
    write_warc,
)

SITE = "https://news.example.org/2024"
HUGE = 11 * 1024 * 1024  # over the fetcher's 10 MB cap
NOT_HTTP = f"{SITE}/not-http/"
FAKE_DIGEST = "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


def _page(words: str) -> bytes:
    return f"<html><head><title>{words}</title></head><body><p>{words}</p></body></html>".encode()


def hostile(path: Path) -> Path:
    """A WARC of what crawls hold besides pages, between two good pages (the Russian page first, the
    RT page last: both must be stored)."""
    bomb = gzip.compress(b"<html><body>" + b" " * (30 * 1024 * 1024) + b"</body></html>")
    records = [
        Rec(RU_URL, RU_DATE, RUSSIAN.encode("cp1251"), headers=CP1251),
        Rec(f"{SITE}/bad-date/", "yesterday at noon", _page("bad date")),
        Rec(f"{SITE}/future-date/", "2999-01-01T00:00:00Z", _page("future date")),
        Rec(f"{SITE}/huge/", RT_DATE, b"<html><body>" + b"x" * HUGE + b"</body></html>"),
        Rec(f"{SITE}/bomb/", RT_DATE, bomb,
            headers=(("Content-Type", "text/html"), ("Content-Encoding", "gzip"))),
        Rec(f"{SITE}/corrupt-gzip/", RT_DATE, bytes(range(256)) * 8,
            headers=(("Content-Type", "text/html"), ("Content-Encoding", "gzip"))),
        Rec(f"{SITE}/odd-encoding/", RT_DATE, bytes(range(256)) * 8,
            headers=(("Content-Type", "text/html"), ("Content-Encoding", "x-unheard-of"))),
        Rec(f"{SITE}/empty/", RT_DATE, b""),
        Rec(NOT_HTTP, RT_DATE, _page("not http")),  # its status line is broken below
        Rec(f"{SITE}/never-kept/", "2024-05-01T00:00:00Z", kind="revisit",
            extra=(("WARC-Payload-Digest", FAKE_DIGEST), ("WARC-Profile",
                   "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"))),
        Rec(RT_URL, RT_DATE, fixture_page(RT_URL)),
    ]
    write_warc(path, records, gz=False)
    with path.open("ab") as out:  # records that are no page: DNS, metadata, a resource, an unknown type
        writer = WARCWriter(out, gzip=False)
        for uri, kind, ctype, payload in [
                ("dns:www.rt.com", "resource", "text/dns", b"20240501000000\nwww.rt.com. 300 IN A 192.0.2.1"),
                (RT_URL, "metadata", "application/warc-fields", b"outlink: https://www.rt.com/\r\n"),
                (f"{SITE}/a-resource/", "resource", "text/html", _page("a resource")),
                (f"{SITE}/unknown-type/", "bogus", "text/plain", b"what is this")]:
            writer.write_record(writer.create_warc_record(
                uri, kind, payload=io.BytesIO(payload), length=len(payload), warc_content_type=ctype,
                warc_headers_dict={"WARC-Date": RT_DATE}))
    data = path.read_bytes()
    # a crawler's bug: a response whose HTTP status line is not HTTP's (same length, so the record's
    # Content-Length still holds; warcio's reader takes any first line)
    at = data.index(b"HTTP/1.1 200 OK", data.index(NOT_HTTP.encode()))
    data = data[:at] + b"NOTHTTP!" + data[at + 8:]
    path.write_bytes(data)
    return path


def recompress(plain: Path, out: Path) -> Path:
    """``plain`` as gzip per record, by `warcio recompress` (as a crawl's owner would)."""
    done = subprocess.run([str(BIN / "warcio"), "recompress", str(plain), str(out)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


EXPECTED_LOG = {  # url -> (error kind, HTTP status, the reason's start)
    RU_URL: (None, 200, None),
    f"{SITE}/bad-date/": ("broken", 200, "bad WARC-Date 'yesterday at noon'"),
    f"{SITE}/future-date/": ("broken", 200, "WARC-Date in the future: '2999-01-01T00:00:00Z'"),
    f"{SITE}/huge/": ("too-large", 200, "body exceeds the limit of 10485760 bytes"),
    f"{SITE}/bomb/": ("too-large", 200, "decompressed body exceeds the limit of 10485760 bytes"),
    f"{SITE}/corrupt-gzip/": ("broken", 200, "corrupt gzip body"),
    f"{SITE}/odd-encoding/": ("broken", 200, "unsupported Content-Encoding: x-unheard-of"),
    f"{SITE}/empty/": ("broken", 200, "empty body"),
    NOT_HTTP: ("broken", 200, "no HTTP response status line in the record: 'NOTHTTP! 200 OK'"),
    f"{SITE}/never-kept/": ("revisit-unresolved", 200,
                            f"revisit of a record not stored as a page here ({FAKE_DIGEST})"),
    f"{SITE}/unknown-type/": ("broken", None, "broken WARC record: unknown WARC-Type 'bogus'"),
    RT_URL: (None, 200, None),
}


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip-per-record"])
def test_records_a_crawl_holds_besides_pages_are_counted_and_logged_never_fatal(
        gz: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    warc = hostile(tmp_path / "hostile.warc")
    if gz:
        warc = recompress(warc, tmp_path / "hostile.warc.gz")
    db = tmp_path / "repub.db"
    code, out, err = run(capsys, "import", "--warc", str(warc), "--db", str(db))
    assert (code, err) == (0, "")
    first = out.splitlines()[0]
    # other-records: warcinfo, dns:, metadata, the resource; broken: the seven above
    assert first.startswith(f"{warc}: done, 16 records: 2 pages stored (2 new), 7 broken, 2 too-large, "
                            "1 revisit-unresolved, 4 other-records, "), first
    with Store.open(f"sqlite:///{db}") as store:
        log = {e.url: e for e in store.fetch_log(limit=100)}
        assert sorted(v.url for v in store.list_articles()) == sorted([RU_URL, RT_URL])
    assert set(log) == set(EXPECTED_LOG)
    for url, (kind, status, reason) in EXPECTED_LOG.items():
        entry = log[url]
        assert (entry.error_kind, entry.status) == (kind, status), url
        if reason is None:
            assert entry.error is None, url
        else:
            assert entry.error is not None and entry.error.startswith(reason), (url, entry.error)
            assert f"(WARC {warc} at byte " in entry.error, entry.error  # where to look
            assert "\n" not in entry.error and "Traceback" not in entry.error
    with sqlite3.connect(db) as conn:  # the two pages whole, nothing else half-written
        rows = [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("articles", "article_versions", "raw_pages")]
        status, offset = conn.execute("SELECT status, offset FROM warc_files").fetchone()
    assert rows == [2, 2, 2]
    assert (status, offset) == ("done", warc.stat().st_size)
    assert views(db)[RU_URL]["title"] == "Завод в Туле снова работает"


# -- files whose structure fails ------------------------------------------------------------------------


def _two_pages(path: Path) -> Path:
    return write_warc(path, [Rec(RU_URL, RU_DATE, RUSSIAN.encode("cp1251"), headers=CP1251),
                             Rec(RT_URL, RT_DATE, fixture_page(RT_URL))])


def _record_start(data: bytes, uri: str, gz: bool) -> int:
    """The offset of the record of ``uri`` (of its gzip member when ``gz``)."""
    from warcio.archiveiterator import ArchiveIterator

    it = ArchiveIterator(io.BytesIO(data))
    for record in it:
        if record.rec_headers.get_header("WARC-Target-URI") == uri:
            return int(it.get_record_offset())
    raise AssertionError(uri)


def bad_header_line(tmp_path: Path, gz: bool) -> tuple[Path, int]:
    """The second record's first line garbled ('WARX/1.0'), as a bad disk or a bad concatenation
    leaves it."""
    plain = _two_pages(tmp_path / "two.warc").read_bytes()
    at = _record_start(plain, RT_URL, False)
    assert plain[at:at + 8] == b"WARC/1.0" or plain[at:at + 8] == b"WARC/1.1"
    broken = plain[:at] + b"WARX" + plain[at + 4:]
    path = tmp_path / "bad-header.warc"
    path.write_bytes(broken)
    if not gz:
        return path, at
    first = broken[:at]
    rest = broken[at:]
    out = tmp_path / "bad-header.warc.gz"
    # gzip per record: the good record, then the broken one as its own member
    good = recompress(_write(tmp_path / "first.warc", first), tmp_path / "first.warc.gz").read_bytes()
    out.write_bytes(good + gzip.compress(rest))
    return out, len(good)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def gzip_cut_in_header(tmp_path: Path) -> tuple[Path, int]:
    """A gzip-per-record WARC cut inside the second record's gzip member, within its WARC headers."""
    whole = _two_pages(tmp_path / "two.warc.gz").read_bytes()
    at = _record_start(whole, RT_URL, True)
    path = tmp_path / "cut-early.warc.gz"
    path.write_bytes(whole[:at + 60])
    return path, at


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("case", ["bad-header-plain", "bad-header-gzip", "gzip-cut-in-header"])
def test_a_file_broken_mid_way_keeps_the_pages_before_and_says_where(
        case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if case == "gzip-cut-in-header":
        path, at = gzip_cut_in_header(tmp_path)
    else:
        path, at = bad_header_line(tmp_path, gz=case.endswith("gzip"))
    db = tmp_path / "repub.db"
    for attempt in (1, 2):  # the second run resumes at the broken record: the same line, nothing twice
        code, out, err = run(capsys, "import", "--warc", str(path), "--db", str(db))
        assert code == 1, (attempt, out, err)
        (line,) = err.splitlines()
        assert line.startswith(f"repub: {path}: ") and line.endswith(f" (at byte {at})"), line
        assert "Traceback" not in err
        assert out.splitlines()[0].startswith(f"{path}: failed")
        assert sorted(views(db)) == [RU_URL]
        with sqlite3.connect(db) as conn:
            rows = [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                    for t in ("articles", "article_versions", "raw_pages", "fetch_log")]
            status, offset, error = conn.execute("SELECT status, offset, error FROM warc_files").fetchone()
        assert rows == [1, 1, 1, 1], attempt
        assert (status, offset, error) == ("failed", at, line.removeprefix("repub: "))


@pytest.mark.parametrize("name", ["two.warc", "two.warc.gz"])
def test_records_read_from_a_resume_offset_carry_the_files_offsets(name: str, tmp_path: Path) -> None:
    """A resumed import reads from a record's offset: the offsets it commits must be the file's own,
    as a read from the start gives them (warcio counts from the stream's position)."""
    from repub.warc.records import read_records

    path = _two_pages(tmp_path / name)
    size = path.stat().st_size
    with path.open("rb") as fh:
        whole = [(r.offset, r.next_offset, r.uri) for r in read_records(fh, name, size=size)]
    assert [uri for _, _, uri in whole] == ["", RU_URL, RT_URL]  # the warcinfo record first
    assert whole[0][0] == 0 and whole[-1][1] == size
    assert all(a[1] == b[0] for a, b in zip(whole, whole[1:], strict=False))
    for index, (offset, _, _) in enumerate(whole):
        with path.open("rb") as fh:
            fh.seek(offset)
            records = read_records(fh, name, start=offset, size=size)
            resumed = [(r.offset, r.next_offset, r.uri) for r in records]
        assert resumed == whole[index:]


# -- digits that are no number ---------------------------------------------------------------------------

LONG_TEXT = ("The ferry service resumed on Thursday after the harbour was cleared of the wreck that had "
             "blocked it for a week, and the first boats left on time. ") * 4


def superscript_digits(path: Path) -> Path:
    """A status code and a Content-Length written with a superscript (latin-1 0xB2, "²"), between two
    good pages: str.isdigit() says yes to "²", int() says no."""
    page = f"<html><head><title>Ferry back</title></head><body><p>{LONG_TEXT}</p></body></html>".encode()
    write_warc(path, [Rec(RU_URL, RU_DATE, RUSSIAN.encode("cp1251"), headers=CP1251),
                      Rec(f"{SITE}/status/", RT_DATE, page), Rec(f"{SITE}/length/", RT_DATE, page),
                      Rec(RT_URL, RT_DATE, fixture_page(RT_URL))], gz=False)
    data = path.read_bytes()
    at = data.index(b"HTTP/1.1 200 OK", data.index(f"{SITE}/status/".encode()))
    data = data[:at] + b"HTTP/1.1 \xb200 OK" + data[at + 15:]
    length = f"Content-Length: {len(page)}\r\n".encode()
    at = data.index(length, data.index(f"{SITE}/length/".encode())) + len("Content-Length: ")
    data = data[:at] + b"\xb2" + data[at + 1:]
    return _write(path, data)


@pytest.mark.usefixtures("env")
def test_digits_that_are_no_number_are_a_broken_record_or_ignored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: ValueError from int("²00") stopped the import with a traceback, the file unread."""
    path = superscript_digits(tmp_path / "superscript.warc")
    db = tmp_path / "repub.db"
    code, out, err = run(capsys, "import", "--warc", str(path), "--db", str(db))
    assert (code, err) == (0, "")
    assert sorted(views(db)) == sorted([RU_URL, f"{SITE}/length/", RT_URL])
    assert views(db)[f"{SITE}/length/"]["title"] == "Ferry back"
    with sqlite3.connect(db) as conn:
        logged = conn.execute("SELECT url, status, error_kind, error FROM fetch_log"
                              " WHERE error_kind IS NOT NULL").fetchall()
    at = _record_start(path.read_bytes(), f"{SITE}/status/", False)
    assert logged == [(f"{SITE}/status/", None, "broken", "no HTTP response status line in the record: "
                       f"'HTTP/1.1 \u00b200 OK' (WARC {path} at byte {at})")]


@pytest.mark.usefixtures("env")
def test_a_gzip_body_cut_short_is_truncated_not_stored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A record whose gzip body stops before its end (its own Content-Length agreeing) was inflated as
    far as it went and stored as the page: an article cut short, stored as if whole."""
    page = f"<html><head><title>Ferry back</title></head><body><p>{LONG_TEXT}</p></body></html>".encode()
    path = write_warc(tmp_path / "cut.warc", [
        Rec(f"{SITE}/cut/", RT_DATE, gzip.compress(page)[:-40],
            headers=(("Content-Type", "text/html"), ("Content-Encoding", "gzip"))),
        Rec(RT_URL, RT_DATE, fixture_page(RT_URL))])
    db = tmp_path / "repub.db"
    code, out, err = run(capsys, "import", "--warc", str(path), "--db", str(db))
    assert (code, err) == (0, "")
    assert sorted(views(db)) == [RT_URL]
    at = _record_start(path.read_bytes(), f"{SITE}/cut/", False)
    with sqlite3.connect(db) as conn:
        logged = conn.execute("SELECT url, status, error_kind, error FROM fetch_log"
                              " WHERE error_kind IS NOT NULL").fetchall()
    assert logged == [(f"{SITE}/cut/", 200, "truncated",
                       f"truncated gzip body: the compressed data ends early (WARC {path} at byte {at})")]


def without_target_uri(tmp_path: Path, gz: bool) -> tuple[Path, int]:
    """Three responses, the middle one's WARC-Target-URI line deleted (its Content-Length, which counts
    the block only, still holds); gzip per record when ``gz``."""
    page = f"<html><head><title>Ferry back</title></head><body><p>{LONG_TEXT}</p></body></html>".encode()
    middle = f"{SITE}/no-uri/"
    recs = [Rec(RU_URL, RU_DATE, RUSSIAN.encode("cp1251"), headers=CP1251), Rec(middle, RT_DATE, page),
            Rec(RT_URL, RT_DATE, fixture_page(RT_URL))]
    plain = write_warc(tmp_path / "three.warc", recs, gz=False).read_bytes()
    starts = [0, *(_record_start(plain, uri, False) for uri in (RU_URL, middle, RT_URL))]  # warcinfo first
    records = [plain[a:b] for a, b in zip(starts, [*starts[1:], len(plain)], strict=True)]
    line = f"WARC-Target-URI: {middle}\r\n".encode()
    assert records[2].count(line) == 1
    records[2] = records[2].replace(line, b"")
    if gz:
        members = [gzip.compress(r) for r in records]
        return _write(tmp_path / "no-uri.warc.gz", b"".join(members)), len(members[0]) + len(members[1])
    return _write(tmp_path / "no-uri.warc", b"".join(records)), starts[2]


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip-per-record"])
def test_a_response_without_a_target_uri_is_broken_and_the_file_read_on(
        gz: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """warcio called startswith on the missing URI (AttributeError): 'not a readable WARC record', the
    file failed there and the records after it were never read."""
    path, at = without_target_uri(tmp_path, gz)
    db = tmp_path / "repub.db"
    code, out, err = run(capsys, "import", "--warc", str(path), "--db", str(db))
    assert (code, err) == (0, "")
    assert out.splitlines()[0].startswith(f"{path}: done, 4 records: 2 pages stored (2 new), 1 broken, "
                                          "1 other-records, ")  # the warcinfo record
    assert sorted(views(db)) == sorted([RU_URL, RT_URL])
    with sqlite3.connect(db) as conn:
        logged = conn.execute("SELECT url, status, error_kind, error FROM fetch_log"
                              " WHERE error_kind IS NOT NULL").fetchall()
    assert logged == [(f"(no URI: {path} at byte {at})", None, "broken",
                       f"no WARC-Target-URI in a response record (WARC {path} at byte {at})")]


def test_the_loader_repub_gives_warcio_is_the_one_it_reads_records_with() -> None:
    """repub.warc.records._Loader replaces ArchiveIterator.loader (warcio's internals: see its
    docstring). A warcio that builds its loader elsewhere, or no longer calls load_http_headers with
    the URI, fails here first."""
    import inspect

    from warcio.archiveiterator import ArchiveIterator
    from warcio.recordloader import ArcWarcRecordLoader

    from repub.warc.records import _Loader

    theirs, ours = ArchiveIterator(io.BytesIO(b"")).loader, _Loader(verify_http=False, arc2warc=False)
    assert type(theirs) is ArcWarcRecordLoader
    # built as warcio builds its own: the same parsers, HTTP status lines not verified
    assert type(ours.arc_parser) is type(theirs.arc_parser)
    assert ours.http_parser.verify is theirs.http_parser.verify is False
    assert "self.loader.parse_record_stream(" in inspect.getsource(ArchiveIterator)
    assert "self.load_http_headers(rec_type, uri, stream, length)" in inspect.getsource(
        ArcWarcRecordLoader.parse_record_stream)
    assert list(inspect.signature(ArcWarcRecordLoader.load_http_headers).parameters) == [
        "self", "rec_type", "uri", "stream", "length"]
    assert ours.load_http_headers("response", None, io.BytesIO(b""), 0) is None
