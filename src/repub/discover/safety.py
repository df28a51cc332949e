"""Shared defences for what discovery reads from the open web (feeds, sitemaps, listing pages)."""

from __future__ import annotations

import codecs
import re
from urllib.parse import urldefrag, urljoin, urlsplit

from ..fetch.charset import NOT_CHARSETS, codec_name

# A DTD that declares entities is how "billion laughs" (exponential expansion) and external-entity
# (XXE) attacks start. Real feeds and sitemaps never need one, so such a document is refused outright
# rather than trusting each parser's limits. Only the head of the document can hold a DTD, but the
# whole text is scanned: it is cheap, and an entity declaration anywhere is a sign of mischief.
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
# the same declaration in UTF-16, which XML parsers also accept (detected from the BOM)
_ENTITY_DECL_UTF16 = ("<!ENTITY".encode("utf-16-le"), "<!ENTITY".encode("utf-16-be"))
_ENTITY_DECL_TEXT = re.compile("<!ENTITY", re.IGNORECASE)
# A parser reads the document in the encoding its first bytes show (XML 1.0 appendix F: UTF-32, UTF-16,
# EBCDIC) or its XML declaration names, where the bytes of "<!ENTITY" are not these ASCII bytes: UTF-32,
# EBCDIC ("Lo\xa7\x94" is "<?xm"), UTF-7 ("+ADw-!ENTITY"), ISO-2022 (an escape inside the word). So the
# document is also scanned as the text the parser reads.
_FIRST_BYTES = (
    (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"), (b"<\x00?\x00", "utf-16-le"),
    (b"Lo\xa7\x94", "cp037"),
)
_DECLARED = re.compile(r"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")


def entity_declaration_error(content: bytes, what: str) -> str | None:
    """An error message if ``content`` declares XML entities, else None."""
    if (_ENTITY_DECL.search(content) or any(marker in content for marker in _ENTITY_DECL_UTF16)
            or _ENTITY_DECL_TEXT.search(_as_read(content))):
        return f"refused {what}: the document declares XML entities (<!ENTITY), a possible entity bomb"
    return None


def encoding_error(content: bytes, what: str) -> str | None:
    """An error message if ``content`` declares an encoding that is no character set, else None.
    feedparser decodes with any codec Python knows by the declared name: ``encoding="punycode"``
    before 10 MB of base-36 digits would hold a run for hours."""
    declared = declared_encoding(content)[1]
    try:
        name = codecs.lookup(declared).name if declared else None
    except LookupError:  # unknown: the parser falls back to UTF-8 and the like
        return None
    if name in NOT_CHARSETS:
        return f"refused {what}: the document declares the encoding {declared!r}, " \
            "which is not a character set"
    return None


def declared_encoding(content: bytes) -> tuple[str | None, str | None]:
    """(the encoding the document's first bytes show, the one its XML declaration names), each if any."""
    sniffed = next((name for start, name in _FIRST_BYTES if content.startswith(start)), None)
    head = content.removeprefix(codecs.BOM_UTF8)[:1024].decode(sniffed or "latin-1", "replace")
    declared = _DECLARED.match(head.lstrip("\ufeff"))
    return sniffed, declared.group(1) if declared else None


def _as_read(content: bytes) -> str:
    """``content`` as the text an XML parser reads: in the encoding its first bytes show, else the one
    its declaration names (both when EBCDIC: cp500 is not cp037), else UTF-8; undecodable bytes are
    replaced."""
    sniffed, declared = declared_encoding(content)
    if sniffed is not None and sniffed.startswith("utf-"):
        return content.decode(sniffed, "replace")  # the byte order is what the first bytes show
    for name in (declared, sniffed):
        codec = codec_name(name)  # None: unknown, or no character set ("punycode", "base64")
        if codec is not None:
            return content.decode(codec, "replace")
    return content.decode("utf-8", "replace")


def web_url(link: str, base_url: str) -> str | None:
    """``link`` (a <loc>, an entry's link, an href) made absolute against ``base_url``, without its
    fragment; None unless it is an http(s) URL with a host. A link urljoin cannot read (a bracketed
    host that is not an IPv6 address, ``http://[::1/x``: ValueError) is treated as absent, so one bad
    link costs only itself, not the document or the run."""
    try:
        url, _fragment = urldefrag(urljoin(base_url, link.strip()))
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and host else None

