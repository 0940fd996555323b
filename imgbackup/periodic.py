"""Maintenance that ``imgbackup serve`` runs by itself: ``imgbackup purge`` every
IMGBACKUP_PURGE_INTERVAL seconds (0: never; run it from cron instead).

A thread in the gunicorn master starts it as a child process. A child, not a call in the
master: the master forks the workers, and must hold no database connection or lock for them to
inherit. Several servers sharing one database may each run it: a photo destroyed twice is
destroyed once, under its original's row lock (photos/trash.py)."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)
# The first run waits a little: a server that restarts often still purges, and a server that
# is only started for a moment (tests, a quick look) does not pay for it.
FIRST_RUN_AFTER = 60.0


class PeriodicCommand:
    def __init__(self, args: list[str], every: float, first_after: float) -> None:
        self.args = args
        self.every = every
        self.first_after = first_after
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="imgbackup-" + args[0],
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        delay = self.first_after
        while not self._stop.wait(delay):
            self.run_once()
            delay = self.every

    def run_once(self) -> None:
        command = [sys.executable, "-m", "imgbackup", *self.args]
        try:
            done = subprocess.run(command, capture_output=True, text=True, check=False,  # noqa: S603 - fixed argv, no shell
                                  timeout=max(self.every, 600))
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.error("imgbackup %s failed: %s", " ".join(self.args), exc)
            return
        if done.returncode:
            log.error("imgbackup %s exited %d: %s", " ".join(self.args), done.returncode,
                      done.stderr.strip()[-2000:])
        elif done.stdout.strip():
            log.info("%s", done.stdout.strip())


def server_hooks() -> dict[str, Any]:
    """gunicorn settings that run the periodic maintenance in the master process."""
    every = int(settings.PURGE_INTERVAL)
    if every <= 0:
        return {}
    purge = PeriodicCommand(["purge"], every, min(FIRST_RUN_AFTER, every))

    def when_ready(server: Any) -> None:
        purge.start()

    def on_exit(server: Any) -> None:
        purge.stop()

    return {"when_ready": when_ready, "on_exit": on_exit}
