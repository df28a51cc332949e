"""Reading a WARC file with warcio: one ``WarcRecord`` per record, from any record's offset on.

Each record is read whole (its HTTP payload capped at ``max_bytes``) before the next is asked for,
and the next is read before the record is handed on: warcio finds a record whose Content-Length lied
only while reading the one after it (``ArchiveIterator.err_count``), so a record is judged once that
is known. The file's structure failing (garbage, a record that is not WARC, a gzip that is not one
member per record, the file ending inside a record) raises ``WarcFileError`` with one readable line
and the offset of the record it stopped at; what was handed on before stays good.

warcio writes its warnings to ``sys.stderr`` itself; they are caught here (``_quiet``) so that a bad
file gives repub's one line, not warcio's paragraph.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecordLoader

from ..errors import RepubError

READ_BLOCK = 64 * 1024
# WARC 1.1, section 5: the fields every record has, and the record types
MANDATORY = ("WARC-Record-ID", "Content-Length", "WARC-Date", "WARC-Type")
WARC_TYPES = frozenset({"warcinfo", "response", "resource", "request", "metadata", "revisit", "conversion",
                        "continuation"})


class WarcFileError(RepubError):
    """The file cannot be read on from ``offset``: ``str(err)`` is one line naming the file."""

    def __init__(self, name: str, offset: int, message: str) -> None:
        super().__init__(f"{name}: {message} (at byte {offset})")
        self.offset = offset
        self.message = message


@dataclass
class WarcRecord:
    """One record: its WARC headers, and for response and revisit records their HTTP part.

    ``payload`` is the HTTP body as recorded (still chunked or compressed as the headers say), None
    when it is larger than the cap (``oversized``). ``problem``: why the record cannot be trusted
    (its Content-Length lied, it ended early), or None."""

    offset: int  # where the record starts in the file
    next_offset: int  # where the next one starts (the file's end after the last)
    warc_type: str
    headers: dict[str, str]  # WARC headers, names lower-cased
    status_line: str | None = None  # "HTTP/1.1 200 OK"
    http_headers: list[tuple[str, str]] = field(default_factory=list)
    payload: bytes | None = b""
    oversized: bool = False
    problem: str | None = None
    cut: bool = False  # it ended before its Content-Length, or inside its headers: the file was cut

    @property
    def uri(self) -> str:
        return self.headers.get("warc-target-uri", "").strip().strip("<>")

    @property
    def date(self) -> datetime | None:
        return warc_date(self.headers.get("warc-date", ""))

    @property
    def status(self) -> int | None:
        if not self.status_line:
            return None
        parts = self.status_line.split()
        return int(parts[1]) if len(parts) > 1 and parts[1].isascii() and parts[1].isdigit() else None

    def http_header(self, name: str) -> str:
        name = name.lower()
        return next((v for k, v in self.http_headers if k.lower() == name), "")


_DATE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$")


def warc_date(text: str) -> datetime | None:
    """WARC-Date (W3C-ISO8601 in UTC, seconds or finer) as an aware datetime; None when malformed."""
    match = _DATE.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                        int((fraction or "0").ljust(6, "0")[:6]), tzinfo=UTC)
    except ValueError:
        return None


class _Loader(ArcWarcRecordLoader):  # type: ignore[misc]  # warcio has no type hints
    """warcio's record loader, for a record that has no WARC-Target-URI.

    Why (leaning on warcio's internals: ``ArchiveIterator.loader`` and this method, pinned by
    tests/test_warc_hostile.py): warcio calls ``uri.startswith`` on the missing URI of a response,
    revisit or request record (AttributeError) before handing the record on, and the file could not
    be read past it. Given "" the loader reads no HTTP headers, the record is handed on and
    ``classify`` skips it as broken; the records after it are read."""

    def load_http_headers(self, rec_type: Any, uri: Any, stream: Any, length: Any) -> Any:
        return super().load_http_headers(rec_type, "" if uri is None else uri, stream, length)


def read_records(stream: IO[bytes], name: str, *, start: int = 0, size: int | None = None,
                 max_bytes: int = 10 * 1024 * 1024) -> Iterator[WarcRecord]:
    """The records of ``stream`` (a file positioned at ``start``, a record's offset), in order.
    ``size``: the file's size, to find bytes after the last record that are not one."""
    iterator = ArchiveIterator(stream, block_size=READ_BLOCK)
    iterator.loader = _Loader(verify_http=False, arc2warc=False)  # what ArchiveIterator gives its own
    # warcio counts offsets from the stream's tell() when it was given (the file's own offsets for a
    # file seeked to ``start``); ``base`` turns them into the file's for a stream counted from 0 too
    base = start - int(iterator.offset)
    records = _quiet(iterator, name, base, max_bytes)
    current = next(records, None)
    if current is None:  # no record from here on: bytes left (a member cut in its headers) are none
        _end(iterator, name, base, size)
    while current is not None:
        errors_before = iterator.err_count
        failure: WarcFileError | None = None
        try:
            following = next(records, None)
        except WarcFileError as err:  # the record read before it is whole: handed on, then the error
            following, failure = None, err
        if failure is not None:  # (not past the record itself when warcio failed inside it)
            current.next_offset = max(failure.offset, current.offset)
        elif following is None:
            if current.cut and current.headers.get("warc-truncated") is None:
                # only the last record can meet the file's end: a file cut short (a download
                # that stopped, a Content-Length longer than what is left)
                raise WarcFileError(name, current.offset, f"the file ends inside a record: truncated "
                                                          f"({current.problem})")
            try:
                current.next_offset = _end(iterator, name, base, size)
            except WarcFileError as err:  # bytes after it that are no record: it is whole, handed on
                current.next_offset, failure = err.offset, err
        else:
            current.next_offset = following.offset
        if iterator.err_count > errors_before and current.problem is None:
            current.problem = "its Content-Length does not match its content"
        yield current
        if failure is not None:
            raise failure
        current = following


def _quiet(iterator: ArchiveIterator, name: str, base: int, max_bytes: int) -> Iterator[WarcRecord]:
    """warcio's records as ``WarcRecord``s, its stderr warnings caught, its errors one line each;
    ``base + iterator.offset`` is an offset in the file."""
    while True:
        noise = io.StringIO()
        offset = base + iterator.offset  # before next(): where the record it looks for starts
        try:
            with contextlib.redirect_stderr(noise):
                record = next(iterator)
                offset = base + iterator.offset
                out = _read(record, offset, max_bytes)
        except StopIteration:
            return
        except ArchiveLoadFailed as err:
            raise WarcFileError(name, max(offset, base + iterator.offset), _load_failed(err)) from None
        except Exception as err:  # noqa: BLE001 - warcio raises what its parsers raise (ValueError,
            # zlib.error, EOFError, AttributeError on a record cut before its URI...): each is the
            # file's structure failing here, one line, never a traceback
            raise WarcFileError(name, max(offset, base + iterator.offset),
                                f"not a readable WARC record: {_first_line(err)}") from None
        yield out


def _read(record: Any, offset: int, max_bytes: int) -> WarcRecord:
    headers = {k.lower(): v for k, v in record.rec_headers.headers}
    out = WarcRecord(offset=offset, next_offset=offset, warc_type=record.rec_type or "", headers=headers)
    missing = [f for f in MANDATORY if f.lower() not in headers]
    if missing:  # a record cut inside its headers (a truncated file) lacks the later ones
        out.problem, out.cut = f"no {', '.join(missing)}: not a whole WARC record", True
    elif out.warc_type not in WARC_TYPES:
        out.problem = f"unknown WARC-Type {out.warc_type[:40]!r}"
    if record.rec_type not in ("response", "revisit") or out.problem:
        return out  # the iterator skips what is left of it
    if record.http_headers is not None:
        http = record.http_headers
        out.status_line = f"{http.protocol} {http.statusline}".strip() if http.protocol else http.statusline
        out.http_headers = list(http.headers)
    parts: list[bytes] = []
    size = 0
    while block := record.raw_stream.read(READ_BLOCK):
        size += len(block)
        if size > max_bytes:
            out.payload, out.oversized = None, True
            return out
        parts.append(block)
    out.payload = b"".join(parts)
    owed = _unread(record.raw_stream)
    if owed:
        out.problem, out.cut = f"{owed} bytes of its content missing", True
    return out


def _unread(stream: Any) -> int:
    """Bytes of the record's declared Content-Length its stream still owed once it returned nothing:
    more than 0 when the file ended inside the record. warcio's ``LimitReader`` counts them down in
    its ``limit`` attribute (not a documented API: tests/test_warc.py's truncated files fail if it
    goes); a stream without it owes nothing."""
    owed = getattr(stream, "limit", 0)
    return owed if isinstance(owed, int) else 0


def _end(iterator: ArchiveIterator, name: str, base: int, size: int | None) -> int:
    """The offset after the last record; WarcFileError when bytes are left that warcio did not read
    as a record (a file cut inside a record's headers, junk at the end)."""
    end = base + int(iterator.offset)
    if size is not None and end < size:
        raise WarcFileError(name, end, f"the file ends inside a record: truncated ({size - end} bytes "
                                       "that are not a whole WARC record)")
    return end


def _load_failed(err: ArchiveLoadFailed) -> str:
    text = printable(str(err))
    if "non-chunked gzip" in text:
        return ("not a WARC with one gzip member per record (a whole-file gzip): "
                "`warcio recompress FILE NEW.warc.gz` writes one that can be read")
    if text.startswith("Unknown archive format"):
        first = text.split(",", 1)[1].strip().removeprefix("first line:").strip()
        return f"not a WARC record here (it starts {first[:60]}{'…' if len(first) > 60 else ''})"
    return text[:200] or "not a WARC file"


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return printable(text.splitlines()[0])[:200] if text else type(err).__name__


def printable(text: str) -> str:
    """``text`` on one line with what a terminal would not show as text (a binary file's bytes
    decoded as Latin-1) as "?": an error line quotes hostile input."""
    return " ".join("".join(c if c.isprintable() else "?" for c in text).split())


def dechunk(payload: bytes) -> bytes:
    """A chunked HTTP body joined (warcio's reader; a body that is not chunked comes back as it is)."""
    return ChunkedDataReader(io.BytesIO(payload)).read()  # type: ignore[no-any-return]
