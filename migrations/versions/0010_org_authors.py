"""``articles.org_authors``: the site's own desk or team that signs a page when no person does.

A JSON list of names ("Redaktion", "Staff Writer", "PETA-Team"), apart from ``authors`` (people) and
``credits`` (agencies and outlets; they make a page a copy, a desk never does). NULL on rows extracted
before, read as []. Added in place (ALTER TABLE ... ADD COLUMN), never by rebuilding ``articles``.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("org_authors", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("articles", "org_authors")
