"""Fill a data folder's database with a library of N photos for one user, in bulk (bench/bulk.py;
no bytes in storage: listing and checking never read them). Run in its own process,
since Django's settings (the data folder) are fixed per process:

``python -m bench.seed DATA_DIR USER COUNT`` prints JSON with the count;
the i-th photo's SHA-256 is ``sha256_of(i)``.
``python -m bench.seed DATA_DIR --routes PATH...`` prints which URL paths resolve.
``python -m bench.seed DATA_DIR USER COUNT --search`` seeds a library for the search benchmark
(bench/search.py): cameras, lenses, places, favourites and a trash in realistic proportions."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from typing import Any


def _setup(data_dir: str) -> None:
    os.environ["IMGBACKUP_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "imgbackup.settings"
    import django

    django.setup()


def routes(paths: list[str]) -> dict[str, bool]:
    from django.urls import Resolver404, resolve

    found = {}
    for path in paths:
        try:
            resolve(path)
            found[path] = True
        except Resolver404:
            found[path] = False
    return found


def sha256_of(index: int) -> str:
    return hashlib.sha256(f"bench-photo-{index}".encode()).hexdigest()


def seed(username: str, count: int) -> dict[str, Any]:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from bench.bulk import load
    from imgbackup.photos.models import Photo

    call_command("migrate", interactive=False, verbosity=0)
    user, _ = User.objects.get_or_create(username=username)
    start = datetime(2015, 1, 1, tzinfo=UTC)

    def photo(i: int) -> tuple[dict[str, Any], dict[str, Any]]:
        sha = sha256_of(i)
        return ({"sha256": sha, "md5": hashlib.md5(sha.encode()).hexdigest(),
                 "size": 6_000_000 + i, "content_type": "image/jpeg"},
                {"owner_id": user.pk, "original_id": sha, "filename": f"IMG_{i:06d}.JPG",
                 "width": 4000, "height": 3000,
                 "taken_at": start + timedelta(minutes=7 * i + i % 5),
                 "taken_at_source": "exif", "camera_make": "BenchCam",
                 "camera_model": "Model 6"})

    counted = load(count, photo)
    if connection.vendor == "postgresql":
        # What autovacuum does soon after a bulk load on a real server: planner statistics.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"user": username, "count": Photo.objects.filter(owner=user).count(),
            "counted": counted}


def main() -> None:
    data_dir, *rest = sys.argv[1:]
    _setup(data_dir)
    if rest and rest[0] == "--routes":
        print(json.dumps(routes(rest[1:])))
        return
    if rest[2:] == ["--search"]:
        from bench.search_library import seed_search

        print(json.dumps(seed_search(rest[0], int(rest[1]))))
        return
    print(json.dumps(seed(rest[0], int(rest[1]))))


if __name__ == "__main__":
    main()
