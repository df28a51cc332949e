"""A byline's text into the people it names and the agencies and outlets it credits.

"By Jane Doe and John Roe, Associated Press" gives people ["Jane Doe", "John Roe"] and credits
["Associated Press"]; "Von Max Muster und Eva Beispiel, dpa" gives two people and "dpa"; "FR mit dpa"
gives credits only; "View all posts by Jane Doe" gives Jane Doe; "wordpressadmin", "No Author",
"emma-mackenzie", "(Image: Getty Images)" give nobody.

A byline is read in segments (between ",", ";", "|", "/", "·" and spaced dashes): each loses its byline
word ("By", "Von:", "Par"), its date, its photo credit and its place ("in Valencia"); a segment that
is a known agency or outlet is a credit; the rest is split at conjunctions ("und", "og", "y") into
names, each without its job title ("FOCUS-Online-Experte", "Staff Writer", "기자") and checked to look
like a name (no e-mail, URL slug, digits, desk, placeholder, button label or the site's own name).

The words (prefixes, job titles, desks, conjunctions... per language) are data:
``repub/extract/data/bylines.toml``; agencies and outlets come from ``repub.extract.outlets``.
"""

from __future__ import annotations

import functools
import html as html_lib
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources

from repub.extract.outlets import Outlet, find_outlet
from repub.extract.textutil import squash

_MAX_NAME_WORDS = 6
_MAX_NAME_CHARS = 60
_MAX_BYLINE_CHARS = 300


@dataclass
class Names:
    people: list[str] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)  # one name per agency or outlet (outlets.toml)
    # The site's own desks and teams that sign it ("Redaktion", "Staff Writer", "PETA-Team"): never a
    # person, never a credit (they make no copy); Extracted.org_authors when no person signs.
    desks: list[str] = field(default_factory=list)
    # The site's own name where a byline names it ("von AUTO ZEITUNG", "par Attac France"): the site
    # signs its page; never a person (repub.extract.authors makes it the page's desk, last of all).
    own: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Site:
    """The site a byline is on: its names (og:site_name, its domain's label) are never a one-word
    author ("Eurosport", "telebasel"); its organisations (the JSON-LD publisher) never an author at
    all. A personal site's name is its author's ("Wolfgang Schmale" on wolfgangschmale.eu)."""

    names: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()

    @property
    def every_name(self) -> tuple[str, ...]:
        return self.names + self.organizations


_NO_SITE = Site()


@dataclass(frozen=True)
class Words:
    """The byline words of one language (with those of all languages and English), compiled."""

    prefix: re.Pattern[str]  # byline words and link labels at the start: "By", "Von:", "View all posts by"
    byline_prefix: re.Pattern[str]  # byline words only ("By", "Von"), not link labels
    byline_run: re.Pattern[str]  # a run of byline words only
    glued_prefix: re.Pattern[str]  # one prefix with no space after it: "BySophie"
    labels: frozenset[str]  # link labels and byline words: a byline that is only one names nobody
    stop: re.Pattern[str]
    photo: re.Pattern[str]
    ui: frozenset[str]
    suffix: re.Pattern[str]
    job_titles: frozenset[str]
    job_phrases: tuple[str, ...]  # multi-word titles, casefolded
    compound_titles: tuple[str, ...]  # titles that end German compounds: "-redakteur", "-student"
    desks: frozenset[str]
    placeholders: frozenset[str]  # "No Author", "admin", "Agenturen": nobody
    desk_tails_only: frozenset[str]  # last words of desks: "... Staff Report" is a desk
    desk_words: frozenset[str]
    desk_tails: frozenset[str]
    org_words: frozenset[str]
    org_endings: tuple[str, ...]  # the org words long enough to end a compound ("Hanns-Seidel-Stiftung")
    masthead: frozenset[str]
    masthead_articles: frozenset[str]
    countries: frozenset[str]
    conjunction: re.Pattern[str]
    with_agency: re.Pattern[str]
    place: re.Pattern[str]
    place_words: frozenset[str]
    particles: frozenset[str]
    degrees: frozenset[str]
    credit_label: re.Pattern[str]
    source_label: re.Pattern[str]
    credit_end: re.Pattern[str]
    months: frozenset[str]
    date_words: frozenset[str]
    glued_month: re.Pattern[str]
    sign_off: re.Pattern[str]  # closing words at the start of a signature: "Euer", "Yours,"


