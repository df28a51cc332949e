"""py3langid's language model as files the operating system maps, not objects each process loads.

py3langid ships its model as one LZMA-compressed NumPy archive (4.5 MB) and reads it whole into each
process: a 100,053 x 142 float16 matrix (28 MB), a transition table of 9.8 million entries (39 MB) and
two lists of 104,583 numbers, ~74 MB of Python objects and ~0.6 s of decompression. A text of 1,000
characters walks a few hundred of the automaton's states and reads a few hundred of the matrix's rows:
most of the model is never read by a run.

So the first load writes the arrays, uncompressed, as ``.npy`` files in a folder of the cache named
after the model file's SHA-256 (67 MB on disk), and every load maps them (``numpy.load(mmap_mode="r")``):
a process holds only the pages its texts touched, processes share them through the page cache, and
loading takes milliseconds. The cache is ``$REPUB_CACHE_DIR``, else ``$XDG_CACHE_HOME/repub``, else
``~/.cache/repub``. The folder is written under a temporary name and renamed whole, so a process never
maps half a model; one that cannot be read is written again (its shapes are checked on each load, its
contents not: that would read all 67 MB), a temporary folder left by a process killed while writing is
removed by the next write, and so are the folders an earlier release wrote for the same model (an older
layout). When the cache can be neither read nor written (a read-only home), the model is read into
memory as py3langid does (one debug line).

This leans on py3langid's model layout, which it does not document as API: ``py3langid.modelio.
load_model``'s six arrays and ``LanguageIdentifier``'s constructor taking them. Reason: py3langid has no
way to open its model without decompressing and copying it. A new layout fails
tests/test_language.py, which compares this identifier's answers with py3langid's own loading.

The walk over a text is also repub's (``WalkedIdentifier``): py3langid walks its automaton one byte at
a time in Python, 1.2-1.5 ms for the 1,000 characters a page gives it inside a run (~12 % of an
import's CPU on one core, ``bench/profile_import.py``). Its automaton is Aho-Corasick's over byte
strings of at most ``depth`` bytes (6 in py3langid 0.4's model): the state after a byte is the longest
suffix of the text read so far that one of those strings begins with, so it depends on the last
``depth`` bytes alone. repub starts every position at the root and reads ``depth`` bytes at all
positions at once, as NumPy gathers: the same states, the same features counted in the same order,
the same scores, in ~0.1 ms. ``depth`` is the automaton's deepest state, found once when the cache
is written (a breadth-first walk, ~1 s) and stored beside the arrays. This overrides py3langid's
``_raw_score``, a private method, for the same reason as above; tests/test_language.py compares the
features and scores with py3langid's own walk on texts in many scripts and on random bytes, and fails
when its walk or its scoring changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

log = logging.getLogger("repub.extract")

CACHE_ENV = "REPUB_CACHE_DIR"
LAYOUT = 2  # of the cache folder: bump when what is written changes
_ARRAYS = ("ptc", "pc", "nextmove", "row", "out")
STALE_SECONDS = 600  # a temporary folder this old is no other process's write in progress (~1 s)


def cache_root() -> Path:
    """Where repub keeps files it derives from its packages: ``$REPUB_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/repub``, else ``~/.cache/repub``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "repub"
    return Path.home() / ".cache" / "repub"


def mapped_identifier(cache: Path | None = None) -> Any:
    """py3langid's ``LanguageIdentifier`` (probabilities normalized) over the mapped model in ``cache``
    (default ``cache_root()``), written there first if missing; in memory when the cache fails."""
    from py3langid.modelio import load_model

    source = Path(MODEL_DIR) / MODEL_FILE
    try:
        folder = (cache or cache_root()) / f"py3langid-{_digest(source)}-{LAYOUT}"
        arrays = _read(folder)
        if arrays is None:
            _write(folder, load_model(source))
            arrays = _read(folder)
        if arrays is None:
            raise ValueError("the written model cannot be read back")
    except (OSError, ValueError, RuntimeError) as exc:  # RuntimeError: Path.home() finds no home
        log.debug("language model read into memory: its cache failed: %s", exc)
        identifier = WalkedIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        identifier.set_depth(automaton_depth(identifier.tk_nextmove, identifier.tk_row))
        return identifier
    ptc, pc, classes, nextmove, row, out, depth = arrays
    # memoryviews for py3langid's own walk (the fallback for a text without features): it indexes them
    # one number at a time, which a memoryview answers with a Python int (a NumPy array makes a scalar).
    identifier = WalkedIdentifier(ptc, pc, classes, memoryview(nextmove), memoryview(out), norm_probs=True,
                                  tk_row=memoryview(row))
    identifier.set_depth(depth)
    return identifier


