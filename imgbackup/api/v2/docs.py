"""The OpenAPI document and a page that shows it, both served from here (no CDN)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from imgbackup.api.endpoint import endpoint
from imgbackup.api.v2.openapi import document


@endpoint("GET", public=True)
def openapi_json(request: HttpRequest) -> HttpResponse:
    return JsonResponse(document(), json_dumps_params={"indent": 1})


@endpoint("GET", public=True)
def docs_page(request: HttpRequest) -> HttpResponse:
    return render(request, "api/docs.html")