@functools.cache
def _data() -> dict[str, dict[str, list[str]]]:
    return tomllib.loads(resources.files("repub.extract").joinpath("data/bylines.toml").read_text("utf-8"))


def words(language: str | None = None) -> Words:
    """The byline words of ``language`` (a BCP 47 code); of all languages when it is unknown."""
    code = (language or "").split("-")[0].casefold()
    return _words(code if any(code in section for section in _data().values()) else "")


def _alternation(items: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(items), key=len, reverse=True))


@functools.cache
def _words(language: str) -> Words:
    raw = _data()

    def every(section: str) -> list[str]:
        return [w.casefold() for values in raw[section].values() for w in values]

    def own(section: str) -> list[str]:
        """The words of the page's language, of all languages ("*") and English, whose bylines
        appear on pages in every language; of every language when the page's is unknown."""
        if not language:
            return every(section)
        return [w.casefold() for key in ("*", "en", language) for w in raw[section].get(key, [])]

    # Byline words of every language: bylines are marked or begin the line, and pages quote bylines
    # in other languages ("par Bob Fischer" on a German page). Near a title, only the page's own count.
    byline_words = every("prefix")
    labels = every("label")
    prefixes = byline_words + every("link")
    conjunctions = own("conjunction")
    months = every("month")
    spaced = [c for c in conjunctions if c.isalpha()]
    symbols = [c for c in conjunctions if not c.isalpha()]
    capitalised = [m.capitalize() for m in months if m.isalpha()]
    after = r"(?:\s*[:：/／|·•\-–—]\s*|\s+)"  # a prefix is followed by a colon, a slash or a space
    return Words(
        prefix=re.compile(
            rf"^(?:(?:{_alternation(prefixes)}){after}|(?:{_alternation(labels)})\s*[:：]\s*)+", re.I
        ),
        byline_prefix=re.compile(
            rf"^(?:(?:{_alternation(own('prefix'))}){after}|(?:{_alternation(labels)})\s*[:：]\s*)", re.I
        ),
        byline_run=re.compile(
            rf"(?:(?:{_alternation(byline_words)}){after}|(?:{_alternation(labels)})\s*[:：]?\s*)+", re.I
        ),
        glued_prefix=re.compile(rf"^(?:{_alternation(prefixes + labels)})", re.I),
        labels=frozenset(prefixes + labels),
        stop=re.compile(
            rf"(?:^|\s)(?:(?:{_alternation(every('stop'))})\s*:|(?:{_alternation(every('photo'))})\s+"
            rf"(?:{_alternation(every('prefix'))})\s)",
            re.I,
        ),
        photo=re.compile(rf"^(?:{_alternation(every('photo'))})\b", re.I),
        ui=frozenset(every("ui")),
        suffix=re.compile(rf"\s*(?:{_alternation(every('suffix'))})\s*$", re.I),
        job_titles=frozenset(t for t in every("job_title") if " " not in t),
        job_phrases=tuple(sorted((t for t in every("job_title") if " " in t), key=len, reverse=True)),
        compound_titles=tuple(t for t in raw["job_title"].get("de", []) if len(t) >= 6),
        desks=frozenset(every("desk")),
        placeholders=frozenset(every("placeholder")),
        desk_tails_only=frozenset(t.split()[-1] for t in every("desk") if t.isascii()),
        desk_words=frozenset(every("desk_word")),
        desk_tails=frozenset(t.split()[-1] for t in every("desk") + every("placeholder") if t.isascii()),
        org_words=frozenset(every("org_word")),
        org_endings=tuple(sorted(o for o in every("org_word") if len(o) > 5)),
        masthead=frozenset(every("masthead")),
        masthead_articles=frozenset(every("masthead_article")),
        countries=frozenset(every("country")),
        conjunction=re.compile(rf"\s+(?:{_alternation(spaced)})\s+|\s*(?:{_alternation(symbols)})\s*", re.I),
        with_agency=re.compile(rf"\s+(?:{_alternation(own('with'))})\s+(?=\S)", re.I),
        place=re.compile(rf"\s+(?:{_alternation(own('place'))})\s+(?P<place>[^\W\d_][\w.\- ]*)$"),
        place_words=frozenset(own("place")),
        particles=frozenset(every("particle")),
        degrees=frozenset(every("degree")),
        credit_label=re.compile(rf"^(?:{_alternation(own('credit_line'))})(?:\s*:\s*|\s+)", re.I),
        source_label=re.compile(rf"^(?:{_alternation(own('source_line'))})(?:\s*:\s*|\s+)", re.I),
        credit_end=re.compile(rf"\s+(?:{_alternation(every('credit_line_end'))})\s*\.?$", re.I),
        months=frozenset(months),
        date_words=frozenset(t for phrase in every("date_word") for t in phrase.split()),
        glued_month=re.compile(rf"(?<=[a-zà-ÿ])(?:{_alternation(capitalised)})$"),
        sign_off=re.compile(rf"^(?:{_alternation(own('sign_off'))})\b[,!]?\s+", re.I),
    )


