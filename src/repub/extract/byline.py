"""Byline lines: "Tom Fowdy | RT - TRANSCEND Media Service", "By Jane Doe, Reuters", "Nº 437 | …".

Grammar (TMS and generic):  [number |] [By|Posted by] authors [, role] [| outlet-or-role] [- republisher]
[, D Mon YYYY]. Separators between parts are " | " or a dash WITH spaces around it (" - ", " – ",
" — "); a hyphen inside a word ("Willner-Giwerc", "E-IR", "FAIR-Fairness") never splits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from repub.extract.dates import parse_page_date
from repub.extract.outlets import find_outlet
from repub.extract.textutil import one_line

# Sites that repost others' articles and append their own name to the byline.
REPUBLISHERS: tuple[str, ...] = ("TRANSCEND Media Service",)
# Words that make a phrase a title/role rather than a person ("Nobel Peace Laureate", "Editor").
ROLE_WORDS: frozenset[str] = frozenset(
    [
        "editor", "editors", "editor-in-chief", "laureate", "professor", "prof", "director",
        "correspondent", "reporter", "writer", "analyst", "journalist", "columnist", "contributor",
        "founder", "co-founder", "president", "chair", "chairman", "fellow", "author", "staff",
        "coordinator", "member", "secretary", "minister", "ambassador", "senator", "representative"
    ]
)
# Bylines that name no person.
NOT_PEOPLE: frozenset[str] = frozenset(
    s.casefold() for s in ("Staff", "Staff Writer", "Staff Writers", "Staff Reporter", "Editorial Board",
                           "The Editorial Board", "Editors", "The Editors", "Admin", "Editorial", "Guest")
)
# Degrees and suffixes that stay glued to the name before them ("Robert J. Burrowes, Ph.D.").
DEGREES: frozenset[str] = frozenset(
    s.casefold() for s in ("Ph.D.", "PhD", "Ph.D", "MD", "M.D.", "Jr.", "Jr", "Sr.", "Sr", "II", "III",
                           "IV", "Esq.", "MA", "M.A.", "MSc", "DPhil", "D.Phil.")
)


@dataclass
class Byline:
    authors: list[str] = field(default_factory=list)
    outlet: str | None = None  # where the piece first appeared ("RT", "Consortium News")
    republisher: str | None = None  # "TRANSCEND Media Service"
    role: str | None = None  # "Editor", "Nobel Peace Laureate", "Editorial Board"
    number: str | None = None  # TMS editorial number: "437" from "Nº 437 |", "666" from "#666 |"
    date: date | None = None  # a trailing ", 24 May 2021" (listing pages)


_DASH = r"\s+[-\u2013\u2014]\s+"
_NUMBER = re.compile(r"^(?:N[º°o]\.?|No\.|#)\s*(?P<number>\d+)\s*\|\s*", re.I)
_TRAILING_DATE = re.compile(r",\s*(?P<date>\d{1,2}\s+[^\W\d_]+\.?,?\s+\d{4})\s*$")
_BY = re.compile(r"^(?:posted\s+by|written\s+by|by)\b[:\s]*", re.I)
_REPUBLISHER = re.compile(
    r"(?:^|\s*\|\s*|" + _DASH + r")(?P<rep>" + "|".join(re.escape(r) for r in REPUBLISHERS) + r")\s*$",
    re.I,
)
_AND = re.compile(r"\s+(?:and|&)\s+", re.I)
_DASH_SPLIT = re.compile(_DASH)
_WORDS = re.compile(r"[\w-]+")
# Case-insensitive forms, built once (parse_byline runs on several lines of every rule page).
_REPUBLISHER_NAMES = tuple((r, re.compile(re.escape(r), re.I)) for r in REPUBLISHERS)
_COMMA_IN_REPUBLISHER = any("," in r for r in REPUBLISHERS)  # then names_republisher always parses


def parse_byline(text: str) -> Byline:
    """Split a byline line into its parts; unknown shapes give authors only (never raises)."""
    result = Byline()
    rest = one_line(text)
    if match := _NUMBER.match(rest):
        result.number = match["number"]
        rest = rest[match.end():]
    rest = _strip_date(rest, result)
    if _mentions_republisher(rest) and (match := _REPUBLISHER.search(rest)):
        # The name as listed; fullmatch, not casefold(): re.I also matches "ı" to "i", which casefold keeps.
        result.republisher = next(r for r, pattern in _REPUBLISHER_NAMES if pattern.fullmatch(match["rep"]))
        rest = rest[: match.start()]
    rest = _strip_date(rest, result).strip(" ,|-\u2013\u2014")
    rest = _BY.sub("", rest)
    if not rest:
        return result
    if "|" in rest:
        who, _, where = (part.strip() for part in rest.partition("|"))
        _place(where, result)
    elif len(parts := _DASH_SPLIT.split(rest, maxsplit=1)) == 2:
        who, where = parts
        _place(where, result)
    elif _is_wire(rest):
        result.outlet = rest
        return result
    else:
        who = rest
        # "By Jane Doe, Reuters": a wire after the last comma is the outlet
        head, comma, tail = rest.rpartition(",")
        if comma and _is_wire(tail.strip()):
            who, result.outlet = head, tail.strip()
    result.authors = _people(_BY.sub("", who), result)
    return result


def names_republisher(text: str) -> bool:
    """``parse_byline(text).republisher is not None``, without the parse when no republisher's name is in
    the text: the common case, e.g. every section name ("MILITARISM") the TMS rule checks.

    parse_byline finds a republisher only where the same case-insensitive search finds its name in a
    piece of the line (pieces are substrings, or joined with ", " which a name without a comma cannot
    straddle), so the search on the whole line is a safe first test.
    """
    if _COMMA_IN_REPUBLISHER or _mentions_republisher(one_line(text)):
        return parse_byline(text).republisher is not None
    return False


def _mentions_republisher(text: str) -> bool:
    # A literal search, much cheaper than _REPUBLISHER (tried at every position of the line).
    return any(pattern.search(text) for _, pattern in _REPUBLISHER_NAMES)


def _strip_date(text: str, result: Byline) -> str:
    match = _TRAILING_DATE.search(text)
    if match is None:
        return text
    found = parse_page_date(match["date"], tz=None)
    if found is None:
        return text
    result.date = found
    return text[: match.start()]


def _place(where: str, result: Byline) -> None:
    """The part after "|" or the dash: an outlet, or a role ("Editor") when it is only a title."""
    if not where:
        return
    if _is_role(where) and not _is_wire(where):
        result.role = where
    else:
        result.outlet = where


def _people(who: str, result: Byline) -> list[str]:
    """Names from "A and B", "A, B and C", "A, Ph.D.", "A, Nobel Peace Laureate" (the title -> role)."""
    names: list[str] = []
    for chunk in (c.strip() for c in who.split(",")):
        if not chunk:
            continue
        if chunk.casefold() in DEGREES and names:
            names[-1] = f"{names[-1]}, {chunk}"
        elif names and _is_role(chunk):
            # a title after a comma belongs to the person before it; we keep the name clean
            result.role = result.role or chunk
        else:
            names.extend(n.strip() for n in _AND.split(chunk) if n.strip())
    names = [n for n in (_without_republisher(n, result) for n in names) if n]
    people = [n for n in names if n.casefold() not in NOT_PEOPLE]
    if not people and names and result.role is None:
        result.role = ", ".join(names)  # "Staff", "Editorial Board": kept as a role, not a person
    return people


def _without_republisher(name: str, result: Byline) -> str:
    """A republisher's name is never a person's ("By TRANSCEND Media Service"): cut it out and note it."""
    for republisher, pattern in _REPUBLISHER_NAMES:
        if match := pattern.search(name):
            result.republisher = republisher
            rest = f"{name[: match.start()]} {name[match.end():]}".strip(" ,|-\u2013\u2014")
            return _without_republisher(rest, result)
    return name


def _is_wire(text: str) -> bool:
    """An agency or outlet of data/outlets.toml, alone ("RT - TRANSCEND Media Service") or after a
    comma ("By Jane Doe, Reuters")."""
    return find_outlet(text) is not None


def _is_role(text: str) -> bool:
    folded = text.casefold()
    words = _WORDS.findall(folded)
    return bool(words) and (folded in NOT_PEOPLE or any(w in ROLE_WORDS for w in words))
