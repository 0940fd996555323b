"""One error type for the APIs and the one place that turns it into a response.

The original API (``/api/v1.0/``) answers in its envelope ``{"result_code", "message"}``; every
other API path answers ``{"error": {"code", "message"}}``. Tests pin both shapes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

V1_PREFIX = "/api/v1.0/"
# HTTP status -> the original API's result_code; anything else is -100 ("other failure").
V1_RESULT_CODES = {400: -101, 404: -102, 401: -500}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
        self.headers: dict[str, str] = {}  # response headers, such as Retry-After


def is_v1(request: HttpRequest) -> bool:
    return request.path.startswith(V1_PREFIX)


def error_response(request: HttpRequest, err: ApiError) -> JsonResponse:
    body: dict[str, Any]
    if is_v1(request):
        body = {"result_code": V1_RESULT_CODES.get(err.status, -100), "message": err.message}
    else:
        body = {"error": {"code": err.code, "message": err.message}}
    body.update(err.extra)
    response = JsonResponse(body, status=err.status)
    for name, value in err.headers.items():
        response[name] = value
    if err.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="imgbackup"'
    return response


def bad_request(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


def not_found(what: str = "photo") -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def throttled(request: HttpRequest, message: str, retry_after: int) -> JsonResponse:
    """429 ``throttled``, with the seconds to wait before trying again in Retry-After."""
    response = error_response(request, ApiError(429, "throttled", message))
    response["Retry-After"] = str(retry_after)
    return response
