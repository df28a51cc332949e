"""Article events (gone, back, moved, diverged) for ``repub resync`` and ``repub changes``.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

URL = sa.String(2048)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "article_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", URL, nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_article_events"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_article_events_article_id_articles", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_article_events_article_id", "article_events", ["article_id"])
    op.create_index("ix_article_events_at", "article_events", ["at"])


def downgrade() -> None:
    op.drop_table("article_events")
