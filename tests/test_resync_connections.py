"""A resync's checks share keep-alive connections: N conditional checks of one host cost a handful of
TCP connections, not N (real server on 127.0.0.1 counting connections, real SQLite)."""

from __future__ import annotations

from pathlib import Path

from countingweb import ETAG, HOST, counting_server
from repub.config import build_settings
from repub.resync import Resyncer
from repub.store import Store
from repub.store.history import Target


def test_checks_of_one_host_reuse_a_few_connections(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'resync.db'}")
    with counting_server() as web:
        base = f"http://127.0.0.1:{web.server_address[1]}/{HOST}"
        settings = build_settings(db=str(tmp_path / "resync.db"), host_maps=[f"{HOST}={base}"], env={})
        targets = [Target(url=f"https://{HOST}/page?n={i}", etag=ETAG, last_modified=None, version=1,
                          status="ok") for i in range(60)]
        # the rate out of the way: this is about connections, not pacing
        report = Resyncer(store, settings, concurrency=8, per_host=4, rate=10_000).run(targets)
        assert (report.checked, report.not_modified, report.failed) == (60, 60, 0)
        assert web.requests == 61  # robots.txt (404: all allowed), then the 60 checks
        assert 1 <= web.connections <= 4  # at most per_host checks in flight, each on a reused connection


def test_validators_go_to_the_url_asked_for_only_never_through_a_redirect() -> None:
    import asyncio

    from repub.fetch import Fetcher

    async def both(base: str) -> tuple[int, int]:
        settings = build_settings(host_maps=[f"{HOST}={base}"], env={}).fetch
        async with Fetcher(settings) as fetcher:
            same = await fetcher.fetch(f"https://{HOST}/page", {"If-None-Match": ETAG})
            moved = await fetcher.fetch(f"https://{HOST}/moved", {"If-None-Match": ETAG})
        return same.status, moved.status

    with counting_server() as web:
        base = f"http://127.0.0.1:{web.server_address[1]}/{HOST}"
        # /page's own validator gets its 304; /moved's validator is not /page's to confirm
        assert asyncio.run(both(base)) == (304, 200)
