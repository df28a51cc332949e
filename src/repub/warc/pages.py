"""From a WARC record to a page the pipeline stores, or to the reason it is not one.

``classify`` judges a response record as the fetcher judges a response: HTTP status, Content-Type,
WARC-Truncated, a payload shorter than its Content-Length, chunked Transfer-Encoding and
Content-Encoding undone under the same byte cap (``repub.fetch.body.BodyDecoder``). A page comes back
as a ``repub.fetch.types.Page`` whose fetch time is the record's WARC-Date, so the rest of the path
(extract, normalize, store) is the fetched page's. ``prepare_record`` is that rest's CPU part, run in
this process or in extraction worker processes: the charset is found as the fetcher finds it
(``decode_html`` with the record's Content-Type), then ``repub.ingest.extraction.prepare_in_worker``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from ..errors import RepubError
from ..fetch.body import BodyDecoder, Truncated, UnsupportedEncoding
from ..fetch.botwall import wall_by_headers
from ..fetch.client import HTML_TYPES, looks_like_html
from ..fetch.types import Page
from ..stamps import in_the_future

if TYPE_CHECKING:
    from ..ingest.extraction import Prepared
    from ..store.history import RawBody
    from .records import WarcRecord


@dataclass(frozen=True)
class Skip:
    """A record that is not stored as an article: ``kind`` is its count's name in the summary and its
    fetch-log line's error kind (None: counted, not logged, e.g. a request or warcinfo record)."""

    kind: str
    message: str
    log: bool = True


@dataclass(frozen=True)
class Revisit:
    """A revisit record to resolve against the pages kept: the payload it names, and its own HTTP
    status line and headers (the response it records, whose body is the earlier one's)."""

    uri: str
    refers_to: str  # WARC-Refers-To-Target-URI, else its own URI
    digest: str | None  # WARC-Payload-Digest
    date: datetime
    refers_to_date: datetime | None
    status_line: str | None
    headers: tuple[tuple[str, str], ...]


def classify(record: WarcRecord, max_bytes: int) -> Page | Revisit | Skip:
    if record.warc_type not in ("response", "revisit") and record.problem is None:
        return Skip("other-records", f"{record.warc_type} record", log=False)
    if record.problem is not None:
        kind = "truncated" if "missing" in record.problem else "broken"
        return Skip(kind, f"broken WARC record: {record.problem}")
    truncated = record.headers.get("warc-truncated")
    if truncated is not None:
        return Skip("truncated", f"WARC-Truncated: {truncated.strip() or 'unspecified'}")
    uri = record.uri
    if not uri and record.warc_type in ("response", "revisit"):
        return Skip("broken", f"no WARC-Target-URI in a {record.warc_type} record")
    if not uri.lower().startswith(("http://", "https://")):
        return Skip("other-records", f"not an HTTP record: {uri[:80] or '(no WARC-Target-URI)'}", log=False)
    date = record.date
    if date is None:
        return Skip("broken", f"bad WARC-Date {record.headers.get('warc-date', '')[:40]!r}")
    if in_the_future(date):  # a capture is not made in the future: a broken clock or field
        return Skip("broken", f"WARC-Date in the future: {record.headers.get('warc-date', '')[:40]!r}")
    if not record.status_line or record.status is None or not record.status_line.upper().startswith("HTTP/"):
        # warcio's reader takes any first line for one ("NOTHTTP! 200 OK"): a response needs HTTP's
        return Skip("broken", f"no HTTP response status line in the record: {record.status_line or ''!r:.80}")
    if record.warc_type == "revisit":
        return _revisit(record, uri, date)
    return _response(record, uri, date, max_bytes)


def _status_skip(record: WarcRecord, status: int, mime: str) -> Skip | None:
    reason = f"HTTP {record.status_line.split(' ', 1)[1] if record.status_line else status}"
    wall = wall_by_headers({name.lower(): value for name, value in record.http_headers})
    if wall is not None:
        return Skip("bot-wall", wall.message(status))
    if status == 304:
        return Skip("not-modified", reason)
    if 300 <= status < 400:
        location = record.http_header("location")
        return Skip("redirect", f"{reason} -> {location[:200]}" if location else reason)
    if status >= 400:
        return Skip("http-error", reason)
    if status < 200 or status == 204:
        return Skip("broken", f"{reason}: no body")
    if mime and mime not in HTML_TYPES:
        return Skip("not-html", f"not HTML: {mime[:80]}")
    return None


def _mime(record: WarcRecord) -> tuple[str, str]:
    ctype = record.http_header("content-type")
    return ctype, ctype.split(";")[0].strip().lower()


def _revisit(record: WarcRecord, uri: str, date: datetime) -> Revisit | Skip:
    status = record.status or 0
    ctype, mime = _mime(record)
    skip = None if status == 304 else _status_skip(record, status, mime)
    if skip is not None:
        return skip
    from .records import warc_date

    refers_to = record.headers.get("warc-refers-to-target-uri", "").strip().strip("<>") or uri
    return Revisit(uri=uri, refers_to=refers_to, digest=record.headers.get("warc-payload-digest") or None,
                   date=date, refers_to_date=warc_date(record.headers.get("warc-refers-to-date", "")),
                   status_line=record.status_line, headers=tuple(record.http_headers))


