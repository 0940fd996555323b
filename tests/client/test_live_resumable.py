"""``imgbackup push``'s large files (client/_resumable.py) against a real ``imgbackup serve`` over
plain HTTP: each chunk is hashed through a reused buffer and its bytes go by ``sendfile``,
never through httpx. A file that changes between a chunk's hash and its send is refused by the
server's checksum and fails (the server keeps only what was hashed); a file cut short fails
alone; a network failure inside sendfile is resumed from the server's offset."""

from __future__ import annotations

import errno
import hashlib
import os
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LiveServer

from api_v2.test_tus_clients import big_jpeg
from imgbackup.client import _sendfile
from imgbackup.client._api import Api

from .conftest import Run
from .test_live import served, summary, user

pytestmark = pytest.mark.slow

__all__ = ["served", "user"]  # fixtures, shared with test_live.py

MiB = 1024 * 1024
CHUNK = MiB  # IMGBACKUP_PUSH_CHUNK_MB=1
SLICE = 256 * 1024  # four sendfile calls per chunk


@pytest.fixture(autouse=True)
def resumable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files of 1 MiB and more go resumable, in 1 MiB chunks, 256 KiB per sendfile call."""
    monkeypatch.setenv("IMGBACKUP_PUSH_RESUMABLE_MB", "1")
    monkeypatch.setenv("IMGBACKUP_PUSH_CHUNK_MB", "1")
    monkeypatch.setattr(_sendfile, "SLICE", SLICE)


@pytest.fixture
def through_httpx(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The methods of the requests httpx sent (the rest went by http.client and sendfile)."""
    methods: list[str] = []
    real = httpx.Client.request

    def recorded(self: httpx.Client, method: str, *args: Any, **kwargs: Any) -> httpx.Response:
        methods.append(method)
        return real(self, method, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "request", recorded)
    return methods


Hook = list[tuple[str, int, int]]


def hook_sendfile(monkeypatch: pytest.MonkeyPatch, before: Any = None) -> Hook:
    """Record every ``socket.sendfile`` call as (file name, offset, count); ``before(name,
    offset, count)`` runs first (another program touching the file at that moment)."""
    calls: Hook = []
    real = socket.socket.sendfile

    def hooked(self: socket.socket, file: Any, offset: int = 0,
               count: int | None = None) -> int:
        calls.append((file.name, offset, count or 0))
        if before is not None:
            before(file.name, offset, count or 0)
        return real(self, file, offset, count)

    monkeypatch.setattr(socket.socket, "sendfile", hooked)
    return calls


def original(server: LiveServer, token: str, data: bytes) -> bytes:
    return httpx.get(f"{server.url}/api/v2/photos/{hashlib.sha256(data).hexdigest()}/original",
                     headers={"Authorization": f"Bearer {token}"}).content


def server_offset(server: LiveServer, data: bytes) -> list[tuple[Any, ...]]:
    """The server's offset of every upload of ``data`` (by the SHA-256 its creation claimed)."""
    sha256 = hashlib.sha256(data).hexdigest()
    return server.sql('SELECT "offset", photo_id FROM photos_resumableupload '
                      f"WHERE sha256 = '{sha256}'")


def files(tmp_path: Path, *sizes: int) -> dict[Path, bytes]:
    folder = tmp_path / "videos"
    folder.mkdir()
    made = {folder / f"{chr(97 + i)}-{size}.jpg": big_jpeg(size, seed=i)
            for i, size in enumerate(sizes)}
    for path, data in made.items():
        path.write_bytes(data)
    return made


def test_large_files_go_in_chunks_by_sendfile_and_arrive_byte_for_byte(
        run: Run, served: LiveServer, user: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, through_httpx: list[str]) -> None:
    made = files(tmp_path, 3 * MiB + 12345, 2 * MiB + 1)
    calls = hook_sendfile(monkeypatch)

    result = summary(run("push", "--json", "--quiet", str(tmp_path / "videos")))

    assert result["exit_code"] == 0 and result["uploaded"] == 2, result
    assert result["uploaded_bytes"] == sum(map(len, made.values()))
    for path, data in made.items():
        assert original(served, user, data) == data
        # Every chunk by sendfile, each slice within its chunk; each byte sent once.
        sent = sorted((offset, count) for name, offset, count in calls if name == str(path))
        assert sum(count for _, count in sent) == len(data)
        assert all(offset // CHUNK == (offset + count - 1) // CHUNK for offset, count in sent)
    assert "PATCH" not in through_httpx  # creations and HEADs only
    assert through_httpx.count("POST") >= 2


def test_a_file_changed_between_a_chunks_hash_and_its_send_fails_and_nothing_else_is_kept(
        run: Run, served: LiveServer, user: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]) -> None:
    ((victim, data),) = files(tmp_path, 3 * MiB).items()

    def rewrite(name: str, offset: int, count: int) -> None:
        if offset == CHUNK:  # the second chunk, hashed, is about to be sent: change it
            with victim.open("r+b") as f:
                f.seek(CHUNK + 10)
                f.write(b"edited by another program")

    calls = hook_sendfile(monkeypatch, rewrite)
    result = summary(run("push", "--json", "--quiet", str(victim.parent)))

    assert result["exit_code"] == 1 and result["uploaded"] == 0
    assert result["failed"] == [{"path": str(victim), "reason": "changed since it was read "
                                 "(the server's checksum differs); run again"}]
    # The chunk was sent once and refused: the server holds the first chunk, as hashed.
    assert [offset for _, offset, _ in calls].count(CHUNK) == 1 and no_sleep == []
    assert server_offset(served, data) == [(CHUNK, "")]
    assert result["uploaded_bytes"] == 0  # the kept chunk is counted when the file is sent

    again = summary(run("push", "--json", "--quiet", str(victim.parent)))  # hashed anew
    assert again["exit_code"] == 0 and again["uploaded"] == 1, again
    assert original(served, user, victim.read_bytes()) == victim.read_bytes()


