"""``repub serve`` over real HTTP: the installed command on a free port of 127.0.0.1, over a database
made by real imports, an ingest and a resync of the fixture sites (tests/webworld.py)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from repub.export import csv_columns
from webworld import (
    CHANGED_TITLE,
    DISCLAIMER,
    HOSTILE,
    REPUB,
    RT_URL,
    TMS,
    TMS_COPY,
    TROUBLES,
    ZNET_COPY,
    Served,
    World,
)


@pytest.fixture(scope="module")
def served(web_world: World) -> Iterator[Served]:
    with Served(web_world.env()) as server:
        yield server


def html(response: object) -> LexborHTMLParser:
    return LexborHTMLParser(response.text)  # type: ignore[attr-defined]


def texts(tree: LexborHTMLParser, selector: str) -> list[str]:
    return [" ".join(node.text(deep=True).split()) for node in tree.css(selector)]


def stored(world: World) -> dict[str, dict]:
    """Every article's ``--json`` record, by URL, as ``repub list --json`` prints it."""
    return {r["url"]: r for r in world.records("list", "--json")}


# -- search and list -------------------------------------------------------------------------------------


def test_search_finds_by_author_and_counts_each_facet(served: Served, web_world: World) -> None:
    page = served.get("/", params={"q": "Fowdy"})
    assert page.status_code == 200
    tree = html(page)
    records = stored(web_world)
    by_fowdy = {u for u, r in records.items()
                if "Tom Fowdy" in r["authors"] or "Fowdy" in (r["byline"] or "")}
    assert set(texts(tree, ".hit .url")) == by_fowdy
    assert texts(tree, "#total") == [str(len(by_fowdy))]
    facets = {}
    for i, name in enumerate(("site", "kind", "status"), 1):
        values = texts(tree, f"aside.facets h2:nth-of-type({i}) + ul a")
        counts = map(int, texts(tree, f"aside.facets h2:nth-of-type({i}) + ul .count"))
        facets[name] = dict(zip(values, counts, strict=True))
    assert facets["site"] == {s: sum(1 for u in by_fowdy if records[u]["site"] == s)
                              for s in {records[u]["site"] for u in by_fowdy}}
    assert facets["kind"] == {"copy": sum(1 for u in by_fowdy if records[u]["original"]),
                              "original": sum(1 for u in by_fowdy if records[u]["republications"])}


def test_filters_sort_and_pages(served: Served, web_world: World) -> None:
    records = stored(web_world)
    api = served.get("/api/search", params={"site": "transcend.org", "kind": "copy", "per_page": 200}).json()
    assert {r["url"] for r in api["results"]} == {
        u for u, r in records.items() if r["site"] == "transcend.org" and r["original"]}
    newest = served.get("/api/search", params={"sort": "newest", "per_page": 200}).json()["results"]
    dated = [r["published_at"] for r in newest if r["published_at"]]
    assert dated == sorted(dated, reverse=True) and newest[-1]["published_at"] is None  # undated last
    within = served.get("/api/search", params={"from": "2020-10", "to": "2020-10-31", "per_page": 200}).json()
    assert {r["url"] for r in within["results"]} == {
        u for u, r in records.items() if (r["published_at"] or "")[:7] == "2020-10"}
    diverged = served.get("/api/search", params={"diverged": "1"}).json()
    assert {r["url"] for r in diverged["results"]} == {TMS_COPY, ZNET_COPY}
    gone = served.get("/api/search", params={"status": "gone"}).json()
    assert [r["url"] for r in gone["results"]] == [HOSTILE]
    first, second = (served.get("/api/search", params={"per_page": 3, "page": n}).json() for n in (1, 2))
    assert first["total"] == second["total"] == len(records)
    assert len(first["results"]) == 3 and not {r["url"] for r in first["results"]} & {
        r["url"] for r in second["results"]}
    tree = html(served.get("/", params={"per_page": 3}))
    assert texts(tree, "nav.pages a[rel=next]") == ["next →"]


def test_api_records_are_the_json_records(served: Served, web_world: World) -> None:
    shown = web_world.records("show", RT_URL, "--json")[0]
    assert served.get("/api/article", params={"url": RT_URL}).json() == shown
    found = served.get("/api/search", params={"q": '"no doubt"'}).json()
    assert found == {"total": 1, "results": web_world.records("show", ZNET_COPY, "--json")}
    missing = served.get("/api/article", params={"url": "https://www.rt.com/op-ed/0-nothing/"})
    assert missing.status_code == 404
    assert missing.json() == {"error": "not in the database: https://www.rt.com/op-ed/0-nothing/"}
    # the command line's search is the same query code
    assert web_world.records("search", '"no doubt"', "--json") == found["results"]


