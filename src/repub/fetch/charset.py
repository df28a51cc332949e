"""Turn HTML bytes into text, deciding with the bytes: a declared charset is believed only where
the bytes fit it.

1. A byte order mark decides.
2. UTF-8: bytes that are valid UTF-8 (with non-ASCII text) are UTF-8, whatever the page declares (a
   page labelled ISO-8859-1 that is UTF-8 reads "sanción", not "sanciÃ³n"); so are bytes that are
   UTF-8 but for a stray legacy byte or two (valid multi-byte sequences outnumber the invalid bytes
   ``MOSTLY_UTF8`` to one; those bytes become U+FFFD).
3. Otherwise a legacy encoding: the declared one (header, then <meta>) when it is not UTF-8 and the
   bytes decode under it, then those of the page's declared language (``legacy_charsets.toml``: a
   French page gives windows-1252, a Polish one windows-1250 or ISO-8859-2...), then the Windows code
   pages of Latin-script languages. Each candidate's text is judged by its signs of a wrong guess
   (control characters, symbols inside words: "bia³kowa" for "białkowa"); the fewest win, ties going
   to the earlier candidate. A page without a declared language whose script is not Latin
   (Cyrillic, Greek, CJK...) is left to charset_normalizer's detection, as before.

Never raises: the last resort decodes with replacement characters.
"""

from __future__ import annotations

import codecs
import functools
import re
import tomllib
import unicodedata
from pathlib import Path

from charset_normalizer import from_bytes

_META_RE = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_HEADER_RE = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
# <html lang="fr-FR">, <meta http-equiv="content-language" content="fr">: the page's declared language
_LANG_RE = re.compile(rb"""<html\b[^>]*?\blang\s*=\s*["']?\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)""",
                      re.IGNORECASE)
_CONTENT_LANGUAGE_RE = re.compile(
    rb"""<meta[^>]*?http-equiv\s*=\s*["']?content-language["']?[^>]*?content\s*=\s*["']?\s*"""
    rb"""([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)""", re.IGNORECASE)
# Browsers read these labels as windows-1252 (WHATWG Encoding); pages labelled so rely on it.
_WEB_ALIASES = {"iso8859-1": "cp1252", "ascii": "cp1252"}
# C0/C1 control characters other than whitespace: real HTML in any encoding has next to none.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BINARY_SHARE = 0.05  # of the first _BINARY_WINDOW characters
_BINARY_WINDOW = 8192
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig", "utf-8"), (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be"))
LEGACY_FILE = Path(__file__).with_name("legacy_charsets.toml")
CLEARLY_FEWER = 3  # signs of a wrong guess a later candidate must save to overturn an earlier one
MOSTLY_UTF8 = 4  # valid multi-byte sequences per invalid byte, at least, for UTF-8 with strays
# Measured on the 33 pages of ../shared/bench/metadata that are not valid UTF-8: those that are UTF-8
# with a stray byte have 25-500 valid sequences per invalid byte; legacy pages none (at most 1 in 9).
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")
_STRAY_RE = re.compile(r"[\udc80-\udcff]")  # an invalid byte, as surrogateescape decodes it
# marks that sit inside words of real text: apostrophes (the acute accent too: "Harper´s"), middle dot
# (Catalan l·l), soft hyphen, hyphens
_IN_WORD_OK = frozenset("\u2019\u2018\u02bc\u00b4\u00b7\u00ad\u2010\u2011")
# scripts charset_normalizer is trusted to tell apart; a Latin-script guess is decided here instead
_LATIN_GUESSES = frozenset({
    "cp1252", "cp1250", "cp1254", "cp1257", "cp1258", "cp437", "cp775", "cp850", "cp852", "cp858",
    "cp860", "cp861", "cp863", "cp865", "hp-roman8", "mac-roman", "mac-latin2", "mac-iceland",
    "mac-turkish", "mac-croatian", "mac-romanian", "latin-1", "iso8859-1", "iso8859-2", "iso8859-3",
    "iso8859-4", "iso8859-9", "iso8859-10", "iso8859-13", "iso8859-14", "iso8859-15", "iso8859-16",
})


def header_charset(content_type: str) -> str | None:
    """The raw charset parameter of a Content-Type value, if any."""
    match = _HEADER_RE.search(content_type)
    return match.group(1) if match else None


def meta_charset(body: bytes) -> str | None:
    """The charset a <meta charset> or http-equiv Content-Type declares in the first 4 KB."""
    match = _META_RE.search(body[:4096])
    return match.group(1).decode("ascii", "replace") if match else None


def page_language(body: bytes) -> str | None:
    """The language the page declares (``<html lang>``, else a content-language <meta>), lower case
    with its subtags (``fr-fr``, ``zh-hant``), from the first 8 KB; None when it declares none."""
    head = body[:8192]
    match = _LANG_RE.search(head) or _CONTENT_LANGUAGE_RE.search(head)
    return match.group(1).decode("ascii").lower().replace("_", "-") if match else None


