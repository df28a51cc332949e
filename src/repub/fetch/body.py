"""Bounded body decoding: undo Content-Encoding ourselves so a compression bomb never inflates past the cap.

httpx would inflate a whole network chunk at once (a 64 KB gzip chunk of zeros is ~64 MB); zlib's
``max_length`` lets us stop at the limit instead.
"""

from __future__ import annotations

import zlib

ACCEPT_ENCODING = "gzip, deflate"  # only what we can inflate with a bound
GZIP_MAGIC = b"\x1f\x8b"


class UnsupportedEncoding(Exception):
    pass


class TooLarge(Exception):
    """Inflating would go past the limit."""


class Truncated(Exception):
    """The compressed stream stops before its end (a body cut short); ``str()`` is the encoding."""


class BadGzip(Exception):
    """Corrupt or cut-short gzip data; ``str()`` says which."""


def gunzip_capped(data: bytes, limit: int) -> bytes:
    """Inflate a gzip file (possibly several members), never past ``limit`` bytes: TooLarge beyond it,
    BadGzip when the data is corrupt or cut short. For files served as they are on disk (an
    ``.xml.gz`` sent as application/gzip), which no Content-Encoding announces. Read by the
    Content-Encoding decoder, so both agree on what a member, padding and a cut stream are."""
    decoder = BodyDecoder("gzip", limit)
    try:
        out = decoder.feed(data)
        if len(out) <= limit:
            out += decoder.flush()
    except zlib.error as exc:
        raise BadGzip(f"corrupt gzip data: {exc}") from None
    except Truncated:
        raise BadGzip("truncated gzip data") from None
    if len(out) > limit:
        raise TooLarge(f"decompressed size exceeds {limit} bytes")
    return out


class _Inflater:
    """One Content-Encoding undone. A gzip stream may hold several members one after the other (RFC 1952
    2.2; what ``cat a.gz b.gz`` makes): each is inflated in turn, as gzip(1) and urllib3 read them, where
    one zlib object stops after the first and the rest of the page would be lost without a word. Bytes
    after a member that start no other are padding, ignored."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._raw_fallback = encoding == "deflate"  # servers send "deflate" both zlib-wrapped and raw
        self._gzip = encoding in ("gzip", "x-gzip")
        self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        self._fed = False  # an empty body under a Content-Encoding header is empty, not cut short
        self._between = b""  # the start of what follows a gzip member, too short to tell yet
        self._padding = False  # what followed the last member was no member: the rest is ignored

    def feed(self, data: bytes, room: int) -> bytes:
        """Inflate ``data``, producing at most ``room + 1`` bytes (one past means: over the limit)."""
        room = max(room, 0)
        self._fed = self._fed or bool(data)
        out = bytearray()
        while data:
            if self._obj.eof:
                data = self._next_member(data)
                if not data:
                    break
            try:
                out += self._obj.decompress(data, room + 1 - len(out))
            except zlib.error:
                if not self._raw_fallback:
                    raise
                self._raw_fallback = False
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._raw_fallback = False
            if len(out) > room:
                break
            data = self._obj.unconsumed_tail or (self._obj.unused_data if self._obj.eof else b"")
        return bytes(out)

    def _next_member(self, data: bytes) -> bytes:
        """``data`` after a finished stream: a further gzip member, with a fresh inflater for it, or
        nothing (padding, or too few bytes yet to tell)."""
        if not self._gzip or self._padding:
            return b""
        data = self._between + data
        if len(data) < len(GZIP_MAGIC) and GZIP_MAGIC.startswith(data):
            self._between = data
            return b""
        self._between = b""
        if not data.startswith(GZIP_MAGIC):
            self._padding = True
            return b""
        self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16)
        return data

    def flush(self) -> bytes:
        tail = self._obj.flush()
        if self._fed and not self._obj.eof:  # a connection closed early, a crawler's cut: not the whole page
            raise Truncated(self.encoding)
        return tail


class BodyDecoder:
    """Decodes a Content-Encoding chain (e.g. ``gzip``) chunk by chunk, never past ``limit`` + 1 bytes.
    ``flush`` raises Truncated when a stream stops before its end, zlib.error where it is corrupt."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        names = [n.strip().lower() for n in content_encoding.split(",") if n.strip()]
        names = [n for n in names if n != "identity"]
        unknown = [n for n in names if n not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            raise UnsupportedEncoding(", ".join(unknown))
        # Encodings are listed in the order applied, so they are undone last-first.
        self._stages = [_Inflater(n) for n in reversed(names)]
        self.limit = limit
        self.size = 0

    def feed(self, chunk: bytes) -> bytes:
        for stage in self._stages:
            chunk = stage.feed(chunk, self.limit - self.size)
        self.size += len(chunk)
        return chunk

    def flush(self) -> bytes:
        out = b""
        for i, stage in enumerate(self._stages):
            tail = stage.flush()
            for later in self._stages[i + 1 :]:
                tail = later.feed(tail, self.limit - self.size - len(out))
            out += tail
        self.size += len(out)
        return out

    @property
    def over(self) -> bool:
        return self.size > self.limit
