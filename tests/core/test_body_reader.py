"""imgbackup/body.py: under gunicorn the body is received straight from the socket, after what
gunicorn buffered with the head, and every count of what was read moves on with it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from django.core.handlers.wsgi import WSGIRequest
from django.http import UnreadablePostError
from gunicorn.http.body import Body, LengthReader
from gunicorn.http.unreader import SocketUnreader

from imgbackup.body import SocketBody, StreamBody, body_reader

BODY = bytes(range(256)) * 1000  # 256 000 bytes


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair()
    yield ours, theirs
    ours.close()
    theirs.close()


def served(sock: socket.socket, buffered: bytes, length: int) -> tuple[WSGIRequest, Body]:
    """A request as gunicorn hands it over: part of the body already read with the head."""
    unreader = SocketUnreader(sock)
    unreader.unread(buffered)
    body = Body(LengthReader(unreader, length))
    environ = {"REQUEST_METHOD": "POST", "wsgi.input": body,
               "CONTENT_LENGTH": str(length), "CONTENT_TYPE": "application/octet-stream",
               "PATH_INFO": "/", "SERVER_NAME": "testserver", "SERVER_PORT": "80",
               "wsgi.url_scheme": "http"}
    return WSGIRequest(environ), body


def read_all(request: WSGIRequest) -> bytes:
    reader = body_reader(request)
    assert isinstance(reader, SocketBody)
    view = memoryview(bytearray(7777))
    out = bytearray()
    while got := reader.readinto(view):
        out += view[:got]
    return bytes(out)


def test_the_body_comes_whole_from_the_buffer_then_the_socket(pair: tuple[socket.socket,
                                                                          socket.socket]) -> None:
    ours, theirs = pair
    ours.settimeout(10)
    # What gunicorn read with the head: the body's start, and nothing past its end.
    request, body = served(ours, BODY[:1000], len(BODY))
    sender = threading.Thread(target=theirs.sendall,
                              args=(BODY[1000:] + b"GET /next HTTP/1.1\r\n",))
    sender.start()
    assert read_all(request) == BODY
    sender.join()
    assert body.reader.length == 0  # gunicorn: read to its end, the connection may be kept
    assert request.read() == b""  # Django: nothing more to read
    assert ours.recv(100) == b"GET /next HTTP/1.1\r\n"  # the next request is left alone


def test_a_body_partly_read_through_its_stream_is_not_read_from_the_socket(
        pair: tuple[socket.socket, socket.socket]) -> None:
    ours, _ = pair
    ours.settimeout(10)
    request, body = served(ours, BODY[:4096], len(BODY))  # gunicorn reads 1 KiB at a time
    assert body.read(100) == BODY[:100]
    assert isinstance(body_reader(request), StreamBody)


def test_a_client_gone_before_the_end_is_unreadable(pair: tuple[socket.socket,
                                                                 socket.socket]) -> None:
    ours, theirs = pair
    ours.settimeout(10)
    request, _ = served(ours, b"", len(BODY))
    theirs.sendall(BODY[:5000])
    theirs.close()
    with pytest.raises(UnreadablePostError):
        read_all(request)


def test_any_other_server_is_read_through_django(rf: object) -> None:
    from django.test import RequestFactory

    request = RequestFactory().post("/", BODY, content_type="application/octet-stream")
    reader = body_reader(request)
    assert isinstance(reader, StreamBody)
    view = memoryview(bytearray(5000))
    out = bytearray()
    while got := reader.readinto(view):
        out += view[:got]
    assert bytes(out) == BODY
