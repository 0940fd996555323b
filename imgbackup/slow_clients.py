"""gunicorn's threaded worker, made safe from slow and anonymous clients.

Stock ``gthread`` hands each new connection to a thread, which then reads the request line
and headers with blocking reads and no time limit: sixteen clients sending a header line every
few seconds took every thread of a default server. And after a response the thread (or the
main loop, for a closing connection) reads and discards whatever body the application left
unread, so an anonymous upload announcing 60 MB held a thread until it had sent it.

This worker changes three things (and three costs: a kept-alive connection's next head,
usually there already when the loop wakes, goes to a thread in the same turn; the heartbeat is
written once a second, not at every turn of the loop; an answer is corked while gunicorn
writes its head and body, so a small one leaves in one segment, ``cork``):

1. **Heads are read by the main loop.** A new (or kept-alive) connection's bytes are collected
   without blocking until the blank line that ends the headers; only then does a thread take
   the request, so a thread never waits for a head. A head not complete within
   IMGBACKUP_HEADER_TIMEOUT seconds of its first byte is answered 408 and closed; one larger
   than gunicorn's own limits is handed on at once (gunicorn refuses it: 414 for a request
   line over 4094 bytes, 431 for headers, in the API's error shape).
2. **Body and response reads and writes have a timeout**: a socket that makes no progress for
   IMGBACKUP_BODY_TIMEOUT seconds fails the request, freeing its thread.
3. **A body the application did not read is not read.** A request refused before its body
   (401, 413, 429...) is answered at once, with ``Connection: close``, and the connection
   closed: the main loop half-closes it and discards what still arrives for a short while (so
   a client that sends its whole body before reading sees the answer, not a reset), without a
   thread. DESIGN.md: "A request over the size limit, or not
   authenticated, may be answered before its body has been read (and the connection closed)".

Measured reasons and the alternatives tried are in docs/deployment.md ("Slow clients")."""

from __future__ import annotations

import contextlib
import errno
import json
import selectors
import socket
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from gunicorn import http, util
from gunicorn.http.body import LengthReader
from gunicorn.workers.gthread import TConn, ThreadWorker

# Enough for gunicorn's own limits (request line 4094 + 100 fields of 8190 bytes); past this a
# head is handed on and gunicorn refuses it (414 or 431, ``_write_error``).
MAX_HEAD = 4096 + 100 * 8192
# A refused body: how long and how much of it the main loop discards before closing, so a
# client that writes its whole body before reading the answer (WeChat's uploadFile, most HTTP
# libraries) still sees the 401/413 instead of a reset connection: as much as the old drain
# read in a thread (64 MiB), but for 5 s at most (nginx's lingering_timeout), and no thread.
LINGER_SECONDS = 5.0
LINGER_BYTES = 64 * 1024 * 1024
# The heartbeat's period (see GuardedThreadWorker.notify); a quarter of a shorter worker
# timeout.
NOTIFY_EVERY = 1.0
# What gunicorn answers itself (a request it cannot parse) gets these codes in the API's error
# shape instead of gunicorn's HTML page (``error_answer``).
GUNICORN_CODES = {400: "bad_request", 403: "forbidden", 414: "uri_too_long",
                  417: "expectation_failed", 431: "headers_too_large", 500: "server_error",
                  501: "not_implemented"}


def error_answer(status: int, reason: str, code: str, message: str) -> bytes:
    """A whole answer, closing the connection, in the API's error shape (api/errors.py:
    ``{"error": {"code", "message"}}``), for what the worker answers before any request reaches
    the application: a head that came late, one gunicorn could not parse."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


def _write_error(sock: socket.socket, status: int, reason: str, message: str) -> None:
    """gunicorn's ``util.write_error``, answering in the API's error shape."""
    code = GUNICORN_CODES.get(status, "bad_request")
    util.write_nonblock(sock, error_answer(status, reason, code, message or reason))


TIMEOUT_408 = error_answer(408, "Request Timeout", "timeout", "the request head came late")


@dataclass
class _Waiting:
    """A connection the main loop holds: collecting a head, or lingering before close."""

    conn: TConn
    deadline: float
    head: bytearray = field(default_factory=bytearray)
    discarded: int = 0


def _head_complete(head: bytes | bytearray) -> bool:
    # Empty lines before a request line are allowed (RFC 9112 section 2.2) and skipped.
    start = len(head) - len(head.lstrip(b"\r\n")) if head[:1] in (b"\r", b"\n") else 0
    return head.find(b"\r\n\r\n", start) >= 0 or head.find(b"\n\n", start) >= 0


def body_fully_read(parser: Any) -> bool:
    """Whether the last request's body has been read to its end (or it had none)."""
    message = getattr(parser, "mesg", None)
    body = getattr(message, "body", None)
    if body is None:
        return True
    reader = getattr(body, "reader", None)
    return isinstance(reader, LengthReader) and reader.length == 0


