"""Photos read for an answer without building model instances: a month page of 500 spent most
of its time in Django making three model instances per row (the photo, its original, its clip)
and converting every date column, when the answer needs about thirty values of each row
(bench/analysis.md, "The month page").

``light(rows)`` reads only the columns ``photo_json`` uses (imgbackup/api/v2/serialize.py), in
one query with the same joins, and yields plain objects with the same attribute paths
(``row.original.sha256``, ``row.motion.original.size``, ``row.pk``), so the one serialiser
serves both and a page (imgbackup/api/v2/pages.py) orders and pages them as it does photos.
The filters, ordering and indexes of ``rows`` are untouched."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.db.models.query import ValuesIterable

from imgbackup.photos.models import Photo

# The photo's own columns that photo_json, has_motion, purge_at and place_json read (and the
# owner, by which a merged timeline tells a partner's photo: sharing/merged.py).
PHOTO = ("id", "owner_id", "filename", "width", "height", "taken_at", "taken_at_source",
         "camera_make", "camera_model", "lens", "latitude", "longitude", "uploaded_at",
         "favourite", "trashed_at", "media_type", "duration", "fps", "video_codec", "audio_codec",
         "motion_id", "motion_offset", "place_key", "place_city", "place_region",
         "place_country", "place_country_code")
ORIGINAL = ("original__sha256", "original__md5", "original__size", "original__content_type")
CLIP = ("motion__original_id", "motion__filename", "motion__original__size",
        "motion__original__content_type")


class Blob:
    """An original as photo_json reads it."""

    __slots__ = ("content_type", "md5", "sha256", "size")

    def __init__(self, sha256: str, md5: str, size: int, content_type: str) -> None:
        self.sha256, self.md5, self.size, self.content_type = sha256, md5, size, content_type


class Clip:
    """A Live Photo's clip as photo_json reads it."""

    __slots__ = ("filename", "original", "original_id")

    def __init__(self, original_id: str, filename: str, original: Blob) -> None:
        self.original_id, self.filename, self.original = original_id, filename, original


class LightPhoto:
    """One row: the photo's columns as attributes, ``pk``, ``original`` and ``motion``."""

    __slots__ = (*PHOTO, "motion", "original", "original_id", "pk")

    def __init__(self, values: dict[str, Any]) -> None:
        for name in PHOTO:
            setattr(self, name, values[name])
        self.pk = values["id"]
        self.original_id = values["original__sha256"]
        self.original = Blob(*(values[name] for name in ORIGINAL))
        self.motion = None if values["motion_id"] is None else Clip(
            values["motion__original_id"], values["motion__filename"],
            Blob(values["motion__original_id"], "", values["motion__original__size"],
                 values["motion__original__content_type"]))

    @property
    def sha256(self) -> str:
        return str(self.original_id)


class _LightIterable(ValuesIterable):
    def __iter__(self) -> Iterator[LightPhoto]:  # type: ignore[override]
        for values in super().__iter__():
            yield LightPhoto(values)


def light(rows: QuerySet[Photo]) -> QuerySet[Photo]:
    """``rows``, yielding ``LightPhoto`` objects in place of photos (still filterable,
    orderable and sliceable, like any queryset)."""
    lean: QuerySet[Photo] = rows.values(*PHOTO, *ORIGINAL, *CLIP)
    lean._iterable_class = _LightIterable
    return lean
