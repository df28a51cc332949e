"""The article's language (repub.extract.language): labels read as codes, the text over the label.

Saved real pages with their expected language are in fixtures/real/language-* (tests/test_real_pages.py)."""

from __future__ import annotations

import gzip
import json
import logging
import os
import random
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from repub.extract import extract, langmodel
from repub.extract.langmodel import WalkedIdentifier, automaton_depth, mapped_identifier
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


# The model mapped from repub's cache (repub.extract.langmodel) answers exactly as py3langid's own
# loading does: this fails if py3langid changes its model's layout.
TEXTS = [ZULU, GERMAN, NORWEGIAN, SCRAMBLED, "Kurz.", "",
         "Всі люди народжуються вільними і рівними у своїй гідності та правах. " * 3,
         "人人生而自由，在尊严和权利上一律平等。他们赋有理性和良心，并应以兄弟关系的精神相对待。" * 3,
         "جميع الناس يولدون أحرارًا متساوين في الكرامة والحقوق. " * 3,
         "All human beings are born free and equal in dignity and rights. " * 3]


@pytest.fixture(scope="module")
def py3langid_own() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _same_answers(identifier: Any, reference: Any) -> None:
    for text in TEXTS:
        assert identifier.classify(text) == reference.classify(text), text
    assert identifier.rank(GERMAN) == reference.rank(GERMAN)


def test_the_model_is_written_to_the_cache_once_then_mapped(tmp_path: Path, py3langid_own: Any) -> None:
    first = mapped_identifier(tmp_path)
    [folder] = tmp_path.iterdir()
    assert folder.name.startswith("py3langid-") and sorted(p.name for p in folder.iterdir()) == [
        "classes.json", "nextmove.npy", "out.npy", "pc.npy", "ptc.npy", "row.npy", "walk.json"]
    assert isinstance(first.nb_ptc, np.memmap) and isinstance(first.tk_nextmove, memoryview)
    assert json.loads((folder / "walk.json").read_text()) == {"depth": 6}  # py3langid 0.4's model
    _same_answers(first, py3langid_own)
    written = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    second = mapped_identifier(tmp_path)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == written  # read, not written again
    _same_answers(second, py3langid_own)


@pytest.mark.parametrize("damage", ["truncated", "missing", "wrong shape", "no depth", "bad depth"])
def test_a_damaged_cache_is_written_again(tmp_path: Path, py3langid_own: Any, damage: str) -> None:
    mapped_identifier(tmp_path)
    [folder] = tmp_path.iterdir()
    if damage == "truncated":
        with open(folder / "nextmove.npy", "r+b") as f:
            f.truncate(1000)
    elif damage == "missing":
        (folder / "ptc.npy").unlink()
    elif damage == "wrong shape":
        np.save(folder / "pc.npy", np.zeros(3, dtype=np.float32))
    elif damage == "no depth":
        (folder / "walk.json").unlink()
    else:
        (folder / "walk.json").write_text("[6]")
    assert langmodel._read(folder) is None
    _same_answers(mapped_identifier(tmp_path), py3langid_own)
    assert langmodel._read(folder) is not None
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no staging folder left behind


