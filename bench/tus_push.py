"""A minimal tus 1.0.0 client for the benchmarks: creation, then PATCHes of ``chunk`` bytes
streamed from a file on one keep-alive connection (sendfile, so the client costs little).

Run as a program it is the client that item 11b kills half-way through a chunk:

    python -m bench.tus_push PORT TOKEN FILE CHUNK [DIE_AT]

It prints ``location URL`` once, ``sent N`` (body bytes handed to the socket so far) after
every MiB and ``offset N`` after every chunk the server accepted; once it has sent DIE_AT
bytes it kills itself with SIGKILL (no goodbye to the server: the connection just drops), so
the point of the kill is exact whatever the machine's load."""

from __future__ import annotations

import base64
import http.client
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.servers import HOST

UPLOADS = "/api/v2/uploads/"
MIB = 1024 * 1024


@dataclass
class Pushed:
    location: str
    photo_id: str = ""
    wall: float = 0.0
    chunk_seconds: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


def _headers(token: str, **extra: str) -> dict[str, str]:
    return {"Tus-Resumable": "1.0.0", "Authorization": f"Bearer {token}", **extra}


def create(conn: http.client.HTTPConnection, token: str, length: int, filename: str) -> str:
    name = base64.b64encode(filename.encode()).decode()
    conn.request("POST", UPLOADS, headers=_headers(
        token, **{"Upload-Length": str(length), "Upload-Metadata": f"filename {name}",
                  "Content-Length": "0"}))
    answer = conn.getresponse()
    answer.read()
    if answer.status != 201:
        raise RuntimeError(f"creation answered {answer.status}")
    return str(answer.getheader("Location"))


def head_offset(port: int, token: str, location: str) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request("HEAD", location, headers=_headers(token))
        answer = conn.getresponse()
        answer.read()
        return int(answer.getheader("Upload-Offset") or -1)
    finally:
        conn.close()


def patch(conn: http.client.HTTPConnection, token: str, location: str, path: Path,
          offset: int, count: int,
          progress: Callable[[int], None] | None = None) -> http.client.HTTPResponse:
    """Bytes ``offset`` to ``offset + count`` of ``path`` as one PATCH; the answer, read."""
    conn.putrequest("PATCH", location, skip_accept_encoding=True)
    for name, value in _headers(token, **{
            "Upload-Offset": str(offset), "Content-Length": str(count),
            "Content-Type": "application/offset+octet-stream"}).items():
        conn.putheader(name, value)
    conn.endheaders()
    with path.open("rb") as f:
        if progress is None:
            conn.sock.sendfile(f, offset, count)
        else:
            f.seek(offset)
            for start in range(0, count, MIB):
                conn.sock.sendall(f.read(min(MIB, count - start)))
                progress(start + min(MIB, count - start))
    answer = conn.getresponse()
    answer.read()
    return answer


def push(port: int, token: str, path: Path, chunk: int, location: str = "",
         offset: int = 0) -> Pushed:
    """Upload ``path`` (or continue ``location`` from ``offset``), timing every chunk."""
    size = path.stat().st_size
    conn = http.client.HTTPConnection(HOST, port, timeout=900)
    start = time.perf_counter()
    try:
        pushed = Pushed(location or create(conn, token, size, path.name))
        while offset < size:
            began = time.perf_counter()
            answer = patch(conn, token, pushed.location, path, offset, min(chunk, size - offset))
            pushed.chunk_seconds.append(time.perf_counter() - began)
            pushed.statuses.append(answer.status)
            if answer.status != 204:
                raise RuntimeError(f"PATCH at {offset} answered {answer.status}")
            offset = int(answer.getheader("Upload-Offset") or 0)
        pushed.photo_id = str(answer.getheader("Imgbackup-Photo-Id") or "")
    finally:
        conn.close()
    pushed.wall = time.perf_counter() - start
    return pushed


def _report(sent: int, die_at: int) -> None:
    print("sent", sent, flush=True)
    if sent >= die_at:
        os.kill(os.getpid(), signal.SIGKILL)


def main(port: str, token: str, file: str, chunk: str, die_at: str = "-1") -> None:
    """The killable client: reports what it has sent as it goes."""
    path, size, step = Path(file), Path(file).stat().st_size, int(chunk)
    end = int(die_at) if int(die_at) >= 0 else size + 1
    conn = http.client.HTTPConnection(HOST, int(port), timeout=900)
    location = create(conn, token, size, path.name)
    print("location", location, flush=True)
    offset = 0
    while offset < size:
        answer = patch(conn, token, location, path, offset, min(step, size - offset),
                       lambda n, base=offset: _report(base + n, end))
        offset = int(answer.getheader("Upload-Offset") or 0)
        print("offset", offset, flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
