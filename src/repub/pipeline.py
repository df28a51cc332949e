"""The import path: fetch -> extract -> normalize -> store, then the same for the original.

``Importer.import_url`` is the one-off, synchronous path. Ingest and re-sync fetch pages themselves
(asynchronously, politely) and hand each fetched ``Page`` to ``save_page`` and, for the original,
``save_original`` / ``original_failed``; so every page is stored the same way whoever fetched it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import Settings
from .errors import ExtractError, FetchError, RepubError
from .extract import extract
from .fetch import fetch_page
from .fetch.types import Page
from .normalize import canonical_url, normalize, utc_now
from .normalize.types import Record
from .reuse.fingerprint import Fingerprint, fingerprint
from .store import FetchLogEntry, SaveResult, Store
from .store.history import PreparedRaw, RawBody
from .store.save import SaveItem


@dataclass
class ImportOutcome:
    """What importing one URL did. ``error`` is set when the page itself could not be imported."""

    requested_url: str
    url: str | None = None  # canonical URL the article is stored under
    created: bool = False
    changed: bool = False
    original_url: str | None = None
    original_status: str | None = None  # "ok", "failed", "pending" or None when there is no link
    original_error: str | None = None
    error: str | None = None


def extract_record(html: str, final_url: str) -> Record:
    """``normalize(extract(html, final_url))``: the CPU-bound part of saving a page, picklable."""
    return normalize(extract(html, final_url))


class Importer:
    """Stores fetched pages and their originals in one store with one set of fetch settings."""

    def __init__(self, store: Store, settings: Settings, *, run_id: int | None = None) -> None:
        self.store = store
        self.settings = settings
        self.run_id = run_id

    # -- the one-off path -------------------------------------------------------------------------

    def import_url(self, url: str, *, follow_original: bool = True) -> ImportOutcome:
        """Import one URL (and its original). Failures are logged and returned, never raised."""
        outcome = ImportOutcome(requested_url=url)
        try:
            record, saved = self.save_page(self.fetch(url), requested_url=url)
        except RepubError as err:
            outcome.error = str(err)
            return outcome
        outcome.url, outcome.created, outcome.changed = record.url, saved.created, saved.changed
        original_url = self.original_to_follow(record)
        if original_url is None:
            return outcome
        outcome.original_url = original_url
        outcome.original_status = "pending"
        if follow_original:
            outlet = record.original.outlet if record.original else None
            try:
                self.save_original(
                    self.fetch(original_url), copy_url=record.url, original_url=original_url, outlet=outlet
                )
                outcome.original_status = "ok"
            except RepubError as err:
                self.original_failed(original_url, err)
                outcome.original_status, outcome.original_error = "failed", str(err)
        return outcome

    def fetch(self, url: str) -> Page:
        """Fetch one page synchronously, logging the attempt either way."""
        url = canonical_url(url)
        try:
            page = fetch_page(url, self.settings.fetch)
        except FetchError as err:
            self.log_failure(err)
            raise
        self.log_page(page)
        return page

    # -- shared by every path -----------------------------------------------------------------------

    def save_page(
        self, page: Page, *, requested_url: str | None = None, outlet: str | None = None
    ) -> tuple[Record, SaveResult]:
        """Extract, normalize and store a fetched page (one transaction)."""
        record = self._extract_logged(page)
        return record, self.save_record(record, page, requested_url=requested_url, outlet=outlet)

    @staticmethod
    def extract_page(page: Page) -> Record:
        """Extract and normalize a fetched page (no database work: may run in another process)."""
        return extract_record(page.text, page.final_url)

    def _extract_logged(self, page: Page) -> Record:
        """``extract_page``; a page that yields no article gets an "extract" line in the fetch log."""
        try:
            return self.extract_page(page)
        except ExtractError as err:
            self.store.log_fetch(rejected_log_entry(page, err, self.run_id))
            raise

    def save_record(
        self, record: Record, page: Page, *, requested_url: str | None = None, outlet: str | None = None
    ) -> SaveResult:
        """Store an already extracted ``record`` of ``page`` (one transaction)."""
        item = save_item(record, page, requested_url=requested_url, outlet=outlet)
        return self.store.save_article(
            record, fetched_at=item.fetched_at, aliases=item.aliases, http_status=item.http_status,
            etag=item.etag, last_modified=item.last_modified, outlet=outlet, raw=item.raw,
            fingerprint=fingerprint(record.body_text),
        )

    def original_to_follow(self, copy: Record) -> str | None:
        """The original's URL when the copy links to one; records the link (a stub until fetched)."""
        original = copy.original
        if original is None or not original.url or original.url == copy.url:
            return None
        # one transaction: the stub (if any) takes the outlet and date the saved copy printed
        self.store.link_original(copy.url, original.url)
        return original.url

    def save_original(
        self, page: Page, *, copy_url: str, original_url: str, outlet: str | None
    ) -> tuple[Record, SaveResult]:
        """Store the fetched original (linked from the copy as ``original_url``) and link the copy to it.

        Only URLs are needed, so an original left pending by an earlier run is saved the same way."""
        record = self._extract_logged(page)
        return record, self.save_original_record(record, page, copy_url=copy_url, original_url=original_url,
                                                 outlet=outlet)

    def save_original_record(
        self, record: Record, page: Page, *, copy_url: str, original_url: str, outlet: str | None
    ) -> SaveResult:
        """``save_original`` for an already extracted ``record``."""
        result = self.save_record(record, page, requested_url=original_url, outlet=outlet)
        self.store.link_original(copy_url, original_url)
        return result

    def original_failed(self, original_url: str, err: RepubError) -> None:
        """The original could not be fetched or read: keep the stub with the failure."""
        self.store.mark_failed(
            original_url,
            str(err),
            http_status=err.status if isinstance(err, FetchError) else None,
            checked_at=utc_now(),
        )

    def log_page(self, page: Page) -> None:
        self.store.log_fetch(fetch_log_entry(page, self.run_id))

    def log_failure(self, err: FetchError) -> None:
        self.store.log_fetch(fetch_log_entry(err, self.run_id))


