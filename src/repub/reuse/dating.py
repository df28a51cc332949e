"""How far a stored date tells when the page itself came out, as far as its stored text shows.

A page's stored date is one of three things, and only the first says when *this page* came out:

- **its own**: a time (only stated metadata gives one), or a day its text does not print (a stated
  day, a URL's day, a date line the extractor kept out of the text);
- **the original's, as a republisher writes it**: a date prefix opening the text ("23 Oct 2020 – …",
  ``repub.extract.dates.split_date_prefix``), which the date extraction reads as the page's visible
  date when nothing else is stated or the paragraph is short. A republished text carries its
  original's day this way, so the day ties the copy with its original;
- **a date the text only mentions**: a day (no time) that the text prints anywhere but on a date
  line opening it (in a sentence: "Wenige Stunden nachdem am 2. September 2022 …"), or 1 January of
  a year it prints (htmldate, the date extraction's last resort, reads a lone year as 1 January),
  and that the page's own URL does not back (its day, or its year and month): what repub could only
  guess from the running text. Every copy of the text mentions it too, so it bounds the text's age
  from below and says nothing of which page carried it first.

A date line opening the text is the text's own date and counts as the page's: an original prints it
there, and a copy printing the same line carries the same day. It is, among the first paragraphs, a
short one with the date ("Datum 25.01.2022", "Article mis à jour le 7 janvier 2020.") or one whose
date comes after a word or two (a press release's "Berlin, 29. November 2022. Weihnachten ist …").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from repub.extract.dates import printed_dates, split_date_prefix
from repub.extract.published import url_day, url_month

LEAD = 5  # the opening paragraphs: a republisher's prefix (after its own notes) or a date line
DATE_LINE = 80  # characters of a date line at most (a date and a few words: a label, a rubric)
DATELINE_WORDS = 2  # words before a date opening a paragraph: a place ("Berlin,"), a label ("Datum:")
REACH = 40  # characters read on either side of a written year: a printed date around it
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Dating:
    """What a page's stored text tells about its stored date."""

    prefix: str | None = None  # the date prefix opening its text (ISO day or month), if any
    mentioned: bool = False  # its date is a day the running text only mentions

    def borrowed(self, published_at: str | None) -> bool:
        """Whether ``published_at`` is the prefix's date: the original's day, not the page's."""
        return bool(published_at and self.prefix and published_at.startswith(self.prefix))

    def own(self, published_at: str | None) -> str | None:
        """``published_at`` when it is the page's own date, else None."""
        return None if self.mentioned or self.borrowed(published_at) else published_at


UNKNOWN = Dating()  # nothing known of how the date came about: it is taken as the page's own


def dating(published_at: str | None, body: str, url: str | None = None) -> Dating:
    """How ``published_at`` came about, by the page's stored ``body`` and its ``url`` (module docstring).

    The prefix counts only when a single paragraph of the text opens with a date and it is one of the
    first ``LEAD``: a chronology ("1 Jan 2020 – China reports …", "3 Feb 2020 – …") is an article's
    own text, not a republisher's mark."""
    paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
    prefixed = [(i, day) for i, p in enumerate(paragraphs) if (day := split_date_prefix(p)[0]) is not None]
    prefix = prefixed[0][1].isoformat() if len(prefixed) == 1 and prefixed[0][0] < LEAD else None
    found = Dating(prefix=prefix)
    if not published_at or len(published_at) != 10 or found.borrowed(published_at):
        return found  # no date, a time (stated), a month, or the prefix's day
    if any(_date_line(p, published_at) for p in paragraphs[:LEAD]) or _in_url(published_at, url):
        return found  # a date line opening the text (the text's own date), or the URL's
    if _prints(body, published_at):
        return Dating(prefix=prefix, mentioned=True)
    year = published_at[:4]
    if published_at.endswith("-01-01") and re.search(rf"(?<!\d){year}(?!\d)", body):
        return Dating(prefix=prefix, mentioned=True)
    return found


def _date_line(paragraph: str, day: str) -> bool:
    """Whether ``paragraph`` is a date line of ``day``: short, or opening with it after a word or two
    (read in its first ``DATE_LINE`` characters: the date stands there)."""
    head = _words(paragraph, 0, DATE_LINE)
    if not _years(head, day):
        return False
    for position, found in printed_dates(head):
        if found.isoformat() == day and (len(paragraph) <= DATE_LINE or
                                         len(_WORD.findall(paragraph[:position])) <= DATELINE_WORDS):
            return True
    return False


def _prints(text: str, day: str) -> bool:
    """Whether ``text`` prints the date ``day`` (ISO). ``printed_dates`` reads only around where the
    year is written (four digits, or two after a dot: "23.09.20"): a whole text would cost it
    milliseconds, and a save reads dozens of stored texts."""
    for match in _years(text, day):
        window = _words(text, match.start() - REACH, match.end() + REACH)
        if any(found.isoformat() == day for _, found in printed_dates(window)):
            return True
    return False


def _years(text: str, day: str) -> list[re.Match[str]]:
    """Where ``text`` writes the year of ``day`` (ISO): four digits, or two after a dot."""
    year = day[:4]
    if year not in text and f".{year[2:]}" not in text and f". {year[2:]}" not in text:
        return []
    return list(re.finditer(rf"(?<!\d){year}(?!\d)|(?<=\.)\s?{year[2:]}(?!\d)", text))


def _words(text: str, start: int, end: int) -> str:
    """``text[start:end]`` widened to whole words: a cut number would read as another date."""
    start, end = max(0, start), min(len(text), end)
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[start:end]


def _in_url(day: str, url: str | None) -> bool:
    """Whether the page's URL backs ``day`` (ISO): its full date, else its year and month."""
    written = url_day(url)
    if written is not None:
        return written.isoformat() == day
    month = url_month(url)
    return month is not None and f"{month[0]:04d}-{month[1]:02d}" == day[:7]
