"""The extractor for sites without rules: trafilatura for the body, the page's metadata for the rest."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from repub.extract.clean import clean_page
from repub.extract.edges import PageText, drop_read_also, fix_start, is_tail_notice, stopped_at_caption
from repub.extract.metadata import PageMetadata, absolute_url
from repub.extract.original import is_attribution_line
from repub.extract.textutil import squash
from repub.extract.types import Extracted, LeadImage
from repub.hosts import bare_host

# A caption's trailing parenthesis is a credit when it reads like one: a licence, an agency, "A / B".
_PAREN_CREDIT = re.compile(
    r"\s*\((?P<credit>[^()]*(?:CC[ -]BY|CC0|Creative Commons|Wikimedia|Flickr|Public Domain|Getty|Reuters"
    r"|AFP|AP Photo|EPA|Shutterstock|/)[^()]*)\)\s*$",
    re.I,
)
# Credit forms at the end of a caption, tried in order: "(Photo: X)", "© X", "Photo: X", "Credit: X".
_CREDIT = [
    re.compile(
        r"\s*\(\s*(?:photo|image|credit|picture|photograph)(?:\s+by)?\s*:?\s*(?P<credit>[^()]+)\)\s*$", re.I
    ),
    re.compile(r"\s*(?:©|\(c\)|copyright)\s*(?P<credit>[^©]+)$", re.I),
    _PAREN_CREDIT,
    re.compile(
        r"(?:^|(?<=[\s.|–—-]))\s*(?:photo|image|credit|photograph|picture|illustration|source)s?(?:\s+by|\s*:)\s*"
        r"(?P<credit>[^:]+)$",
        re.I,
    ),
]
_WORDS = re.compile(r"\w+")
# Precision mode kept under this share of the cleaned page's words: a page without <p> structure whose
# body it missed (trafilatura's snippet set: 9 of 933 pages below it, 6 snippets found on 4 pages, none
# lost; none of the 181 Zyte pages; 0.08 and 0.12 found fewer).
_TEXT_SHARE = 0.1
# The fast pass (no fallback) is kept when it has this many characters and this share of the cleaned
# page's text (1,114 pages of both sets: its text differs from the full pass's on 57; on 12 of the 991
# it keeps; ~5 ms a page saved).
_FAST_MIN_CHARS = 500
_FAST_SHARE = 0.1
_WIRE_CREDIT = re.compile(r"^\(?(?:additional\s+)?(?:reporting|writing|editing|compiled)\s+by\s", re.I)
_DISCLAIMER = re.compile(
    r"\b(?:views|opinions|statements)\b.{0,60}\bexpressed\b.{0,120}\b(?:do not|does not|may not|don't)\b"
    r".{0,40}\breflect",
    re.I,
)
_CREDIT_NODES = '[class*="credit"], [class*="copyright"], cite'
_LAZY_ATTRS = ("data-src", "data-lazy-src", "data-original", "data-srcset", "srcset", "src")


def extract_generic(html: str, tree: LexborHTMLParser, url: str, meta: PageMetadata) -> Extracted:
    """One article from a page no site rule knows."""
    return Extracted(
        url=url,
        site=bare_host(url),
        extractor="generic",
        title=meta.title,
        authors=list(meta.authors),
        credits=list(meta.credits),
        org_authors=list(meta.org_authors),
        byline=meta.byline,
        section=meta.section,
        published=meta.published,
        modified=meta.modified,
        language=meta.language,
        canonical_url=meta.canonical_url,
        lead_image=lead_image(tree, url, meta.image_url),
        tags=list(meta.tags) or dom_tags(tree),
        body_text=trim_end_matter(body_text(html, url, meta.title, tree), meta.authors)
        or _paragraphs(meta.article_body or ""),
    )


def body_text(
    html: str, url: str, title: str | None = None, tree: LexborHTMLParser | None = None
) -> str:
    """The article's paragraphs separated by one blank line ("" when none found).

    Steps, each measured on the 181-page Zyte set and on trafilatura's 933-page snippet set
    (bench/eval_extraction.py, figures in bench/README.md): clean the tree by structure first
    (clean.clean_page: 1.35x faster, joins bodies split by ads; a given ``tree``, the page already
    parsed, is cloned instead of parsing again), then trafilatura with favor_precision and tables kept
    (its readability/jusText fallback only when the fast pass kept little of the page), then a
    favor_recall retry when it kept under 15% of the page's paragraph words, a default-mode retry when
    it kept under 10% of all the page's words (pages whose text is not in <p>: forums, recipes), or
    a default-mode retry when it stopped at a caption with more text after it; then the edges
    (``repub.extract.edges``): links before the first paragraph dropped, a drop cap put back, the lead
    added, "read also" lines dropped.
    """
    # Imported here, not at the top: trafilatura costs ~0.1 s to import, and most processes that
    # import this module never call it (`repub ingest` imports it once before it forks its extraction
    # workers, repub.ingest.extraction.WORKER_MODULES; pages of sites with rules never come here).
    import trafilatura

    # The page is parsed once: a given tree's <html> element is cloned (cheaper than a parse) and cleaned.
    # Not the whole document: lexbor cannot copy a doctype with a system id and no public id
    # (`<!DOCTYPE html SYSTEM "about:legacy-compat">`, sent by real XSLT-built pages), and
    # LexborHTMLParser.clone() raises on it; the doctype is nothing the body step reads.
    root = tree.root if tree is not None else LexborHTMLParser(html).root
    if root is None:
        return ""
    root = root.clone() if tree is not None else root
    cleaned, page_words = clean_page(root)

    def run(precision: bool, recall: bool, fast: bool = False) -> str:
        found: str | None = trafilatura.extract(
            cleaned, url=url, include_comments=False, include_tables=True, include_images=False,
            deduplicate=False, favor_precision=precision, favor_recall=recall, fast=fast)
        return found or ""

    # trafilatura's fallback (readability, then jusText) costs a third of its time and overrides its own
    # extraction only when that is short or much shorter than what readability finds: it runs only
    # when the fast pass kept little of the cleaned page's text.
    visible = _visible_text(root)
    text = run(precision=True, recall=False, fast=True)
    if len(text) < _FAST_MIN_CHARS or len(text) < _FAST_SHARE * len(visible):
        text = run(precision=True, recall=False)
    words = len(_WORDS.findall(text))
    if words < 0.15 * page_words:
        retry = run(precision=False, recall=True)
        if len(_WORDS.findall(retry)) > words:
            text = retry
    elif words < _TEXT_SHARE * len(visible.split()):
        # A page whose text is not in <p> elements (forum posts, recipes, <br>-separated blog posts):
        # the <p> words say nothing, the page's words do; the default mode reads what precision drops.
        retry = run(precision=False, recall=False)
        if len(_WORDS.findall(retry)) > words:
            text = retry
    body = _paragraphs(text)
    page = PageText(root)
    if stopped_at_caption(page, body):
        # favor_precision ended the body at a figure in its middle: the default mode reads on.
        retry = _paragraphs(run(precision=False, recall=False))
        if len(retry) > len(body) and body[:60] in retry:
            body = retry
    # trafilatura keeps the <h1> when it sits inside the article element; the title is its own field.
    if title and body.split("\n\n", 1)[0] == title:
        body = body.split("\n\n", 1)[1] if "\n\n" in body else ""
    return drop_read_also(page, fix_start(page, body, title))


def _visible_text(root: LexborNode) -> str:
    """The cleaned page's visible text (its <body>, or the whole tree without one), elements joined by
    spaces. Its words split at spaces are 4x cheaper to count than the \\w+ matches, and within 5%."""
    body = root.css_first("body")
    return (body if body is not None else root).text(separator=" ")


def dom_tags(tree: LexborHTMLParser) -> list[str]:
    """Tag links in the page when the metadata lists none: rel=tag, else the links of a "tags" box."""
    # WordPress marks category links rel="category tag": a category is the section, not a tag.
    nodes = [n for n in tree.css('a[rel~="tag"]') if "category" not in (n.attributes.get("rel") or "")]
    nodes = nodes or tree.css('[class*="tags" i] a')
    seen: dict[str, str] = {}
    for node in nodes:
        text = squash(node.text(deep=True))
        if text and text.lower() not in seen:
            seen[text.lower()] = text
    return list(seen.values())


def trim_end_matter(body: str, authors: list[str]) -> str:
    """Drop the paragraphs around an article that are about it, not of it.

    trafilatura keeps them because they sit inside the article element: republication notes (the
    original is recorded separately), wire credits ("Reporting by ...; Editing by ..."), outlet
    disclaimers, a closing author bio ("Joe Lauria is editor-in-chief of ..."), a call to follow or
    subscribe to the outlet and a page stamp ("Letzte Änderung 14.02.2019"; ``edges.is_tail_notice``),
    and a leading deck that names the author ("..., writes Joe Lauria.").
    """
    paras = body.split("\n\n") if body else []
    names = "|".join(re.escape(a) for a in authors if a)
    bio = re.compile(rf"^(?:{names})\s+(?:is|was|has been)\s", re.I) if names else None
    deck = re.compile(rf",\s+(?:writes|says|argues|reports)\s+(?:{names})\.?$", re.I) if names else None
    if paras and deck and len(paras[0]) < 300 and deck.search(paras[0]):
        paras = paras[1:]
    while paras:
        last = paras[-1]
        if len(last) < 400 and (
            is_attribution_line(last) or _WIRE_CREDIT.match(last) or _DISCLAIMER.search(last)
            or (bio and bio.match(last)) or is_tail_notice(last)
        ):
            paras.pop()
            continue
        break
    return "\n\n".join(paras)


def _paragraphs(text: str) -> str:
    # trafilatura's txt output puts one paragraph per line; our contract is one blank line between them.
    lines = (re.sub(r"\s+", " ", raw).strip() for raw in text.splitlines())
    return "\n\n".join(line for line in lines if line)


def lead_image(tree: LexborHTMLParser, url: str, image_url: str | None) -> LeadImage | None:
    """The declared lead image, with caption and credit from the figure that shows it, if any."""
    figure = _figure_for(tree, url, image_url) if image_url else _first_article_figure(tree)
    if image_url is None:
        if figure is None:
            return None
        image_url = _img_url(figure, url)
        if image_url is None:
            return None
    caption = _caption_text(figure) if figure is not None else None
    credit_node = figure.css_first(_CREDIT_NODES) if figure is not None else None
    credit = squash(credit_node.text(deep=True)).lstrip("©").strip() if credit_node else None
    if caption and credit_node is not None:
        caption = squash(caption.replace(squash(credit_node.text(deep=True)), "")) or None
    if caption and not credit:
        caption, credit = split_credit(caption)
    return LeadImage(url=image_url, caption=caption or None, credit=credit or None)


def split_credit(caption: str) -> tuple[str | None, str | None]:
    """ "Protesters in Paris. © Reuters / X" -> ("Protesters in Paris.", "Reuters / X")."""
    for pattern in _CREDIT:
        match = pattern.search(caption)
        if match:
            credit = match.group("credit").strip(" .)")
            rest = caption[: match.start()].strip(" |–—-")
            return (rest or None), (credit or None)
    return caption, None


def _figure_for(tree: LexborHTMLParser, url: str, image_url: str) -> LexborNode | None:
    """The figure (or WordPress caption div) whose image is the lead image, compared by file stem."""
    want = _stem(image_url)
    for fig in tree.css("figure, div.wp-caption"):
        for img in fig.css("img, source"):
            for attr in _LAZY_ATTRS:
                for candidate in (img.attributes.get(attr) or "").split(","):
                    candidate = candidate.strip().split(" ")[0]
                    if candidate and not candidate.startswith("data:") and _stem(candidate) == want:
                        return fig
    return None


def _first_article_figure(tree: LexborHTMLParser) -> LexborNode | None:
    return tree.css_first("article figure, main figure, article div.wp-caption")


def _img_url(figure: LexborNode, url: str) -> str | None:
    img = figure.css_first("img")
    if img is None:
        return None
    for attr in ("data-src", "data-lazy-src", "data-original", "src"):
        value = img.attributes.get(attr)
        if value and not value.startswith("data:"):
            return absolute_url(value, url)
    return None


def _stem(src: str) -> str:
    # Compare file names without WordPress size suffixes ("-1024x576") or extension, so the og:image
    # full-size file matches the resized copy in the figure.
    name = urlsplit(src).path.rsplit("/", 1)[-1]
    name = name.rsplit(".", 1)[0]
    return re.sub(r"-\d+x\d+$", "", name).lower()


def _caption_text(figure: LexborNode) -> str | None:
    node = figure.css_first("figcaption, .wp-caption-text")
    return squash(node.text(deep=True)) or None if node else None
