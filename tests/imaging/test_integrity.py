"""The structural check that refuses a JPEG or PNG cut off mid-transfer and keeps everything else
whole, including what phones append after the image (motion photos); and a PNG's EXIF found
from its chunk headers."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from conftest import make_png
from PIL import Image

from imgbackup.imaging import integrity
from imgbackup.imaging.integrity import Damaged, check_whole, png_exif

pytestmark = pytest.mark.backend_independent


def noisy_jpeg(progressive: bool = False) -> bytes:
    """Real entropy-coded data (noise), so a cut falls inside a scan."""
    buf = io.BytesIO()
    Image.effect_noise((320, 240), 60).convert("RGB").save(
        buf, "JPEG", quality=90, progressive=progressive)
    return buf.getvalue()


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("progressive", [False, True])
def test_a_whole_jpeg_passes(tmp_path: Path, progressive: bool) -> None:
    check_whole(write(tmp_path, noisy_jpeg(progressive)), "JPEG")


@pytest.mark.parametrize("trailer", [
    b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40,  # a motion photo's video, with FF D9
    b"vendor trailer without the marker",
])
def test_bytes_after_the_end_of_image_are_kept(tmp_path: Path, trailer: bytes) -> None:
    check_whole(write(tmp_path, noisy_jpeg() + trailer), "JPEG")


@pytest.mark.parametrize("progressive", [False, True])
@pytest.mark.parametrize("keep", [0.2, 0.5, 0.9])
def test_a_jpeg_cut_inside_its_image_data_is_refused(tmp_path: Path, progressive: bool,
                                                    keep: float) -> None:
    data = noisy_jpeg(progressive)
    cut = data[: data.index(b"\xff\xda") + int((len(data) - data.index(b"\xff\xda")) * keep)]
    with pytest.raises(Damaged, match="cut off"):
        check_whole(write(tmp_path, cut), "JPEG")


def test_a_jpeg_cut_just_before_its_last_byte_is_refused(tmp_path: Path) -> None:
    data = noisy_jpeg()
    assert data.endswith(b"\xff\xd9")
    with pytest.raises(Damaged):
        check_whole(write(tmp_path, data[:-1]), "JPEG")


def test_a_jpeg_cut_in_its_headers_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Damaged):
        check_whole(write(tmp_path, noisy_jpeg()[:300]), "JPEG")


@pytest.mark.parametrize("block", [1, 2, 3, 7, 4096])
def test_the_marker_is_found_across_the_blocks_it_is_read_in(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(integrity, "CHUNK", block)
    data = noisy_jpeg()
    for tail in (b"", b"x", b"xy", b"abcdefgh"):  # the marker lands at every offset in a block
        check_whole(write(tmp_path, data + tail), "JPEG")
        with pytest.raises(Damaged):
            check_whole(write(tmp_path, data[:-1] + tail), "JPEG")


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with(*chunks: bytes) -> bytes:
    """A real PNG with ``chunks`` put after its image data, before IEND."""
    png = make_png(5)
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + b"".join(chunks) + png[iend:]


def test_a_whole_png_passes_and_bytes_after_its_end_chunk_are_kept(tmp_path: Path) -> None:
    for data in (make_png(1), make_png(1) + b"trailer", png_with(chunk(b"tEXt", b"a\x00b"))):
        check_whole(write(tmp_path, data), "PNG")


def test_a_png_cut_anywhere_before_the_end_of_its_end_chunk_is_refused(tmp_path: Path) -> None:
    data = make_png(1)
    for cut in range(len(data)):
        with pytest.raises(Damaged):
            check_whole(write(tmp_path, data[:cut]), "PNG")


def test_a_png_whose_end_chunk_claims_more_than_the_file_holds_is_refused(
        tmp_path: Path) -> None:
    data = make_png(1)
    with pytest.raises(Damaged):
        check_whole(write(tmp_path, data[:-12] + struct.pack(">I", 100) + data[-8:]), "PNG")


def test_a_pngs_exif_is_found_after_its_image_data(tmp_path: Path) -> None:
    exif = b"MM\x00*" + bytes(20)
    assert png_exif(write(tmp_path, png_with(chunk(b"eXIf", exif)))) == b"Exif\x00\x00" + exif
    assert png_exif(write(tmp_path, png_with(chunk(b"tEXt", b"a\x00b")))) is None
    assert png_exif(write(tmp_path, make_png(1) + chunk(b"eXIf", exif))) is None  # after IEND
    assert png_exif(write(tmp_path, b"GIF89a, not a PNG at all")) is None


def test_a_pngs_exif_larger_than_max_exif_is_not_read(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(integrity, "MAX_EXIF", 10)
    assert png_exif(write(tmp_path, png_with(chunk(b"eXIf", bytes(11))))) is None
    assert png_exif(write(tmp_path, png_with(chunk(b"eXIf", bytes(10))))) == (
        b"Exif\x00\x00" + bytes(10))