def test_a_file_cut_short_while_a_chunk_is_sent_fails_alone(
        run: Run, served: LiveServer, user: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    (victim, data), (_, whole) = files(tmp_path, 3 * MiB, 2 * MiB + 7).items()

    def cut(name: str, offset: int, count: int) -> None:
        if name == str(victim) and offset == CHUNK + SLICE:  # inside the second chunk
            os.truncate(victim, offset)

    hook_sendfile(monkeypatch, cut)
    result = summary(run("push", "--json", "--quiet", "--jobs", "1", str(victim.parent)))

    assert result["exit_code"] == 1 and result["uploaded"] == 1, result
    assert result["failed"] == [{"path": str(victim),
                                 "reason": "changed while it was being sent"}]
    assert result["uploaded_bytes"] == len(whole)
    assert original(served, user, whole) == whole
    assert server_offset(served, data) == [(CHUNK, "")]  # the cut chunk was not kept


def test_a_file_cut_short_between_chunks_fails_before_its_next_chunk(
        run: Run, served: LiveServer, user: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    ((victim, data),) = files(tmp_path, 3 * MiB).items()
    real = socket.socket.sendfile

    def cut_after_the_first_chunk(self: socket.socket, file: Any, offset: int = 0,
                                  count: int | None = None) -> int:
        sent = real(self, file, offset, count)
        if offset + sent == CHUNK:
            os.truncate(victim, CHUNK + 100)
        return sent

    monkeypatch.setattr(socket.socket, "sendfile", cut_after_the_first_chunk)
    result = summary(run("push", "--json", "--quiet", str(victim.parent)))

    assert result["exit_code"] == 1 and result["uploaded"] == 0
    assert result["failed"] == [{"path": str(victim),
                                 "reason": "changed since it was read; run again"}]
    assert server_offset(served, data) == [(CHUNK, "")]


def test_a_network_failure_inside_a_chunks_sendfile_resumes_from_the_servers_offset(
        run: Run, served: LiveServer, user: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, no_sleep: list[float],
        through_httpx: list[str]) -> None:
    ((path, data),) = files(tmp_path, 3 * MiB + 99).items()
    failures = [OSError(errno.ENETUNREACH, "Network is unreachable")]

    def unreachable(name: str, offset: int, count: int) -> None:
        if offset == CHUNK + SLICE and failures:  # half-way into the second chunk
            raise failures.pop()

    calls = hook_sendfile(monkeypatch, unreachable)
    result = summary(run("push", "--json", "--quiet", str(path.parent)))

    assert result["exit_code"] == 0 and result["uploaded"] == 1, result
    # A pause, then HEAD and the chunk again (again if the server was still ending the first).
    assert failures == [] and no_sleep and through_httpx.count("HEAD") >= 1
    assert [offset for _, offset, _ in calls].count(CHUNK) >= 2
    assert result["uploaded_bytes"] == len(data)
    assert original(served, user, data) == data


@pytest.mark.parametrize(("url", "proxy", "usable"), [
    ("http://photos.example:8000/api/v2/uploads/abc", None, True),
    ("http://elsewhere.example:8000/api/v2/uploads/abc", None, False),  # not this server
    ("http://photos.example:8001/api/v2/uploads/abc", None, False),
    ("http://photos.example:8000/api/v2/uploads/abc", "http://proxy.example:3128", False),
])
def test_chunks_go_by_sendfile_only_to_the_same_plain_http_server_without_a_proxy(
        url: str, proxy: str | None, usable: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    if proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy)
    with Api("http://photos.example:8000", "token") as api:
        assert api.sends_files_to(url) is usable
    with Api("https://photos.example:8000", "token") as api:  # encrypted in user space
        assert api.sends_files_to(url.replace("http:", "https:")) is False
