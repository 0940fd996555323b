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
column by column, so a django-tasks-db that builds its row differently fails it; the inside
names read here (``DatabaseBackend._get_id``, ``Signal._live_receivers``, the receivers told
apart) are listed in ``tests/jobs/test_private_names.py``, which names the one an upgrade moved.

``task_enqueued`` is sent (with each row's ``TaskResult``) only when someone listens beyond
django-tasks' own receiver, which writes one DEBUG log line: nothing in imgbackup does.
A task of another backend is enqueued its own way.

The rows of one task differ only in their id, their arguments and their enqueue time: the
first row of a task (with ``run_after`` unset, as every upload's) is built as above, and its
prepared values are kept (per database) as the template of the next ones, which prepare only
those three columns, each with its field's own ``get_db_prep_save`` (~0.3 ms of request CPU
per upload less: two model instances, 32 field preparations, four signals). The template is
used only while nobody but django-tasks-db listens to the model's ``pre_save`` (its receiver
fills ``run_after``) and nobody to its ``post_save`` or ``task_enqueued``; else every row is
built whole."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from django_tasks.base import Task
from django_tasks.signals import log_task_enqueued, task_enqueued
from django_tasks.utils import normalize_json
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult
from django_tasks_db.signal_handlers import set_run_after

from imgbackup.statements import Insert

# Rows per INSERT: 16 parameters each, well under SQLite's oldest limit of 999.
CHUNK = 50
_INSERT: Insert[DBTaskResult[Any, Any]] = Insert(DBTaskResult)
# A template's key: the database, the backend, and what of the task goes in its row.
Key = tuple[str, str, str, str, int, str]
_templates: dict[Key, list[Any]] = {}
_valid: set[tuple[DatabaseBackend, Task[Any, Any]]] = set()


def enqueue_all(entries: Sequence[tuple[Task[Any, Any], tuple[Any, ...]]]) -> None:
    """``task.enqueue(*args)`` for each ``(task, args)``, in that order, in one INSERT."""
    ours: list[tuple[DatabaseBackend, Task[Any, Any], tuple[Any, ...]]] = []
    for task, args in entries:
        backend = task.get_backend()
        if not isinstance(backend, DatabaseBackend):
            task.enqueue(*args)
            continue
        _validate(backend, task)
        ours.append((backend, task, args))
    if not ours:
        return
    if _quiet({type(backend) for backend, _task, _args in ours}):
        db = connections[DEFAULT_DB_ALIAS]
        _INSERT.insert_prepared([_prepared(backend, task, args, db)
                                 for backend, task, args in ours], CHUNK)
        return
    rows = [_row(backend, task, args) for backend, task, args in ours]
    _INSERT.insert_all(rows, CHUNK)
    for (backend, _task, _args), row in zip(ours, rows, strict=True):
        if _heard(type(backend)):
            task_enqueued.send(type(backend), task_result=row.task_result)


def _validate(backend: DatabaseBackend, task: Task[Any, Any]) -> None:
    """``backend.validate_task(task)``, once per backend and task: it looks only at the task
    (its function, priority, queue) and the backend's settings, which do not change while the
    process runs. Remembered only for tasks without ``run_after`` (an upload's, a handful:
    one per priority); a retry's task, with its own time, is validated each time."""
    key = (backend, task)
    if key in _valid:
        return
    backend.validate_task(task)
    if task.run_after is None:
        _valid.add(key)


def _arguments(args: tuple[Any, ...]) -> Any:
    """``normalize_json({"args": args, "kwargs": {}})``, what the backend stores: the same
    value, made without ``normalize_json``'s pattern matching against abstract classes for
    the plain values a job's arguments are (~0.03 ms per row); anything else goes through
    ``normalize_json`` itself."""
    return {"args": _plain(args), "kwargs": {}}


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is list or kind is tuple:
        return [_plain(item) for item in value]
    return normalize_json(value)


def _quiet(senders: set[type[DatabaseBackend]]) -> bool:
    """Whether rows may be written from a template: no signal reaches anyone but
    django-tasks-db's ``run_after`` filler and django-tasks' DEBUG log line (switched off)."""
    sync, asynchronous = pre_save._live_receivers(DBTaskResult)
    if [*sync, *asynchronous] != [set_run_after] or post_save.has_listeners(DBTaskResult):
        return False
    return not any(_heard(sender) for sender in senders)


def _prepared(backend: DatabaseBackend, task: Task[Any, Any], args: tuple[Any, ...],
              db: Any) -> list[Any]:
    """A row's values as ``Insert.prepared`` makes them from ``_row``'s instance."""
    if task.run_after is not None:  # a retry's row (not an upload's): no template kept
        return _INSERT.prepared(_row(backend, task, args), db)
    key = (db.alias, db.vendor, backend.alias, task.module_path, task.priority,
           task.queue_name)
    template = _templates.get(key)
    if template is None:
        row = _row(backend, task, args)
        template = _templates[key] = _INSERT.prepared(row, db)
        return list(template)
    values = list(template)
    for i, field, make in _per_row():
        values[i] = field.get_db_prep_save(make(backend, args), db)
    return values


def _now(_backend: DatabaseBackend, _args: tuple[Any, ...]) -> Any:
    return timezone.now()  # what an auto_now_add field's pre_save puts in a new row


_MAKERS = {
    "id": lambda backend, _args: backend._get_id(),
    "args_kwargs": lambda _backend, args: _arguments(args),
}


@cache
def _per_row() -> list[tuple[int, Field[Any, Any], Any]]:
    """The columns that differ from row to row: the id, the arguments, and the times the
    model fills when a row is saved (``enqueued_at``); each with what makes its value."""
    found: list[tuple[int, Field[Any, Any], Any]] = []
    for i, field in enumerate(_INSERT.fields):
        if field.name in _MAKERS:
            found.append((i, field, _MAKERS[field.name]))
        elif getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            found.append((i, field, _now))
    return found


def _row(backend: DatabaseBackend, task: Task[Any, Any],
         args: tuple[Any, ...]) -> DBTaskResult[Any, Any]:
    # The arguments DatabaseBackend._task_to_db_task gives DBTaskResult.objects.create().
    return DBTaskResult(
        id=backend._get_id(),
        args_kwargs=_arguments(args),
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
