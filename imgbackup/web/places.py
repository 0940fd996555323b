"""The Places page: the signed-in user's cities, most photos first, each with its newest photo
as a cover and a link to the timeline searched for that place."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from imgbackup.photos.places import cities_of
from imgbackup.web.views import page, signed_in


@page
def places(request: HttpRequest) -> HttpResponse:
    cities = [
        {"city": city, "count": city.count,
         # City and country together: "Paris France" is not Paris, Texas.
         "search": "/?" + urlencode({"place": f"{city.city} {city.country}"}),
         "cover": f"/api/v2/photos/{city.cover}/thumbnail"}
        for city in cities_of(signed_in(request))
    ]
    return render(request, "web/places.html", {"cities": cities})