@pytest.mark.parametrize("query", ['"unclosed phrase', "nato OR", "(russia OR china", "-nato", "a*b"])
def test_a_query_that_cannot_be_read_is_a_clear_400(served: Served, web_world: World, query: str) -> None:
    page = served.get("/", params={"q": query})
    assert page.status_code == 400
    message = texts(html(page), "p.error")[0]
    assert message and "Traceback" not in page.text
    api = served.get("/api/search", params={"q": query})
    assert api.status_code == 400 and api.json() == {"error": message}
    cli = web_world.repub("search", "--", query, check=False)  # "--": a query may start with "-"
    assert cli.returncode == 2 and cli.stderr == f"repub: {message}\n"


def test_search_words_never_reach_sql_as_written(served: Served, web_world: World) -> None:
    before = len(stored(web_world))
    for query in ["'; DROP TABLE articles; --", "title:nato", "NEAR(nato summit)", 'x" OR 1=1 --', "\\\"",
                  "nato AND AND summit", "* OR *"]:
        response = served.get("/api/search", params={"q": query})
        assert response.status_code in (200, 400), (query, response.text)
        assert "error" in response.json() or "total" in response.json()
    assert len(stored(web_world)) == before
    # FTS5 syntax in a word is only a word: the column filter "title:" finds nothing special
    assert served.get("/api/search", params={"q": "title:nato"}).json()["total"] == served.get(
        "/api/search", params={"q": '"title nato"'}).json()["total"]


# -- article, comparison, travel, history, runs ---------------------------------------------------------


def test_article_page_shows_every_field_the_fetch_log_and_versions(served: Served, web_world: World) -> None:
    record = stored(web_world)[TMS_COPY]
    tree = html(served.get("/article", params={"url": TMS_COPY}))
    assert texts(tree, "#title") == [record["title"]]
    fields = dict(zip(texts(tree, "table.fields th"), texts(tree, "table.fields td"), strict=True))
    assert fields["Byline (as printed)"] == record["byline"] == "Tom Fowdy | RT - TRANSCEND Media Service"
    assert fields["Authors"] == "Tom Fowdy"
    assert fields["Published"] == record["published_at"] == "2020-10-26"
    assert fields["The original's date"] == record["original"]["published_at"]
    assert fields["First seen"] == record["first_seen_at"].replace("T", " ")[:16] + " UTC"
    assert fields["Last checked"] == record["last_checked_at"].replace("T", " ")[:16] + " UTC"
    assert fields["Tags"].split() == " ".join(record["tags"]).split()
    assert texts(tree, "figcaption .caption") == [record["lead_image"]["caption"]]
    assert texts(tree, "figcaption .credit") == [f"© {record['lead_image']['credit']}"]
    assert texts(tree, ".body p") == record["body_text"].split("\n\n")
    log = texts(tree, ".fetch-log tr td.url")
    assert log and set(log) == {TMS_COPY}
    assert len(tree.css(".versions tr")) == 1 + 1  # header + version 1


def test_comparison_shows_what_the_copy_added_cut_and_changed(served: Served, web_world: World) -> None:
    page = served.get("/compare", params={"url": ZNET_COPY})
    assert page.status_code == 200
    tree = html(page)
    added = texts(tree, "tr.row-added ins.added")
    assert len(added) == 1 and added[0].startswith(DISCLAIMER)
    cut = texts(tree, "tr.row-cut del.cut")
    rt_body = stored(web_world)[RT_URL]["body_text"].split("\n\n")
    assert cut == [rt_body[-1]]  # the last paragraph (RT's text is its version 2 since the resync)
    assert texts(tree, "tr.row-changed del") == ["little"] and texts(tree, "tr.row-changed ins") == ["no"]
    assert len(tree.css("tr.row-same")) == 6
    assert texts(tree, ".evidence .kind") == ["text-line"]
    assert "Confidence of the link: 0.90" in texts(tree, ".confidence")
    assert texts(tree, ".other-copies li .url") == [TMS_COPY]


def test_the_travel_of_a_text_has_one_point_per_copy(served: Served, web_world: World) -> None:
    tree = html(served.get("/article", params={"url": RT_URL}))
    copies = stored(web_world)[RT_URL]["republications"]
    points = tree.css("svg.timeline circle.copy-point")
    assert sorted(p.attributes["data-url"] for p in points) == sorted(c["url"] for c in copies) == sorted(
        [TMS_COPY, ZNET_COPY])
    links = [p.parent.attributes["href"] for p in points]  # type: ignore[union-attr]
    assert all(href.startswith("/compare?url=") for href in links)
    assert len(tree.css("svg.timeline circle.original-point")) == 1
    # by date: RT (23 Oct) left of ZNetwork (25 Oct) left of TMS (26 Oct)
    x = {p.attributes["data-url"]: float(p.attributes["cx"]) for p in tree.css("svg.timeline circle")}
    assert x[RT_URL] < x[ZNET_COPY] < x[TMS_COPY]


