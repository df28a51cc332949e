"""Which date is the article's: what the page states, read in the page's own time zone, checked against
the URL, the date printed under the headline, and htmldate's search when they disagree or say nothing.

Evidence, each measured on ../shared/bench/metadata (891 pages with a true day, bench/eval_metadata.py):

- **stated**: JSON-LD ``datePublished``, then the ``article:published_time`` family of meta tags, then
  ``itemprop=datePublished``, in that trust order. A time keeps the page's own offset: a UTC time
  ("…Z") is put in the offset the page writes the same instant with elsewhere (a script, a <time>),
  and a time with no zone gets the offset the page writes the same wall-clock time with. The day is
  the day in that zone (a New York evening is not the next UTC day).
- **url**: a full date in the URL path (``/2020/02/24/``, ``/20200428/``, ``2020-06-03``; the
  original URL of a Wayback Machine address), and a year and month (``/2019/10/``).
- **visible**: the first full date on a short line (at most 80 characters and 8 words) in the 500
  characters of text after the headline: the date line readers see under the title. A line labelled
  as another kind of date ("Joined", "Registriert", "Termin": data/date_labels.toml) is passed over; a
  date that contradicts the URL's day or month is not the article's.
- **labelled**: the page's first date that a published label introduces ("Veröffentlicht am …",
  "Datum: …", "Erschienen am: …"), read only when nothing else is there.
- **htmldate**: ``find_date(extensive_search=True, original_date=True)``, four times as slow as its
  fast mode, so it runs only when the evidence above disagrees or is missing.

Decision (first that applies):

1. The visible date agrees with a stated one: that stated value.
2. The visible date differs from every stated one and the URL does not back a stated one: the
   visible date (the page shows readers another day than its metadata: an update, a republication).
3. A visible date alone (nothing stated, no URL date): the visible date.
4. Stated dates that agree with each other and with the URL: the first stated value.
5. A URL date that one stated value agrees with: that value.
6. Stated dates in conflict: the stated value of htmldate's day, or the URL's day when htmldate
   agrees with it, else the first stated value.
7. Nothing stated: the URL's day, else the labelled date, else htmldate's day.

On those 891 pages the day's F is 0.968 (P 0.946, R 0.991) against htmldate extensive's 0.947 in
the same run; htmldate's search runs on 15% of pages.

Dates printed on the page are read with repub.extract.dates.printed_dates (numeric and month-name
forms in the languages of data/months.toml); a slash date that could be read either way ("06/01/2020")
is read month-first only on an en-US page.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from importlib import resources
from urllib.parse import unquote, urlsplit

from selectolax.lexbor import LexborNode

from repub.extract.dates import printed_dates
from repub.extract.types import PageDate

Day = date | datetime


def day_of(value: Day) -> date:
    """The calendar day of a value in its own zone (a naive time's wall-clock day)."""
    return value.date() if isinstance(value, datetime) else value


# ---------------------------------------------------------------------------------------------- URL

_WAYBACK = re.compile(r"^/web/\d{4,14}[a-z_]*/(?P<url>.+)$")
# /2020/02/24/, 2020-06-03, 2020_06_03: the day ends the segment or is followed by a non-digit that
# is not a slug word ("/2023/10/3-fragen-an" is a month and a title, not the 3rd).
_URL_YMD = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<s>[/_-])(?P<m>0?[1-9]|1[0-2])(?P=s)(?P<d>0?[1-9]|[12]\d|3[01])"
    r"(?=/|$|\.|_|-\d|-?[^\w-])"
)
_URL_COMPACT = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])(?!\d)")
_URL_YM = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})[/_-](?P<m>0?[1-9]|1[0-2])(?=/|$|[_-])")


def url_path(url: str) -> str:
    """The URL's path, unquoted; for a Wayback Machine address, the archived page's path."""
    parts = urlsplit(url)
    path = parts.path
    if (parts.hostname or "").endswith("web.archive.org"):
        match = _WAYBACK.match(path)
        if match:
            inner = match["url"] if "://" in match["url"] else "http://" + match["url"]
            path = urlsplit(inner).path
    return unquote(path)