# --------------------------------------------------------------------------------------------- credits


def find_credit(text: str) -> Outlet | None:
    """The agency or outlet ``text`` names as a whole, else None.

    Short aliases ("AP", "PA", "SZ") are taken only in their own case, in capitals or in title case
    ("Ap Sports Writer"): in lowercase, "pa" or "sz" are a reporter's initials."""
    text = text.strip(" .,;:|/()[]-–—")
    if not text:
        return None
    outlet = find_outlet(text)
    if outlet is None:
        return None
    if len(text) <= 3 and text.islower() and text not in (outlet.name, *outlet.aliases):
        return None
    return outlet


# ---------------------------------------------------------------------------------------------- parsing

_JUNK_CHARS = re.compile(r"[\u200b-\u200f\u2060\ufeff]")
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_HANDLE = re.compile(r"(?:^|(?<=\s))@\w+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_UNPAIRED = re.compile(r"[()\[\]]")
_PAREN = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")
_SEGMENT = re.compile(r"\s*(?:[,;|/·•／，、｜]|\s[-–—]+\s|\s[-–—]+$|^[-–—]+\s)\s*")
_TRIM = " ,;:|/·•-–—\"'“”„«»*+~›‹>"
_SLUG = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)+$")
_DOMAIN = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.(?:[a-z]{2,}|[A-Z]{2,})$")  # "wien.ORF.at", "TIMESOFINDIA.COM"
_COPYRIGHT = re.compile(r"^(?:©|\(c\)|copyright\b)\s*", re.I)
_WIRE_ID = re.compile(r"^(?:[\w-]+:)?[\d-]+(?:/\d+)?$")
_ONE_WORD = re.compile(r"^[A-ZÀ-Þ][^\W\d_]+(?:-[A-ZÀ-Þ][^\W\d_]+)?$")
_CAPS_INITIALS = re.compile(r"^[A-Z]{2,3}$")
_CAPS_BETWEEN = re.compile(r"(?<=[^\W\d_]{2})\s+[A-Z]{2,3}\s+(?=[A-Z][^\W\d_]+\s+[A-Z])")
_INITIALS = re.compile(r"^(?:[a-z]{1,3}|[A-Z]{1,3})$")
_NOT_IN_NAMES = re.compile(r"[!?=<>{}#%$§€£©®™\"“”„«»]")
_LABEL_IN_NAME = re.compile(r"[^\W\d_]:\s")
_ROLE_MARK = "\x00"
# A token of a date or time: "21.", "2020,", "14:13", "10.12.2019", "4AM", "3rd", "(12/02)".
_DATE_TOKEN = re.compile(r"^\(?\d[\d./:,\-–h]*(?:st|nd|rd|th|am|pm|uhr|h)?[.,)]?$", re.I)
_GLUED_DATE = re.compile(r"^.*[^\W\d_](\d{1,2}\.|\d{1,2}:\d{2})$")