def test_history_shows_word_differences_and_events(served: Served) -> None:
    tree = html(served.get("/history", params={"url": RT_URL}))
    diffs = dict(zip(texts(tree, ".field-diff h3"), texts(tree, ".field-diff .words"), strict=True))
    assert set(diffs) == {"title"}
    # word by word: "Washington" stays
    assert texts(tree, ".field-diff del") == ["Is It Time for", "to", "Panic?"]
    assert texts(tree, ".field-diff ins") == ["Should", "Be", "Worried?"]
    assert CHANGED_TITLE == "Should Washington Be Worried?"
    copy = html(served.get("/history", params={"url": TMS_COPY}))
    assert texts(copy, "tr.event-diverged .badge") == ["diverged"]
    gone = html(served.get("/history", params={"url": HOSTILE}))
    assert texts(gone, "tr.event-gone .badge") == ["gone"]
    assert served.get("/history", params={"url": RT_URL, "from": "1", "to": "9"}).status_code == 404


def test_runs_and_the_health_of_each_source(served: Served, web_world: World) -> None:
    tree = html(served.get("/runs"))
    runs = [json.loads(line) for line in web_world.repub("runs", "--json").stdout.splitlines()]
    assert texts(tree, ".runs tr td:nth-child(2)") == [r["command"] for r in runs]
    rows = {row.css_first("td.site").text(): row for row in tree.css("tr.source")}
    cells = rows["troubled.example"].css("td.num")
    troubled = {cell.attributes["data-kind"]: int(cell.text()) for cell in cells}
    with sqlite3.connect(web_world.db) as conn:
        statuses = [s for (s,) in conn.execute("SELECT status FROM fetch_log WHERE url LIKE '%troubled%'")]
    # each 429 answer counts (the first and its retries)
    assert troubled == {"robots": 1, "429": statuses.count(429), "bot-wall": 1, "not-html": 1,
                        "no-article": 1, "other": 0}
    assert set(TROUBLES.values()) <= {k for k, n in troubled.items() if n}
    bars = rows["troubled.example"].css("svg.daychart rect.bar-failed")
    per_day = [int(b.css_first("title").text().split(": ")[1].split()[0]) for b in bars]
    assert sum(per_day) == sum(troubled.values())
    assert rows["transcend.org"].css("svg.daychart rect.bar-new")


# -- export -------------------------------------------------------------------------------------------


def test_export_streams_the_json_records_as_jsonl_and_csv(served: Served, web_world: World,
                                                          tmp_path: Path) -> None:
    jsonl = served.get("/api/export", params={"format": "jsonl", "q": "nato"})
    assert jsonl.status_code == 200 and jsonl.headers["content-type"].startswith("application/x-ndjson")
    assert jsonl.headers["content-disposition"].startswith('attachment; filename="repub-')
    lines = [json.loads(line) for line in jsonl.text.splitlines()]
    found = served.get("/api/search", params={"q": "nato", "per_page": 200}).json()
    assert sorted(lines, key=lambda r: r["id"]) == sorted(found["results"], key=lambda r: r["id"])
    exported = served.get("/export", params={"format": "csv", "q": "nato"}).text
    table = list(csv.DictReader(io.StringIO(exported)))
    assert [row["url"] for row in table] == [r["url"] for r in lines]
    assert list(table[0]) == csv_columns()
    for row, record in zip(table, lines, strict=True):
        assert row["title"] == record["title"] and json.loads(row["authors"]) == record["authors"]
        assert row["lead_image.caption"] == ((record["lead_image"] or {}).get("caption") or "")
    out = tmp_path / "nato.jsonl"
    done = web_world.repub("export", "--format", "jsonl", "--query", "nato", "-o", str(out))
    assert out.read_text(encoding="utf-8") == jsonl.text
    assert done.stderr.startswith(f"exported {len(lines)} articles to {out} (jsonl)")
    site = web_world.records("export", "--format", "jsonl", "--site", "rt.com")
    by_id = sorted(stored(web_world).values(), key=lambda r: r["id"])
    assert site == [r for r in by_id if r["site"] == "rt.com"]
    assert served.get("/api/export", params={"format": "xml"}).status_code == 400


