"""The edges of a body found by trafilatura: what it leaves out at the start, what it lets in around.

Read on trafilatura's own snippet benchmark (933 real pages in 30 languages, not tuned on before) and
checked on the Zyte set (bench/eval_extraction.py), the generic body's misses at its edges fall into a
few kinds; each is fixed here by reading the cleaned page around the body trafilatura returned:

* the lead (standfirst, teaser, chapô, bajada...): the paragraph under the title, in its own element
  beside the body's container, which trafilatura leaves out. A block between the title and the body's
  first paragraph is taken when a class or id names it so (``data/body.toml`` [lead]) and it is a
  paragraph, not a one-line deck (``LEAD_MIN_WORDS``).
* a drop cap: the first letter in its own element before the first paragraph ("T" + "urkey, Poland
  and..."): the body began mid-word.
* links before the first paragraph: breadcrumbs ("Accueil > Actualités > ...", "Lifestyle | Travel")
  and link lists under a "Related" label.
* "read also" lines in the body: "Read more: <title>", "Lesen Sie auch:" and the links under it.
* a stop at a caption: trafilatura's precision mode can end the body at a figure in its middle;
  ``stopped_at_caption`` tells the caller, which extracts again in the default mode.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources

from selectolax.lexbor import LexborNode

from repub.extract.textutil import inner_blocks, squash

# A lead must be a paragraph, not a one-line deck under the headline ("The home-improvement retailer
# earned $2.8 billion in the third quarter."): the two body sets disagree on decks (trafilatura's
# snippets count them as body, the Zyte truth does not), and 20 words keeps most leads of the one while
# dropping most decks of the other (bench/README.md has the curve).
LEAD_MIN_WORDS = 20
# Prose after a caption: paragraphs of at least this many words.
_PROSE_WORDS = 20
# A line taken for a link when a link on the page has its whole text: only short lines (a first paragraph
# that a teaser elsewhere on the page repeats is still the first paragraph).
_LINK_LINE_CHARS = 120
_WORD = re.compile(r"\w+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NAME_SPLIT = re.compile(r"[-_\s.:]+")
# An image credit line is short.
_CREDIT_CHARS = 150
# A label then lower-case words is a label line up to this many words ("Mehr zum Thema auf UEPO.de").
_LABEL_LINE_WORDS = 6
# A notice at the end of a body (a call to follow the outlet, a page stamp) is short.
_TAIL_CHARS = 300
# Separators of a list of links.
_LIST_SPLIT = re.compile(r"\s*[,;|•·]\s+|\s+[|•·]\s*")
# Breadcrumb and menu separators.
_CRUMB_SPLIT = re.compile(r"\s+[>›»|/•·]\s+|\s*[›»•·]\s*")
# Elements a lead never sits in: links (teaser cards), figures, list items, navigation, form controls.
_NOT_LEAD_TAGS = frozenset({"a", "figure", "figcaption", "li", "nav", "time", "button", "label", "h1"})
_CAPTION_WORDS = frozenset({"caption", "credit", "credits", "legend", "bildunterschrift"})


@dataclass(frozen=True)
class _Words:
    lead: frozenset[str]
    sub: frozenset[str]
    not_lead: frozenset[str]
    read_also: re.Pattern[str]
    credit: re.Pattern[str]
    call_to_action: re.Pattern[str]
    stamp: re.Pattern[str]


@functools.cache
def _words() -> _Words:
    raw = tomllib.loads(resources.files("repub.extract").joinpath("data/body.toml").read_text("utf-8"))
    verbs, channels = _alternation(raw["tail"]["verbs"]), _alternation(raw["tail"]["channels"])
    alternation = _alternation([label for group in raw["read_also"].values() for label in group])
    return _Words(
        lead=frozenset(raw["lead"]["names"]),
        sub=frozenset(raw["lead"]["sub_names"]),
        not_lead=frozenset(raw["lead"]["not_names"]),
        # a label, then a separator and anything, a title, or nothing ("Related: X", "LESEN SIE AUCH")
        read_also=re.compile(
            rf"^\W{{0,3}}(?:{alternation})(?:\s*[:.…>»›|–—-]+\s*(?P<rest>.*)|\s+(?P<title>\S.*)|\W*)$",
            re.I,
        ),
        credit=re.compile(rf"^\W{{0,3}}(?:{_alternation(raw['credit']['labels'])})\s*(?::|©|\bby\b|\bvia\b)",
                          re.I),
        # a verb (a word beginning so) and a channel (the whole word) within 120 characters, either order
        call_to_action=re.compile(
            rf"\b(?:{verbs}).{{0,120}}\b(?:{channels})\b|\b(?:{channels})\b.{{0,120}}\b(?:{verbs})",
            re.I,
        ),
        stamp=re.compile(rf"^\W{{0,3}}(?:{_alternation(raw['tail']['stamps'])})\b[^.]{{0,40}}\d", re.I),
    )


def _alternation(phrases: list[str]) -> str:
    return "|".join(re.escape(p) for p in sorted(set(phrases), key=len, reverse=True))


def name_words(value: str) -> list[str]:
    """The words of a class or id value: "article-header__leadText" -> article, header, lead, text."""
    words: list[str] = []
    for token in value.split():
        words.extend(w for w in _NAME_SPLIT.split(_CAMEL.sub("-", token).lower()) if w)
    return words


class PageText:
    """The cleaned page's innermost blocks and link texts, read once and only when asked for."""

    def __init__(self, root: LexborNode) -> None:
        self.root = root

    @functools.cached_property
    def blocks(self) -> list[tuple[LexborNode, str]]:
        return [(node, squash(node.text())) for node, _, _ in inner_blocks(self.root, frozenset())]

    @functools.cached_property
    def links(self) -> frozenset[str]:
        return frozenset(text for a in self.root.css("a") if len(text := squash(a.text())) > 1)

    def index_of(self, paragraph: str, last: bool = False, after: int = -1) -> int | None:
        """The block holding the start (or, with ``last``, the end) of one paragraph of the body; the
        first one after block ``after``."""
        text = squash(paragraph)
        key = text[-60:] if last else text[:60]
        if not key:
            return None
        found = None
        for i, (_, block) in enumerate(self.blocks):
            if i <= after or not block:
                continue
            if last:
                hit = block.endswith(key) or (len(block) >= 25 and key.endswith(block))
            else:
                hit = block.startswith(key) or (len(block) >= 25 and key.startswith(block))
            if hit:
                found = i
                if not last:
                    return i
        return found


