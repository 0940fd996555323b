"""A lean HTTP load generator: prebuilt bodies, keep-alive connections, one thread per client.

The client must cost little next to the servers (2 cores are shared): bodies are built before
the clock starts, sent with one sendall (the GIL is released) and responses read into a
reused buffer."""

from __future__ import annotations

import http.client
import json
import math
import queue
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.servers import HOST

BOUNDARY = "imgbackup-bench-boundary-7d1f"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | Path = b""
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def size(self) -> int:
        return self.body.stat().st_size if isinstance(self.body, Path) else len(self.body)


@dataclass
class Run:
    """What a batch of requests measured."""

    wall: float
    latencies: list[float]
    sent: int
    received: int
    statuses: dict[int, int]

    @property
    def count(self) -> int:
        return len(self.latencies)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        index = min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))
        return ordered[index]

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")


def multipart_head(field: str, filename: str, content_type: str = "image/jpeg") -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; "
            f"filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n").encode()


MULTIPART_TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


def multipart(field: str, filename: str, data: bytes) -> bytes:
    """A multipart/form-data body carrying one file."""
    return multipart_head(field, filename) + data + MULTIPART_TAIL


MULTIPART = ("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")


def auth(token: str) -> tuple[tuple[str, str], ...]:
    return (("Authorization", f"Bearer {token}"),) if token else ()


def _send(conn: http.client.HTTPConnection, req: Request) -> None:
    conn.putrequest(req.method, req.path, skip_accept_encoding=True)
    for name, value in req.headers:
        conn.putheader(name, value)
    conn.putheader("Content-Length", str(req.size))
    conn.endheaders()
    if isinstance(req.body, Path):
        with req.body.open("rb") as f:
            conn.sock.sendfile(f)
    elif req.body:
        conn.sock.sendall(req.body)


def _read(response: http.client.HTTPResponse, buffer: bytearray) -> int:
    view = memoryview(buffer)
    total = 0
    for _ in range(1 << 40):
        n = response.readinto(view)
        if not n:
            break
        total += n
    return total


def run(port: int, requests: Sequence[Request], clients: int = 4,
        expect: Callable[[int], bool] = lambda status: status < 300,
        timeout: float = 900) -> Run:
    """Send ``requests`` over ``clients`` keep-alive connections in parallel."""
    jobs: queue.SimpleQueue[Request] = queue.SimpleQueue()
    for req in requests:
        jobs.put(req)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    received = [0]
    errors: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        buffer = bytearray(1 << 20)
        try:
            while True:
                try:
                    req = jobs.get_nowait()
                except queue.Empty:
                    return
                start = time.perf_counter()
                _send(conn, req)
                response = conn.getresponse()
                got = _read(response, buffer)
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    received[0] += got
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                    if not expect(response.status) and len(errors) < 3:
                        errors.append(f"{req.method} {req.path}: {response.status}")
                if response.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        except Exception as exc:  # reported below: the run fails as a whole
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():  # a timed join lets Ctrl-C and SIGTERM through
            thread.join(0.5)
    wall = time.perf_counter() - start
    if errors:
        raise RuntimeError("; ".join(errors))
    return Run(wall, latencies, sum(r.size for r in requests), received[0], statuses)


def call(port: int, method: str, path: str, body: bytes = b"", token: str = "",
         headers: tuple[tuple[str, str], ...] = ()) -> tuple[int, bytes, float]:
    """One request; returns status, body and seconds."""
    conn = http.client.HTTPConnection(HOST, port, timeout=300)
    try:
        start = time.perf_counter()
        _send(conn, Request(method, path, body, auth(token) + headers))
        response = conn.getresponse()
        data = response.read()
        return response.status, data, time.perf_counter() - start
    finally:
        conn.close()


def call_json(port: int, method: str, path: str, payload: Any = None,
              token: str = "") -> tuple[int, Any, float]:
    body = json.dumps(payload).encode() if payload is not None else b""
    headers = (("Content-Type", "application/json"),) if payload is not None else ()
    status, data, seconds = call(port, method, path, body, token, headers)
    try:
        decoded = json.loads(data) if data else None
    except ValueError:
        decoded = data.decode(errors="replace")[:500]
    return status, decoded, seconds


def destroy_all(port: int, token: str) -> list[str]:
    """Delete every photo of ``token``'s user, then each from the trash at once (``DELETE
    /api/v2/trash/{id}``), so that their originals' bytes leave the server's disk now rather
    than when the bench ends; the ids destroyed."""
    destroyed: list[str] = []
    while True:
        status, body, _ = call_json(port, "GET", "/api/v2/photos?limit=100", token=token)
        if status != 200:
            raise RuntimeError(f"GET /api/v2/photos: {status} {body}")
        ids = [str(item["id"]) for item in body["items"]]
        if not ids:
            return destroyed
        for photo_id in ids:
            for path in (f"/api/v2/photos/{photo_id}", f"/api/v2/trash/{photo_id}"):
                status, answer, _ = call_json(port, "DELETE", path, token=token)
                if status >= 300:
                    raise RuntimeError(f"DELETE {path}: {status} {answer}")
        destroyed += ids
