"""Many WARC files in one ``repub import --warc``: each file a unit, spread over processes.

With one process (or one file) the files are imported here, one after the other, a large file's
pages extracted by ``processes`` worker processes. With more, ``processes`` children are forked
(``repub.procs.Forked``, as ``repub resync`` forks its parts: everything already imported, no fork
server) and each asks for the next file when it is done with one, so a big file and many small ones
share the cores. Each child opens its own database connection; a file's progress is committed with its
pages (``repub.warc.importer``), so a child killed at any point costs nothing but the batch it held.

Ctrl-C and SIGTERM are this process's to handle (the children are helpers: they ignore both, and exit
when this process is gone): it sends each child "stop" through its pipe; a child reads it after its
next commit, records its file as interrupted and exits. The command exits 130, and the next run
resumes every file where its committed progress says.

Afterwards, with ``fetch_originals``, the originals the stored copies name that no WARC held (still
"pending") are fetched through ``repub.pipeline.Importer``, as ``repub import URL`` fetches them.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path

from ..config import Settings
from ..errors import RepubError
from ..procs import Forked
from ..store import Store
from ..store.warcfiles import count_pending_originals, pending_originals
from .importer import STORED, FileImport, FileResult, ImportOptions, describe

Progress = Callable[[int, int], None]  # (bytes done, bytes in all)
PROGRESS_EVERY = 0.2  # seconds between a child's progress reports
STOP = ("stop",)  # the parent to a child: leave after your next commit


@dataclass
class WarcRun:
    """The figures of a whole ``repub import --warc``."""

    files: list[FileResult] = field(default_factory=list)
    originals_fetched: int = 0
    originals_failed: list[str] = field(default_factory=list)
    originals_pending: int = 0  # still pending at the end
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status in ("failed", "busy")]

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for f in self.files:
            for key, value in f.counts.items():
                counts[key] = counts.get(key, 0) + value
        statuses: dict[str, int] = {}
        for f in self.files:
            statuses[f.status] = statuses.get(f.status, 0) + 1
        files = ", ".join(f"{n} {status}" for status, n in statuses.items())
        line = (f"imported {len(self.files)} WARC file{'s' if len(self.files) != 1 else ''} ({files}): "
                f"{describe(sum(f.records for f in self.files), counts)}")
        originals = []
        if self.originals_fetched or self.originals_failed:
            originals.append(f"{self.originals_fetched} fetched, {len(self.originals_failed)} failed")
        if self.originals_pending:
            originals.append(f"{self.originals_pending} pending (named by copies, in no WARC given; "
                             "--fetch-originals fetches them)")
        if originals:
            line += "; originals: " + ", ".join(originals)
        return f"{line}; {self.seconds:.1f} s" + (" (interrupted)" if self.interrupted else "")


def import_warcs(store: Store, settings: Settings, paths: list[Path], options: ImportOptions, *,
                 processes: int, fetch_originals: bool = False, progress: Progress | None = None,
                 report: Callable[[FileResult], None] | None = None) -> WarcRun:
    """Import ``paths`` into ``store``; KeyboardInterrupt (Ctrl-C, SIGTERM) ends it with ``interrupted``."""
    started = time.monotonic()
    run = WarcRun()
    sizes = [_size(p) for p in paths]
    done = [0] * len(paths)
    total = sum(sizes)
    report = report or (lambda _result: None)

    def advance(index: int, value: int) -> None:
        done[index] = value
        if progress is not None:
            progress(sum(done), total)

    def finished(index: int, result: FileResult) -> None:
        advance(index, sizes[index])
        run.files.append(result)
        report(result)

    parallel = min(processes, len(paths))
    try:
        if parallel <= 1:
            file_options = ImportOptions(options.max_bytes, options.again, max(processes, 1), options.batch)
            for index, path in enumerate(paths):
                result = FileImport(store, path, file_options, progress=_advancing(advance, index)).run()
                finished(index, result)
        else:
            _in_children(store, paths, ImportOptions(options.max_bytes, options.again, 0, options.batch),
                         parallel, advance, finished)
        if fetch_originals:
            _fetch_originals(store, settings, run)
    except KeyboardInterrupt:
        run.interrupted = True
    with contextlib.suppress(RepubError):
        run.originals_pending = count_pending_originals(store)
    run.seconds = time.monotonic() - started
    return run


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _fetch_originals(store: Store, settings: Settings, run: WarcRun) -> None:
    from ..pipeline import Importer

    importer = Importer(store, settings)
    for copy_url, original_url, outlet in pending_originals(store):
        try:
            importer.save_original(importer.fetch(original_url), copy_url=copy_url, original_url=original_url,
                                   outlet=outlet)
            run.originals_fetched += 1
        except RepubError as err:
            importer.original_failed(original_url, err)
            run.originals_failed.append(f"original {original_url} of {copy_url}: {err}")


# -- children ---------------------------------------------------------------------------------------


def _in_children(store: Store, paths: list[Path], options: ImportOptions, processes: int,
                 advance: Callable[[int, int], None], finished: Callable[[int, FileResult], None]) -> None:
    url = store.url_for_another_process()
    if url is None:  # an in-memory database: only this process can reach it
        for index, path in enumerate(paths):
            finished(index, FileImport(store, path, options, progress=_advancing(advance, index)).run())
        return
    names = [str(p) for p in paths]
    children = [Forked(_child, url, names, options, name="repub-warc") for _ in range(processes)]
    todo = list(range(len(paths)))
    open_conns = {child.conn: child for child in children}
    try:
        _serve(open_conns, todo, names, advance, finished)
    except KeyboardInterrupt:
        todo.clear()
        for child in open_conns.values():
            child.send(STOP)
        with contextlib.suppress(KeyboardInterrupt):
            _serve(open_conns, todo, names, advance, finished)  # their last results: what each recorded
        raise
    finally:
        for child in children:
            child.join()  # each has left its loop (or died): nothing here waits on a live import
            child.conn.close()


def _advancing(advance: Callable[[int, int], None], index: int) -> Callable[[int], None]:
    def progress(value: int) -> None:
        advance(index, value)
    return progress


def _serve(conns: dict[Connection, Forked], todo: list[int], paths: list[str],
           advance: Callable[[int, int], None], finished: Callable[[int, FileResult], None]) -> None:
    """Hand out files to the children that ask, and take their progress and results, until all left.
    A child gone without the result of the file it held (killed, out of memory) fails that file: its
    committed progress stays, and the next run resumes it."""
    holding: dict[Connection, int | None] = {}
    while conns:
        for conn in wait(list(conns)):
            assert isinstance(conn, Connection)
            try:
                message = conn.recv()
            except (EOFError, OSError):
                child = conns.pop(conn)
                index = holding.pop(conn, None)
                if index is not None:
                    why = f"the import process died (exit code {child.join()}); run again to resume"
                    finished(index, FileResult(paths[index], "failed", error=f"{paths[index]}: {why}"))
                continue
            kind = message[0]
            if kind == "ready":
                holding[conn] = todo.pop(0) if todo else None
                with contextlib.suppress(OSError):  # gone since: its EOF comes next
                    conn.send(holding[conn])
            elif kind == "progress":
                advance(message[1], message[2])
            elif kind == "result":
                holding[conn] = None
                finished(message[1], FileResult(**message[2]))
            elif kind == "failed":
                raise RepubError(f"an import process failed: {message[1]}")


def _child(conn: Connection, url: str, paths: list[str], options: ImportOptions) -> None:
    """A forked helper (``Forked``: Ctrl-C and SIGTERM ignored, gone with the command): files until
    none is left, or until the parent says stop (read after each commit, as a KeyboardInterrupt: the
    file in hand is recorded as interrupted, and it exits)."""
    try:
        _files(url, paths, options, conn)
    except KeyboardInterrupt:
        pass
    except Exception as err:  # noqa: BLE001 - the parent reports it as that file's failure, one line
        with contextlib.suppress(OSError, ValueError):
            conn.send(("failed", f"{type(err).__name__}: {err}"))


def _files(url: str, paths: list[str], options: ImportOptions, conn: Connection) -> None:
    with Store.open(url, migrate=False) as store:
        while True:
            conn.send(("ready",))
            index = conn.recv()
            if not isinstance(index, int):  # None: no file left; STOP
                return

            def progress(value: int, i: int = index, last: list[float] = [0.0]) -> None:  # noqa: B006
                now = time.monotonic()  # ``last``: the time of the last report, shared on purpose
                if now - last[0] >= PROGRESS_EVERY:
                    last[0] = now
                    conn.send(("progress", i, value))

            try:
                result = FileImport(store, Path(paths[index]), options, progress=progress,
                                    stop=lambda: _stopped(conn)).run()
            except KeyboardInterrupt:
                conn.send(("result", index, asdict(FileResult(paths[index], "interrupted"))))
                raise
            except Exception as err:  # noqa: BLE001 - this file failed; the next ones may not
                why = f"{paths[index]}: {type(err).__name__}: {err}"
                result = FileResult(paths[index], "failed", error=why)
            conn.send(("result", index, asdict(result)))


def _stopped(conn: Connection) -> bool:
    """Whether the parent said stop (it sends nothing else while a file is in hand)."""
    return bool(conn.poll()) and conn.recv() == STOP


__all__ = ["STORED", "WarcRun", "import_warcs"]
