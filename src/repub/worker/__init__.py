"""``repub worker``: the work queue's processes, on procrastinate (PostgreSQL); run many, anywhere.

``jobs`` (the jobs repub queues and their host lanes), ``tasks`` (what each job does, the engine's
retry strategy, the scheduled runs), ``worker`` (one process under a supervisor: reconnection,
stalled jobs, exit when empty). See docs/scaling.md."""

from repub.worker.worker import Worker, WorkerOptions, WorkerResult

__all__ = ["Worker", "WorkerOptions", "WorkerResult"]
