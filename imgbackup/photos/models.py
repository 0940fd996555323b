from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from imgbackup.photos.search_keys import camera_key, lens_key


class Original(models.Model):
    """Stored bytes, addressed by their SHA-256 and kept once whoever uploaded them.

    The row is the lock that orders ingest against purge: both take it before touching the
    object in storage (see photos/ingest.py and photos/trash.py)."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    md5 = models.CharField(max_length=32, db_index=True)
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.sha256

    @property
    def storage_name(self) -> str:
        return original_name(self.sha256)


def original_name(sha256: str) -> str:
    """Where an original lives in blob storage: fanned out so no folder grows huge."""
    return f"originals/{sha256[:2]}/{sha256[2:4]}/{sha256}"


_LIVE = models.Q(trashed_at__isnull=True)

# Every filter reads one of these in timeline order and stops after a page: an equality on
# the key, then the timeline's own order, so no filter sorts or scans a library
# (docs/architecture.md, "Search"; the plans are pinned by tests/api_v2/test_search_plans.py).
SEARCH_INDEXES = [
    models.Index(fields=["owner", "camera_key", "-taken_at", "-id"], name="search_camera",
                 condition=_LIVE),
    models.Index(fields=["owner", "lens_key", "-taken_at", "-id"], name="search_lens",
                 condition=_LIVE),
    models.Index(fields=["owner", "place_key", "-taken_at", "-id"], name="search_place",
                 condition=_LIVE),
    models.Index(fields=["owner", "-taken_at", "-id"], name="search_favourite",
                 condition=_LIVE & models.Q(favourite=True)),
    models.Index(fields=["owner", "-trashed_at", "-id"], name="trash_order",
                 condition=models.Q(trashed_at__isnull=False)),
    # What the places backfill still has to do, without reading what it has done.
    models.Index(fields=["id"], name="place_pending", condition=models.Q(place_done=False)),
]


class TakenAtSource(models.TextChoices):
    EXIF = "exif", "EXIF"
    FILE = "file", "file modification time"
    UPLOAD = "upload", "upload time"


class MediaType(models.TextChoices):
    PHOTO = "photo", "photo"
    VIDEO = "video", "video"


class Photo(models.Model):
    """One user's photo: their copy of an Original, with what they and the bytes say of it."""

    # No index of its own: one_photo_per_owner's (owner, original) leads with it, and every
    # INSERT of a photo would update a second one (migration 0012_lean_photo_indexes).
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="photos", db_index=False)
    original = models.ForeignKey(Original, on_delete=models.PROTECT, related_name="photos")
    filename = models.CharField(max_length=255, blank=True)
    width = models.PositiveIntegerField(null=True)
    height = models.PositiveIntegerField(null=True)
    taken_at = models.DateTimeField()
    taken_at_source = models.CharField(max_length=10, choices=TakenAtSource.choices)
    camera_make = models.CharField(max_length=100, blank=True)
    camera_model = models.CharField(max_length=100, blank=True)
    lens = models.CharField(max_length=100, blank=True)
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    favourite = models.BooleanField(default=False)
    trashed_at = models.DateTimeField(null=True, blank=True)
    # Videos (imgbackup/video): what the container says; empty for photos.
    media_type = models.CharField(max_length=5, choices=MediaType.choices,
                                  default=MediaType.PHOTO)
    duration = models.FloatField(null=True, blank=True)  # seconds
    fps = models.FloatField(null=True, blank=True)
    video_codec = models.CharField(max_length=32, blank=True)
    audio_codec = models.CharField(max_length=32, blank=True)
    # Live Photos (photos/live.py): the still points at its clip, which is then not listed on
    # its own. Motion Photos: where the MP4 inside the JPEG starts.
    content_identifier = models.CharField(max_length=100, blank=True)
    motion = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", db_index=False)  # see motion_links
    is_motion = models.BooleanField(default=False)
    motion_offset = models.BigIntegerField(null=True, blank=True)
    # Search (photos/search_keys.py): folded words of make + model and of the lens, and the
    # place from offline reverse geocoding (geo/geocoder.py), set at ingest.
    camera_key = models.CharField(max_length=200, blank=True, default="")
    lens_key = models.CharField(max_length=200, blank=True, default="")
    place_key = models.CharField(max_length=255, blank=True, default="")
    place_city = models.CharField(max_length=100, blank=True, default="")
    place_region = models.CharField(max_length=100, blank=True, default="")
    place_country = models.CharField(max_length=100, blank=True, default="")
    place_country_code = models.CharField(max_length=2, blank=True, default="")
    place_done = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "original"], name="one_photo_per_owner"),
        ]
        indexes = [
            # Keyset pagination of the timeline: newest taken first. Partial (photos outside
            # the trash) rather than led by trashed_at: PostgreSQL does not treat
            # "trashed_at IS NULL" as an equality, so with that column in the key it sorted
            # the owner's whole library for every page (bench/, BENCHMARKS.md).
            models.Index(fields=["owner", "-taken_at", "-id"], name="timeline_live",
                         condition=models.Q(trashed_at__isnull=True)),
            models.Index(fields=["owner", "content_identifier"], name="live_photo_pairs",
                         condition=~models.Q(content_identifier="")),
            # The clips' stills, for the SET_NULL when a clip is deleted: partial, so the
            # INSERT of a photo without a clip (nearly every one) does not update it.
            models.Index(fields=["motion"], name="motion_links",
                         condition=models.Q(motion__isnull=False)),
            *SEARCH_INDEXES,
        ]

    def __str__(self) -> str:
        return f"{self.filename or self.original_id} of {self.owner_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.derive_keys()
        super().save(*args, **kwargs)

    def derive_keys(self) -> None:
        """The search columns from the text they are made from: whoever writes the row (save,
        or ingest's own INSERT) sets them here."""
        self.camera_key = camera_key(self.camera_make, self.camera_model)
        self.lens_key = lens_key(self.lens)

    @property
    def sha256(self) -> str:
        return self.original_id


class MonthCount(models.Model):
    """How many of an owner's photos outside the trash were taken in a month (UTC clock, as the
    timeline shows days), and how many of those are favourites: the timeline's skeleton.

    Kept by database triggers on the photo table (migration 0003_timeline_months), in the same
    transaction as every insert, delete, trash, restore and favourite, whatever code path makes
    it: reading the skeleton is one index range of at most a few hundred rows, never a scan of
    the library."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+")
    month = models.CharField(max_length=7)  # YYYY-MM
    live = models.IntegerField(default=0)
    favourite = models.IntegerField(default=0)
    # Bumped with every change of what the month's items show, counts or not (migration
    # 0013): a client compares it for equality, to know which months to fetch again.
    version = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "month"], name="one_count_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month}: {self.live} of {self.owner_id}"


from imgbackup.photos.place_count_model import PlaceCount  # noqa: E402
from imgbackup.photos.resumable_model import ResumableUpload  # noqa: E402
from imgbackup.photos.usage_model import StorageUsage  # noqa: E402

__all__ = ["Original", "Photo", "PlaceCount", "ResumableUpload", "StorageUsage",
           "TakenAtSource", "original_name"]
