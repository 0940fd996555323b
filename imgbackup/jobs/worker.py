"""A worker: claim-and-run loops over django-tasks-db's table (its claim, its way of recording
results), plus what makes a crash lose nothing and a busy SQLite fail nothing.

A job is claimed by marking its row RUNNING (``claim_next``: ``SELECT … FOR UPDATE SKIP
LOCKED`` on PostgreSQL, an exclusive transaction on SQLite), so a worker that dies leaves its
job RUNNING. A loop that hits an error with a job in hand gives it back at once.
Such rows are put back in the queue (``requeue_abandoned``): at once when the worker that
claimed it ran on this machine and its process is gone, else when it has been running for
longer than ``IMGBACKUP_JOB_LEASE_MINUTES``. A job that has killed its worker
``IMGBACKUP_JOB_ATTEMPTS`` times is marked failed instead, so it cannot kill workers forever."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker as _DbWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from imgbackup import allocator
from imgbackup.jobs.busy import patiently
from imgbackup.jobs.quiet import wait_for_quiet

log = logging.getLogger(__name__)
HOST = socket.gethostname()
HOUSEKEEPING_EVERY = 60.0
# Finished jobs are kept this long for `imgbackup jobs`, then deleted; failed ones until
# someone looks (imgbackup jobs --clear).
KEEP_SUCCESSFUL = timedelta(days=1)
# Seconds a stopping worker waits for its other loops to finish their jobs.
SIBLING_GRACE = 25.0
# A loop that failed pauses interval * 2^failures, at most this long; a batch run gives up
# after this many failures in a row.
LONGEST_PAUSE = 30.0
BATCH_FAILURES = 5


def worker_id() -> str:
    """host:pid:random. The host and pid tell a later worker whether this one is dead."""
    return f"{HOST[:40]}:{os.getpid()}:{get_random_string(8)}"


def _dead_here(claimed_by: str) -> bool:
    host, _, rest = claimed_by.partition(":")
    pid_text = rest.partition(":")[0]
    if host != HOST[:40] or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def requeue_abandoned() -> int:
    """Put the jobs of dead workers back in the queue; the number put back (or failed)."""
    lease_ends = timezone.now() - timedelta(minutes=int(settings.JOB_LEASE_MINUTES))
    count = 0
    for row in DBTaskResult.objects.running():
        claimed_by = row.worker_ids[-1] if row.worker_ids else ""
        expired = row.started_at is not None and row.started_at < lease_ends
        if expired or _dead_here(claimed_by):
            count += _release(row)
    return count


def _release(row: DBTaskResult[Any, Any]) -> int:
    with transaction.atomic():
        still = DBTaskResult.objects.select_for_update().filter(
            id=row.id, status=TaskResultStatus.RUNNING, started_at=row.started_at).first()
        if still is None:
            return 0  # finished, or released by another worker meanwhile
        if len(still.worker_ids) >= int(settings.JOB_ATTEMPTS):
            still.set_failed(WorkerDied(f"its worker died {len(still.worker_ids)} times "
                                        "while running it"))
            log.error("job %s killed its worker %d times; marked failed", still.id,
                      len(still.worker_ids))
        else:
            still.status = TaskResultStatus.READY
            still.started_at = None
            still.save(update_fields=["status", "started_at"])
            log.warning("job %s of a dead worker (%s) is queued again", still.id,
                        still.worker_ids[-1] if still.worker_ids else "?")
    return 1


def prune_finished() -> int:
    done = DBTaskResult.objects.successful().filter(
        finished_at__lt=timezone.now() - KEEP_SUCCESSFUL)
    return int(done.delete()[0])


class WorkerDied(RuntimeError):
    """Recorded as the error of a job whose workers kept dying while running it."""


def claim_next(worker_id: str) -> DBTaskResult[Any, Any] | None:
    """Mark the next due job RUNNING for ``worker_id`` and return it (None: nothing is due).

    The read and the write are one transaction that no other claimer can interleave with:
    ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (a row another claimer holds is skipped,
    one it has claimed no longer matches READY), an exclusive transaction on SQLite (one
    claimer at a time, database-wide). Threads each use their own connection (Django's
    connections are per thread), so this holds between threads as between processes."""
    with exclusive_transaction(DBTaskResult.objects.db):
        row = DBTaskResult.objects.ready().filter(backend_name="default").get_locked()
        if row is not None:
            row.claim(worker_id)
        return row


class Worker(_DbWorker):
    """One worker process; with ``threads`` > 1 (``IMGBACKUP_JOB_THREADS``) it runs that many
    claim-and-run loops, each with its own database connection and worker id: renders release
    the GIL, so one process keeps every core busy without a Python process per core.

    A loop never ends on an error (the database away for a while, a result it could not
    record): it gives back the job it holds (queued again, counted as a death of its worker,
    see ``_release``), pauses, and goes on; with ``batch`` it stops after ``BATCH_FAILURES``
    errors in a row."""

    def __init__(self, *, interval: float, batch: bool, parent_pid: int | None,
                 threads: int = 1) -> None:
        super().__init__(queue_names=["*"], interval=interval, batch=batch,
                         backend_name="default", startup_delay=False, max_tasks=None,
                         worker_id=worker_id(), excluded_queue_names=[])
        self.parent_pid = parent_pid
        self.held: DBTaskResult[Any, Any] | None = None
        self.trimmed = True  # nothing rendered yet
        self.siblings = [Worker(interval=interval, batch=batch, parent_pid=None)
                         for _ in range(max(1, threads) - 1)]

    def run(self) -> None:
        allocator.limit_arenas()  # before the loops' threads take arenas of their own
        patiently(requeue_abandoned)
        if not self.batch:
            threading.Thread(target=self._housekeeping, name="jobs-housekeeping",
                             daemon=True).start()
        loops = [threading.Thread(target=sibling._thread_loop, name=f"jobs-{i + 1}",
                                  daemon=True) for i, sibling in enumerate(self.siblings)]
        for loop in loops:
            loop.start()
        try:
            self._loop()
            if self.batch:
                # A batch is done when every loop found nothing due: one still pausing after
                # an error holds a job it will give back and run.
                for loop in loops:
                    loop.join()
        finally:
            # Stopping: the others finish the job in hand (a job cut short is run again).
            self._stop_siblings()
            for loop in loops:
                loop.join(timeout=SIBLING_GRACE)

    def _thread_loop(self) -> None:
        try:
            self._loop()
        finally:
            connections.close_all()  # this thread's own

    def _loop(self) -> None:
        try:
            self._steps()
        finally:
            if self.held is not None:  # stopped while pausing after an error
                self._give_back()

    def _steps(self) -> None:
        failures = 0
        while self.running:
            try:
                ran = self._step()
            except Exception:
                failures += 1
                log.exception("a job loop failed (%d in a row); going on", failures)
                if self.batch and failures >= BATCH_FAILURES:
                    raise
                self._forget_connection()
                time.sleep(min(LONGEST_PAUSE, self.interval * 2 ** failures))
                continue
            failures = 0
            if ran is None and self.batch:
                return  # nothing due: a batch run is done
            if not ran and self.running:
                time.sleep(self.interval)

    def _step(self) -> bool | None:
        """Claim and run one job: True when one ran, None when none was due."""
        if self.held is not None:
            self._give_back()  # first what an earlier error left in hand
        if not self.batch:
            # Uploads first: wait (holding nothing) until they go quiet (jobs/quiet.py); a
            # batch run (`imgbackup worker --batch`) was asked for now.
            wait_for_quiet(lambda: bool(self.running))
            if not self.running:
                return False
        close_old_connections()
        self.held = patiently(lambda: claim_next(self.worker_id))
        if self.held is None:
            if not self.trimmed:  # what the renders freed back to the kernel, once idle
                allocator.trim()
                self.trimmed = True
            return None
        self.trimmed = False  # not between the jobs of a burst: the next would fault it in
        self.run_task(self.held)
        self.held = None
        return True

    def run_task(self, db_task_result: DBTaskResult[Any, Any]) -> None:
        """Run the job and record how it went. An error recording it is raised: the loop
        gives the job back rather than leave it RUNNING under a live process."""
        row = db_task_result
        self.running_task = True
        try:
            try:
                result = row.task_result
                value = row.task.call(*result.args, **result.kwargs)
            except Exception as exc:
                patiently(partial(row.set_failed, exc))
            else:
                patiently(partial(row.set_successful, value))
        finally:
            self.running_task = False

    def _give_back(self) -> None:
        row = self.held
        if row is not None:
            patiently(lambda: _release(row))
            self.held = None

    def _forget_connection(self) -> None:
        """Drop this thread's connection after an error: the next query opens a fresh one."""
        try:
            connections["default"].close()
        except Exception:
            log.debug("closing a failed connection failed", exc_info=True)

    def _stop_siblings(self) -> None:
        for sibling in self.siblings:
            sibling.running = False

    def busy(self) -> bool:
        return bool(self.running_task) or any(s.running_task for s in self.siblings)

    def shutdown(self, signum: int, frame: Any) -> None:
        self._stop_siblings()
        if self.running and not self.running_task and any(
                s.running_task for s in self.siblings):
            # Let the main loop end after a sleep; run() waits for the siblings' jobs.
            self.running = False
            return
        super().shutdown(signum, frame)

    def _housekeeping(self) -> None:
        """Stop when the server that started this worker is gone (after the job in hand);
        now and then, release dead workers' jobs and prune old finished ones."""
        last = time.monotonic()
        while self.running:
            time.sleep(1.0)
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                log.warning("the server that started this worker is gone; stopping")
                self.running = False
                self._stop_siblings()
                if not self.busy():
                    os._exit(0)
            if time.monotonic() - last > HOUSEKEEPING_EVERY:
                last = time.monotonic()
                try:
                    requeue_abandoned()
                    prune_finished()
                except Exception:  # the database may be away for a while: try again later
                    log.exception("jobs housekeeping failed")
                finally:
                    close_old_connections()