def cork(sock: Any, on: bool) -> None:
    """TCP_CORK on (``on``) or off: while on, the kernel holds what is written until a whole
    segment is full (or 200 ms pass); off sends what it holds. gunicorn writes an answer's head
    and its body with two ``send``s: corked from the start of the answer to its end, a small
    answer leaves in one segment instead of two (one loopback or network transmit and one
    wake-up of the client less). Not before the answer starts: gunicorn's ``100 Continue``
    must leave at once. A socket that is not TCP (a UNIX socket) is left as it is."""
    if _CORK is None or sock is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, _CORK, 1 if on else 0)


_CORK: int | None = getattr(socket, "TCP_CORK", None)


def closing_when_unread(app: Any) -> Any:
    """Wrap the WSGI app: an answer sent before the request's body was read says
    ``Connection: close`` (the server closes that connection), so a client never sends its next
    request on a connection the server is about to close. The answer is corked from its start
    (``cork``; the worker's ``handle_request`` uncorks it when it is written)."""

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        def start(status: str, headers: Any, exc_info: Any = None) -> Any:
            reader = getattr(environ.get("wsgi.input"), "reader", None)
            if not (isinstance(reader, LengthReader) and reader.length == 0):
                force_close = getattr(getattr(start_response, "__self__", None),
                                      "force_close", None)
                if force_close is not None:
                    force_close()
            cork(environ.get("gunicorn.socket"), True)
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return wrapped