def url_day(url: str | None) -> date | None:
    """A full date written in the URL path, else None."""
    if not url:
        return None
    path = url_path(url)
    for pattern in (_URL_YMD, _URL_COMPACT):
        for match in pattern.finditer(path):
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                continue
    return None


def url_month(url: str | None) -> tuple[int, int] | None:
    """A year and month written in the URL path (``/2019/10/``), else None."""
    if not url:
        return None
    match = _URL_YM.search(url_path(url))
    return (int(match["y"]), int(match["m"])) if match else None


# ---------------------------------------------------------------------------------- the page's zone

# An ISO time with its zone anywhere in the raw page (scripts, attributes, text).
_ZONED = re.compile(
    r"(?P<at>(?:19|20)\d\d-[01]\d-[0-3]\d[T ][0-2]\d:[0-5]\d)(?::[0-5]\d(?:\.\d+)?)?"
    r"(?P<tz>Z|[+-][01]\d:?[0-5]\d)(?![\d:])"
)


def zones_in(html: str, days: Iterable[date] | None = None) -> dict[datetime, set[timedelta]]:
    """Every instant (UTC, naive, to the minute) the page writes with a zone -> the offsets it uses.

    With ``days``, only times written on those days are read: each day's text ("2020-02-24T",
    "2020-02-24 ") is found with str.find, far cheaper than running the pattern over a whole page."""
    if days is None:
        matches: Iterable[re.Match[str] | None] = _ZONED.finditer(html)
    else:
        matches = (_ZONED.match(html, at) for at in _positions(html, days))
    out: dict[datetime, set[timedelta]] = {}
    for match in matches:
        if match is None:
            continue
        tz = match["tz"]
        offset = timedelta(0)
        if tz != "Z":
            digits = tz[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            offset = -offset if tz[0] == "-" else offset
        try:
            wall = datetime.fromisoformat(match["at"].replace(" ", "T"))
        except ValueError:
            continue
        out.setdefault(wall - offset, set()).add(offset)
    return out


def _positions(html: str, days: Iterable[date]) -> Iterator[int]:
    for day in days:
        for text in (f"{day.isoformat()}T", f"{day.isoformat()} "):
            at = html.find(text)
            while at != -1:
                yield at
                at = html.find(text, at + 1)


def in_page_zone(value: PageDate, zones: Callable[[], dict[datetime, set[timedelta]]]) -> PageDate:
    """``value`` in the page's own zone: a UTC time in the offset the page writes the same instant
    with elsewhere; a time without a zone with the offset the page writes that wall-clock time with.
    Anything else (a date, a time with a non-zero offset, no such evidence) is returned as it is."""
    if not isinstance(value, datetime) or value.utcoffset():
        return value
    minute = value.replace(tzinfo=None, second=0, microsecond=0)
    if value.tzinfo is None:
        for instant, offsets in zones().items():
            offset = next((o for o in sorted(offsets) if o and instant + o == minute), None)
            if offset is not None:
                return value.replace(tzinfo=timezone(offset))
        return value
    known = sorted(o for o in zones().get(minute, ()) if o)
    return value.astimezone(timezone(known[0])) if known else value


# ------------------------------------------------------------------------ the date under the headline

_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "button", "select", "form", "nav"})
VISIBLE_REACH = 500  # characters of text after the headline that are searched for its date line
SHORT_LINE = 80  # a date line is short; a date inside a longer text is about something else


def _after_subtree(node: LexborNode) -> LexborNode | None:
    current: LexborNode | None = node
    while current is not None:
        if current.next is not None:
            return current.next
        current = current.parent
        if current is None or current.tag in ("body", "html"):
            return None
    return None


