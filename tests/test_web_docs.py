"""docs/web.md's API examples, run as written against ``repub serve`` over the web tests' database
(tests/webworld.py): each ```python block must print exactly the ```text block that follows it.

The only change made to an example is its ``BASE = "http://127.0.0.1:8080"`` line, pointed at the
server of the test; so a change of the API, of the records or of the fixture data that the docs no
longer describe fails here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from webworld import Served, World

DOC = Path(__file__).resolve().parent.parent / "docs" / "web.md"
BASE_LINE = re.compile(r'^BASE = "http://127\.0\.0\.1:8080"', re.M)
EXAMPLE = re.compile(r"```python\n(?P<code>.*?)```\n\n```text\n(?P<shown>.*?)```", re.S)


def examples() -> list[tuple[str, str]]:
    found = [(m["code"], m["shown"]) for m in EXAMPLE.finditer(DOC.read_text(encoding="utf-8"))]
    return [(code, shown) for code, shown in found if BASE_LINE.search(code)]


def test_the_doc_has_its_examples() -> None:
    # the search, the article (and a 404) and the export: each with what it prints
    assert len(examples()) == 3
    assert ["/api/search" in c for c, _ in examples()] == [True, False, False]
    assert ["/api/article" in c for c, _ in examples()] == [False, True, False]
    assert ["/api/export" in c for c, _ in examples()] == [False, False, True]


@pytest.fixture(scope="module")
def served(web_world: World) -> Iterator[Served]:
    with Served(web_world.env()) as server:
        yield server


@pytest.mark.parametrize("number", range(len(examples())))
def test_each_api_example_prints_what_the_doc_shows(served: Served, number: int, tmp_path: Path) -> None:
    code, shown = examples()[number]
    script = tmp_path / "example.py"
    script.write_text(BASE_LINE.sub(f'BASE = "{served.base}"', code), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == shown, f"the example printed:\n{proc.stdout}"
