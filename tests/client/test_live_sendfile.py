"""Uploads whose file bytes go by ``sendfile`` (client/_sendfile.py) against a real
``imgbackup serve``: every byte arrives, a file cut short mid-send fails alone, a refusal
sent before the body was read is read and told, a keep-alive connection the server closed is
not used again; and which servers get this path at all."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import select
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import httpx
import pytest
from conftest import LiveServer, start_server
from PIL import Image

from imgbackup.client import _sendfile
from imgbackup.client._api import Api, Retry
from imgbackup.client._multipart import Body, FilePart

from .conftest import Run
from .test_live import served, summary, user

pytestmark = pytest.mark.slow

__all__ = ["served", "user"]  # fixtures, shared with test_live.py

SLICE = 32 * 1024  # small slices, so that a photo of a few hundred KB takes several


def noisy_jpeg(seed: int) -> bytes:
    """A real JPEG of a few hundred KB (noise does not compress)."""
    image = Image.merge("RGB", [Image.effect_noise((640, 480), 40 + seed + i) for i in range(3)])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
def sendfile_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Small slices; the count asked of each ``socket.sendfile`` call, recorded."""
    monkeypatch.setattr(_sendfile, "SLICE", SLICE)
    calls: list[int] = []
    real = socket.socket.sendfile

    def recorded(self: socket.socket, file: Any, offset: int = 0,
                 count: int | None = None) -> int:
        calls.append(count or 0)
        return real(self, file, offset, count)

    monkeypatch.setattr(socket.socket, "sendfile", recorded)
    return calls


def original(server: LiveServer, token: str, sha256: str) -> bytes:
    return httpx.get(f"{server.url}/api/v2/photos/{sha256}/original",
                     headers={"Authorization": f"Bearer {token}"}).content


def test_photos_larger_than_a_slice_arrive_byte_for_byte_by_sendfile(
        run: Run, served: LiveServer, user: str, tmp_path: Path,
        sendfile_calls: list[int]) -> None:
    photos = {tmp_path / f"IMG_{i}.jpg": noisy_jpeg(i) for i in range(3)}
    for path, data in photos.items():
        path.write_bytes(data)
    size = sum(map(len, photos.values()))

    result = summary(run("push", "--json", "--quiet", str(tmp_path)))

    assert result["exit_code"] == 0 and result["uploaded"] == 3
    assert result["uploaded_bytes"] == size  # the progress counted every slice, once
    assert len(sendfile_calls) >= size // SLICE and max(sendfile_calls) <= SLICE
    for data in photos.values():
        assert original(served, user, hashlib.sha256(data).hexdigest()) == data


def test_a_photo_cut_short_while_it_is_sent_fails_alone_and_the_next_one_is_kept(
        run: Run, served: LiveServer, user: str, tmp_path: Path,
        sendfile_calls: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    victim, other = tmp_path / "a-cut.jpg", tmp_path / "b-whole.jpg"
    victim.write_bytes(noisy_jpeg(1))
    other.write_bytes(noisy_jpeg(2))
    real = socket.socket.sendfile  # the recording one

    def truncating(self: socket.socket, file: Any, offset: int = 0,
                   count: int | None = None) -> int:
        if file.name == str(victim) and offset > 0:  # another program cuts it mid-send
            os.truncate(victim, offset)
        return real(self, file, offset, count)

    monkeypatch.setattr(socket.socket, "sendfile", truncating)
    monkeypatch.setattr("imgbackup.client._push.BATCH_FILES", 1)
    result = summary(run("push", "--json", "--quiet", "--jobs", "1", str(tmp_path)))

    assert result["exit_code"] == 1 and result["uploaded"] == 1
    assert result["failed"] == [{"path": str(victim),
                                 "reason": "changed while it was being sent"}]
    ids = {p["id"] for p in httpx.get(f"{served.url}/api/v2/photos", headers={
        "Authorization": f"Bearer {user}"}).json()["items"]}
    assert ids == {hashlib.sha256(other.read_bytes()).hexdigest()}


def test_a_network_failure_inside_sendfile_is_tried_again_not_blamed_on_the_file(
        run: Run, served: LiveServer, user: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]) -> None:
    photo = tmp_path / "photos" / "IMG.jpg"
    photo.parent.mkdir()
    photo.write_bytes(noisy_jpeg(3))
    real = socket.socket.sendfile
    failures = [OSError(errno.ENETUNREACH, "Network is unreachable")]

    def unreachable_once(self: socket.socket, *args: Any, **kwargs: Any) -> int:
        if failures:
            raise failures.pop()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "sendfile", unreachable_once)
    result = summary(run("push", "--json", "--quiet", str(photo.parent)))

    assert result["exit_code"] == 0 and result["uploaded"] == 1, result
    assert failures == [] and len(no_sleep) == 1  # one pause, then the same request again
    assert original(served, user, hashlib.sha256(photo.read_bytes()).hexdigest()) == \
        photo.read_bytes()


