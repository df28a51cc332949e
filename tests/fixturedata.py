"""Fixture pages and their expected records (fixtures/sites/<host>/<path>/{index.html,expected.json})."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webserver import FIXTURE_SITES


@dataclass(frozen=True)
class Fixture:
    page: Path
    expected: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.expected["url"])

    @property
    def host(self) -> str:
        return self.page.relative_to(FIXTURE_SITES).parts[0]

    def __str__(self) -> str:  # readable pytest ids
        return str(self.page.parent.relative_to(FIXTURE_SITES))


def all_fixtures() -> list[Fixture]:
    return [
        Fixture(path.with_name("index.html"), json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(FIXTURE_SITES.rglob("expected.json"))
    ]


def fixture_for(url: str) -> Fixture:
    for fixture in all_fixtures():
        if fixture.url == url:
            return fixture
    raise LookupError(f"no fixture for {url}")


def fixture_hosts() -> list[str]:
    return sorted(p.name for p in FIXTURE_SITES.iterdir() if p.is_dir())
