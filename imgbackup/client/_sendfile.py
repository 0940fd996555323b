"""Post an upload's multipart body with the files' bytes handed to the kernel by ``sendfile``
(zero-copy from the page cache), when the server is reached over plain HTTP with no proxy.

Through httpx every piece of a file is read into a fresh Python object, framed by h11 and
copied into the socket: a read, a copy and a trip through three libraries per piece, which
was most of what ``imgbackup push`` spent beyond hashing (bench item 1b). Here the request head
and the multipart framing are written with ``http.client``, each file goes out in slices of
``SLICE`` bytes (the progress advances after each) and the answer is read by ``http.client``
and handed back as an ``httpx.Response``, so everything after the send is the same code. The
resumable path's PATCHes go the same way (``Poster.send``, client/_resumable.py): a chunk's
bytes are not read into the client at all.

Over HTTPS the bytes must be encrypted in user space anyway, and a proxy is httpx's to
handle: both stay on httpx (``usable``). Network failures are raised as httpx's errors, so the
retries of ``Api.call`` see no difference. The answer is read even when the send fails (a
server may refuse a request before reading its body and close the connection)."""

from __future__ import annotations

import http.client
import select
import socket
import threading
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import BinaryIO, Protocol, runtime_checkable
from urllib.parse import urlsplit

import httpx

from imgbackup.client._multipart import Body, FilePart

SLICE = 4 * 1024 * 1024  # bytes per sendfile call: the progress advances between them


@runtime_checkable
class Sendable(Protocol):
    """A file part that can put its bytes on a socket itself (``_upload._Counted``)."""

    def send_to(self, sock: socket.socket) -> None: ...


def usable(url: str) -> bool:
    """Whether uploads to ``url`` can go this way: plain HTTP, and no proxy configured (httpx
    would honour ``HTTP_PROXY``, ``ALL_PROXY``...; with any of them set, httpx sends)."""
    return urlsplit(url).scheme == "http" and not urllib.request.getproxies()


class ProgressHook(Protocol):
    def __call__(self, size: int, /) -> None: ...


def send_slices(sock: socket.socket, f: BinaryIO, size: int, advance: ProgressHook) -> int:
    """Send ``size`` bytes of ``f`` from its position, in slices, calling ``advance`` with
    each slice's size; the bytes sent (fewer than ``size`` only when the file ended early:
    the caller decides what that means)."""
    start = offset = f.tell()
    while offset - start < size:
        sent = sock.sendfile(f, offset, min(SLICE, size - (offset - start)))
        if not sent:
            break
        offset += sent
        advance(sent)
    return offset - start


class Poster:
    """One keep-alive ``http.client`` connection per thread (as httpx pools them per request),
    to the host of ``base_url``."""

    def __init__(self, base_url: str, headers: Mapping[str, str], timeout: httpx.Timeout) -> None:
        parts = urlsplit(base_url)
        self._base, self._host, self._port = base_url, parts.hostname or "", parts.port or 80
        self._headers = {k: v for k, v in headers.items() if k.lower() != "accept-encoding"}
        self._timeout = timeout
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def post(self, path: str, body: Body) -> httpx.Response:
        """POST ``body`` to ``path`` (under the base URL); the server's answer, read whole."""
        return self.send("POST", self._base + path, {"Content-Type": body.content_type},
                         len(body), (_source(piece) for piece in body.pieces()))

    def serves(self, url: str) -> bool:
        """Whether ``url`` is on this poster's server (a tus upload URL the server gave)."""
        parts = urlsplit(url)
        return (parts.scheme == "http" and parts.hostname == self._host
                and (parts.port or 80) == self._port)

    def send(self, method: str, url: str, headers: Mapping[str, str], length: int,
             pieces: Iterable[bytes | Sendable]) -> httpx.Response:
        """Send a request of ``length`` body bytes, ``pieces`` in order, to ``url`` (on this
        poster's server: ``serves``); the server's answer, read whole."""
        request = httpx.Request(method, url)
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        with _as_httpx_errors(request):
            conn = self._connection(request)
            try:
                return self._exchange(conn, method, target, {**headers, "Content-Length": str(
                    length)}, pieces, request)
            except BaseException:
                conn.close()  # half a body went out (or none): never reuse this connection
                raise

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()

    def _exchange(self, conn: http.client.HTTPConnection, method: str, target: str,
                  headers: Mapping[str, str], pieces: Iterable[bytes | Sendable],
                  request: httpx.Request) -> httpx.Response:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in {**self._headers, **headers}.items():
            conn.putheader(name, value)
        conn.endheaders()
        sock = conn.sock
        assert sock is not None  # connected by endheaders
        try:
            for piece in pieces:
                if isinstance(piece, bytes):
                    sock.sendall(piece)
                else:
                    piece.send_to(sock)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the body was read, perhaps: its answer says so
        return self._answer(conn, request)

    def _answer(self, conn: http.client.HTTPConnection, request: httpx.Request) -> httpx.Response:
        answer = conn.getresponse()
        content = answer.read()
        if answer.will_close:
            conn.close()
        return httpx.Response(answer.status, headers=answer.getheaders(), content=content,
                              request=request)

    def _connection(self, request: httpx.Request) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is not None and conn.sock is not None and _closed_by_peer(conn.sock):
            conn.close()  # the server ended the keep-alive while it was idle
        if conn is None:
            conn = http.client.HTTPConnection(self._host, self._port,
                                              timeout=self._timeout.connect)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        if conn.sock is None:
            try:
                conn.connect()
            except TimeoutError as exc:
                raise httpx.ConnectTimeout(str(exc) or "timed out", request=request) from exc
            except OSError as exc:
                raise httpx.ConnectError(str(exc), request=request) from exc
            assert conn.sock is not None
            conn.sock.settimeout(self._timeout.write)
        return conn


def _source(piece: bytes | FilePart) -> bytes | Sendable:
    if isinstance(piece, bytes):
        return piece
    if isinstance(piece.source, Sendable):
        return piece.source
    raise TypeError(f"{piece.filename}: its source cannot sendfile")


def _closed_by_peer(sock: socket.socket) -> bool:
    """An idle keep-alive connection with something to read has been closed (or sent junk)."""
    poller = select.poll()  # not select.select: it fails on descriptors past 1023
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


@contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    """``http.client``'s and the socket's failures as the httpx errors ``Api.call`` retries."""
    try:
        yield
    except http.client.HTTPException as exc:  # a closed connection, a garbled status line
        raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__, request=request) from exc
    except TimeoutError as exc:
        raise httpx.TimeoutException(str(exc) or "timed out", request=request) from exc
    except OSError as exc:
        raise httpx.NetworkError(str(exc), request=request) from exc
