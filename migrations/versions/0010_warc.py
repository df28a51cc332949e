"""WARC in and out (issue 20): raw pages keep their status line, headers and WARC payload digest; the
``warc_files`` table records how far each imported WARC file got, so an interrupted import resumes.

Rows kept before have no status line or headers: ``repub export --warc`` writes them as 200 with the
Content-Type their encoding implies, and says how many it did so for.

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

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("raw_pages") as batch:
        batch.add_column(sa.Column("status_line", sa.String(255), nullable=True))
        batch.add_column(sa.Column("headers", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("warc_payload_digest", sa.String(128), nullable=True))
        batch.create_index("ix_raw_pages_warc_payload_digest", ["warc_payload_digest"])
    op.create_table(
        "warc_files",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("head_sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.String(1024), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_warc_files"),
        sa.UniqueConstraint("head_sha256", name="uq_warc_files_head_sha256"),
    )


def downgrade() -> None:
    op.drop_table("warc_files")
    with op.batch_alter_table("raw_pages") as batch:
        batch.drop_index("ix_raw_pages_warc_payload_digest")
        batch.drop_column("warc_payload_digest")
        batch.drop_column("headers")
        batch.drop_column("status_line")
