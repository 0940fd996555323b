"""The job workers of ``imgbackup serve``, forked from the loaded server so that they share its
memory (bench item 2: an exec'd worker cost 55 MB of PSS, one forked after the freeze ~10).

Order of events, and why it is safe:

1. The gunicorn master loads the application (``preload_app``), closes its database
   connections and S3 clients, collects and freezes what is alive (``prepare_fork``), in
   gunicorn's ``on_starting`` hook: before its signal handlers, its listening sockets and any
   thread of ours (the periodic purge, the watcher below start in ``when_ready``). No other
   thread runs, so none can hold a lock (logging, the import lock, SQLite's, libpq's) that the
   child would inherit locked; ``prepare_fork`` refuses to fork otherwise, and the workers are
   then started as before (``embedded.EmbeddedWorker``: ``imgbackup worker`` exec'd).
2. It forks the **spawner**: a process that stays single-threaded all its life and does only
   this: fork ``IMGBACKUP_JOB_WORKERS`` job workers (each runs ``imgbackup worker
   --parent-pid <spawner>``'s code), start again after ``RESTART_AFTER`` one that exits, and
   stop them (SIGTERM: the job in hand is finished, a kill after ``STOP_GRACE``) when it is
   told to stop or when the master is gone. A later fork from the master itself could meet a
   lock held by one of its threads; a fork from the spawner cannot.
3. A job worker opens its own database connection and S3 client at its first query: it
   inherited none (step 1). Frozen objects are not written by its collector, so their pages
   stay shared until they are written by the program itself (reference counts mostly).
4. The master watches the spawner through a pipe whose writing end only the spawner holds:
   the end of file says it is gone. On ``on_exit`` the master waits for it; if it dies before,
   the master logs it and starts the workers the exec'd way, so jobs go on. A spawner told to
   stop by a signal says so on the pipe first (``STOPPING``): a stop sent to the whole process
   group (systemd's default, ``timeout``, Ctrl-C) reaches it as it reaches the master, which
   then stops too (its ``on_exit`` comes after the web workers' graceful stop, up to 30 s),
   so the master waits for its own stop that long before it takes the spawner for dead.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management import call_command

from imgbackup.storage import open_connections
from imgbackup.worker_gc import freeze_for_fork

log = logging.getLogger(__name__)
RESTART_AFTER = 5.0
STOP_GRACE = 30.0  # seconds a stopping job worker has to finish its job before it is killed
TICK = 0.5  # the spawner's look at its children and its parent
# What ps and top show for them (/proc/PID/comm); bench/servers.py finds the worker by it.
SPAWNER_NAME = "imgbackup-spawn"
WORKER_NAME = "imgbackup-job"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
STOPPING = b"s"  # written on the alive pipe by a spawner stopping on a signal
# How long the master, told by the spawner that it stops on a signal, waits for its own stop
# (gunicorn's graceful stop of the web workers, 30 s, then on_exit) before starting the job
# workers by exec: a signal sent to the spawner alone still leaves the jobs running.
STOPPED_WITH_THE_SERVER = 30.0 + 10.0


class UnsafeFork(RuntimeError):
    """Forking now could hand the child a lock or a connection in use: start by exec."""


def prepare_fork() -> None:
    """Make this process fit to fork a long-lived child, or raise UnsafeFork: no other thread,
    no open database connection or S3 client; then freeze what is alive out of the collector's
    reach, so that the child shares those pages instead of writing them."""
    if threading.active_count() > 1:
        names = ", ".join(t.name for t in threading.enumerate()
                          if t is not threading.current_thread())
        raise UnsafeFork(f"other threads run ({names})")
    if os_threads() > 1:  # started by a C library (a BLAS pool, a codec), unseen by Python
        raise UnsafeFork(f"{os_threads() - 1} threads of a library run")
    freeze_for_fork()  # closes the connections, collects, freezes (cheap once server.load ran it)
    if still := open_connections():
        raise UnsafeFork(f"connections still open: {', '.join(still)}")
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # or the child would write the parent's buffered text again


def os_threads() -> int:
    """Threads of this process, Python's or not (Linux; elsewhere Python's alone)."""
    try:
        return sum(1 for _ in Path(f"/proc/{os.getpid()}/task").iterdir())
    except OSError:
        return threading.active_count()


def name_process(name: str) -> None:
    """Show ``name`` for this process in ps and top (Linux: /proc/PID/comm, 15 bytes)."""
    with contextlib.suppress(OSError), open(f"/proc/{os.getpid()}/comm", "w") as comm:
        comm.write(name[:15])  # elsewhere than Linux the process keeps its parent's name


class Spawner:
    """The master's side: fork the spawner, watch it, stop it."""

    def __init__(self, workers: int, fallback: Callable[[], None]) -> None:
        self.workers = workers
        self.fallback = fallback
        self.pid = 0
        self._gone = threading.Event()
        self._stopping = threading.Event()
        self._alive_fd = -1
        self.stopped_with_the_server = STOPPED_WITH_THE_SERVER

    def start(self) -> None:
        """Fork the spawner (in the master, with no other thread running); UnsafeFork when
        that cannot be done safely now."""
        prepare_fork()
        read_fd, write_fd = os.pipe()
        master = os.getpid()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _run_child(lambda: _spawner_main(self.workers, master, write_fd))
        os.close(write_fd)
        self.pid, self._alive_fd = pid, read_fd

    def watch(self) -> None:
        """Start the thread that notices the spawner's end (call once other threads may run)."""
        threading.Thread(target=self._watch, name="imgbackup-job-spawner", daemon=True).start()

    def _watch(self) -> None:
        signalled = False
        while (byte := os.read(self._alive_fd, 1)) != b"":
            signalled = byte == STOPPING
        self._gone.set()
        if signalled and self._stopping.wait(self.stopped_with_the_server):
            return  # stopped with the server, by a signal sent to them both
        if not self._stopping.is_set():
            log.error("the job workers' spawner (pid %d) is gone; starting the job workers "
                      "by exec instead", self.pid)
            self.fallback()

    def stop(self) -> None:
        """Stop the spawner and wait for it (its workers finish the job in hand)."""
        self._stopping.set()
        if not self.pid or self._gone.is_set():
            return  # never started, or already gone (and reaped by gunicorn's waitpid(-1))
        _signal(self.pid, signal.SIGTERM)
        if not self._gone.wait(STOP_GRACE + 10):
            _signal(self.pid, signal.SIGKILL)
        # Gone or going: leave no zombie (unless gunicorn's waitpid(-1) took it first).
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _run_child(main: Callable[[], int]) -> None:
    """Run ``main`` in a forked child and end the process with its status: never return into
    the code that forked (gunicorn's start-up)."""
    code = 1
    try:
        code = main()
    except SystemExit as exc:  # the worker's own way out (its signal handler)
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except BaseException:
        log.exception("a forked job process failed")
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # exiting whatever happens
                stream.flush()
        os._exit(code)


