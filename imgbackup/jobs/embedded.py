"""The workers ``imgbackup serve`` runs by itself: ``IMGBACKUP_JOB_WORKERS`` child processes
(``imgbackup worker --parent-pid``), each watched by a thread of the gunicorn master and started
again if it exits. Children, not threads of the master: the master forks the web workers and
must hold no database connection for them to inherit. A child whose server is killed notices
its parent is gone and stops after the job in hand."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from typing import Any

from django.conf import settings

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


def server_hooks() -> dict[str, Any]:
    """gunicorn settings that run IMGBACKUP_JOB_WORKERS job workers beside the server."""
    workers = [EmbeddedWorker(f"imgbackup-worker-{i}")
               for i in range(max(0, int(settings.JOB_WORKERS)))]
    if not workers:
        return {}

    def when_ready(server: Any) -> None:
        for worker in workers:
            worker.start()

    def on_exit(server: Any) -> None:
        for worker in workers:
            worker.stop()

    return {"when_ready": when_ready, "on_exit": on_exit}
