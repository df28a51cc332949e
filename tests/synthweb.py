"""``SyntheticWeb``: every GET /<host>/a/<n>/ of a few hosts answers a small generated article, and the
server notes when each request arrived (the worker tests and bench/workers_bench.py judge per-host
rates and fetch counts from it)."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict

from webserver import Response, TestWeb

PARAGRAPH = ("The committee met on Tuesday to discuss the proposal in detail, and members from every "
             "region raised questions about the budget, the schedule and the people affected by it. ")


class SyntheticWeb:
    """Every GET /<host>/a/<n>/ answers a generated article; ``times[host]`` are arrival times."""

    def __init__(self, web: TestWeb, hosts: list[str], delay: float = 0.0) -> None:
        self.web, self.hosts, self.delay = web, hosts, delay  # delay: seconds per answer (a slow site)
        self.times: dict[str, list[float]] = defaultdict(list)
        self.paths: Counter[str] = Counter()
        self.robots: dict[str, str] = {}  # host -> robots.txt text; other hosts answer 404
        self.robots_asked: Counter[str] = Counter()
        self._lock = threading.Lock()
        web.static = self._serve  # type: ignore[method-assign]  # every path not routed comes here

    def _serve(self, path: str) -> Response:
        host = path.strip("/").split("/", 1)[0]
        if path.endswith("/robots.txt"):  # not an article: counted apart from the pages
            with self._lock:
                self.robots_asked[host] += 1
            if host not in self.robots:
                return 404, {"Content-Type": "text/plain", "Connection": "close"}, b"no robots.txt"
            return 200, {"Content-Type": "text/plain", "Connection": "close"}, self.robots[host].encode()
        with self._lock:
            self.times[host].append(time.monotonic())
            self.paths[path] += 1
        if self.delay:
            time.sleep(self.delay)
        n = path.rstrip("/").rsplit("/", 1)[-1]
        body = (f"<html><head><title>Article {n} on {host}</title>"
                f'<meta name="author" content="Writer {n}"></head><body><article>'
                f"<h1>Article {n} on {host}</h1><p>Published 2024-07-01.</p>"
                + "".join(f"<p>{PARAGRAPH}Item {n}, part {i}.</p>" for i in range(4))
                + "</article></body></html>")
        # Connection: close: http.server writes headers and body apart, which on a kept-alive
        # connection meets delayed ACKs (40 ms a page); a real site does not behave so
        return 200, {"Content-Type": "text/html; charset=utf-8", "Connection": "close"}, body.encode()

    def urls(self, count: int) -> list[str]:
        return [f"https://{self.hosts[i % len(self.hosts)]}/a/{i}/" for i in range(count)]

    def host_map(self) -> str:
        return self.web.host_map(*self.hosts)

    def max_in_window(self, host: str, window: float = 1.0) -> int:
        """The most requests to ``host`` that started within any ``window`` seconds."""
        times = sorted(self.times[host])
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best
