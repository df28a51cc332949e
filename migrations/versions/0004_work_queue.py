"""Work queue and shared per-host slots for ``repub ingest --enqueue`` and ``repub worker``.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

URL = sa.String(2048)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "queue",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("url", URL, nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("source", sa.String(255), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("copy_url", URL, nullable=True),
        sa.Column("outlet", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(255), nullable=True),
        sa.Column("lease_expires_at", TS, nullable=True),
        sa.Column("enqueued_at", TS, nullable=False),
        sa.Column("done_at", TS, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_queue"),
        sa.UniqueConstraint("url", name="uq_queue_url"),
    )
    op.create_index("ix_queue_host", "queue", ["host"])
    op.create_index("ix_queue_status", "queue", ["status"])
    op.create_index("ix_queue_done_at", "queue", ["done_at"])
    op.create_table(
        "host_slots",
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("next_allowed_at", TS, nullable=False),
        sa.Column("interval", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("host", name="pk_host_slots"),
    )


def downgrade() -> None:
    op.drop_table("host_slots")
    op.drop_table("queue")
