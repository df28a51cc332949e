"""``repub ingest`` over sitemaps as real servers send them: a purpose-built site on 127.0.0.1.

Child sitemaps served as gzip files (``application/x-gzip``, no Content-Encoding), and sitemap indexes
that list their children newest first, each child with its ``<lastmod>``. Every assertion is on what
was stored and on the server's own request log (what it was asked, in order).
"""

from __future__ import annotations

import gzip
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from repub.cli import main
from webserver import TestWeb

HOST = "news.example.org"
SITE = f"https://{HOST}"
ROBOTS = b"User-agent: *\nDisallow: /private/\n"
PARAGRAPH = (
    "The council of {town} voted on Tuesday to rebuild the old bridge over the river, after engineers "
    "found cracks in two of its piers. Work should start in spring and last eighteen months; a ferry will "
    "carry cyclists and pedestrians meanwhile, and buses will take the long way round by the ring road."
)


def article(slug: str) -> bytes:
    town = slug.replace("-", " ").title()
    text = PARAGRAPH.format(town=town)
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{town} rebuilds its bridge"
            f"</title></head><body><article><h1>{town} rebuilds its bridge</h1><p>{text}</p><p>{text}</p>"
            "</article></body></html>").encode()


def urlset(*paths: str) -> bytes:
    """A urlset of ``/YYYY/MM/slug/`` article paths, each with its month as lastmod."""
    entries = "".join(f"<url><loc>{SITE}{p}</loc><lastmod>{p[1:8].replace('/', '-')}-15T08:00:00+00:00"
                      "</lastmod></url>" for p in paths)
    return (f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{entries}</urlset>").encode()


def index(*children: tuple[str, str | None]) -> bytes:
    """A sitemap index listing (name, lastmod) children in the order given."""
    entries = "".join(f"<sitemap><loc>{SITE}/{name}</loc>" + (f"<lastmod>{mod}</lastmod>" if mod else "")
                      + "</sitemap>" for name, mod in children)
    return (f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex '
            f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>').encode()


class Site:
    """The purpose-built news site: documents by path (body, Content-Type), articles for every
    ``/YYYY/MM/slug/`` path any sitemap lists; ``web.hits`` is the server's request log."""

    def __init__(self, web: TestWeb) -> None:
        self.web = web
        self.documents: dict[str, tuple[bytes, str]] = {}
        web.route(f"/{HOST}/robots.txt", lambda _h: (200, {"Content-Type": "text/plain"}, ROBOTS))

    def document(self, name: str, body: bytes, ctype: str = "application/xml") -> None:
        self.web.route(f"/{HOST}/{name}", lambda _h: (200, {"Content-Type": ctype}, body))

    def articles(self, *paths: str) -> None:
        for path in paths:
            page = article(path.strip("/").split("/")[-1])
            self.web.route(f"/{HOST}{path}", lambda _h, page=page: (200, {"Content-Type": "text/html"}, page))

    def asked(self) -> list[str]:
        """The paths asked for, in order, without the host prefix and robots.txt."""
        return [h.removeprefix(f"/{HOST}") for h in self.web.hits if not h.endswith("/robots.txt")]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    with TestWeb() as web:
        monkeypatch.setenv("REPUB_HOST_MAP", web.host_map(HOST))
        monkeypatch.setenv("REPUB_DB", str(tmp_path / "repub.db"))
        monkeypatch.delenv("REPUB_DATABASE_URL", raising=False)
        monkeypatch.delenv("REPUB_USER_AGENT", raising=False)
        yield Site(web)


def sources(tmp_path: Path, sitemap: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[settings]\nuser_agent = "repub-test/0.1 (+https://example.org/repub-test)"\n\n'
        f'[[source]]\nname = "news"\nsite = "{SITE}/"\nsitemaps = [{json.dumps(f"{SITE}/{sitemap}")}]\n'
        "rate = 500\nconcurrency = 4\nmax_new = 50\nfollow_originals = false\n",
        encoding="utf-8",
    )
    return path


def ingest(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> tuple[int, str, str]:
    code = main(["ingest", "--sources", str(path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def stored(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "repub.db") as conn:
        rows = conn.execute("SELECT url FROM articles WHERE status = 'ok' ORDER BY url").fetchall()
    return [url.removeprefix(SITE) for (url,) in rows]


# -- gzipped sitemaps served as files ----------------------------------------------------------------------


@pytest.mark.parametrize("ctype", ["application/x-gzip", "application/gzip", "application/octet-stream"])
def test_gzipped_child_sitemap_served_as_a_file_is_walked(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str], ctype: str
) -> None:
    posts = ("/2026/02/riverton/", "/2026/01/lakeside/")
    site.document("sitemap_index.xml", index(("sitemap-posts-1.xml.gz", "2026-02-15")))
    site.document("sitemap-posts-1.xml.gz", gzip.compress(urlset(*posts)), ctype)
    site.articles(*posts)
    code, out, err = ingest(capsys, sources(tmp_path, "sitemap_index.xml"))
    assert (code, err) == (0, "")
    assert out.startswith("ingest run 1 ok: discovered 2, new 2, updated 0, failed 0, ")
    assert stored(tmp_path) == sorted(posts)
    asked = site.asked()  # the documents in order, then the articles (fetched side by side)
    assert asked[:2] == ["/sitemap_index.xml", "/sitemap-posts-1.xml.gz"]
    assert sorted(asked[2:]) == sorted(posts)


def test_gzipped_sitemap_as_the_start_point(site: Site, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    posts = ("/2026/03/hillford/",)
    site.document("sitemap.xml.gz", gzip.compress(urlset(*posts)), "application/x-gzip")
    site.articles(*posts)
    code, out, err = ingest(capsys, sources(tmp_path, "sitemap.xml.gz"))
    assert (code, err) == (0, "")
    assert out.startswith("ingest run 1 ok: discovered 1, new 1, updated 0, failed 0, ")
    assert stored(tmp_path) == list(posts)



# -- indexes walked by <lastmod>, not by position ----------------------------------------------------------

MARCH = ("/2026/03/eastbrook/", "/2026/03/westmoor/")
FEBRUARY = ("/2026/02/northwick/", "/2026/02/southam/")
DECEMBER = ("/2025/12/oldcastle/", "/2025/12/greyfield/")


def newest_first_index(site: Site) -> None:
    """Three children listed newest first, as many CMSs and sitemap plugins write them."""
    site.document("sitemap_index.xml", index(("posts-3.xml", "2026-03-15T08:00:00+00:00"),
                                             ("posts-2.xml", "2026-02-15T08:00:00+00:00"),
                                             ("posts-1.xml", "2025-12-15T08:00:00+00:00")))
    site.document("posts-3.xml", urlset(*MARCH))
    site.document("posts-2.xml", urlset(*FEBRUARY))
    site.document("posts-1.xml", urlset(*DECEMBER))
    site.articles(*MARCH, *FEBRUARY, *DECEMBER)


def test_since_walks_the_newest_children_and_skips_older_ones(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    newest_first_index(site)
    code, out, err = ingest(capsys, sources(tmp_path, "sitemap_index.xml"), "--since", "2026-01-01")
    assert (code, err) == (0, "")
    assert out.startswith("ingest run 1 ok: discovered 4, new 4, updated 0, failed 0, ")
    assert stored(tmp_path) == sorted(MARCH + FEBRUARY)
    sitemaps = [p for p in site.asked() if p.endswith(".xml")]
    # newest first, and the December child (last modified before --since) is never asked for
    assert sitemaps == ["/sitemap_index.xml", "/posts-3.xml", "/posts-2.xml"]


def test_a_later_run_finds_new_posts_in_the_newest_child(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    newest_first_index(site)
    path = sources(tmp_path, "sitemap_index.xml")
    assert ingest(capsys, path)[0] == 0
    assert stored(tmp_path) == sorted(MARCH + FEBRUARY + DECEMBER)
    # a new post lands in the newest child, which the index now says was modified
    fresh = "/2026/03/kingsbridge/"
    site.articles(fresh)
    site.document("posts-3.xml", urlset(fresh, *MARCH))
    site.document("sitemap_index.xml", index(("posts-3.xml", "2026-03-20T08:00:00+00:00"),
                                             ("posts-2.xml", "2026-02-15T08:00:00+00:00"),
                                             ("posts-1.xml", "2025-12-15T08:00:00+00:00")))
    site.web.hits.clear()
    code, out, err = ingest(capsys, path)
    assert (code, err) == (0, "")
    assert out.startswith("ingest run 2 ok: discovered 3, new 1, updated 0, failed 0, ")
    assert fresh in stored(tmp_path)
    # the newest child held stored URLs too: the walk stopped there (the previous run was complete)
    assert site.asked() == ["/sitemap_index.xml", "/posts-3.xml", fresh]


def test_children_without_lastmod_keep_the_wordpress_order(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """WordPress core numbers its children oldest first and gives no lastmod: the last one is walked first."""
    site.document("wp-sitemap.xml", index(("wp-sitemap-posts-post-1.xml", None),
                                          ("wp-sitemap-posts-post-2.xml", None)))
    site.document("wp-sitemap-posts-post-1.xml", urlset(*DECEMBER))
    site.document("wp-sitemap-posts-post-2.xml", urlset(*MARCH))
    site.articles(*DECEMBER, *MARCH)
    code, out, _ = ingest(capsys, sources(tmp_path, "wp-sitemap.xml"), "--since", "2026-01-01")
    assert code == 0 and out.startswith("ingest run 1 ok: discovered 2, new 2, ")
    sitemaps = [p for p in site.asked() if p.endswith(".xml")]
    # post-2 (the newest) first; post-1 is all older than --since, which ends the walk there
    assert sitemaps == ["/wp-sitemap.xml", "/wp-sitemap-posts-post-2.xml", "/wp-sitemap-posts-post-1.xml"]
    assert stored(tmp_path) == sorted(MARCH)


def test_robots_txt_answered_with_an_html_page_allows_everything(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Many CMSs answer any unknown path with their home page: served, but no robots.txt to obey."""
    home = b"<!doctype html><html><head><title>News</title></head><body><p>Welcome</p></body></html>"
    site.web.route(f"/{HOST}/robots.txt", lambda _h: (200, {"Content-Type": "text/html"}, home))
    posts = ("/2026/03/hillford/",)
    site.document("sitemap.xml", urlset(*posts))
    site.articles(*posts)
    code, out, err = ingest(capsys, sources(tmp_path, "sitemap.xml"))
    assert (code, err) == (0, "")
    assert out.startswith("ingest run 1 ok: discovered 1, new 1, updated 0, failed 0, ")
    with sqlite3.connect(tmp_path / "repub.db") as conn:
        logged = conn.execute("SELECT url, status, error_kind, error FROM fetch_log ORDER BY id").fetchall()
    assert logged[0] == (f"{SITE}/robots.txt", 200, "wrong-type", "unexpected Content-Type: text/html")


# -- a refused discovery document: a failure in the summary, one `repub:` line on stderr and in the log --


@pytest.mark.parametrize("log_file", [False, True], ids=["stderr", "stderr-and-log-file"])
def test_a_refused_child_sitemap_is_a_failure_said_on_stderr(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str], log_file: bool
) -> None:
    site.document("sitemap_index.xml", index(("posts-2.xml", "2026-02-15"), ("posts-1.xml", "2025-12-15")))
    # the newest child answers the site's HTML "not found" page with a 200, as many CMSs do
    site.document("posts-2.xml", b"<html><body><h1>Page not found</h1></body></html>", "text/html")
    site.document("posts-1.xml", urlset(*DECEMBER))
    site.articles(*DECEMBER)
    log = tmp_path / "ingest.log"
    code, out, err = ingest(capsys, sources(tmp_path, "sitemap_index.xml"),
                            *(["--log-file", str(log)] if log_file else []))
    assert code == 0
    assert out.startswith("ingest run 1 ok: discovered 2, new 2, updated 0, failed 1, refused 0, ")
    line = f"discovery: {SITE}/posts-2.xml: unexpected Content-Type: text/html"
    assert err == f"repub: {line}\n"
    if log_file:
        assert f" WARNING {line}\n" in log.read_text(encoding="utf-8")
    assert stored(tmp_path) == sorted(DECEMBER)


# -- indexes that list themselves, loop, or fan out ----------------------------------------------------


def test_an_index_that_lists_itself_is_walked_once_and_its_children_are_not_lost(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the index was fetched 4 times (to MAX_SITEMAP_DEPTH), the walk ended "nested too deep"
    and its real child was never asked for: the run was ok with nothing discovered."""
    site.document("sitemap_index.xml", index(("posts-1.xml", None), ("sitemap_index.xml", None)))
    site.document("posts-1.xml", urlset(*MARCH))
    site.articles(*MARCH)
    code, out, err = ingest(capsys, sources(tmp_path, "sitemap_index.xml"))
    assert (code, err) == (0, "")
    assert out.startswith("ingest run 1 ok: discovered 2, new 2, updated 0, failed 0, ")
    assert [p for p in site.asked() if p.endswith(".xml")] == ["/sitemap_index.xml", "/posts-1.xml"]
    assert stored(tmp_path) == sorted(MARCH)


def test_indexes_that_list_each_other_are_each_walked_once(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site.document("a.xml", index(("b.xml", None)))
    site.document("b.xml", index(("posts-1.xml", None), ("a.xml", None)))
    site.document("posts-1.xml", urlset(*MARCH))
    site.articles(*MARCH)
    code, out, err = ingest(capsys, sources(tmp_path, "a.xml"))
    assert (code, err) == (0, "")
    assert [p for p in site.asked() if p.endswith(".xml")] == ["/a.xml", "/b.xml", "/posts-1.xml"]
    assert stored(tmp_path) == sorted(MARCH)


def test_a_fan_of_indexes_stops_at_max_pages_sitemaps_per_start_point(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """200 children per index at each of three levels was up to 8 million documents of one start point;
    MAX_PAGES (200) now bounds the start point's sitemaps, as its comment always said."""
    site.document("sitemap_index.xml", index(("fan-1.xml", None), ("fan-2.xml", None)))
    for fan in (1, 2):
        site.document(f"fan-{fan}.xml", index(*((f"fan-{fan}-{i}.xml", None) for i in range(150))))
        for i in range(150):
            site.document(f"fan-{fan}-{i}.xml", urlset())
    code, out, err = ingest(capsys, sources(tmp_path, "sitemap_index.xml"))
    assert code == 0
    assert out.startswith("ingest run 1 ok: discovered 0, new 0, updated 0, failed 0, ")
    # the index, fan-2 (the last listed goes first) and its 150 children, fan-1 and 47 of its children
    line = f"sitemap walk stopped at 200 sitemaps: {SITE}/fan-1-102.xml not fetched"
    assert err == f"repub: discovery: {line}\n"
    assert len([p for p in site.asked() if p.endswith(".xml")]) == 200
