"""Charsets decided with the bytes, on real pages (fixtures/charsets): over HTTP through the fetcher,
through `repub import`, and through `repub ingest`'s extraction worker processes, which decode the raw
bytes again (all must agree).

The servers reported in issue 15 sent windows-1252 pages labelled UTF-8 (a French page came out
cp1257/cp1250, "voilà à" as "voilŕ ŕ"; a Spanish one cp1250, "años" as "ańos"); issue 16 a UTF-8 page
whose <meta> declares ISO-8859-1 ("sanción" as "sanciÃ³n").
"""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from repub.cli import main
from repub.extract import extract
from repub.fetch import FetchSettings, fetch_page, parse_host_map
from repub.fetch.charset import decode_html, page_language
from repub.ingest import extraction
from webserver import TestWeb

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "charsets"
EXPECTED: dict[str, dict[str, str]] = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
IDS = sorted(EXPECTED)
HOST = "charsets.example"
REAL = f"https://{HOST}"
TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)


def served(page_id: str) -> bytes:
    """The bytes the test server sends for a page (see fixtures/charsets/README.md)."""
    raw = gzip.decompress((FIXTURES / f"{page_id}.html.gz").read_bytes())
    if EXPECTED[page_id]["serve"] == "cp1252":  # a character cp1252 lacks as a reference (&#11015;)
        return raw.decode("utf-8").encode("cp1252", errors="xmlcharrefreplace")
    return raw


def route(page_id: str) -> Callable[[object], tuple[int, dict[str, str], bytes]]:
    body, ctype = served(page_id), EXPECTED[page_id]["content_type"]
    return lambda _h: (200, {"Content-Type": ctype}, body)


@pytest.fixture(scope="module")
def web() -> Iterator[TestWeb]:
    with TestWeb() as server:
        for page_id in IDS:
            server.route(f"/{HOST}/{page_id}", route(page_id))
        yield server


@pytest.mark.parametrize("page_id", IDS)
def test_fetched_page_is_decoded_with_the_charset_its_bytes_are_in(web: TestWeb, page_id: str) -> None:
    expected = EXPECTED[page_id]
    page = fetch_page(f"{REAL}/{page_id}", FetchSettings(host_map=parse_host_map(web.host_map(HOST))))
    assert page.charset == expected["charset"]
    title = TITLE_RE.search(page.text)
    assert title is not None and title.group(1).strip() == expected["title"]
    assert "\ufffd" not in title.group(1)
    # the re-encoded pages come back whole, to the character
    if expected["serve"] == "cp1252":
        assert page.text == served(page_id).decode("cp1252")


@pytest.mark.parametrize("label", ["punycode", "idna", "unicode_escape", "raw-unicode-escape", "undefined",
                                   "base64", "zlib", "rot13", "hex"])
def test_a_codec_that_is_no_charset_is_no_label(label: str) -> None:
    """Python knows these names, but they read no page: punycode raised UnicodeError out of the
    fetcher (a traceback from `repub import`) and decodes in time quadratic in its input; "undefined"
    refuses everything; base64 and the like turn bytes into bytes. Such a label is ignored, as an
    unknown one is, in the header and in the page."""
    page = "<html><head>{}<title>Zürich</title></head><body><p>Grüße aus Zürich</p></body></html>"
    plain = page.format("").encode()
    assert decode_html(plain, f"text/html; charset={label}") == (plain.decode(), "utf-8")
    meta = page.format(f'<meta charset="{label}">').encode()
    assert decode_html(meta, "text/html") == (meta.decode(), "utf-8")
    latin = page.format("").encode("cp1252")
    assert decode_html(latin, f"text/html; charset={label}")[0] == latin.decode("cp1252")
    ascii_page = b"<html><head><title>Bridge</title></head><body><p>The bridge is rebuilt.</p></body></html>"
    assert decode_html(ascii_page, f"text/html; charset={label}") == (ascii_page.decode(), "utf-8")


def test_the_declared_language_is_read_from_the_page() -> None:
    assert page_language(served("6cf7bfa51146732c")) == "es"
    assert page_language(served("2e6962414656d780")) == "da"
    assert page_language(b'<html><head><meta http-equiv="Content-Language" content="fr-CA">') == "fr-ca"
    assert page_language(b"<html><body>no language</body></html>") is None


