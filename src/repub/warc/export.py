"""``repub export --warc OUT``: the kept raw pages as a WARC file that archive tools can replay.

One ``warcinfo`` record naming repub and its version, then per kept raw page (oldest first) a
``response`` record: WARC-Target-URI the URL the body came from, WARC-Date its first fetch, the status
line and headers as received, the body as kept, and the block and payload digests warcio computes.
The body is kept decoded (the fetcher undoes Content-Encoding and chunked Transfer-Encoding as it
reads), so those two headers are left out and Content-Length is the body's: a replay tool must get
the bytes the headers describe. A page kept before repub kept headers (migration 0010) is written as
``HTTP/1.1 200 OK`` with the Content-Type its encoding implies and a ``WARC-Repub-Headers: not-kept``
field; the summary counts them. ``with_records`` adds after each response a ``metadata`` record
(``WARC-Concurrent-To`` it) carrying the article as ``repub show --json`` prints it, with the
extracted fields of the version current when the page was fetched.

The file is written to ``OUT.part`` and renamed when whole: an interrupted export leaves no
half-written file under the name asked for.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .. import __version__
from ..errors import RepubError
from ..store import Store
from ..store.views import ArticleView, iso_utc
from ..store.warcfiles import ExportPage, export_pages

# Headers that describe the bytes on the wire, not the decoded body that is kept and written
WIRE_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
NOT_KEPT = "not-kept"


class ExportError(RepubError):
    """The output file cannot be written."""


@dataclass
class ExportReport:
    path: Path
    responses: int = 0
    metadata: int = 0
    without_headers: int = 0  # pages kept before their headers were

    def summary(self) -> str:
        line = f"wrote {self.responses} response records"
        if self.metadata:
            line += f" and {self.metadata} metadata records"
        line += f" to {self.path}"
        if self.without_headers:
            line += (f"; {self.without_headers} pages were kept before repub kept status lines and headers "
                     "(migration 0010): written as HTTP/1.1 200 OK with the Content-Type of their encoding, "
                     f"marked WARC-Repub-Headers: {NOT_KEPT}")
        return line


def export_warc(store: Store, out: Path, *, site: str | None = None, since: datetime | None = None,
                with_records: bool = False) -> ExportReport:
    """Write the WARC (gzip per record when ``out`` ends in .gz). ExportError when it cannot be written."""
    part = out.with_name(out.name + ".part")
    report = ExportReport(out)
    try:
        handle = part.open("wb")
    except OSError as err:
        raise ExportError(f"cannot write {out}: {err.strerror or err}") from None
    try:
        with handle:
            writer = WARCWriter(handle, gzip=out.name.endswith(".gz"))
            writer.write_record(writer.create_warcinfo_record(out.name, {
                "software": f"repub/{__version__}", "format": "WARC File Format 1.0",
                "description": "pages kept by repub (repub export --warc)",
            }))
            views: dict[int, ArticleView | None] = {}
            for page in export_pages(store, site=site, since=since, with_content=with_records):
                response = _response(writer, page, report)
                writer.write_record(response)
                report.responses += 1
                if with_records:
                    metadata = _metadata(writer, store, page, response, views)
                    if metadata is not None:
                        writer.write_record(metadata)
                        report.metadata += 1
        os.replace(part, out)
    except OSError as err:
        with contextlib.suppress(OSError):
            part.unlink()
        raise ExportError(f"cannot write {out}: {err.strerror or err}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
    return report


def _response(writer: WARCWriter, page: ExportPage, report: ExportReport) -> Any:
    warc_headers = {"WARC-Date": _warc_date(page.fetched_at)}
    if page.status_line and page.headers is not None:
        protocol, _, status = page.status_line.partition(" ")
        if not protocol.upper().startswith("HTTP/"):
            protocol, status = "HTTP/1.1", page.status_line
        headers = [(k, v) for k, v in page.headers if k.lower() not in WIRE_HEADERS]
    else:
        report.without_headers += 1
        protocol, status = "HTTP/1.1", "200 OK"
        headers = [("Content-Type", f"text/html; charset={page.encoding or 'utf-8'}")]
        warc_headers["WARC-Repub-Headers"] = NOT_KEPT
    headers.append(("Content-Length", str(len(page.body))))
    http = StatusAndHeaders(status, headers, protocol=protocol)
    return writer.create_warc_record(page.url, "response", payload=io.BytesIO(page.body), length=None,
                                     http_headers=http, warc_headers_dict=warc_headers)


def _metadata(writer: WARCWriter, store: Store, page: ExportPage, response: Any,
              views: dict[int, ArticleView | None]) -> Any:
    if page.article_id not in views:
        if len(views) > 1000:  # pages come in id order, an article's mostly together: stay small
            views.clear()
        views[page.article_id] = store.get(page.article_url)
    view = views[page.article_id]
    if view is None:
        return None
    data = view.to_json()
    if page.content is not None:
        content = dict(page.content)
        image = {"url": content.pop("lead_image_url", None),
                 "caption": content.pop("lead_image_caption", None),
                 "credit": content.pop("lead_image_credit", None)}
        data.update(content)
        data["lead_image"] = None if all(v is None for v in image.values()) else image
        data["version"] = page.version
    data["fetched_at"] = iso_utc(page.fetched_at)
    payload = json.dumps(data, ensure_ascii=False, sort_keys=False).encode("utf-8")
    return writer.create_warc_record(
        page.url, "metadata", payload=io.BytesIO(payload), warc_content_type="application/json",
        warc_headers_dict={"WARC-Date": _warc_date(page.fetched_at),
                           "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")})


def _warc_date(at: datetime) -> str:
    return iso_utc(at) or ""
