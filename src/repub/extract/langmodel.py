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
contents not: that would read all 67 MB), and a temporary folder left by a process killed while writing
is removed by the next write. When the cache can be neither read nor written (a read-only home), the
model is read into memory as py3langid does (one debug line).

This leans on py3langid's model layout, which it does not document as API: ``py3langid.modelio.
load_model``'s six arrays and ``LanguageIdentifier``'s constructor taking them. Reason: py3langid has no
way to open its model without decompressing and copying it. A new layout fails
tests/test_language.py, which compares this identifier's answers with py3langid's own loading.
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

log = logging.getLogger("repub.extract")

CACHE_ENV = "REPUB_CACHE_DIR"
LAYOUT = 1  # of the cache folder: bump when what is written changes
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
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
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
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ptc, pc, classes, nextmove, row, out = arrays
    # memoryviews: the automaton's walk indexes them one number at a time, which a memoryview answers
    # with a Python int as fast as py3langid's own array does (a NumPy array makes a scalar each time).
    return LanguageIdentifier(ptc, pc, classes, memoryview(nextmove), memoryview(out), norm_probs=True,
                              tk_row=memoryview(row))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:20]


def _read(folder: Path) -> tuple[Any, ...] | None:
    """The model's arrays mapped from ``folder``, or None when it is missing or not a whole model."""
    try:
        classes = json.loads((folder / "classes.json").read_text("utf-8"))
        ptc, pc, nextmove, row, out = (np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
                                       for name in _ARRAYS)
    except (OSError, ValueError):
        return None
    whole = (isinstance(classes, list) and all(isinstance(c, str) for c in classes)
             and ptc.ndim == 2 and ptc.shape == (ptc.shape[0], len(classes)) and pc.shape == (len(classes),)
             and nextmove.ndim == 1 and nextmove.size % 256 == 0 and nextmove.dtype.kind == "u"
             and row.ndim == 1 and out.shape == row.shape and row.dtype.kind == "u" and out.dtype.kind == "i"
             and row.size > 0 and int(row.max()) * 256 < nextmove.size and int(out.max()) < ptc.shape[0])
    if not whole:
        return None
    return ptc, np.array(pc), classes, nextmove, row, out


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
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        try:
            staging.rename(folder)
        except OSError:
            if _read(folder) is None:
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _unsigned(itemsize: int) -> Any:
    return {2: np.uint16, 4: np.uint32, 8: np.uint64}[itemsize]
