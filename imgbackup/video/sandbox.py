"""Run FFmpeg work in a child process with a wall-clock limit and an address-space limit.

A hostile file may make a demuxer allocate gigabytes (a moov claiming billions of samples) or a
decoder loop: in a child, that costs the child, which is stopped, and the request or job that
asked answers "cannot be read" instead of taking the server down or hanging."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

MB = 1024 * 1024


class SandboxFailed(RuntimeError):
    """The child ran out of time or memory, crashed, or answered nothing."""


def run_child(args: list[str], timeout: float, memory_mb: int) -> dict[str, Any]:
    """``python -m imgbackup.video.child ARGS``: its JSON answer (the last line it prints)."""
    # Two malloc arenas, not eight per core: the address-space limit counts reserved memory.
    env = {**os.environ, "MALLOC_ARENA_MAX": "2"}
    limits = f"{memory_mb * MB}:{int(timeout) + 1}"
    command = [sys.executable, "-m", "imgbackup.video.child", limits, *args]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, env=env,  # noqa: S603 - fixed argv, no shell
                              check=False)
    except subprocess.TimeoutExpired:
        raise SandboxFailed(f"it took longer than {timeout:.0f} s") from None
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    if done.returncode != 0 or not lines:
        reason = "out of memory" if b"MemoryError" in done.stderr else (
            f"the reader stopped ({done.returncode})")
        raise SandboxFailed(reason)
    try:
        answer: dict[str, Any] = json.loads(lines[-1])
    except ValueError:
        raise SandboxFailed("the reader answered nonsense") from None
    return answer
