"""One-time messages are built for web pages only (imgbackup/web/messages.py)."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from imgbackup.web.messages import WebMessageMiddleware


def _through(path: str) -> HttpRequest:
    request = RequestFactory().get(path)
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    WebMessageMiddleware(lambda r: HttpResponse())(request)
    return request


def test_web_pages_have_a_message_storage() -> None:
    assert hasattr(_through("/users"), "_messages")


def test_api_requests_skip_it_and_read_no_messages() -> None:
    request = _through("/api/v2/photos")
    assert not hasattr(request, "_messages")
    assert list(get_messages(request)) == []  # what the docs page's template context reads
