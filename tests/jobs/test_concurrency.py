"""Several job loops at once, in threads of one process (IMGBACKUP_JOB_THREADS) and in several
processes, on the real database of the run (a SQLite file; PostgreSQL under with-backends):
every job runs exactly once, an error in a loop loses no job, each thread has its own
connection and closes it, and SQLite's "database is locked" never fails a job."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from conftest import RUN_DATABASE, on_postgres
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import OperationalError, connection, connections
from django.db.backends.signals import connection_created
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from imgbackup.jobs import queue, worker
from imgbackup.jobs.worker import Worker
from imgbackup.photos import background

pytestmark = pytest.mark.django_db(transaction=True)

# A process of workers: it waits for the test's signal so that every claimer starts at once.
CHILD = """
import os, sys, time
from pathlib import Path
import django
django.setup()
from imgbackup.photos import background
from imgbackup.jobs.worker import Worker

runs, ready, go = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])

def record(sha256, kind):
    with runs.open("a") as out:
        out.write(sha256 + "\\n")
    time.sleep(0.02)
    return "made"

background.make_derived = record
ready.touch()
while not go.exists():
    time.sleep(0.01)
Worker(interval=0.05, batch=True, parent_pid=None, threads=3).run()
"""


def _test_database_url() -> str:
    name = str(connection.settings_dict["NAME"])
    if on_postgres():
        return RUN_DATABASE.rsplit("/", 1)[0] + "/" + name
    return f"sqlite:///{name}"


def _enqueue(count: int) -> list[str]:
    shas = [f"{i:064x}" for i in range(count)]
    for sha in shas:
        queue.enqueue(background.make_derived, sha, "thumbnail")
    return shas


def _recorder(runs: Path, pause: float = 0.02, write: bool = False) -> Any:
    def record(sha256: str, kind: str) -> str:
        if write:  # a write of its own, as a real job's (the derived image's row)
            Group.objects.create(name=sha256[-20:])
        with runs.open("a") as out:
            out.write(sha256 + "\n")
        time.sleep(pause)
        return "made"
    return record


def _runs(runs: Path) -> Counter[str]:
    return Counter(runs.read_text().split()) if runs.exists() else Counter()


def _statuses() -> Counter[str]:
    return Counter(DBTaskResult.objects.values_list("status", flat=True))


def _report() -> str:
    out = StringIO()
    call_command("jobs", stdout=out)  # exits 1 when any job gave up
    return out.getvalue()


@pytest.mark.slow
def test_threads_of_several_processes_run_every_job_exactly_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shas = _enqueue(60)
    runs = tmp_path / "runs"
    go = tmp_path / "go"
    env = {**os.environ, "IMGBACKUP_DATABASE_URL": _test_database_url(),
           "DJANGO_SETTINGS_MODULE": "imgbackup.settings"}
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(runs),
                                  str(tmp_path / f"ready{i}"), str(go)], env=env)
                for i in range(2)]
    try:
        deadline = time.monotonic() + 120
        while not all((tmp_path / f"ready{i}").exists() for i in range(2)):
            assert time.monotonic() < deadline, "the worker processes did not start"
            assert all(child.poll() is None for child in children)
            time.sleep(0.05)
        monkeypatch.setattr(background, "make_derived", _recorder(runs))
        go.touch()
        Worker(interval=0.05, batch=True, parent_pid=None, threads=2).run()
        assert [child.wait(timeout=120) for child in children] == [0, 0]
    finally:
        for child in children:
            child.kill()
    ran = _runs(runs)
    assert sorted(ran) == sorted(shas)
    assert [sha for sha, times in ran.items() if times > 1] == []  # none ran twice
    rows = list(DBTaskResult.objects.all())
    assert {row.status for row in rows} == {TaskResultStatus.SUCCESSFUL}
    assert all(len(row.worker_ids) == 1 for row in rows)  # claimed once each
    claimers = {row.worker_ids[0] for row in rows}
    assert len({claimer.split(":")[1] for claimer in claimers}) == 3  # three processes took part
    assert len(claimers) >= 5  # and threads of them
    assert "ready: 0  running: 0  failed: 0  successful: 60" in _report()


def test_a_loop_that_fails_recording_a_result_gives_its_job_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database goes away as one thread records its job's result: the job is queued
    again (its worker counted as dead once) and run again; every loop goes on."""
    shas = _enqueue(8)
    runs = tmp_path / "runs"
    monkeypatch.setattr(background, "make_derived", _recorder(runs))
    failed_once: list[str] = []
    recorded = DBTaskResult.set_successful

    def away_once(row: DBTaskResult[Any, Any], value: Any) -> None:
        if not failed_once and row.args_kwargs["args"][1][0] == shas[3]:
            failed_once.append(threading.current_thread().name)
            raise OperationalError("server closed the connection unexpectedly")
        recorded(row, value)

    monkeypatch.setattr(DBTaskResult, "set_successful", away_once)
    Worker(interval=0.05, batch=True, parent_pid=None, threads=2).run()
    assert failed_once
    ran = _runs(runs)
    assert ran[shas[3]] == 2 and all(ran[sha] == 1 for sha in shas if sha != shas[3])
    assert _statuses() == Counter({TaskResultStatus.SUCCESSFUL: 8})
    again = DBTaskResult.objects.get(args_kwargs__args__1=[shas[3], "thumbnail"])
    assert len(again.worker_ids) == 2
    assert "running: 0  failed: 0  successful: 8" in _report()


