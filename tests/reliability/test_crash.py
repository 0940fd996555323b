"""Crash consistency: SIGKILL the whole server (master and workers) while uploads are in flight,
start it again on the same data, and check that nothing acknowledged was lost."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import LiveServer, make_jpeg, start_server

URL = "/api/v1.0/service/image/"
STALLED = 4  # uploads left hanging mid-body when the server dies
pytestmark = pytest.mark.slow


def stalled_upload(server: LiveServer, token: str, seed: int) -> socket.socket:
    """Send the headers and half the body of an upload, then stop: a request mid-body."""
    # Big enough that the server's multipart parser gets past the part's headers (it reads
    # 256 KB at a time) and starts spooling: never sent whole, so its bytes do not matter.
    body = make_jpeg(seed) + os.urandom(2 * 1024 * 1024)
    boundary = "crashtestboundary"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; '
            f'filename="p{seed}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n').encode()
    payload = head + body + f"\r\n--{boundary}--\r\n".encode()
    port = int(server.url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall((f"POST {URL} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  f"Authorization: Bearer {token}\r\n"
                  f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                  f"Content-Length: {len(payload)}\r\n\r\n").encode())
    sock.sendall(payload[: len(payload) // 2])
    return sock


def uploader(server: LiveServer, token: str, first_seed: int, acked: dict[str, bytes],
             stop: threading.Event) -> None:
    """Upload one photo after another until the server dies; remember what was acknowledged."""
    headers = {"Authorization": f"Bearer {token}"}
    for seed in range(first_seed, first_seed + 1000):
        if stop.is_set():
            return
        body = make_jpeg(seed)
        try:
            r = httpx.post(server.url + URL, headers=headers, timeout=10,
                           files={"photo": (f"{seed}.jpg", body, "image/jpeg")})
        except httpx.HTTPError:
            return  # the server died under this request: not acknowledged
        if r.status_code == 200:
            acked[hashlib.md5(body).hexdigest()] = body


def spool_files(server: LiveServer) -> list[Path]:
    """Upload spool files: in the storage's .incoming folder on local disk, else in the data
    folder's incoming/ (storage/__init__.py)."""
    return sorted(server.data_dir.glob("*incoming/*.part"))


def run_imgbackup(server: LiveServer, *args: str) -> tuple[int, dict[str, object]]:
    out = subprocess.run([sys.executable, "-m", "imgbackup", *args, "--json"], env=server.env,
                         capture_output=True, text=True, timeout=120)
    return out.returncode, json.loads(out.stdout)


def wait_for(condition: object, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_sigkill_mid_upload_loses_nothing_acknowledged(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    token = server.user_with_token("alice")
    acked: dict[str, bytes] = {}
    stop = threading.Event()
    try:
        threads = [threading.Thread(target=uploader, args=(server, token, 1000 * (i + 1),
                                                           acked, stop)) for i in range(3)]
        for t in threads:
            t.start()
        wait_for(lambda: len(acked) >= 6)
        stalled = [stalled_upload(server, token, 90_000 + i) for i in range(STALLED)]
        wait_for(lambda: len(spool_files(server)) >= STALLED)
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(10)
        stop.set()
        for t in threads:
            t.join(30)
        for sock in stalled:
            sock.close()
    finally:
        server.stop()
    assert len(spool_files(server)) >= STALLED, "the kill left no spool behind"

    # The same database and storage again (in the PostgreSQL + S3 run each server gets its own).
    restarted = start_server(tmp_path, {k: v for k, v in server.env.items() if k in {
        "IMGBACKUP_DATABASE_URL", "IMGBACKUP_STORAGE"}})
    try:
        headers = {"Authorization": f"Bearer {token}"}
        for md5, body in acked.items():
            got = httpx.get(restarted.url + URL, params={"md5": md5}, headers=headers)
            assert got.status_code == 200 and got.content == body, md5
        # verify re-hashes every object: a partial one under its final name would be corrupt.
        code, report = run_imgbackup(restarted, "verify")
        assert code == 0, report
        assert report["checked"] >= len(acked)
        code, collected = run_imgbackup(restarted, "gc", "--grace-minutes", "0")
        assert code == 0
        assert len(collected["spool_files"]) >= STALLED  # type: ignore[arg-type]
        assert spool_files(restarted) == []
        code, report = run_imgbackup(restarted, "verify", "--grace-minutes", "0")
        assert code == 0, report
        for md5, body in acked.items():  # gc touched nothing referenced
            got = httpx.get(restarted.url + URL, params={"md5": md5}, headers=headers)
            assert got.content == body
    finally:
        restarted.stop()
