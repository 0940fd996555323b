"""Photos read for an answer without building model instances: a month page of 500 spent most
of its time in Django making three model instances per row (the photo, its original, its clip)
and converting every date column, when the answer needs about thirty values of each row
(bench/analysis.md, "The month page").

``light(rows)`` reads only the columns ``photo_json`` uses (imgbackup/api/v2/serialize.py), in
one query with the same joins, and yields plain objects with the same attribute paths
(``row.original.sha256``, ``row.motion.original.size``, ``row.pk``), so the one serialiser
serves both and a page (imgbackup/api/v2/pages.py) orders and pages them as it does photos.
The filters, ordering and indexes of ``rows`` are untouched.

A row is the database driver's own tuple, read through properties (``itemgetter``, no copy),
with only the date columns converted: Django's value iterator made a dict of every row and
called three functions per date, and setting thirty attributes per row cost as much again
(bench/analysis.md, "The month page's tail")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, tzinfo
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.query import BaseIterable
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.sql.constants import MULTI
from django.utils.dateparse import parse_datetime

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


class LightPhoto(tuple[Any, ...]):
    """One row: the photo's columns as attributes (set below), ``pk``, ``original`` and
    ``motion``."""

    __slots__ = ()

    pk = property(itemgetter(0))
    original_id = property(itemgetter(len(PHOTO)))

    @property
    def sha256(self) -> str:
        return str(self.original_id)

    @property
    def original(self) -> Blob:
        return Blob(*self[_TAIL:_CLIP])

    @property
    def motion(self) -> Clip | None:
        if self[_MOTION] is None:
            return None
        clip_id, filename, size, content_type = self[_CLIP:]
        return Clip(clip_id, filename, Blob(clip_id, "", size, content_type))


_TAIL = len(PHOTO)
_CLIP = _TAIL + len(ORIGINAL)
_MOTION = PHOTO.index("motion_id")
for _index, _name in enumerate(PHOTO):
    setattr(LightPhoto, _name, property(itemgetter(_index)))

Convert = Callable[[Any], Any]


class _LightIterable(BaseIterable[LightPhoto]):
    """The rows as the database driver gives them, converted only where a column needs it."""

    def __iter__(self) -> Iterator[LightPhoto]:
        queryset = self.queryset
        compiler = queryset.query.get_compiler(queryset.db)
        chunks = compiler.execute_sql(MULTI, chunked_fetch=self.chunked_fetch,
                                      chunk_size=self.chunk_size)
        columns = [selected[0] for selected in compiler.select[:compiler.col_count]]
        dates, zone, others = _converters(compiler, columns)
        if not dates and not others:
            for chunk in chunks:
                yield from map(LightPhoto, chunk)
            return
        for chunk in chunks:
            for row in chunk:
                values = list(row)
                for index in dates:
                    values[index] = _aware(values[index], zone)
                for index, convert in others:
                    values[index] = convert(values[index])
                yield LightPhoto(values)


def _converters(compiler: SQLCompiler, columns: list[Any]
                ) -> tuple[list[int], tzinfo | None, list[tuple[int, Convert]]]:
    """The date columns read naive (SQLite: they are in the connection's zone, made aware
    here as Django's converter does, without its three calls and settings lookups per value),
    that zone, and Django's own converters for any other column that has one."""
    connection = compiler.connection
    naive = getattr(connection.ops, "convert_datetimefield_value", None)
    zone = connection.timezone if settings.USE_TZ else None
    dates: list[int] = []
    others: list[tuple[int, Convert]] = []
    for index, (chain, column) in compiler.get_converters(columns).items():
        if (zone is not None and chain == [naive]
                and column.output_field.get_internal_type() == "DateTimeField"):
            dates.append(index)
        else:
            others.append((index, _chained(chain, column, connection)))
    return dates, zone, others


def _aware(value: datetime | str | None, zone: tzinfo | None) -> datetime | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else parse_datetime(value)
    if moment is None:
        raise ValueError(f"not a date and time: {value!r}")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _chained(chain: list[Any], column: Any, connection: Any) -> Convert:
    def convert(value: Any) -> Any:
        for step in chain:
            value = step(value, column, connection)
        return value
    return convert


def light(rows: QuerySet[Photo]) -> QuerySet[Photo]:
    """``rows``, yielding ``LightPhoto`` objects in place of photos (still filterable,
    orderable and sliceable, like any queryset)."""
    lean: QuerySet[Photo] = rows.values(*PHOTO, *ORIGINAL, *CLIP)
    lean._iterable_class = _LightIterable
    return lean