def save_item(
    record: Record, page: Page, *, requested_url: str | None = None, outlet: str | None = None,
    raw: PreparedRaw | None = None, stub_original: bool = False, copy_id: int | None = None,
    copy_url: str | None = None, original_url: str | None = None, content_hash: str | None = None,
    fingerprint: Fingerprint | None = None,
) -> SaveItem:
    """What ``save_record`` stores for ``page``, for ``Store.save_many``. ``raw``: the page already
    prepared (``repub.store.history.prepare_raw``, e.g. in a worker process). A copy passes
    ``stub_original``; an original fetched for a copy passes the copy and the URL it names (see
    ``SaveItem``): one transaction for what took three. ``content_hash``: the record's, when it was
    computed already (``repub.store.content_hash``, e.g. in a worker process); ``fingerprint``
    likewise (``repub.reuse.fingerprint``)."""
    return SaveItem(
        record,
        page.fetched_at,
        tuple(canonical_url(u) for u in (requested_url or page.url, page.url, page.final_url)),
        http_status=page.status,
        etag=page.etag,
        last_modified=page.last_modified,
        outlet=outlet,
        # every distinct page is kept (compressed) so `repub reextract` needs no fetch
        raw=raw or _raw_body(page),
        stub_original=stub_original,
        copy_id=copy_id,
        copy_url=copy_url,
        original_url=original_url,
        content_hash=content_hash,
        fingerprint=fingerprint,
    )


def _raw_body(page: Page) -> RawBody:
    return RawBody(url=page.final_url, body=page.body, encoding=page.charset,
                   status_line=page.status_line or None, headers=page.raw_headers or None)


def fetch_log_entry(outcome: Page | FetchError, run_id: int | None) -> FetchLogEntry:
    """The fetch-log line of one request, answered (a ``Page``) or not."""
    if isinstance(outcome, Page):
        return FetchLogEntry(
            url=outcome.url, final_url=outcome.final_url, fetched_at=outcome.fetched_at,
            status=outcome.status, nbytes=len(outcome.body), elapsed_ms=int(outcome.elapsed * 1000),
            run_id=run_id,
        )
    return FetchLogEntry(
        url=outcome.url, final_url=outcome.final_url, fetched_at=utc_now(), status=outcome.status,
        nbytes=outcome.nbytes, elapsed_ms=None, error_kind=outcome.kind, error=outcome.message,
        run_id=run_id,
    )


def rejected_log_entry(page: Page, err: ExtractError, run_id: int | None) -> FetchLogEntry:
    """The fetch-log line of a page fetched well that held no article: its request's line says 200, so
    this one, kind "extract", says what became of the page."""
    message = str(err)
    for url in (page.final_url, page.url):  # the line names the URL already, as for fetch errors
        message = message.removeprefix(f"{url}: ")
    return FetchLogEntry(
        url=page.url, final_url=page.final_url, fetched_at=utc_now(), status=page.status,
        nbytes=len(page.body), elapsed_ms=None, error_kind="extract", error=message, run_id=run_id,
    )
