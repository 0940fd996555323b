"""How many of an owner's photos outside the trash are at each place: the Places page."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PlaceCount(models.Model):
    """An owner's photos outside the trash (Live Photo clips not counted: they are part of
    their still's item) at one ``place_key``.

    Kept by database triggers on the photo table (photos/place_triggers.py), in the same
    transaction as every insert, delete, trash, restore, new place and deleted user, whatever
    code path makes it, as ``MonthCount`` is: listing a library's places reads these rows
    (one per city), never the photos. A row whose count fell to 0 is kept and not listed."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+")
    place_key = models.CharField(max_length=255)
    live = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "place_key"], name="one_count_per_place"),
        ]

    def __str__(self) -> str:
        return f"{self.place_key}: {self.live} of {self.owner_id}"