def fix_start(page: PageText, body: str, title: str | None) -> str:
    """The body with links before its first paragraph dropped, a drop cap put back and the lead added."""
    paras = body.split("\n\n") if body else []
    paras = drop_leading_links(paras, page.links)
    if not paras:
        return ""
    start = page.index_of(paras[0])
    if start is None:
        return "\n\n".join(paras)
    paras[0] = _with_drop_cap(page.blocks[start][0], paras[0])
    return "\n\n".join(lead_paragraphs(page, start, title, "\n\n".join(paras)) + paras)


def lead_paragraphs(page: PageText, start: int, title: str | None, body: str) -> list[str]:
    """Named lead blocks between the title and the body's first block (``start``), not in the body."""
    anchor = _title_block(page, start, title)
    if anchor is None:
        return []
    on_path = _ancestors(page.blocks[start][0])
    flat = squash(body)
    lead = []
    for block, text in page.blocks[anchor + 1 : start]:
        if len(_WORD.findall(text)) >= LEAD_MIN_WORDS and text not in flat and _named_lead(block, on_path):
            lead.append(text)
    return lead


def _title_block(page: PageText, start: int, title: str | None) -> int | None:
    """The page's title before the body: its last <h1>, else a heading that reads as the title."""
    want = squash(title or "").casefold()
    heading = None
    for i in range(start - 1, -1, -1):
        node, text = page.blocks[i]
        if node.tag == "h1":
            return i
        if heading is None and node.tag in ("h2", "h3") and len(text) >= 10 and text.casefold() in want:
            heading = i
    return heading


def _named_lead(block: LexborNode, on_path: set[int]) -> bool:
    """Whether the block, or an ancestor below the body's container, has a class or id naming a lead,
    with no name on the way there calling it something else (a caption, a byline, a teaser card)."""
    words = _words()
    node: LexborNode | None = block
    while node is not None and node.mem_id not in on_path:
        if node.tag in _NOT_LEAD_TAGS:
            return False
        attrs = node.attributes
        names = name_words(attrs.get("class") or "") + name_words(attrs.get("id") or "")
        if any(w in words.not_lead for w in names):
            return False
        if any(w in words.lead for w in names) or any(
            a == "sub" and b in words.sub for a, b in zip(names, names[1:], strict=False)
        ):
            return True
        node = node.parent
    return False


def _with_drop_cap(first: LexborNode, paragraph: str) -> str:
    """``paragraph`` with the drop cap before its element put back, when it begins mid-word."""
    if not paragraph[:1].islower():
        return paragraph
    prev = first.prev
    while prev is not None and prev.is_text_node and not (prev.text_content or "").strip():
        prev = prev.prev
    if prev is None or not prev.is_element_node:
        return paragraph
    letter = squash(prev.text())
    if 1 <= len(letter) <= 2 and letter.isalpha() and letter.isupper():
        return letter + paragraph
    return paragraph


def drop_leading_links(paras: list[str], links: frozenset[str]) -> list[str]:
    """Drop breadcrumbs, bare "Related" labels and link lines that come before the first paragraph."""
    while paras and (_is_link_line(paras[0], links) or _is_crumbs(paras[0], links) or _bare_label(paras[0])):
        paras = paras[1:]
    return paras


