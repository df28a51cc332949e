"""Counts per facet (site, kind, status, diverged) and totals of a search, each facet counted with every
other filter applied but its own, so a chosen value's siblings keep their counts.

Most counts come from cells: the number of articles per (site, status, copy or not, diverged or not)
among those the words, dates and first-seen time leave. Without any of those, SQLite reads the cells
from ``article_counts``, kept by triggers (repub.store.searchindex), at once; with words only, it
counts the matches per cell number (``article_cells``: a seek per match and an integer GROUP BY);
otherwise one GROUP BY makes them (on SQLite through ``ix_articles_facets``, never the rows). Totals
and facets are then summed from the cells in Python. Whether an article is an original (has copies
stored) is a relation, not a column: its count is one more query, and a search for originals makes
its cells of originals only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from repub.store.columns_of import ARTICLE, BARE, Columns
from repub.store.fulltext import COPIES, FACTS, MATCHED_FACTS, Text

A = ARTICLE.table
FACET_SITES = 30  # sites listed in the site facet, most articles first
COUNTS = sa.table("article_counts",
                  *(sa.column(n) for n in ("site", "status", "copy", "diverged", "n", "cell")))
# SQLite: the matches of a search with each one's cell number (repub.store.searchindex), a seek each
MATCHED_CELLS = sa.text("articles_fts CROSS JOIN article_cells ON article_cells.id = articles_fts.rowid")
CELL: sa.ColumnClause[int] = sa.column("cell", sa.Integer())


@dataclass(frozen=True)
class Base:
    """What a search keeps whatever its facets: dates, first-seen time, the words (a condition maker)."""

    published_from: str | None = None
    published_before: str | None = None  # the first date after the period asked for
    seen_since: datetime | None = None
    words: Text | None = None

    @property
    def everything(self) -> bool:
        return not (self.published_from or self.published_before or self.seen_since or self.words)

    @property
    def words_only(self) -> bool:
        return self.words is not None and not (
            self.published_from or self.published_before or self.seen_since)

    def conditions(self, cols: Columns, *, words: bool = True) -> list[sa.ColumnElement[bool]]:
        out = base_conditions(self.published_from, self.published_before, self.seen_since, cols)
        return out + ([self.words.matches(cols)] if self.words is not None and words else [])


@dataclass(frozen=True)
class Cell:
    site: str
    status: str
    copy: bool
    diverged: bool
    n: int


def base_conditions(published_from: str | None, published_before: str | None, seen_since: datetime | None,
                    cols: Columns) -> list[sa.ColumnElement[bool]]:
    out: list[sa.ColumnElement[bool]] = []
    if published_from:
        out.append(cols.published_at >= published_from)
    if published_before:
        out.append(cols.published_at < published_before)
    if seen_since is not None:
        out.append(cols.first_seen_at >= seen_since)
    return out


def is_copy(cols: Columns) -> sa.ColumnElement[bool]:
    return sa.or_(cols.original_url.is_not(None), cols.original_outlet.is_not(None))


def is_original(cols: Columns) -> sa.ColumnElement[bool]:
    if cols is ARTICLE:
        # a lookup in the copies' index for each article the other conditions pick (not a list of the
        # ~40k originals made first, whatever the others leave)
        return sa.exists().where(COPIES.c.original_id == cols.id)
    # bare columns ("id") would name the copies' own inside the subquery: tested from outside it, "+ 0"
    # so that SQLite tests each article the other conditions pick instead of walking the originals
    return (cols.id + 0).in_(sa.select(COPIES.c.original_id).where(COPIES.c.original_id.is_not(None)))


def facet_condition(name: str, value: Any, cols: Columns) -> sa.ColumnElement[bool]:
    equal: sa.ColumnElement[bool]  # (``==`` on a column is typed Any)
    if name == "site":
        equal = cols.site == value
        return equal
    if name == "status":
        equal = cols.status == value
        return equal
    if name == "diverged":
        return cols.diverged_since.is_not(None)
    return is_copy(cols) if value == "copy" else is_original(cols)


def _where(base: Base, filters: dict[str, Any], cols: Columns, leave_out: str = "") -> list[Any]:
    chosen = [(name, value) for name, value in filters.items() if value and name != leave_out]
    return base.conditions(cols) + [facet_condition(name, value, cols) for name, value in chosen]


def _from(conn: sa.Connection) -> tuple[Any, Columns]:
    """What the counting queries read: on SQLite the index of the facts (a row holds its whole body),
    elsewhere the articles."""
    return (FACTS, BARE) if conn.dialect.name == "sqlite" else (A, ARTICLE)


def cells(conn: sa.Connection, base: Base, *, originals_only: bool = False) -> list[Cell]:
    """The cells of the articles ``base`` leaves (``originals_only``: of those, the ones with copies)."""
    sqlite = conn.dialect.name == "sqlite"
    rows: Iterable[Any]
    if base.everything and not originals_only and sqlite:
        rows = conn.execute(sa.select(COUNTS.c.site, COUNTS.c.status, COUNTS.c.copy, COUNTS.c.diverged,
                                      COUNTS.c.n).where(COUNTS.c.n > 0))
    elif base.words_only and base.words is not None and not originals_only and sqlite:
        # the matches counted per cell number, the numbers then read as cells (a few dozen rows)
        counted = sa.select(CELL, sa.func.count()).select_from(MATCHED_CELLS).where(base.words.match)
        per_cell: dict[int, int] = {cell: n for cell, n in conn.execute(counted.group_by(CELL))}
        keys = conn.execute(sa.select(COUNTS.c.site, COUNTS.c.status, COUNTS.c.copy, COUNTS.c.diverged,
                                      COUNTS.c.cell))
        rows = [(*key, per_cell[cell]) for *key, cell in keys if cell in per_cell]
    else:
        source, cols = _from(conn)
        copy, diverged = is_copy(cols), cols.diverged_since.is_not(None)
        where: list[Any] = base.conditions(cols)
        if base.words is not None and sqlite:
            # the matches drive, each one's facts read by a seek (not "id IN (the matches)")
            source, where = MATCHED_FACTS, [*base.conditions(cols, words=False), base.words.match]
        where += [is_original(cols)] if originals_only else []
        rows = conn.execute(sa.select(cols.site, cols.status, copy, diverged, sa.func.count())
                            .select_from(source).where(*where)
                            .group_by(cols.site, cols.status, copy, diverged))
    return [Cell(site or "", status, bool(copy), bool(diverged), n)
            for site, status, copy, diverged, n in rows]


def _keeps(cell: Cell, filters: dict[str, Any], leave_out: str) -> bool:
    if filters.get("site") and leave_out != "site" and cell.site != filters["site"]:
        return False
    if filters.get("status") and leave_out != "status" and cell.status != filters["status"]:
        return False
    if filters.get("diverged") and leave_out != "diverged" and not cell.diverged:
        return False
    # kind "original" is not in the cells: cells(originals_only=True) made them of originals only
    return not (filters.get("kind") == "copy" and leave_out != "kind" and not cell.copy)


def originals(conn: sa.Connection, base: Base, filters: dict[str, Any]) -> int:
    """How many of the articles ``base`` and ``filters`` (kind aside) leave have copies stored."""
    others = {k: v for k, v in filters.items() if k != "kind"}
    linked = sa.func.count(sa.distinct(A.c.original_id))
    if not any(others.values()) and (base.everything or base.words_only):
        if base.words is not None:  # from the matches: a lookup in the copies' index each
            found: int = conn.execute(base.words.with_copies()).scalar_one()
            return found
        # counted from the copies' side, on the index of original_id: no article row is read
        return conn.execute(sa.select(linked).where(A.c.original_id.is_not(None))).scalar_one()
    # without words, the plain table: its indexes (site, status, dates) pick the few rows to look at
    source, cols = _from(conn) if base.words is not None else (A, ARTICLE)
    where = _where(base, others, cols) + [is_original(cols)]
    return conn.execute(sa.select(sa.func.count()).select_from(source).where(*where)).scalar_one()


def total(conn: sa.Connection, base: Base, filters: dict[str, Any]) -> int:
    """How many articles a search finds, its facets aside."""
    if filters.get("kind") == "original":
        return originals(conn, base, filters)
    if (base.everything or base.words_only) and conn.dialect.name == "sqlite":
        return sum(c.n for c in cells(conn, base) if _keeps(c, filters, ""))
    source, cols = _from(conn)
    return conn.execute(sa.select(sa.func.count()).select_from(source).where(*_where(base, filters, cols))
                        ).scalar_one()


Facets = dict[str, list[tuple[str, int]]]


def count(conn: sa.Connection, base: Base, filters: dict[str, Any]) -> tuple[int, Facets]:
    """The total and the counts per facet of a search."""
    found = cells(conn, base, originals_only=filters.get("kind") == "original")
    every = cells(conn, base) if filters.get("kind") == "original" else found
    sites: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for cell in found:
        if cell.site and _keeps(cell, filters, "site"):
            sites[cell.site] += cell.n
        if _keeps(cell, filters, "status"):
            statuses[cell.status] += cell.n
    copies = sum(c.n for c in every if c.copy and _keeps(c, filters, "kind"))
    diverged = sum(c.n for c in found if c.diverged and _keeps(c, filters, "diverged"))
    facets = {
        "site": _ranked(sites)[:FACET_SITES],
        "kind": [("copy", copies), ("original", originals(conn, base, filters))],
        "status": _ranked(statuses),
        "diverged": [("yes", diverged)],
    }
    return sum(c.n for c in found if _keeps(c, filters, "")), facets


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(((k, n) for k, n in counter.items() if n), key=lambda item: (-item[1], item[0]))