def lines_after(node: LexborNode, reach: int = VISIBLE_REACH) -> list[str]:
    """The short lines of text that follow ``node`` in document order, up to ``reach`` characters."""
    return lines_from(_after_subtree(node), reach)


def lines_from(start: LexborNode | None, reach: int) -> list[str]:
    """The short lines of text from ``start`` on (itself included) in document order, up to ``reach``
    characters of text, never past the <body>.

    A line is a text node's parent element's text when that is short (a date line split over
    <span>s reads whole), else the text node itself; lines longer than SHORT_LINE are dropped."""
    lines: list[str] = []
    size = 0
    read: set[int] = set()
    current = start
    while current is not None and size < reach:
        if current.tag in _SKIP:
            current = _after_subtree(current)
            continue
        if current.tag != "-text":
            child = current.child
            current = child if child is not None else _after_subtree(current)
            continue
        text = (current.text_content or "").strip()
        if text:
            size += len(text)
            parent = current.parent
            line = text
            if parent is not None:
                if parent.mem_id in read:
                    line = ""
                else:
                    whole = parent.text(deep=True).strip()
                    if len(whole) <= SHORT_LINE:
                        line = whole
                        read.add(parent.mem_id)
            if line and len(line) <= SHORT_LINE:
                lines.append(line)
        current = _after_subtree(current)
    return lines


LABELLED_REACH = 200_000  # characters of a page's text searched for a labelled date line
MAX_LINE_WORDS = 8  # a date line holds a date and a few words (a byline, a label), not a sentence


def _load_labels() -> tuple[re.Pattern[str], re.Pattern[str]]:
    raw = tomllib.loads(resources.files("repub.extract").joinpath("data/date_labels.toml").read_text("utf-8"))

    def words(key: str) -> re.Pattern[str]:
        alternatives = "|".join(re.escape(w) for w in sorted(raw[key], key=len, reverse=True))
        return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.I)

    return words("published"), words("not_published")


_PUBLISHED_LABEL, _NOT_PUBLISHED_LABEL = _load_labels()
# A published label right before the date: "Veröffentlicht am 16.08.2019", "Datum: 18.10.2021".
_LABEL_BEFORE = re.compile(r"(?:\s+(?:am|on|le|el|em|il|in|op))?\s*:?\s*$", re.I)
_WORDS = re.compile(r"[^\W\d_]{2,}")


def visible_date(headline: LexborNode | None, month_first: bool | None) -> date | None:
    """The first full date on a short line after the headline, else None. A line labelled as another
    kind of date ("Joined", "Registriert", "Termin") or too wordy to be a date line is passed over."""
    if headline is None:
        return None
    for line in lines_after(headline):
        found = printed_dates(line, month_first)
        if found and not _NOT_PUBLISHED_LABEL.search(line) and len(_WORDS.findall(line)) <= MAX_LINE_WORDS:
            return found[0][1]
    return None


def labelled_date(body: LexborNode | None, month_first: bool | None) -> date | None:
    """The first date of the page that a published label introduces, on its line or alone on the line
    after the label ("Datum:" / "18.10.2021"), else None."""
    if body is None:
        return None
    previous = ""
    for line in lines_from(body.child, reach=LABELLED_REACH):
        for position, day in printed_dates(line, month_first):
            before = line[:position]
            if _labels_date(before) or (not before.strip() and _labels_date(previous)):
                return day
        previous = line
    return None


def _labels_date(text: str) -> bool:
    """Whether ``text`` ends with a published label (and at most "am"/"on"/"le"... and a colon)."""
    return any(_LABEL_BEFORE.fullmatch(text[m.end():]) for m in _PUBLISHED_LABEL.finditer(text))


# ------------------------------------------------------------------------------------------ decision


@dataclass
class DateEvidence:
    stated: Sequence[Day]  # in trust order, already in the page's zone
    url_day: date | None = None
    url_month: tuple[int, int] | None = None
    visible: date | None = None


