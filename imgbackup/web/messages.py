"""Django's one-time messages ("Created user bob."), for the web pages only.

The messages framework builds its storage for every request (a cookie signer and two storage
backends) and looks at it again before the answer. The API never shows a message: its answers
are JSON, and its one HTML page (the docs) has none to show (the template context's
``messages`` is empty without a storage). So API requests skip it: one of the twelve
middlewares less on every upload (bench/analysis.md, item 1b, sixth round). A view under
/api/ that called ``messages.success`` would fail loudly (MessageFailure), not lose it."""

from __future__ import annotations

from django.contrib.messages.middleware import MessageMiddleware
from django.http import HttpRequest

API_PREFIX = "/api/"


class WebMessageMiddleware(MessageMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if not request.path_info.startswith(API_PREFIX):
            super().process_request(request)
