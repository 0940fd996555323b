"""Item 1b's split of the server's CPU: which process of ``imgbackup serve``'s tree, and which
thread of a web worker, spent it. Read per thread from /proc/PID/task/TID/schedstat (on a CPU,
in nanoseconds, user and kernel together) and from /proc/PID/task/TID/stat (user and kernel
apart, in clock ticks), before and after a batch: the gunicorn master, the web workers' main
threads (gunicorn's accept and keep-alive loop), their request threads (the uploads), and the
job worker (which must wait while uploads arrive: what its waiting costs shows here). A thread
that ends between the two readings takes its time with it; gunicorn's threads and the job
worker's live as long as their process."""

from __future__ import annotations

import os
from pathlib import Path

from bench import servers

MASTER = "gunicorn master"
WEB_MAIN = "web workers, main threads"
WEB_REQUESTS = "web workers, request threads"
WEB_KERNEL = "of which in the kernel"
JOB_WORKER = "job worker"
ROLES = (MASTER, WEB_MAIN, WEB_REQUESTS, WEB_KERNEL, JOB_WORKER)


def _thread(pid: int, tid: str) -> tuple[float, float]:
    """(seconds on a CPU, seconds of them in the kernel) of one thread; zeros once gone."""
    task = Path(f"/proc/{pid}/task/{tid}")
    try:
        on_cpu = int((task / "schedstat").read_text().split()[0]) / 1e9
        system = int((task / "stat").read_text().rsplit(")", 1)[1].split()[12])
    except (OSError, ValueError, IndexError):
        return 0.0, 0.0
    return on_cpu, system / os.sysconf("SC_CLK_TCK")


def snapshot(server_pid: int) -> dict[str, float]:
    """CPU seconds so far per role (ROLES) of the server tree rooted at ``server_pid``."""
    found = dict.fromkeys(ROLES, 0.0)
    worker = servers.job_worker_pid(server_pid)
    job_tree = {worker, *servers._descendants(worker)} if worker else set()
    for pid in [server_pid, *servers._descendants(server_pid)]:
        try:
            tids = [task.name for task in Path(f"/proc/{pid}/task").iterdir()]
        except OSError:
            continue
        for tid in tids:
            on_cpu, system = _thread(pid, tid)
            if pid == server_pid:
                found[MASTER] += on_cpu
            elif pid in job_tree:  # its render children (ffmpeg) too
                found[JOB_WORKER] += on_cpu
            elif tid == str(pid):
                found[WEB_MAIN] += on_cpu
            else:
                found[WEB_REQUESTS] += on_cpu
                found[WEB_KERNEL] += system
    return found


def difference(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {role: after[role] - before.get(role, 0.0) for role in after}


def add(total: dict[str, float], more: dict[str, float]) -> None:
    for role, seconds in more.items():
        total[role] = total.get(role, 0.0) + seconds


def describe(split: dict[str, float], count: int) -> str:
    """'gunicorn master 0.0, …, web workers, request threads 27.7 (of which in the kernel
    8.8), job worker 0.0': ms per photo."""
    ms = {role: split.get(role, 0.0) / max(1, count) * 1000 for role in ROLES}
    return (f"{MASTER} {ms[MASTER]:.1f}, {WEB_MAIN} {ms[WEB_MAIN]:.1f}, {WEB_REQUESTS} "
            f"{ms[WEB_REQUESTS]:.1f} ({WEB_KERNEL} {ms[WEB_KERNEL]:.1f}), {JOB_WORKER} "
            f"{ms[JOB_WORKER]:.1f}")
