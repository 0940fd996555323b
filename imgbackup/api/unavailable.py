"""503 when a dependency (the database or blob storage) does not answer.

Every view, API or web page, can hit the database; when it is away the answer is a 503 that
says so and invites a retry, in the API's own error shape, never a 500 with a traceback.
Nothing has to be reset when the dependency returns: database connections are health-checked
before reuse (settings.py) and every S3 call opens its own HTTP connection as needed."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from imgbackup.api.errors import ApiError, error_response
from imgbackup.storage.errors import StorageUnavailable

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = "10"
DATABASE_DOWN = "the database is not answering; try again in a moment"


def unavailable(request: HttpRequest, code: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        response: HttpResponse = error_response(request, ApiError(503, code, message))
    else:
        response = HttpResponse(f"Service unavailable: {message}\n", status=503,
                                content_type="text/plain; charset=utf-8")
    response["Retry-After"] = RETRY_AFTER_SECONDS
    return response


class DependencyUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest,
                          exc: Exception) -> HttpResponse | None:
        if isinstance(exc, OperationalError | InterfaceError):
            log.warning("database unavailable during %s %s: %s", request.method, request.path,
                        str(exc).strip().splitlines()[0] if str(exc).strip() else exc)
            return unavailable(request, "database_unavailable", DATABASE_DOWN)
        if isinstance(exc, StorageUnavailable):
            log.warning("storage unavailable during %s %s: %s", request.method, request.path,
                        exc)
            return unavailable(request, "storage_unavailable", str(exc))
        if isinstance(exc, OSError):
            from imgbackup.api.disk import storage_error_response

            response = storage_error_response(request, exc)
            if response is not None:
                log.warning("disk or storage error during %s %s: %s", request.method,
                            request.path, exc)
            return response
        return None
