"""A helper process's tie to the run that started it: gone with the run, SIGKILL included.

The extraction workers, the store process and resync's part processes each call ``exit_with(run_pid)``
first thing: a run killed with no chance to stop them (SIGKILL, the OOM killer) leaves none behind.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time


def exit_with(pid: int) -> None:
    """Exit this process (at once, ``os._exit``) as soon as process ``pid`` is gone; a daemon thread."""
    threading.Thread(target=_watch, args=(pid,), daemon=True, name="repub-lifeline").start()


def _watch(pid: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fd = os.pidfd_open(pid)  # Linux: readable when the process exits
        select.select([fd], [], [])
        os._exit(1)
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except OSError:
            pass
        time.sleep(0.2)