def test_a_loop_that_fails_claiming_goes_on(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    shas = _enqueue(4)
    runs = tmp_path / "runs"
    monkeypatch.setattr(background, "make_derived", _recorder(runs))
    claim = worker.claim_next
    failures = iter([True, False])

    def flaky(worker_id: str) -> Any:
        if next(failures, False):
            raise OperationalError("could not connect to server")
        return claim(worker_id)

    monkeypatch.setattr(worker, "claim_next", flaky)
    Worker(interval=0.05, batch=True, parent_pid=None, threads=1).run()
    assert _runs(runs) == Counter({sha: 1 for sha in shas})
    assert _statuses() == Counter({TaskResultStatus.SUCCESSFUL: 4})


def test_each_thread_has_its_own_connection_and_closes_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _enqueue(12)
    monkeypatch.setattr(background, "make_derived", _recorder(tmp_path / "runs", pause=0.05))
    opened: list[tuple[str, Any]] = []

    def note(sender: Any, connection: Any, **kwargs: Any) -> None:
        opened.append((threading.current_thread().name, connection))

    connection_created.connect(note)
    try:
        Worker(interval=0.05, batch=True, parent_pid=None, threads=3).run()
    finally:
        connection_created.disconnect(note)
    by_threads = [(name, wrapper) for name, wrapper in opened if name.startswith("jobs-")]
    assert {name for name, _ in by_threads} == {"jobs-1", "jobs-2"}
    assert len({id(wrapper) for _, wrapper in by_threads}) == len(by_threads)
    assert all(wrapper.connection is None for _, wrapper in by_threads)  # closed
    assert _statuses() == Counter({TaskResultStatus.SUCCESSFUL: 12})


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Connections that wait 0.05 s for SQLite's write lock (30 s in production), so that a
    write held for a second makes them meet "database is locked"."""
    monkeypatch.setitem(connections["default"].settings_dict["OPTIONS"], "timeout", 0.05)
    connections["default"].close()
    yield
    connections["default"].close()


def _hold_the_write_lock(after: float, seconds: float) -> threading.Thread:
    name = str(connection.settings_dict["NAME"])

    def hold() -> None:
        time.sleep(after)
        other = sqlite3.connect(name, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        time.sleep(seconds)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=hold)
    holder.start()
    return holder


@pytest.mark.skipif(on_postgres(), reason="SQLite's write lock")
def test_a_locked_sqlite_database_fails_no_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               short_busy_timeout: None) -> None:
    shas = _enqueue(30)
    runs = tmp_path / "runs"
    monkeypatch.setattr(background, "make_derived", _recorder(runs, pause=0.03, write=True))
    holder = _hold_the_write_lock(after=0.2, seconds=1.0)
    started = time.monotonic()
    Worker(interval=0.05, batch=True, parent_pid=None, threads=3).run()
    holder.join()
    assert time.monotonic() - started > 1.0  # the lock was met, and waited out
    assert _statuses() == Counter({TaskResultStatus.SUCCESSFUL: 30})
    assert _runs(runs) == Counter({sha: 1 for sha in shas})
    assert Group.objects.count() == 30
