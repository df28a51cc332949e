"""docs/python.md's examples, run as they are: every ```python block in order, in one namespace, in a
fresh directory, with the fixture web serving the real hostnames (REPUB_HOST_MAP) and a fresh database
(REPUB_DB). The blocks assert what they show, so a stale example fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import repub
from fixturedata import fixture_hosts
from test_ingest import FAST_ROBOTS
from webserver import TestWeb

ROOT = Path(__file__).resolve().parent.parent


def blocks() -> list[str]:
    text = (ROOT / "docs" / "python.md").read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```$", text, re.S | re.M)


def test_the_examples_of_docs_python_md_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = blocks()
    assert len(found) == 3
    with TestWeb() as web:
        robots = (200, {"Content-Type": "text/plain"}, FAST_ROBOTS)
        web.route("/www.transcend.org/robots.txt", lambda _h: robots)
        monkeypatch.setenv("REPUB_HOST_MAP", web.host_map(*fixture_hosts()))
        monkeypatch.setenv("REPUB_DB", str(tmp_path / "repub.db"))
        monkeypatch.delenv("REPUB_DATABASE_URL", raising=False)
        monkeypatch.chdir(tmp_path)
        namespace: dict[str, object] = {}
        for number, code in enumerate(found, 1):
            exec(compile(code, f"docs/python.md block {number}", "exec"), namespace)  # noqa: S102


def test_the_api_names_are_all_there() -> None:
    for name in repub.__all__:
        assert getattr(repub, name) is not None, name
    with pytest.raises(AttributeError):
        _ = repub.no_such_name  # type: ignore[attr-defined]
