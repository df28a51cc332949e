"""Per-host crawl state shared by every worker: a Retry-After pause and the host's robots.txt.

``host_slots`` kept only the next start and the interval; a pause asked by a server's Retry-After
and each host's robots.txt (read once for the whole cluster, kept ``robots_ttl`` seconds) now live
there too (``repub.crawl.hosts.DatabaseHosts``).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("host_slots") as batch:
        batch.add_column(sa.Column("paused_until", TS, nullable=True))
        batch.add_column(sa.Column("robots_read_at", TS, nullable=True))
        batch.add_column(sa.Column("robots_text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("robots_error_kind", sa.String(32), nullable=True))
        batch.add_column(sa.Column("robots_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("host_slots") as batch:
        for name in ("robots_error", "robots_error_kind", "robots_text", "robots_read_at", "paused_until"):
            batch.drop_column(name)
