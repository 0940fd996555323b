"""Shared fixtures. Personas: alice and bob are ordinary users, each with an API token;
charlie has no token; ``admin`` is an admin (is_staff and is_superuser) with a token.
``server`` is a real ``imgbackup serve`` process on a free loopback port."""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Before Django's settings load: tests never write into ./data.
os.environ.setdefault("IMGBACKUP_DATA_DIR", tempfile.mkdtemp(prefix="imgbackup-test-"))

import httpx
import pytest
from django.contrib.auth.models import User
from django.test import Client
from PIL import Image

from orientation import write_orientation_set

ROOT = Path(__file__).resolve().parent.parent
# The EXIF-orientation pictures, made in code (tests/orientation.py): everything the suite
# needs is in the repository, so a clone anywhere runs it.
ORIENTATION = write_orientation_set(Path(tempfile.mkdtemp(prefix="imgbackup-orientation-")))
atexit.register(shutil.rmtree, ORIENTATION, ignore_errors=True)


# The run's blob storage: s3://bucket under scripts/with-backends, else local folders.
RUN_STORAGE = os.environ.get("IMGBACKUP_STORAGE", "")
RUN_DATABASE = os.environ.get("IMGBACKUP_DATABASE_URL", "")
# Seconds LiveServer.stop waits for a graceful stop before it kills the server's processes.
STOP_GRACE = 3.0


def on_s3() -> bool:
    return RUN_STORAGE.startswith("s3://")


def on_postgres() -> bool:
    return RUN_DATABASE.startswith(("postgres://", "postgresql://"))


def _share_botocore_data() -> None:
    """In the S3 run every test gets a storage of its own, and each storage its own boto3
    session, which parsed botocore's JSON models (endpoints, S3's API) again: 0.1-0.3 s of
    CPU per test that touches storage, against ~0.015 s with one loader shared by the
    test process's sessions. The loader only reads botocore's own data files and caches what
    it read; sessions, credentials, clients and connections stay one per storage as in the
    server. Live servers run in their own processes and are not touched."""
    import functools

    import botocore.loaders
    import botocore.session

    class Paths(list[str]):
        """Each boto3 session appends boto3's data folder to its loader's search paths: once
        is enough for a shared loader."""

        def append(self, path: str) -> None:
            if path not in self:
                super().append(path)

    @functools.cache
    def create_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
        loader = botocore.loaders.create_loader(search_path_string)
        loader._search_paths = Paths(loader.search_paths)
        return loader

    botocore.session.create_loader = create_loader


if on_s3():
    _share_botocore_data()


def unique_name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


