"""Export builds each ``--json`` record straight from its row (``repub.store.columns.record_json_of``),
not through a ``Record``: the same dict, key for key and in the same order, as ``record_json(record_of(row))``
gives, on every row of the web app's world (real imports, an ingest and a resync: copies with their
evidence, lead images, pages that failed and were never stored, a page gone)."""

from __future__ import annotations

import csv
import io
import json

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from repub.export import _cell, csv_columns, csv_field, flatten, lines
from repub.normalize.types import record_json
from repub.store import Store
from repub.store.columns import record_json_of, record_of
from repub.store.models import Article
from repub.store.search import SearchQuery, iter_views
from webworld import World


def test_a_row_gives_the_record_a_record_gives(web_world: World) -> None:
    with Store.open_read_only(f"sqlite:///{web_world.db}") as store, store.engine.connect() as conn:
        rows = conn.execute(sa.select(Article.__table__).order_by(Article.id)).all()
        with Session(store.engine) as session:
            objects = session.scalars(sa.select(Article).order_by(Article.id)).all()
            for row, obj in zip(rows, objects, strict=True):
                expected = json.dumps(record_json(record_of(row)), ensure_ascii=False)
                assert json.dumps(record_json_of(row), ensure_ascii=False) == expected, row.url
                assert json.dumps(record_json_of(obj), ensure_ascii=False) == expected, obj.url
    records = [record_json_of(row) for row in rows]
    # the world holds every shape a record takes, so the comparison above covers each
    assert any(r["original"] and r["original"]["evidence"] for r in records)
    assert any(r["lead_image"] for r in records) and any(r["lead_image"] is None for r in records)
    assert any(r["credits"] for r in records) and any(r["authors"] for r in records)
    assert any(row.version == 0 for row in rows) and any(row.status == "gone" for row in rows)
    assert len(rows) >= 20


def _csv_module_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


@given(st.lists(st.text(), min_size=2, max_size=6))
@settings(max_examples=400, deadline=None)
def test_a_csv_field_is_written_as_the_csv_module_writes_it(cells: list[str]) -> None:
    assert ",".join(map(csv_field, cells)) + "\r\n" == _csv_module_line(cells)


def test_the_csv_export_reads_back_as_the_records(web_world: World) -> None:
    with Store.open_read_only(f"sqlite:///{web_world.db}") as store:
        views = list(iter_views(store, SearchQuery()))
    text = "".join(lines(views, "csv"))
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    assert header == csv_columns() and len(body) == len(views) >= 20
    for view, row in zip(views, body, strict=True):
        flat = flatten(view.to_json())
        assert row == [_cell(flat.get(column)) for column in header]