@pytest.fixture
def small_limit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("limit"), {"IMGBACKUP_MAX_UPLOAD_MB": "1"})
    yield server
    server.stop()


def test_a_refusal_sent_before_the_body_was_read_is_read_and_told(
        run: Run, small_limit: LiveServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMGBACKUP_URL", small_limit.url)
    monkeypatch.setenv("IMGBACKUP_TOKEN", small_limit.user_with_token("alice"))
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8\xff" + os.urandom(3_000_000))  # over 1 MB + framing
    refused = []

    def closed_by_the_server(self: socket.socket, *args: Any, **kwargs: Any) -> int:
        # A front that resets the connection after its answer (ours lingers, nginx may not).
        refused.append(select.select([self], [], [], 10)[0])  # the 413 has arrived
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(socket.socket, "sendfile", closed_by_the_server)
    result = run("push", "--quiet", "--retries", "0", str(big))

    assert refused == [[ANY]]
    assert result.code == 1, result.err
    assert f"{big}: refused by the server" in result.err


def test_a_keep_alive_connection_closed_while_idle_is_not_used_again(
        served: LiveServer, user: str, tmp_path: Path, no_sleep: list[float]) -> None:
    data = noisy_jpeg(5)
    path = tmp_path / "IMG.jpg"
    path.write_bytes(data)
    with Api(served.url, user, retry=Retry(attempts=2)) as api:
        assert api.post_body("photos", body_of(path)).status_code == 201
        poster = api._poster  # the connection this thread keeps alive
        assert poster is not None
        conn = poster._local.conn
        conn.sock.shutdown(socket.SHUT_RD)  # reads as the server's close would

        answer = api.call(lambda: api.post_body("photos", body_of(path)))

    assert answer.status_code == 200 and no_sleep == []  # no failed try, no retry


def body_of(path: Path) -> Body:
    f = path.open("rb")
    size = path.stat().st_size

    class Source:
        def read(self, n: int = -1, /) -> bytes:
            return f.read(n)

        def send_to(self, sock: socket.socket) -> None:
            _sendfile.send_slices(sock, f, size, lambda n: None)
            f.close()

    return Body([("sha256", hashlib.sha256(path.read_bytes()).hexdigest())],
                [FilePart("file", path.name, "image/jpeg", size, Source())])


@pytest.mark.parametrize(("url", "proxy", "usable"), [
    ("http://photos.example:8000", None, True),
    ("https://photos.example", None, False),  # the bytes are encrypted in user space
    ("http://photos.example:8000", "http://proxy.example:3128", False),  # httpx's to handle
])
def test_sendfile_is_used_only_for_plain_http_without_a_proxy(
        url: str, proxy: str | None, usable: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    if proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy)
    assert _sendfile.usable(url) is usable
    with Api(url, "token") as api:
        assert (api._poster is not None) is usable
