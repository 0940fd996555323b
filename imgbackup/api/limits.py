"""Refuse an oversized request before its body is read (and without reading it: the server
then closes the connection, imgbackup/slow_clients.py)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from imgbackup.api.errors import ApiError, error_response

MB = 1024 * 1024
# Multipart framing (boundaries, part headers, small fields) on top of the file bytes.
FRAMING_ALLOWANCE = MB


def max_body_bytes() -> int:
    return int(settings.MAX_UPLOAD_MB) * MB + FRAMING_ALLOWANCE


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return error_response(request, ApiError(400, "bad_request",
                                                    f"Content-Length {raw!r} is not a number"))
        if length > max_body_bytes():
            return error_response(request, ApiError(
                413, "too_large",
                f"the request body is {length / MB:.1f} MB; the limit is "
                f"{settings.MAX_UPLOAD_MB} MB (IMGBACKUP_MAX_UPLOAD_MB)"))
        return self.get_response(request)