def parse_names(
    text: str, site: Site = _NO_SITE, language: str | None = None, *, visible: bool = False
) -> Names:
    """The people and credits of one byline (never raises; junk gives an empty result).

    ``site``: the site's own names (see Site). ``language``: the page's, for its words.
    ``visible``: the text is read off the page, not declared in metadata: a name of one word
    ("Benni") is only taken after a byline word ("von Benni"), where it cannot be a button's label.
    """
    out = Names()
    w = words(language)
    text = squash(_JUNK_CHARS.sub("", html_lib.unescape(text)))
    text = _HANDLE.sub(" ", _URL.sub(" ", _EMAIL.sub(" ", text)))
    if len(text) > _MAX_BYLINE_CHARS:
        return out
    if "=" in text:  # "스포츠조선=선수민 기자", "서울=뉴시스": a place or an outlet before "=", then who
        before, _, text = text.rpartition("=")
        out.credits.extend(c.name for part in before.split("=") if (c := find_credit(part)))
    text = _without_dates(text, w)
    text, introduced = _strip_prefix(text, w)  # before segments: "AUTOR/IN Jane Doe"
    if stop := w.stop.search(text):
        text = text[: stop.start()]  # "X Kategorien: Mode", "X Illustration von Y", "X Quelle: dpa"
    segments = _segments(text, w)
    while len(segments) > 1 and segments[-1].casefold() in w.countries:
        segments.pop()  # "Kirche und Leben, Münster, Germany": an address, the country no one
    if not visible and len(segments) == 2 and all(_ONE_WORD.match(p) for p in segments):
        segments = [f"{segments[1]} {segments[0]}"]  # "Harm, Robert": a catalogue's surname first
    for at, segment in enumerate(segments):
        segment, prefixed = _strip_prefix(segment, w)
        prefixed = prefixed or introduced or w.suffix.search(segment) is not None  # "홍길동 기자"
        introduced = False
        # A one-word name needs a byline word before it when read off the page, and in metadata when
        # it follows a first part: "hessenschau.de, Frankfurt, Germany" names places after the site.
        single_ok = prefixed or (not visible and at == 0)
        _read_segment(segment, out, site, w, single_ok=single_ok, visible=visible)
    out.people = dedupe(out.people)
    out.credits = dedupe(out.credits)
    return out


def credits_of_line(text: str, language: str | None = None) -> list[str]:
    """The agencies a credit line names when the whole line is one: "(dpa)", "dsw/dpa", "Quelle: AFP",
    "Mit Material von dpa und AFP", "© dpa-infocom, dpa:201230-99-1", "The Associated Press
    contributed to this report."; [] for any other line ("He told Reuters.")."""
    w = words(language)
    text = squash(html_lib.unescape(text)).strip(" ()[]—–-.")
    if not text or len(text) > 120:
        return []
    if match := w.credit_end.search(text):
        return parse_names(text[: match.start()], _NO_SITE, language).credits
    copyright = _COPYRIGHT.match(text)
    if copyright:
        text = text[copyright.end():]  # "© AFP" is a picture's credit; "© dpa-infocom, dpa:2012..." a text's
    source = w.source_label.match(text)
    if labelled := (source or w.credit_label.match(text)):
        text = text[labelled.end():]
    credits: list[str] = []
    wire_id = False
    text = _without_dates(text, w).replace("|", ",")  # "(KNA 19.11.21)"
    parts = [p for segment in _segments(text, w) for p in w.conjunction.split(segment)]
    for part in parts:
        part = part.strip(" .:()[]")
        if part and (credit := find_credit(part)):
            # "Quelle: SWR" cites another outlet's report; an agency's line credits the agency
            if not source or credit.is_agency:
                credits.append(credit.name)
        elif part and _WIRE_ID.match(part):
            wire_id = True
        elif part and not _INITIALS.match(part):
            return []  # not initials ("dsw", "DR": the site's or an editor's) or a wire story's id
    return dedupe(credits) if wire_id or not copyright else []


# Reporters named the CJK way: "선수민 기자" (the title after a Korean name), "記者巫其倫" and
# "（记者 张三、李四）" (the title before Chinese names). Names: 2-4 Hangul, 2-3 Han characters.
_HANGUL_NAME = r"(?<![가-힣])(?P<name>[가-힣]{2,4})\s?"
_HAN_NAMES = r"\s*(?P<names>[\u4e00-\u9fff]{2,3}(?:\s*[、，,]\s*[\u4e00-\u9fff]{2,3})*)"
# "〔記者巫其倫／台北報導〕", "[부산=스포츠조선 선수민 기자]", "【ワシントン共同】": a dateline in brackets
_BRACKETED = re.compile(r"^\s*[\[【〔（(](?P<inner>[^\]】〕）)]{1,40})[\]】〕）)]")


def reporters(text: str) -> Names:
    """The reporters and agencies a CJK dateline or sign-off names: "[서울=뉴시스] 홍길동 기자 =",
    "〔記者巫其倫／台北報導〕", "新华社北京3月1日电（记者张三）", "【ワシントン共同】", "이용민 기자"."""
    out = Names()
    if not _CJK.search(text):
        return out
    w = _cjk_words()
    for found in w[0].finditer(text):
        out.people.append(found["name"])
    for found in w[1].finditer(text):
        out.people.extend(n.strip() for n in re.split(r"[、，,\s]+", found["names"]) if n.strip())
    if bracketed := _BRACKETED.match(text):
        for part in re.split(r"[=／/\s]+", bracketed["inner"]):
            if credit := _trailing_credit(part):
                out.credits.append(credit.name)
    head = text[:12]
    for size in range(len(head), 1, -1):  # "新华社北京3月1日电": an agency's dispatch line
        if credit := find_credit(head[:size]):
            if "电" in text[:30] or "電" in text[:30]:
                out.credits.append(credit.name)
            break
    out.people = [p for p in dedupe(out.people) if not find_credit(p)]
    out.credits = dedupe(out.credits)
    return out


