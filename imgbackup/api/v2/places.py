"""Places: the cities of the caller's library, with a count and a cover photo each."""

from __future__ import annotations

from dataclasses import asdict

from django.http import HttpRequest, HttpResponse, JsonResponse

from imgbackup.api.auth import caller
from imgbackup.api.endpoint import endpoint
from imgbackup.photos.places import cities_of


@endpoint("GET")
def collection(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"places": [asdict(city) for city in cities_of(caller(request))]})
