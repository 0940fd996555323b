"""``imgbackup places``: give a place to every photo that has a GPS position but no place yet.

New photos get theirs at ingest; this is the one-off pass for photos uploaded before places
existed (or before a newer geocoder). Offline, batched, safe to stop and run again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from imgbackup.photos.models import Photo
from imgbackup.photos.places import fill_places


class Command(BaseCommand):
    help = "Find the place (city, region, country) of photos that have GPS but no place yet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--again", action="store_true",
                            help="look every photo with GPS up again (after a geocoder update)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["again"]:
            Photo.objects.filter(latitude__isnull=False, longitude__isnull=False
                                 ).update(place_done=False)
        pending = Photo.objects.filter(place_done=False).count()
        self.stdout.write(f"{pending} photos to look up")
        done = fill_places()
        placed = Photo.objects.exclude(place_key="").count()
        self.stdout.write(f"{done} photos looked up; {placed} photos have a place")
