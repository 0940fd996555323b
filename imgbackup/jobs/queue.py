"""The one task the queue runs: call a job function by its dotted path, and on failure enqueue
the next attempt with exponential backoff before recording this one as failed. The next attempt
keeps the job's priority: a thumbnail retried after the storage was away for a moment still goes
before every preview (photos/background.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from imgbackup.jobs.busy import patiently

if TYPE_CHECKING:
    from django_tasks.base import Task

log = logging.getLogger(__name__)
# Jobs are functions inside imgbackup only: a row naming anything else is never imported.
ALLOWED_PREFIX = "imgbackup."


@dataclass(frozen=True)
class Call:
    """``func(*args)`` as a job; a higher ``priority`` is claimed first."""
    func: Callable[..., Any]
    args: tuple[Any, ...]
    priority: int = 0


def enqueue(func: Callable[..., Any], *args: Any, priority: int = 0) -> None:
    """Queue ``func(*args)``. Inside a transaction the job commits (or not) with it."""
    enqueue_all([Call(func, args, priority)])


def enqueue_all(calls: Sequence[Call]) -> None:
    """Queue each call, in one INSERT (jobs/rows.py); inside a transaction, with it."""
    _first_attempts([(f"{c.func.__module__}.{c.func.__qualname__}", list(c.args), c.priority)
                     for c in calls])


def enqueue_path(path: str, args: list[Any], priority: int = 0) -> None:
    _first_attempts([(path, args, priority)])


def _first_attempts(jobs: list[tuple[str, list[Any], int]]) -> None:
    from imgbackup.jobs import rows  # imports the models: not while the apps load

    for path, _args, _priority in jobs:
        if not path.startswith(ALLOWED_PREFIX):
            raise ValueError(f"{path}: only functions of imgbackup can be jobs")
    rows.enqueue_all([(_runner(priority), (path, args, 1, priority))
                      for path, args, priority in jobs])


@cache
def _runner(priority: int) -> Task[Any, Any]:
    return run_job.using(priority=priority)


def pending(func: Callable[..., Any], *args: Any) -> bool:
    """Whether ``func(*args)`` is queued or running (a retry waiting its turn included)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    path = f"{func.__module__}.{func.__qualname__}"
    return DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
        args_kwargs__args__0=path, args_kwargs__args__1=list(args)).exists()


def backoff(attempt: int) -> timedelta:
    """The wait before attempt ``attempt + 1``: the base, then four times longer each time."""
    return timedelta(seconds=int(settings.JOB_RETRY_SECONDS) * 4 ** (attempt - 1))


def _retry(path: str, args: list[Any], attempt: int, priority: int, delay: timedelta) -> None:
    """The next attempt, after ``delay``: queued by django-tasks' own ``enqueue`` (a worker's
    path, not a request's)."""
    run_job.using(priority=priority, run_after=timezone.now() + delay).enqueue(
        path, args, attempt, priority)


@task()
def run_job(path: str, args: list[Any], attempt: int = 1, priority: int = 0) -> Any:
    """Run one attempt. Failing, it queues the next attempt first (unless this was the last),
    with the same ``priority``, then raises so that this attempt is recorded as failed, with its
    traceback."""
    if not path.startswith(ALLOWED_PREFIX):
        raise ValueError(f"{path}: not a job of imgbackup")
    func = import_string(path)
    try:
        return patiently(lambda: func(*args))  # jobs are idempotent: run again when locked
    except Exception:
        if attempt < int(settings.JOB_ATTEMPTS):
            wait = backoff(attempt)
            log.warning("job %s%r failed (attempt %d); again in %s", path, tuple(args),
                        attempt, wait)
            _retry(path, args, attempt + 1, priority, wait)
        else:
            log.error("job %s%r failed %d times; giving up (see imgbackup jobs)", path,
                      tuple(args), attempt)
        raise
