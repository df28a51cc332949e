"""The database the web app's tests look at, made the way a user makes one, and ``repub serve`` over it.

``build_world`` serves the fixture sites on 127.0.0.1 (tests/webserver.py) and runs the real CLI:
``repub import`` of every fixture copy (their originals followed) and of the pages that copy nothing,
an ``ingest`` of the TMS feed beside a feed whose every item fails a different way (robots.txt refusal,
429, a bot wall, a PDF, a page with no article), then a ``resync`` in which RT's op-ed has changed
(version 2: its two copies diverge) and the hostile page is gone (404). ``Served`` runs ``repub serve``
on that database in a subprocess, on a free port, as a user would.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from fixturedata import all_fixtures, fixture_hosts
from webserver import FIXTURE_SITES, Response, TestWeb

REPUB = Path(sys.executable).with_name("repub")
TMS = "https://www.transcend.org/tms"
RT_URL = "https://www.rt.com/op-ed/504399-russia-china-military-alliance-washington/"
RT_PATH = "/www.rt.com/op-ed/504399-russia-china-military-alliance-washington/"
TMS_COPY = (f"{TMS}/2020/10/a-russia-china-military-alliance-would-be-a-bulwark-against-americas-global-"
            "imperialism-is-it-time-for-washington-to-panic/")
ZNET_COPY = ("https://znetwork.org/znetarticle/a-russia-china-military-alliance-would-be-a-bulwark-against-"
             "americas-global-imperialism/")
HOSTILE = "https://news.hostile.example/2024/03/script-in-the-title/"
HOSTILE_PATH = "/news.hostile.example/2024/03/script-in-the-title/"
DISCLAIMER = "Disclaimer: ZNetwork reposts this op-ed"
TROUBLED = "https://www.troubled.example"
# (path under the troubled host, the failure kind the runs page counts it under)
TROUBLES = {"/blocked/story/": "robots", "/busy/story/": "429", "/walled/story/": "bot-wall",
            "/files/report.pdf": "not-html", "/empty/story/": "no-article"}
FAST_ROBOTS = b"User-agent: *\nDisallow: /tms/wp-admin/\n"
CHANGED_TITLE = "Should Washington Be Worried?"


@dataclass
class World:
    db: Path
    host_map: str
    web: TestWeb

    def env(self) -> dict[str, str]:
        env = {**os.environ, "REPUB_DB": str(self.db), "REPUB_HOST_MAP": self.host_map}
        env.pop("REPUB_DATABASE_URL", None)
        env.pop("REPUB_TOKEN", None)
        return env

    def repub(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([str(REPUB), *argv], env=self.env(), capture_output=True, text=True,
                              timeout=300)
        if check and proc.returncode != 0:
            raise AssertionError(f"repub {' '.join(argv)}: exit {proc.returncode}\n{proc.stderr}")
        return proc

    def records(self, *argv: str) -> list[dict]:
        """The ``--json`` records a command prints (one a line)."""
        return [json.loads(line) for line in self.repub(*argv).stdout.splitlines() if line.startswith("{")]


def _troubled_routes(web: TestWeb) -> None:
    def answer(status: int, body: bytes, ctype: str = "text/html; charset=utf-8", **headers: str) -> Response:
        return status, {"Content-Type": ctype, **headers}, body

    host = "/www.troubled.example"
    items = "".join(f"<item><title>{path}</title><link>{TROUBLED}{path}</link>"
                    "<pubDate>Mon, 01 Dec 2025 09:00:00 +0000</pubDate></item>" for path in TROUBLES)
    feed = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Troubled</title>'
            f"<link>{TROUBLED}/</link>{items}</channel></rss>").encode()
    web.route(f"{host}/feed/", lambda _h: answer(200, feed, "application/rss+xml"))
    robots = b"User-agent: *\nDisallow: /blocked/\n"
    web.route(f"{host}/robots.txt", lambda _h: answer(200, robots, "text/plain"))
    busy = {"Retry-After": "0"}
    web.route(f"{host}/busy/story/", lambda _h: answer(429, b"slow down", "text/plain", **busy))
    challenge = b"<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"
    web.route(f"{host}/walled/story/", lambda _h: answer(403, challenge, **{"cf-mitigated": "challenge"}))
    web.route(f"{host}/files/report.pdf", lambda _h: answer(200, b"%PDF-1.4 not a page", "application/pdf"))
    web.route(f"{host}/empty/story/", lambda _h: answer(200, b"<html><body><nav>Home</nav></body></html>"))


def _sources(path: Path) -> Path:
    path.write_text(
        '[settings]\nuser_agent = "repub-test/0.1 (+https://example.org/repub-test)"\n\n'
        f'[[source]]\nname = "tms"\nsite = "{TMS}/"\nfeeds = ["{TMS}/feed/"]\n'
        'include = ["^https://(www\\\\.)?transcend\\\\.org/tms/\\\\d{4}/\\\\d{2}/[^/]+/$"]\n'
        "follow_originals = true\nrate = 200.0\nconcurrency = 4\nmax_new = 50\n\n"
        f'[[source]]\nname = "troubled"\nsite = "{TROUBLED}/"\nfeeds = ["{TROUBLED}/feed/"]\n'
        "follow_originals = false\nrate = 200.0\nconcurrency = 4\nmax_new = 50\n",
        encoding="utf-8")
    return path


@contextmanager
def build_world(directory: Path) -> Iterator[World]:
    """The database of the web tests, in ``directory``; the fixture web keeps serving while in use."""
    with TestWeb() as web:
        plain = {"Content-Type": "text/plain"}
        web.route("/www.transcend.org/robots.txt", lambda _h: (200, plain, FAST_ROBOTS))
        _troubled_routes(web)
        world = World(directory / "repub.db",
                      web.host_map(*fixture_hosts(), "www.e-ir.info", "www.troubled.example"), web)
        copies = [f.url for f in all_fixtures() if f.expected.get("original")]
        others = [f.url for f in all_fixtures()
                  if not f.expected.get("original") and f.host not in ("www.rt.com", "www.reuters.com",
                                                                       "consortiumnews.com")]
        world.repub("import", *copies, *others)
        world.repub("ingest", "--sources", str(_sources(directory / "sources.toml")), check=False)
        page = (FIXTURE_SITES / RT_PATH.strip("/") / "index.html").read_text(encoding="utf-8")
        changed = page.replace("Is It Time for Washington to Panic?", CHANGED_TITLE)
        web.route(RT_PATH, lambda _h: (200, {"Content-Type": "text/html; charset=utf-8"}, changed.encode()))
        web.route(HOSTILE_PATH, lambda _h: (404, {"Content-Type": "text/html"}, b"<html>gone</html>"))
        world.repub("resync", "--url", RT_URL, "--url", HOSTILE, check=False)
        del web.routes[RT_PATH], web.routes[HOSTILE_PATH]
        yield world


class Served:
    """``repub serve`` in a subprocess on a free port of 127.0.0.1; ``base`` is its address."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen([str(REPUB), "serve", "--port", "0", *args], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        found = re.search(r"on (http://\S+?)/ ", line)
        if found is None:
            self.proc.kill()
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"repub serve did not start: {line!r} {err}")
        self.base = found.group(1)
        self.client = httpx.Client(base_url=self.base, timeout=60)

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return self.client.get(path, **kwargs)  # type: ignore[arg-type]

    def stop(self) -> tuple[int, str]:
        """SIGTERM, as a service manager stops it: its exit code and what it wrote on stderr."""
        self.client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            _out, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _out, err = self.proc.communicate()
        return self.proc.returncode, err

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