# Codecs Python knows by a name a page may declare that read no page: text transforms (punycode, idna,
# the escape codecs; punycode's decoder takes time quadratic in its input) and "undefined", which refuses
# everything. Codecs of bytes to bytes or text to text ("base64", "rot13") fail codec_name's text check.
NOT_CHARSETS = frozenset({"punycode", "idna", "unicode-escape", "raw-unicode-escape", "undefined"})


def codec_name(label: str | None) -> str | None:
    """Python's canonical codec name for a charset label, or None when the label is unknown or names
    a codec that is no character set (``NOT_CHARSETS``, "base64")."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
        if name in NOT_CHARSETS:
            return None
        "".encode(name)  # LookupError: "'base64' is not a text encoding"
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


def _mostly_utf8(body: bytes) -> bool:
    """UTF-8 but for a few stray bytes: valid multi-byte sequences outnumber the invalid bytes."""
    text = body.decode("utf-8", errors="surrogateescape")  # each invalid byte: one lone surrogate
    invalid = len(_STRAY_RE.findall(text))
    valid = len(_NON_ASCII_RE.findall(text)) - invalid
    return valid >= MOSTLY_UTF8 * max(invalid, 1)


@functools.cache
def _legacy_table() -> tuple[dict[str, tuple[str, ...]], tuple[str, ...], tuple[str, ...]]:
    data = tomllib.loads(LEGACY_FILE.read_text(encoding="utf-8"))
    languages = {code: tuple(names) for code, names in data["languages"].items()}
    return languages, tuple(data["default"]), tuple(data["fallback"])


def language_charsets(language: str | None) -> tuple[str, ...]:
    """The legacy encodings of a declared language (``fr-FR``, ``zh-TW``), most likely first."""
    languages, default, _fallback = _legacy_table()
    if not language:
        return ()
    parts = language.lower().replace("_", "-").split("-")
    if parts[0] == "zh" and {"hant", "tw", "hk", "mo"} & set(parts[1:]):
        return languages["zh-hant"]
    return languages.get(parts[0], default)


def _wrong_signs(text: str) -> int:
    """How much ``text`` looks mis-decoded: C1 control characters (never in real text) count ten,
    a symbol between two letters ("bia³kowa", "Ã¤") one."""
    signs = 0
    for match in _NON_ASCII_RE.finditer(text):
        char = match.group()
        if "\x80" <= char <= "\x9f":
            signs += 10
            continue
        if char.isalpha() or char in _IN_WORD_OK or unicodedata.category(char) in ("Mn", "Mc"):
            continue
        at = match.start()
        if 0 < at < len(text) - 1 and text[at - 1].isalpha() and text[at + 1].isalpha():
            signs += 1
    return signs


def _best_legacy(body: bytes, candidates: list[str]) -> tuple[str, str] | None:
    """The first candidate the bytes decode under, unless a later one's text shows clearly fewer
    signs of a wrong guess (at most half as many, and ``CLEARLY_FEWER`` fewer at least): a stray
    symbol or two (a "Harper´s", mojibake already in the page) does not overturn a declaration."""
    best: tuple[int, str, str] | None = None
    for name in dict.fromkeys(candidates):
        try:
            text = body.decode(name)
        except (UnicodeError, LookupError):  # UnicodeError: a codec that refuses, not only bad bytes
            continue
        signs = _wrong_signs(text)
        if best is None or (signs <= best[0] // 2 and best[0] - signs >= CLEARLY_FEWER):
            best = (signs, text, name)
        if best[0] == 0:
            break
    return (best[1], best[2]) if best is not None else None


def decode_html(body: bytes, content_type: str = "") -> tuple[str, str]:
    """Return (text, charset used)."""
    for bom, codec, name in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), name
    declared = [name for name in (codec_name(header_charset(content_type)), codec_name(meta_charset(body)))
                if name]
    if declared and not _ascii_compatible(declared[0]):  # UTF-16/32 without a BOM: nothing else fits
        try:
            return body.decode(declared[0]), declared[0]
        except (UnicodeError, LookupError):  # UnicodeError: a codec that refuses, not only bad bytes
            pass
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if not text.isascii():
            return text, "utf-8"
        return text, next((n for n in declared if _ascii_compatible(n)), "utf-8")  # any label fits
    if _mostly_utf8(body):
        return body.decode("utf-8", errors="replace"), "utf-8"
    legacy = [name for name in declared if name not in ("utf-8", "utf-8-sig") and _ascii_compatible(name)]
    language = page_language(body)
    _languages, _default, fallback = _legacy_table()
    if language is None and not legacy:
        guess = detect(body)
        if guess is not None and guess not in _LATIN_GUESSES and guess != "utf-8":
            try:
                return body.decode(guess), guess
            except (UnicodeError, LookupError):  # UnicodeError: a codec that refuses, not only bad bytes
                pass
    found = _best_legacy(body, [*legacy, *language_charsets(language), *fallback])
    if found is not None:
        return found
    fallback_name = legacy[0] if legacy else "cp1252"
    return body.decode(fallback_name, errors="replace"), fallback_name


@functools.cache
def _ascii_compatible(name: str) -> bool:
    try:
        return "<a href='x'>".encode(name) == b"<a href='x'>"
    except (LookupError, UnicodeError):
        return False


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