def decide(
    evidence: DateEvidence,
    search: Callable[[], date | None],
    labelled: Callable[[], date | None] = lambda: None,
) -> Day | None:
    """The publication date by the rules of the module docstring. ``search`` (htmldate) and
    ``labelled`` (the page's first labelled date line) are called only when the evidence before them
    disagrees or is missing."""
    stated = list(evidence.stated)
    days = [day_of(v) for v in stated]
    url, month, visible = evidence.url_day, evidence.url_month, evidence.visible
    if visible is not None and not _fits_url(visible, url, month):
        visible = None
    if visible is not None:
        if visible in days:
            return stated[days.index(visible)]
        if stated and url not in days:
            return visible
        if not stated and url is None:
            return visible
    if stated:
        others = set(days[1:]) | ({url} if url else set())
        if others <= {days[0]}:
            return stated[0]
        if url in days:
            return stated[days.index(url)]
        found = search()
        if found in days:
            return stated[days.index(found)]
        if found is not None and found == url:
            return url
        return stated[0]
    if url is not None:
        return url
    for guess in (labelled, search):
        found = guess()
        if found is not None:
            return found
    return None


def _fits_url(day: date, url: date | None, month: tuple[int, int] | None) -> bool:
    if url is not None:
        return day == url
    return month is None or (day.year, day.month) == month


# ---------------------------------------------------------------------------------------- assembly


def zones_of(
    html: Callable[[], str], stated: Sequence[PageDate] = ()
) -> Callable[[], dict[datetime, set[timedelta]]]:
    """``zones_in(html())`` plus the zones of the ``stated`` values (a meta date in RFC 2822 form, "Sat,
    19 Oct 2019 00:04:00 +0200", is not ISO), computed on first use only (most pages state a zoned
    time)."""
    cache: list[dict[datetime, set[timedelta]]] = []

    def get() -> dict[datetime, set[timedelta]]:
        if not cache:
            # A time can be written on its UTC day or the day before or after it.
            # (a placeholder year such as 0001 or 9999 has no day before or after: skipped)
            days = {day_of(v) + timedelta(days=k) for v in stated if isinstance(v, datetime)
                    and date.min < day_of(v) < date.max for k in (-1, 0, 1)}
            zones = zones_in(html(), days)
            for value in stated:
                offset = value.utcoffset() if isinstance(value, datetime) else None
                if isinstance(value, datetime) and offset is not None and date.min < day_of(value) < date.max:
                    instant = value.replace(tzinfo=None, second=0, microsecond=0) - offset
                    zones.setdefault(instant, set()).add(offset)
            cache.append(zones)
        return cache[0]

    return get


def month_first(locale: str | None) -> bool | None:
    """How the page writes an ambiguous slash date: month first in American English (``en-US``), day
    first in any other language or region, unknown for a bare ``en`` or no language at all."""
    if not locale:
        return None
    parts = re.split(r"[-_]", locale.strip().lower())
    if len(parts) > 1 and parts[1] == "us":
        return True
    return None if parts[0] == "en" and len(parts) == 1 else False


def published_date(
    html: Callable[[], str],
    url: str,
    stated: Sequence[PageDate],
    headline: LexborNode | None,
    body: LexborNode | None,
    locale: str | None,
    search: Callable[[], date | None],
) -> Day | None:
    """The page's publication date from its stated dates (trust order), its URL, the date line under
    ``headline`` and, when those disagree or are missing, a labelled date line in ``body`` and
    ``search()`` (htmldate)."""
    zones = zones_of(html, stated)
    order = month_first(locale)
    evidence = DateEvidence(
        # a stated year and month alone ("2020-12") names no day: the evidence is of days
        stated=[day for value in stated if isinstance(day := in_page_zone(value, zones), date)],
        url_day=url_day(url),
        url_month=url_month(url),
        visible=visible_date(headline, order),
    )
    return decide(evidence, search, lambda: labelled_date(body, order))
