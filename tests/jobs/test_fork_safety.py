"""What the master does before it forks its job workers' spawner (imgbackup/jobs/spawner.py):
no database connection and no S3 client crosses the fork, no fork while another thread runs,
and what is alive is frozen so that the child shares it."""

from __future__ import annotations

import _thread
import gc
import os
import threading
import time
from collections.abc import Iterator

import pytest
from conftest import on_postgres
from django.db import connection

from imgbackup.jobs import embedded, spawner
from imgbackup.jobs.spawner import UnsafeFork, prepare_fork
from imgbackup.storage import check_storage, open_connections


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process keeps collecting as usual


def _connected() -> None:
    """Open what the master holds after `imgbackup serve`'s checks: the database and, on S3,
    a client of the store."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    check_storage()


@pytest.mark.django_db(transaction=True)
def test_it_closes_the_database_and_the_store_before_a_fork(unfrozen: None) -> None:
    _connected()
    assert "database 'default'" in open_connections()
    prepare_fork()
    assert open_connections() == []
    assert gc.get_freeze_count() > 10_000  # Django and imgbackup, out of the child's collector


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_fork_with_a_connection_it_could_not_close(
        unfrozen: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _connected()
    monkeypatch.setattr(spawner.connections, "close_all", lambda: None)
    with pytest.raises(UnsafeFork, match="database 'default'"):
        prepare_fork()


@pytest.mark.backend_independent
def test_it_refuses_to_fork_while_another_thread_runs(unfrozen: None) -> None:
    release = threading.Event()
    other = threading.Thread(target=release.wait, name="holder")
    other.start()
    try:
        with pytest.raises(UnsafeFork, match="holder"):
            prepare_fork()
    finally:
        release.set()
        other.join()


@pytest.mark.backend_independent
def test_it_refuses_to_fork_while_a_thread_python_does_not_know_of_runs(
        unfrozen: None) -> None:
    hold = _thread.allocate_lock()
    hold.acquire()
    _thread.start_new_thread(hold.acquire, ())  # as a C library's pool would: not in threading
    try:
        assert threading.active_count() == 1
        with pytest.raises(UnsafeFork, match="threads of a library"):
            prepare_fork()
    finally:
        hold.release()
        deadline = time.monotonic() + 5
        while spawner.os_threads() > 1 and time.monotonic() < deadline:
            time.sleep(0.01)


@pytest.mark.django_db(transaction=True)
def test_a_forked_child_opens_a_connection_of_its_own(unfrozen: None) -> None:
    if spawner.os_threads() > 1:
        pytest.skip("another thread runs in this test process: no fork here")
    _connected()
    parent_backend = _backend_id()
    prepare_fork()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, never return into pytest
        code = 1
        try:
            inherited = connection.connection is not None
            os.write(write_fd, f"{inherited} {_backend_id()}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    said = os.read(read_fd, 200).decode().split()
    os.close(read_fd)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    assert said[0] == "False"  # nothing inherited: the child connected by itself
    if on_postgres():  # a connection shared with the parent would be the same server process
        assert int(said[1]) != parent_backend


def _backend_id() -> int:
    query = "SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT 0"
    with connection.cursor() as cursor:
        cursor.execute(query)
        return int(cursor.fetchone()[0])


@pytest.mark.backend_independent
def test_the_workers_are_execd_when_the_master_cannot_fork_safely(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: object) -> None:
        raise UnsafeFork("other threads run (holder)")

    started: list[str] = []
    monkeypatch.setattr(embedded.Spawner, "start", refuse)
    monkeypatch.setattr(embedded.EmbeddedWorker, "start", lambda self: started.append(self.name))
    workers = embedded.JobWorkers(2)
    workers.fork()  # gunicorn's on_starting
    workers.watch()  # its when_ready
    assert workers.spawner is None
    assert started == ["imgbackup-worker-0", "imgbackup-worker-1"]
    workers.stop()