def _trailing_credit(part: str) -> Outlet | None:
    """An agency at the end of a dateline's part: "ワシントン共同" -> Kyodo, "뉴시스" -> Newsis."""
    for size in range(min(len(part), 8), 1, -1):
        if credit := find_credit(part[-size:]):
            return credit
    return None


_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7a3]")


@functools.cache
def _cjk_words() -> tuple[re.Pattern[str], re.Pattern[str]]:
    raw = _data()
    after = list(raw["suffix"].get("ko", []))
    before = [w for w in raw["prefix"].get("zh", []) if len(w) >= 2]
    return (
        re.compile(rf"{_HANGUL_NAME}(?:{_alternation(after)})(?![가-힣])"),
        re.compile(rf"(?:{_alternation(before)}){_HAN_NAMES}"),
    )


def starts_with_byline_word(text: str, language: str | None = None) -> bool:
    """Whether ``text`` begins with a byline word of the language ("By ", "Von:", "Por ")."""
    return bool(words(language).byline_prefix.match(text))


def _segments(text: str, w: Words) -> list[str]:
    """Parts of a byline between separators; "FR mit dpa" is two parts ("mit" before a credit)."""
    parts = []
    for part in _SEGMENT.split(text):
        pieces = w.with_agency.split(part, maxsplit=1)
        if len(pieces) == 2 and find_credit(pieces[1]):
            parts.extend(pieces)
        else:
            parts.append(part)
    return [p for p in (p.strip(_TRIM) for p in parts) if p]


def _strip_prefix(text: str, w: Words) -> tuple[str, bool]:
    """The text without its leading byline words and link labels; True when all it lost were byline
    words ("By", "von"), not link labels ("Zeige alle Beiträge von", "E-Mail")."""
    lost = ""
    while True:
        if (match := w.prefix.match(text)) and match.end() < len(text):
            lost, text = lost + match.group(), text[match.end():]
        elif (match := w.glued_prefix.match(text)) and _case_boundary(text, match.end()):
            # "BySophie Foster", "SHOW ALL ARTICLES OFHeiko Sauer"
            lost, text = lost + match.group() + " ", text[match.end():]
        else:
            return text, bool(lost) and w.byline_run.fullmatch(lost) is not None


def _case_boundary(text: str, at: int) -> bool:
    """A capitalised word glued to the word before it: "By|Sophie", "OF|Heiko" (not "Di|mitri")."""
    return (
        0 < at < len(text) - 1 and text[at].isupper() and text[at + 1].islower()
        and (text[at - 1].islower() or text[:at].isupper())
    )


def _without_dates(text: str, w: Words) -> str:
    """Dates and times cut out of a byline, leaving a separator: "Posted on September 21, 2020 by X"
    -> "Posted | by X"; "VON X am 21. April 2020" -> "VON X |"; "Shana Nys DambrotNovember 6, 2023"
    -> "Shana Nys Dambrot |". Words that join a date ("on", "am", "le") go with it."""
    if not any(ch.isdigit() for ch in text):
        return text
    tokens: list[str] = []
    raw = text.split()
    for i, token in enumerate(raw):
        dated = i + 1 < len(raw) and _DATE_TOKEN.match(raw[i + 1])
        if glued := _GLUED_DATE.match(token) or (dated and w.glued_month.search(token)):
            at = glued.start(1) if glued.re is _GLUED_DATE else glued.start()
            tokens.extend([token[:at], token[at:]])  # "Collignon22." / "DambrotNovember 6" / "SauerDo 9"
        else:
            tokens.append(token)
    # Digits mark a date; month names, weekdays and joining words beside a marked token join it (so
    # "August Meier", with no date beside it, keeps his name).
    marked = [bool(_DATE_TOKEN.match(t)) for t in tokens]
    changed = True
    while changed:
        changed = False
        for i, token in enumerate(tokens):
            near = (i > 0 and marked[i - 1]) or (i + 1 < len(tokens) and marked[i + 1])
            word = token.casefold().strip(".,:")
            between = 0 < i < len(tokens) - 1 and marked[i - 1] and marked[i + 1]  # "28 kwietnia 2021"
            if not marked[i] and (between or near and (word in w.date_words or word in w.months)):
                marked[i] = changed = True
    out: list[str] = []
    for token, mark in zip(tokens, marked, strict=True):
        if not mark:
            out.append(token)
        elif not out or out[-1] != "|":
            out.append("|")
    return " ".join(out)


