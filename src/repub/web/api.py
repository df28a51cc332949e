"""The JSON API (docs/web.md): search, one article, and the streamed export. Records are exactly the
``--json`` records (``ArticleView.to_json``); errors are ``{"error": "one line"}`` with a 4xx status."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from repub import export as out
from repub.errors import StoreError
from repub.store.search import FilterError, iter_views
from repub.store.search import search as run_search
from repub.store.searchquery import QuerySyntaxError
from repub.web.pages import find, store_of
from repub.web.params import search_query


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status)


def search(request: Request) -> Response:
    """``GET /api/search?q=…&site=…&kind=copy|original&page=N`` -> ``{"total": N, "results": [record…]}``."""
    try:
        query = search_query(request.query_params)
        result = run_search(store_of(request), query, facets=False, snippets=False)
    except (QuerySyntaxError, FilterError) as err:
        return _error(400, str(err))
    except StoreError as err:
        return _error(503, str(err))
    return JSONResponse({"total": result.total, "results": [hit.view.to_json() for hit in result.hits]})


def article(request: Request) -> Response:
    """``GET /api/article?url=…`` -> the record; 404 with ``{"error": …}`` for a URL not stored."""
    url = request.query_params.get("url", "")
    if not url:
        return _error(400, "url is required: /api/article?url=URL")
    try:
        view = find(store_of(request), url)
    except StoreError as err:
        return _error(503, str(err))
    if view is None:
        return _error(404, f"not in the database: {url}")
    return JSONResponse(view.to_json())


def export(request: Request) -> Response:
    """``GET /api/export?format=jsonl|csv&q=…`` (and every filter of the search) -> the file, streamed."""
    fmt = request.query_params.get("format", "")
    if fmt not in out.FORMATS:
        return _error(400, f"format must be one of: {', '.join(out.FORMATS)}")
    try:
        query = search_query(request.query_params)
    except (QuerySyntaxError, FilterError) as err:
        return _error(400, str(err))
    store = store_of(request)
    name = f"repub-{datetime.now(UTC):%Y%m%d-%H%M%S}.{fmt}"
    body = out.chunks(out.lines(iter_views(store, query), fmt))
    return StreamingResponse(body, media_type=out.MEDIA_TYPES[fmt],
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})
