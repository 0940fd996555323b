"""Searching the timeline by camera, lens and place (word by word, any case or accents), their
combinations with the other filters, GET /places, and place at ingest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import Persona, make_jpeg
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from PIL import Image, TiffImagePlugin

from api_v2.conftest import API, call
from api_v2.rows import photo_row
from imgbackup.photos.models import Photo
from imgbackup.photos.places import search_fields
from imgbackup.photos.search_keys import words_in

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
KYOTO = (35.0116, 135.7681)
PARIS = (48.8584, 2.2945)
SAO_PAULO = (-23.5505, -46.6333)


def row(owner: Any, n: int, make: str = "", model: str = "", lens: str = "",
        at: tuple[float, float] | None = None, **fields: Any) -> Photo:
    """A photo row with its search columns set as ingest sets them."""
    latitude, longitude = at or (None, None)
    return photo_row(owner, n, fields.pop("taken_at", T0 - timedelta(hours=n)),
                     camera_make=make, camera_model=model, lens=lens, latitude=latitude,
                     longitude=longitude, **search_fields(make, model, lens, latitude,
                                                          longitude), **fields)


def names(client: Client, persona: Persona, query: str) -> list[str]:
    answer = call(client, "GET", f"/photos?{query}", persona)
    assert answer.status_code == 200, answer.content
    return [item["filename"] for item in answer.json()["items"]]


@pytest.fixture
def library(alice: Persona, bob: Persona) -> None:
    row(alice.user, 1, "Apple", "iPhone 15 Pro", "iPhone 15 Pro back camera", KYOTO)
    row(alice.user, 2, "Apple", "iPhone 12", at=PARIS)
    row(alice.user, 3, "Canon", "Canon EOS R6", "RF24-105mm F4 L IS USM", SAO_PAULO,
        favourite=True)
    row(alice.user, 4, "NIKON CORPORATION", "NIKON D750", at=(0.0, -140.0))  # mid-ocean
    row(alice.user, 5)  # nothing known
    row(bob.user, 6, "Apple", "iPhone 15 Pro", at=KYOTO)


@pytest.mark.parametrize(("query", "expected"), [
    ("camera=Apple%20iPhone", ["IMG_00001.JPG", "IMG_00002.JPG"]),
    ("camera=apple+iphone+15", ["IMG_00001.JPG"]),
    ("camera=IPHONE%2015", ["IMG_00001.JPG"]),
    ("camera=iphone", ["IMG_00001.JPG", "IMG_00002.JPG"]),
    ("camera=canon+r6", ["IMG_00003.JPG"]),
    ("camera=nikon+d750", ["IMG_00004.JPG"]),
    ("camera=apple+canon", []),
    ("camera=pixel", []),
    ("lens=rf24", ["IMG_00003.JPG"]),
    ("lens=back+iphone", ["IMG_00001.JPG"]),
])
def test_camera_and_lens_search_word_by_word(client: Client, alice: Persona, library: None,
                                             query: str, expected: list[str]) -> None:
    assert names(client, alice, query) == expected


@pytest.mark.parametrize(("query", "expected"), [
    ("place=Kyoto", ["IMG_00001.JPG"]),
    ("place=kyoto", ["IMG_00001.JPG"]),
    ("place=Japan", ["IMG_00001.JPG"]),
    ("place=JP", ["IMG_00001.JPG"]),
    ("place=S%C3%A3o%20Paulo", ["IMG_00003.JPG"]),  # São Paulo
    ("place=sao+paulo", ["IMG_00003.JPG"]),
    ("place=SAO+PAULO+brazil", ["IMG_00003.JPG"]),
    ("place=%C3%AEle-de-france", ["IMG_00002.JPG"]),  # île-de-france, the region
    ("place=paris", ["IMG_00002.JPG"]),
    ("place=Lyon", []),
    ("place=%E4%BA%AC%E9%83%BD", ["IMG_00001.JPG"]),  # 京都: Kyoto's name in its own script
    ("place=%E4%BA%AC%E9%83%BD+japan", ["IMG_00001.JPG"]),  # with the country in English
])
def test_place_search_any_case_or_accents(client: Client, alice: Persona, library: None,
                                          query: str, expected: list[str]) -> None:
    assert names(client, alice, query) == expected


def test_filters_combine(client: Client, alice: Persona, library: None) -> None:
    assert names(client, alice, "camera=apple&place=paris") == ["IMG_00002.JPG"]
    assert names(client, alice, "camera=apple&place=brazil") == []
    assert names(client, alice, "favourite=true&camera=canon") == ["IMG_00003.JPG"]
    assert names(client, alice, "favourite=true&camera=apple") == []
    assert names(client, alice, "camera=iphone&until=2024-05-01T10:30:00Z") == ["IMG_00002.JPG"]
    assert names(client, alice, "camera=iphone&q=00001") == ["IMG_00001.JPG"]


def test_items_carry_their_place_or_null(client: Client, alice: Persona, library: None) -> None:
    items = call(client, "GET", "/photos", alice).json()["items"]
    places = {item["filename"]: item["place"] for item in items}
    assert places["IMG_00001.JPG"] == {"city": "Kyoto", "region": "Kyoto", "country": "Japan",
                                       "country_code": "JP"}
    assert places["IMG_00004.JPG"] is None  # mid-ocean: no place, not a far-away one
    assert places["IMG_00005.JPG"] is None


def test_another_users_photos_are_never_found(client: Client, bob: Persona,
                                              library: None) -> None:
    assert names(client, bob, "camera=iphone") == ["IMG_00006.JPG"]
    assert names(client, bob, "place=paris") == []
    assert names(client, bob, "camera=canon") == []


def test_trashed_photos_are_not_found(client: Client, alice: Persona, library: None) -> None:
    Photo.objects.filter(filename="IMG_00001.JPG").update(trashed_at=T0)
    assert names(client, alice, "place=kyoto") == []
    assert names(client, alice, "camera=iphone") == ["IMG_00002.JPG"]


def test_a_search_over_many_cameras_pages_in_timeline_order(client: Client,
                                                            alice: Persona) -> None:
    # 30 models (more than are read separately) and 3 more, interleaved in time: every page
    # is merged from several indexed reads and must still be the exact timeline order.
    for n in range(90):
        row(alice.user, n, "Apple", f"iPhone {n % 33}", taken_at=T0 - timedelta(minutes=n))
    for n in range(90, 95):
        row(alice.user, n, "Sony", "A7", taken_at=T0 - timedelta(minutes=n))
    Photo.objects.filter(filename="IMG_00010.JPG").update(taken_at=T0 - timedelta(minutes=11))
    timeline = list(Photo.objects.filter(owner=alice.user).order_by("-taken_at", "-id")
                    .values_list("filename", "camera_key"))
    for query in ("camera=iphone", "camera=iphone+1"):  # 33 models, then 13 ("1", "21", ...)
        words = query.removeprefix("camera=").replace("+", " ")
        want = [name for name, key in timeline if words_in(words, key)]
        seen: list[str] = []
        path = f"/photos?{query}&limit=7"
        while path:
            body = call(client, "GET", path, alice).json()
            seen += [item["filename"] for item in body["items"]]
            path = f"/photos?{query}&limit=7&cursor={body['next_cursor']}" \
                if body["next_cursor"] else ""
        assert seen == want


@pytest.mark.parametrize("query", ["camera=" + "a" * 201, "place=%00", "lens=" + "x" * 300])
def test_bad_search_text_is_a_400(client: Client, alice: Persona, query: str) -> None:
    answer = call(client, "GET", f"/photos?{query}", alice)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "bad_request"


def test_places_lists_cities_most_photos_first(client: Client, alice: Persona,
                                               bob: Persona, library: None) -> None:
    row(alice.user, 7, at=(35.0, 135.77))  # Kyoto again
    newest = row(alice.user, 8, at=KYOTO, taken_at=T0 + timedelta(days=1))
    row(alice.user, 9, at=KYOTO, trashed_at=T0)  # in the trash: not counted
    places = call(client, "GET", "/places", alice).json()["places"]
    # Ties: by country code, region, city.
    assert [(p["city"], p["count"]) for p in places] == [
        ("Kyoto", 3), ("São Paulo", 1), ("Paris", 1)]
    assert places[0] == {"city": "Kyoto", "region": "Kyoto", "country": "Japan",
                         "country_code": "JP", "count": 3, "cover": newest.sha256}
    assert call(client, "GET", "/places", bob).json()["places"] == [{
        "city": "Kyoto", "region": "Kyoto", "country": "Japan", "country_code": "JP",
        "count": 1, "cover": Photo.objects.get(owner=bob.user).sha256}]


def test_places_needs_a_login(client: Client) -> None:
    assert call(client, "GET", "/places").status_code == 401


def _gps_jpeg(latitude: float, longitude: float) -> bytes:
    def dms(value: float) -> tuple[TiffImagePlugin.IFDRational, ...]:
        value = abs(value)
        return tuple(TiffImagePlugin.IFDRational(round(part * 10000), 10000) for part in
                     (int(value), int(value * 60 % 60), value * 3600 % 60))

    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Apple", "iPhone 15 Pro"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = ("N" if latitude >= 0 else "S"), dms(latitude)
    gps[3], gps[4] = ("E" if longitude >= 0 else "W"), dms(longitude)
    return make_jpeg(7, exif=exif.tobytes())


def test_an_upload_gets_its_place_and_camera_key(client: Client, alice: Persona) -> None:
    upload = SimpleUploadedFile("kyoto.jpg", _gps_jpeg(*KYOTO), "image/jpeg")
    answer = client.post(f"{API}/photos", {"file": upload}, **alice.auth)
    assert answer.status_code == 201, answer.content
    photo = answer.json()["items"][0]["photo"]
    assert photo["place"] == {"city": "Kyoto", "region": "Kyoto", "country": "Japan",
                              "country_code": "JP"}
    assert names(client, alice, "place=kyoto&camera=apple+iphone") == ["kyoto.jpg"]


def test_the_places_command_fills_in_older_photos(alice: Persona) -> None:
    old = photo_row(alice.user, 1, T0, latitude=KYOTO[0], longitude=KYOTO[1])
    none = photo_row(alice.user, 2, T0, latitude=float("nan"), longitude=0.0)
    call_command("places", stdout=open("/dev/null", "w"))  # noqa: SIM115
    old.refresh_from_db()
    none.refresh_from_db()
    assert (old.place_city, old.place_country_code, old.place_done) == ("Kyoto", "JP", True)
    assert (none.place_key, none.place_done) == ("", True)


def test_a_geocoder_that_cannot_load_never_costs_an_upload(
        client: Client, alice: Persona, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(latitude: float | None, longitude: float | None) -> None:
        raise OSError("geocode.gz is missing")

    monkeypatch.setattr("imgbackup.photos.places.place_at", broken)
    upload = SimpleUploadedFile("paris.jpg", _gps_jpeg(*PARIS), "image/jpeg")
    answer = client.post(f"{API}/photos", {"file": upload}, **alice.auth)
    assert answer.status_code == 201, answer.content
    assert answer.json()["items"][0]["photo"]["place"] is None
    photo = Photo.objects.get(owner=alice.user)
    assert photo.place_done is False  # imgbackup places will look it up again
    monkeypatch.undo()
    call_command("places", stdout=open("/dev/null", "w"))  # noqa: SIM115
    photo.refresh_from_db()
    assert (photo.place_city, photo.place_done) == ("Paris", True)
