"""How many bytes of originals an owner keeps: the storage line of every page and the quota."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class StorageUsage(models.Model):
    """The size of the originals of an owner's photos, the trash and Live Photo clips included,
    each original counted once per owner who has it (photos/quota.py, ``usage_of``).

    Kept by database triggers (photos/usage_triggers.py), in the same transaction as every
    insert and delete of a photo, a photo given another owner or original, and a deleted user,
    whatever code path makes it, as ``MonthCount`` is: reading it is one row, never a sum over
    the library. No row means nothing kept."""

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                 primary_key=True, related_name="+")
    bytes = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.bytes} bytes of {self.owner_id}"
