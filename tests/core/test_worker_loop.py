"""The threaded worker's loop costs (imgbackup/slow_clients.py): the heartbeat is written once
a second, not at every turn of the loop; a kept-alive connection's next head, there already
when the loop wakes, is handed to a thread in the same turn. Heads in pieces, pipelined
requests and a request after a pause on a kept-alive connection are all still answered."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import start_server

from imgbackup import slow_clients
from imgbackup.slow_clients import GuardedThreadWorker, _head_complete


pytestmark = pytest.mark.backend_independent


class _Heartbeat:
    def __init__(self) -> None:
        self.beats = 0

    def notify(self) -> None:
        self.beats += 1


def _worker(timeout: float) -> Any:
    worker: Any = GuardedThreadWorker.__new__(GuardedThreadWorker)
    worker.tmp, worker.timeout, worker.notified = _Heartbeat(), timeout, float("-inf")
    return worker


@pytest.mark.parametrize(("timeout", "period"), [(600, 1.0), (2, 0.5)])
def test_the_heartbeat_is_written_once_per_period_however_often_the_loop_turns(
        monkeypatch: pytest.MonkeyPatch, timeout: float, period: float) -> None:
    now = [1000.0]
    monkeypatch.setattr(slow_clients.time, "monotonic", lambda: now[0])
    worker = _worker(timeout)
    for _ in range(50):
        worker.notify()
    assert worker.tmp.beats == 1
    now[0] += period * 0.9
    worker.notify()
    assert worker.tmp.beats == 1
    now[0] += period * 0.2  # a period after the last beat: the master hears again
    worker.notify()
    assert worker.tmp.beats == 2


@pytest.mark.parametrize(("head", "complete"), [
    (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True),
    (b"GET / HTTP/1.1\nHost: x\n\n", True),
    (b"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n", False),  # leading empty lines do not end it
    (b"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", True),
    (b"GET / HTTP/1.1\r\nHost: x\r\n", False),
    (b"", False),
])
def test_a_head_is_complete_at_its_first_empty_line_after_the_request_line(
        head: bytes, complete: bool) -> None:
    assert _head_complete(bytearray(head)) is complete


def _answers(sock: socket.socket, count: int) -> list[bytes]:
    """The status lines of the next ``count`` answers (each with Content-Length)."""
    data, lines = b"", []
    sock.settimeout(10)
    while len(lines) < count:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, (lines, data)
            data += chunk
        head, _, data = data.partition(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        while len(data) < length:
            data += sock.recv(65536)
        data = data[length:]
        lines.append(head.split(b"\r\n")[0])
    return lines


@pytest.mark.slow
def test_kept_alive_connections_are_answered_whole_split_pipelined_and_after_a_pause(
        tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        host, _, port = server.url.removeprefix("http://").partition(":")
        get = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(get)
            assert _answers(sock, 1) == [b"HTTP/1.1 200 OK"]
            sock.sendall(get + get)  # pipelined: the second head waits in gunicorn's buffer
            assert _answers(sock, 2) == [b"HTTP/1.1 200 OK"] * 2
            for piece in (get[:9], get[9:20], get[20:]):  # a head in pieces
                sock.sendall(piece)
                time.sleep(0.2)
            assert _answers(sock, 1) == [b"HTTP/1.1 200 OK"]
            time.sleep(1.5)  # idle in the loop, then a whole head at once
            sock.sendall(get)
            assert _answers(sock, 1) == [b"HTTP/1.1 200 OK"]
    finally:
        server.stop()


@pytest.fixture
def tcp_pair() -> Any:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
        with client, server:
            yield server, client


def _corked(sock: socket.socket) -> bool:
    return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_CORK))


@pytest.mark.skipif(not hasattr(socket, "TCP_CORK"), reason="Linux only")
def test_an_answer_is_corked_from_its_start_and_uncorked_once_written(
        tcp_pair: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Head and body leave in one segment: corked when the application starts its answer (not
    before: a 100 Continue must leave at once), uncorked when the worker has written it, even
    when writing it failed."""
    server, client = tcp_pair

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        assert not _corked(server)
        start_response("200 OK", [("Content-Length", "2")])
        assert _corked(server)
        return [b"ok"]

    slow_clients.closing_when_unread(app)({"gunicorn.socket": server}, lambda *a: None)
    assert _corked(server)

    outcomes = iter([None, OSError("the client went away")])

    def written(self: Any, req: Any, conn: Any) -> bool:
        server.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        failure = next(outcomes)
        if failure is not None:
            raise failure
        return True

    monkeypatch.setattr(slow_clients.ThreadWorker, "handle_request", written)
    worker: Any = GuardedThreadWorker.__new__(GuardedThreadWorker)
    worker.body_timeout = 5.0
    conn: Any = type("Conn", (), {"sock": server})()
    assert worker.handle_request(None, conn) is True
    assert not _corked(server)
    client.settimeout(5)
    assert client.recv(100).endswith(b"\r\n\r\nok")  # sent at once, not after 200 ms
    slow_clients.cork(server, True)
    with pytest.raises(OSError):
        worker.handle_request(None, conn)
    assert not _corked(server)
