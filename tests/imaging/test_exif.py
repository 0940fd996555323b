"""Metadata read from EXIF: camera-made JPEGs and HEICs with known tags, and hostile EXIF that
must leave fields empty without ever raising."""

from __future__ import annotations

import io
import random
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, TiffImagePlugin

from imgbackup.imaging.probe import ImageInfo, probe

pytestmark = pytest.mark.backend_independent

R = TiffImagePlugin.IFDRational
PLUS_TWO = timezone(timedelta(hours=2))
BIG = 10**9


def camera_exif(**changes: object) -> Image.Exif:
    """EXIF as a camera writes it: IFD0, the Exif sub-IFD and the GPS sub-IFD.
    ``changes`` maps a tag name to a new value, or to None to leave the tag out."""
    tags: dict[str, tuple[int | None, int, object]] = {
        # name: (sub-IFD or None for IFD0, tag, value)
        "Make": (None, 0x010F, "Canon"),
        "Model": (None, 0x0110, "Canon EOS R5"),
        "DateTime": (None, 0x0132, "2024:06:01 09:00:00"),
        "DateTimeOriginal": (0x8769, 0x9003, "2024:05:01 12:34:56"),
        "OffsetTimeOriginal": (0x8769, 0x9011, "+02:00"),
        "DateTimeDigitized": (0x8769, 0x9004, "2024:05:02 08:00:00"),
        "LensModel": (0x8769, 0xA434, "RF24-105mm F4 L IS USM"),
        "GPSLatitudeRef": (0x8825, 1, "S"),
        "GPSLatitude": (0x8825, 2, (R(33, 1), R(51, 1), R(5418, 100))),
        "GPSLongitudeRef": (0x8825, 3, "E"),
        "GPSLongitude": (0x8825, 4, (R(151, 1), R(12, 1), R(305, 10))),
    }
    exif = Image.Exif()
    for name, (ifd, tag, value) in tags.items():
        value = changes.get(name, value)
        if value is not None:
            (exif if ifd is None else exif.get_ifd(ifd))[tag] = value
    return exif


def jpeg(exif: Image.Exif | bytes, size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    raw = exif.tobytes() if isinstance(exif, Image.Exif) else exif
    Image.new("RGB", size, (90, 120, 150)).save(buf, "JPEG", exif=raw)
    return buf.getvalue()


def probed(tmp_path: Path, data: bytes, **options: object) -> ImageInfo:
    path = tmp_path / "photo"
    path.write_bytes(data)
    return probe(path, BIG, **options)  # type: ignore[arg-type]


def test_it_reads_what_the_camera_wrote(tmp_path: Path) -> None:
    info = probed(tmp_path, jpeg(camera_exif()))
    assert info.taken_at == datetime(2024, 5, 1, 12, 34, 56, tzinfo=PLUS_TWO)
    assert info.taken_at_has_offset
    assert (info.camera_make, info.camera_model) == ("Canon", "Canon EOS R5")
    assert info.lens == "RF24-105mm F4 L IS USM"
    assert info.latitude == pytest.approx(-(33 + 51 / 60 + 54.18 / 3600))
    assert info.longitude == pytest.approx(151 + 12 / 60 + 30.5 / 3600)
    assert (info.width, info.height) == (64, 48)


def test_western_and_northern_positions_have_their_signs(tmp_path: Path) -> None:
    exif = camera_exif(GPSLatitudeRef="N", GPSLatitude=(R(48, 1), R(51, 1), R(0, 1)),
                       GPSLongitudeRef="W", GPSLongitude=(R(73, 1), R(30, 1), R(0, 1)))
    info = probed(tmp_path, jpeg(exif))
    assert info.latitude == pytest.approx(48.85)
    assert info.longitude == pytest.approx(-73.5)


def test_a_time_without_offset_is_read_in_utc_by_default(tmp_path: Path) -> None:
    info = probed(tmp_path, jpeg(camera_exif(OffsetTimeOriginal=None)))
    assert info.taken_at == datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)
    assert not info.taken_at_has_offset


def test_a_time_without_offset_can_be_read_in_a_given_zone(tmp_path: Path) -> None:
    paris = ZoneInfo("Europe/Paris")
    info = probed(tmp_path, jpeg(camera_exif(OffsetTimeOriginal=None)), default_tz=paris)
    assert info.taken_at == datetime(2024, 5, 1, 12, 34, 56, tzinfo=paris)
    assert info.taken_at is not None and info.taken_at.utcoffset() == timedelta(hours=2)


