"""The article's language: a BCP 47 primary language subtag ("ko", "de"), from the text when the page's
label says otherwise.

Labels are read with langcodes (ISO 639-2/3 and deprecated codes to the shortest code: "eng" -> "en",
"ger" -> "de", "iw" -> "he") after data/languages.toml: country codes written for languages ("kr" ->
"ko", "jp" -> "ja") and values that name no language ("utf", "x-default"). Only the primary subtag is
kept: "en-US" -> "en", "pt_BR" -> "pt", "zh-Hant" -> "zh".

The text is read with py3langid, whose model ships inside the package (4.5 MB, nothing is
downloaded; repub maps it from an uncompressed copy in its cache, ``repub.extract.langmodel``): the
first TEXT_SAMPLE characters of the body. Its language replaces the page's label
when it is sure (probability >= MIN_PROBABILITY on at least MIN_TEXT characters) and the two are not
close kin that the detector confuses (Bokmål and Danish, Croatian and Bosnian: langcodes' tag
distance <= CLOSE_KIN). A template that says "en" over a German text gives "de"; a text in Zulu is
"zu". Text that is no language (scrambled paywall text: py3langid's "zxx") leaves the label alone.

On the 1,294 pages of ../shared/bench/metadata (no true language there; the changes were read by
hand): the text gives the language of 102 pages, 63 with no usable label and 39 whose label it
overrides (35 rightly; 2 wrong where the body extracted is a PHP warning). ~0.3 ms a page.
Saved pages: fixtures/real/language-*.
"""

from __future__ import annotations

import functools
import re
import threading
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import langcodes
from langcodes.tag_parser import LanguageTagError

TEXT_SAMPLE = 1000  # characters of body text read by the detector (~0.3 ms a page)
MIN_TEXT = 200  # characters of body text below which the label is kept as it is
MIN_PROBABILITY = 0.95
CLOSE_KIN = 20  # langcodes.tag_distance at or below which two languages count as close kin
_NO_LANGUAGE = frozenset({"zxx", "und"})


@dataclass(frozen=True)
class _Data:
    mislabels: dict[str, str]
    not_languages: frozenset[str]
    macrolanguages: dict[str, str]


@functools.cache
def _data() -> _Data:
    raw = tomllib.loads(resources.files("repub.extract").joinpath("data/languages.toml").read_text("utf-8"))
    return _Data(dict(raw["mislabels"]), frozenset(raw["not_languages"]), dict(raw["macrolanguages"]))


def language_code(label: str | None) -> str | None:
    """The primary language subtag a page's label stands for, or None when it names no language."""
    if not label:
        return None
    text = label.strip().lower().replace("_", "-")
    if text in _data().not_languages:
        return None
    primary = re.split(r"[-,;\s]", text, maxsplit=1)[0]
    if not re.fullmatch(r"[a-z]{2,3}", primary) or primary in _data().not_languages:
        return None
    primary = _data().mislabels.get(primary, primary)
    try:
        language = langcodes.Language.get(langcodes.standardize_tag(primary, macro=True))
    except (LanguageTagError, ValueError):
        return None
    code = language.language
    if not code or code in _NO_LANGUAGE or not language.is_valid():
        return None
    return code


def detect(text: str) -> tuple[str, float] | None:
    """The language of ``text`` and the detector's probability, or None for too little text."""
    sample = text[:TEXT_SAMPLE]
    if len(sample) < MIN_TEXT:
        return None
    code, probability = _identifier().classify(sample)
    return _data().macrolanguages.get(code, code), probability


def page_language(label: str | None, text: str) -> str | None:
    """The article's language: the page's label (already a code) unless its text says otherwise."""
    found = detect(text)
    if found is None:
        return label
    code, probability = found
    if code in _NO_LANGUAGE or probability < MIN_PROBABILITY or code == label:
        return label
    if label is not None and langcodes.tag_distance(label, code) <= CLOSE_KIN:
        return label
    return code


def load_model() -> None:
    """Load py3langid's model now rather than on the first page (``repub.ingest.shared_models``)."""
    _identifier()


_LOADING = threading.Lock()


def _identifier() -> Any:
    """py3langid's identifier with probabilities (its documented LanguageIdentifier with
    ``norm_probs=True``; the module-level ``classify`` gives unnormalized log scores) over the model
    mapped from repub's cache (``repub.extract.langmodel``). Loaded once per process, on first use:
    mapping it takes milliseconds, but the first load writes the cache (~1 s), and reading the model
    into memory when the cache fails ~0.6 s and ~110 MB at its peak. Under a lock:
    an import on one core extracts its first pages in five threads at once, and ``functools.cache``
    alone let each of them load its own copy (a 509 MB spike in a 250 MB run)."""
    with _LOADING:
        return _load_identifier()


@functools.cache
def _load_identifier() -> Any:
    from .langmodel import mapped_identifier

    return mapped_identifier()
