"""The HTML pages: search and list, an article, a copy beside its original, an article's history, runs
and sources. Each reads the store through its public functions and renders one template."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from repub.errors import RepubError, StoreError
from repub.normalize import canonical_url
from repub.resync.diff import diff_contents
from repub.store import ArticleView, Store
from repub.store.health import FAILURE_KINDS, source_health
from repub.store.history import events
from repub.store.runs import list_runs
from repub.store.search import KINDS, SORTS, FilterError, SearchQuery, search
from repub.store.searchquery import QuerySyntaxError
from repub.web import charts
from repub.web.compare import align, counts
from repub.web.params import as_params, search_query

RUNS_SHOWN = 50
HEALTH_DAYS = 30


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    template = request.app.state.templates.get_template(name)
    return HTMLResponse(template.render(path=request.url.path, **context), status_code=status)


def problem(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return render(request, "error.html", status, title=title, message=message)


def failure(request: Request, status: int, title: str, message: str, *, api_message: str | None = None
            ) -> Response:
    """A request that fails: ``{"error": ...}`` under /api/ (``api_message``, else ``message``), else
    the error page."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": api_message or message}, status)
    return problem(request, status, title, message)


def missing(request: Request, url: str) -> HTMLResponse:
    return problem(request, 404, "Not in the database", f"No article is stored for {url or '(no url)'}.")


def store_of(request: Request) -> Store:
    return request.app.state.store  # type: ignore[no-any-return]


def find(store: Store, url: str) -> ArticleView | None:
    """The article a URL names, as typed or in its canonical form (any URL it was reached by)."""
    if not url:
        return None
    view = store.get(url)
    if view is None:
        try:
            view = store.get(canonical_url(url))
        except RepubError:
            return None
    return view


def kind_of(view: ArticleView) -> str:
    if view.original:
        return "copy"
    return "original" if view.republications else "other"


# -- pages ------------------------------------------------------------------------------------------


def search_page(request: Request) -> Response:
    try:
        query = search_query(request.query_params)
        result = search(store_of(request), query)
    except (QuerySyntaxError, FilterError) as err:
        return render(request, "search.html", 400, query=SearchQuery(text=request.query_params.get("q", "")),
                      result=None, error=str(err), kinds=KINDS, sorts=SORTS, as_params=as_params)
    except StoreError as err:
        return problem(request, 503, "Database unavailable", str(err))
    return render(request, "search.html", query=query, result=result, error=None, kinds=KINDS, sorts=SORTS,
                  as_params=as_params, kind_of=kind_of)


def article_page(request: Request) -> Response:
    store = store_of(request)
    url = request.query_params.get("url", "")
    try:
        view = find(store, url)
        if view is None:
            return missing(request, url)
        versions = store.versions(view.url)
        log = store.fetch_log(view.url, limit=50)
    except StoreError as err:
        return problem(request, 503, "Database unavailable", str(err))
    timeline = None
    if view.republications:
        timeline = charts.timeline({"url": view.url, "site": view.site, "published_at": view.published_at},
                                   view.republications)
    return render(request, "article.html", view=view, kind=kind_of(view), versions=versions, log=log,
                  timeline=timeline)


def compare_page(request: Request) -> Response:
    store = store_of(request)
    url = request.query_params.get("url", "")
    try:
        copy = find(store, url)
        if copy is None:
            return missing(request, url)
        named = copy.original or {}
        original = find(store, named["url"]) if named.get("url") else None
    except StoreError as err:
        return problem(request, 503, "Database unavailable", str(err))
    if not copy.original:
        return problem(request, 404, "Not a copy",
                       f"{copy.url} names no original: there is nothing to compare it with.")
    rows = align(original.body_text, copy.body_text) if original is not None and original.version else []
    others = [c for c in (original.republications if original is not None else []) if c["url"] != copy.url]
    return render(request, "compare.html", copy=copy, original=original, named=named, rows=rows,
                  counts=counts(rows), others=others)


def history_page(request: Request) -> Response:
    store = store_of(request)
    url = request.query_params.get("url", "")
    try:
        view = find(store, url)
        if view is None:
            return missing(request, url)
        versions = store.versions(view.url)
        happened = events(store, view.url)
    except StoreError as err:
        return problem(request, 503, "Database unavailable", str(err))
    numbers = [v.version for v in versions]
    try:
        to = int(request.query_params.get("to") or (numbers[-1] if numbers else 0))
        since = int(request.query_params.get("from") or (to - 1))
    except ValueError:
        return problem(request, 400, "Bad version", "from and to are version numbers.")
    by_number = {v.version: v for v in versions}
    diffs = None
    if len(versions) > 1:
        if since not in by_number or to not in by_number:
            return problem(request, 404, "No such version",
                           f"{view.url} has versions {', '.join(map(str, numbers))}.")
        diffs = diff_contents(by_number[since].content, by_number[to].content)
    return render(request, "history.html", view=view, versions=versions, events=happened, diffs=diffs,
                  since=since, to=to)


def runs_page(request: Request) -> Response:
    store = store_of(request)
    try:
        runs = list_runs(store, RUNS_SHOWN)
        health = source_health(store, HEALTH_DAYS)
    except StoreError as err:
        return problem(request, 503, "Database unavailable", str(err))
    drawn = [(source, charts.day_chart(health.days, source.new_per_day, source.failed_per_day))
             for source in health.sources]
    return render(request, "runs.html", runs=runs, health=health, sources=drawn, failure_kinds=FAILURE_KINDS)


# -- errors -------------------------------------------------------------------------------------------


async def not_found(request: Request, exc: Exception) -> Response:
    path = request.url.path
    return failure(request, 404, "Not found", f"There is no page at {path}.",
                   api_message=f"no such page: {path}")


async def not_allowed(request: Request, exc: Exception) -> Response:
    response = failure(request, 405, "Not allowed", "repub serve only reads: every page answers GET.")
    response.headers["Allow"] = "GET, HEAD"
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    message = "Something went wrong while reading the database; the server's log says what."
    return failure(request, 500, "Server error", message)
