"""Shared fixtures. Personas: alice and bob are ordinary users, each with an API token;
charlie has no token. ``server`` is a real ``imgbackup serve`` process on a free loopback port."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
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

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = ROOT.parent / "shared" / "testdata"
ORIENTATION = TESTDATA / "exif-orientation"


@pytest.fixture(autouse=True)
def _blob_root(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Every test gets its own empty blob storage folder."""
    from django.core.files.storage import storages

    root = tmp_path / "blobs"
    settings.STORAGES = {**settings.STORAGES, "blobs": {
        "BACKEND": "imgbackup.storage.local.LocalBlobStorage",
        "OPTIONS": {"location": str(root)},
    }}
    storages._storages.pop("blobs", None)
    yield root
    storages._storages.pop("blobs", None)


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
        self.imgbackup("createuser", name, "--password", f"{name}-password-123")
        return self.imgbackup("token", name).strip().splitlines()[-1]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(tmp: Path, extra_env: dict[str, str] | None = None,
                 port: int | None = None) -> LiveServer:
    port = port or free_port()
    data = tmp / "data"
    env = {**os.environ, "IMGBACKUP_DATA_DIR": str(data), "IMGBACKUP_WORKERS": "2",
           "IMGBACKUP_THREADS": "4", **(extra_env or {})}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = tmp / f"server-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "imgbackup", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=tmp,
    )
    server = LiveServer(f"http://127.0.0.1:{port}", data, env, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"server did not start:\n{log.read_text()}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(tmp_path)
    yield live
    live.stop()


@pytest.fixture
def orientation_images() -> list[Path]:
    if not ORIENTATION.is_dir():
        pytest.fail(f"test images missing: {ORIENTATION}")
    return sorted(ORIENTATION.glob("*.jpg"))


def copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, dirs_exist_ok=True)
