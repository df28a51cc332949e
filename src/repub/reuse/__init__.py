"""Text reuse: find the copies that do not say so (docs/reuse.md).

``fingerprint`` (a body's MinHash signature and LSH band keys, computed where extraction runs),
``compare`` (the exact measure that verifies a candidate), ``decide`` (which stored article is a page's
original, which stored articles are the page's copies), ``changes`` (what a copy changed: title, cut
paragraphs, added lines). Pure: ``repub.store`` looks candidates up and writes the links.
"""

from repub.reuse.compare import TextMatch, compare, is_copy, measure, same_text
from repub.reuse.fingerprint import SCHEME, Fingerprint, fingerprint, shingles, words

__all__ = ["SCHEME", "Fingerprint", "TextMatch", "compare", "fingerprint", "is_copy", "measure", "same_text",
           "shingles", "words"]
