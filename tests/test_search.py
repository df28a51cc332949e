"""Search: the query language, and the one query interface on SQLite (FTS5) and PostgreSQL (tsvector),
over the fixture pages extracted and stored, with the index kept in step by the database."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from fixturedata import all_fixtures
from repub.errors import StoreError
from repub.extract import extract
from repub.fetch.charset import decode_html
from repub.normalize import normalize
from repub.normalize.types import Record
from repub.store import Store
from repub.store.search import FilterError, SearchQuery, iter_views, search
from repub.store.searchquery import And, Not, Or, QuerySyntaxError, Term, fts5, parse

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


# -- the language ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "tree"), [
    ("nato summit", And((Term("nato"), Term("summit")))),
    ('"summit in denial"', Term("summit in denial")),
    ("russia OR china nato", And((Or((Term("russia"), Term("china"))), Term("nato")))),
    ("nato -summit", And((Term("nato"), Not(Term("summit"))))),
    ("nato NOT summit", And((Term("nato"), Not(Term("summit"))))),
    ("nato -(-summit)", And((Term("nato"), Term("summit")))),  # was read as "nato NOT summit" on SQLite
    ("nato NOT (NOT summit)", And((Term("nato"), Term("summit")))),
    ("milit*", Term("milit", prefix=True)),
    ("(russia OR china) AND nato", And((Or((Term("russia"), Term("china"))), Term("nato")))),
    ("Russia-China", Term("Russia-China")),
    ("title:nato", Term("title:nato")),  # FTS5's column filter is only a word here
    ("  ,,, ", None),
    ("", None),
])
def test_queries_are_read_into_a_tree(query: str, tree: Any) -> None:
    assert parse(query) == tree


@pytest.mark.parametrize(("query", "message"), [
    ('he said "hi', 'unclosed quote at column 9: a phrase needs its closing "'),
    ("nato OR", "OR at column 6 needs a word on each side"),
    ("OR nato", "OR at column 1 needs a word on each side"),
    ("-nato", "a search needs at least one word that is not excluded (-word)"),
    ("nato (summit", "unclosed parenthesis at column 6"),
    ("nato )", "unmatched ) at column 6"),
    ("nato OR -summit", "an excluded word (-word) cannot be one side of an OR"),
    ("mil*it", "* at column 1 goes at the end of a word (milit*)"),
    ("x" * 1001, "the query is longer than 1000 characters"),
    ("(" * 21 + "nato" + ")" * 21, "parentheses nested deeper than 20 at column 21"),  # was a RecursionError
])
def test_a_query_that_cannot_be_read_says_why(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as err:
        parse(query)
    assert str(err.value) == message


def test_every_word_reaches_fts5_quoted() -> None:
    tree = parse('nato "it\'s" -"a ""b" x* (c OR d)')
    assert tree is not None
    # a quote inside a word is doubled, as FTS5 reads it; '-"a ""b"' is the phrase "a " excluded, then "b"
    assert fts5(tree) == '(("nato" AND "it\'s" AND "b" AND "x" * AND ("c" OR "d")) NOT "a")'
    assert fts5(Term('say "no"')) == '"say ""no"""'
    # nothing outside quotes but the operators, parentheses and the prefix star
    assert re.sub(r'"(?:[^"]|"")*"', "W", fts5(tree)).replace(" ", "") == "((WANDWANDWANDW*AND(WORW))NOTW)"


# -- the store, on both backends ----------------------------------------------------------------------


def _stored(url: str) -> dict[str, dict[str, Any]]:
    """Every fixture page extracted and stored (copies linked to their originals) plus two made-up
    pages (a name with diacritics; an undated page): the --json records by URL."""
    with Store.open(url) as store:
        for fixture in all_fixtures():
            html, _ = decode_html(fixture.page.read_bytes())
            record = normalize(extract(html, fixture.url))
            store.save_article(record, fetched_at=T0, aliases=[fixture.url], http_status=200)
            if record.original is not None and record.original.url:
                store.link_original(record.url, record.original.url)
        store.save_article(Record(url="https://example.org/a/", site="example.org", extractor="test",
                                  title="Hafen und Stadt", authors=["Jürgen Müller"],
                                  credits=["Deutsche Presse-Agentur"], published_at="2019-05-02",
                                  body_text="Der Hafen wächst.\n\nDie Stadt plant."),
                           fetched_at=T0 + timedelta(days=1), http_status=200)
        store.save_article(Record(url="https://example.org/b/", site="example.org", extractor="test",
                                  title="Undated", body_text="A page without a date about the harbour."),
                           fetched_at=T0 + timedelta(days=2), http_status=200)
        return {v.url: v.to_json() for v in store.list_articles()}


