"""The checks of tests/jobs/test_fork_safety.py, each run in a fresh interpreter: what
``prepare_fork`` looks at is the whole process (its threads, its connections), and the test
process runs threads of its own (earlier tests' sync pool and MD5 helper) that would make every
fork refused there. ``python fork_checks.py CASE``: exit status 0 when the check holds, else a
traceback. The database and the store are those of the environment (the test run's)."""

from __future__ import annotations

import _thread
import gc
import os
import sys
import threading

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "imgbackup.settings"
django.setup()

from django.db import connection, connections  # noqa: E402

from imgbackup.jobs import spawner  # noqa: E402
from imgbackup.jobs.spawner import UnsafeFork, prepare_fork  # noqa: E402
from imgbackup.storage import check_storage, open_connections  # noqa: E402


def _connected() -> None:
    """Open what the master holds after `imgbackup serve`'s checks: the database and, on S3,
    a client of the store."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    check_storage()


def _refused(match: str) -> None:
    try:
        prepare_fork()
    except UnsafeFork as exc:
        assert match in str(exc), f"refused for another reason: {exc}"
    else:
        raise AssertionError("prepare_fork did not refuse")


def closes() -> None:
    assert spawner.os_threads() == 1, "not a single-threaded process: nothing is checked"
    _connected()
    assert "database 'default'" in open_connections()
    prepare_fork()
    assert open_connections() == [], open_connections()
    assert gc.get_freeze_count() > 10_000  # Django and imgbackup, out of the child's collector


def unclosable() -> None:
    _connected()
    connections.close_all = lambda: None
    _refused("database 'default'")


def python_thread() -> None:
    release = threading.Event()
    other = threading.Thread(target=release.wait, name="holder")
    other.start()
    try:
        _refused("holder")
    finally:
        release.set()
        other.join()


def library_thread() -> None:
    hold = _thread.allocate_lock()
    hold.acquire()
    _thread.start_new_thread(hold.acquire, ())  # as a C library's pool would: not in threading
    assert threading.active_count() == 1
    _refused("threads of a library")
    hold.release()


def child_connection() -> None:
    assert spawner.os_threads() == 1, "not a single-threaded process: nothing is checked"
    _connected()
    parent_backend = _backend_id()
    prepare_fork()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, never return into the parent's code
        code = 1
        try:
            inherited = connection.connection is not None
            os.write(write_fd, f"{inherited} {_backend_id()}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    said = os.read(read_fd, 200).decode().split()
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    assert said[0] == "False", said  # nothing inherited: the child connected by itself
    if connection.vendor == "postgresql":  # one shared with the parent: the same server process
        assert int(said[1]) != parent_backend, said


def _backend_id() -> int:
    query = "SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT 0"
    with connection.cursor() as cursor:
        cursor.execute(query)
        return int(cursor.fetchone()[0])


if __name__ == "__main__":
    {"closes": closes, "unclosable": unclosable, "python_thread": python_thread,
     "library_thread": library_thread, "child_connection": child_connection}[sys.argv[1]]()
