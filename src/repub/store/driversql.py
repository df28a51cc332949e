"""Hot statements run as driver SQL: a Core statement compiled by SQLAlchemy once per dialect (and
length of each IN list), then executed with ``Connection.exec_driver_sql``.

Why: for the statements every saved page runs, SQLAlchemy's work per execution (the cache key,
processing each parameter set, expanding the IN lists) cost more than the database's own. Measured on
SQLite: inserting a page's 64 band keys 0.53 ms through ``Connection.execute`` against 0.31 ms as driver
SQL, looking up the articles sharing them 0.30 against 0.16 ms, linking the copies waiting for a page
70 against 24 us, inserting two aliases 52 against 24 us: ~2.5 % of an import's CPU a page.
``exec_driver_sql`` is SQLAlchemy's own API for this: the statement still runs in the connection's
transaction, its errors are wrapped as SQLAlchemy's (a lost PostgreSQL connection is still seen as
one), and the SQL is SQLAlchemy's, rendered for the dialect, so table and column names stay defined
once (``repub.store.models``).

Only for statements whose parameters and columns need no type processing (integers, text):
driver SQL skips SQLAlchemy's bind and result processors (JSON, dates as SQLite stores them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import BindParameter, bindparam
from sqlalchemy.engine import Connection, CursorResult, Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import replacement_traverse

# the positional parameters of a dialect whose SQL has them (SQLite's "?"), from a dict of them by name
Positional = Callable[[Mapping[str, Any]], tuple[Any, ...]]


class DriverStatement:
    """``statement`` run as driver SQL. ``lists`` names its expanding bind parameters (``IN`` lists);
    the SQL is compiled once for each dialect and each length of those lists."""

    def __init__(self, statement: ClauseElement, lists: Sequence[str] = ()) -> None:
        self.statement = statement
        self.lists = tuple(lists)
        self._compiled: dict[tuple[str, str, tuple[int, ...]], _Compiled] = {}
        self._lock = threading.Lock()

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> CursorResult[Any]:
        """Run once with ``params`` (each list parameter a list of values)."""
        found = self._sql(conn.dialect, tuple(len(params[name]) for name in self.lists))
        flat = {**found.fixed, **params}
        for name in self.lists:
            values = flat.pop(name)
            flat.update((f"{name}_{n}", value) for n, value in enumerate(values, 1))
        return conn.exec_driver_sql(found.sql, found.order(flat) if found.order is not None else flat)

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run once per row (the DBAPI's executemany); no list parameters, none of SQLAlchemy's own."""
        assert not self.lists
        if not rows:
            return
        found = self._sql(conn.dialect, ())
        assert not found.fixed
        conn.exec_driver_sql(found.sql, list(rows) if found.order is None else list(map(found.order, rows)))

    def _sql(self, dialect: Dialect, lengths: tuple[int, ...]) -> _Compiled:
        key = (dialect.name, dialect.driver, lengths)
        found = self._compiled.get(key)
        if found is None:
            found = self._compile(dialect, lengths)
            with self._lock:
                self._compiled.setdefault(key, found)
        return found

    def _compile(self, dialect: Dialect, lengths: tuple[int, ...]) -> _Compiled:
        statement = self.statement
        # the parameters SQLAlchemy binds itself (SQLite's "OFFSET 0" of a LIMIT) and those the caller gives
        given = statement.compile(dialect=dialect).params
        fixed = {name: value for name, value in given.items() if value is not None}
        if self.lists:
            # render_postcompile writes each IN list out as NAME_1 .. NAME_n, sized by the values its
            # parameter holds, and asks for a value of every other: placeholders, never part of the SQL
            # (a copy of the statement with them, made the public way: INSERT, UPDATE and DELETE have no
            # .params())
            sizes = dict(zip(self.lists, lengths, strict=True))
            made: dict[str, BindParameter[Any]] = {}

            def placeholder(element: Any, **_: Any) -> Any:
                if not isinstance(element, BindParameter) or element.key in fixed:
                    return None
                if element.key not in made:
                    value = [0] * sizes[element.key] if element.key in sizes else 0
                    made[element.key] = bindparam(element.key, value, type_=element.type,
                                                  expanding=element.expanding)
                return made[element.key]

            statement = cast(ClauseElement, replacement_traverse(cast(Any, statement), {}, placeholder))
        compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        assert isinstance(compiled, SQLCompiler)
        order = _positional(list(compiled.positiontup or ())) if compiled.positional else None
        return _Compiled(compiled.string, order, fixed)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    order: Positional | None  # the getter of its positional parameters; None when they are named
    fixed: dict[str, Any]  # values of the parameters SQLAlchemy binds itself


def _positional(names: list[str]) -> Positional:
    if not names:
        return lambda params: ()
    if len(names) == 1:
        name = names[0]
        return lambda params: (params[name],)
    return itemgetter(*names)  # a tuple of the values, in C
