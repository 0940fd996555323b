"""``imgbackup serve`` runs a job worker by itself: an upload's thumbnail and preview appear in
storage without anyone asking for them. The job worker and the web workers are forked from the
loaded server and share its memory (imgbackup/jobs/spawner.py); the job worker restarts when it
dies, stops with the server, and never outlives it."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import LiveServer, make_jpeg, start_server
from jobs.processes import alive, argv, children, eventually, name, named_child, private_share

from imgbackup.jobs.spawner import STOPPING, Spawner

SPAWNER, WORKER = "imgbackup-spawn", "imgbackup-job"


@contextlib.contextmanager
def _group_killed_after(server: LiveServer) -> Iterator[LiveServer]:
    """The block, then SIGKILL to whatever is left of the server's process group (master, web
    workers, spawner, job workers: start_server gives it a session of its own), so a test
    that fails half-way leaves no server running. Harmless once everything has ended."""
    try:
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()


def _job_worker(server: LiveServer) -> tuple[int, int]:
    """(spawner, job worker): the spawner is the server's child, the worker the spawner's."""
    spawner = eventually(lambda: named_child(server.process.pid, SPAWNER))
    return spawner, eventually(lambda: named_child(spawner, WORKER))


def test_serve_makes_derived_images_in_the_background(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        headers = {"Authorization": f"Bearer {server.user_with_token('alice')}"}
        sent = httpx.post(f"{server.url}/api/v2/photos", headers=headers,
                          files={"file": ("a.jpg", make_jpeg(1), "image/jpeg")})
        sha = sent.json()["items"][0]["id"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            made = server.stored_objects("derived/")
            if len(made) == 2:
                break
            time.sleep(0.3)
        else:
            raise AssertionError(f"not made within 30 s:\n{server.log.read_text()[-3000:]}")
        assert sorted(name.rsplit("-", 1)[1] for name in made) == ["preview", "thumbnail"]
        assert all(sha in name for name in made)
        assert "successful: 2" in server.imgbackup("jobs")
        # Forked, not exec'd: most of each worker's memory is the server's, shared. An exec'd
        # worker (or one whose collector had written its inherited objects) kept ~70 % of
        # its resident memory to itself; forked after the freeze, 10-30 %.
        spawner, worker = _job_worker(server)
        web = [pid for pid in children(server.process.pid) if pid != spawner]
        assert len(web) == 2
        for pid in [worker, *web]:
            assert private_share(pid) < 0.5, (name(pid), private_share(pid))
    finally:
        server.stop()
    assert not [pid for pid in [spawner, worker, *web] if alive(pid)]


@pytest.mark.slow
def test_the_job_worker_restarts_and_never_outlives_its_server(tmp_path: Path) -> None:
    with _group_killed_after(start_server(tmp_path)) as server:
        try:
            spawner, worker = _job_worker(server)
            os.kill(worker, signal.SIGKILL)  # dies: the spawner starts another (after 5 s)
            again = eventually(lambda: next((pid for pid in children(spawner)
                                             if name(pid) == WORKER and pid != worker), None), 30)
            os.kill(spawner, signal.SIGKILL)  # the spawner dies: its worker stops (parent gone),
            eventually(lambda: not alive(again))  # and the master execs one instead
            execd = eventually(lambda: next((pid for pid in children(server.process.pid)
                                             if "--parent-pid" in argv(pid)), None))
            assert argv(execd)[argv(execd).index("--parent-pid") + 1] == str(server.process.pid)
            assert "the job workers' spawner" in server.log.read_text()
        finally:
            os.kill(server.process.pid, signal.SIGKILL)  # killed: no on_exit, no goodbye
            server.process.wait()
        eventually(lambda: not alive(execd))  # --parent-pid: it saw its parent was gone


@pytest.mark.slow
def test_the_forked_job_workers_stop_when_the_server_is_killed(tmp_path: Path) -> None:
    with _group_killed_after(start_server(tmp_path, {"IMGBACKUP_JOB_WORKERS": "2"})) as server:
        spawner, _ = _job_worker(server)
        workers = eventually(lambda: [p for p in children(spawner) if name(p) == WORKER]
                             if len(children(spawner)) == 2 else None)
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
        eventually(lambda: not any(alive(pid) for pid in [spawner, *workers]), 15)


def test_no_job_worker_without_job_workers(tmp_path: Path) -> None:
    server = start_server(tmp_path, {"IMGBACKUP_JOB_WORKERS": "0"})
    try:
        eventually(lambda: len(children(server.process.pid)) == 2)  # the two web workers
        assert not [p for p in children(server.process.pid) if name(p) == SPAWNER]
    finally:
        server.stop()


@pytest.mark.slow
def test_a_reload_keeps_the_job_workers_and_the_stop_after_it_stops_them(
        tmp_path: Path) -> None:
    with _group_killed_after(start_server(tmp_path)) as server:
        spawner, worker = _job_worker(server)
        web = children(server.process.pid)
        os.kill(server.process.pid, signal.SIGHUP)  # new web workers, same job workers
        os.kill(spawner, signal.SIGHUP)  # as a hang-up sent to the group would: ignored
        eventually(lambda: not set(web) & set(children(server.process.pid)) - {spawner})
        assert _job_worker(server) == (spawner, worker)
        server.process.terminate()
        server.process.wait(30)
        # The master waited for them (on_exit): nothing is left the moment it has exited.
        assert not alive(spawner) and not alive(worker)


def test_a_stop_sent_to_the_whole_process_group_starts_no_job_worker_on_the_way_out(
        tmp_path: Path) -> None:
    """systemd's default stop, ``timeout`` or Ctrl-C signal the master and the spawner at once;
    the spawner, quicker to stop, must not be taken for dead and replaced while the server is
    stopping (it was, sometimes: an error logged and job workers exec'd on the way out). Made
    certain here by signalling the spawner first."""
    with _group_killed_after(start_server(tmp_path)) as server:
        spawner, worker = _job_worker(server)
        os.kill(spawner, signal.SIGTERM)
        eventually(lambda: not alive(spawner) and not alive(worker), 15)
        time.sleep(2)  # where the master used to exec a worker at once
        assert not [pid for pid in children(server.process.pid) if "--parent-pid" in argv(pid)]
        server.process.terminate()
        assert server.process.wait(60) == 0
    assert "is gone" not in server.log.read_text()


def test_a_spawner_stopped_alone_is_replaced_once_the_server_did_not_stop_with_it() -> None:
    """The same word on the pipe from a spawner signalled alone (the server does not stop):
    once the master has waited for its own stop in vain, the job workers are exec'd."""
    started: list[bool] = []
    spawner = Spawner(1, fallback=lambda: started.append(True))
    spawner.stopped_with_the_server = 0.5
    read_fd, write_fd = os.pipe()
    spawner._alive_fd = read_fd  # what start() keeps of the fork
    os.write(write_fd, STOPPING)
    os.close(write_fd)
    spawner._watch()
    assert started == [True]
    os.close(read_fd)
