"""A request body of known length, read straight into the caller's buffer.

Read through Django and gunicorn, every byte of an upload was copied five or six times in
Python before it reached the hash and the spool file: gunicorn's socket reader keeps the
surplus of each ``recv`` in a ``BytesIO`` and hands out slices of it, its ``Body`` does the
same again, and Django's multipart parser joins and splits the chunks it gets (bench item 1b,
bench/analysis.md). ``readinto`` instead receives from the socket into one buffer the caller
reuses, so the only copy left is the kernel's.

Under ``imgbackup serve`` (gunicorn, ``slow_clients.GuardedThreadWorker``) the body's socket
is read directly, after the bytes gunicorn already buffered with the request head; everything
that tracks how much of the body was read — gunicorn's ``LengthReader`` (keep-alive,
slow_clients.py) and Django's ``LimitedStream`` — is moved
on as if the body had been read through them. Under any other server (the test client, another
WSGI server) the body is read through ``request.read`` into the same buffer."""

from __future__ import annotations

import ctypes
import io
import threading
from typing import Any, Protocol

from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, UnreadablePostError
from gunicorn.http.body import Body, LengthReader
from gunicorn.http.unreader import SocketUnreader

# Each fill of the buffer is one piece for the parser, the hashes, the spool's write and the MD5
# helper's two wake-ups (imgbackup/hashing.py): the kernel holds more than 1 MiB of a fast upload
# when the server reads, so at 2 MiB a 5.7 MB photo arrives in ~3.4 receives instead of ~6.4,
# ~0.17 ms less CPU per photo in-process (bench/analysis.md, item 1b, ninth round). Memory: one
# buffer per server thread that has read a body, whatever the file's size.
BUFFER = 2 * 1024 * 1024
# Where each read of a raw body lands (receive_view): half a page into a page, a whole number of
# pages long.
PAGE = 4096
RECEIVE_AT = PAGE // 2
_buffers = threading.local()


def thread_buffer() -> memoryview:
    """The calling thread's body buffer: allocated, and its pages faulted in, once per thread
    rather than once per request. A request uses it until it has read its body."""
    buffer: memoryview | None = getattr(_buffers, "buffer", None)
    if buffer is None:
        buffer = _buffers.buffer = memoryview(bytearray(BUFFER))
    return buffer


def receive_view() -> memoryview:
    """The part of the thread's body buffer a raw body (api/tus.py) is received into: from half
    a page into a page, a whole number of pages long; worked out once per thread.

    On loopback the bytes the kernel copies out of a socket sit at (or a few bytes after) the
    start of a page, and the buffer itself begins 16 bytes into its first page (malloc's
    header of a large block). Copied to that same place within a page, the receive ran at
    about half its speed, as 4 KiB aliasing does (a store at the page offset of a load just
    ahead of it): 1.6-1.75 ms of kernel CPU per 6 MB photo in ``_copy_to_iter``, against
    0.65-0.68 ms half a page further on (bench/analysis.md, item 1b, ninth round). Reads of
    whole pages keep every read's bytes at that distance. The multipart parser reads after
    the tail of a delimiter it keeps, which real clients' boundaries already put 48-64 bytes
    in: it uses the whole buffer."""
    view: memoryview | None = getattr(_buffers, "receive", None)
    if view is None:
        buffer = thread_buffer()
        start = (RECEIVE_AT - ctypes.addressof(ctypes.c_char.from_buffer(buffer))) % PAGE
        view = _buffers.receive = buffer[start:start + len(buffer) - PAGE]
    return view


class BodyReader(Protocol):
    remaining: int

    def readinto(self, view: memoryview) -> int:
        """Fill the start of ``view`` with the next bytes of the body: how many (0 at its
        end). Raises UnreadablePostError if the client goes away before the end."""
        ...


def content_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def body_reader(request: HttpRequest) -> BodyReader:
    """The fastest reader of ``request``'s body this server allows."""
    socket_body = _socket_body(request)
    return socket_body if socket_body is not None else StreamBody(request)


class StreamBody:
    """Any WSGI server: ``request.read`` into the caller's buffer (one copy more)."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.remaining = content_length(request)

    def readinto(self, view: memoryview) -> int:
        size = min(len(view), self.remaining)
        if size == 0:
            return 0
        data = self.request.read(size)
        if not data:
            raise UnreadablePostError("the client closed the connection before the end of "
                                      "the body")
        view[: len(data)] = data
        self.remaining -= len(data)
        return len(data)


class SocketBody:
    """gunicorn: what it buffered first, then ``recv_into`` from the socket."""

    def __init__(self, request: HttpRequest, body: Any, reader: LengthReader,
                 unreader: SocketUnreader) -> None:
        self.request = request
        self.body, self.reader, self.unreader = body, reader, unreader
        self.remaining = min(content_length(request), int(reader.length) + _held(body))

    def readinto(self, view: memoryview) -> int:
        size = min(len(view), self.remaining)
        if size == 0:
            return 0
        got = _take(self.body, view, size, "buf")
        from_reader = 0
        if not got:
            from_reader = got = _take(self.unreader, view, min(size, self.reader.length), "buf")
        if not got:
            try:
                got = from_reader = self.unreader.sock.recv_into(view, min(size,
                                                                          self.reader.length))
            except OSError as exc:  # a timeout (slow_clients' body timeout) or a reset
                raise UnreadablePostError(f"reading the body failed: {exc}") from exc
            if not got:
                raise UnreadablePostError("the client closed the connection before the end "
                                          "of the body")
        self.reader.length -= from_reader
        self.remaining -= got
        stream = getattr(self.request, "_stream", None)
        if isinstance(stream, LimitedStream):
            stream._pos += got  # type: ignore[attr-defined]  # Django's count of it
        return got


def _held(body: Any) -> int:
    buffered = body.buf
    return _size(buffered) if isinstance(buffered, io.BytesIO) else 0


def _size(buffered: io.BytesIO) -> int:
    buffered.seek(0, io.SEEK_END)
    return buffered.tell()


def _take(owner: Any, view: memoryview, size: int, attribute: str) -> int:
    """Move up to ``size`` bytes buffered in ``owner.<attribute>`` (a BytesIO) into ``view``."""
    buffered: io.BytesIO = getattr(owner, attribute)
    held = _size(buffered)
    if not held or size <= 0:
        return 0
    data = buffered.getvalue()
    count = min(size, held)
    view[:count] = data[:count]
    rest = io.BytesIO()
    rest.write(data[count:])
    setattr(owner, attribute, rest)
    return count


def _socket_body(request: HttpRequest) -> SocketBody | None:
    body = request.META.get("wsgi.input")
    if getattr(request, "_read_started", False):
        return None
    reader = getattr(body, "reader", None)
    unreader = getattr(reader, "unreader", None)
    if not (isinstance(body, Body) and isinstance(reader, LengthReader)
            and isinstance(unreader, SocketUnreader)):
        return None
    if int(reader.length) != content_length(request) or _held(body):
        return None  # some of the body was read already, through the stream
    return SocketBody(request, body, reader, unreader)
