"""Request bodies and the connection they arrive on.

A keep-alive connection carries one request after another, so the server must know where a
request's body ends before it reads the next request. When the application answers without
reading the whole body (too many files in a multipart upload, a refused upload larger than the
drain limit, a chunked body answered 411), gunicorn drains at most 64 KiB of what is left and
otherwise closes the connection *after* a response that promised keep-alive: the client's next
request on it then fails ("Server disconnected"). So such a response is marked to close:
gunicorn then says ``Connection: close`` and the client opens a new connection.

Chunked request bodies are refused with 411 (``ChunkedBodyMiddleware``): every limit here
works from Content-Length, known before the body is read, and every client we ship sends it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse

from imgbackup.api.errors import ApiError, error_response

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class CountingInput:
    """wsgi.input, counting the bytes the application read."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.stream.read(size)
        self.read_bytes += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        data: bytes = self.stream.readline(size)
        self.read_bytes += len(data)
        return data

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def __getattr__(self, name: str) -> Any:
        # Anything else is the stream's own (gunicorn's body ``reader``, which the serving
        # worker looks at to decide whether the body was read: imgbackup/slow_clients.py).
        return getattr(self.stream, name)


def is_chunked(environ: Environ) -> bool:
    return "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower()


class CloseAfterUnreadBody:
    """WSGI middleware: a response given before its request's body was read to the end closes
    the connection, and says so (through gunicorn's ``force_close``; other servers are left as
    they are)."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        body = CountingInput(environ["wsgi.input"])
        environ["wsgi.input"] = body
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if body.read_bytes < length or is_chunked(environ):
                close = getattr(getattr(start_response, "__self__", None), "force_close", None)
                if callable(close):
                    close()
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


class ChunkedBodyMiddleware:
    """411 for a chunked request body, in the API's error shape, before anything reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_chunked(request.META):
            response: HttpResponse = error_response(request, ApiError(
                411, "length_required",
                "send the body with a Content-Length header: chunked request bodies "
                "(Transfer-Encoding: chunked) are not accepted"))
            response["Content-Length"] = str(len(response.content))
            return response
        return self.get_response(request)
