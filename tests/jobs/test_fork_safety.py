"""What the master does before it forks its job workers' spawner (imgbackup/jobs/spawner.py):
no database connection and no S3 client crosses the fork, no fork while another thread runs,
and what is alive is frozen so that the child shares it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import isolated_backends

from imgbackup.jobs import embedded
from imgbackup.jobs.spawner import UnsafeFork

# Each check runs in a fresh interpreter: prepare_fork looks at the whole process, and this
# one runs threads of its own (earlier tests' sync pool and MD5 helper).
CHECKS = Path(__file__).with_name("fork_checks.py")


def _check(case: str, tmp_path: Path) -> None:
    """Run one check of fork_checks.py in a fresh, single-threaded interpreter, with a database
    and a store of its own (in the PostgreSQL + S3 run, of the run's servers)."""
    env = {**os.environ, "IMGBACKUP_DATA_DIR": str(tmp_path / "data"), **isolated_backends({})}
    done = subprocess.run([sys.executable, str(CHECKS), case], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_it_closes_the_database_and_the_store_before_a_fork(tmp_path: Path) -> None:
    _check("closes", tmp_path)


def test_it_refuses_to_fork_with_a_connection_it_could_not_close(tmp_path: Path) -> None:
    _check("unclosable", tmp_path)


@pytest.mark.backend_independent
def test_it_refuses_to_fork_while_another_thread_runs(tmp_path: Path) -> None:
    _check("python_thread", tmp_path)


@pytest.mark.backend_independent
def test_it_refuses_to_fork_while_a_thread_python_does_not_know_of_runs(
        tmp_path: Path) -> None:
    _check("library_thread", tmp_path)


def test_a_forked_child_opens_a_connection_of_its_own(tmp_path: Path) -> None:
    _check("child_connection", tmp_path)


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