def test_sub_seconds_order_a_burst(tmp_path: Path) -> None:
    exif = camera_exif()
    exif.get_ifd(0x8769)[0x9291] = "25"
    info = probed(tmp_path, jpeg(exif))
    assert info.taken_at == datetime(2024, 5, 1, 12, 34, 56, 250000, tzinfo=PLUS_TWO)


@pytest.mark.parametrize("missing,expected", [
    (["DateTimeOriginal"], datetime(2024, 5, 2, 8, 0, tzinfo=UTC)),
    (["DateTimeOriginal", "DateTimeDigitized"], datetime(2024, 6, 1, 9, 0, tzinfo=UTC)),
    (["DateTimeOriginal", "DateTimeDigitized", "DateTime"], None),
])
def test_it_falls_back_to_the_other_exif_dates(
        tmp_path: Path, missing: list[str], expected: datetime | None) -> None:
    info = probed(tmp_path, jpeg(camera_exif(**dict.fromkeys(missing))))
    assert info.taken_at == expected


def test_lens_make_is_prefixed_when_the_model_lacks_it(tmp_path: Path) -> None:
    exif = camera_exif(LensModel="XF23mmF1.4 R")
    exif.get_ifd(0x8769)[0xA433] = "FUJIFILM"
    assert probed(tmp_path, jpeg(exif)).lens == "FUJIFILM XF23mmF1.4 R"


def test_no_exif_at_all_leaves_every_field_empty(tmp_path: Path) -> None:
    info = probed(tmp_path, jpeg(b""))
    assert info == ImageInfo("image/jpeg", "JPEG", 64, 48)


def test_a_rotated_photo_reports_its_displayed_size(tmp_path: Path) -> None:
    exif = camera_exif()
    exif[0x0112] = 6
    info = probed(tmp_path, jpeg(exif, size=(64, 48)))
    assert (info.width, info.height) == (48, 64)


def test_a_heic_from_a_phone_gets_the_same_metadata(tmp_path: Path) -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    exif = camera_exif(Make="Apple", Model="iPhone 15")
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(buf, "HEIF", exif=exif.tobytes())
    info = probed(tmp_path, buf.getvalue())
    assert info.content_type == "image/heic"
    assert (info.camera_make, info.camera_model) == ("Apple", "iPhone 15")
    assert info.taken_at == datetime(2024, 5, 1, 12, 34, 56, tzinfo=PLUS_TWO)
    assert info.latitude == pytest.approx(-33.86505)


# --- Hostile EXIF, written byte by byte --------------------------------------------------
ASCII, SHORT, LONG, RATIONAL = 2, 3, 4, 5
Entry = tuple[int, int, int, bytes]  # tag, type, count, value bytes


def text(tag: int, value: bytes) -> Entry:
    return tag, ASCII, len(value) + 1, value + b"\0"


def rationals(tag: int, *pairs: tuple[int, int]) -> Entry:
    return tag, RATIONAL, len(pairs), b"".join(struct.pack("<II", *pair) for pair in pairs)


def ifd(entries: list[Entry], at: int) -> bytes:
    """A little-endian IFD placed at offset ``at``; values over 4 bytes follow it."""
    data_at = at + 2 + 12 * len(entries) + 4
    fields, data = b"", b""
    for tag, typ, count, value in entries:
        if len(value) <= 4:
            field = value.ljust(4, b"\0")
        else:
            field = struct.pack("<I", data_at + len(data))
            data += value + b"\0" * (len(value) % 2)
        fields += struct.pack("<HHI", tag, typ, count) + field
    return struct.pack("<H", len(entries)) + fields + b"\0\0\0\0" + data


def tiff(ifd0: list[Entry], exif: list[Entry] | None = None,
         gps: list[Entry] | None = None) -> bytes:
    """An APP1 EXIF payload: IFD0, then the Exif and GPS sub-IFDs it points to."""
    subs = [(tag, entries) for tag, entries in ((0x8769, exif), (0x8825, gps)) if entries]

    def pointers(offsets: list[int]) -> list[Entry]:
        pairs = zip(subs, offsets, strict=True)
        return [(tag, LONG, 1, struct.pack("<I", off)) for (tag, _), off in pairs]

    size0 = len(ifd(ifd0 + pointers([0] * len(subs)), 8))
    offsets, blocks, at = [], b"", 8 + size0
    for _, entries in subs:
        block = ifd(entries, at)
        offsets.append(at)
        blocks += block
        at += len(block)
    return b"Exif\0\0II*\0" + struct.pack("<I", 8) + ifd(ifd0 + pointers(offsets), 8) + blocks


GOOD_DATE = text(0x9003, b"2024:05:01 12:34:56")
GOOD_GPS = [text(1, b"N"), rationals(2, (48, 1), (51, 1), (0, 1)), text(3, b"E"),
            rationals(4, (2, 1), (21, 1), (0, 1))]