def _spawner_main(count: int, master: int, alive_fd: int) -> int:
    name_process(SPAWNER_NAME)
    stop: list[int] = []  # the signal that asked to stop; no thread is ever started here

    def on_signal(signum: int, frame: Any) -> None:
        stop.append(signum)

    for signum in STOP_SIGNALS:
        signal.signal(signum, on_signal)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as for the master, a reload, not a stop
    children: dict[int, int] = {}  # pid -> slot
    due = dict.fromkeys(range(count), 0.0)  # slot -> when to start it
    while not stop and os.getppid() == master:
        now = time.monotonic()
        for slot in [s for s, when in due.items() if when <= now]:
            del due[slot]
            children[_fork_worker(alive_fd)] = slot
        for pid, code in _reaped():
            if pid in children:
                log.error("the job worker exited (%d); starting it again", code)
                due[children.pop(pid)] = time.monotonic() + RESTART_AFTER
        time.sleep(TICK)
    if stop:  # the master is most likely stopping too (a signal to the process group)
        with contextlib.suppress(OSError):
            os.write(alive_fd, STOPPING)
    _stop_all(children)
    return 0


def _fork_worker(alive_fd: int) -> int:
    pid = os.fork()
    if pid == 0:
        os.close(alive_fd)  # the master's end of file means "the spawner is gone"
        _run_child(_worker_main)
    return pid


def _worker_main() -> int:
    for signum in (*STOP_SIGNALS, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)  # the worker sets its own (graceful) handlers
    name_process(WORKER_NAME)
    call_command("worker", parent_pid=os.getppid())
    return 0


def _reaped() -> list[tuple[int, int]]:
    """(pid, exit status) of each child that has ended, without waiting."""
    ended: list[tuple[int, int]] = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ended
        if pid == 0:
            return ended
        ended.append((pid, os.waitstatus_to_exitcode(status)))


def _stop_all(children: dict[int, int]) -> None:
    for pid in children:
        _signal(pid, signal.SIGTERM)  # each finishes the job in hand, then exits
    deadline = time.monotonic() + STOP_GRACE
    while children and time.monotonic() < deadline:
        for pid, _ in _reaped():
            children.pop(pid, None)
        time.sleep(0.05)
    for pid in children:
        _signal(pid, signal.SIGKILL)
    while _reaped():
        pass


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
