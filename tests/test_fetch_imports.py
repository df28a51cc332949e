"""What importing the fetch stage costs a process: httpx without its command line (repub.fetch)."""

from __future__ import annotations

import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          timeout=120).stdout.strip()


def test_httpx_still_imports_its_command_line_eagerly() -> None:
    """The reason for repub.fetch's stand-in: when httpx stops doing this (encode/httpx pull request
    3547), this fails and the stand-in can go."""
    spec = find_spec("httpx")
    assert spec is not None and spec.origin is not None
    assert "from ._main import main" in Path(spec.origin).read_text("utf-8")
    assert _run("import sys, httpx; print('rich' in sys.modules, 'click' in sys.modules)") == "True True"


def test_the_fetch_stage_imports_httpx_without_rich_pygments_or_click() -> None:
    out = _run("import sys, repub.fetch.client, httpx\n"
               "print(sorted(m for m in ('rich', 'pygments', 'click') if m in sys.modules),"
               " httpx.main.__qualname__.split('.')[0], type(httpx.Client).__name__)")
    assert out == "[] _defer_httpx_command_line type"


def test_httpx_main_still_runs_httpx_command_line() -> None:
    out = _run("import repub.fetch, httpx\n"
               "code = httpx.main(['--help'], standalone_mode=False)\n"
               "import sys; print('END', code, 'rich' in sys.modules)")
    assert "Usage: httpx" in out and out.endswith("END 0 True")
