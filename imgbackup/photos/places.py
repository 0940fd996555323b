"""A photo's search columns and place: set at ingest, filled in later for older photos.

The geocoder (geo/geocoder.py) is a pure function over data loaded once; this module is where
its answer meets the database. Geocoding happens before ingest takes any lock: the first
call in a process loads the data (about a second)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import OuterRef, Subquery

from imgbackup.geo.geocoder import place_at
from imgbackup.photos.models import Photo, PlaceCount
from imgbackup.photos.search_keys import camera_key, lens_key, place_key, place_of

BATCH = 500
log = logging.getLogger(__name__)


def place_fields(latitude: float | None, longitude: float | None) -> dict[str, Any]:
    """The place columns for a GPS position (all empty without a place), marked done.

    A geocoder that cannot load its data must not cost anyone an upload: the photo is kept
    without a place, not marked done, and ``imgbackup places`` finds it later."""
    try:
        place = place_at(latitude, longitude)
    except (OSError, ValueError, ImportError) as exc:
        log.warning("no place for (%s, %s): the geocoder failed: %s", latitude, longitude, exc)
        return {"place_done": False}
    return {
        "place_key": place_key(place),
        "place_city": place.city[:100] if place else "",
        "place_region": place.region[:100] if place else "",
        "place_country": place.country[:100] if place else "",
        "place_country_code": place.country_code[:2] if place else "",
        "place_done": True,
    }


def search_fields(make: str, model: str, lens: str, latitude: float | None,
                  longitude: float | None) -> dict[str, Any]:
    """Every search column of a new photo."""
    return {"camera_key": camera_key(make, model), "lens_key": lens_key(lens),
            **place_fields(latitude, longitude)}


def fill_places(limit: int | None = None) -> int:
    """Give a place to photos that have none yet (older than this feature), in batches of
    ``BATCH`` by id; the number of photos visited. Safe to stop and run again: each batch
    commits, and a visited photo is marked done whether or not it has a place."""
    done = 0
    last_id = 0
    while limit is None or done < limit:
        size = BATCH if limit is None else min(BATCH, limit - done)
        batch = list(Photo.objects.filter(place_done=False, id__gt=last_id).order_by("id")
                     .values_list("id", "latitude", "longitude")[:size])
        if not batch:
            break
        with transaction.atomic():
            for photo_id, latitude, longitude in batch:
                Photo.objects.filter(id=photo_id).update(**place_fields(latitude, longitude))
        done += len(batch)
        last_id = batch[-1][0]
    return done


@dataclass(frozen=True)
class CityCount:
    city: str
    region: str
    country: str
    country_code: str
    count: int
    cover: str  # the id (SHA-256) of the city's newest photo


def cities_of(owner: User) -> list[CityCount]:
    """``owner``'s cities outside the trash, most photos first, each with its newest photo.

    The counts are ``PlaceCount`` rows kept by triggers (one per city, never the photos);
    each cover is one seek into the place index (search_place), newest first."""
    newest = (Photo.objects.filter(owner=owner, trashed_at__isnull=True, is_motion=False,
                                   place_key=OuterRef("place_key"))
              .order_by("-taken_at", "-id").values("original_id")[:1])
    rows = (PlaceCount.objects.filter(owner=owner, live__gt=0)
            .annotate(cover=Subquery(newest)).order_by("-live", "place_key")
            .values_list("place_key", "live", "cover"))
    found = []
    for key, count, cover in rows:
        name = place_of(key)
        assert name is not None
        found.append(CityCount(name.city, name.region, name.country, name.country_code,
                               count, cover))
    return found
