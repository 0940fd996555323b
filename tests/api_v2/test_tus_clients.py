"""Resumable uploads against a real server (gunicorn, as `imgbackup serve` runs it), from a
client no one here wrote (tuspy) and from raw sockets doing what phones and proxies do: drop
the connection half-way, send two chunks at once."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import LiveServer
from PIL import Image

pytestmark = pytest.mark.slow
RUNNER = Path(__file__).with_name("tus_client_run.py")
TUS = {"Tus-Resumable": "1.0.0"}


def big_jpeg(size: int, seed: int = 0) -> bytes:
    """A valid JPEG of about ``size`` bytes: a small picture, then random bytes after its end
    marker (image readers stop there; the hash covers everything)."""
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (seed % 256, 99, 7)).save(buf, "JPEG")
    return buf.getvalue() + os.urandom(size - len(buf.getvalue()))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **TUS}


def run_tuspy(server: LiveServer, token: str, path: Path, store: Path,
              chunk: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(RUNNER), server.url, token, str(path),
                             str(store), str(chunk)], stdout=subprocess.PIPE, text=True)


def test_tuspy_killed_half_way_resumes_and_the_bytes_are_identical(
        server: LiveServer, tmp_path: Path) -> None:
    token = server.user_with_token("alice")
    body = big_jpeg(12 * 1024 * 1024)
    path = tmp_path / "big.jpg"
    path.write_bytes(body)
    store = tmp_path / "tuspy-urls.json"
    first = run_tuspy(server, token, path, store, 1024 * 1024)
    assert first.stdout is not None
    for line in first.stdout:
        if line.startswith("offset") and int(line.split()[1]) >= len(body) // 2:
            first.send_signal(signal.SIGKILL)  # mid-way, likely while a chunk is in flight
            break
    first.wait()
    assert first.returncode == -signal.SIGKILL
    second = run_tuspy(server, token, path, store, 4 * 1024 * 1024)
    out, _ = second.communicate(timeout=120)
    assert second.returncode == 0, out
    lines = out.splitlines()
    resumed_at = int(lines[0].split()[1])
    assert resumed_at >= len(body) // 2, out  # nothing before the kill was sent again
    sha256 = hashlib.sha256(body).hexdigest()
    assert lines[-1] == f"photo {sha256}"
    got = httpx.get(f"{server.url}/api/v2/photos/{sha256}/original", headers=auth(token))
    assert got.status_code == 200 and got.content == body


def raw_patch(server: LiveServer, token: str, location: str, offset: int,
              length: int) -> socket.socket:
    """A PATCH whose headers promise ``length`` bytes; the caller sends the body."""
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.sendall((f"PATCH {location} HTTP/1.1\r\nHost: {host}\r\n"
                  f"Authorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\n"
                  f"Content-Type: application/offset+octet-stream\r\n"
                  f"Upload-Offset: {offset}\r\nContent-Length: {length}\r\n\r\n").encode())
    return sock


def answer_of(sock: socket.socket) -> str:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            break
        data += piece
    sock.close()
    return data.decode("latin-1")


def offset_of(server: LiveServer, token: str, location: str) -> int:
    return int(httpx.head(server.url + location, headers=auth(token)).headers["Upload-Offset"])


def create(server: LiveServer, token: str, length: int) -> str:
    made = httpx.post(server.url + "/api/v2/uploads/", headers={
        **auth(token), "Upload-Length": str(length)})
    assert made.status_code == 201, made.text
    return made.headers["Location"]


def test_a_dropped_connection_keeps_what_arrived_and_two_patches_never_interleave(
        server: LiveServer) -> None:
    token = server.user_with_token("alice")
    body = big_jpeg(3 * 1024 * 1024, seed=1)
    location = create(server, token, len(body))
    # The connection drops 1 MB into a 2 MB chunk: that megabyte counts.
    dropped = raw_patch(server, token, location, 0, 2 * 1024 * 1024)
    dropped.sendall(body[:1024 * 1024])
    time.sleep(0.5)
    dropped.close()
    deadline = time.monotonic() + 10
    while offset_of(server, token, location) != 1024 * 1024 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert offset_of(server, token, location) == 1024 * 1024
    # Two PATCHes at that offset at once: the one sending first wins, the other is 409.
    rest = body[1024 * 1024:]
    slow = raw_patch(server, token, location, 1024 * 1024, len(rest))
    slow.sendall(rest[:100_000])
    time.sleep(0.5)
    rival = httpx.patch(server.url + location, content=os.urandom(len(rest)), headers={
        **auth(token), "Upload-Offset": str(1024 * 1024),
        "Content-Type": "application/offset+octet-stream"})
    assert rival.status_code == 409, rival.text
    slow.sendall(rest[100_000:])
    reply = answer_of(slow)
    assert reply.startswith("HTTP/1.1 204"), reply
    sha256 = hashlib.sha256(body).hexdigest()
    assert f"Imgbackup-Photo-Id: {sha256}" in reply
    got = httpx.get(f"{server.url}/api/v2/photos/{sha256}/original", headers=auth(token))
    assert got.content == body


def test_a_flood_of_creations_is_bounded_per_user(tmp_path: Path) -> None:
    """Many creations at once from one user: exactly IMGBACKUP_MAX_OPEN_UPLOADS succeed (the
    count is taken under the user's row lock), the rest are 429; another user is unaffected."""
    from concurrent.futures import ThreadPoolExecutor

    from conftest import start_server

    server = start_server(tmp_path, {"IMGBACKUP_MAX_OPEN_UPLOADS": "5"})
    try:
        token, other = server.user_with_token("alice"), server.user_with_token("bob")

        def create_one(_: int) -> int:
            return httpx.post(server.url + "/api/v2/uploads/", timeout=60, headers={
                **auth(token), "Upload-Length": "1000"}).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(create_one, range(40)))
        assert sorted(set(statuses)) == [201, 429] and statuses.count(201) == 5, statuses
        assert httpx.post(server.url + "/api/v2/uploads/", headers={
            **auth(other), "Upload-Length": "1000"}).status_code == 201
    finally:
        server.stop()
