"""A request's query string as a search: the same parameters for the pages, the API and the export
links (``q, site, kind, status, from, to, diverged, sort, page, per_page``)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams

from repub.store.search import FilterError, SearchQuery

TRUE = ("1", "yes", "true", "on")


def _text(params: QueryParams, name: str) -> str | None:
    value = params.get(name, "").strip()
    return value or None


def _number(params: QueryParams, name: str, default: int) -> int:
    value = params.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise FilterError(f"{name} must be a whole number: {value!r}") from None


def search_query(params: QueryParams, *, per_page: int = 20) -> SearchQuery:
    """The search a query string asks for; FilterError / QuerySyntaxError when it cannot be run."""
    return SearchQuery(
        text=params.get("q", ""),
        site=_text(params, "site"),
        kind=_text(params, "kind"),
        status=_text(params, "status"),
        published_from=_text(params, "from"),
        published_to=_text(params, "to"),
        diverged=params.get("diverged", "").lower() in TRUE,
        sort=_text(params, "sort"),
        page=_number(params, "page", 1),
        per_page=_number(params, "per_page", per_page),
    ).checked()


def as_params(query: SearchQuery, **changes: Any) -> dict[str, Any]:
    """The query string of ``query`` (with ``changes``), for links: the reverse of ``search_query``."""
    params: dict[str, Any] = {
        "q": query.text.strip(), "site": query.site, "kind": query.kind, "status": query.status,
        "from": query.published_from, "to": query.published_to, "diverged": query.diverged,
        "sort": query.sort, "page": query.page if query.page > 1 else None,
    }
    params.update(changes)
    return params
