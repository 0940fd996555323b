"""A kept-alive connection's next request in the thread that answered the last one
(imgbackup/slow_clients.py ``GuardedThreadWorker.handle``), and a refused body that came whole
with its head skipped instead of closing the connection (``closing_when_unread``). Neither may
let a slow client hold a thread, nor read a refused body from the socket."""

from __future__ import annotations

import queue
import selectors
import socket
import threading
import time
from typing import Any

import pytest
from gunicorn.http.body import Body, LengthReader
from gunicorn.http.unreader import SocketUnreader, Unreader
from gunicorn.workers.gthread import ThreadWorker

from imgbackup import slow_clients
from imgbackup.slow_clients import KEEPALIVE_GRACE, GuardedThreadWorker

pytestmark = pytest.mark.backend_independent

GET = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.fixture
def tcp_pair() -> Any:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
        with client, server:
            yield server, client


class _Conn:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.parser = type("Parser", (), {"unreader": SocketUnreader(sock)})()
        self.closed = False

    def close(self) -> None:
        self.closed = True


def _worker(monkeypatch: pytest.MonkeyPatch, queued: int = 0) -> Any:
    """A worker whose gunicorn ``handle`` answers a request by taking its head from the
    parser's buffer (what gunicorn's parser would read), and records each head it served."""
    worker: Any = GuardedThreadWorker.__new__(GuardedThreadWorker)
    worker.alive, worker.served = True, []
    work: queue.SimpleQueue[int] = queue.SimpleQueue()
    for item in range(queued):
        work.put(item)
    worker.tpool = type("Pool", (), {"_work_queue": work})()

    def served(self: Any, conn: _Conn) -> bool:
        self.served.append(conn.parser.unreader.take_buffered())
        return True

    monkeypatch.setattr(ThreadWorker, "handle", served)
    return worker


def _handle_within(worker: Any, conn: _Conn, seconds: float) -> Any:
    """``worker.handle(conn)`` in a thread; fails unless it returns within ``seconds``."""
    outcome: list[Any] = []
    thread = threading.Thread(target=lambda: outcome.append(worker.handle(conn)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"the thread was still held after {seconds} s"
    return outcome[0]


def test_a_next_head_already_sent_is_served_by_the_same_thread(
        tcp_pair: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    server, client = tcp_pair
    worker, conn = _worker(monkeypatch), _Conn(server)
    client.sendall(GET)
    assert _handle_within(worker, conn, 5) is True  # nothing after it: kept alive by the loop
    assert worker.served == [b"", GET]


def test_with_requests_waiting_for_a_thread_it_goes_back_to_the_loop_at_once(
        tcp_pair: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    server, client = tcp_pair
    worker, conn = _worker(monkeypatch, queued=1), _Conn(server)
    client.sendall(GET)
    assert _handle_within(worker, conn, 5) is True
    assert worker.served == [b""]  # the next head is left to the loop, unread
    assert server.recv(100, socket.MSG_PEEK) == GET


def test_a_silent_client_holds_the_thread_no_longer_than_the_grace(
        tcp_pair: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    server, _ = tcp_pair
    worker, conn = _worker(monkeypatch), _Conn(server)
    started = time.monotonic()
    assert _handle_within(worker, conn, 5) is True
    assert time.monotonic() - started < KEEPALIVE_GRACE + 0.5


def test_a_partial_head_goes_to_the_loop_without_waiting_for_the_rest(
        tcp_pair: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A slowloris sending a head's first bytes and then nothing must not keep the thread."""
    server, client = tcp_pair
    worker, conn = _worker(monkeypatch), _Conn(server)
    client.sendall(GET[:10])
    assert _handle_within(worker, conn, 2) is slow_clients._PENDING
    assert conn.pending_head == GET[:10]  # type: ignore[attr-defined]
    assert worker.served == [b""]


def test_the_loop_collects_the_rest_of_a_partial_head_with_its_deadline(
        tcp_pair: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    server, client = tcp_pair
    worker: Any = GuardedThreadWorker.__new__(GuardedThreadWorker)
    worker.poller, worker.waiting, worker.header_timeout = selectors.DefaultSelector(), {}, 10.0
    handed: list[Any] = []
    worker.alive = True
    worker.enqueue_req = handed.append
    conn: Any = _Conn(server)
    conn.pending_head = GET[:10]
    server.setblocking(False)
    worker.finish_request(conn, _Done(slow_clients._PENDING))
    (waiting,) = worker.waiting.values()
    assert waiting.deadline > time.monotonic() + 9  # the 408 clock runs from here
    client.sendall(GET[10:])
    for key, _ in worker.poller.select(5):
        key.data(key.fileobj)
    assert handed == [conn]
    assert conn.parser.unreader.take_buffered() == GET


def test_a_connection_the_client_closed_is_closed(
        tcp_pair: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    server, client = tcp_pair
    worker, conn = _worker(monkeypatch), _Conn(server)
    client.close()
    assert _handle_within(worker, conn, 5) is slow_clients._PENDING
    worker.nr_conns = 1
    worker.finish_request(conn, _Done(slow_clients._PENDING))
    assert conn.closed and worker.nr_conns == 0


class _Done:
    def __init__(self, result: Any) -> None:
        self._result = result

    def cancelled(self) -> bool:
        return False

    def result(self) -> Any:
        return self._result


class _NoSocket(Unreader):  # type: ignore[misc]
    """An unreader holding ``held``; reading its socket fails the test."""

    def __init__(self, held: bytes) -> None:
        super().__init__()
        self.buf.write(held)

    def chunk(self, size_hint: int | None = None) -> bytes:
        raise AssertionError("the refused body was read from the socket")


def _refuse(held: bytes, length: int) -> tuple[bool, LengthReader, Unreader]:
    """Answer 415 without reading a body of ``length`` bytes, ``held`` already buffered;
    whether the answer was marked to close the connection."""
    unreader = _NoSocket(held)
    reader = LengthReader(unreader, length)
    closed: list[bool] = []

    class Response:
        def force_close(self) -> None:
            closed.append(True)

        def start_response(self, status: str, headers: Any, exc_info: Any = None) -> None:
            return None

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("415 Unsupported Media Type", [("Content-Length", "0")])
        return []

    environ = {"wsgi.input": Body(reader)}
    slow_clients.closing_when_unread(app)(environ, Response().start_response)
    return bool(closed), reader, unreader


def test_a_refused_body_that_came_with_its_head_is_skipped_and_the_connection_kept() -> None:
    closed, reader, unreader = _refuse(b"x" + GET, 1)
    assert not closed and reader.length == 0
    assert unreader.take_buffered() == GET  # a pipelined next request stays for the parser


def test_a_refused_body_still_on_its_way_is_not_read_and_the_connection_closes() -> None:
    closed, reader, unreader = _refuse(b"x" * 100, 101)
    assert closed and reader.length == 101
    assert unreader.take_buffered() == b"x" * 100
