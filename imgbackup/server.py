"""The production WSGI server behind ``imgbackup serve``: gunicorn, threaded workers.

WSGI rather than ASGI: Django's ASGI handler spools every request body to a temp file before
the view runs and holds FileResponse bodies in memory; under WSGI both stream, and gunicorn
sends files with sendfile()."""

from __future__ import annotations

import errno
import resource
import socket
import sys
from collections.abc import Callable, Sequence
from ipaddress import ip_network
from typing import Any

from gunicorn.app.base import BaseApplication

from imgbackup import periodic, worker_gc
from imgbackup.proxies import Network

LOOPBACK = (ip_network("127.0.0.1"), ip_network("::1"))


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        self.hooks: dict[str, Any] | None = None
        super().__init__()

    def load_config(self) -> None:
        # The master loads the application before it forks (preload_app) and freezes it
        # (load): the web workers and the job workers then share its pages instead of each
        # loading its own copy (bench item 2; docs/architecture.md, "Memory"). A SIGHUP then
        # restarts the workers with the code the master loaded: restart the server to update.
        # The hooks are made once: a SIGHUP reads the configuration again, and the hooks of
        # the first reading hold the job workers and the purge that on_exit must stop.
        self.hooks = self.hooks or combined_hooks()
        options = {**self.options, **self.hooks, "preload_app": True}
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from imgbackup.wsgi import application

        worker_gc.freeze_for_fork()
        return application


class PortUnavailable(Exception):
    """The address cannot be listened on; the message says why and what to run instead."""


def check_port(host: str, port: int) -> None:
    """Raise PortUnavailable unless ``host:port`` can be listened on now, so that ``serve``
    says so before announcing an address where another program may answer (gunicorn would
    only retry and log "Address already in use" for seconds). Bound as gunicorn binds, with
    SO_REUSEADDR, so a port left in TIME_WAIT by a previous run counts as free."""
    try:
        _bind(host, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortUnavailable(f"port {port} is in use: {_suggest(host, port)}") from None
        if exc.errno == errno.EACCES:
            raise PortUnavailable(f"port {port} needs privileges this user lacks (ports under "
                                  f"1024 do): {_suggest(host, port)}") from None
        raise PortUnavailable(f"cannot listen on {host} port {port}: "
                              f"{exc.strerror or exc}") from None


def next_free_port(host: str, port: int, free: Callable[[str, int], bool] | None = None,
                   tries: int = 20) -> int:
    """The first port after ``port`` that can be listened on (``port + 1`` if none of the
    next ``tries`` can: the advice is then only a likely one)."""
    free = free or _free
    for candidate in range(port + 1, min(port + 1 + tries, 65536)):
        if free(host, candidate):
            return candidate
    return port + 1


def _suggest(host: str, port: int) -> str:
    other = next_free_port(host, port)
    where = "" if host == "127.0.0.1" else f" --host {host}"
    return f"`imgbackup serve{where} --port {other}` (or `make serve PORT={other}`)"


def _free(host: str, port: int) -> bool:
    try:
        _bind(host, port)
    except OSError:
        return False
    return True


def _bind(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))


def combined_hooks() -> dict[str, Any]:
    """The master's hooks: the periodic purge and the embedded job workers, each in turn; and
    the workers' own: the garbage collector's freeze once the application is loaded. The job
    queue is imported here, not with the module: ``gunicorn_options`` is also used by the
    benchmarks' replica of the original design, which has no job queue (nor its settings)."""
    from imgbackup.jobs import embedded

    parts = [periodic.server_hooks(), embedded.server_hooks(), worker_gc.server_hooks()]

    def chain(name: str) -> Any:
        hooks = [part[name] for part in parts if name in part]

        def run(server: Any) -> None:
            for hook in hooks:
                hook(server)

        return run

    names = {name for part in parts for name in part}
    return {name: chain(name) for name in names}


def gunicorn_options(host: str, port: int, workers: int, threads: int,
                     trusted_proxies: Sequence[Network] = LOOPBACK,
                     max_connections: int = 4096) -> dict[str, Any]:
    """The server settings, shared with the benchmarks' replica of the original design so both
    run under the same WSGI server configuration. ``trusted_proxies`` (IMGBACKUP_TRUSTED_PROXIES)
    are the peers whose X-Forwarded-Proto gunicorn believes; gunicorn 27 takes networks."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return {
        "bind": [bind],
        "workers": max(1, workers),
        # gthread, with request heads read by its main loop and no draining of refused bodies
        # (imgbackup/slow_clients.py; docs/deployment.md "Slow clients" has the measurements).
        "worker_class": "imgbackup.slow_clients.GuardedThreadWorker",
        "threads": max(1, threads),
        # Connections a worker holds, most of them waiting for a head or kept alive without a
        # thread: slow clients by the thousand cost a socket each, not a thread.
        "worker_connections": max_connections,
        # A slow phone on a slow uplink may take minutes per photo; the worker still
        # heartbeats, this only bounds a stuck request.
        "timeout": 600,
        "graceful_timeout": 30,
        "keepalive": 5,
        "accesslog": "-",
        "access_log_format": '%(h)s "%(r)s" %(s)s %(B)s %(M)sms',
        # The same lines, only the five fields the format names worked out per request.
        "logger_class": "imgbackup.access_log.AccessLogger",
        "errorlog": "-",
        "proc_name": "imgbackup",
        "forwarded_allow_ips": ",".join(str(network) for network in trusted_proxies),
        # One control socket per user by default: several servers on a machine would clash.
        "control_socket_disable": True,
    }


# Open files a server process needs beside its IMGBACKUP_MAX_CONNECTIONS sockets: the listening
# socket, database connections, spool and slot files, libraries, the job spawner's pipes.
SPARE_FILES = 1024


def raise_open_files_limit(max_connections: int) -> int:
    """Raise this process's soft limit of open files (inherited by the workers) to what
    ``max_connections`` sockets need, as far as the hard limit allows, and return it. Below
    it, a worker's ``accept()`` fails with EMFILE and the worker process exits with every
    request in it (systemd's default soft limit is 1024, its hard limit far higher). A hard
    limit too low is said on stderr, naming the two ways out."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max_connections + SPARE_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if new > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            soft = new
    if soft != resource.RLIM_INFINITY and soft < wanted:
        print(f"imgbackup serve: warning: {soft} open files allowed, but "
              f"IMGBACKUP_MAX_CONNECTIONS={max_connections} needs about {wanted}: raise the "
              f"limit (LimitNOFILE= in systemd, ulimit -n) or lower IMGBACKUP_MAX_CONNECTIONS",
              file=sys.stderr, flush=True)
    return soft


def run_gunicorn(host: str, port: int, workers: int, threads: int,
                 trusted_proxies: Sequence[Network]) -> None:
    from django.conf import settings

    raise_open_files_limit(settings.MAX_CONNECTIONS)
    _Server(gunicorn_options(host, port, workers, threads, trusted_proxies,
                             settings.MAX_CONNECTIONS)).run()