def _response(record: WarcRecord, uri: str, date: datetime, max_bytes: int) -> Page | Skip:
    status = record.status or 0
    ctype, mime = _mime(record)
    skip = _status_skip(record, status, mime)
    if skip is not None:
        return skip
    if record.payload is None:
        return Skip("too-large", f"body exceeds the limit of {max_bytes} bytes")
    payload = record.payload
    chunked = "chunked" in record.http_header("transfer-encoding").lower()
    if chunked:
        from .records import dechunk

        payload = dechunk(payload)
    declared = record.http_header("content-length").strip()
    # ASCII digits only: str.isdigit() takes "²", which int() refuses (a ValueError stopped the import)
    if not chunked and declared.isascii() and declared.isdigit() and len(payload) < int(declared):
        return Skip("truncated", f"body of {len(payload)} bytes, shorter than its Content-Length {declared}")
    body = _decoded(payload, record.http_header("content-encoding"), max_bytes)
    if isinstance(body, Skip):
        return body
    if not body:
        return Skip("broken", "empty body")
    if not mime and not looks_like_html(body):
        return Skip("not-html", "not HTML: no Content-Type and the body does not look like HTML")
    headers: dict[str, str] = {}
    for name, value in record.http_headers:
        headers.setdefault(name.lower(), value)
    return Page(url=uri, final_url=uri, status=status, headers=headers, content_type=mime or "text/html",
                charset="", body=body, text="", fetched_at=date, elapsed=0.0,
                status_line=record.status_line or "", raw_headers=tuple(record.http_headers))


def _decoded(payload: bytes, encoding: str, max_bytes: int) -> bytes | Skip:
    """The body with its Content-Encoding undone under ``max_bytes``. Some crawlers store the body
    already decoded under the header they received: a payload that does not inflate but looks like
    HTML is taken as it is."""
    if not encoding.strip() or encoding.strip().lower() == "identity":
        return payload
    try:
        decoder = BodyDecoder(encoding, max_bytes)
        body = decoder.feed(payload)
        if not decoder.over:
            body += decoder.flush()
    except UnsupportedEncoding as err:
        if looks_like_html(payload):
            return payload
        return Skip("broken", f"unsupported Content-Encoding: {err}")
    except zlib.error:
        if looks_like_html(payload):
            return payload
        return Skip("broken", f"corrupt {encoding.strip()[:40]} body")
    except Truncated as err:
        return Skip("truncated", f"truncated {err} body: the compressed data ends early")
    if decoder.over:
        return Skip("too-large", f"decompressed body exceeds the limit of {max_bytes} bytes")
    return body


def revisit_page(revisit: Revisit, body: bytes, kept_status: str | None,
                 kept_headers: tuple[tuple[str, str], ...] | None) -> Page:
    """The page a resolved revisit records: its own status line and headers when it has a 200 of its
    own (identical-payload-digest), else (a 304: server-not-modified) the kept page's; the kept body,
    already decoded."""
    status_line, raw = revisit.status_line, revisit.headers
    if (revisit.status_line or "").split()[1:2] == ["304"] and kept_status:
        status_line, raw = kept_status, kept_headers or ()
    headers: dict[str, str] = {}
    for name, value in raw:
        headers.setdefault(name.lower(), value)
    ctype = headers.get("content-type", "")
    status = int(status_line.split()[1]) if status_line and len(status_line.split()) > 1 else 200
    return Page(url=revisit.uri, final_url=revisit.uri, status=status, headers=headers,
                content_type=ctype.split(";")[0].strip().lower() or "text/html", charset="", body=body,
                text="", fetched_at=revisit.date, elapsed=0.0, status_line=status_line or "",
                raw_headers=tuple(raw))


# -- the CPU part, in this process or a worker ------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    kind: str  # "not-html", "no-article"
    message: str


def prepare_record(url: str, raw: RawBody, content_type: str, status: int = 200) -> Prepared | Failure:
    """Decode the body as the fetcher would (charset from the Content-Type, the page, or a guess),
    refuse binary data, then ``prepare_in_worker``: the record, its digest, the raw page compressed."""
    from ..fetch.botwall import wall_by_page
    from ..fetch.charset import decode_html, looks_binary
    from ..ingest.extraction import prepare_in_worker

    try:
        html, charset = decode_html(raw.body, content_type)
    except (RepubError, LookupError, ValueError) as err:
        return Failure("broken", f"cannot decode the body: {err}")
    if looks_binary(html) and not looks_like_html(raw.body):
        return Failure("not-html", "not HTML: the body is binary data")
    wall = wall_by_page(html)  # a crawler meets challenge pages too: no article, as when fetched
    if wall is not None:
        return Failure("bot-wall", wall.message(status))
    prepared, error = prepare_in_worker(html, url, replace(raw, encoding=charset))
    if prepared is None:
        return Failure("no-article", error or "no article")
    return prepared