def gps_with(tag: int, entry: Entry) -> bytes:
    return tiff([], gps=[entry if e[0] == tag else e for e in GOOD_GPS])


def truncated_camera_exif() -> bytes:
    whole = camera_exif().tobytes()
    return whole[: len(whole) // 2]


def random_exif() -> bytes:
    return b"Exif\0\0" + random.Random(3).randbytes(4000)


# name -> (EXIF payload, check of the probed info)
Check = Callable[[ImageInfo], bool]
HOSTILE: dict[str, tuple[bytes | Callable[[], bytes], Check]] = {
    "zero denominators": (
        gps_with(2, rationals(2, (48, 0), (0, 0), (5, 0))), lambda i: i.latitude is None),
    "position as text": (gps_with(2, text(2, b"48.85")), lambda i: i.latitude is None),
    "hemisphere as a number": (
        gps_with(1, (1, SHORT, 1, struct.pack("<H", 78))), lambda i: i.latitude is None),
    "latitude beyond the pole": (
        gps_with(2, rationals(2, (200, 1), (0, 1), (0, 1))), lambda i: i.latitude is None),
    "half a position": (tiff([], gps=GOOD_GPS[:2]), lambda i: i.latitude is None),
    "date as a number": (
        tiff([], exif=[(0x9003, LONG, 1, struct.pack("<I", 12345))]),
        lambda i: i.taken_at is None),
    "unset camera clock": (
        tiff([], exif=[text(0x9003, b"0000:00:00 00:00:00")]), lambda i: i.taken_at is None),
    "impossible date": (
        tiff([], exif=[text(0x9003, b"2024:13:45 25:61:61")]), lambda i: i.taken_at is None),
    "blank date": (
        tiff([], exif=[text(0x9003, b"    :  :     :  :  ")]), lambda i: i.taken_at is None),
    "offset beyond any zone": (
        tiff([], exif=[GOOD_DATE, text(0x9011, b"+99:00")]),
        lambda i: i.taken_at == datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)
        and not i.taken_at_has_offset),
    "make as numbers": (
        tiff([(0x010F, SHORT, 2, struct.pack("<HH", 1, 2))]), lambda i: i.camera_make == ""),
    "make with control characters": (
        tiff([text(0x010F, b"Can\x1bon\0trailing junk")]), lambda i: i.camera_make == "Canon"),
    "a 60 kB model name": (
        tiff([text(0x0110, b"M" * 60_000)]), lambda i: i.camera_model == "M" * 100),
    "a count claiming 2 GB": (
        tiff([(0x010F, ASCII, 0x7FFFFFFF, struct.pack("<I", 60))]),
        lambda i: i.camera_make == ""),
    "exif pointer past the end": (
        tiff([(0x8769, LONG, 1, struct.pack("<I", 0x7FFFFFF0))]), lambda i: i.taken_at is None),
    "exif pointer looping to itself": (
        tiff([(0x8769, LONG, 1, struct.pack("<I", 8))]), lambda i: i.taken_at is None),
    "gps pointer of the wrong type": (
        tiff([text(0x8825, b"nowhere at all")]), lambda i: i.latitude is None),
    "65535 entries announced, none there": (
        b"Exif\0\0II*\0\x08\0\0\0\xff\xff", lambda i: i.camera_make == ""),
    "not TIFF at all": (b"Exif\0\0XX" + b"\x01" * 64, lambda i: i.taken_at is None),
    "random bytes": (random_exif, lambda i: True),
    "truncated half-way": (truncated_camera_exif, lambda i: True),
}


@pytest.mark.filterwarnings("ignore::UserWarning:PIL")  # Pillow says it saw corrupt EXIF
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_exif_never_raises_and_leaves_the_field_empty(tmp_path: Path, name: str) -> None:
    payload, check = HOSTILE[name]
    raw = payload() if callable(payload) else payload
    info = probed(tmp_path, jpeg(raw))
    assert (info.content_type, info.width, info.height) == ("image/jpeg", 64, 48)
    assert check(info), info


def test_the_hostile_builder_makes_exif_that_reads_when_it_is_sane(tmp_path: Path) -> None:
    """The byte-level builder is right: the same layout with sane values reads back."""
    info = probed(tmp_path, jpeg(tiff([text(0x010F, b"Nikon")], exif=[GOOD_DATE], gps=GOOD_GPS)))
    assert info.camera_make == "Nikon"
    assert info.taken_at == datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)
    assert info.latitude == pytest.approx(48.85)
    assert info.longitude == pytest.approx(2.35)
