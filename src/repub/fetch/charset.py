"""Turn HTML bytes into text: BOM, then the declared charset (header, <meta>), then detection.

Never raises: a page whose declarations lie (cp1251 labelled UTF-8) is detected instead, and the last
resort decodes with replacement characters.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_RE = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_HEADER_RE = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
# Browsers read these labels as windows-1252 (WHATWG Encoding); pages labelled so rely on it.
_WEB_ALIASES = {"iso8859-1": "cp1252", "ascii": "cp1252"}
# C0/C1 control characters other than whitespace: real HTML in any encoding has next to none.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BINARY_SHARE = 0.05  # of the first _BINARY_WINDOW characters
_BINARY_WINDOW = 8192
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig", "utf-8"), (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be"))


def header_charset(content_type: str) -> str | None:
    """The raw charset parameter of a Content-Type value, if any."""
    match = _HEADER_RE.search(content_type)
    return match.group(1) if match else None


def meta_charset(body: bytes) -> str | None:
    """The charset a <meta charset> or http-equiv Content-Type declares in the first 4 KB."""
    match = _META_RE.search(body[:4096])
    return match.group(1).decode("ascii", "replace") if match else None


def codec_name(label: str | None) -> str | None:
    """Python's canonical codec name for a charset label, or None when the label is unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return _WEB_ALIASES.get(name, name)


def detect(body: bytes) -> str | None:
    best = from_bytes(body).best()
    if best is None:
        return None
    name = codec_name(best.encoding)
    return "utf-8" if name in ("ascii", "cp1252") and _is_utf8(body) else name


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_html(body: bytes, content_type: str = "") -> tuple[str, str]:
    """Return (text, charset used)."""
    for bom, codec, name in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), name
    declared = [codec_name(header_charset(content_type)), codec_name(meta_charset(body))]
    candidates = [name for name in declared if name]
    if not candidates and _is_utf8(body):
        candidates.append("utf-8")  # undeclared but valid UTF-8: no need to guess
    for name in [*candidates, None]:
        name = name or detect(body)
        if not name:
            break
        try:
            return body.decode(name), name
        except (UnicodeDecodeError, LookupError):
            continue
    fallback = candidates[0] if candidates else "utf-8"
    return body.decode(fallback, errors="replace"), fallback


_XML_DECL_RE = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""")


def decode_document(body: bytes, content_type: str = "") -> tuple[str, str]:
    """Text of a discovery document (feed, sitemap, robots.txt): BOM, the Content-Type's charset, the
    XML declaration's encoding, else UTF-8; undecodable bytes become U+FFFD. No detection: parsers read
    the bytes themselves, the text serves robots.txt (ASCII by RFC 9309) and error messages."""
    for bom, codec, name in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), name
    declared = _XML_DECL_RE.match(body[:256])
    name = (codec_name(header_charset(content_type))
            or codec_name(declared.group(1).decode("ascii") if declared else None) or "utf-8")
    return body.decode(name, errors="replace"), name


def looks_binary(text: str) -> bool:
    """Whether decoded page text is really binary data (an image or archive served as text/html)."""
    head = text[:_BINARY_WINDOW]
    return bool(head) and len(_CONTROL_RE.findall(head)) > _BINARY_SHARE * len(head)
