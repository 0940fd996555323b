"""Thumbnails and previews: upright whatever the EXIF orientation, never enlarged, never
decoded when the header claims too many pixels."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageCms, ImageFile, ImageStat

from conftest import ORIENTATION, make_jpeg
from imgbackup.imaging.probe import ImageTooLarge, UnsupportedImage, probe
from imgbackup.imaging.render import RenderError, render

pytestmark = pytest.mark.backend_independent

SIZES = {"thumbnail": 256, "preview": 1440}
BIG = 10**9
# Mean absolute difference (0-255) of 32x32 grey versions. A correctly turned image measures
# about 1 against its upright twin (only the digit printed on it differs); any wrong turn or
# flip of these test pictures measures more than 30.
SAME_PICTURE = 8.0


def _fingerprint(im: Image.Image) -> Image.Image:
    return im.convert("L").resize((32, 32), Image.Resampling.BOX)


def difference(a: Image.Image, b: Image.Image) -> float:
    return float(ImageStat.Stat(ImageChops.difference(_fingerprint(a), _fingerprint(b))).mean[0])


def rendered(path: Path, max_side: int, max_pixels: int = BIG) -> Image.Image:
    data = render(path, max_side, max_pixels=max_pixels)
    im = Image.open(io.BytesIO(data))
    assert im.format == "JPEG"
    return im


def upright_twin(name: str) -> Image.Image:
    return Image.open(ORIENTATION / f"{name.split('_')[0]}_1.jpg")


ORIENTED = [f"{shape}_{n}.jpg" for shape in ("Landscape", "Portrait") for n in range(9)]


@pytest.mark.parametrize("kind", list(SIZES))
@pytest.mark.parametrize("name", ORIENTED)
def test_every_orientation_comes_out_upright(name: str, kind: str) -> None:
    twin = upright_twin(name)
    out = rendered(ORIENTATION / name, SIZES[kind])
    assert max(out.size) == min(SIZES[kind], max(twin.size))
    assert (out.width > out.height) == (twin.width > twin.height)
    assert difference(out, twin) < SAME_PICTURE


def test_the_comparison_tells_a_sideways_picture_apart() -> None:
    """Guards the threshold: the stored pixels of a rotated file do not pass as upright."""
    for name in ("Landscape_6.jpg", "Landscape_3.jpg", "Portrait_2.jpg", "Portrait_8.jpg"):
        with Image.open(ORIENTATION / name) as raw:
            assert difference(raw, upright_twin(name)) > 4 * SAME_PICTURE


@pytest.fixture(scope="module")
def rotated_heics(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """HEICs made from rotated test JPEGs, shrunk first: HEVC encoding is slow."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    folder = tmp_path_factory.mktemp("heic")
    made = {}
    for name in HEIC_SOURCES:
        with Image.open(ORIENTATION / name) as im:
            exif = im.getexif().tobytes()
            small = im.resize((im.width // 4, im.height // 4))
        # Saved with its EXIF orientation, as a phone does: pillow-heif writes it as the HEIF
        # irot/imir transform, which the decoder applies.
        made[name] = folder / f"{name}.heic"
        small.save(made[name], "HEIF", exif=exif, quality=50)
    return made


HEIC_SOURCES = ["Landscape_6.jpg", "Portrait_5.jpg"]


@pytest.mark.parametrize("name", HEIC_SOURCES)
@pytest.mark.parametrize("kind", list(SIZES))
def test_a_rotated_heic_comes_out_upright(
        rotated_heics: dict[str, Path], name: str, kind: str) -> None:
    heic = rotated_heics[name]
    twin = upright_twin(name)
    out = rendered(heic, SIZES[kind])
    assert (out.width > out.height) == (twin.width > twin.height)
    assert difference(out, twin) < SAME_PICTURE
    info = probe(heic, BIG)
    assert (info.width > info.height) == (twin.width > twin.height)


def test_a_small_image_is_never_enlarged(tmp_path: Path) -> None:
    path = tmp_path / "small.jpg"
    path.write_bytes(make_jpeg(3, size=(64, 48)))
    assert rendered(path, 1440).size == (64, 48)


def test_transparency_is_laid_on_white(tmp_path: Path) -> None:
    path = tmp_path / "clear.png"
    Image.new("RGBA", (40, 40), (255, 0, 0, 0)).save(path)
    out = rendered(path, 256).convert("RGB")
    assert out.getpixel((20, 20)) == (255, 255, 255)


def test_cmyk_and_16_bit_grey_become_viewable(tmp_path: Path) -> None:
    cmyk = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (40, 40), (0, 255, 255, 0)).save(cmyk)  # red in ink
    red = rendered(cmyk, 256).convert("RGB").getpixel((20, 20))
    assert isinstance(red, tuple) and red[0] > 200 and red[1] < 60
    grey = tmp_path / "grey16.png"
    Image.new("I;16", (40, 40), 0x8000).save(grey)
    mid = rendered(grey, 256).convert("L").getpixel((20, 20))
    assert isinstance(mid, int) and 100 < mid < 156


def test_the_colour_profile_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "profiled.jpg"
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (600, 400), (10, 20, 30)).save(path, icc_profile=profile)
    assert rendered(path, 256).info.get("icc_profile") == profile


