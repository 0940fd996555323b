"""Progress on stderr: one line redrawn in place on a terminal (files, bytes, rate, ETA), plain
lines now and then otherwise (logs of scheduled runs), nothing at all when asked."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

TTY_INTERVAL = 0.1
PLAIN_INTERVAL = 10.0


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def count(n: int, noun: str) -> str:
    """``1 file``, ``2 files``: summaries read as sentences."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def human_wait(seconds: int) -> str:
    """``15 minutes``, ``1 hour``, ``40 seconds``: how long to wait, rounded up."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size:
            return count(-(-seconds // size), unit)
    return count(max(seconds, 1), "second")


def human_duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """Thread-safe: workers call ``advance``; any thread may ``say`` a line."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool = True,
                 tty: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = self.stream.isatty() if tty is None else tty
        self._lock = threading.Lock()
        self._label = ""
        self._drawn = False
        self.start("", 0, 0)

    def start(self, label: str, files: int, size: int) -> None:
        """Begin a phase (hashing, uploading...) of ``files`` files and ``size`` bytes."""
        with self._lock:
            self._label, self.total_files, self.total_bytes = label, files, size
            self.files = self.bytes = 0
            self._started = self._last = time.monotonic()
        if label and not self.tty:
            # "uploading" -> "nothing to upload": a line of zeros reads as a stuck transfer.
            self.say(f"{label}: {count(files, 'file')}, {human_bytes(size)}" if files
                     else f"nothing to {label.removesuffix('ing')}")

    def advance(self, files: int = 0, size: int = 0) -> None:
        with self._lock:
            self.files += files
            self.bytes += size
            now = time.monotonic()
            if now - self._last < (TTY_INTERVAL if self.tty else PLAIN_INTERVAL):
                return
            self._last = now
            self._draw(self.line())

    def line(self) -> str:
        elapsed = max(time.monotonic() - self._started, 1e-6)
        rate = self.bytes / elapsed
        text = (f"{self._label}: {self.files}/{self.total_files} files, "
                f"{human_bytes(self.bytes)}/{human_bytes(self.total_bytes)}")
        if self.bytes and elapsed > 0.5:
            eta = max(self.total_bytes - self.bytes, 0) / rate if rate else 0
            text += f", {human_bytes(rate)}/s, ETA {human_duration(eta)}"
        return text

    def say(self, text: str) -> None:
        """A line that stays (a failure, a phase summary), above the redrawn one."""
        if not self.enabled:
            return
        with self._lock:
            self._clear()
            print(text, file=self.stream, flush=True)

    def finish(self) -> None:
        with self._lock:
            if self._label and self.enabled and (self.files or self.total_files):
                self._clear()
                if not self.tty:
                    print(self.line(), file=self.stream, flush=True)
            self._label = ""

    def _draw(self, text: str) -> None:
        if not self.enabled:
            return
        if self.tty:
            self.stream.write("\r\x1b[K" + text)
            self.stream.flush()
            self._drawn = True
        else:
            print(text, file=self.stream, flush=True)

    def _clear(self) -> None:
        if self.tty and self._drawn:
            self.stream.write("\r\x1b[K")
            self._drawn = False
