"""Dates as printed on article pages: "26 Oct 2020", RT's "23 Oct, 2020 05:47", ISO strings, and the
original-date prefix TMS puts at the start of a copied article ("23 Oct 2020 – …")."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from importlib import resources


@dataclass(frozen=True)
class YearMonth:
    """A date known only to the month ("December 2020 – …")."""

    year: int
    month: int

    def isoformat(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


PrefixDate = date | YearMonth

def _key(word: str) -> str:
    """Lower case without accents or a trailing dot: "Févr." -> "fevr", "März" -> "marz"."""
    if word.isascii():
        # Nothing to decompose ("Oct", most month words): skip the per-character pass.
        return word.strip().rstrip(".").lower()
    decomposed = unicodedata.normalize("NFKD", word.strip().rstrip(".").lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _load_months() -> dict[str, int]:
    """Month words of every language in data/months.toml, by their _key, to their month number.

    Data, not code: a new language is a new table there. A spelling two languages share must name the
    same month in both ("mar", "mai", "set"...); a clash is a data error, raised at import."""
    raw = tomllib.loads(resources.files("repub.extract").joinpath("data/months.toml").read_text("utf-8"))
    months: dict[str, int] = {}
    for language, table in raw.items():
        if len(table) != 12:
            raise ValueError(f"months.toml: {language} lists {len(table)} months, not 12")
        for number, names in enumerate(table, start=1):
            for name in names:
                key = _key(name)
                if months.setdefault(key, number) != number:
                    raise ValueError(f"months.toml: {name!r} ({language}) names two months")
    return months


MONTHS: dict[str, int] = _load_months()


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


# Dates printed in running text or a date line: "12.01.2022", "2023-11-07", "2020/06/03", "2019年6月24日",
# "1. Februar 2022", "November 8, 2023". A slash date whose two first numbers could each be the month
# ("06/01/2020") is read month-first only where the page says it is American English (en-US), day-first
# where its language is another one, and not at all when the page gives no language.
_FULL_YEAR = r"(?:1[89]|20)\d{2}"
_NUM_DMY = re.compile(
    rf"(?<![\d.])(?P<d>[0-3]?\d)\.\s?(?P<m>[01]?\d)\.\s?(?P<y>{_FULL_YEAR}|\d{{2}})(?![\d.])"
)
_NUM_YMD = re.compile(rf"(?<![\d.])(?P<y>{_FULL_YEAR})(?P<s>[-/.])(?P<m>[01]?\d)(?P=s)(?P<d>[0-3]?\d)(?!\d)")
_NUM_SLASH = re.compile(rf"(?<![\d/])(?P<a>[0-3]?\d)/(?P<b>[0-3]?\d)/(?P<y>{_FULL_YEAR})(?![\d/])")
_CJK = re.compile(rf"(?P<y>{_FULL_YEAR})\s?[年년]\s?(?P<m>[01]?\d)\s?[月월]\s?(?P<d>[0-3]?\d)\s?[日일]")
_KO_DOTS = re.compile(rf"(?P<y>{_FULL_YEAR})\.\s(?P<m>[01]?\d)\.\s(?P<d>[0-3]?\d)\.")
_TEXT_DMY = re.compile(
    rf"(?<!\d)(?P<d>[0-3]?\d)(?:st|nd|rd|th|er|º)?\.?\s+(?:de\s+)?(?P<w>{_WORD}),?\s+(?:de\s+)?"
    rf"(?P<y>{_FULL_YEAR})(?!\d)"
)
_TEXT_MDY = re.compile(rf"(?P<w>{_WORD})\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y>{_FULL_YEAR})(?!\d)")
# Every form above holds a year of at least two digits in a row: text without them (most lines a page
# prints) skips the eight patterns.
_TWO_DIGITS = re.compile(r"\d\d")


def printed_dates(text: str, month_first: bool | None = None) -> list[tuple[int, date]]:
    """Every full date (day, month and year) printed in ``text``, as (position, day), in text order.

    ``month_first``: how to read an ambiguous slash date ("06/01/2020"): True month-first (en-US),
    False day-first, None skip it. Two-digit years are read only in dotted dates ("23.09.20")."""
    if not _TWO_DIGITS.search(text):
        return []
    found: list[tuple[int, date]] = []
    taken: list[tuple[int, int]] = []  # spans already read: "2023. 11. 07." is not also "11. 07. 15"

    def add(m: re.Match[str], year: int, month: int | None, day: int) -> None:
        if month is None or any(m.start() < end and start < m.end() for start, end in taken):
            return
        if year < 100:
            year += 2000
        if MIN_YEAR <= year <= MAX_YEAR:
            try:
                found.append((m.start(), date(year, month, day)))
            except ValueError:
                return
            taken.append((m.start(), m.end()))

    for pattern in (_CJK, _KO_DOTS, _NUM_YMD, _NUM_DMY):
        for m in pattern.finditer(text):
            add(m, int(m["y"]), int(m["m"]), int(m["d"]))
    for m in _NUM_SLASH.finditer(text):
        a, b = int(m["a"]), int(m["b"])
        if a > 12 or (b <= 12 and month_first is False):
            add(m, int(m["y"]), b, a)
        elif b > 12 or month_first:
            add(m, int(m["y"]), a, b)
    for pattern in (_TEXT_DMY, _TEXT_MDY):
        for m in pattern.finditer(text):
            add(m, int(m["y"]), month_number(m["w"]), int(m["d"]))
    found.sort(key=lambda item: item[0])
    return found
