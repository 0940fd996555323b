"""SQLite's "database is locked" is a wait that ran out, not a failure of the job.

Every write transaction on SQLite waits up to the connection's busy timeout (30 s,
settings.py) for the one write lock. Under a long write (a bulk import, a vacuum) that wait can
run out, and SQLite answers ``database is locked``. For the queue that must never become a
failed job: claiming, recording a result and the job's own writes are run again, after a
growing pause, for up to ``PATIENCE`` seconds more (``patiently``). Any other error is raised at
once. PostgreSQL waits for row locks without a timeout, so there this never happens."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError
from django_tasks_db.utils import is_locked_database_exception

log = logging.getLogger(__name__)
T = TypeVar("T")
PATIENCE = 300.0
FIRST_PAUSE = 0.05
LONGEST_PAUSE = 2.0


def patiently(step: Callable[[], T], patience: float = PATIENCE) -> T:
    """``step()``, run again while it fails with "database is locked", for ``patience`` s."""
    deadline = time.monotonic() + patience
    pause = FIRST_PAUSE
    while True:
        try:
            return step()
        except OperationalError as exc:
            if not is_locked_database_exception(exc) or time.monotonic() > deadline:
                raise
            log.info("the database is locked; trying again in %.2f s", pause)
        time.sleep(pause)
        pause = min(pause * 2, LONGEST_PAUSE)
