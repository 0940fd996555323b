"""Start and stop the servers under test on loopback free ports, and sample their memory."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench import pinning

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
# Both Python servers get the same gunicorn settings: imgbackup's defaults.
WORKERS = 2
THREADS = 8


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    token: str = ""

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return ""


def _wait_ready(server: Server, probe_path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited:\n{server.tail()}")
        try:
            conn = http.client.HTTPConnection(HOST, server.port, timeout=2)
            conn.request("GET", probe_path)
            status = conn.getresponse().status
            conn.close()
            if status < 500 or probe_path != "/healthz":
                return
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{server.name} did not start:\n{server.tail()}")


def _python_env(extra: dict[str, str]) -> dict[str, str]:
    # The benchmark decides every server's configuration: none is inherited from the caller
    # (a test run's IMGBACKUP_DATABASE_URL must not send it to a shared database).
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMGBACKUP_")}
    env.update(extra)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["PYTHONPATH"] = str(ROOT)
    return env


def imgbackup_command(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "imgbackup", *args], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=300)
    return out.stdout


def imgbackup_env(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    return _python_env({"IMGBACKUP_DATA_DIR": str(data_dir), "IMGBACKUP_LOG_LEVEL": "WARNING",
                        **(extra or {})})


@contextmanager
def imgbackup(work: Path, extra_env: dict[str, str] | None = None,
              user: str = "bench") -> Iterator[Server]:
    """``imgbackup serve`` with a fresh (or given) data folder and a user with a token."""
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    env = imgbackup_env(data, extra_env)
    # No background purge child: it would be counted in the serving processes' memory.
    env.setdefault("IMGBACKUP_PURGE_INTERVAL", "0")
    env.setdefault("IMGBACKUP_WORKERS", str(WORKERS))
    env.setdefault("IMGBACKUP_THREADS", str(THREADS))
    port = free_port()
    log = work / f"imgbackup-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            pinning.server_command([sys.executable, "-m", "imgbackup", "serve", "--host", HOST,
                                    "--port", str(port)]),
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=work)
    server = Server("imgbackup", port, process, log, env)
    try:
        _wait_ready(server, "/healthz")
        server.token = ensure_token(env, user)
        yield server
    finally:
        server.stop()


def ensure_token(env: dict[str, str], user: str) -> str:
    try:
        imgbackup_command(env, "createuser", user, "--password", "bench-password-123")
    except subprocess.CalledProcessError as exc:
        if "exist" not in (exc.stderr + exc.stdout).lower():
            raise
    return imgbackup_command(env, "token", user).strip().splitlines()[-1]


@contextmanager
def original(work: Path) -> Iterator[Server]:
    """The original design's view (bench/original_design.py) under the same gunicorn."""
    work.mkdir(parents=True, exist_ok=True)
    images = work / "images"
    port = free_port()
    log = work / f"original-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            pinning.server_command([
                sys.executable, "-m", "bench.original_design", "--port", str(port),
                "--dir", str(images), "--workers", str(WORKERS), "--threads", str(THREADS)]),
            env=_python_env({}), stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    server = Server("original design", port, process, log)
    try:
        _wait_ready(server, "/api/v1.0/service/image/?md5=0")
        yield server
    finally:
        server.stop()


NGINX_CONF = """\
daemon off;
master_process on;
worker_processes {workers};
{user}
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_max_body_size 0;
    client_body_buffer_size 256k;
    client_body_temp_path {root}/.nginx-tmp;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    types {{ image/jpeg jpg; }}
    default_type application/octet-stream;
    server {{
        listen {host}:{port};
        root {root};
        location / {{
            dav_methods PUT;
            create_full_put_path on;
            dav_access user:rw;
        }}
    }}
}}
"""


