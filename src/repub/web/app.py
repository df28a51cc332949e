"""The ASGI application of ``repub serve``: routes, the token check, and the headers every answer carries.

Read-only by construction: the store it is given is opened read-only (``Store.open_read_only``), and
every route answers GET (and HEAD) only. Requests run in Starlette's thread pool (the store is
synchronous); streamed exports read a batch of rows at a time.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from repub.store import Store
from repub.web import api, pages
from repub.web.render import environment

TOKEN_COOKIE = "repub_token"
# Pages load nothing from elsewhere: the stylesheet and script ship in the package. Stored pages are
# hostile: even if a string escaped the templates, no inline script, no plugin, no frame would run.
CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


NUL_MESSAGE = "a query parameter holds a NUL character (%00), which no stored text can"


class NulCheck:
    """A query string holding a NUL character (``%00``) is a 400: no stored text holds one, FTS5 reads
    it as the end of its query and PostgreSQL refuses it in any text (a 503 "database read failed")."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or b"%00" not in scope.get("query_string", b""):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if not any("\x00" in k or "\x00" in v for k, v in request.query_params.multi_items()):
            await self.app(scope, receive, send)
            return
        await pages.failure(request, 400, "Bad request", NUL_MESSAGE)(scope, receive, send)


class TokenCheck:
    """Every request carries the token: ``Authorization: Bearer TOKEN``, the cookie this sets, or
    ``?token=TOKEN`` once (a browser then gets the cookie, HttpOnly and SameSite=Strict). 401 otherwise."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.token = app, token

    def _given(self, scope: Scope) -> tuple[bool, bool]:
        """(the request carries the token, it came in the query string)."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        candidates = []
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            candidates.append(auth[7:].strip())
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == TOKEN_COOKIE:
                candidates.append(value)
        from urllib.parse import parse_qs

        query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [])
        ok = any(secrets.compare_digest(c.encode(), self.token.encode()) for c in candidates)
        by_query = any(secrets.compare_digest(c.encode(), self.token.encode()) for c in query)
        return ok or by_query, by_query and not ok

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ok, set_cookie = self._given(scope)
        if not ok:
            path = scope.get("path", "")
            response = (JSONResponse({"error": "a token is required (Authorization: Bearer TOKEN)"}, 401)
                        if path.startswith("/api/")
                        else PlainTextResponse("401: this repub serve needs its token: open /?token=TOKEN "
                                               "once, or send Authorization: Bearer TOKEN", 401))
            response.headers["WWW-Authenticate"] = 'Bearer realm="repub"'
            await response(scope, receive, send)
            return
        if not set_cookie:
            await self.app(scope, receive, send)
            return
        cookie = f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict".encode()

        async def with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
            await send(message)

        await self.app(scope, receive, with_cookie)


def create_app(store: Store, *, token: str | None = None, allowed_hosts: Sequence[str] | None = None
               ) -> Starlette:
    """The app over ``store`` (open it read-only). ``token``: required on every request.
    ``allowed_hosts``: the Host header values answered (a page of another site whose name resolves
    to 127.0.0.1 cannot read this one: DNS rebinding); None answers any, for a server behind a token."""
    routes = [
        Route("/", pages.search_page, methods=["GET"]),
        Route("/article", pages.article_page, methods=["GET"]),
        Route("/compare", pages.compare_page, methods=["GET"]),
        Route("/history", pages.history_page, methods=["GET"]),
        Route("/runs", pages.runs_page, methods=["GET"]),
        Route("/export", api.export, methods=["GET"]),
        Route("/api/search", api.search, methods=["GET"]),
        Route("/api/article", api.article, methods=["GET"]),
        Route("/api/export", api.export, methods=["GET"]),
        Mount("/static", StaticFiles(packages=[("repub.web", "static")]), name="static"),
    ]
    middleware = [Middleware(SecurityHeaders)]
    if allowed_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    if token:
        middleware.append(Middleware(TokenCheck, token=token))
    middleware.append(Middleware(NulCheck))
    handlers = {404: pages.not_found, 405: pages.not_allowed, 500: pages.server_error}
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)
    app.state.store = store
    app.state.templates = environment()
    return app
