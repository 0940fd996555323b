"""Where a server's time goes: py-spy samples the serving processes while a workload runs.

``with sampled(pid, out) as profile: ...`` then ``profile.top()``: the functions seen most, by
their own time (self) and by the time spent in and under them (total), as shares of samples."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")


def available() -> bool:
    return Path(PY_SPY).exists()


@dataclass
class Profile:
    path: Path
    self_time: Counter[str] = field(default_factory=Counter)
    total_time: Counter[str] = field(default_factory=Counter)
    samples: int = 0

    def load(self) -> None:
        """Parse py-spy's collapsed stacks: ``frame;frame;frame count`` per line."""
        if not self.path.exists():
            return
        for line in self.path.read_text(errors="replace").splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [_short(f) for f in stack.split(";")]
            idle = any(name in frames[-1] for name in IDLE)
            if idle:
                continue
            self.samples += count
            self.self_time[frames[-1]] += count
            for frame in set(frames):
                self.total_time[frame] += count

    def top(self, n: int = 12, total: bool = False) -> list[tuple[str, float]]:
        counter = self.total_time if total else self.self_time
        return [(name, count / max(1, self.samples)) for name, count in counter.most_common(n)]


# Threads waiting for work are not where a request's time goes.
IDLE = ("wait (threading.py", "select (selectors.py", "_worker (concurrent/futures",
        "sleep (gunicorn", "run_for_one", "poll (selectors.py", "accept (socket.py")


# Frames every request passes through: they say nothing about where its time goes.
GENERIC = ("process ", "threading.py", "futures/thread.py", "workers/gthread.py",
           "handlers/", "utils/deprecation.py", "middleware", "decorators/csrf.py",
           "api/endpoint.py", "api/limits.py", "api/unavailable.py")


def _short(frame: str) -> str:
    """``func (path/to/module.py:123)`` -> ``func (module.py)``, stable across lines."""
    name, _, where = frame.partition(" (")
    file = where.rstrip(")").rsplit(":", 1)[0]
    parts = Path(file).parts
    return f"{name} ({'/'.join(parts[-2:])})"


@contextmanager
def sampled(pid: int, out: Path, rate: int = 250) -> Iterator[Profile]:
    """Sample ``pid`` and its child processes (gunicorn workers) for the block's duration."""
    profile = Profile(out)
    if not available():
        yield profile
        return
    recorder = subprocess.Popen(
        [PY_SPY, "record", "--pid", str(pid), "--subprocesses", "--rate", str(rate),
         "--format", "raw", "--output", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield profile
    finally:
        recorder.send_signal(signal.SIGINT)
        try:
            recorder.wait(60)
        except subprocess.TimeoutExpired:
            recorder.kill()
            recorder.wait()
        profile.load()


def profiled(pid: int, out: Path, workload: Callable[[], object]) -> str:
    """Run ``workload`` (untimed) while py-spy samples ``pid``; the summary sentence."""
    with sampled(pid, out) as profile:
        workload()
    return summary(profile)


def summary(profile: Profile, n: int = 8) -> str:
    """A Markdown sentence of the top functions by total and by own time."""
    if not profile.samples:
        return "no profile (py-spy unavailable or no busy samples)"
    inclusive = [(name, share) for name, share in profile.top(60, total=True)
                 if not any(generic in name for generic in GENERIC)][:n]
    total = ", ".join(f"`{name}` {share:.0%}" for name, share in inclusive)
    own = ", ".join(f"`{name}` {share:.0%}" for name, share in profile.top(n))
    return (f"{profile.samples} busy samples. Inclusive: {total}. "
            f"Self: {own}.")
