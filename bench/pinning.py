"""``python -m bench --pin``: the servers on one half of the CPUs, the bench and its clients on
the other, so neither waits for a core the other holds (issue 17 asks for item 1b this way on
a machine big enough). Servers are started under ``taskset -c``; every process they fork
(gunicorn's workers, the job worker, nginx's workers) inherits the set. The bench process pins
its own thread before it starts any client thread or process, which inherit its set."""

from __future__ import annotations

import os
import shutil

TASKSET = shutil.which("taskset")
_server_cpus: tuple[int, ...] = ()
_client_cpus: tuple[int, ...] = ()


def pin() -> None:
    """Split this process's CPUs in two halves: the second for servers, the first for us."""
    global _server_cpus, _client_cpus
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        raise SystemExit("bench: --pin needs at least 2 CPUs")
    if TASKSET is None:
        raise SystemExit("bench: --pin needs taskset (util-linux)")
    half = len(cpus) // 2
    _client_cpus, _server_cpus = tuple(cpus[:half]), tuple(cpus[half:])
    os.sched_setaffinity(0, _client_cpus)


def server_command(command: list[str]) -> list[str]:
    """``command`` run on the servers' CPUs when pinned, as it is otherwise."""
    if not _server_cpus or TASKSET is None:
        return command
    return [TASKSET, "-c", ",".join(map(str, _server_cpus)), *command]


def describe() -> str:
    """How the run was pinned, for the report ("" when it was not)."""
    if not _server_cpus:
        return ""
    return (f"servers pinned to CPU {', '.join(map(str, _server_cpus))}, the bench and its "
            f"clients to CPU {', '.join(map(str, _client_cpus))} (taskset)")
