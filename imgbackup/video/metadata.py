"""What a container's tags say: when, where, with what. Pure functions over the tag dictionary
FFmpeg reads (QuickTime/MP4 ``creation_time`` and Apple's ``com.apple.quicktime.*`` keys,
Matroska tags, Android's ``location``). Tags come from cameras, editors and attackers: anything
malformed or out of range leaves its field empty, never raises."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

TEXT_LIMIT = 100
# A QuickTime time of 0 is 1904-01-01 and an unset Unix clock 1970-01-01: neither is a date.
EARLIEST = datetime(1971, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_APPLE_DATE = "com.apple.quicktime.creationdate"
_CREATION_TIME = "creation_time"
_LOCATIONS = ("com.apple.quicktime.location.ISO6709", "location", "location-eng")
_MAKES = ("com.apple.quicktime.make", "make", "com.android.manufacturer")
_MODELS = ("com.apple.quicktime.model", "model", "com.android.model")
_ISO_TIME = re.compile(
    r"\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$")
# ISO 6709: latitude then longitude, each signed, in degrees (±DD.D, ±DDD.D), degrees and
# minutes (±DDMM.M, ±DDDMM.M) or degrees, minutes and seconds (±DDMMSS.S, ±DDDMMSS.S).
_ISO6709 = re.compile(r"\s*([+-])(\d+)(\.\d+)?([+-])(\d+)(\.\d+)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Tags:
    taken_at: datetime | None = None  # aware
    taken_at_has_offset: bool = False
    camera_make: str = ""
    camera_model: str = ""
    latitude: float | None = None
    longitude: float | None = None


def read_tags(tags: Mapping[str, str]) -> Tags:
    taken_at, has_offset = taken_time(tags)
    latitude, longitude = location(tags)
    return Tags(taken_at=taken_at, taken_at_has_offset=has_offset,
                camera_make=_first_text(tags, _MAKES), camera_model=_first_text(tags, _MODELS),
                latitude=latitude, longitude=longitude)


def taken_time(tags: Mapping[str, str]) -> tuple[datetime | None, bool]:
    """Apple's creation date (the camera's clock and its zone) first; else the container's
    creation_time, which QuickTime and MP4 keep in UTC. (time, whether it had a zone)."""
    apple = parse_time(tags.get(_APPLE_DATE, ""), default_utc=False)
    if apple is not None:
        return apple, apple.tzinfo is not None and apple.utcoffset() is not None
    created = parse_time(tags.get(_CREATION_TIME, ""), default_utc=True)
    return created, created is not None


def parse_time(text: str, default_utc: bool) -> datetime | None:
    """An ISO 8601 time, aware. Without a zone it is UTC when ``default_utc``, else refused
    here (an Apple date always carries its zone)."""
    match = _ISO_TIME.match(text or "")
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute),
                          int(second), int((fraction or "0")[:6].ljust(6, "0")))
    except ValueError:
        return None
    tz = _zone(zone) if zone else (UTC if default_utc else None)
    if tz is None:
        return None
    aware = moment.replace(tzinfo=tz)
    return aware if EARLIEST <= aware < LATEST else None


def _zone(text: str) -> timezone | None:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 14 or minutes >= 60:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def location(tags: Mapping[str, str]) -> tuple[float | None, float | None]:
    for key in _LOCATIONS:
        found = parse_iso6709(tags.get(key, ""))
        if found is not None:
            return found
    return None, None


def parse_iso6709(text: str) -> tuple[float, float] | None:
    match = _ISO6709.match(text or "")
    if not match:
        return None
    lat_sign, lat_int, lat_frac, lon_sign, lon_int, lon_frac = match.groups()
    latitude = _degrees(lat_int, lat_frac, degree_digits=2)
    longitude = _degrees(lon_int, lon_frac, degree_digits=3)
    if latitude is None or longitude is None:
        return None
    latitude = -latitude if lat_sign == "-" else latitude
    longitude = -longitude if lon_sign == "-" else longitude
    if abs(latitude) > 90 or abs(longitude) > 180 or (latitude == 0 and longitude == 0):
        return None
    return round(latitude, 7), round(longitude, 7)


def _degrees(whole: str, fraction: str | None, degree_digits: int) -> float | None:
    """ISO 6709's three forms, told apart by how many digits precede the decimal point."""
    extra = len(whole) - degree_digits
    if extra not in (0, 2, 4):
        return None
    degrees = int(whole[:degree_digits])
    value = float(whole[degree_digits:] + (fraction or "")) if extra else float(
        "0" + (fraction or ""))
    if extra == 0:
        return degrees + value
    if extra == 2:
        return degrees + value / 60 if value < 60 else None
    minutes, seconds = int(whole[degree_digits:degree_digits + 2]), float(
        whole[degree_digits + 2:] + (fraction or ""))
    if minutes >= 60 or seconds >= 60:
        return None
    return degrees + minutes / 60 + seconds / 3600


def _first_text(tags: Mapping[str, str], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = tags.get(key)
        if isinstance(value, str):
            clean = _CONTROL.sub("", value.split("\x00", 1)[0]).strip()[:TEXT_LIMIT]
            if clean:
                return clean
    return ""
