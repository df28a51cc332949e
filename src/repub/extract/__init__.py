"""The extract stage: ``extract(html, url) -> Extracted``.

A site rule (``repub.extract.rules``) reads the pages of the sites it knows; every field it leaves empty
is filled from the page's metadata. Other pages go through the generic extractor. Either way the
original is looked for with the generic signals when the rule found none (``repub.extract.article``).

The readers are imported on the first call, not with this package: the store's text reuse and the
commands that extract nothing (``repub runs``, ``repub resync`` of unchanged pages, ``repub serve``)
import light modules of it (its types, dates, provenance phrases) and need none of the readers (the
generic extractor, metadata, authors, language codes, site rules: 0.05-0.25 s of a command's start and
~3 MB).
"""

from __future__ import annotations

from repub.errors import ExtractError
from repub.extract.types import Extracted

__all__ = ["Extracted", "ExtractError", "extract"]


def extract(html: str, url: str) -> Extracted:
    """Read one article off one page (``repub.extract.article.extract``); ExtractError when the page has
    neither a title nor a body, or when reading it fails."""
    from repub.extract.article import extract as read

    return read(html, url)
