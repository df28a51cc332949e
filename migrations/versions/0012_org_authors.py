"""``articles.org_authors``: the site's own desk or team that signs a page when no person does.

A JSON list of names ("Redaktion", "Staff Writer", "PETA-Team"), apart from ``authors`` (people) and
``credits`` (agencies and outlets; they make a page a copy, a desk never does). NULL on rows extracted
before, read as []. Added in place (ALTER TABLE ... ADD COLUMN), never by rebuilding ``articles``. On
PostgreSQL the generated ``search_vector`` of 0009 is dropped and made again after it (its statements,
as 0009 froze them), so a migrated table keeps the columns in the order a fresh one has.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _search_index() -> ModuleType:
    spec = importlib.util.spec_from_file_location("m0009", Path(__file__).with_name("0009_search_index.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    index = _search_index() if postgresql else None
    for statement in index.POSTGRESQL_DOWN if index else ():
        op.execute(statement)
    op.add_column("articles", sa.Column("org_authors", sa.JSON(), nullable=True))
    for statement in index.POSTGRESQL if index else ():
        op.execute(statement)


def downgrade() -> None:
    op.drop_column("articles", "org_authors")
