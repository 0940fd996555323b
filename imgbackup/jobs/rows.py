"""Several jobs queued with one INSERT: the rows django-tasks-db's ``DatabaseBackend.enqueue``
writes, one statement for all of them instead of one ``Model.save()`` each.

An upload queues two jobs (thumbnail, preview) inside its transaction. Through
``Task.enqueue`` each cost ~0.5 ms of CPU in the request: a copy of the task, the ORM compiling
an INSERT, the row read back into a ``TaskResult`` for the ``task_enqueued`` signal. Here each
row is built as the backend builds it (its id function, ``normalize_json`` of the arguments, the
task's priority, queue and path, the model's defaults, the ``pre_save`` signal that fills
``run_after``, each field's own ``pre_save`` and ``get_db_prep_save``); only the SQL text is
ours, made once per row count (``statements.Insert.insert_all``, as the upload path's
INSERTs). The rows go in the caller's transaction, as ``create()``'s did.
``tests/jobs/test_rows.py`` compares a row written here with one ``Task.enqueue`` writes,
column by column, so a django-tasks-db that builds its row differently fails it.

``task_enqueued`` is sent (with each row's ``TaskResult``) only when someone listens beyond
django-tasks' own receiver, which writes one DEBUG log line: nothing in imgbackup does.
A task of another backend is enqueued its own way."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django_tasks.base import Task
from django_tasks.signals import log_task_enqueued, task_enqueued
from django_tasks.utils import normalize_json
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from imgbackup.statements import Insert

# Rows per INSERT: 16 parameters each, well under SQLite's oldest limit of 999.
CHUNK = 50
_INSERT: Insert[DBTaskResult[Any, Any]] = Insert(DBTaskResult)


def enqueue_all(entries: Sequence[tuple[Task[Any, Any], tuple[Any, ...]]]) -> None:
    """``task.enqueue(*args)`` for each ``(task, args)``, in that order, in one INSERT."""
    rows: list[DBTaskResult[Any, Any]] = []
    senders: list[type[DatabaseBackend]] = []
    for task, args in entries:
        backend = task.get_backend()
        if not isinstance(backend, DatabaseBackend):
            task.enqueue(*args)
            continue
        backend.validate_task(task)
        rows.append(_row(backend, task, args))
        senders.append(type(backend))
    if rows:
        _INSERT.insert_all(rows, CHUNK)
        for sender, row in zip(senders, rows, strict=True):
            if _heard(sender):
                task_enqueued.send(sender, task_result=row.task_result)


def _row(backend: DatabaseBackend, task: Task[Any, Any],
         args: tuple[Any, ...]) -> DBTaskResult[Any, Any]:
    # The arguments DatabaseBackend._task_to_db_task gives DBTaskResult.objects.create().
    return DBTaskResult(
        id=backend._get_id(),
        args_kwargs=normalize_json({"args": args, "kwargs": {}}),
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        run_after=task.run_after,  # type: ignore[misc]  # None: the pre_save signal fills it
        backend_name=backend.alias,
    )


def _heard(sender: type[DatabaseBackend]) -> bool:
    """Whether ``task_enqueued`` reaches more than django-tasks' DEBUG log line."""
    if logging.getLogger("django_tasks").isEnabledFor(logging.DEBUG):
        return True
    sync, asynchronous = task_enqueued._live_receivers(sender)
    return any(receiver is not log_task_enqueued for receiver in [*sync, *asynchronous])
