"""Client test helpers: a private home (config and cache folders) for every test, the CLI run
in-process, photo folders generated in code, and the in-memory API v2 server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import make_jpeg, make_png

from imgbackup.client import _api, _commands
from imgbackup.client.cli import main

from .fake_server import TOKEN, FakeServer

URL = "http://photos.test"


@dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Config and cache go to this test's own folder; no login from the environment."""
    home = tmp_path / "home"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.delenv("IMGBACKUP_URL", raising=False)
    monkeypatch.delenv("IMGBACKUP_TOKEN", raising=False)
    return home


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retries back off without waiting; the pauses asked for are recorded."""
    pauses: list[float] = []
    monkeypatch.setattr(_api, "_sleep", pauses.append)
    return pauses


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]) -> FakeServer:
    """The in-memory server, with the client logged in to it through the environment."""
    server = FakeServer()
    monkeypatch.setenv("IMGBACKUP_URL", URL)
    monkeypatch.setenv("IMGBACKUP_TOKEN", TOKEN)

    def open_api(url: str, token: str | None, *, jobs: int = 1, retries: int) -> _api.Api:
        return _api.Api(url, token, connections=jobs, retry=_api.Retry(attempts=retries),
                        transport=server.transport())

    monkeypatch.setattr(_commands, "_open_api", open_api)
    return server


def photo_tree(root: Path, count: int, *, start: int = 0) -> dict[str, bytes]:
    """``count`` distinct small photos (JPEG and PNG) in nested folders; relative path ->
    bytes. Some names repeat across folders, as cameras' do."""
    files: dict[str, bytes] = {}
    for i in range(start, start + count):
        folder = f"{2020 + i % 3}/trip-{i % 5}/{'raw' if i % 7 == 0 else 'best'}"
        if i % 4 == 0:
            name, data = f"IMG_{i % 10:04d}-{i}.png", make_png(i, (8 + i % 13, 8))
        else:
            name, data = f"IMG_{i:04d}.JPG", make_jpeg(i, (16 + i % 9, 12))
        path = root / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        files[f"{folder}/{name}"] = data
    return files
