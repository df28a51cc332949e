"""A body's near-duplicate signature: MinHash over word shingles, with LSH band keys for the index.

Why MinHash and these numbers (measured by ``bench/eval_reuse.py`` and ``bench/reuse_bench.py``, see
docs/reuse.md): a copy that keeps half of the original and adds a disclaimer has a Jaccard similarity
of about 0.4 with it; SimHash's Hamming distance separates such copies from unrelated pages poorly,
while MinHash's LSH banding finds them with a recall that a few parameters set.

- Text: NFKC, casefolded, the ``\\w+`` words (punctuation, typographic quotes and dashes vanish, so a
  republisher's “curly” quotes and – dashes change nothing).
- Shingles: runs of ``SHINGLE`` consecutive words over the whole body (across paragraph breaks, so two
  extractors that split paragraphs differently agree). Five words: rare enough that two independent
  reports of one event, sharing names and facts but not sentences, share almost none.
- Signature: ``PERMUTATIONS`` 32-bit minimums from rensa's ``RMinHash`` (a Rust MinHash, ~8x
  datasketch's speed here); ``BAND_ROWS`` of them make one band, packed into one signed 64-bit key.
  Two texts become candidates when any band key agrees: with 64 bands of 2 rows the chance is
  1 - (1 - J^2)^64: 0.9999 at J = 0.4, 0.93 at J = 0.2, 0.025 at J = 0.02.
- A body of fewer than ``MIN_SHINGLES`` shingles gets a signature but no band keys: its text is too
  short to tell a copy from a shared boilerplate line.

rensa's digest is part of the stored data: the same text must give the same band keys in every
process and release, or stored keys stop finding new copies. ``SCHEME`` names the parameters and the
library's major version, it is stored with each signature, and tests/test_reuse.py pins the digest
of a fixed text, so an upgrade that changes it fails there first.
"""

from __future__ import annotations

import re
import struct
import unicodedata
from array import array
from dataclasses import dataclass, field

from rensa import RMinHash

SHINGLE = 5
PERMUTATIONS = 128
BAND_ROWS = 2
BANDS = PERMUTATIONS // BAND_ROWS
SEED = 17
MIN_SHINGLES = 20
SCHEME = f"minhash-rensa0.5-w{SHINGLE}-p{PERMUTATIONS}-r{BAND_ROWS}-s{SEED}"

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The text's words as compared: NFKC, casefolded, punctuation gone."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def shingles(text: str) -> set[str]:
    """The distinct runs of ``SHINGLE`` words ("the council voted on tuesday"); a text shorter than
    that gives its words as one shingle, an empty text none."""
    w = words(text)
    if len(w) < SHINGLE:
        return {" ".join(w)} if w else set()
    # zip over shifted lists: twice as fast as slicing w[i:i + SHINGLE] for every i
    return set(map(" ".join, zip(*(w[i:] for i in range(SHINGLE)), strict=False)))


def hashed(found: set[str]) -> array[int]:
    """Shingles as the exact measure compares them: their Python hashes, 8 bytes each
    (``repub.reuse.compare.ShingleCache``; the seed of ``hash`` is the process's, see ``ShingleHashes``).
    Distinct shingles, so distinct hashes but for a 64-bit collision (the chance the measure already
    accepts): not gathered into a set first, which took half the time (0.63 against 0.37 ms for the
    1,756 shingles of a 12.7 KB body)."""
    return array("q", map(hash, found))


_PROBE = "repub shingle hash probe"


@dataclass(frozen=True)
class ShingleHashes:
    """A text's shingles as Python hashes (``repub.reuse.compare.ShingleCache``'s form), with the
    hash of a fixed probe string in the process that made them.

    Why: the store measures each page it saves against its candidates and needed the page's shingles
    again (~1 ms for a 4.7 KB body) though the extraction worker had just made them for the signature
    (~0.1 ms more as hashes). Python's string hash is seeded per interpreter: hashes made in another
    family of processes are worthless, and the probe tells (``usable``)."""

    probe: int
    hashes: array[int]

    @classmethod
    def of(cls, found: set[str]) -> ShingleHashes:
        return cls(hash(_PROBE), hashed(found))

    def usable(self) -> bool:
        """Whether these hashes were made with this process's string hash."""
        return self.probe == hash(_PROBE)


@dataclass(frozen=True)
class Fingerprint:
    """One body's signature, as stored with its version (``repub.store``)."""

    scheme: str
    shingles: int  # distinct shingles of the body
    signature: bytes  # PERMUTATIONS unsigned 32-bit minimums, little-endian
    bands: tuple[int, ...]  # signed 64-bit LSH band keys; () when the body is too short to index
    # the shingles' hashes, for the store's exact measure; never stored, not part of the value
    hashes: ShingleHashes | None = field(default=None, compare=False, repr=False)

    def minimums(self) -> tuple[int, ...]:
        return struct.unpack(f"<{len(self.signature) // 4}I", self.signature)

    def estimate(self, other: Fingerprint) -> float:
        """Estimated Jaccard similarity: the share of equal minimums (0 across schemes)."""
        if self.scheme != other.scheme or not self.signature or not other.signature:
            return 0.0
        mine, theirs = self.minimums(), other.minimums()
        return sum(a == b for a, b in zip(mine, theirs, strict=True)) / len(mine)


def fingerprint(text: str) -> Fingerprint:
    """The signature and band keys of a body (pure CPU: run it where extraction runs)."""
    found = shingles(text)
    if not found:
        return Fingerprint(SCHEME, 0, b"", ())
    sketch = RMinHash(PERMUTATIONS, SEED)
    sketch.update(list(found))
    digest = sketch.digest()
    signature = struct.pack(f"<{PERMUTATIONS}I", *digest)
    bands = band_keys(digest) if len(found) >= MIN_SHINGLES else ()
    return Fingerprint(SCHEME, len(found), signature, bands, ShingleHashes.of(found))


def band_keys(digest: list[int]) -> tuple[int, ...]:
    """One signed 64-bit key per band: the band's index (6 bits), its first row (32 bits) and the top
    26 bits of its second. An index key needs no mixing, only to differ where bands differ: two
    bands of one index that agree on 58 of their 64 bits are taken for a candidate, and verification
    (``repub.reuse.compare``) drops it. Plain shifts: a hash per band cost 77 us an article, a
    third of the whole fingerprint."""
    assert BAND_ROWS == 2 and BANDS <= 64
    keys = [(band << 58) | (first << 26) | (second >> 6)
            for band, first, second in zip(range(BANDS), digest[0::2], digest[1::2], strict=True)]
    return tuple(k - (1 << 64) if k >= 1 << 63 else k for k in keys)  # a BIGINT column is signed
