"""Dates as printed on article pages: "26 Oct 2020", RT's "23 Oct, 2020 05:47", ISO strings, and the
original-date prefix TMS puts at the start of a copied article ("23 Oct 2020 – …")."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo


@dataclass(frozen=True)
class YearMonth:
    """A date known only to the month ("December 2020 – …")."""

    year: int
    month: int

    def isoformat(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


PrefixDate = date | YearMonth

# Month names and abbreviations, keyed by their accent-free lower-case form (see _key), per language.
# Data, not code: a new language is a new entry. Shared spellings (mar, mai, ago...) agree on the month.
MONTH_NAMES: dict[str, dict[int, tuple[str, ...]]] = {
    "en": {1: ("january", "jan"), 2: ("february", "feb"), 3: ("march", "mar"), 4: ("april", "apr"),
           5: ("may",), 6: ("june", "jun"), 7: ("july", "jul"), 8: ("august", "aug"),
           9: ("september", "sep", "sept"), 10: ("october", "oct"), 11: ("november", "nov"),
           12: ("december", "dec")},
    "fr": {1: ("janvier", "janv"), 2: ("fevrier", "fevr", "fev"), 3: ("mars",), 4: ("avril", "avr"),
           5: ("mai",), 6: ("juin",), 7: ("juillet", "juil"), 8: ("aout",), 9: ("septembre", "sept"),
           10: ("octobre", "oct"), 11: ("novembre", "nov"), 12: ("decembre", "dec")},
    "es": {1: ("enero", "ene"), 2: ("febrero", "feb"), 3: ("marzo", "mar"), 4: ("abril", "abr"),
           5: ("mayo", "may"), 6: ("junio", "jun"), 7: ("julio", "jul"), 8: ("agosto", "ago"),
           9: ("septiembre", "setiembre", "sep", "sept"), 10: ("octubre", "oct"),
           11: ("noviembre", "nov"), 12: ("diciembre", "dic")},
    "pt": {1: ("janeiro", "jan"), 2: ("fevereiro", "fev"), 3: ("marco", "mar"), 4: ("abril", "abr"),
           5: ("maio", "mai"), 6: ("junho", "jun"), 7: ("julho", "jul"), 8: ("agosto", "ago"),
           9: ("setembro", "set"), 10: ("outubro", "out"), 11: ("novembro", "nov"),
           12: ("dezembro", "dez")},
    "it": {1: ("gennaio", "gen"), 2: ("febbraio", "feb"), 3: ("marzo", "mar"), 4: ("aprile", "apr"),
           5: ("maggio", "mag"), 6: ("giugno", "giu"), 7: ("luglio", "lug"), 8: ("agosto", "ago"),
           9: ("settembre", "set"), 10: ("ottobre", "ott"), 11: ("novembre", "nov"),
           12: ("dicembre", "dic")},
    "de": {1: ("januar", "janner", "jan"), 2: ("februar", "feb"), 3: ("marz", "maerz", "mar"),
           4: ("april", "apr"), 5: ("mai",), 6: ("juni", "jun"), 7: ("juli", "jul"),
           8: ("august", "aug"), 9: ("september", "sep", "sept"), 10: ("oktober", "okt"),
           11: ("november", "nov"), 12: ("dezember", "dez")},
}


def _key(word: str) -> str:
    """Lower case without accents or a trailing dot: "Févr." -> "fevr", "März" -> "marz"."""
    if word.isascii():
        # Nothing to decompose ("Oct", most month words): skip the per-character pass.
        return word.strip().rstrip(".").lower()
    decomposed = unicodedata.normalize("NFKD", word.strip().rstrip(".").lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


MONTHS: dict[str, int] = {
    name: month for table in MONTH_NAMES.values() for month, names in table.items() for name in names
}


def month_number(word: str) -> int | None:
    return MONTHS.get(_key(word))


# Plausible years for article dates; anything else is a typo ("6 Apr 20126") and is not a date.
MIN_YEAR, MAX_YEAR = 1800, 2100

_WORD = r"[^\W\d_]+\.?"
_DMY = re.compile(
    rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th|er|º)?\.?\s+(?:de\s+)?(?P<month>{_WORD}),?\s+(?:de\s+)?"
    r"(?P<year>\d{4})\b(?:,?\s+(?:at\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2}))?"
)
_MDY = re.compile(
    rf"(?P<month>{_WORD})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b"
    r"(?:,?\s+(?:at\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2}))?"
)
_LABEL = re.compile(r"^\s*(?:published|edited|updated|posted|date)(?:\s+(?:time|on))?\s*:?\s*", re.I)


def parse_page_date(text: str, tz: tzinfo | None = UTC) -> date | datetime | None:
    """A date or datetime from a date line as printed on a page.

    ISO strings keep their own zone (naive when they have none). A printed time without a zone
    ("23 Oct, 2020 05:47", RT) is read in ``tz``, UTC by default because the sites with rules print
    UTC; pass ``tz=None`` to get a naive datetime.
    """
    text = _LABEL.sub("", text.strip())
    if not text:
        return None
    iso = _parse_iso(text)
    if iso is not None:
        return iso
    for pattern in (_DMY, _MDY):
        match = pattern.search(text)
        if match is None:
            continue
        found = _from_match(match, tz)
        if found is not None:
            return found
    return None


_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_ZULU = re.compile(r"Z$")


def _parse_iso(text: str) -> date | datetime | None:
    candidate = text.split()[0] if _ISO_DATETIME.match(text) else text
    candidate = _ZULU.sub("+00:00", candidate)
    if not _ISO_DATE.match(candidate):
        return None
    try:
        if len(candidate) == 10:
            return date.fromisoformat(candidate)
        return datetime.fromisoformat(candidate)
    except ValueError:
        return None


def _from_match(match: re.Match[str], tz: tzinfo | None) -> date | datetime | None:
    month = month_number(match["month"])
    year = int(match["year"])
    if month is None or not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        day = date(year, month, int(match["day"]))
    except ValueError:
        return None
    if match["hour"] is None:
        return day
    try:
        return datetime(year, month, day.day, int(match["hour"]), int(match["minute"]), tzinfo=tz)
    except ValueError:
        return day


# "23 Oct 2020 – ", "December 2020 – ", "30 Nov 1946 -": a date, spaces, a dash, then the text.
# The year is matched as \d+ so that a typo like "20126" is seen (and refused) rather than cut short.
_PREFIX = re.compile(
    rf"^\s*(?:(?P<day>\d{{1,2}})\s+)?(?P<month>{_WORD}),?\s+(?P<year>\d+)\s*[\u2013\u2014\u2012-](?:\s+|$)"
)


def split_date_prefix(paragraph: str) -> tuple[PrefixDate | None, str]:
    """Split an original-date prefix off the first body paragraph of a copy.

    Returns (date or YearMonth, the rest of the paragraph). When there is no valid prefix — none at
    all, an unknown month word, an impossible year or day — returns (None, paragraph) unchanged.
    """
    match = _PREFIX.match(paragraph)
    if match is None:
        return None, paragraph
    month = month_number(match["month"])
    year = int(match["year"])
    if month is None or len(match["year"]) != 4 or not MIN_YEAR <= year <= MAX_YEAR:
        return None, paragraph
    found: PrefixDate
    if match["day"] is None:
        found = YearMonth(year, month)
    else:
        try:
            found = date(year, month, int(match["day"]))
        except ValueError:
            return None, paragraph
    return found, paragraph[match.end():].lstrip()
