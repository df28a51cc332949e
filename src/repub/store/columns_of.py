"""The article columns, named two ways for the search queries: qualified (``articles.site``, the usual
way, through ``ARTICLE``) and bare (``site``, through ``BARE``), for SQLite queries whose FROM is the
articles read through one of their indexes (``articles INDEXED BY …``), which SQLAlchemy cannot say."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from repub.store.models import Article


class Columns:
    """``cols.site`` etc.: the columns of ``articles``, qualified or bare."""

    def __init__(self, table: sa.Table, *, bare: bool) -> None:
        self.table = table
        self._columns: dict[str, sa.ColumnElement[Any]] = (
            {c.name: sa.column(c.name, c.type) for c in table.columns} if bare else dict(table.c.items()))

    def __getattr__(self, name: str) -> sa.ColumnElement[Any]:
        try:
            return self._columns[name]
        except KeyError:
            raise AttributeError(name) from None


ARTICLE = Columns(Article.__table__, bare=False)
BARE = Columns(Article.__table__, bare=True)
