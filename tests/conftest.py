"""Shared test set-up: tests/ on sys.path for the local web server and fixture helpers."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
