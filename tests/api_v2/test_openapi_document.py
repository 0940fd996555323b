"""The OpenAPI document covers every v2 route, and the docs page needs nothing from outside."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import URLPattern

from imgbackup.api.v2 import urls
from imgbackup.sharing import openapi as sharing_openapi
from imgbackup.sharing import urls as sharing_urls
from imgbackup.api.v2.openapi import PATHS, document


def routes() -> set[str]:
    found = set()
    for pattern in [*urls.urlpatterns, *sharing_urls.urlpatterns]:
        assert isinstance(pattern, URLPattern)
        found.add("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern)))
    return found


def test_every_route_is_in_the_document_and_every_path_is_served() -> None:
    described = set(document()["paths"])
    assert routes() <= described, f"undocumented routes: {sorted(routes() - described)}"
    # Beyond these routes only other apps' (the WeChat login), described when they are served.
    every = set(PATHS) | set(sharing_openapi.PATHS)
    assert described - routes() <= every - routes() == {"/auth/wechat"}


def test_every_operation_documents_its_errors_in_the_error_shape() -> None:
    for path, operations in document()["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert "400" in statuses and "405" in statuses, (method, path)
            public = operation.get("security") == []
            assert public or "401" in statuses, (method, path)


def test_the_docs_page_is_served_locally(client: Client) -> None:
    page = client.get("/api/v2/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "http://" not in html and "https://" not in html, "no CDN: every asset is ours"
    script = re.search(r'src="([^"]+docs\.js)"', html)
    assert script is not None
    assert client.get(script.group(1)).status_code == 200
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html)  # else the browser asks for
    assert icon is not None and client.get(icon.group(1)).status_code == 200  # /favicon.ico: 404
    assert client.get("/api/v2/openapi.json").json()["openapi"] == "3.1.0"


def views() -> dict[str, Any]:
    return {"/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern)): pattern.callback
            for pattern in [*urls.urlpatterns, *sharing_urls.urlpatterns]
            if isinstance(pattern, URLPattern)}


def test_every_documented_method_is_one_the_view_answers() -> None:
    for path, view in views().items():
        allowed = {m.lower() for m in getattr(view, "allowed_methods", ())}
        if "get" in allowed:
            allowed.add("head")  # answered like GET (endpoint)
        if getattr(view, "method_overrides", None):
            allowed.add("post")
        described = set(document()["paths"][path])
        assert described <= allowed, (path, sorted(described - allowed))


def test_the_override_header_is_documented_where_the_server_takes_it() -> None:
    paths = document()["paths"]
    for path, view in views().items():
        for method, operation in paths[path].items():
            overrides = [p for p in operation.get("parameters", [])
                         if p["name"] == "X-HTTP-Method-Override"]
            if not overrides:
                continue
            # Only a POST is overridden, and only to a method this view answers (else 405).
            assert method == "post" and getattr(view, "method_overrides", None), (method, path)
            named = set(re.findall(r"\b[A-Z]{3,}\b", overrides[0]["description"])) - {"POST"}
            assert named == view.method_overrides, (path, named)
