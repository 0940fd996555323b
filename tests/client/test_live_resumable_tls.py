"""``imgbackup push``'s large files (client/_resumable.py) over HTTPS, through nginx terminating
TLS in front of a real ``imgbackup serve``: no sendfile there, httpx sends each chunk as it is
read from the file (``PIECE`` bytes at a time), so the pushing process never holds a chunk. A
file changed or cut short while its chunk is on the wire fails alone, refused as on the
sendfile path (test_live_resumable.py); a connection broken mid-chunk resumes from the server's
offset."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LiveServer, start_server
from httpcore._backends.sync import SyncStream

from api_v2.test_tus_clients import big_jpeg
from backends import free_port
from imgbackup.client import _resumable
from scale.test_nginx import nginx_conf

from .conftest import Run
from .test_live import summary
from .test_live_resumable import files, original, server_offset

pytestmark = pytest.mark.slow

MiB = 1024 * 1024
CHUNK = MiB  # IMGBACKUP_PUSH_CHUNK_MB=1, four pieces of 256 KiB each
HEAD = re.compile(rb"(PATCH|HEAD|POST|GET|DELETE) (\S+) HTTP/1\.1\r\n")


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, LiveServer]]:
    """nginx with the shipped site, listening with TLS (a self-signed certificate for
    127.0.0.1), in front of an ``imgbackup serve``: nginx's URL, the certificate, the server."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists() or not shutil.which("openssl"):
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("CI must test the CLI over TLS: apt-get install nginx openssl")
        pytest.skip("nginx or openssl is not installed")
    tmp = tmp_path_factory.mktemp("client-tls")
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    server = start_server(tmp)
    port = free_port()
    conf = nginx_conf(tmp, port, server.url.removeprefix("http://"), tmp / "data")
    site = tmp / "site.conf"
    site.write_text(site.read_text().replace(
        f"listen 127.0.0.1:{port};",
        f"listen 127.0.0.1:{port} ssl; ssl_certificate {cert}; ssl_certificate_key {key};"))
    process = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp)], stderr=subprocess.PIPE)
    url = f"https://127.0.0.1:{port}"
    trusting = ssl.create_default_context(cafile=cert)
    try:
        for _ in range(100):
            try:
                if httpx.get(url + "/healthz", verify=trusting).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url, cert, server
    finally:
        process.terminate()
        process.wait(10)
        server.stop()