def _read_segment(
    segment: str, out: Names, site: Site, w: Words, *, single_ok: bool, visible: bool
) -> None:
    segment = _PAREN.sub("", segment)
    segment = _UNPAIRED.sub(" ", segment).strip(_TRIM)  # "(أبوظبي": a bracket the separators split
    if not segment or w.photo.match(segment):
        return  # "Foto: X", "Bild: X": a photo credit, not the author
    if credit := find_credit(segment):
        out.credits.append(credit.name)
        return
    folded = segment.casefold()
    first = folded.split()[0]
    if folded in w.desks:
        out.desks.append(segment)  # "Redaktion", "Staff Writer": the site's own desk
        return
    if folded in w.placeholders or folded in w.labels or folded in w.degrees or _is_title_phrase(folded, w):
        return
    if first in w.place_words and (segment[:1].islower() or " " in segment):
        return  # "in Uncategorized", "aus Berlin", "Em São Paulo": where, not who
    segment = w.with_agency.split(segment, maxsplit=1)[0]  # "X mit Y": an interview's partner
    if w.conjunction.search(segment) and any(_same_name(segment, own) for own in site.every_name):
        return  # "Kirche und Leben" on kirche-und-leben.de: the site, not a pair of people
    names, credit = _without_role(segment, w)
    if credit is not None:
        out.credits.append(credit.name)
    if not names.isupper():
        names = _CAPS_BETWEEN.sub(" & ", names)  # "Luana Patriolino RF Raphael Felice": an avatar's initials
    for piece in w.conjunction.split(names):
        piece = piece.strip(_TRIM)
        if not piece:
            continue
        if credit := find_credit(piece):
            out.credits.append(credit.name)
            continue
        tokens = piece.split()
        if len(tokens) <= 3 and (desk := _leading_outlet(tokens)):
            out.credits.append(desk.name)  # "CNN Business", "Reuters Staff": an outlet's desk
            continue
        if len(tokens) >= 3 and (tail := _trailing_outlet(tokens)):
            outlet, size = tail  # "Tom Davies Associated Press": a name, then the agency
            out.credits.append(outlet.name)
            piece = " ".join(tokens[:-size])
        name = _without_place(_without_ui(_before_site_name(piece, site.every_name), w), w).strip(_TRIM)
        if not name:
            continue
        if _is_name(name, site, w, visible):
            if single_ok or len(name.split()) > 1:
                out.people.append(name)
        elif _is_desk(name, w):
            out.desks.append(_without_trailing_place_word(name, w))
        elif any(_same_name(name, own) for own in site.names):
            out.own.append(name)


def _before_site_name(piece: str, site_names: tuple[str, ...]) -> str:
    """ "Adam Aaronson PhillyVoice Staff" on PhillyVoice -> "Adam Aaronson"."""
    folded = piece.casefold()
    for site in site_names:
        at = folded.find(site.casefold(), 1)
        if at > 0 and _word_bounded(folded, at, len(site)) and len(piece[:at].split()) >= 2:
            return piece[:at]
    return piece


def _is_title_phrase(folded: str, w: Words) -> bool:
    return folded in w.job_titles or folded in w.job_phrases


