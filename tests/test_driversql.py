"""The store's statements as driver SQL (repub.store.driversql) answer what SQLAlchemy's own execution
of the same statements answers, on SQLite and PostgreSQL: queries, inserts and an UPDATE, with IN lists
of every length, a parameter used twice and SQLAlchemy's own parameters (SQLite's ``OFFSET 0``)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from repub.store import Store
from repub.store.driversql import DriverStatement
from repub.store.models import Article
from repub.store.save import _DRIVER_WAITING, _WAITING
from repub.store.textreuse import _DRIVER_ADD_BANDS, _HITS, _KNOWN_KEYS, B


def _articles(conn: sa.Connection, n: int) -> list[int]:
    A = Article.__table__
    ids = []
    for i in range(n):
        result = conn.execute(A.insert(), {"url": f"https://example.org/{i}", "site": "example.org",
                                           "status": "ok", "version": 1,
                                           "first_seen_at": datetime(2026, 1, 1, tzinfo=UTC)})
        ids.append(int(result.inserted_primary_key[0]))
    return ids


def test_driver_sql_answers_as_sqlalchemy_does(any_db_url: str) -> None:
    with Store.open(any_db_url) as store, store.engine.begin() as conn:
        first, second, third = _articles(conn, 3)
        # keys near both ends of a signed 64-bit column, as band keys are
        rows = [{"band_key": key, "article_id": first} for key in (-(2**63), -5, 7, 2**63 - 1)]
        rows += [{"band_key": key, "article_id": second} for key in (-5, 7)]
        rows += [{"band_key": 7, "article_id": third}]
        _DRIVER_ADD_BANDS.execute_many(conn, rows)
        _DRIVER_ADD_BANDS.execute_many(conn, [])
        stored = sorted(conn.execute(sa.select(B.c.band_key, B.c.article_id)).all())
        assert stored == sorted((r["band_key"], r["article_id"]) for r in rows)

        hits = DriverStatement(_HITS, ["keys"])
        for keys, exclude, limit, expected in [
            ([7], -1, 40, [(first, 1), (second, 1), (third, 1)]),
            ([-5, 7], first, 40, [(second, 2), (third, 1)]),
            ([-(2**63), -5, 7, 2**63 - 1], -1, 2, [(first, 4), (second, 2)]),
            ([123], -1, 40, []),
        ]:
            params = {"keys": keys, "b_id": exclude, "b_limit": limit}
            got = [(row.article_id, row.hits) for row in hits.execute(conn, params)]
            assert got == expected
            assert got == [(row.article_id, row.hits) for row in conn.execute(_HITS, params)]

        known = DriverStatement(_KNOWN_KEYS, ["keys"])
        params = {"keys": [-5, 7, 99], "b_id": second}
        assert sorted(known.execute(conn, params).scalars()) == [-5, 7]
        assert sorted(conn.execute(_KNOWN_KEYS, params).scalars()) == [-5, 7]


def test_driver_sql_is_compiled_once_per_dialect_and_list_length(any_db_url: str) -> None:
    hits = DriverStatement(_HITS, ["keys"])
    with Store.open(any_db_url) as store, store.engine.begin() as conn:
        for keys in ([1], [1, 2], [3], [4, 5]):
            hits.execute(conn, {"keys": keys, "b_id": -1, "b_limit": 40}).all()
        name, driver = conn.dialect.name, conn.dialect.driver
    assert sorted(hits._compiled) == [(name, driver, (1,)), (name, driver, (2,))]
    sql = hits._compiled[(name, driver, (2,))].sql
    assert "fingerprint_bands.band_key IN (" in sql and "POSTCOMPILE" not in sql



def test_an_update_with_a_list_and_a_parameter_used_twice(any_db_url: str) -> None:
    # the copies waiting for a page (they name one of its URLs, unlinked) link to it: by SQLAlchemy,
    # then the same as driver SQL, each on its own URLs
    A = Article.__table__
    with Store.open(any_db_url) as store, store.engine.begin() as conn:
        page, *copies = _articles(conn, 6)
        named = ["https://a.example/x", "https://a.example/x", "https://b.example/y", "https://c.example/z",
                 "https://d.example/w"]
        for copy, url in zip(copies, named, strict=True):
            conn.execute(A.update().where(A.c.id == copy).values(original_url=url))
        conn.execute(A.update().where(A.c.id == copies[1]).values(original_id=copies[0]))  # linked already
        by_sqlalchemy = conn.execute(_WAITING, {"urls": ["https://a.example/x"], "b_id": page}).rowcount
        by_driver = _DRIVER_WAITING.execute(
            conn, {"urls": ["https://b.example/y", "https://c.example/z", "https://nowhere.example/"],
                   "b_id": page}).rowcount
        linked = dict(conn.execute(sa.select(A.c.id, A.c.original_id).where(A.c.id.in_(copies))).all())
    assert (by_sqlalchemy, by_driver) == (1, 2)
    first, second, third, fourth, fifth = copies
    assert linked == {first: page, second: first, third: page, fourth: page, fifth: None}