def test_a_cache_that_cannot_be_written_leaves_the_model_in_memory(tmp_path: Path, py3langid_own: Any,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    with caplog.at_level(logging.DEBUG, logger="repub.extract"):
        identifier = mapped_identifier(blocked)
    assert not isinstance(identifier.nb_ptc, np.memmap)
    assert isinstance(identifier, WalkedIdentifier) and identifier._depth == 6
    _same_answers(identifier, py3langid_own)
    assert "language model read into memory: its cache failed" in caplog.text


def test_the_cache_folder_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REPUB_CACHE_DIR", str(tmp_path / "mine"))
    assert langmodel.cache_root() == tmp_path / "mine"
    monkeypatch.delenv("REPUB_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert langmodel.cache_root() == tmp_path / "xdg" / "repub"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert langmodel.cache_root() == tmp_path / "home" / ".cache" / "repub"


def test_a_folder_left_by_a_writer_killed_midway_is_removed_by_the_next_write(tmp_path: Path) -> None:
    mapped_identifier(tmp_path)
    [folder] = tmp_path.iterdir()
    stale, fresh = tmp_path / f".{folder.name}-killed", tmp_path / f".{folder.name}-writing"
    for left in (stale, fresh):
        left.mkdir()
        (left / "ptc.npy").write_bytes(b"\0" * 1000)
    os.utime(stale, (0, time.time() - langmodel.STALE_SECONDS - 60))
    shutil.rmtree(folder)  # the next load writes the model again
    mapped_identifier(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([folder.name, fresh.name])  # another's kept


def _walked_texts() -> list[bytes]:
    """Texts as py3langid walks them (UTF-8 bytes): the texts above, saved real pages in many languages
    and scripts, every length up to the automaton's depth and beyond, and random bytes (the walk is
    over bytes, whatever they encode)."""
    from py3langid.langid import LanguageIdentifier

    pages = sorted(Path(__file__).parent.parent.glob("fixtures/real/language-*.html.gz"))
    assert len(pages) >= 5
    texts = [*TEXTS, *(gzip.decompress(p.read_bytes()).decode("utf-8", "replace")[-20_000:] for p in pages)]
    texts += [GERMAN[:n] for n in range(9)] + ["人人生而自由"[:n] for n in range(4)]
    rng = random.Random(21)
    raw = [bytes(rng.randrange(256) for _ in range(rng.randrange(40))) for _ in range(200)]
    raw += [bytes(rng.choice(b"aeiou \xc3\xa9") for _ in range(rng.randrange(300))) for _ in range(100)]
    return [LanguageIdentifier._encode(t) for t in texts] + raw


def test_the_walk_over_all_positions_meets_what_py3langids_walk_meets(py3langid_own: Any) -> None:
    """repub's walk (langmodel.WalkedIdentifier) finds the features py3langid's byte-by-byte walk finds,
    as often and in the same order, and scores them alike: this fails if py3langid changes its walk,
    its automaton or its scoring (repub overrides its private ``_raw_score``)."""
    from py3langid.langid import LanguageIdentifier, visit_counts

    ours = mapped_identifier()
    assert isinstance(ours, WalkedIdentifier)
    own = py3langid_own
    met = 0
    for text in _walked_texts():
        kinds, counts = ours.features(text)
        visits = visit_counts(own.tk_nextmove, own._rowbase, own.tk_output, text) or {}
        assert (kinds.tolist(), counts.tolist()) == (list(visits), list(visits.values())), text[:60]
        assert np.array_equal(ours._raw_score(text), LanguageIdentifier._raw_score(own, text)), text[:60]
        met += bool(visits)
    assert met > 250  # most texts meet features; some random bytes and the empty text none


def test_the_automatons_depth_is_its_longest_state() -> None:
    """A made-up automaton over two bytes that knows "a", "ab" and "abb": its deepest state is 3 bytes
    from the root."""
    # states: 0 root, 1 "a", 2 "ab", 3 "abb"; rows are states; byte 97 = "a", 98 = "b", others -> root
    moves = np.zeros(4 * 256, dtype=np.uint32)
    for state, (on_a, on_b) in enumerate([(1, 0), (1, 2), (1, 3), (1, 0)]):
        moves[state * 256 + 97], moves[state * 256 + 98] = on_a, on_b
    assert automaton_depth(moves, np.arange(4, dtype=np.uint16)) == 3
    assert automaton_depth(np.zeros(256, dtype=np.uint32), np.zeros(1, dtype=np.uint16)) == 0


def test_a_folder_an_earlier_release_wrote_is_removed_once_this_one_is_written(tmp_path: Path) -> None:
    mapped_identifier(tmp_path)
    [folder] = tmp_path.iterdir()
    stem = folder.name.rpartition("-")[0]
    assert folder.name == f"{stem}-{langmodel.LAYOUT}"
    earlier = tmp_path / f"{stem}-{langmodel.LAYOUT - 1}"
    other_model = tmp_path / "py3langid-0123456789abcdef0123-1"  # another py3langid's model
    for kept in (earlier, other_model):
        kept.mkdir()
        (kept / "ptc.npy").write_bytes(b"\0" * 1000)
    mapped_identifier(tmp_path)  # read: nothing written, nothing removed
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([folder.name, earlier.name, other_model.name])
    shutil.rmtree(folder)
    mapped_identifier(tmp_path)  # written again: the earlier layout of the same model goes
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([folder.name, other_model.name])