def test_a_profile_that_no_longer_fits_the_pixels_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "cmyk-profiled.jpg"
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    cmyk_header = srgb[:16] + b"CMYK" + srgb[20:]  # what matters here is the declared space
    Image.new("CMYK", (300, 200), (0, 0, 0, 0)).save(path, icc_profile=cmyk_header)
    assert "icc_profile" not in rendered(path, 256).info


def test_an_animation_gives_its_first_frame(tmp_path: Path) -> None:
    path = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (30, 30), colour) for colour in ("blue", "yellow")]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    pixel = rendered(path, 256).convert("RGB").getpixel((15, 15))
    assert isinstance(pixel, tuple) and pixel[2] > 200 and pixel[0] < 60


def test_a_truncated_jpeg_is_a_render_error(tmp_path: Path) -> None:
    whole = make_jpeg(5, size=(800, 600))
    path = tmp_path / "cut.jpg"
    path.write_bytes(whole[: len(whole) // 3])
    with pytest.raises(RenderError):
        render(path, 256, max_pixels=BIG)


def test_bytes_that_are_no_image_are_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(b"not a picture at all")
    with pytest.raises(UnsupportedImage):
        render(path, 256, max_pixels=BIG)


def test_missing_bytes_are_not_mistaken_for_a_bad_image(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        render(tmp_path / "gone.jpg", 256, max_pixels=BIG)


# --- Decompression bombs -----------------------------------------------------------------
def png_header(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels and holds almost no data."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header is rewritten to claim width x height."""
    data = bytearray(make_jpeg(1, size=(16, 16)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5: sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.mark.parametrize("data,max_pixels", [
    (png_header(100_000, 100_000), 250_000_000),  # past Pillow's own limit too
    (jpeg_claiming(60_000, 60_000), 250_000_000),
    (jpeg_claiming(12_000, 12_000), 100_000_000),  # past ours, not Pillow's
    (png_header(2_000, 2_000), 1_000_000),
], ids=["png 10 Gpx", "jpeg 3.6 Gpx", "jpeg 144 Mpx", "png over a low limit"])
def test_a_bomb_is_refused_before_decoding(
        tmp_path: Path, no_decoding: None, data: bytes, max_pixels: int) -> None:
    path = tmp_path / "bomb"
    path.write_bytes(data)
    with pytest.raises(ImageTooLarge):
        render(path, 256, max_pixels=max_pixels)
    with pytest.raises(ImageTooLarge):
        probe(path, max_pixels)
