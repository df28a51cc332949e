"""Text reuse in the database: fingerprints of stored versions, the LSH band lookup, the links it makes.

``index_and_link`` runs inside ``save_item``'s transaction (so inside the page's SAVEPOINT on batch
saves): it stores the fingerprint of the saved version and its band keys, looks up the stored articles
sharing a band key (``candidates``: one indexed query, never a scan of every article), drops those
whose stored signature rules out a copy either way (``plausible``), verifies the rest by their
shingles (``repub.reuse.compare``), and lets ``repub.reuse.decide`` say which is the page's
original and which stored articles are copies of the page. The page's row gets its original; a
stored copy whose original changes because the page arrived gets the new link and a ``linked`` event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from repub.evidence import Evidence, confidence
from repub.normalize.types import Record
from repub.reuse.compare import ShingleCache, is_copy, may_be_copy
from repub.reuse.dating import dating
from repub.reuse.decide import Candidate, Choice, Stored, choose, copies_of, explicit, text_match_item
from repub.reuse.fingerprint import Fingerprint, ShingleHashes, fingerprint
from repub.store.driversql import DriverStatement
from repub.store.models import Article, ArticleEvent, FingerprintBand, UrlAlias
from repub.store.models import Fingerprint as FingerprintRow

A = Article.__table__
F = FingerprintRow.__table__
B = FingerprintBand.__table__
E = ArticleEvent.__table__
ALIAS = UrlAlias.__table__
LOOKUP_LIMIT = 40  # candidates verified per page at most, those sharing the most band keys first
_SHINGLES = ShingleCache()  # the stored texts measured lately (a story many outlets carry comes back)

_KEYS: sa.BindParameter[list[int]] = sa.bindparam("keys", expanding=True)
_IDS: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)
_HITS = (
    sa.select(B.c.article_id, sa.func.count().label("hits"))
    .where(B.c.band_key.in_(_KEYS), B.c.article_id != sa.bindparam("b_id"))
    .group_by(B.c.article_id)
    .order_by(sa.func.count().desc(), B.c.article_id)
    .limit(sa.bindparam("b_limit"))
)
_KNOWN_KEYS = sa.select(B.c.band_key).where(B.c.band_key.in_(_KEYS), B.c.article_id == sa.bindparam("b_id"))
# the index's statements of every page, as driver SQL (repub.store.driversql: integers only)
_DRIVER_HITS = DriverStatement(_HITS, ["keys"])
_DRIVER_KNOWN_KEYS = DriverStatement(_KNOWN_KEYS, ["keys"])
_DRIVER_ADD_BANDS = DriverStatement(
    B.insert().values(band_key=sa.bindparam("band_key"), article_id=sa.bindparam("article_id")))
_HAS_FINGERPRINT = sa.select(F.c.id).where(F.c.article_id == sa.bindparam("b_id"),
                                           F.c.version == sa.bindparam("b_version"))
_COLUMNS = (A.c.id, A.c.url, A.c.published_at, A.c.first_seen_at, A.c.outlet, A.c.original_id,
            A.c.original_url, A.c.original_outlet, A.c.original_published_at, A.c.original_evidence,
            A.c.original_confidence, A.c.body_text)
# An article that moved onto another (resync: two stored URLs were one page) rests as "moved" and its
# copies follow the other: it is no candidate, or a later save would lead them back to it.
_ROWS = sa.select(*_COLUMNS).where(A.c.id.in_(_IDS), A.c.version > 0, A.c.status != "moved")
_UPDATE = A.update().where(A.c.id == sa.bindparam("b_id"))
# each candidate's signature as of its current version, and its original (loaded as the candidate's
# would be, whether or not the candidate itself is verified)
_SIGNATURES = (
    sa.select(A.c.id, A.c.original_id, F.c.scheme, F.c.shingles, F.c.signature)
    .select_from(A.outerjoin(F, sa.and_(F.c.article_id == A.c.id, F.c.version == A.c.version)))
    .where(A.c.id.in_(_IDS), A.c.version > 0, A.c.status != "moved")
)


@dataclass(frozen=True)
class Found:
    """A stored article with its text, as the lookup loads it."""

    article: Stored
    body: str
    printed: tuple[str | None, str | None, str | None]  # its original as stored (url, outlet, date)
    confidence: float | None


def stored_of(row: Any) -> Stored:
    return Stored(id=row.id, url=row.url, published_at=row.published_at, first_seen_at=row.first_seen_at,
                  outlet=row.outlet, original_id=row.original_id, original_url=row.original_url,
                  evidence=tuple(Evidence.from_json(item) for item in row.original_evidence or []),
                  dating=dating(row.published_at, row.body_text or "", row.url))


def _found(row: Any) -> Found:
    return Found(stored_of(row), row.body_text or "",
                 (row.original_url, row.original_outlet, row.original_published_at), row.original_confidence)


# -- the index --------------------------------------------------------------------------------------


def write_fingerprint(conn: Connection, article_id: int, version: int, fp: Fingerprint, at: datetime, *,
                      new_article: bool = False) -> None:
    """Store ``fp`` as version ``version``'s fingerprint and index its band keys. ``new_article``: the
    row was just made, so none of its keys is indexed yet (one query saved)."""
    conn.execute(F.insert(), {"article_id": article_id, "version": version, "scheme": fp.scheme,
                              "shingles": fp.shingles, "signature": fp.signature, "at": at})
    keys = set(fp.bands)
    if keys and not new_article:  # an earlier version's keys are indexed already
        keys -= set(_DRIVER_KNOWN_KEYS.execute(conn, {"keys": list(keys), "b_id": article_id}).scalars())
    if keys:
        rows = [{"band_key": k, "article_id": article_id} for k in sorted(keys)]
        _DRIVER_ADD_BANDS.execute_many(conn, rows)


def has_fingerprint(conn: Connection, article_id: int, version: int) -> bool:
    return conn.execute(_HAS_FINGERPRINT, {"b_id": article_id, "b_version": version}).first() is not None


def candidate_ids(conn: Connection, bands: Sequence[int], exclude: int | None = None,
                  limit: int = LOOKUP_LIMIT) -> list[int]:
    """The stored articles sharing a band key with ``bands``, most shared keys first."""
    if not bands:
        return []
    rows = _DRIVER_HITS.execute(conn, {"keys": list(bands), "b_id": -1 if exclude is None else exclude,
                                       "b_limit": limit})
    return [row.article_id for row in rows]


def plausible(conn: Connection, fp: Fingerprint, ids: Sequence[int]) -> tuple[list[int], set[int]]:
    """The candidates worth verifying: those whose stored signature does not rule out a copy either
    way (``repub.reuse.compare.may_be_copy``; one without a signature of this scheme is kept), and
    the originals of every candidate (which ``load`` would have brought along)."""
    keep, roots = [], set()
    for row in conn.execute(_SIGNATURES, {"ids": list(ids)}):
        if row.original_id is not None:
            roots.add(row.original_id)
        if row.signature is None or row.scheme != fp.scheme or not fp.signature:
            keep.append(row.id)
        else:
            stored = Fingerprint(row.scheme, row.shingles, row.signature, ())
            if may_be_copy(fp.shingles, row.shingles, fp.estimate(stored)):
                keep.append(row.id)
    order = {i: n for n, i in enumerate(ids)}
    return sorted(set(keep), key=order.__getitem__), roots


def load(conn: Connection, ids: Iterable[int], roots: Iterable[int] = ()) -> dict[int, Found]:
    """Stored articles with content, by id, each with its text; an article that is a copy brings its
    original along (rule 3 of ``repub.reuse.decide`` needs it even when the lookup's limit left it out),
    as do ``roots`` (the originals of candidates ``plausible`` dropped)."""
    wanted = list(dict.fromkeys(ids))
    found = {row.id: _found(row) for row in conn.execute(_ROWS, {"ids": wanted})} if wanted else {}
    roots = ({f.article.original_id for f in found.values() if f.article.original_id is not None}
             | set(roots)) - set(found)
    if roots:
        found.update((row.id, _found(row)) for row in conn.execute(_ROWS, {"ids": sorted(roots)}))
    return found


def measured(text: str, found: Iterable[Found], known: ShingleHashes | None = None) -> list[Candidate]:
    """Each stored article with the exact measure of ``text`` as its copy (``known``: ``text``'s
    shingle hashes when the caller has them, e.g. from the extraction worker's fingerprint)."""
    # the page's own shingles go into the cache too: its original, often saved next, measures it
    mine = set(_SHINGLES.hashes(text, known))
    return [Candidate(f.article, _SHINGLES.measure(mine, f.body)) for f in found]


# -- linking ----------------------------------------------------------------------------------------


def index_and_link(conn: Connection, record: Record, article_id: int, version: int, *, changed: bool,
                   new_article: bool, at: datetime, fp: Fingerprint | None = None) -> None:
    """Inside ``save_item``'s transaction, after the page is written: fingerprint the saved version
    (``fp`` when the caller computed it, e.g. in an extraction worker) and link by text."""
    if version < 1:
        return
    if fp is None or fp.scheme != fingerprint("").scheme:
        fp = fingerprint(record.body_text)
    if changed or not has_fingerprint(conn, article_id, version):
        write_fingerprint(conn, article_id, version, fp, at, new_article=new_article)
    ids = candidate_ids(conn, fp.bands, exclude=article_id)
    if not ids:
        return
    ids, roots = plausible(conn, fp, ids)
    found = load(conn, [article_id, *ids], roots)
    page = found.pop(article_id, None)
    if page is None:
        return
    known = fp.hashes if page.body == record.body_text else None
    candidates = measured(page.body, found.values(), known)
    choice = link_page(conn, record, page, candidates)
    if choice is not None and choice.by_text:  # the page as it now stands: a copy of ``choice``'s article
        page = replace(page, article=replace(page.article, original_id=choice.original_id,
                                             original_url=choice.url))
    link_copies(conn, page, candidates, found, at)


def link_page(conn: Connection, record: Record, page: Found,
              candidates: Sequence[Candidate]) -> Choice | None:
    """Decide the page's original with its text matches, and write it when it differs from the row."""
    own = record.original
    printed = (own.url, own.outlet, own.published_at) if own is not None else (None, None, None)
    evidence = list(own.evidence) if own is not None else []
    linked = _linked(conn, printed[0], candidates)
    choice = choose(page.article.url, record.published_at, evidence, linked, printed, candidates,
                    page_id=page.article.id, page_seen=page.article.first_seen_at,
                    page_dating=page.article.dating)
    if choice is not None:
        _write_choice(conn, page, choice)
    return choice


def link_copies(conn: Connection, page: Found, candidates: Sequence[Candidate], found: dict[int, Found],
                at: datetime) -> None:
    """The stored articles that copy the page and came after it: each decided again with the page
    among its candidates (an original stored after its copies links them now). When the page is itself
    a copy, its original is among them too: the copy goes there (rule 3 of ``repub.reuse.decide``),
    not to the page. ``found`` follows each link written, and the copies are decided again once more
    when one changed: a copy decided before another copy of the page it was linked to sees that one as
    it now stands (a copy of the page, which gives way to it)."""
    root = found.get(page.article.original_id) if page.article.original_id else None
    copies = copies_of(page.article, candidates)
    for _ in range(2):
        changed = False
        for copy in copies:
            changed |= _link_copy(conn, page, root, copy, found, at)
        if not changed:
            break
    _confirm_copies(conn, page, candidates, found)


def _link_copy(conn: Connection, page: Found, root: Found | None, copy: Candidate, found: dict[int, Found],
               at: datetime) -> bool:
    """Decide ``copy`` again with the page, its current original and the page's among its candidates;
    write the choice, keep ``found`` as written; whether its original changed."""
    other = found[copy.article.id]
    if other.article.original_id == page.article.id:
        return False
    rivals = [Candidate(page.article, copy.match)]  # the copy's text measured against the page's
    current = found.get(other.article.original_id) if other.article.original_id else None
    earlier = {f.article.id: f for f in (current, root) if f is not None}
    earlier.pop(other.article.id, None)
    rivals += measured(other.body, earlier.values())
    own = explicit(other.article.evidence)
    printed = _printed(other, own)
    linked = _linked(conn, printed[0], rivals)
    choice = choose(other.article.url, other.article.published_at, own, linked, printed, rivals,
                    page_id=other.article.id, page_seen=other.article.first_seen_at,
                    page_dating=other.article.dating)
    if choice is None:
        return False
    _write_choice(conn, other, choice)
    found[other.article.id] = _as_written(other, choice)
    if not choice.by_text or choice.original_id == other.article.original_id:
        return False
    match = copy.match
    was = f"; was {other.article.original_url}" if other.article.original_url else ""
    conn.execute(E.insert(), {"article_id": other.article.id, "at": at, "kind": "linked",
                              "url": choice.url, "detail": f"text-match: similarity {match.similarity}, "
                                                           f"coverage {match.coverage}{was}"})
    return True


def _as_written(row: Found, choice: Choice) -> Found:
    """``row`` as ``_write_choice`` leaves it."""
    article = replace(row.article, evidence=tuple(choice.evidence))
    if not choice.by_text:
        return replace(row, article=article, confidence=choice.confidence)
    article = replace(article, original_id=choice.original_id, original_url=choice.url)
    return replace(row, article=article, printed=(choice.url, choice.outlet, choice.published_at),
                   confidence=choice.confidence)


def _confirm_copies(conn: Connection, page: Found, candidates: Sequence[Candidate],
                    found: dict[int, Found]) -> None:
    """Copies linked to the page by their own evidence whose text is the page's: the text match joins
    their evidence (and their confidence)."""
    for c in candidates:
        other = found[c.article.id]
        if other.article.original_id != page.article.id or not is_copy(c.match.reverse()):
            continue
        if any(item.kind == "text-match" and item.url == page.article.url for item in other.article.evidence):
            continue
        items = [*explicit(other.article.evidence), text_match_item(page.article, c.match.reverse())]
        url, outlet, published = other.printed
        _write_choice(conn, other, Choice(url=url, outlet=outlet, published_at=published,
                                          original_id=page.article.id, evidence=items,
                                          confidence=_confidence(items, url or page.article.url, outlet)))


def _confidence(items: list[Evidence], url: str | None, outlet: str | None) -> float | None:
    return confidence(items, url, outlet) if items else None


def _printed(other: Found, own: list[Evidence]) -> tuple[str | None, str | None, str | None]:
    """What ``other``'s page itself said about its original (its first own item): the URL the text
    match may have replaced, its outlet, and its date as stored when the page's own link was kept."""
    if not own:
        return None, None, None
    url, outlet, published = other.printed
    primary = own[0]
    if primary.url and primary.url != url:  # the row holds a text match's article: its date is that one's
        return primary.url, primary.outlet, None
    return url or primary.url, outlet or primary.outlet, published


def _linked(conn: Connection, url: str | None, candidates: Sequence[Candidate]) -> Stored | None:
    """The stored article at ``url`` (a page's own link; by its URL or an alias), from the candidates
    or the database."""
    if url is None:
        return None
    for c in candidates:
        if c.article.url == url:
            return c.article
    aliased = sa.select(ALIAS.c.article_id).where(ALIAS.c.url == url)
    row = conn.execute(sa.select(*_COLUMNS).where(sa.or_(A.c.url == url, A.c.id.in_(aliased)))
                       .order_by(A.c.url != url, A.c.id).limit(1)).first()
    return stored_of(row) if row is not None else None


def _write_choice(conn: Connection, row: Found, choice: Choice) -> None:
    """Write the choice on the row when it differs. A choice the page's own evidence made (the text
    only joined it) leaves the link itself as the save path made it: evidence and confidence only."""
    values: dict[str, Any] = {"original_evidence": [item.to_json() for item in choice.evidence],
                              "original_confidence": choice.confidence}
    current: dict[str, Any] = {"original_evidence": [item.to_json() for item in row.article.evidence],
                               "original_confidence": row.confidence}
    if choice.by_text:
        values.update(original_id=choice.original_id, original_url=choice.url, original_outlet=choice.outlet,
                      original_published_at=choice.published_at)
        current.update(original_id=row.article.original_id, original_url=row.printed[0],
                       original_outlet=row.printed[1], original_published_at=row.printed[2])
    if values != current:
        conn.execute(_UPDATE, {"b_id": row.article.id, **values})
