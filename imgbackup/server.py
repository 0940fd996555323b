"""The production WSGI server behind ``imgbackup serve``: gunicorn, threaded workers.

WSGI rather than ASGI: Django's ASGI handler spools every request body to a temp file before
the view runs and holds FileResponse bodies in memory; under WSGI both stream, and gunicorn
sends files with sendfile()."""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import ip_network
from typing import Any

from gunicorn.app.base import BaseApplication

from imgbackup.periodic import server_hooks
from imgbackup.proxies import Network

LOOPBACK = (ip_network("127.0.0.1"), ip_network("::1"))


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in {**self.options, **server_hooks()}.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from imgbackup.wsgi import application

        return application


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
        "errorlog": "-",
        "proc_name": "imgbackup",
        "forwarded_allow_ips": ",".join(str(network) for network in trusted_proxies),
        # One control socket per user by default: several servers on a machine would clash.
        "control_socket_disable": True,
    }


def run_gunicorn(host: str, port: int, workers: int, threads: int,
                 trusted_proxies: Sequence[Network]) -> None:
    from django.conf import settings

    _Server(gunicorn_options(host, port, workers, threads, trusted_proxies,
                             settings.MAX_CONNECTIONS)).run()
