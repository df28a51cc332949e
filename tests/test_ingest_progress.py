"""The progress an ingest reports (the bar on a terminal) counts the articles done, also when the run
is stopped by Ctrl-C: the articles cut short are not done (issue 15, item 13: the bar jumped to 100 %).
Real HTTP to the fixture web, a real SQLite file, a real SIGINT to this process."""

from __future__ import annotations

import os
import signal
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from fixturedata import all_fixtures, fixture_hosts
from repub.config import build_settings
from repub.discover import load_sources
from repub.ingest import Ingest, IngestOptions
from repub.store import Store
from webserver import Response, TestWeb

TMS = "https://www.transcend.org/tms"
TMS_COPIES = sorted(f.url for f in all_fixtures() if "transcend.org" in f.url)
FAST_ROBOTS = b"User-agent: *\nDisallow: /tms/wp-admin/\n"


def test_ctrl_c_leaves_the_progress_at_what_was_done(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "tms"\nsite = "{TMS}/"\nfeeds = ["{TMS}/feed/"]\n'
        'include = ["^https://(www\\\\.)?transcend\\\\.org/tms/\\\\d{4}/\\\\d{2}/[^/]+/$"]\n'
        "follow_originals = false\nrate = 200.0\nconcurrency = 1\nmax_new = 50\n",
        encoding="utf-8",
    )
    release = threading.Event()
    served: list[str] = []

    def first_only(handler: BaseHTTPRequestHandler) -> Response:
        served.append(handler.path)
        if len(served) > 1:  # every copy after the first waits until the test ends
            release.wait(30)
        return web.static(handler.path)

    progress: list[tuple[int, int]] = []

    def report(done: int, total: int) -> None:  # on the run's event loop, as the bar's update is
        progress.append((done, total))
        if done == 1 and progress.count((1, total)) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C once the first article is done

    with TestWeb() as web:
        robots = (200, {"Content-Type": "text/plain"}, FAST_ROBOTS)
        web.route("/www.transcend.org/robots.txt", lambda _h: robots)
        for url in TMS_COPIES:
            host, path = url.split("://", 1)[1].split("/", 1)
            web.route(f"/{host}/{path}", first_only)
        settings = build_settings(db=str(tmp_path / "repub.db"), host_maps=[web.host_map(*fixture_hosts())],
                                  env={})
        with Store.open(f"sqlite:///{tmp_path / 'repub.db'}") as store:
            try:
                result = Ingest(store, settings, load_sources(sources), IngestOptions(),
                                progress=report).run()
            finally:
                release.set()
    assert result.status == "interrupted"
    done, total = progress[-1]
    assert total > 2 and done < total  # not 100 %
    # what the bar says is what the run did: each article stored or failed, no cancelled one
    figures = result.figures
    assert done == figures.new + figures.failed + figures.updated + figures.unchanged
