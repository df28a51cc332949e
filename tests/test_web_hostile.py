"""What a visitor of ``repub serve`` types: hostile query strings sent over real HTTP to the installed
``repub serve`` (tests/webworld.py) over a real SQLite file of a few articles. Every answer is a 4xx
with one readable line, or a sane result; never a 500, a traceback (in the answer or the server's log)
or a reflected script (docs/web.md, "Hostile requests")."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from repub.normalize.types import Record
from repub.store import Store
from repub.store.searchquery import And, Node, Not, Or, QuerySyntaxError, Term, parse
from webworld import Served

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
HARBOUR = "https://example.org/harbour/"
UNDATED = "https://example.org/undated/"
COPY = "https://copy.example/harbour/"
# every word of each article (title and body), as FTS5 and tsvector index them
WORDS = {
    HARBOUR: {"harbour", "and", "city", "the", "grows", "nato", "summit"},
    UNDATED: {"undated", "a", "page", "about", "nato"},
    COPY: {"copy", "the", "harbour", "grows", "nato", "summit", "alliance"},
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("hostile-web") / "repub.db"
    url = f"sqlite:///{path}"
    with Store.open(url) as store:
        store.save_article(Record(url=HARBOUR, site="example.org", extractor="test", title="Harbour and city",
                                  published_at="2019-05-02", body_text="The harbour grows.\n\nNato summit."),
                           fetched_at=T0, http_status=200)
        store.save_article(Record(url=UNDATED, site="example.org", extractor="test", title="Undated",
                                  body_text="A page about nato."), fetched_at=T0 + timedelta(days=1),
                           http_status=200)
        store.save_article(Record(url=COPY, site="copy.example", extractor="test", title="Copy",
                                  published_at="2019-05-03",
                                  body_text="The harbour grows.\n\nNato summit alliance."),
                           fetched_at=T0 + timedelta(days=2), http_status=200)
        store.link_original(COPY, HARBOUR)
    return str(path)


@pytest.fixture(scope="module")
def client(db: str) -> Iterator[httpx.Client]:
    env = {**os.environ, "REPUB_DB": db}
    env.pop("REPUB_DATABASE_URL", None)
    server = Served(env)
    yield server.client
    code, log = server.stop()
    assert code == 0 and "Traceback" not in log, log


def error_of(page: object) -> str:
    """The one-line message of an HTML page's error (the search form's, or the error page's)."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(page.text)  # type: ignore[attr-defined]
    node = tree.css_first("p.error") or tree.css_first("main p")
    assert node is not None, page.text  # type: ignore[attr-defined]
    return " ".join(node.text(deep=True).split())


def refused(client: httpx.Client, params: dict[str, str], message: str) -> None:
    """The search page and the API both answer 400 with ``message``; so does the export."""
    api = client.get("/api/search", params=params)
    assert (api.status_code, api.json()) == (400, {"error": message})
    page = client.get("/", params=params)
    assert page.status_code == 400 and error_of(page) == message
    export = client.get("/api/export", params={**params, "format": "jsonl"})
    assert (export.status_code, export.json()) == (400, {"error": message})


# -- the search words -----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["(" * 400 + "nato" + ")" * 400, "nato " + "-(" * 300 + "x" + ")" * 300])
def test_parentheses_nested_past_the_limit_are_a_400(client: httpx.Client, query: str) -> None:
    # a RecursionError of the parser: a 500 from the pages and the API
    column = 21 if query.startswith("(") else 47
    refused(client, {"q": query}, f"parentheses nested deeper than 20 at column {column}")


PAGES = "page must be from 1 to 1000000000, and per page from 1 to 200"


@pytest.mark.parametrize("page", ["1000000001", "9223372036854775807", "9223372036854775808", str(10**30)])
def test_a_page_beyond_what_the_database_counts_is_a_400(client: httpx.Client, page: str) -> None:
    # the offset went to SQL as is: "Python int too large to convert to SQLite INTEGER", a 500
    # (PostgreSQL: "bigint out of range", a 503)
    refused(client, {"page": page}, PAGES)
    refused(client, {"q": "nato", "page": page, "per_page": "200"}, PAGES)


@pytest.mark.parametrize("params", [{"page": "0"}, {"page": "-1"}, {"per_page": "0"}, {"per_page": "201"}])
def test_pages_and_page_sizes_out_of_range_are_a_400(client: httpx.Client, params: dict[str, str]) -> None:
    refused(client, params, PAGES)


def test_the_last_page_there_can_be_is_empty(client: httpx.Client) -> None:
    answer = client.get("/api/search", params={"q": "nato", "page": "1000000000", "per_page": "200"})
    assert (answer.status_code, answer.json()) == (200, {"total": 3, "results": []})