class WalkedIdentifier(LanguageIdentifier):  # type: ignore[misc]  # py3langid has no type hints
    """py3langid's identifier, walking its automaton over all of a text's bytes at once (module doc)."""

    __slots__ = ("_depth", "_moves", "_rows", "_outputs")

    def set_depth(self, depth: int) -> None:
        """Take the automaton's ``depth`` (``automaton_depth``) and view its arrays as NumPy arrays."""
        self._depth = depth
        self._moves = np.asarray(self.tk_nextmove)
        self._rows = np.asarray(self.tk_row).astype(np.intp) << 8
        self._outputs = np.asarray(self.tk_output)

    def features(self, text: bytes) -> tuple[Any, Any]:
        """The features the automaton meets in ``text`` (UTF-8 bytes) and how often, in the order
        py3langid's walk first meets them."""
        data = np.frombuffer(text, dtype=np.uint8)
        size = data.size
        states = np.zeros(size, dtype=np.intp)
        # Position i reads bytes i - depth + 1 .. i from the root; one that starts before the text
        # starts at its first byte (it has stayed at the root until then).
        for back in range(min(self._depth, size) - 1, -1, -1):
            states[back:] = self._moves[self._rows[states[back:]] + data[:size - back]]
        found = self._outputs[states]
        found = found[found >= 0]
        kinds, first, counts = np.unique(found, return_index=True, return_counts=True)
        order = np.argsort(first, kind="stable")
        return kinds[order], counts[order]

    def _raw_score(self, text: bytes) -> Any:
        kinds, counts = self.features(text)
        if not kinds.size:
            return super()._raw_score(text)  # py3langid's score for a text without features
        # py3langid's _sparse_score, over the same features in the same order
        return np.log1p(counts.astype(np.float32)) @ self.nb_ptc[kinds] + self.nb_pc


def automaton_depth(nextmove: Any, row: Any) -> int:
    """The length of the longest byte string a state of the automaton stands for: its greatest distance
    from the root, walked breadth first (a state reached first after k bytes stands for k bytes)."""
    moves = np.asarray(nextmove)
    rows = np.asarray(row).astype(np.intp) << 8
    distance = np.full(rows.size, -1, dtype=np.intp)
    distance[0] = 0
    frontier, depth = np.array([0], dtype=np.intp), 0
    every_byte = np.arange(256, dtype=np.intp)
    while True:
        seen = np.zeros(rows.size, dtype=bool)
        seen[moves[(rows[frontier][:, None] + every_byte).ravel()]] = True
        reached = np.flatnonzero(seen & (distance < 0))
        if not reached.size:
            return depth
        depth += 1
        distance[reached] = depth
        frontier = reached


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:20]


def _read(folder: Path) -> tuple[Any, ...] | None:
    """The model's arrays mapped from ``folder``, or None when it is missing or not a whole model."""
    try:
        classes = json.loads((folder / "classes.json").read_text("utf-8"))
        walk = json.loads((folder / "walk.json").read_text("utf-8"))
        depth = walk.get("depth") if isinstance(walk, dict) else None
        ptc, pc, nextmove, row, out = (np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
                                       for name in _ARRAYS)
    except (OSError, ValueError):
        return None
    whole = (isinstance(classes, list) and all(isinstance(c, str) for c in classes)
             and ptc.ndim == 2 and ptc.shape == (ptc.shape[0], len(classes)) and pc.shape == (len(classes),)
             and nextmove.ndim == 1 and nextmove.size % 256 == 0 and nextmove.dtype.kind == "u"
             and row.ndim == 1 and out.shape == row.shape and row.dtype.kind == "u" and out.dtype.kind == "i"
             and row.size > 0 and int(row.max()) * 256 < nextmove.size and int(out.max()) < ptc.shape[0]
             and isinstance(depth, int) and 0 < depth <= 64)
    if not whole:
        return None
    return ptc, np.array(pc), classes, nextmove, row, out, depth


def _write(folder: Path, model: tuple[Any, ...]) -> None:
    """Write ``model`` (py3langid's six arrays) as ``folder``, replacing an unreadable one; if another
    process wrote it meanwhile, theirs is kept."""
    ptc, pc, classes, nextmove, row, out = model
    folder.parent.mkdir(parents=True, exist_ok=True)
    for stale in folder.parent.glob(f".{folder.name}-*"):  # a writer killed midway (67 MB each)
        with contextlib.suppress(OSError):
            if time.time() - stale.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(stale)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        arrays = {"ptc": np.asarray(ptc), "pc": np.asarray(pc, dtype=np.float32),
                  "nextmove": np.frombuffer(nextmove, dtype=_unsigned(nextmove.itemsize)),
                  "row": np.frombuffer(row, dtype=_unsigned(row.itemsize)),
                  "out": np.asarray(out, dtype=np.int32)}
        for name, array in arrays.items():
            np.save(staging / f"{name}.npy", array, allow_pickle=False)
        (staging / "classes.json").write_text(json.dumps(list(classes)), "utf-8")
        depth = automaton_depth(arrays["nextmove"], arrays["row"])
        (staging / "walk.json").write_text(json.dumps({"depth": depth}), "utf-8")
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        try:
            staging.rename(folder)
        except OSError:
            if _read(folder) is None:
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _remove_earlier_layouts(folder)


def _remove_earlier_layouts(folder: Path) -> None:
    """Remove the folders an earlier release wrote for the same model (``...-<digest>-<older layout>``,
    67 MB each). A process of that release still mapping one keeps its pages (an unlinked file stays
    mapped); its next process writes it again. Folders of other models (another py3langid) are kept."""
    stem, _, _ = folder.name.rpartition("-")
    for earlier in folder.parent.glob(f"{stem}-*"):
        layout = earlier.name.rpartition("-")[2]
        if layout.isdigit() and int(layout) < LAYOUT:
            shutil.rmtree(earlier, ignore_errors=True)


def _unsigned(itemsize: int) -> Any:
    return {2: np.uint16, 4: np.uint32, 8: np.uint64}[itemsize]
