"""What imgbackup reads of django-tasks' and django-tasks-db's insides, which no release
promises to keep: private names (``DatabaseBackend._get_id``), the worker class of a management
command, the receivers jobs/rows.py tells apart, and Django's ``Signal._live_receivers``. The
packages are pinned (pyproject.toml); an upgrade that moves or renames one of these fails here,
naming it and the module of imgbackup that reads it, before anything subtler fails elsewhere."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest
from django.db.models.signals import pre_save
from django_tasks_db.models import DBTaskResult

pytestmark = pytest.mark.backend_independent

# (module, attribute path in it, what imgbackup reads it for)
READ = [
    ("django_tasks_db.backend", "DatabaseBackend._get_id",
     "imgbackup/jobs/rows.py: each queued row's id, made as enqueue makes it"),
    ("django.dispatch", "Signal._live_receivers",
     "imgbackup/jobs/rows.py: whether anyone but django-tasks listens to a row's signals"),
    ("django_tasks_db.signal_handlers", "set_run_after",
     "imgbackup/jobs/rows.py: the one pre_save receiver a row from a template may skip"),
    ("django_tasks.signals", "log_task_enqueued",
     "imgbackup/jobs/rows.py: the one task_enqueued receiver that may go unsent"),
    ("django_tasks_db.management.commands.db_worker", "Worker",
     "imgbackup/jobs/worker.py: the base class of imgbackup's worker"),
    ("django_tasks_db.management.commands.db_worker", "Worker.configure_signals",
     "imgbackup/jobs/management/commands/worker.py: SIGTERM and SIGINT to Worker.shutdown"),
    ("django_tasks_db.management.commands.db_worker", "Worker.shutdown",
     "imgbackup/jobs/worker.py overrides it: the signal handler configure_signals installs"),
    ("django_tasks_db.management.commands.db_worker", "Worker.run_task",
     "imgbackup/jobs/worker.py overrides it"),
    ("django_tasks_db.utils", "exclusive_transaction",
     "imgbackup/jobs/worker.py: claiming the next job"),
    ("django_tasks_db.utils", "is_locked_database_exception",
     "imgbackup/jobs/busy.py: retrying while SQLite is locked"),
]
# Set by the base worker's __init__ and read or written by imgbackup's (jobs/worker.py).
WORKER_ATTRIBUTES = ("running", "running_task", "batch", "interval", "worker_id")


def _found(module: str, path: str) -> Any:
    found: Any = importlib.import_module(module)
    for part in path.split("."):
        found = getattr(found, part)
    return found


@pytest.mark.parametrize(("module", "path", "reader"), READ,
                         ids=[f"{module}.{path}" for module, path, _ in READ])
def test_each_inside_name_imgbackup_reads_is_still_there(module: str, path: str,
                                                         reader: str) -> None:
    try:
        _found(module, path)
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"{module}.{path} moved or was renamed ({exc}); {reader}. The pinned "
                    "version (pyproject.toml) has it: adapt that module before upgrading.")


def test_the_inside_names_are_called_as_imgbackup_calls_them() -> None:
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.management.commands.db_worker import Worker

    assert list(inspect.signature(DatabaseBackend._get_id).parameters) == ["self"], (
        "DatabaseBackend._get_id takes other arguments now: imgbackup/jobs/rows.py calls it "
        "with none")
    receivers = pre_save._live_receivers(DBTaskResult)
    assert isinstance(receivers, tuple) and len(receivers) == 2, (
        "Signal._live_receivers no longer answers (sync, async): imgbackup/jobs/rows.py "
        "unpacks two lists")
    assert list(inspect.signature(Worker.shutdown).parameters) == ["self", "signum", "frame"]
    from imgbackup.jobs.worker import Worker as Ours

    worker = Ours(interval=1.0, batch=True, parent_pid=None)
    missing = [name for name in WORKER_ATTRIBUTES if name not in vars(worker)]
    assert not missing, (f"django-tasks-db's Worker.__init__ no longer sets {missing}: "
                         "imgbackup/jobs/worker.py reads them")