def _without_role(piece: str, w: Words) -> tuple[str, Outlet | None]:
    """ "FOCUS-Online-Experte Robin Tschöpe" -> "Robin Tschöpe"; "Christoph Hein Chefredakteur" ->
    "Christoph Hein"; "Ap Sports Writer" -> ("", AP)."""
    piece = w.suffix.sub("", piece)
    folded = piece.casefold()
    for phrase in w.job_phrases:
        at = folded.find(phrase)
        if at >= 0 and _word_bounded(folded, at, len(phrase)):
            piece = f"{piece[:at]} {_ROLE_MARK} {piece[at + len(phrase):]}"
            folded = piece.casefold()
    tokens = piece.split()
    roles = [t == _ROLE_MARK or _is_title_word(t, w) for t in tokens]
    if not any(roles):
        return " ".join(tokens), None
    # The runs of tokens between titles; the name is a run at the start or the end.
    runs: list[list[str]] = [[]]
    for token, role in zip(tokens, roles, strict=True):
        if role:
            runs.append([])
        else:
            runs[-1].append(token)
    credit = None
    kept = []
    for run in (r for r in runs if r):
        outlet = _leading_outlet(run)
        if outlet is not None:
            credit = credit or outlet
        else:
            kept.append(run)
    if not kept:
        return "", credit
    # "Reporter Jane Doe" -> the run after the title; "Jane Doe Senior Editor" -> the run before it.
    run = kept[-1] if roles[0] else kept[0]
    if roles[0] and run[0][:1].islower():
        return "", credit  # the title's own words: "Projektleiterin der HSS", "Editor of The Times"
    return " ".join(run), credit


def _leading_outlet(run: list[str]) -> Outlet | None:
    for end in range(len(run), 0, -1):
        if outlet := find_credit(" ".join(run[:end])):
            return outlet
    return None


def _trailing_outlet(tokens: list[str]) -> tuple[Outlet, int] | None:
    """An agency or outlet of two or more words ending the tokens, after at least two others."""
    for size in range(min(4, len(tokens) - 2), 1, -1):
        if outlet := find_credit(" ".join(tokens[-size:])):
            return outlet, size
    return None


def _is_title_word(token: str, w: Words) -> bool:
    """A job title, also inside a compound: "FOCUS-Online-Experte", "Medizinstudent", "Sportredakteur"."""
    folded = token.casefold().strip(".,:;")
    if folded in w.job_titles or any(part in w.job_titles for part in folded.split("-") if part):
        return True
    return len(folded) > 8 and any(folded.endswith(t) for t in w.compound_titles)


def _without_ui(name: str, w: Words) -> str:
    """A name without the button labels printed beside it: "Nuño Domínguez Twitter"."""
    tokens = name.split()
    half = len(tokens) // 2
    if half and len(tokens) % 2 == 0 and tokens[:half] == tokens[half:]:
        tokens = tokens[:half]  # "Kristen Falc'hon Kristen Falc'hon": a photo's alt text, then the link
    while len(tokens) > 1 and (tokens[-1].casefold().strip(".,:") in w.ui or tokens[-1] in w.particles):
        tokens.pop()  # "Birgit Posselt Über Autorenseite von": a name never ends with "von"
    while len(tokens) > 1 and tokens[0].casefold().strip(".,:") in w.ui:
        tokens.pop(0)
    if not name.isupper():
        # an avatar's initials beside the name: "LP Luana Patriolino RF"
        while len(tokens) > 2 and _CAPS_INITIALS.match(tokens[-1]):
            tokens.pop()
        while len(tokens) > 2 and _CAPS_INITIALS.match(tokens[0]):
            tokens.pop(0)
    return " ".join(tokens)


def _word_bounded(text: str, at: int, length: int) -> bool:
    before = text[at - 1] if at > 0 else " "
    after = text[at + length] if at + length < len(text) else " "
    return not before.isalnum() and not after.isalnum()


def _without_place(name: str, w: Words) -> str:
    """ "Jane Doe in Valencia" -> "Jane Doe": a place word and a capitalised place after a full name."""
    match = w.place.search(name)
    if match and len(name[: match.start()].split()) >= 2 and match["place"][:1].isupper():
        return name[: match.start()]
    return name