# -- safety --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/?q=harbour", f"/article?url={HOSTILE}", f"/history?url={HOSTILE}", "/"])
def test_stored_markup_is_shown_as_text(served: Served, path: str) -> None:
    page = served.get(path)
    assert page.status_code == 200
    assert "<script>window" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;window.__repubPwned = 1&lt;/script&gt;" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_nothing_is_written_and_only_get_is_answered(served: Served, web_world: World) -> None:
    def digest() -> str:
        return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(web_world.db.parent.glob("repub.db*"))
                                       )).hexdigest()

    before = digest()
    for path in ["/", "/?q=nato", f"/article?url={RT_URL}", f"/compare?url={ZNET_COPY}",
                 f"/history?url={RT_URL}", "/runs", "/api/search?q=nato", f"/api/article?url={RT_URL}",
                 "/api/export?format=csv"]:
        assert served.get(path).status_code == 200, path
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = served.client.request(method, "/api/search")
        assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"
    assert digest() == before


def test_a_page_of_another_site_cannot_read_it(served: Served) -> None:
    # DNS rebinding: evil.example resolving to 127.0.0.1 would send its own name as Host
    assert served.get("/api/search", headers={"Host": "evil.example"}).status_code == 400
    assert served.get("/api/search", headers={"Host": "localhost:1"}).status_code == 200


def test_a_token_is_asked_of_every_request(web_world: World) -> None:
    with Served(web_world.env(), "--token", "s3cret") as server:
        assert server.get("/").status_code == 401
        assert server.get("/api/search").json() == {
            "error": "a token is required (Authorization: Bearer TOKEN)"}
        assert server.get("/static/style.css").status_code == 401
        assert server.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert server.get("/api/search", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        first = server.get("/", params={"token": "s3cret"})
        assert first.status_code == 200 and "HttpOnly" in first.headers["set-cookie"]
        server.client.cookies.set("repub_token", "s3cret")
        assert server.get("/runs").status_code == 200
    env = {**web_world.env(), "REPUB_TOKEN": "from-env"}
    with Served(env) as server:
        assert server.get("/").status_code == 401
        assert server.get("/", headers={"Authorization": "Bearer from-env"}).status_code == 200


def test_an_open_address_without_a_token_is_refused(web_world: World) -> None:
    refused = web_world.repub("serve", "--host", "0.0.0.0", "--port", "0", check=False)
    assert refused.returncode == 2
    assert refused.stderr == ("repub: serving on 0.0.0.0 lets other computers read the database: give "
                              "--token (or set REPUB_TOKEN), which every request must then carry\n")


def test_serve_stops_cleanly_on_sigterm(web_world: World) -> None:
    server = Served(web_world.env())
    assert server.get("/").status_code == 200
    code, err = server.stop()
    assert code == 0 and "Traceback" not in err


# -- beside a running ingest --------------------------------------------------------------------------


def test_serving_beside_a_real_ingest_locks_nobody_out_and_shows_the_new_rows(web_world: World,
                                                                             tmp_path: Path) -> None:
    """A fresh database filled by a real ``repub ingest`` of the TMS feed while the pages are asked
    for in a loop: no "database is locked" on either side, every answer 200, and the new rows shown."""
    db = tmp_path / "live.db"
    env = {**web_world.env(), "REPUB_DB": str(db)}
    subprocess.run([str(REPUB), "db", "upgrade"], env=env, check=True, capture_output=True)
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "tms"\nsite = "{TMS}/"\nfeeds = ["{TMS}/feed/"]\n'
                       'include = ["^https://(www\\\\.)?transcend\\\\.org/tms/\\\\d{4}/\\\\d{2}/[^/]+/$"]\n'
                       "follow_originals = true\nrate = 200.0\nconcurrency = 4\nmax_new = 50\n",
                       encoding="utf-8")
    with Served(env) as server:
        statuses: list[int] = []
        totals: list[int] = []
        stop = threading.Event()

        def ask() -> None:
            while not stop.is_set():
                for path in ("/", "/?q=nato", "/runs", "/api/search"):
                    response = server.get(path)
                    statuses.append(response.status_code)
                    if path == "/api/search":
                        totals.append(response.json()["total"])

        asker = threading.Thread(target=ask)
        asker.start()
        try:
            ingest = subprocess.run([str(REPUB), "ingest", "--sources", str(sources)], env=env,
                                    capture_output=True, text=True, timeout=300)
        finally:
            stop.set()
            asker.join(60)
        assert ingest.returncode == 0, ingest.stderr
        assert "locked" not in ingest.stderr
        assert statuses and set(statuses) == {200}
        with sqlite3.connect(db) as conn:
            count = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert count > 0 and server.get("/api/search").json()["total"] == count
        assert totals == sorted(totals)  # the pages followed the ingest as it stored
        code, err = server.stop()
    assert code == 0 and "locked" not in err
