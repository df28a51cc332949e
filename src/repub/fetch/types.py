"""What the fetch stage hands on: a fetched page, or a FetchError (see repub.errors)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FetchSettings:
    """Politeness and safety knobs of the fetcher. Defaults suit one-off imports."""

    user_agent: str = "repub/0.1 (+https://github.com/repub/repub)"
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 10
    # HOST -> BASE, e.g. {"www.rt.com": "http://127.0.0.1:8000/www.rt.com"}: requests for
    # https://www.rt.com/x go to BASE/x, everything recorded keeps the real URL.
    host_map: dict[str, str] = field(default_factory=dict)
    # SSRF guard: refuse hosts resolving to loopback/private/link-local/... addresses. Host-map hosts
    # and allow_hosts (host names or IP strings) are trusted and skip it.
    guard_private: bool = True
    allow_hosts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Page:
    """A fetched HTML page. All URLs are real URLs (host map already reversed)."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    headers: dict[str, str]  # lower-cased names
    content_type: str  # e.g. "text/html"
    charset: str  # the encoding used to decode ``text``
    body: bytes
    text: str
    fetched_at: datetime  # UTC, aware
    elapsed: float  # seconds
    redirects: tuple[str, ...] = ()  # real URLs passed through, in order, excluding final_url
    # The last URL in ``redirects`` that answered 301/308: the page says it has moved for good (resync
    # records the move); None when every hop was temporary (302/303/307) or there was none.
    permanent_redirect: str | None = None
    # The response as received, for a WARC record (``repub export --warc``): "HTTP/1.1 200 OK" and the
    # headers in order with their own case (``headers`` above is lower-cased, one value per name).
    status_line: str = ""
    raw_headers: tuple[tuple[str, str], ...] = ()

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")
