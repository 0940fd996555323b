"""A library for the search benchmark: one user's photos with cameras, lenses, places,
favourites and a trash in the proportions of a real phone-and-camera library, common values
and rare ones, so both kinds of query are timed. Inserted in bulk (bench/bulk.py; no bytes:
searching never reads them). Run inside ``python -m bench.seed`` (Django set up)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

# (make, model, lens, share in 1000)
CAMERAS = [
    ("Apple", "iPhone 15 Pro", "iPhone 15 Pro back triple camera", 400),
    ("Apple", "iPhone 12", "iPhone 12 back dual wide camera", 250),
    ("Google", "Pixel 8", "", 100),
    ("Canon", "Canon EOS R6", "RF24-105mm F4 L IS USM", 100),
    ("SONY", "ILCE-7M4", "FE 35mm F1.8", 80),
    ("FUJIFILM", "X-T5", "XF23mmF1.4 R LM WR", 49),
    ("NIKON CORPORATION", "NIKON D750", "AF-S NIKKOR 50mm f/1.8G", 20),
    ("Leica Camera AG", "LEICA M11", "Summilux-M 1:1.4/35 ASPH.", 1),  # rare: 0.1 %
]
# (city, region, country, code, share in 1000); the rest (30 %) have no place
PLACES = [
    ("Kyoto", "Kyoto", "Japan", "JP", 200), ("Paris", "Île-de-France", "France", "FR", 150),
    ("São Paulo", "São Paulo", "Brazil", "BR", 100), ("Osaka", "Osaka", "Japan", "JP", 80),
    ("Reykjavík", "Capital Region", "Iceland", "IS", 60),
    ("New York City", "New York", "United States", "US", 60),
    ("Lisbon", "Lisbon", "Portugal", "PT", 49), ("Hamilton", "Hamilton city", "Bermuda", "BM", 1),
    (None, None, None, None, 100),  # 10 % spread over TOWNS small towns: many distinct places
]
TOWNS = 400
FAVOURITE_EVERY = 50  # 2 %
TRASH_EVERY = 100  # 1 %
START = datetime(2015, 1, 1, tzinfo=UTC)


def _pick(table: list[Any], i: int) -> Any:
    """The entry of ``table`` (last column: share in 1000) for photo ``i``, spread evenly."""
    slot = (i * 7919) % 1000
    for entry in table:
        if slot < entry[-1]:
            return entry
        slot -= entry[-1]
    return None


def _sha(i: int) -> str:
    return hashlib.sha256(f"search-photo-{i}".encode()).hexdigest()


def seed_search(username: str, count: int) -> dict[str, Any]:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from bench.bulk import load
    from imgbackup.geo.geocoder import Place
    from imgbackup.photos.models import Photo
    from imgbackup.photos.search_keys import camera_key, lens_key, place_key

    call_command("migrate", interactive=False, verbosity=0)
    user, _ = User.objects.get_or_create(username=username)
    def photo(i: int) -> tuple[dict[str, Any], dict[str, Any]]:
        sha = _sha(i)
        make, model, lens, _ = _pick(CAMERAS, i)
        place = _pick(PLACES, i // 3)  # a few photos in a row at one place
        if place and place[0] is None:
            town = (i // 3) % TOWNS
            place = (f"Town {town:03d}", f"Province {town % 20}", "Testland", "TL")
        where = Place(*place[:4], 0) if place else None
        taken = START + timedelta(minutes=7 * i + i % 5)
        return ({"sha256": sha, "md5": hashlib.md5(sha.encode()).hexdigest(),
                 "size": 3_000_000 + i, "content_type": "image/jpeg"},
                {"owner_id": user.pk, "original_id": sha, "filename": f"IMG_{i:07d}.JPG",
                 "width": 4000, "height": 3000, "taken_at": taken, "taken_at_source": "exif",
                 "camera_make": make, "camera_model": model, "lens": lens,
                 "camera_key": camera_key(make, model), "lens_key": lens_key(lens),
                 "place_key": place_key(where), "place_city": where.city if where else "",
                 "place_region": where.region if where else "",
                 "place_country": where.country if where else "",
                 "place_country_code": where.country_code if where else "",
                 "place_done": True, "favourite": i % FAVOURITE_EVERY == 0,
                 "trashed_at": taken + timedelta(days=1) if i % TRASH_EVERY == 7 else None})

    load(count, photo)
    with connection.cursor() as cursor:
        # What autovacuum does soon after a bulk load (PostgreSQL); SQLite has no statistics
        # unless asked, and imgbackup never asks: measured without them.
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    return {"user": username, "count": Photo.objects.filter(owner=user).count()}
