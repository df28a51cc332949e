"""The work queue moves to procrastinate (a maintained PostgreSQL task engine): its schema goes in, the
home-made ``queue`` table goes, and what was queued in it is carried over.

On PostgreSQL, procrastinate's schema (``migrations/engine/procrastinate-3.10.0.sql``, as that version
ships it) is applied here, so ``repub db upgrade`` sets everything up; each URL still queued or leased
becomes a ``repub.fetch_page`` or ``repub.fetch_original`` job as ``repub ingest --enqueue`` makes them.
SQLite has no work queue any more (``repub ingest`` and ``resync`` fetch in their own process): a URL
still queued there becomes an article stub (status ``pending``, never checked), which the next
``repub resync`` fetches first. Either way nothing queued is lost.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENGINE_SQL = Path(__file__).resolve().parent.parent / "engine" / "procrastinate-3.10.0.sql"
TS = sa.DateTime(timezone=True)
QUEUE = "repub"  # the procrastinate queue repub's jobs go to (repub.worker.tasks.QUEUE)


def _unfinished(bind: sa.Connection) -> list[sa.Row]:
    return list(bind.execute(sa.text(
        "SELECT url, host, source, kind, copy_url, outlet, enqueued_at FROM queue "
        "WHERE status IN ('queued', 'leased') ORDER BY id")))


def upgrade() -> None:
    bind = op.get_bind()
    rows = _unfinished(bind)
    if bind.dialect.name == "postgresql":
        from repub.store.jobs import apply_engine_schema

        apply_engine_schema(bind, ENGINE_SQL.name)  # procrastinate's own SQL, as version 3.10.0 ships it
        for row in rows:
            task = "repub.fetch_original" if row.kind == "original" else "repub.fetch_page"
            args = {"url": row.url, "source": row.source, "copy_url": row.copy_url, "outlet": row.outlet}
            bind.execute(sa.text(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, lock, queueing_lock, args) "
                "VALUES (:queue, :task, :lock, :url, CAST(:args AS jsonb))"),
                {"queue": QUEUE, "task": task, "lock": f"host:{row.host}#0", "url": row.url,
                 "args": json.dumps(args)})
    else:
        for row in rows:
            known = bind.execute(sa.text(
                "SELECT 1 FROM articles WHERE url = :u UNION SELECT 1 FROM url_aliases WHERE url = :u"),
                {"u": row.url}).first()
            if known is None:
                site = row.host.removeprefix("www.").split(":")[0]
                bind.execute(sa.text(
                    "INSERT INTO articles (url, site, authors, tags, body_text, version, status, "
                    "first_seen_at) VALUES (:u, :site, '[]', '[]', '', 0, 'pending', :at)"),
                    {"u": row.url, "site": site, "at": row.enqueued_at})
    op.drop_table("queue")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # procrastinate's objects, whatever their version: its tables, types and functions
        bind.exec_driver_sql(
            "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, "
            "procrastinate_workers CASCADE")
        bind.exec_driver_sql("""
            DO $$ DECLARE f record; BEGIN
              FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
                       JOIN pg_namespace n ON n.oid = p.pronamespace
                       WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%%'
              LOOP EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE'; END LOOP;
            END $$""")
        bind.exec_driver_sql("DROP TYPE IF EXISTS procrastinate_job_status, procrastinate_job_event_type, "
                             "procrastinate_job_to_defer_v1 CASCADE")
    op.create_table(
        "queue",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("source", sa.String(255), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("copy_url", sa.String(2048), nullable=True),
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