@pytest.fixture
def user(tls: tuple[str, Path, LiveServer], request: pytest.FixtureRequest,
         monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh user, the client logged in as them over HTTPS, large files resumable in 1 MiB
    chunks."""
    url, cert, server = tls
    name = "t" + hashlib.sha256(request.node.name.encode()).hexdigest()[:10]
    token = server.user_with_token(name)
    for name, value in {"IMGBACKUP_URL": url, "IMGBACKUP_TOKEN": token, "SSL_CERT_FILE": str(cert),
                        "IMGBACKUP_PUSH_RESUMABLE_MB": "1", "IMGBACKUP_PUSH_CHUNK_MB": "1"}.items():
        monkeypatch.setenv(name, value)
    return token


Hook = Callable[[SyncStream, str, int, int], None]


def hook_patches(monkeypatch: pytest.MonkeyPatch, after_piece: Hook) -> list[tuple[str, int]]:
    """Record every PATCH that goes out on a TLS connection as (upload URL, offset), and call
    ``after_piece(stream, upload URL, offset, body bytes written so far)`` after each write of
    its body (another program touching the file, or the network failing, at that moment)."""
    patches: list[tuple[str, int]] = []
    current: dict[int, list[Any]] = {}  # each connection's PATCH: [URL, offset, body bytes]
    real = SyncStream.write

    def write(self: SyncStream, buffer: bytes, timeout: float | None = None) -> None:
        head = HEAD.match(buffer)
        if head is not None:
            offset = re.search(rb"(?i)upload-offset: (\d+)", buffer)
            current.pop(id(self), None)
            if head[1] == b"PATCH" and offset is not None:
                current[id(self)] = [head[2].decode(), int(offset[1]), 0]
                patches.append((head[2].decode(), int(offset[1])))
            return real(self, buffer, timeout)
        real(self, buffer, timeout)
        if id(self) in current:
            current[id(self)][2] += len(buffer)
            after_piece(self, *current[id(self)])

    monkeypatch.setattr(SyncStream, "write", write)
    return patches


def upload_path(server: LiveServer, data: bytes) -> str:
    sha256 = hashlib.sha256(data).hexdigest()
    ((upload_id,),) = server.sql(f"SELECT id FROM photos_resumableupload WHERE sha256 = '{sha256}'")
    return f"/api/v2/uploads/{upload_id}"


def test_large_files_go_through_httpx_piece_by_piece_and_arrive_byte_for_byte(
        run: Run, tls: tuple[str, Path, LiveServer], user: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    made = files(tmp_path, 3 * MiB + 12345, 2 * MiB + 1)
    written: dict[tuple[str, int], list[int]] = defaultdict(list)  # each PATCH's body so far
    patches = hook_patches(monkeypatch, lambda stream, url, offset, sent: written[
        url, offset].append(sent))
    monkeypatch.setattr(socket.socket, "sendfile", None)  # never on this path

    result = summary(run("push", "--json", "--quiet", str(tmp_path / "videos")))

    assert result["exit_code"] == 0 and result["uploaded"] == 2, result
    for data in made.values():
        assert original(tls[2], user, data) == data
    assert len(patches) == len(written) == 4 + 3  # one PATCH per chunk, each written whole,
    assert sorted(sent[-1] for sent in written.values()) == [1, 12345] + [CHUNK] * 5
    for sent in written.values():  # a piece at a time
        assert all(0 <= b - a <= _resumable.PIECE for a, b in pairwise([0, *sent]))


@pytest.mark.parametrize(("touch", "reason"), [
    (lambda path: _edit(path, 2 * CHUNK - 100),
     "changed since it was read (the server's checksum differs); run again"),
    (lambda path: os.truncate(path, CHUNK + 2 * _resumable.PIECE),
     "changed while it was being sent"),
], ids=["edited", "cut-short"])
def test_a_file_changed_while_its_chunk_is_sent_fails_alone_and_its_chunk_is_not_kept(
        touch: Callable[[Path], None], reason: str, run: Run,
        tls: tuple[str, Path, LiveServer], user: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    server = tls[2]
    (victim, data), (_, whole) = files(tmp_path, 3 * MiB, 2 * MiB + 7).items()
    touched: list[int] = []

    def touch_victim(stream: SyncStream, url: str, offset: int, sent: int) -> None:
        # The first piece of its second chunk is out, the rest still to be read: change it.
        if offset == CHUNK and not touched and url == upload_path(server, data):
            touched.append(sent)
            touch(victim)

    hook_patches(monkeypatch, touch_victim)
    result = summary(run("push", "--json", "--quiet", "--jobs", "1", str(victim.parent)))

    assert touched == [_resumable.PIECE]
    assert result["exit_code"] == 1 and result["uploaded"] == 1, result
    assert result["failed"] == [{"path": str(victim), "reason": reason}]
    assert result["uploaded_bytes"] == len(whole)
    assert original(server, user, whole) == whole
    assert server_offset(server, data) == [(CHUNK, "")]  # the first chunk, as it was hashed


def _edit(path: Path, offset: int) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(b"edited by another program")


def test_a_connection_broken_inside_a_chunk_resumes_from_the_servers_offset(
        run: Run, tls: tuple[str, Path, LiveServer], user: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]) -> None:
    ((path, data),) = files(tmp_path, 3 * MiB + 99).items()
    broken: list[int] = []

    def break_once(stream: SyncStream, url: str, offset: int, sent: int) -> None:
        if offset == CHUNK and not broken:  # half-way into the second chunk
            broken.append(sent)
            stream.get_extra_info("socket").shutdown(socket.SHUT_RDWR)

    patches = hook_patches(monkeypatch, break_once)
    result = summary(run("push", "--json", "--quiet", str(path.parent)))

    assert result["exit_code"] == 0 and result["uploaded"] == 1, result
    assert broken and no_sleep  # a pause, a HEAD, then the chunk again
    assert [offset for _, offset in patches].count(CHUNK) >= 2
    assert result["uploaded_bytes"] == len(data)
    assert original(tls[2], user, data) == data


PEAK = """
import re, sys
from imgbackup.client.cli import main

def kib(name):
    return int(re.search(name + r":\\s+(\\d+) kB", open("/proc/self/status").read())[1])

assert main(["push", "--quiet", sys.argv[1]]) == 0  # imports, TLS set-up, one chunk
open("/proc/self/clear_refs", "w").write("5")  # VmHWM (the peak RSS) starts again from here
before = kib("VmRSS")
code = main(["push", "--json", "--quiet", "--jobs", "2", sys.argv[2]])
print((kib("VmHWM") - before) * 1024)
sys.exit(code)
"""


def test_the_pushing_process_never_holds_a_chunk(
        tls: tuple[str, Path, LiveServer], user: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two 16 MiB-chunked files at once over HTTPS: the peak RSS grows by a few pieces, not by
    a chunk per connection."""
    monkeypatch.setenv("IMGBACKUP_PUSH_CHUNK_MB", "16")
    warm = tmp_path / "warm"
    warm.mkdir()
    (warm / "warm.jpg").write_bytes(big_jpeg(MiB + 1, seed=9))
    made = files(tmp_path, 40 * MiB, 40 * MiB + 3)
    out = subprocess.run([sys.executable, "-c", PEAK, str(warm), str(tmp_path / "videos")],
                         env=dict(os.environ), capture_output=True, text=True)

    assert out.returncode == 0, out.stderr
    growth = int(out.stdout.splitlines()[-1])
    print(f"peak RSS grew by {growth / MiB:.1f} MiB")
    assert growth < 4 * MiB, f"peak RSS grew by {growth / MiB:.1f} MiB"
    for data in made.values():
        assert original(tls[2], user, data) == data