@pytest.fixture(autouse=True)
def _blob_root(request: pytest.FixtureRequest, settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Every test gets its own empty blob storage: a folder, or in the S3 run a prefix of the
    run's bucket. A test that asks for ``_blob_root`` by name (it looks at the files) or is
    marked ``local_storage`` always gets the folder."""
    from django.core.files.storage import storages

    from imgbackup.settings import _blob_storage

    root = tmp_path / "blobs"
    wants_folder = ("_blob_root" in request.node._fixtureinfo.argnames
                    or request.node.get_closest_marker("local_storage") is not None)
    if on_s3() and not wants_folder:
        blobs = _blob_storage(f"{RUN_STORAGE.rstrip('/')}/{unique_name('tests/')}")
    else:
        blobs = {"BACKEND": "imgbackup.storage.local.LocalBlobStorage",
                 "OPTIONS": {"location": str(root)}}
    settings.STORAGES = {**settings.STORAGES, "blobs": blobs}
    storages._storages.pop("blobs", None)
    yield root
    storages._storages.pop("blobs", None)


@pytest.fixture(autouse=True)
def _fast_passwords(request: pytest.FixtureRequest, settings: Any) -> None:
    """A fast password hash for the tests' own process (personas, logins, password forms):
    Django's default, PBKDF2 with 1 000 000 rounds, costs ~0.4 s of CPU per user made and per
    login, which was most of the time of the tests that use ``alice``/``bob``/``admin``
    (tests/core/test_ranges.py + 4 other files: 258 s -> 38 s). What is checked never depends
    on the hash's cost. Live servers (``start_server``, ``imgbackup`` subprocesses) keep the
    production default, so logins through them still use it; a test marked
    ``real_password_hash`` gets it too (tests/security/test_password_hash.py)."""
    if request.node.get_closest_marker("real_password_hash") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_jpeg(seed: int = 0, size: tuple[int, int] = (64, 48), **save: Any) -> bytes:
    """A small real JPEG whose bytes differ per seed."""
    im = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, (seed * 13) % 256))
    im.putpixel((seed % size[0], 0), (255 - (seed % 256), 0, 0))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90, **save)
    return buf.getvalue()


def make_png(seed: int = 0, size: tuple[int, int] = (32, 32)) -> bytes:
    im = Image.new("RGBA", size, (seed % 256, 10, 20, 255))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


@dataclass
class Persona:
    user: User
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}


def _persona(name: str) -> Persona:
    from imgbackup.accounts.tokens import create_token

    user = User.objects.create_user(name, password=f"{name}-password-123")
    _, raw = create_token(user, "tests")
    return Persona(user, raw)


@pytest.fixture
def alice(db: None) -> Persona:
    return _persona("alice")


@pytest.fixture
def bob(db: None) -> Persona:
    return _persona("bob")


@pytest.fixture
def admin(db: None) -> Persona:
    persona = _persona("admin")
    User.objects.filter(pk=persona.user.pk).update(is_staff=True, is_superuser=True)
    persona.user.refresh_from_db()
    return persona


@pytest.fixture
def client() -> Client:
    return Client()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def imgbackup(self, *args: str, input: str | None = None) -> str:
        """Run a server-side ``imgbackup`` command against this server's data."""
        out = subprocess.run([sys.executable, "-m", "imgbackup", *args], env=self.env,
                             input=input, capture_output=True, text=True, check=True)
        return out.stdout

    def user_with_token(self, name: str) -> str:
        return self.users_with_tokens(name)[0]

    def users_with_tokens(self, *names: str) -> list[str]:
        """Each user (password ``NAME-password-123``) and an API token for them, made by the
        ``createuser`` and ``token`` commands in one ``imgbackup shell``: one Django start-up
        instead of two per user (1-5 s each on a loaded machine)."""
        script = ("from django.core.management import call_command\n"
                  f"for name in {list(names)!r}:\n"
                  "    call_command('createuser', name, '--password', name + '-password-123')\n"
                  "    call_command('token', name)\n")
        out = self.imgbackup("shell", "-c", script)
        tokens = [line for line in out.splitlines() if line.startswith("ib_")]
        assert len(tokens) == len(names), out
        return tokens

    def wait_ready(self, timeout: float = 60) -> LiveServer:
        """Return once /healthz answers 200; raise with the server's log if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not start:\n{self.log.read_text()}")

    def stored_objects(self, prefix: str = "originals/") -> dict[str, int]:
        """Blob name -> size of what this server has stored under ``prefix``, on local disk
        or in S3, whichever it uses."""
        storage = self.env.get("IMGBACKUP_STORAGE", "")
        if not storage.startswith("s3://"):
            root = Path(storage or self.data_dir)
            return {str(p.relative_to(root)): p.stat().st_size
                    for p in (root / prefix).rglob("*") if p.is_file()}
        import boto3

        bucket, _, location = storage.removeprefix("s3://").partition("/")
        base = f"{location.strip('/')}/" if location.strip("/") else ""
        client = boto3.client("s3", endpoint_url=self.env["IMGBACKUP_S3_ENDPOINT_URL"],
                              region_name=self.env.get("IMGBACKUP_S3_REGION", "us-east-1"),
                              aws_access_key_id=self.env["IMGBACKUP_S3_ACCESS_KEY_ID"],
                              aws_secret_access_key=self.env["IMGBACKUP_S3_SECRET_ACCESS_KEY"])
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                  Prefix=base + prefix)
        return {item["Key"].removeprefix(base): item["Size"]
                for page in pages for item in page.get("Contents", ())}

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        """Run a read-only query on this server's database, SQLite or PostgreSQL."""
        url = self.env.get("IMGBACKUP_DATABASE_URL", "")
        if url.startswith(("postgres://", "postgresql://")):
            import psycopg

            with psycopg.connect(url) as conn:
                return list(conn.execute(query).fetchall())
        import sqlite3

        db = sqlite3.connect(self.data_dir / "imgbackup.sqlite3")
        try:
            return list(db.execute(query).fetchall())
        finally:
            db.close()

    def stop(self, grace: float = STOP_GRACE) -> None:
        """SIGTERM, gunicorn's graceful stop; if the server is still up after ``grace``
        seconds, SIGKILL to its whole process group (master, web workers, job workers).
        No test is about the graceful stop itself: a server that still held a request of a
        client the test killed or left hanging (a half-sent body, a stalled tus PATCH) waited
        for it here 10 s per test, and an idle one takes 1-7 s (load) to let its workers and
        its job worker finish."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


# Migrated databases made once per run: a live server starts from a copy of one instead of
# migrating an empty database (~1 s of CPU, 5-10 s on a loaded machine, per server). A test
# that gives its server a database of its own (IMGBACKUP_DATABASE_URL) still migrates it, and
# tests/security/test_fresh_data_folder.py migrates a fresh data folder.
_MIGRATED: dict[str, str] = {}


def _migrate(env: dict[str, str]) -> None:
    env = {**os.environ, **env}
    for name in ("DJANGO_SETTINGS_MODULE", "IMGBACKUP_DATABASE_URL", "IMGBACKUP_STORAGE"):
        if name not in env or not env[name]:
            env.pop(name, None)
    subprocess.run([sys.executable, "-m", "imgbackup", "migrate", "-v0"], env=env, check=True)


def migrated_sqlite() -> Path:
    if "sqlite" not in _MIGRATED:
        folder = Path(tempfile.mkdtemp(prefix="imgbackup-migrated-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _migrate({"IMGBACKUP_DATA_DIR": str(folder), "IMGBACKUP_DATABASE_URL": ""})
        wal = folder / "imgbackup.sqlite3-wal"
        assert not wal.exists() or wal.stat().st_size == 0, "migrate left a WAL to copy too"
        _MIGRATED["sqlite"] = str(folder / "imgbackup.sqlite3")
    return Path(_MIGRATED["sqlite"])


def migrated_postgres() -> str:
    """The name of a migrated database of the run's PostgreSQL, a template for new ones."""
    if "postgres" not in _MIGRATED:
        import psycopg

        name = unique_name("migrated_")
        with psycopg.connect(RUN_DATABASE, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        _migrate({"IMGBACKUP_DATABASE_URL": RUN_DATABASE.rsplit("/", 1)[0] + "/" + name,
                  "IMGBACKUP_DATA_DIR": tempfile.mkdtemp(prefix="imgbackup-migrated-")})
        _MIGRATED["postgres"] = name
    return _MIGRATED["postgres"]


def isolated_backends(given: dict[str, str], migrated: bool = False) -> dict[str, str]:
    """In the PostgreSQL + S3 run, a fresh database (empty, or a copy of a migrated one if
    ``migrated``) and bucket prefix for one live server, so that servers of different tests
    never see each other's users or photos."""
    env: dict[str, str] = {}
    if on_postgres() and "IMGBACKUP_DATABASE_URL" not in given:
        import psycopg

        name = unique_name("live_")
        template = f' TEMPLATE "{migrated_postgres()}"' if migrated else ""
        with psycopg.connect(RUN_DATABASE, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{template}')
        env["IMGBACKUP_DATABASE_URL"] = RUN_DATABASE.rsplit("/", 1)[0] + "/" + name
    if on_s3() and "IMGBACKUP_STORAGE" not in given:
        env["IMGBACKUP_STORAGE"] = f"{RUN_STORAGE.rstrip('/')}/{unique_name('live-')}"
    return env


def start_server(tmp: Path, extra_env: dict[str, str] | None = None,
                 port: int | None = None, wait: bool = True) -> LiveServer:
    """Start ``imgbackup serve`` with its data in ``tmp/data``. ``extra_env`` overrides the
    environment (give several servers one IMGBACKUP_DATABASE_URL, IMGBACKUP_STORAGE and
    IMGBACKUP_SECRET_KEY to make them one service). Unless ``wait`` is false, returns once
    /healthz answers 200."""
    port = port or free_port()
    data = tmp / "data"
    extra = extra_env or {}
    env = {**os.environ, "IMGBACKUP_DATA_DIR": str(data), "IMGBACKUP_WORKERS": "2",
           "IMGBACKUP_THREADS": "4", **isolated_backends(extra, migrated=True), **extra}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    sqlite = data / "imgbackup.sqlite3"
    if (not env.get("IMGBACKUP_DATABASE_URL") and env["IMGBACKUP_DATA_DIR"] == str(data)
            and not sqlite.exists()):
        data.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(migrated_sqlite(), sqlite)
    log = tmp / f"server-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "imgbackup", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=tmp,
        # Its own process group, so a test can kill the master and its workers together.
        start_new_session=True,
    )
    server = LiveServer(f"http://127.0.0.1:{port}", data, env, process, log)
    return server.wait_ready() if wait else server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(tmp_path)
    yield live
    live.stop()


def copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, dirs_exist_ok=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In the PostgreSQL + S3 run, leave out the tests marked ``backend_independent``: what
    they check (pixels, parsing, the CLI against a fake server, the web app's own behaviour in
    Chromium) does not depend on the database or the storage, and the SQLite run has run them.
    The 60-second soak (marker ``soak``) runs once too, in the SQLite run: the embedded
    default, as ``make soak`` runs it; the PostgreSQL + S3 run has its own concurrency tests
    (tests/reliability/test_verify_under_load.py, tests/scale/)."""
    if not (on_postgres() or on_s3()):
        return
    once = [item for item in items if item.get_closest_marker("backend_independent")
            or item.get_closest_marker("soak")]
    if once:
        config.hook.pytest_deselected(items=once)
        kept = set(map(id, items)) - set(map(id, once))
        items[:] = [item for item in items if id(item) in kept]