def _is_name(name: str, site: Site, w: Words, visible: bool) -> bool:
    folded = name.casefold()
    if len(name) > _MAX_NAME_CHARS or folded in w.desks or folded in w.placeholders or folded in w.labels or (
        folded in w.ui
    ):
        return False
    if _LABEL_IN_NAME.search(name):
        return False  # "Ilustrator: Adriaan Prent": a label and its value, not a name
    if _SLUG.match(name) or _DOMAIN.match(name) or _INITIALS.match(name) or _NOT_IN_NAMES.search(name):
        return False  # "emma-mackenzie", "wien.ORF.at", a reporter's initials ("dsw", "LP")
    if "@" in name or "://" in name or (" " in name and any(ch.isdigit() for ch in name)):
        return False
    tokens = name.split()
    if len(tokens) > _MAX_NAME_WORDS or not any(ch.isalpha() for ch in name):
        return False
    if visible and len(tokens) == 1 and name.isupper() and len(name) > 1:
        return False  # "UOL", "ERBOL": an acronym printed alone is an outlet's, not a person's
    if len(tokens) >= 3 and tokens[-1].casefold() in w.desk_tails:
        return False  # "JERUSALEM POST STAFF", "HLNF Staff Report"
    # Past the first word, a printed name's words are capitalised or particles ("Walter von Aachen"); a
    # lowercase word is a sentence ("Peter Amende und Fuchsy designed"). Metadata may write a short
    # name in lowercase ("Mobasir hassan").
    lowercase = [t for t in tokens if t[:1].islower() and t.casefold() not in w.particles]
    if len(tokens) > 1 and lowercase and (visible or len(tokens) > 3 or lowercase[0] == tokens[0]):
        return False
    if (len(tokens) > 2 and tokens[0].casefold() in w.masthead_articles) or any(
        t.casefold().strip(".,:;") in w.masthead for t in tokens
    ) or (len(tokens) > 1 and tokens[-1].casefold() in w.countries):
        return False  # "El Sol de México", "Miami Today", "La Prensa Gráfica": an outlet's name
    if any(t.casefold().strip(".,:;") in w.org_words for t in tokens) or any(
        len(part) > 5 and part.endswith(w.org_endings)
        for part in folded.replace("-", " ").split()
    ):
        return False  # "ACLU Racial Justice Program", "Hanns-Seidel-Stiftung"
    if any(_same_name(name, org) for org in site.organizations):
        return False
    brands = [own for own in site.every_name if own[:1].isupper()]  # written names, not domain labels
    if len(tokens) > 1 and any(_desk_of(tokens, brand) for brand in brands):
        return False  # "Telegraph Sport", "CNN Business": a desk named after the site
    if any(_same_name(name, own) for own in site.names) and (
        len(tokens) == 1 or name.isupper() or tokens[0].casefold() in w.masthead_articles
        or any(t.casefold() in w.countries for t in tokens)
    ):
        return False  # "Eurosport", "EAT SMARTER", "Houzz Deutschland": a site's name, not its author's
    return not any(part in w.desk_words for t in tokens for part in t.casefold().split("-"))


def _without_trailing_place_word(name: str, w: Words) -> str:
    """ "auto-motor.at Redaktion in": the place that followed was cut off with its date."""
    tokens = name.split()
    while len(tokens) > 1 and tokens[-1].casefold() in w.place_words:
        tokens.pop()
    return " ".join(tokens)


def _is_desk(name: str, w: Words) -> bool:
    """A name refused as a person's that is a desk or a team: "Teufel Blog Redaktion", "PETA-Team",
    "revamp-it Webteam", "HLNF Staff Report"; not a placeholder ("No Author", "Agenturen")."""
    folded = name.casefold()
    if len(name) > _MAX_NAME_CHARS or _NOT_IN_NAMES.search(name) or "@" in name or "://" in name:
        return False
    parts = [p for t in folded.split() for p in t.strip(".,:;").split("-") if p]
    if not parts or any(p in w.placeholders for p in parts):
        return False
    if folded in w.desks or (len(parts) >= 2 and parts[-1] in w.desk_tails_only):
        return True
    # a desk word, also ending a compound: "Webteam", "Sportredaktion"
    return any(p in w.desk_words or any(p.endswith(d) and len(p) > len(d) + 2 for d in w.desk_words)
               for p in parts)


def _desk_of(tokens: list[str], site: str) -> bool:
    """The site's written name opens a longer name: "Telegraph Sport" on The Telegraph, "Andalucía
    Información Andalucía" on Andalucía Información (a desk, a place)."""
    brand = re.sub(r"^the\s+", "", site.casefold().strip()).split()
    if not brand or "." in site or len(tokens) <= len(brand) or len(tokens) > len(brand) + 2:
        return False  # "Helge.at" is Helge Fahrnberger's own site
    return len("".join(brand)) > 2 and [t.casefold() for t in tokens[: len(brand)]] == brand


def _same_name(name: str, site: str) -> bool:
    a = re.sub(r"[\W_]+", "", name.casefold())
    b = re.sub(r"[\W_]+", "", site.casefold())
    return bool(a) and (a == b or a == b.removeprefix("the"))


def dedupe(items: list[str]) -> list[str]:
    """The items once each, in order, whatever their case."""
    seen: set[str] = set()
    out = []
    for item in items:
        if item.casefold() not in seen:
            seen.add(item.casefold())
            out.append(item)
    return out
