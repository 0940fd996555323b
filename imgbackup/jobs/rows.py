"""Several jobs queued with one INSERT: the rows django-tasks-db's ``DatabaseBackend.enqueue``
writes, one statement for all of them instead of one ``Model.save()`` each.

An upload queues two jobs (thumbnail, preview) inside its transaction. Through
``Task.enqueue`` each cost ~0.5 ms of CPU in the request: a copy of the task, the ORM compiling
an INSERT, the row read back into a ``TaskResult`` for the ``task_enqueued`` signal. Here each
row is built as the backend builds it (its id function, ``normalize_json`` of the arguments, the
task's priority, queue and path, the model's defaults, the ``pre_save`` signal that fills
``run_after``, each field's own ``pre_save`` and ``get_db_prep_save``); only the SQL text is
ours, made once per row count. The rows go in the caller's transaction, as ``create()``'s did.
``tests/jobs/test_rows.py`` compares a row written here with one ``Task.enqueue`` writes,
column by column, so a django-tasks-db that builds its row differently fails it.

``task_enqueued`` is sent (with each row's ``TaskResult``) only when someone listens beyond
django-tasks' own receiver, which writes one DEBUG log line: nothing in imgbackup does.
A task of another backend is enqueued its own way."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.signals import post_save, pre_save
from django_tasks.base import Task
from django_tasks.signals import log_task_enqueued, task_enqueued
from django_tasks.utils import normalize_json
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

# Rows per INSERT: 16 parameters each, well under SQLite's oldest limit of 999.
CHUNK = 50
_SQL: dict[tuple[str, int], str] = {}


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
        _insert(rows)
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


def _insert(rows: list[DBTaskResult[Any, Any]]) -> None:
    alias = router.db_for_write(DBTaskResult)
    connection = connections[alias]
    fields = DBTaskResult._meta.local_concrete_fields
    # As Model.save_base: no savepoint, and an error marks the caller's transaction for rollback.
    with transaction.atomic(using=alias, savepoint=False):
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            values: list[Any] = []
            for row in chunk:
                pre_save.send(sender=DBTaskResult, instance=row, raw=False, using=alias,
                              update_fields=None)
                values.extend(f.get_db_prep_save(f.pre_save(row, True), connection)
                              for f in fields)
            with connection.cursor() as cursor:
                cursor.execute(_sql(connection, len(chunk)), values)
        for row in rows:
            row._state.adding, row._state.db = False, alias
            post_save.send(sender=DBTaskResult, instance=row, created=True, update_fields=None,
                           raw=False, using=alias)


def _sql(connection: BaseDatabaseWrapper, count: int) -> str:
    key = (connection.vendor, count)
    sql = _SQL.get(key)
    if sql is None:
        meta = DBTaskResult._meta
        quote = connection.ops.quote_name
        one = f"({', '.join(['%s'] * len(meta.local_concrete_fields))})"
        sql = (f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608 - names from the model
               f"({', '.join(quote(f.column) for f in meta.local_concrete_fields)}) "
               f"VALUES {', '.join([one] * count)}")
        _SQL[key] = sql
    return sql


def _heard(sender: type[DatabaseBackend]) -> bool:
    """Whether ``task_enqueued`` reaches more than django-tasks' DEBUG log line."""
    if logging.getLogger("django_tasks").isEnabledFor(logging.DEBUG):
        return True
    sync, asynchronous = task_enqueued._live_receivers(sender)
    return any(receiver is not log_task_enqueued for receiver in [*sync, *asynchronous])
