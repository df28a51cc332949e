"""Credits, and the evidence of a copy's original in place of one signal word.

``articles.credits``: the agencies and outlets a page credits (JSON list; NULL on rows extracted before,
read as []). ``articles.original_evidence``: why the row is taken for a copy, a JSON list of
``{"kind", "detail"}`` (repub.evidence); ``articles.original_confidence``: how sure, 0-1.
``original_signal`` goes: the evidence is the one truth. Each row's signal becomes a one-item evidence
list (its kind renamed to today's vocabulary, its URL or outlet as the detail, ``"migrated": true``), and
downgrading writes the first item's kind back as the signal.

Columns are added and dropped in place (ALTER TABLE ... ADD / DROP COLUMN: SQLite 3.35 or later), never
by rebuilding ``articles``: rows of other tables point at it with ON DELETE CASCADE, and a rebuild
drops the table they point at.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The signal words written before this revision, and the evidence kind each became. Frozen here (a
# migration must not change when the code does).
KINDS = {
    "go-to-original": "go-to-original",
    "attribution-line": "text-line",
    "canonical": "canonical",
    "syndication-source": "syndication-source",
    "original-source": "syndication-source",
    "is-based-on": "syndication-source",
    "byline": "byline-credit",
}
# The confidence of a one-item list of each kind (repub.evidence.STRENGTH when this was written).
STRENGTH = {
    "go-to-original": 0.95, "text-line": 0.9, "canonical": 0.8, "syndication-source": 0.75,
    "byline-credit": 0.65,
}
SIGNALS = {"text-line": "attribution-line", "byline-credit": "byline", "dateline": "byline",
           "aggregator": "attribution-line", "mirror": "canonical"}
BATCH = 500


def _articles(*columns: sa.Column) -> sa.Table:
    return sa.table("articles", sa.column("id", sa.Integer()), *columns)


def upgrade() -> None:
    op.add_column("articles", sa.Column("credits", sa.JSON(), nullable=True))
    op.add_column("articles", sa.Column("original_evidence", sa.JSON(), nullable=True))
    op.add_column("articles", sa.Column("original_confidence", sa.Float(), nullable=True))
    conn = op.get_bind()
    old = _articles(sa.column("original_signal", sa.String()), sa.column("original_url", sa.String()),
                    sa.column("original_outlet", sa.String()))
    new = _articles(sa.column("original_evidence", sa.JSON()), sa.column("original_confidence", sa.Float()))
    rows = conn.execute(sa.select(old.c.id, old.c.original_signal, old.c.original_url, old.c.original_outlet)
                        .where(old.c.original_signal.is_not(None)).order_by(old.c.id)).all()
    update = new.update().where(new.c.id == sa.bindparam("b_id")).values(
        original_evidence=sa.bindparam("b_evidence", type_=sa.JSON()),
        original_confidence=sa.bindparam("b_confidence"))
    params = []
    for row in rows:
        kind = KINDS.get(row.original_signal, "text-line")
        detail = {"url": row.original_url} if row.original_url else {"outlet": row.original_outlet}
        detail["migrated"] = True
        params.append({"b_id": row.id, "b_evidence": [{"kind": kind, "detail": detail}],
                       "b_confidence": STRENGTH.get(kind, 0.65)})
    for start in range(0, len(params), BATCH):
        conn.execute(update, params[start:start + BATCH])
    op.drop_column("articles", "original_signal")


def downgrade() -> None:
    op.add_column("articles", sa.Column("original_signal", sa.String(255), nullable=True))
    conn = op.get_bind()
    table = _articles(sa.column("original_evidence", sa.JSON()), sa.column("original_signal", sa.String()))
    rows = conn.execute(sa.select(table.c.id, table.c.original_evidence)
                        .where(table.c.original_evidence.is_not(None)).order_by(table.c.id)).all()
    update = table.update().where(table.c.id == sa.bindparam("b_id")).values(
        original_signal=sa.bindparam("b_signal"))
    params = []
    for row in rows:
        evidence = row.original_evidence or []
        if evidence:
            kind = str(evidence[0].get("kind") or "")
            params.append({"b_id": row.id, "b_signal": SIGNALS.get(kind, kind) or None})
    for start in range(0, len(params), BATCH):
        conn.execute(update, params[start:start + BATCH])
    op.drop_column("articles", "original_confidence")
    op.drop_column("articles", "original_evidence")
    op.drop_column("articles", "credits")