def _words(record: dict[str, Any]) -> set[str]:
    text = " ".join(str(record.get(k) or "") for k in ("title", "byline", "body_text"))
    text += " " + " ".join(record.get("authors") or []) + " " + " ".join(record.get("credits") or [])
    return {w.casefold() for w in re.findall(r"\w+", text)}


@pytest.fixture
def world(any_db_url: str) -> tuple[Store, dict[str, dict[str, Any]]]:
    records = _stored(any_db_url)
    store = Store.open_read_only(any_db_url)
    yield store, records
    store.close()


def _urls(store: Store, **query: Any) -> list[str]:
    return [h.view.url for h in search(store, SearchQuery(per_page=200, **query), facets=False).hits]


def test_words_find_what_they_say_in_every_searched_field(world: tuple[Store, dict]) -> None:
    store, records = world
    for word in ("fowdy", "nato", "harbour", "alliance", "reuters"):
        expected = {u for u, r in records.items() if word in _words(r)}
        assert expected, word
        assert set(_urls(store, text=word)) == expected, word
    # names in authors and credits, as written
    assert _urls(store, text="Müller") == ["https://example.org/a/"]
    assert _urls(store, text='"Presse-Agentur"') == ["https://example.org/a/"]
    # a phrase, OR, NOT and a prefix mean the same on both backends
    phrase = {u for u, r in records.items() if "summit in denial" in " ".join(
        str(r.get(k) or "") for k in ("title", "body_text")).casefold()}
    assert set(_urls(store, text='"summit in denial"')) == phrase and phrase
    either = {u for u, r in records.items() if {"russia", "harbour"} & _words(r)}
    assert set(_urls(store, text="russia OR harbour")) == either
    without = {u for u, r in records.items() if "nato" in _words(r) and "summit" not in _words(r)}
    assert set(_urls(store, text="nato -summit")) == without
    prefix = {u for u, r in records.items() if any(w.startswith("milit") for w in _words(r))}
    assert set(_urls(store, text="milit*")) == prefix and prefix


def test_long_queries_run_on_both_backends(world: tuple[Store, dict]) -> None:
    # PostgreSQL's tsquery was one nested call per word: from about 100 words SQLAlchemy's compiler
    # overflowed Python's recursion (a 500 from repub serve, a traceback from repub search)
    store, records = world
    nato = set(_urls(store, text="nato"))
    assert nato
    assert set(_urls(store, text=" ".join(["nato"] * 199))) == nato  # 995 characters
    assert set(_urls(store, text=" OR ".join(["nato"] * 120))) == nato
    assert set(_urls(store, text="nato " + " ".join(f"-x{i}" for i in range(150)))) == nato
    words = sorted({w for r in records.values() for w in _words(r) if w.isalpha() and 3 < len(w) < 6})[:110]
    assert len(" OR ".join(words)) <= 1000
    either = {u for u, r in records.items() if set(words) & _words(r)}
    assert set(_urls(store, text=" OR ".join(words))) == either


def test_a_period_ending_with_the_calendar_holds_every_dated_article(world: tuple[Store, dict]) -> None:
    store, records = world
    dated = {u for u, r in records.items() if r["published_at"]}
    assert dated and dated != set(records)
    for to in ("9999", "9999-12", "9999-12-31"):  # a ValueError, or nothing found (before "10000")
        assert set(_urls(store, published_to=to)) == dated


def test_diacritics_fold_on_sqlite_only(world: tuple[Store, dict], any_db_url: str) -> None:
    store, _ = world
    folded = _urls(store, text="muller")
    assert folded == (["https://example.org/a/"] if any_db_url.startswith("sqlite") else [])


