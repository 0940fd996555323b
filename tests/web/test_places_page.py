"""The Places page: the user's cities, most photos first, with a cover and a link that searches
the timeline for the place; nobody else's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from conftest import Persona
from django.test import Client

from api_v2.rows import photo_row
from imgbackup.photos.places import search_fields

T0 = datetime(2024, 5, 1, tzinfo=UTC)
KYOTO = (35.0116, 135.7681)
PARIS = (48.8584, 2.2945)


def _at(persona: Persona, n: int, where: tuple[float, float], hours: int = 0) -> str:
    return photo_row(persona.user, n, T0 - timedelta(hours=hours), latitude=where[0],
                     longitude=where[1], **search_fields("", "", "", *where)).sha256


def _signed_in(persona: Persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


def test_cities_are_listed_largest_first_with_their_newest_photo(alice: Persona,
                                                                 bob: Persona) -> None:
    newest_kyoto = _at(alice, 1, KYOTO, hours=0)
    _at(alice, 2, KYOTO, hours=5)
    _at(alice, 3, PARIS)
    for n in range(4, 8):
        _at(bob, n, PARIS)  # bob's: never counted for alice
    html = _signed_in(alice).get("/places").content.decode()
    names = re.findall(r'<span class="place-name">([^<]+)</span>', html)
    counts = re.findall(r"· (\d+) photos?</span>", html)
    assert names == ["Kyoto", "Paris"] and counts == ["2", "1"]
    assert f"/api/v2/photos/{newest_kyoto}/thumbnail" in html
    assert 'href="/?place=Kyoto+Japan"' in html


def test_the_link_searches_the_timeline_for_the_place(alice: Persona) -> None:
    html = _signed_in(alice).get("/?place=Kyoto+Japan").content.decode()
    assert 'data-place="Kyoto Japan"' in html and 'value="Kyoto Japan"' in html


def test_without_places_the_page_says_how_to_get_them(alice: Persona) -> None:
    photo_row(alice.user, 1, T0)  # no GPS
    html = _signed_in(alice).get("/places").content.decode()
    assert "No places yet" in html and "imgbackup places" in html


def test_anonymous_visitors_are_sent_to_log_in(alice: Persona, client: Client) -> None:
    answer = client.get("/places")
    assert answer.status_code == 302 and answer["Location"].startswith("/login")
