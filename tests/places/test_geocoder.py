"""Offline reverse geocoding at known positions, and positions that have no place."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from imgbackup.geo import geocoder
from imgbackup.geo.geocoder import place_at

pytestmark = pytest.mark.backend_independent


@pytest.mark.parametrize(("latitude", "longitude", "city", "country_code"), [
    (35.0116, 135.7681, "Kyoto", "JP"),  # the city, not one of its wards
    (48.8584, 2.2945, "Paris", "FR"),  # the Eiffel Tower
    (-23.5505, -46.6333, "São Paulo", "BR"),  # the centre: the city, not the district "Sé"
    (40.7128, -74.0060, "New York City", "US"),
    (-33.8568, 151.2153, "Sydney", "AU"),
    (64.1466, -21.9426, "Reykjavík", "IS"),  # an island
    (-20.8823, 55.4504, "Saint-Denis", "RE"),  # Réunion
    (32.2949, -64.7814, "Hamilton", "BM"),  # a small island: Bermuda
    (-16.78, 179.99, "Labasa", "FJ"),  # Vanua Levu, just west of the antimeridian ...
    (-16.78, -179.99, "Labasa", "FJ"),  # ... and just east of it: the same town
])
def test_it_names_the_place_at_known_positions(latitude: float, longitude: float, city: str,
                                              country_code: str) -> None:
    place = place_at(latitude, longitude)
    assert place is not None
    assert (place.city, place.country_code) == (city, country_code)
    assert place.country and place.region
    if country_code == "RE":
        assert place.region == "Réunion"  # names keep their accents; search folds them


def test_a_place_has_its_region_and_english_country() -> None:
    place = place_at(35.0116, 135.7681)
    assert place is not None
    assert (place.region, place.country) == ("Kyoto", "Japan")


@pytest.mark.parametrize(("latitude", "longitude"), [
    (0.0, -140.0),  # a ship mid-Pacific: no place, not the nearest one 1 000 km away
    (45.0, -35.0),  # mid-Atlantic
    (90.0, 0.0), (-90.0, 0.0), (89.9, 180.0),  # the poles
    (float("nan"), 10.0), (10.0, float("nan")), (float("inf"), 0.0),
    (90.5, 0.0), (-91.0, 0.0), (0.0, 180.5), (0.0, -181.0), (1e308, 1e308),
    (None, 10.0), (10.0, None),
])
def test_positions_without_a_place_get_none(latitude: Any, longitude: Any) -> None:
    assert place_at(latitude, longitude) is None


def test_a_ship_near_the_coast_gets_the_nearest_place_within_the_limit() -> None:
    # 40 km off Lisbon: within MAX_KM of land places, so it gets one (Portugal).
    place = place_at(38.70, -9.60)
    assert place is not None and place.country_code == "PT"
    assert geocoder.MAX_KM == 100.0


def test_it_never_opens_a_network_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the geocoder tried the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(geocoder, "_index", None)  # load the data again, offline
    assert place_at(35.0116, 135.7681) is not None


def test_it_is_loaded_once() -> None:
    place_at(0.0, 0.0)
    first = geocoder._loaded()
    place_at(1.0, 1.0)
    assert geocoder._loaded() is first
    assert len(first) > 100_000  # GeoNames cities1000
