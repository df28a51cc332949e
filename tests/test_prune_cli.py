"""`repub prune`: raw pages beyond each article's newest are deleted; versions stay."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import zstandard

from repub.cli import main
from repub.normalize import utc_now
from repub.store import Store
from repub.store.history import latest_raw_pages, raw_page_count, save_raw_page
from test_store import ORIG_URL, original_record


def _stored(db: Path) -> None:
    """One article with four distinct raw pages, last seen 100, 50, 10 and 0 days ago."""
    now = utc_now()
    with Store.open(f"sqlite:///{db}") as store:
        store.save_article(original_record(), fetched_at=now - timedelta(days=100))
        article_id = store.get(ORIG_URL).id
        for days in (100, 50, 10, 0):
            save_raw_page(store, article_id, url=ORIG_URL, body=f"<html>{days}</html>".encode(),
                          encoding="utf-8", fetched_at=now - timedelta(days=days))


def test_prune_dry_run_then_older_than_then_all(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "repub.db"
    _stored(db)
    assert main(["prune", "--db", str(db), "--older-than", "30d", "--dry-run", "--json"]) == 0
    zstd = zstandard.ZstdCompressor(level=1)
    stored = sum(len(zstd.compress(f"<html>{days}</html>".encode())) for days in (100, 50))
    expected = {"pages": 2, "bytes": stored, "articles": 1, "dry_run": True}
    assert json.loads(capsys.readouterr().out) == expected
    assert main(["prune", "--db", str(db), "--older-than", "30d"]) == 0
    assert capsys.readouterr().out == (
        "deleted 2 raw pages of 1 articles (0.0 MB stored); each article keeps its newest 1\n")
    assert main(["prune", "--db", str(db), "--keep", "0"]) == 2
    refusal = "repub: --keep must be at least 1: reextract needs each article's newest page\n"
    assert capsys.readouterr().err == refusal
    assert main(["prune", "--db", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pages"] == 1
    with Store.open(f"sqlite:///{db}") as store:
        assert raw_page_count(store, ORIG_URL) == 1
        assert [p.text for p in latest_raw_pages(store)] == ["<html>0</html>"]
        assert [v.version for v in store.versions(ORIG_URL)] == [1]  # the versions are not touched