def test_filters_sort_pages_and_facets(world: tuple[Store, dict]) -> None:
    store, records = world
    everything = search(store, SearchQuery(per_page=200))
    assert everything.total == len(records)
    facets = everything.facets
    assert dict(facets["site"]) == dict(Counter(r["site"] for r in records.values()))
    assert dict(facets["status"]) == dict(Counter(r["status"] for r in records.values()))
    assert dict(facets["kind"]) == {"copy": sum(1 for r in records.values() if r["original"]),
                                    "original": sum(1 for r in records.values() if r["republications"])}
    # newest first, undated last
    dates = [h.view.published_at for h in everything.hits]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=True) and dates[len(dated):] == [None] * (len(dates) - len(dated))
    # a facet chosen: its own counts stay whole, the others follow it
    copies = search(store, SearchQuery(kind="copy", per_page=200))
    assert {h.view.url for h in copies.hits} == {u for u, r in records.items() if r["original"]}
    assert dict(copies.facets["kind"]) == dict(facets["kind"])
    assert dict(copies.facets["site"]) == dict(Counter(r["site"] for r in records.values() if r["original"]))
    originals = search(store, SearchQuery(kind="original", per_page=200))
    assert {h.view.url for h in originals.hits} == {u for u, r in records.items()
                                                    if r["republications"]}
    assert originals.total == len(originals.hits)
    assert dict(originals.facets["site"]) == dict(Counter(r["site"] for r in records.values()
                                                          if r["republications"]))
    site = search(store, SearchQuery(text="nato", site="transcend.org", per_page=200))
    assert {h.view.url for h in site.hits} == {u for u, r in records.items()
                                               if r["site"] == "transcend.org" and "nato" in _words(r)}
    assert dict(site.facets["site"]) == dict(Counter(r["site"] for r in records.values()
                                                     if "nato" in _words(r)))
    # words alone: every facet counted over the matches (SQLite: by cell number; originals by a lookup
    # of each match among the copies)
    nato = [r for r in records.values() if "nato" in _words(r)]
    words = search(store, SearchQuery(text="nato", per_page=200))
    assert words.total == len(nato) and len(nato) >= 3
    assert dict(words.facets["site"]) == dict(Counter(r["site"] for r in nato))
    assert dict(words.facets["status"]) == dict(Counter(r["status"] for r in nato))
    assert dict(words.facets["kind"]) == {"copy": sum(1 for r in nato if r["original"]),
                                          "original": sum(1 for r in nato if r["republications"])}
    assert dict(words.facets["kind"])["original"] >= 1
    within = _urls(store, published_from="2020-10", published_to="2020-10-31")
    assert set(within) == {u for u, r in records.items()
                           if (r["published_at"] or "").startswith("2020-10")}
    recent = _urls(store, seen_since=T0 + timedelta(hours=1))
    # the two pages saved later, and the stubs link_original made for originals not stored (made now)
    assert set(recent) == {u for u, r in records.items() if r["first_seen_at"] >= "2026-11-20T09:00:00Z"}
    assert {"https://example.org/a/", "https://example.org/b/"} <= set(recent)
    first, second = (search(store, SearchQuery(per_page=4, page=n), facets=False) for n in (1, 2))
    assert [h.view.url for h in first.hits + second.hits] == [h.view.url for h in everything.hits[:8]]
    assert first.pages == -(-len(records) // 4)


def test_relevance_snippets_and_the_json_records(world: tuple[Store, dict]) -> None:
    store, records = world
    found = search(store, SearchQuery(text="harbour"))
    assert found.query.effective_sort == "relevance"
    # a title match weighs more than a body match
    assert found.hits[0].view.url != "https://example.org/b/" or len(found.hits) == 1
    for hit in found.hits:
        assert hit.view.to_json() == records[hit.view.url]  # exactly the --json record
        if hit.snippet:
            assert "\x02" in hit.snippet and "\x03" in hit.snippet
            marked = re.findall("\x02(.*?)\x03", hit.snippet)
            assert {m.casefold() for m in marked} == {"harbour"}


def test_export_iterates_every_match_in_id_order(world: tuple[Store, dict]) -> None:
    store, records = world
    views = list(iter_views(store, SearchQuery(text="nato")))
    assert [v.url for v in views] == [u for u, r in sorted(records.items(), key=lambda i: i[1]["id"])
                                      if "nato" in _words(r)]
    assert [v.to_json() for v in views] == [records[v.url] for v in views]
    assert len(list(iter_views(store, SearchQuery()))) == len(records)


ARABIC_YEAR = "\u0662\u0660\u0662\u0660"  # 2020 in Arabic-Indic digits


def test_bad_filters_are_refused(world: tuple[Store, dict]) -> None:
    store, _ = world
    for query, message in [(SearchQuery(kind="other"), "unknown kind 'other' (one of: copy, original)"),
                           (SearchQuery(published_from="2020-13"), "from: not a date (YYYY, YYYY-MM or "
                                                                   "YYYY-MM-DD): '2020-13'"),
                           # other scripts' digits: a date compared as text must be in ASCII digits
                           (SearchQuery(published_to=ARABIC_YEAR),
                            f"to: not a date (YYYY, YYYY-MM or YYYY-MM-DD): '{ARABIC_YEAR}'"),
                           (SearchQuery(sort="random"), "unknown sort 'random' (one of: relevance, newest, "
                                                        "oldest, seen, title)")]:
        with pytest.raises(FilterError) as err:
            search(store, query)
        assert str(err.value) == message
    with pytest.raises(QuerySyntaxError):
        search(store, SearchQuery(text='"open'))


def test_the_read_only_store_cannot_write(world: tuple[Store, dict]) -> None:
    store, _ = world
    with pytest.raises(StoreError), store._begin() as conn:  # the store's own write path
        conn.execute(sa.text("DELETE FROM articles"))
    assert search(store, SearchQuery(), facets=False).total > 0


# -- the index kept in step --------------------------------------------------------------------------


def _live_cells(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        live = conn.execute(
            "SELECT coalesce(site, ''), status, original_url IS NOT NULL OR original_outlet IS NOT NULL,"
            " diverged_since IS NOT NULL, count(*) FROM articles GROUP BY 1, 2, 3, 4").fetchall()
        kept = conn.execute("SELECT site, status, copy, diverged, n FROM article_counts WHERE n > 0"
                            ).fetchall()
        # each article's cell number names its cell (the search page counts matches by it)
        numbered = conn.execute(
            "SELECT count(*), count(k.cell) FROM articles AS a LEFT JOIN article_cells AS c ON c.id = a.id "
            "LEFT JOIN article_counts AS k ON k.cell = c.cell AND k.site = coalesce(a.site, '') "
            "AND k.status = a.status "
            "AND k.copy = (a.original_url IS NOT NULL OR a.original_outlet IS NOT NULL) "
            "AND k.diverged = (a.diverged_since IS NOT NULL)").fetchone()
        numbers = conn.execute("SELECT count(*), count(DISTINCT cell) FROM article_counts").fetchone()
        noted = conn.execute("SELECT count(*) FROM article_cells").fetchone()[0]
        conn.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
    assert sorted(kept) == sorted(live)
    assert numbered[0] == numbered[1] > 0  # every article has the number of its own cell
    assert numbers[0] == numbers[1]  # one number a cell
    assert noted == numbered[0]  # none left of a deleted article
    return kept


def test_every_write_keeps_the_index_and_the_counts_in_step(tmp_path: Path) -> None:
    path = tmp_path / "repub.db"
    url = f"sqlite:///{path}"
    _stored(url)
    _live_cells(path)
    with Store.open(url) as store:
        # a new version: the old words go, the new ones come
        record = Record(url="https://example.org/a/", site="example.org", extractor="test", title="Hafen",
                        authors=["Jürgen Müller"], body_text="Ein Leuchtturm.", published_at="2019-05-02")
        store.save_article(record, fetched_at=T0 + timedelta(days=3), http_status=200)
        assert _urls(store, text="leuchtturm") == ["https://example.org/a/"]
        assert _urls(store, text="wächst") == []
        # a failure and a new stub change the counts' cells
        store.mark_failed("https://example.org/c/", "HTTP 500", http_status=500, checked_at=T0)
        store.ensure_original("https://example.org/d/", "Example", None)
        # a stub merged into the article it turned out to be (its row deleted)
        store.save_article(Record(url="https://example.org/d2/", site="example.org", extractor="test",
                                  title="Merged", body_text="Merged text."),
                           fetched_at=T0, aliases=["https://example.org/d/"], http_status=200)
    cells = _live_cells(path)
    assert ("example.org", "failed", 0, 0, 1) in cells
