"""What ``imgbackup jobs`` tells: how many jobs wait, run and failed, and which gave up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from imgbackup.jobs.queue import enqueue_path
from imgbackup.jobs.worker import WorkerDied

SHOWN = 200


@dataclass(frozen=True)
class Failure:
    id: str
    job: str
    args: list[Any]
    attempts: int
    priority: int
    finished_at: datetime | None
    error: str


def counts() -> dict[str, int]:
    rows = DBTaskResult.objects.values("status").annotate(n=Count("id"))
    found = {row["status"]: int(row["n"]) for row in rows}
    return {status.lower(): found.get(status, 0) for status in TaskResultStatus.values}


def given_up(limit: int = SHOWN) -> list[Failure]:
    """Failed jobs that will not run again: their last attempt failed, or their workers kept
    dying. (A failed attempt with attempts left has its next attempt queued already.)"""
    found: list[Failure] = []
    rows = DBTaskResult.objects.failed().order_by("-finished_at")
    for row in rows.iterator():
        failure = _failure(row)
        if failure.attempts >= int(settings.JOB_ATTEMPTS) or row.exception_class_path.endswith(
                WorkerDied.__name__):
            found.append(failure)
            if len(found) >= limit:
                break
    return found


def retry(failures: list[Failure]) -> int:
    """Queue each given-up job again from its first attempt, and forget the failure."""
    for failure in failures:
        enqueue_path(failure.job, failure.args, failure.priority)
        DBTaskResult.objects.filter(id=failure.id).delete()
    return len(failures)


def _failure(row: DBTaskResult[Any, Any]) -> Failure:
    args = row.args_kwargs.get("args", [])
    job = args[0] if args and isinstance(args[0], str) else row.task_path
    job_args = args[1] if len(args) > 1 and isinstance(args[1], list) else []
    attempts = args[2] if len(args) > 2 and isinstance(args[2], int) else 1
    lines = [line for line in row.traceback.strip().splitlines() if line.strip()]
    return Failure(id=str(row.id), job=job, args=job_args, attempts=attempts,
                   priority=row.priority, finished_at=row.finished_at,
                   error=lines[-1] if lines else "")
