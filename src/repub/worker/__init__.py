"""``repub worker``: claim URLs from the database queue, fetch, store, repeat (many processes, many
machines). See repub.store.queue for the claim protocol and docs/scaling.md."""

from repub.worker.worker import Worker, WorkerOptions, WorkerResult

__all__ = ["Worker", "WorkerOptions", "WorkerResult"]
