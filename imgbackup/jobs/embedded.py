"""The workers ``imgbackup serve`` runs by itself: ``IMGBACKUP_JOB_WORKERS`` child processes,
started again if they exit. Children, not threads of the master: the master forks the web
workers and must hold no database connection for them to inherit. A child whose server is
killed notices its parent is gone and stops after the job in hand.

They are forked from the loaded master by the spawner (jobs/spawner.py), which shares the
application's memory with them. When that cannot be done safely (another thread already runs
in the master) or the spawner dies, each is instead ``imgbackup worker --parent-pid`` exec'd
(``EmbeddedWorker``), watched by a thread of the master: the same work, its own memory."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from typing import Any

from django.conf import settings

from imgbackup.jobs.spawner import Spawner, UnsafeFork

log = logging.getLogger(__name__)
RESTART_AFTER = 5.0


class EmbeddedWorker:
    def __init__(self, name: str) -> None:
        self.name = name
        self._stop = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()  # the worker finishes the job in hand, then exits
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    def _loop(self) -> None:
        while not self._stop.is_set():
            command = [sys.executable, "-m", "imgbackup", "worker",
                       "--parent-pid", str(os.getpid())]
            try:
                self._process = subprocess.Popen(command)  # noqa: S603 - fixed argv, no shell
            except OSError as exc:
                log.error("cannot start the job worker: %s", exc)
            else:
                code = self._process.wait()
                if not self._stop.is_set():
                    log.error("the job worker exited (%d); starting it again", code)
            self._stop.wait(RESTART_AFTER)


class JobWorkers:
    """The master's job workers: forked by the spawner, or exec'd when that cannot be."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.spawner: Spawner | None = None
        self.execd: list[EmbeddedWorker] = []
        self._lock = threading.Lock()
        self._stopped = False

    def fork(self) -> None:
        """In gunicorn's on_starting: the master is loaded and runs no other thread yet."""
        spawner = Spawner(self.count, fallback=self.exec)
        try:
            spawner.start()
        except (UnsafeFork, OSError) as exc:
            log.warning("job workers started by exec, not forked: %s", exc)
        else:
            self.spawner = spawner

    def watch(self) -> None:
        if self.spawner is None:
            self.exec()
        else:
            self.spawner.watch()

    def exec(self) -> None:
        with self._lock:
            if self._stopped or self.execd:
                return
            self.execd = [EmbeddedWorker(f"imgbackup-worker-{i}") for i in range(self.count)]
            for worker in self.execd:
                worker.start()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        if self.spawner is not None:
            self.spawner.stop()
        for worker in self.execd:
            worker.stop()


def server_hooks() -> dict[str, Any]:
    """gunicorn settings that run IMGBACKUP_JOB_WORKERS job workers beside the server."""
    count = max(0, int(settings.JOB_WORKERS))
    if not count:
        return {}
    workers = JobWorkers(count)
    return {"on_starting": lambda server: workers.fork(),
            "when_ready": lambda server: workers.watch(),
            "on_exit": lambda server: workers.stop()}
