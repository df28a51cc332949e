"""Reading one article off one page: ``extract(html, url) -> Extracted`` (``repub.extract`` calls it).

A site rule (``repub.extract.rules``) reads the pages of the sites it knows; every field it leaves empty
is filled from the page's metadata. Other pages go through the generic extractor. Either way the
original is looked for with the generic signals when the rule found none.
"""

from __future__ import annotations

import logging

from selectolax.lexbor import LexborHTMLParser

from repub.errors import ExtractError
from repub.extract.authors import credits_after_body, names_in_body, others_credits
from repub.extract.generic import extract_generic, lead_image
from repub.extract.language import page_language
from repub.extract.metadata import PageMetadata, read_metadata
from repub.extract.original import find_original
from repub.extract.repair import close_unclosed_title, too_deep, unwrap_wrappers
from repub.extract.rules import find_rule
from repub.extract.types import Extracted, LeadImage
from repub.htmldepth import cap_nesting

log = logging.getLogger("repub.extract")
_TOO_DEEP = "the page's elements are nested too deeply to read"  # past what unwrapping or recursion takes


def extract(html: str, url: str) -> Extracted:
    """Read one article off one page; ExtractError when the page has neither a title nor a body, or
    when reading it fails.

    A page that breaks a reader is one bad page, not a failed run: whatever raises while it is read
    becomes an ExtractError naming the page and the fault (``_read``), which the caller logs as a page
    without an article. A page nested past what the readers take (``repair.MAX_DEPTH``: thousands of
    <div> opened around the article overflow the recursion of the tree walkers, ours and the
    libraries', and libxml2 drops what lies past ~250 levels) is read again without the elements that
    only wrap one other; that is asked only of a page that failed or gave no body. A page nesting
    tens of thousands of elements is cut first (``repub.htmldepth.cap_nesting``): parsing it costs the
    square of its depth.
    """
    html = cap_nesting(html)
    try:
        result = _read(html, url)
        if result.body_text.strip() or not too_deep(html):
            return result
    except ExtractError:
        if not too_deep(html):
            raise
    flat = unwrap_wrappers(html)
    if too_deep(flat):
        raise ExtractError(f"{url}: {_TOO_DEEP}")
    return _read(flat, url)


def _read(html: str, url: str) -> Extracted:
    """``_extract``; whatever raises inside it (a library's fault on odd markup, a recursion too deep)
    as an ExtractError, its traceback in the debug log."""
    try:
        return _extract(html, url)
    except ExtractError:
        raise
    except RecursionError as err:
        raise ExtractError(f"{url}: {_TOO_DEEP}") from err
    except Exception as err:
        log.debug("extracting %s", url, exc_info=True)
        raise ExtractError(f"{url}: reading the page failed ({type(err).__name__}: {err})") from err


def _extract(html: str, url: str) -> Extracted:
    html = close_unclosed_title(html)
    tree = LexborHTMLParser(html)
    rule = find_rule(url)
    if rule is not None:
        result = rule.extract(tree, url)  # reads the tree, never changes it
        # the page's own metadata fills what the rule left empty; no date guess when it found the date,
        # no search for people when its byline says who signs (the metadata's people, desks and site
        # signature would go unused: _fill_from_metadata and the site_signs check below)
        people = not (result.authors or result.byline) or bool(result.org_authors)
        meta = read_metadata(tree, url, guess_date=result.published is None, html=html, people=people)
        _fill_from_metadata(result, tree, url, meta)
    else:
        meta = read_metadata(tree, url, html=html)
        result = extract_generic(html, tree, url, meta)
    # The body's own byline lines: a dateline or a closing credit ("WASHINGTON (AP) —", "(dpa)") credits
    # an agency; a first or last line "Von Jane Doe" names the author when nothing else did.
    in_body = names_in_body(result.body_text, result.language, url=url)
    # the text of the page's <body>, read once for the closing credit and the original
    page_text = tree.body.text(deep=True) if tree.body is not None else ""
    result.credits = _merged(result.credits, in_body.credits or credits_after_body(
        tree, result.body_text, result.language, url=url, page_text=page_text))
    if not result.authors and not result.byline and in_body.people:
        result.authors = list(in_body.people)
        result.org_authors = []  # a person signs it after all
    elif not result.authors and not result.org_authors and not result.byline and in_body.desks:
        result.org_authors = list(in_body.desks)  # a closing "Von Redaktion"
    result.credits = others_credits(result.credits, url)
    if meta.site_signs and result.credits and result.org_authors == meta.org_authors:
        result.org_authors = []  # the site's name signs its own articles, not an agency's copy
    if result.original is None:
        result.original = find_original(
            tree, url, meta, result.body_text, result.credits, result.byline, page_text)
    # The page's language label, unless its text is plainly in another language.
    result.language = page_language(result.language, result.body_text)
    if not result.title and not result.body_text.strip():
        raise ExtractError(f"{url}: no article text found (no title and no body)")
    return result


def _merged(first: list[str], more: list[str]) -> list[str]:
    return first + [item for item in more if item not in first]


def _fill_from_metadata(result: Extracted, tree: LexborHTMLParser, url: str, meta: PageMetadata) -> None:
    """Fill the fields a rule left empty (None, [] or "") from the page's metadata."""
    for name in ("title", "section", "published", "modified", "language", "canonical_url"):
        if getattr(result, name) in (None, ""):
            setattr(result, name, getattr(meta, name))
    if not result.tags:
        result.tags = list(meta.tags)
    if not result.authors and not result.byline:
        # A byline the rule read but found no person in ("RT - TRANSCEND Media Service") stays authorless.
        result.authors = list(meta.authors)
    if not result.authors and not result.byline and not result.org_authors:
        result.org_authors = list(meta.org_authors)
    if not result.credits:
        result.credits = list(meta.credits)
    if result.lead_image is None:
        result.lead_image = lead_image(tree, url, meta.image_url) if meta.image_url else None
    elif not result.lead_image.url and meta.image_url:
        found = result.lead_image
        result.lead_image = LeadImage(url=meta.image_url, caption=found.caption, credit=found.credit)
