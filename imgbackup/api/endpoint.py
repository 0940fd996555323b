"""The decorator every API view wears: method check, authentication, error rendering."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from imgbackup.access import Access, declare
from imgbackup.api.auth import authenticate
from imgbackup.api.errors import ApiError, error_response
from imgbackup.api.unavailable import unavailable
from imgbackup.storage.errors import StorageUnavailable

log = logging.getLogger(__name__)
View = Callable[..., HttpResponseBase]
# What POST may stand for (X-HTTP-Method-Override): the WeChat mini program's wx.request has no
# PATCH. Only where the view does not take POST itself (there POST means POST; tus handles
# its own); the method check then answers an override the view does not take with 405.
OVERRIDABLE = {"PATCH", "PUT", "DELETE"}


def _overridden(request: HttpRequest, methods: tuple[str, ...]) -> None:
    override = request.headers.get("X-HTTP-Method-Override", "").strip().upper()
    if request.method == "POST" and "POST" not in methods and override in OVERRIDABLE:
        request.method = override


def endpoint(*methods: str, public: bool = False) -> Callable[[View], View]:
    """Wrap an API view. Unless ``public``, ``request.user`` is the authenticated user when the
    view runs. An ApiError raised by the view becomes the API's error response."""

    def decorate(view: View) -> View:
        @csrf_exempt  # session-authenticated calls get the CSRF check in authenticate()
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                if request.method == "HEAD" and "GET" in methods:
                    request.method = "GET"  # answered like GET; the server sends no body
                _overridden(request, methods)
                if request.method not in methods:
                    raise ApiError(405, "method_not_allowed",
                                   f"{request.method} is not allowed here; use "
                                   + " or ".join(methods))
                if not public:
                    request.user = authenticate(request)
                return view(request, *args, **kwargs)
            except ApiError as err:
                response = error_response(request, err)
                if err.status == 405:
                    response["Allow"] = ", ".join(methods)  # RFC 9110 requires it on a 405
                return response
            except StorageUnavailable as exc:
                log.warning("storage unavailable: %s", exc)
                return unavailable(request, "storage_unavailable", str(exc))

        wrapper.allowed_methods = methods  # type: ignore[attr-defined]
        return declare(Access.PUBLIC if public else Access.USER, wrapper)

    return decorate
