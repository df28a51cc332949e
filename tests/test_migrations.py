"""Alembic migrations against real SQLite files: up, down, up again, and models == migration."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from fixturedata import all_fixtures
from repub.extract import extract
from repub.fetch.charset import decode_html
from repub.normalize import normalize
from repub.store import Store, create_engine, current_revision, downgrade, head_revision, upgrade
from repub.store.history import RawBody
from repub.store.migrate import upgrade_engine
from repub.store.models import Base
from repub.store.searchindex import SQLITE_TABLES, not_the_index

TABLES_0001 = {"articles", "article_versions", "url_aliases", "fetch_log"}
TABLES_0003 = TABLES_0001 | {"runs", "raw_pages", "article_events"}
TABLES_0004 = TABLES_0003 | {"queue", "host_slots"}
TABLES_0008 = TABLES_0003 | {"host_slots"}  # 0008: the work queue is procrastinate's (PostgreSQL only)
TABLES_0010 = TABLES_0008 | {"warc_files"}  # 0010: WARC import progress
TABLES = TABLES_0010 | {"fingerprints", "fingerprint_bands"}  # 0011: text reuse
ENGINE_TABLES = {"procrastinate_jobs", "procrastinate_events", "procrastinate_periodic_defers",
                 "procrastinate_workers"}
SQLITE_HEAD_TABLES = TABLES | set(SQLITE_TABLES)  # on SQLite, the full-text index (0009) adds its tables
SEARCH_INDEXES = {"ix_articles_published_at", "ix_articles_diverged_since", "ix_articles_facets"}  # 0009
HEAD = "0013"
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows} - {"alembic_version"}


def _indexes(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    return {name for (name,) in rows}


def test_head_is_the_latest_migration() -> None:
    assert head_revision() == HEAD


def test_up_down_up(tmp_path: Path) -> None:
    path = tmp_path / "db" / "repub.db"
    path.parent.mkdir()
    url = f"sqlite:///{path}"

    assert upgrade(url) is True
    assert _tables(path) == SQLITE_HEAD_TABLES
    assert _indexes(path) == {
        "ix_articles_site", "ix_articles_original_id", "ix_articles_original_url", "ix_articles_status",
        "ix_url_aliases_article_id", "ix_fetch_log_url", "ix_fetch_log_fetched_at", "ix_fetch_log_run_id",
        "ix_runs_started_at", "ix_raw_pages_article_id",
        "ix_article_events_article_id", "ix_article_events_at",
        "ix_raw_pages_warc_payload_digest",
    } | SEARCH_INDEXES
    engine = create_engine(url)
    try:
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()

    downgrade(url, "0012")  # 0013's cell numbers go, 0009's counts and triggers are back
    search_0009 = set(SQLITE_TABLES) - {"article_cells"}
    assert _tables(path) == TABLES | search_0009
    with sqlite3.connect(path) as conn:
        assert "cell" not in {row[1] for row in conn.execute("PRAGMA table_info(article_counts)")}
        triggers = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    assert len(triggers) == 6
    downgrade(url, "0010")  # 0011's tables go
    assert _tables(path) == TABLES_0010 | search_0009
    downgrade(url, "0009")  # one step down: 0010's table and raw-page columns go
    assert _tables(path) == TABLES_0008 | search_0009
    with sqlite3.connect(path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(raw_pages)")}
    assert {"status_line", "headers", "warc_payload_digest"} & columns == set()
    assert "ix_raw_pages_warc_payload_digest" not in _indexes(path)
    downgrade(url, "0008")  # then 0009's search index goes: its tables, indexes and triggers
    assert _tables(path) == TABLES_0008
    assert not _indexes(path) & SEARCH_INDEXES
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall() == []
    downgrade(url, "0007")  # then the home-made queue table is back, empty
    assert _tables(path) == TABLES_0004
    downgrade(url, "0006")  # then 0007's columns go
    with sqlite3.connect(path) as conn:
        assert {row[1] for row in conn.execute("PRAGMA table_info(host_slots)")} == {
            "host", "next_allowed_at", "interval"}
    downgrade(url, "0005")  # 0006 adds and drops columns only
    assert _tables(path) == TABLES_0004
    downgrade(url, "0004")  # then only 0005's column goes
    assert _tables(path) == TABLES_0004
    with sqlite3.connect(path) as conn:
        assert "refused" not in {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
    downgrade(url, "0003")  # then 0004's tables
    assert _tables(path) == TABLES_0003
    downgrade(url, "0002")  # then 0003's table
    assert _tables(path) == TABLES_0003 - {"article_events"}
    downgrade(url, "0001")  # then 0002's tables
    assert _tables(path) == TABLES_0001
    downgrade(url, "base")
    assert _tables(path) == set()
    assert _indexes(path) == set()

    assert upgrade(url) is True
    assert _tables(path) == SQLITE_HEAD_TABLES


def test_upgrade_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'repub.db'}"
    assert upgrade(url) is True
    assert upgrade(url) is False
    assert upgrade(url) is False
    assert _tables(tmp_path / "repub.db") == SQLITE_HEAD_TABLES


def test_store_open_migrates_and_creates_parent_dir(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "repub.db"
    with Store.open(f"sqlite:///{path}") as store:
        assert current_revision(store.engine) == HEAD
    assert _tables(path) == SQLITE_HEAD_TABLES
    with Store.open(f"sqlite:///{path}") as store:  # second open: nothing to do
        assert store.list_articles() == []


def test_models_match_migration(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'repub.db'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "include_name": not_the_index})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def schema(url: str) -> dict[str, object]:
    """Everything later migrations and downgrades rely on, names included, table by table."""
    engine = create_engine(url)
    try:
        inspector = sa.inspect(engine)
        found: dict[str, object] = {}
        for table in sorted(inspector.get_table_names()):
            found[table] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"], str(c.get("default")),
                             str(c.get("computed"))) for c in inspector.get_columns(table)],
                "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
                "foreign_keys": sorted((fk["name"] or "", tuple(fk["constrained_columns"]),
                                        fk["referred_table"], tuple(fk["referred_columns"]),
                                        str(fk.get("options"))) for fk in inspector.get_foreign_keys(table)),
                "indexes": sorted((ix["name"] or "", tuple(ix["column_names"]), bool(ix["unique"]))
                                  for ix in inspector.get_indexes(table)),
                "unique": sorted((uc["name"] or "", tuple(uc["column_names"]))
                                 for uc in inspector.get_unique_constraints(table)),
                "checks": sorted((ck["name"] or "", ck["sqltext"])
                                 for ck in inspector.get_check_constraints(table)),
            }
        with engine.connect() as conn:
            found["alembic_version"] = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
            if conn.dialect.name == "sqlite":  # triggers and virtual tables: the inspector does not show them
                objects = conn.execute(sa.text("SELECT type, name, sql FROM sqlite_master "
                                               "WHERE type = 'trigger' OR name LIKE '%fts%'"))
                found["sqlite_master"] = sorted((kind, name, " ".join((sql or "").split()))
                                                for kind, name, sql in objects)
        return found
    finally:
        engine.dispose()


def test_a_fresh_database_made_from_the_models_equals_the_migrated_one(
        any_db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    # Store.open creates an empty database from the models, stamped at the head (create_at_head);
    # the migrations replayed one by one must give the very same schema
    if any_db_url.startswith("sqlite"):
        replayed = f"sqlite:///{tmp_path / 'replayed.db'}"
    else:  # a second database on the same server
        replayed = request.getfixturevalue("pg_server").create_database()
    with Store.open(any_db_url):
        pass
    engine = create_engine(replayed)
    try:
        assert upgrade_engine(engine, HEAD) is True  # an explicit revision: Alembic's path, script by script
    finally:
        engine.dispose()
    fresh, migrated = schema(any_db_url), schema(replayed)
    if any_db_url.startswith("sqlite"):
        assert set(fresh) == SQLITE_HEAD_TABLES | {"alembic_version", "sqlite_master"}
        assert {name for _, name, _ in fresh["sqlite_master"]} >= {
            "articles_fts", "articles_fts_insert", "articles_fts_update", "articles_fts_delete"}
    else:
        assert set(fresh) == TABLES | ENGINE_TABLES | {"alembic_version"}
        assert "search_vector" in [c[0] for c in fresh["articles"]["columns"]]  # type: ignore[index]
    assert fresh == migrated


# -- 0006: credits and evidence, with real rows -------------------------------------------------------

COUNTED = ("articles", "article_versions", "url_aliases", "raw_pages", "article_events")


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in COUNTED}
    finally:
        engine.dispose()


def _column(url: str, column: str) -> dict[str, object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(f"SELECT url, {column} FROM articles ORDER BY url")).all()
    finally:
        engine.dispose()
    return {u: value for u, value in rows}


def _store_fixture_pages(url: str) -> dict[str, dict[str, object]]:
    """Every fixture page extracted and saved (its raw page kept), copies linked to their originals:
    the views, by URL."""
    with Store.open(url) as store:
        for fixture in all_fixtures():
            raw = fixture.page.read_bytes()
            html, charset = decode_html(raw)
            record = normalize(extract(html, fixture.url))
            store.save_article(record, fetched_at=T0, aliases=[fixture.url], http_status=200,
                               raw=RawBody(fixture.url, raw, charset))
            if record.original is not None and record.original.url:
                store.link_original(record.url, record.original.url)
        return {v.url: v.to_json() for v in store.list_articles()}


def test_0006_down_and_up_again_keeps_every_row_and_the_provenance(any_db_url: str) -> None:
    before = _store_fixture_pages(any_db_url)
    copies = {u: v["original"] for u, v in before.items() if v["original"]}
    kinds = {u: o["evidence"][0]["kind"] for u, o in copies.items()}
    # the fixture copies show go-to-original links (TMS), "originally appeared" lines and canonicals
    assert {"go-to-original", "text-line"} <= set(kinds.values()), kinds
    counts = _counts(any_db_url)

    downgrade(any_db_url, "0005")
    signals = _column(any_db_url, "original_signal")
    assert {u: s for u, s in signals.items() if s} == {
        u: {"text-line": "attribution-line", "byline-credit": "byline"}.get(k, k) for u, k in kinds.items()}
    assert _counts(any_db_url) == counts  # nothing cascaded away with a dropped column

    assert upgrade(any_db_url) is True
    assert _counts(any_db_url) == counts
    with Store.open(any_db_url) as store:
        after = {v.url: v.to_json() for v in store.list_articles()}
    assert set(after) == set(before)
    for url, view in after.items():
        old = before[url]
        if url in copies:
            # the first item of the evidence survives, as migrated: its kind and the link it named
            item = view["original"]["evidence"]
            detail = {"url": old["original"]["url"]} if old["original"]["url"] else {
                "outlet": old["original"]["outlet"]}
            assert item == [{"kind": kinds[url], "detail": {**detail, "migrated": True}}], url
            assert view["original"]["confidence"] == {
                "go-to-original": 0.95, "text-line": 0.9, "canonical": 0.8, "syndication-source": 0.75,
                "byline-credit": 0.65}[kinds[url]]
            view["original"].update({k: old["original"][k] for k in ("evidence", "confidence")})
        # 0005 has no credits column: going down drops them (the next extraction fills them again)
        assert view.pop("credits") == [] and isinstance(old.pop("credits"), list), url
        assert view == old, url


def test_0006_turns_each_old_signal_into_evidence(any_db_url: str) -> None:
    upgrade(any_db_url, "0005")
    engine = create_engine(any_db_url)
    signals = {"go-to-original": "go-to-original", "attribution-line": "text-line", "canonical": "canonical",
               "original-source": "syndication-source", "is-based-on": "syndication-source",
               "byline": "byline-credit", None: None}
    try:
        with engine.begin() as conn:
            for n, signal in enumerate(signals):
                conn.execute(sa.text(
                    "INSERT INTO articles (url, status, version, authors, tags, body_text, first_seen_at,"
                    " original_url, original_outlet, original_signal) VALUES (:url, 'ok', 1, '[]', '[]', 'b',"
                    " :at, :ourl, 'Outlet', :signal)"),
                    {"url": f"https://copy.example/{n}", "at": T0, "signal": signal,
                     "ourl": None if signal == "byline" else f"https://orig.example/{n}"})
    finally:
        engine.dispose()
    upgrade(any_db_url)
    evidence = _column(any_db_url, "original_evidence")
    for n, (signal, kind) in enumerate(signals.items()):
        got = evidence[f"https://copy.example/{n}"]
        got = json.loads(got) if isinstance(got, str) else got
        if signal is None:
            assert got is None
        else:
            detail = {"outlet": "Outlet"} if signal == "byline" else {"url": f"https://orig.example/{n}"}
            assert got == [{"kind": kind, "detail": {**detail, "migrated": True}}], signal
    with Store.open(any_db_url) as store:
        view = store.get("https://copy.example/0")
        assert view is not None and view.credits == [] and view.original["confidence"] == 0.95
