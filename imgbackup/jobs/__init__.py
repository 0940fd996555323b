"""Background jobs: the one door the rest of imgbackup uses to run work later.

Callers name a plain function by reference and its JSON-able arguments::

    from imgbackup import jobs
    jobs.enqueue(make_derived, sha256, "thumbnail")
    jobs.enqueue_all([jobs.Call(make_derived, (sha256, kind)) for kind in kinds])  # one INSERT

The queue is Django's tasks framework (the ``django-tasks`` backport) with the database backend
of ``django-tasks-db``: a job is a row in the same database as the photos, so enqueueing inside
a transaction commits or rolls back with it, and a queued job survives any crash. A job that
raises is run again later with a growing delay (``IMGBACKUP_JOB_ATTEMPTS``,
``IMGBACKUP_JOB_RETRY_SECONDS``), then left failed for ``imgbackup jobs`` to report. Jobs must be
idempotent: a worker that dies half-way has its job run again (see jobs/worker.py)."""

from __future__ import annotations

from imgbackup.jobs.queue import Call, enqueue, enqueue_all, pending

__all__ = ["Call", "enqueue", "enqueue_all", "pending"]
