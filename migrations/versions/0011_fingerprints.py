"""Text reuse: a fingerprint of every stored version, and the LSH band index that finds copies.

``fingerprints``: one row per article version with a body (``repub.reuse.fingerprint``: the scheme,
the shingle count, the MinHash minimums). ``fingerprint_bands``: (band_key, article_id), the index a
new page's band keys are looked up in; WITHOUT ROWID on SQLite, so the table is its primary key's
B-tree alone. Rows stored before this revision get theirs from ``repub reextract`` (which re-reads the
kept raw pages) or their next save; no row is written here, since the fingerprint is computed from the
text by code that may change, and a migration must not.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fingerprints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(length=64), nullable=False),
        sa.Column("shingles", sa.Integer(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name="fk_fingerprints_article_id_articles",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_fingerprints"),
        sa.UniqueConstraint("article_id", "version", name="uq_fingerprints_article_id_version"),
    )
    op.create_table(
        "fingerprint_bands",
        sa.Column("band_key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("band_key", "article_id", name="pk_fingerprint_bands"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("fingerprint_bands")
    op.drop_table("fingerprints")