@pytest.mark.parametrize(
    ("text", "language", "charset"),
    [
        ("Zoë a déjà vu la pièce.", "fr", "cp1252"),
        ("Hace años que el niño no va a la montaña.", "es", "cp1252"),
        ("Zażółć gęślą jaźń, powiedział łącznik.", "pl", "cp1250"),
        ("Çağrı için teşekkür ederiz, İstanbul'da görüşürüz.", "tr", "cp1254"),
        ("Президент заявил, что переговоры продолжатся.", "ru", "cp1251"),
        ("Η κυβέρνηση ανακοίνωσε νέα μέτρα σήμερα.", "el", "cp1253"),
    ],
)
def test_short_text_labelled_utf8_takes_its_languages_code_page(text: str, language: str,
                                                                charset: str) -> None:
    """The issue's words, each in the Windows code page of its language, labelled UTF-8."""
    page = f'<html lang="{language}"><head><meta charset="utf-8"><title>{text}</title></head></html>'
    assert decode_html(page.encode(charset), "text/html; charset=utf-8") == (page, charset)


def test_without_a_language_latin_text_is_not_taken_for_a_baltic_or_central_european_page() -> None:
    page = "<html><head><title>Zoë a déjà vu la pièce; hace años que el niño no va.</title></head></html>"
    assert decode_html(page.encode("cp1252"), "text/html; charset=utf-8") == (page, "cp1252")
    polish = "<html><head><title>Zażółć gęślą jaźń, powiedział łącznik; żółw i ćma.</title></head></html>"
    assert decode_html(polish.encode("cp1250"), "text/html; charset=utf-8") == (polish, "cp1250")


def stored_titles(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT url, title FROM articles WHERE status = 'ok'").fetchall())


def true_title(page_id: str) -> str | None:
    """What repub extracts from the page decoded right: what it must store, whatever the label said."""
    text = served(page_id).decode(EXPECTED[page_id]["charset"], errors="replace")
    return extract(text, f"{REAL}/{page_id}").title


@pytest.mark.parametrize("page_id", ["6cf7bfa51146732c", "c3db87bd2badd2e8", "2e6962414656d780"])
def test_import_stores_the_article_as_written(web: TestWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              page_id: str) -> None:
    monkeypatch.setenv("REPUB_HOST_MAP", web.host_map(HOST))
    monkeypatch.delenv("REPUB_DATABASE_URL", raising=False)
    db = tmp_path / "repub.db"
    assert main(["import", f"{REAL}/{page_id}", "--db", str(db), "--no-follow-original"]) == 0
    title = stored_titles(db)[f"{REAL}/{page_id}"]
    assert title == true_title(page_id)
    assert not re.search("[ńŕėąÃ]", title)


def test_ingest_worker_processes_decode_as_the_fetcher_did(
    web: TestWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The extraction workers get only the bytes and the Content-Type, and decode them again."""
    pages = ["6cf7bfa51146732c", "c3db87bd2badd2e8", "2e6962414656d780", "257b54cbec4e4417"]
    sitemap = "".join(f"<url><loc>{REAL}/{p}</loc></url>" for p in pages)
    body = (f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{sitemap}'
            "</urlset>").encode()
    web.route(f"/{HOST}/sitemap.xml", lambda _h: (200, {"Content-Type": "application/xml"}, body))
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "c"\nsite = "{REAL}/"\nsitemaps = ["{REAL}/sitemap.xml"]\n'
                       "rate = 100\nconcurrency = 4\nfollow_originals = false\n", encoding="utf-8")
    monkeypatch.setenv("REPUB_HOST_MAP", web.host_map(HOST))
    monkeypatch.setenv(extraction.POOL_MIN_ENV, "0")  # 4 pages: through the worker processes all the same
    monkeypatch.delenv("REPUB_DATABASE_URL", raising=False)
    db = tmp_path / "repub.db"
    code = main(["ingest", "--sources", str(sources), "--db", str(db)])
    out, _ = capsys.readouterr()
    assert code == 0 and out.startswith("ingest run 1 ok: discovered 4, new 4, updated 0, failed 0, ")
    assert stored_titles(db) == {f"{REAL}/{p}": true_title(p) for p in pages}
    with sqlite3.connect(db) as conn:
        kept = dict(conn.execute("SELECT url, encoding FROM raw_pages").fetchall())
    assert kept == {f"{REAL}/{p}": EXPECTED[p]["charset"] for p in pages}