@pytest.mark.parametrize("to", ["9999", "9999-12", "9999-12-31"])
def test_a_period_ending_with_the_calendar_holds_every_dated_article(client: httpx.Client, to: str) -> None:
    # 9999-12-31's next day raised ValueError (a 500); "9999" and "9999-12" ended before "10000"
    # and "10000-01", which sort before every real date: nothing was found
    assert found(client, "nato", to=to) == found(client, "", to=to) == {HARBOUR, COPY}
    assert client.get("/", params={"to": to}).status_code == 200
    assert found(client, "nato", to=to, **{"from": "2019-05-03"}) == {COPY}
    assert found(client, "nato", **{"from": to}) == set()


NUL = "a query parameter holds a NUL character (%00), which no stored text can"


@pytest.mark.parametrize("query", ["q=nato%00summit", "site=example.org%00", "status=%00", "url=%00",
                                   "q=nato&sort=newest%00", "format=csv&q=%00"])
@pytest.mark.parametrize("path", ["/", "/article", "/compare", "/history", "/runs", "/export", "/api/search",
                                  "/api/article", "/api/export"])
def test_a_nul_character_in_the_query_string_is_a_400(client: httpx.Client, path: str, query: str) -> None:
    # FTS5 read the NUL as the end of its query: "database read failed: unterminated string", a 503
    # (on PostgreSQL every NUL was: "PostgreSQL text fields cannot contain NUL (0x00) bytes")
    answer = client.get(f"{path}?{query}")
    assert answer.status_code == 400
    if path.startswith("/api/"):
        assert answer.json() == {"error": NUL}
    else:
        assert error_of(answer) == NUL


def found(client: httpx.Client, query: str, **filters: str) -> set[str]:
    answer = client.get("/api/search", params={"q": query, "per_page": "200", **filters})
    assert answer.status_code == 200, answer.text
    return {record["url"] for record in answer.json()["results"]}


def test_many_excluded_words_are_read(client: httpx.Client) -> None:
    # each exclusion opened a parenthesis of the FTS5 query: from about 80 on, "fts5: parser stack overflow"
    many = " ".join(f"-x{i}" for i in range(150))
    assert found(client, f"nato {many}") == {HARBOUR, UNDATED, COPY}
    assert found(client, f"nato {many} -summit") == {UNDATED}
    assert found(client, f"nato -summit {many} -page") == set()
    assert found(client, "nato -page -alliance") == {HARBOUR}


def test_an_exclusion_excluded_is_the_word(client: httpx.Client) -> None:
    # SQLite read "nato -(-summit)" as "nato NOT summit" (PostgreSQL as "nato summit")
    assert found(client, "nato -(-summit)") == found(client, "nato summit") == {HARBOUR, COPY}
    assert found(client, "nato NOT (NOT (alliance))") == {COPY}


def test_a_group_of_exclusions_is_read(client: httpx.Client) -> None:
    # FTS5 was given "()" for the group's words: "fts5: syntax error near ")"" (400, exit 2)
    assert found(client, "(-summit -alliance) nato") == {UNDATED}
    assert found(client, "nato -(-page -alliance)") == {UNDATED, COPY}  # -(-a -b) is a OR b
    refused(client, {"q": "nato ((-summit -alliance) OR page)"},
            "an excluded word (-word) cannot be one side of an OR")


def holds(node: Node, words: set[str]) -> bool:
    """Whether an article of these words matches ``node``: what the query means, evaluated here."""
    if isinstance(node, Term):
        word = node.text.casefold()
        return any(w.startswith(word) for w in words) if node.prefix else word in words
    if isinstance(node, Not):
        return not holds(node.item, words)
    if isinstance(node, And):
        return all(holds(item, words) for item in node.items)
    assert isinstance(node, Or)
    return any(holds(item, words) for item in node.items)


PIECES = ["nato", "summit", "alliance", "page", "harbour", "zebra", "sum*", "al*",
          "(", ")", "(", ")", "-", "-", "OR", "AND", "NOT"]


@settings(max_examples=150, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=14))
@example(["(", "-", "summit", "-", "page", ")", "nato"])
@example(["nato", "-", "(", "-", "summit", ")"])
def test_every_query_the_grammar_reads_finds_what_it_means(client: httpx.Client, pieces: list[str]) -> None:
    """A query is refused with its one line, or finds exactly the articles its words mean: none that
    the parser accepts is refused by FTS5 or read otherwise."""
    query = " ".join(pieces).replace("- ", "-")
    try:
        tree = parse(query)
    except QuerySyntaxError as err:
        answer = client.get("/api/search", params={"q": query})
        assert (answer.status_code, answer.json()) == (400, {"error": str(err)})
        return
    expected = {url for url, words in WORDS.items() if tree is None or holds(tree, words)}
    assert found(client, query) == expected, query
