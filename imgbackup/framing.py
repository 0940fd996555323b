"""Request bodies and the connection they arrive on.

A keep-alive connection carries one request after another, so the server must know where a
request's body ends before it reads the next request. When the application answers without
reading the whole body (too many files in a multipart upload, a refused upload larger than the
drain limit, a chunked body answered 411), gunicorn drains at most 64 KiB of what is left and
otherwise closes the connection *after* a response that promised keep-alive: the client's next
request on it then fails ("Server disconnected"). So such a response is marked to close
(``slow_clients.closing_when_unread``, around the serving worker's application): gunicorn then
says ``Connection: close`` and the client opens a new connection.

Chunked request bodies are refused with 411 (``ChunkedBodyMiddleware``): every limit here
works from Content-Length, known before the body is read, and every client we ship sends it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from imgbackup.api.errors import ApiError, error_response

Environ = dict[str, Any]


def is_chunked(environ: Environ) -> bool:
    return "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower()


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
