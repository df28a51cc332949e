"""Processes a test started, seen from outside (ps and /proc): their children, and whether they live."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def alive(pid: int) -> bool:
    """Running (a zombie, exited but not yet waited for, is not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def wait_gone(pids: list[int], seconds: float = 60) -> list[int]:
    """The ones of ``pids`` still alive after waiting up to ``seconds`` for all to exit."""
    deadline = time.monotonic() + seconds
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def opens(pid: int, path: str) -> int:
    """How many of process ``pid``'s file descriptors have the file ``path`` open."""
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):  # closed meanwhile
            count += os.readlink(f"/proc/{pid}/fd/{fd}") == path
    return count