@contextmanager
def nginx(work: Path, root: Path) -> Iterator[Server]:
    """Debian's nginx as a WebDAV PUT target and static file server for ``root``: its own
    prefix, pid and temp paths, not daemonized, stopped with the benchmark."""
    if NGINX is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx)")
    prefix = work / "nginx"
    prefix.mkdir(parents=True, exist_ok=True)
    root.mkdir(parents=True, exist_ok=True)
    # Temp bodies land beside the files, so a PUT is a rename, like imgbackup's link.
    (root / ".nginx-tmp").mkdir(exist_ok=True)
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(
        workers=WORKERS, prefix=prefix, root=root, host=HOST, port=port,
        user="user root;" if os.geteuid() == 0 else ""))
    log = prefix / "stdout.log"
    with log.open("wb") as out:
        process = subprocess.Popen(pinning.server_command([NGINX, "-p", str(prefix), "-c",
                                                           str(conf), "-e",
                                                           str(prefix / "error.log")]),
                                   stdout=out, stderr=subprocess.STDOUT)
    server = Server("nginx", port, process, prefix / "error.log")
    try:
        _wait_ready(server, "/")
        yield server
    finally:
        server.stop()


def _status_kb(pid: int, path: str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def tree_memory(pid: int) -> tuple[int, int, int]:
    """(RSS sum, PSS sum, largest single RSS) in bytes over ``pid`` and its descendants.

    The RSS sum counts pages the forked workers share with their master once per process;
    PSS divides each shared page among its sharers, so its sum is the memory really used."""
    tree = [pid, *_descendants(pid)]
    rss = [_status_kb(p, "status", "VmRSS:") for p in tree]
    pss = sum(_status_kb(p, "smaps_rollup", "Pss:") for p in tree)
    return sum(rss), pss, max(rss)


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by ``pid`` and its live descendants."""
    ticks = 0
    for p in [pid, *_descendants(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def job_worker_pid(server_pid: int) -> int | None:
    """The job worker that ``imgbackup serve`` started, if it runs: forked by its spawner and
    named ``imgbackup-job`` (imgbackup/jobs/spawner.py), or ``imgbackup worker --parent-pid``
    exec'd when it could not be forked."""
    for pid in _descendants(server_pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        if comm == "imgbackup-job" or (b"worker" in argv and b"--parent-pid" in argv):
            return pid
    return None


def thread_times(pid: int) -> dict[str, tuple[float, float]]:
    """Per thread of ``pid``: seconds on a CPU and seconds runnable but waiting for one (the
    run queue), from /proc/PID/task/TID/schedstat. Time in neither is time the thread slept:
    on I/O, a lock, the GIL, or for want of work."""
    times: dict[str, tuple[float, float]] = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            on_cpu, waiting, _ = (int(n) for n in (task / "schedstat").read_text().split())
        except (OSError, ValueError):
            continue
        times[task.name] = (on_cpu / 1e9, waiting / 1e9)
    return times


def pending_jobs(data_dir: Path) -> int:
    """Jobs queued or running, read straight from the server's SQLite file."""
    with sqlite3.connect(f"file:{data_dir / 'imgbackup.sqlite3'}?mode=ro", uri=True,
                         timeout=30) as db:
        row = db.execute("SELECT count(*) FROM django_tasks_database_dbtaskresult "
                         "WHERE status IN ('READY', 'RUNNING')").fetchone()
    return int(row[0])


def drain_jobs(server: Server, timeout: float = 600) -> float:
    """Wait until the server's job queue is empty; the tree CPU seconds spent meanwhile."""
    pid, data = server.process.pid, Path(server.env["IMGBACKUP_DATA_DIR"])
    before = tree_cpu_seconds(pid)
    deadline = time.monotonic() + timeout
    while pending_jobs(data) and time.monotonic() < deadline:
        time.sleep(0.2)
    return tree_cpu_seconds(pid) - before


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    frontier = [pid]
    for _ in range(8):  # gunicorn: master -> workers; bounded depth
        children: list[int] = []
        for parent in frontier:
            for task in Path(f"/proc/{parent}/task").glob("*/children"):
                try:
                    children += [int(c) for c in task.read_text().split()]
                except (OSError, ValueError):
                    continue
        if not children:
            break
        found += children
        frontier = children
    return found


class RssSampler:
    """Samples the summed RSS and PSS of a process tree every ``interval`` seconds; keeps the
    peaks and the values before it started."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid = pid
        self.interval = interval
        self.baseline, self.baseline_pss, self.baseline_single = tree_memory(pid)
        self.peak, self.peak_pss, self.peak_single = tree_memory(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        rss, pss, single = tree_memory(self.pid)
        self.peak, self.peak_pss = max(self.peak, rss), max(self.peak_pss, pss)
        self.peak_single = max(self.peak_single, single)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
