"""The article's language (repub.extract.language): labels read as codes, the text over the label.

Saved real pages with their expected language are in fixtures/real/language-* (tests/test_real_pages.py)."""

from __future__ import annotations

import pytest

from repub.extract import extract
from repub.extract.language import MIN_TEXT, _identifier, detect, language_code, page_language

# Article 1 of the Universal Declaration of Human Rights, in Zulu, German and Norwegian (Bokmål).
ZULU = ("Bonke abantu bazalwa bekhululekile belingana ngesithunzi nangamalungelo. Bahlanganiswe "
        "nokucabanga nangunembeza futhi kufanele baphathane ngomoya wobunye. ") * 3
GERMAN = ("Alle Menschen sind frei und gleich an Würde und Rechten geboren. Sie sind mit Vernunft und "
          "Gewissen begabt und sollen einander im Geist der Brüderlichkeit begegnen. ") * 2
NORWEGIAN = ("Alle mennesker er født frie og med samme menneskeverd og menneskerettigheter. De er utstyrt "
             "med fornuft og samvittighet og bør handle mot hverandre i brorskapets ånd. ") * 2
# A paywall's scrambled text (a real page of ../shared/bench/metadata does this): letters, no language.
SCRAMBLED = ("Bjagybpvymp Tfcfh dr Hqsemx, ahp Oogu iah fudvs Kvd gof gqnxvdzczdo rxnq mhe Wwfc vthwk "
             "Ujzc mrl duezohzewkey Tzkd xm Kprc paxobb. Ag qfusr mrnwttp Snca jht vw Wjdpyy qxg Nfhy. ") * 2


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("en-US", "en"), ("pt_BR", "pt"), ("zh-Hant-TW", "zh"), ("EN", "en"), ("de-DE-formal", "de"),
        ("eng", "en"), ("ger", "de"), ("deu", "de"), ("fre", "fr"),  # ISO 639-2/3
        ("iw", "he"), ("in", "id"), ("In-Id", "id"), ("sh", "sr"),  # deprecated codes
        ("kr", "ko"), ("jp", "ja"), ("gr", "el"), ("ua", "uk"),  # country codes for languages
        ("utf-8", None), ("utf", None), ("x-default", None), ("und", None), ("", None), (None, None),
        ("English", None), ("123", None), ("es_AR.UTF-8", "es"), ("de, en", "de"), ("fil", "fil"),
    ],
)
def test_language_code(label: str | None, code: str | None) -> None:
    assert language_code(label) == code


def test_detect() -> None:
    assert detect(ZULU)[0] == "zu"  # type: ignore[index]
    assert detect(GERMAN)[0] == "de"  # type: ignore[index]
    assert detect(SCRAMBLED)[0] == "zxx"  # type: ignore[index]
    assert detect("Kurz.") is None
    assert detect("x" * (MIN_TEXT - 1)) is None


def test_the_detector_gives_probabilities() -> None:
    """repub uses py3langid's LanguageIdentifier with norm_probs=True: a probability in [0, 1], the
    ranks summing to 1. This fails if py3langid changes that interface."""
    language, probability = _identifier().classify(GERMAN)
    assert language == "de" and 0.99 <= probability <= 1.0
    assert abs(sum(p for _, p in _identifier().rank(GERMAN)) - 1.0) < 1e-3


def test_page_language() -> None:
    assert page_language("en", ZULU) == "zu"  # the template says "en", the text is Zulu
    assert page_language("en", GERMAN) == "de"
    assert page_language(None, GERMAN) == "de"  # no label: the text
    assert page_language("de", GERMAN) == "de"
    assert page_language("de", SCRAMBLED) == "de"  # no language in the text: the label stays
    assert page_language("en", "Kurz und knapp.") == "en"  # too little text: the label stays
    assert page_language(None, "Kurz und knapp.") is None
    assert page_language("da", NORWEGIAN) == "da"  # close kin the detector confuses: the label stays
    assert page_language("en", NORWEGIAN) == "no"


def test_extract_reads_the_language_from_the_text_over_a_template_label() -> None:
    html = f"""<html lang="en-US"><head><title>Umthetho</title></head><body><article><h1>Umthetho</h1>
    <p>{ZULU}</p></article></body></html>"""
    assert extract(html, "https://isolezwe.example/umthetho").language == "zu"