def _is_link_line(paragraph: str, links: frozenset[str]) -> bool:
    """A short line that is the whole text of a link on the page (a teaser title, a menu entry), or a
    list of such links ("stock car brasil, stock car interlagos, ...", "Home | News | Sport")."""
    line = squash(paragraph).lstrip("-•·* ")
    if len(line) <= _LINK_LINE_CHARS and line in links:
        return True
    parts = [p.strip() for p in _LIST_SPLIT.split(line) if p.strip()]
    return len(parts) >= 2 and all(p in links for p in parts)


def _is_crumbs(paragraph: str, links: frozenset[str]) -> bool:
    """ "Accueil > Actualités > Décisions de l'AG": two or more parts, every one but the last a link."""
    parts = [p.strip() for p in _CRUMB_SPLIT.split(squash(paragraph).strip("|/ ")) if p.strip()]
    return len(parts) >= 2 and all(p in links for p in parts[:-1]) and len(paragraph) < 300


def _read_also(paragraph: str) -> re.Match[str] | None:
    """The match of a "read also" line: a label alone, or then a separator, or then a capitalised title."""
    match = _words().read_also.match(paragraph) if len(paragraph) < 250 else None
    title = match.group("title") if match else None
    if title and title[0].islower() and len(_WORD.findall(paragraph)) > _LABEL_LINE_WORDS:
        return None  # "Mehr dazu sagen wir morgen in der Sendung": a sentence, not a label
    return match


def _bare_label(paragraph: str) -> bool:
    match = _read_also(paragraph)
    return match is not None and not (match.group("rest") or match.group("title"))


def drop_read_also(page: PageText, body: str) -> str:
    """Drop "Read more: <title>" lines, image credit lines ("Foto: MDR/Bernd Cramer"), and a bare
    "Related" label with what it heads: the link lines under it, and the paragraphs inside the label's
    own container when that container is not the body's (teasers of other articles, in full)."""
    paras = body.split("\n\n") if body else []
    if not paras:
        return ""
    credit = _words().credit
    start = page.index_of(paras[0])
    body_path = _ancestors(page.blocks[start][0]) if start is not None else set()
    out: list[str] = []
    under_label = False
    heads: int | None = None  # mem_id of the container a bare label heads
    cursor = -1  # the label's block: what it heads is looked for after it
    for para in paras:
        if heads is not None:
            at = page.index_of(para, after=cursor)
            if at is not None and heads in _ancestors(page.blocks[at][0]):
                cursor = at
                continue
            heads = None
        if under_label and _is_link_line(para, page.links):
            continue
        under_label = False
        if _read_also(para):
            under_label = _bare_label(para)
            if under_label:
                heads, cursor = _headed_container(page, para, body_path, out[-1] if out else "")
            continue
        if len(para) < _CREDIT_CHARS and credit.match(para):
            continue
        out.append(para)
    return "\n\n".join(out)


def _headed_container(
    page: PageText, label: str, body_path: set[int], before: str
) -> tuple[int | None, int]:
    """The container a bare label heads and the label's block, or (None, -1): the label's parent, when
    it holds neither the body's start nor the paragraph before the label (then it is the body's own
    container, and the label a subheading in it)."""
    at = page.index_of(label)
    if at is None:
        return None, -1
    parent = page.blocks[at][0].parent
    if parent is None or parent.mem_id in body_path or parent.tag in ("body", "html"):
        return None, -1
    prev = page.index_of(before, last=True) if before else None
    if prev is not None and parent.mem_id in _ancestors(page.blocks[prev][0]):
        return None, -1
    return parent.mem_id, at


def is_tail_notice(paragraph: str) -> bool:
    """Whether a paragraph at the end of a body speaks to the reader about the outlet: a call to follow
    or subscribe to it, or a page stamp ("Letzte Änderung 14.02.2019"); ``data/body.toml`` [tail]."""
    if len(paragraph) >= _TAIL_CHARS:
        return False
    words = _words()
    return bool(words.call_to_action.search(paragraph) or words.stamp.match(paragraph))


def _ancestors(node: LexborNode | None) -> set[int]:
    ids = set()
    while node is not None:
        ids.add(node.mem_id)
        node = node.parent
    return ids


def stopped_at_caption(page: PageText, body: str) -> bool:
    """Whether the body ends right before a caption that more prose of the page follows."""
    if not body:
        return False
    end = page.index_of(body.rsplit("\n\n", 1)[-1], last=True)
    if end is None:
        return False
    following = [(node, text) for node, text in page.blocks[end + 1 :] if text]
    if not following or not _is_caption(following[0][0]):
        return False
    flat = squash(body)
    prose = [
        text for node, text in following[1:40]
        if node.tag == "p" and len(_WORD.findall(text)) >= _PROSE_WORDS and text[:60] not in flat
    ]
    return len(prose) >= 2


def _is_caption(node: LexborNode) -> bool:
    """The node, its parent or grandparent is a figure or named as a caption."""
    cur: LexborNode | None = node
    for _ in range(3):
        if cur is None:
            return False
        if cur.tag in ("figure", "figcaption"):
            return True
        if _CAPTION_WORDS.intersection(name_words(cur.attributes.get("class") or "")):
            return True
        cur = cur.parent
    return False