class GuardedThreadWorker(ThreadWorker):  # type: ignore[misc]
    """``gthread`` with heads read by the main loop, body timeouts and no draining."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.waiting: dict[int, _Waiting] = {}  # by socket fd
        self.header_timeout = 10.0
        self.body_timeout = 60.0
        self.notified = float("-inf")

    def notify(self) -> None:
        """Tell the master this worker is alive: at most every NOTIFY_EVERY seconds. gunicorn
        calls it at every turn of the loop, that is several times per request, and each is a
        ``utime`` of the worker's heartbeat file; the master only needs one within the
        worker timeout (``imgbackup serve``: 600 s)."""
        now = time.monotonic()
        if now - self.notified >= min(NOTIFY_EVERY, self.timeout / 4):
            self.notified = now
            super().notify()

    def init_process(self) -> None:
        from django.conf import settings

        # getattr: the benchmarks' replica of the original design has its own settings.
        self.header_timeout = float(getattr(settings, "HEADER_TIMEOUT", 10))
        self.body_timeout = float(getattr(settings, "BODY_TIMEOUT", 60))
        # A request gunicorn refuses while parsing it (a request line over 4094 bytes: 414, too
        # many or too large headers: 431, a malformed line: 400) is answered by its
        # Worker.handle_error through util.write_error, as an HTML page; this process serves
        # only the API and its pages, so that answer takes the API's error shape instead.
        util.write_error = _write_error
        super().init_process()

    # --- heads ---------------------------------------------------------------------------
    def accept(self, listener: socket.socket) -> None:
        if self.cfg.is_ssl:  # TLS is the proxy's job here; keep gunicorn's own path for it
            super().accept(listener)
            return
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self._await_head(TConn(self.cfg, client, address, listener.getsockname()))

    def on_client_socket_readable(self, conn: TConn, client: socket.socket) -> None:
        """A kept-alive connection starts its next request: collect its head first too."""
        self.keepalived_conns.remove(conn)
        self._await_head(conn, registered=True)

    def _await_head(self, conn: TConn, registered: bool = False) -> None:
        """Collect ``conn``'s next head. What the socket holds is read at once: a kept-alive
        connection that woke the loop usually holds the whole head already, which then goes
        to a thread without a second turn of the loop and two ``epoll_ctl`` calls (bench
        item 1b: the main loop's share of a small upload). A socket the loop watches already
        (``registered``) is re-pointed, not unregistered and registered again."""
        conn.sock.setblocking(False)
        waiting = _Waiting(conn, time.monotonic() + self.header_timeout)
        if self._collect(waiting, registered):
            return
        self.waiting[conn.sock.fileno()] = waiting
        callback = partial(self._read_head, waiting)
        if registered:
            self.poller.modify(conn.sock, selectors.EVENT_READ, callback)
        else:
            self.poller.register(conn.sock, selectors.EVENT_READ, callback)

    def _watch(self, waiting: _Waiting, on_readable: Any) -> None:
        """Let the loop call ``on_readable(waiting, sock)`` when the socket has bytes."""
        self.waiting[waiting.conn.sock.fileno()] = waiting
        self.poller.register(waiting.conn.sock, selectors.EVENT_READ,
                             partial(on_readable, waiting))

    def _read_head(self, waiting: _Waiting, sock: socket.socket) -> None:
        self._collect(waiting, registered=True)

    def _collect(self, waiting: _Waiting, registered: bool) -> bool:
        """Add what the socket has to the head; True when the wait is over: the head handed
        to a thread, or the connection closed (either way no longer watched)."""
        data = _receive(waiting.conn.sock)
        if data is None:
            return False
        if data:
            waiting.head += data
            if not (_head_complete(waiting.head) or len(waiting.head) > MAX_HEAD):
                return False
        if registered:
            self._forget(waiting)
        conn = waiting.conn
        if not data:
            self._close(conn)
            return True
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
        conn.parser.unreader.unread(bytes(waiting.head))
        conn.data_ready = True
        self.enqueue_req(conn)
        return True

    def _forget(self, waiting: _Waiting) -> None:
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(waiting.conn.sock)
        self.waiting.pop(waiting.conn.sock.fileno(), None)

    def _close(self, conn: TConn) -> None:
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """Runs about once a second in the main loop: also end heads that came too late and
        lingering closes that are done."""
        super().murder_pending()
        # A stopping worker ends them all at once: it waits for its connections to close.
        now = time.monotonic() if self.alive else float("inf")
        for waiting in [w for w in self.waiting.values() if w.deadline <= now]:
            self._forget(waiting)
            if waiting.head and waiting.discarded == 0:
                with contextlib.suppress(OSError):
                    waiting.conn.sock.send(TIMEOUT_408)
            self._close(waiting.conn)

    # --- bodies --------------------------------------------------------------------------
    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi: Any = closing_when_unread(self.wsgi)

    def handle_request(self, req: Any, conn: TConn) -> Any:
        # Reads of the body, and writes of the answer, that make no progress this long fail.
        conn.sock.settimeout(self.body_timeout)
        try:
            return super().handle_request(req, conn)
        finally:
            cork(conn.sock, False)  # the answer is written: send what the cork holds

    def _keepalive_after(self, conn: TConn, keepalive: bool) -> bool:
        """Keep the connection only if the request's body was read to its end: never read
        a body in a thread that the application did not want."""
        return bool(keepalive) and body_fully_read(conn.parser)

    def finish_request(self, conn: TConn, fs: Any) -> None:
        result = None
        with contextlib.suppress(Exception):
            result = fs.result() if not fs.cancelled() else False
        if result is False and self.alive:
            self._linger(conn)
            return
        super().finish_request(conn, fs)

    def _linger(self, conn: TConn) -> None:
        """Close without a thread and without blocking the loop: half-close, then discard
        what the client still sends, for LINGER_SECONDS or LINGER_BYTES at most."""
        try:
            conn.sock.setblocking(False)
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn)
            return
        self._watch(_Waiting(conn, time.monotonic() + LINGER_SECONDS, discarded=1), self._discard)

    def _discard(self, waiting: _Waiting, sock: socket.socket) -> None:
        data = _receive(sock)
        if data is None:
            return
        waiting.discarded += len(data)
        if not data or waiting.discarded > LINGER_BYTES:
            self._forget(waiting)
            self._close(waiting.conn)


def _receive(sock: socket.socket) -> bytes | None:
    """What a readable non-blocking socket has: ``b""`` when it is closed or failed, ``None``
    when there was nothing after all (a spurious wake-up)."""
    try:
        return sock.recv(65536)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""
