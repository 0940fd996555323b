"""The storage quota check: the one place every ingest path calls, before an upload's bytes
are stored (API v1, API v2 and the web through ``photos.ingest``; resumable uploads call
``check_quota`` with the announced length when an upload is created, and ingest checks again).

Usage is the size of the originals of the user's photos, those in the trash included (their
bytes are still stored), each original counted once per user who owns it: bytes two users
uploaded count for both, since either may keep them after the other deletes theirs. Bytes the
user already owns add nothing, so sending them again is not refused by ingest; a multipart
body larger than the room left, though, is refused from its Content-Length before it is read
(api/uploads.py), whatever it turns out to hold.

Usage is read from one ``StorageUsage`` row kept by database triggers (photos/usage_triggers.py),
never summed over the library: the header of every web page shows it (issue 15's first screen)."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import User

from imgbackup.accounts.models import Quota
from imgbackup.accounts.quotas import quota_of
from imgbackup.photos.models import Photo, StorageUsage
from imgbackup.photos.rejected import Rejected
from imgbackup.photos.uploads import Spooled
from imgbackup.sizes import format_size


class QuotaExceeded(Rejected):
    def __init__(self, message: str) -> None:
        super().__init__(413, "quota_exceeded", message)


def usage_of(user: User) -> int:
    """Bytes of originals ``user`` keeps, the trash included: one row, kept by triggers."""
    total = StorageUsage.objects.filter(owner=user).values_list("bytes", flat=True).first()
    return int(total or 0)


def check_quota(user: User, size: int, sha256: str | None = None, *, name: str = "",
                locked: bool = False) -> int | None:
    """Raise QuotaExceeded (413 ``quota_exceeded``) if keeping ``size`` more bytes would take
    ``user`` past their quota. Bytes whose ``sha256`` the user already owns are free. With
    ``locked`` (inside a transaction) the user's quota row is locked first, so two uploads of
    one user that commit at once cannot both pass on the same usage.

    Returns the bytes left beside ``size`` (None: no quota; 0 when bytes already owned
    passed without reading the usage), for ``room_for``."""
    if locked:
        row = Quota.objects.select_for_update().filter(user=user).first()
        limit = row.max_bytes if row is not None else None
    else:
        limit = quota_of(user)
    if limit is None:
        return None
    if sha256 and Photo.objects.filter(owner=user, original_id=sha256).exists():
        return 0
    used = usage_of(user)
    if used + size > limit:
        what = f"{name}: " if name else ""
        raise QuotaExceeded(
            f"{what}{format_size(size)} more would take your storage past your quota: "
            f"{format_size(used)} of {format_size(limit)} used. Empty the trash or delete "
            "photos to make room, or ask an admin for a larger quota.")
    return limit - used - size


def mark_checked(uploads: Sequence[Spooled], checked: int, left: int | None) -> None:
    """After a check passed for ``checked`` bytes with ``left`` to spare, before the body was
    read (api/uploads.py, api/tus.py): mark the uploads, in the order they are ingested, that
    fit in what it proved, so ingest does not read the same rows again before storing them.
    The check under the quota row's lock in ingest's transaction still runs for every upload
    (the usage may have grown meanwhile); an upload past what was proved (the body's framing
    was counted out) is checked again in full before its bytes are stored."""
    room = None if left is None else checked + left
    for upload in uploads:
        size = upload.size or 0
        if room is not None:
            if size > room:
                return
            room -= size
        upload.quota_checked = True
