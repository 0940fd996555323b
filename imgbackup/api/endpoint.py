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
# What a POST may stand for (X-HTTP-Method-Override), the one place it is read: the WeChat
# mini program's wx.request has no PATCH. By default only where the view does not take POST
# itself; there POST means POST and the header is ignored. A view may name its own (tus names
# the protocol's PATCH, DELETE and HEAD, at both of its URLs: its spec reads the header as the
# method, so a PATCH named at the creation URL is a 405 like any PATCH there).
OVERRIDES = frozenset({"PATCH", "PUT", "DELETE"})


def _override(request: HttpRequest, overrides: frozenset[str]) -> None:
    """Answer a POST as the method its X-HTTP-Method-Override names, when that is one of
    ``overrides``; naming any other is refused (405). Only a POST is ever overridden."""
    # From META: request.headers would build a dict of every header for this one (~9 us).
    override = request.META.get("HTTP_X_HTTP_METHOD_OVERRIDE", "").strip().upper()
    if request.method != "POST" or not override or not overrides:
        return
    if override not in overrides:
        raise ApiError(405, "method_not_allowed",
                       f"POST is not allowed here with X-HTTP-Method-Override: {override[:20]}; "
                       "it may name " + " or ".join(sorted(overrides)))
    request.method = override


def _not_allowed(method: str, methods: tuple[str, ...], overrides: frozenset[str]) -> ApiError:
    message = f"{method} is not allowed here; use " + " or ".join(methods)
    if method == "POST" and overrides & set(methods):
        message += (" (or POST with X-HTTP-Method-Override: "
                    + " or ".join(m for m in methods if m in overrides) + ")")
    return ApiError(405, "method_not_allowed", message)


def endpoint(*methods: str, public: bool = False,
             overrides: frozenset[str] | None = None) -> Callable[[View], View]:
    """Wrap an API view. Unless ``public``, ``request.user`` is the authenticated user when the
    view runs. An ApiError raised by the view becomes the API's error response. ``overrides``:
    the methods a POST may stand for here (by default OVERRIDES, where POST is not in
    ``methods``)."""
    stands_for = overrides if overrides is not None else (
        frozenset() if "POST" in methods else OVERRIDES)

    def decorate(view: View) -> View:
        @csrf_exempt  # session-authenticated calls get the CSRF check in authenticate()
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                if request.method == "HEAD" and "GET" in methods:
                    request.method = "GET"  # answered like GET; the server sends no body
                _override(request, stands_for)
                if request.method not in methods:
                    raise _not_allowed(str(request.method), methods, stands_for)
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
        # What a POST with X-HTTP-Method-Override is answered as here (any other: 405).
        wrapper.method_overrides = stands_for & set(methods)  # type: ignore[attr-defined]
        return declare(Access.PUBLIC if public else Access.USER, wrapper)

    return decorate
