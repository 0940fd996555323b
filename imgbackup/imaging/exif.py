"""What a photo's EXIF says: when, with what, where, and which way up.

Pure functions: no ORM, no HTTP. EXIF comes from cameras, phones, editors and attackers, so
every value is checked for type and range, and anything that does not make sense is left
empty: reading metadata never raises."""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

from PIL import Image

# Tag numbers, from the EXIF 2.32 specification.
ORIENTATION = 0x0112
MAKE = 0x010F
MODEL = 0x0110
DATETIME = 0x0132
EXIF_IFD = 0x8769
GPS_IFD = 0x8825
DATETIME_ORIGINAL = 0x9003
DATETIME_DIGITIZED = 0x9004
OFFSET_TIME = 0x9010
OFFSET_TIME_ORIGINAL = 0x9011
OFFSET_TIME_DIGITIZED = 0x9012
SUBSEC_TIME = 0x9290
SUBSEC_TIME_ORIGINAL = 0x9291
SUBSEC_TIME_DIGITIZED = 0x9292
LENS_MAKE = 0xA433
LENS_MODEL = 0xA434
GPS_LATITUDE_REF = 1
GPS_LATITUDE = 2
GPS_LONGITUDE_REF = 3
GPS_LONGITUDE = 4

# (where, date tag, offset tag, sub-second tag), most trusted first: the moment the shutter
# opened, then when it was digitised (scans), then when the file was last written.
DATE_SOURCES = (
    ("exif", DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL, SUBSEC_TIME_ORIGINAL),
    ("exif", DATETIME_DIGITIZED, OFFSET_TIME_DIGITIZED, SUBSEC_TIME_DIGITIZED),
    ("ifd0", DATETIME, OFFSET_TIME, SUBSEC_TIME),
)
TEXT_LIMIT = 100  # the width of the text columns that keep these values
_DATE = re.compile(r"\s*(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"\s*([+-])(\d{2}):(\d{2})\s*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Metadata:
    taken_at: datetime | None = None  # always aware
    taken_at_has_offset: bool = False  # False: the camera gave local time, read in default_tz
    camera_make: str = ""
    camera_model: str = ""
    lens: str = ""
    latitude: float | None = None
    longitude: float | None = None


def orientation(im: Image.Image) -> int:
    """The EXIF Orientation (1-8) of an opened image; 1 when absent or nonsense."""
    value = _safe(lambda: im.getexif().get(ORIENTATION, 1))
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def read_metadata(im: Image.Image, default_tz: tzinfo = UTC) -> Metadata:
    """Metadata of an opened image, from its EXIF. Never raises.

    EXIF times before 2.31 carry no zone: they are the camera's wall clock. They are read in
    ``default_tz`` (UTC unless the caller knows better) rather than the server's zone, so the
    same bytes give the same answer on every server; ``taken_at_has_offset`` tells them apart."""
    exif = _safe(im.getexif)
    if exif is None:
        return Metadata()
    ifd0: Mapping[int, Any] = exif
    sub = _safe(lambda: exif.get_ifd(EXIF_IFD)) or {}
    gps = _safe(lambda: exif.get_ifd(GPS_IFD)) or {}
    taken_at, has_offset = _taken_at({"ifd0": ifd0, "exif": sub}, default_tz)
    latitude, longitude = _position(gps)
    return Metadata(
        taken_at=taken_at,
        taken_at_has_offset=has_offset,
        camera_make=text(ifd0.get(MAKE)),
        camera_model=text(ifd0.get(MODEL)),
        lens=_lens(sub),
        latitude=latitude,
        longitude=longitude,
    )


def _safe(read: Any) -> Any:
    """``read()``, or None if the EXIF behind it is too broken to parse."""
    try:
        return read()
    except Exception:  # hostile EXIF can break the parser anywhere; it must not fail an upload
        return None


def text(value: object) -> str:
    """A printable, trimmed string from an EXIF text value, or "" for anything else."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return ""
    return _CONTROL.sub("", value.split("\x00", 1)[0]).strip()[:TEXT_LIMIT]


def _lens(sub: Mapping[int, Any]) -> str:
    model = text(sub.get(LENS_MODEL))
    make = text(sub.get(LENS_MAKE))
    if make and model and not model.lower().startswith(make.lower()):
        return f"{make} {model}"[:TEXT_LIMIT]
    return model


def _taken_at(ifds: Mapping[str, Mapping[int, Any]],
              default_tz: tzinfo) -> tuple[datetime | None, bool]:
    for where, date_tag, offset_tag, subsec_tag in DATE_SOURCES:
        ifd = ifds[where]
        moment = parse_datetime(ifd.get(date_tag), ifd.get(subsec_tag))
        if moment is None:
            continue
        zone = parse_offset(ifd.get(offset_tag))
        moment = moment.replace(tzinfo=zone or default_tz)
        try:
            moment.astimezone(UTC)  # stored in UTC: 9999-12-31 23:59:59 -14:00 is past year 9999
        except OverflowError:
            continue
        return moment, zone is not None
    return None, False


def parse_datetime(value: object, subsec: object = None) -> datetime | None:
    """'YYYY:MM:DD HH:MM:SS' (plus optional SubSecTime digits) as a naive datetime, or None.

    Cameras with an unset clock write '0000:00:00 00:00:00' or blanks: those are None."""
    value = text(value)
    match = _DATE.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    if moment.year < 1826:  # before the first photograph: an unset or broken clock
        return None
    digits = text(subsec).strip()
    if digits.isdigit():
        moment = moment.replace(microsecond=int(digits[:6].ljust(6, "0")))
    return moment


def parse_offset(value: object) -> timezone | None:
    """'+HH:MM' / '-HH:MM' as a fixed zone, or None when absent or impossible."""
    match = _OFFSET.match(text(value))
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14) or int(minutes) >= 60:  # no zone on Earth is further
        return None
    return timezone(-delta if sign == "-" else delta)


def _position(gps: Mapping[int, Any]) -> tuple[float | None, float | None]:
    latitude = _coordinate(gps.get(GPS_LATITUDE), gps.get(GPS_LATITUDE_REF), "S", 90)
    longitude = _coordinate(gps.get(GPS_LONGITUDE), gps.get(GPS_LONGITUDE_REF), "W", 180)
    if latitude is None or longitude is None or latitude == longitude == 0:
        # Half a position is no position; 0,0 is what receivers without a fix write.
        return None, None
    return latitude, longitude


def _coordinate(value: object, ref: object, negative: str, limit: float) -> float | None:
    """Degrees, minutes, seconds and a hemisphere letter as signed decimal degrees."""
    parts = value if isinstance(value, tuple | list) else (value,)
    if not 1 <= len(parts) <= 3:
        return None
    numbers = [n for n in (_number(part) for part in parts) if n is not None and n >= 0]
    if len(numbers) != len(parts):
        return None
    degrees = sum(n / unit for n, unit in zip(numbers, (1.0, 60.0, 3600.0), strict=False))
    if not degrees <= limit:
        return None
    hemisphere = text(ref).upper()[:1]
    if hemisphere not in {"N", "S", "E", "W"}:
        return None
    return -degrees if hemisphere == negative else degrees


def _number(value: object) -> float | None:
    """A finite float from an EXIF rational or integer; None for 0/0, x/0, text and the like."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return number if math.isfinite(number) else None
