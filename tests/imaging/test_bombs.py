"""Pixel bombs: memory bounded by design. Each check runs the imaging code in a fresh Python and
measures how far its peak resident memory rose (VmHWM), not how long it took."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from bombs import gif, jpeg_grey, peak_growth_mb, png16, tiff_deflate, webp_lossless, write
from PIL import Image

from imgbackup.imaging.decode import (
    MB,
    Busy,
    ImageTooLarge,
    Limits,
    decoded_bytes,
    open_image,
    render_slot,
    set_render_slots,
)
from imgbackup.imaging.probe import openers

pytestmark = pytest.mark.backend_independent

SETUP = "from imgbackup.imaging.probe import probe\nfrom imgbackup.imaging.render import render"
# What Python allocates on its own while running a few lines (the JPEG it encodes, caches).
SLACK_MB = 24
# A 13 300 x 13 300 lossless WebP is 40 bytes and decodes to 2.7 GB (issue 18); a 16-bit PNG
# of that size is 2 MB and 0.7 GB; a progressive JPEG keeps 2 bytes of every coefficient.
BOMBS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "lossless webp 13300^2": ("bomb.webp", lambda: webp_lossless(13_300, 13_300)),
    "16-bit png 13300^2": ("bomb.png", lambda: png16(13_300, 13_300)),
    "progressive jpeg 13300^2": ("bomb.jpg", lambda: jpeg_grey(13_300, 13_300,
                                                                progressive=True)),
    "deflate tiff 6000^2": ("bomb.tif", lambda: tiff_deflate(6000, 6000)),
    "gif 6000^2": ("bomb.gif", lambda: gif(6000, 6000)),
}


@pytest.fixture(scope="module")
def bomb_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    return {case: write(folder, name, make()) for case, (name, make) in BOMBS.items()}


@pytest.mark.parametrize("case", list(BOMBS))
def test_the_upload_probe_decodes_no_pixel(bomb_files: dict[str, Path], case: str) -> None:
    path = bomb_files[case]
    grew, out = peak_growth_mb(SETUP, f"print(probe({str(path)!r}, 250_000_000).width)")
    assert int(out) in {13_300, 6000}
    assert grew < SLACK_MB, f"probing {case} took {grew:.0f} MB"


@pytest.mark.parametrize("case", list(BOMBS))
def test_a_render_stays_within_its_memory_budget(bomb_files: dict[str, Path], case: str) -> None:
    budget = 64
    action = f"""
from imgbackup.imaging.decode import OverBudget
try:
    print(len(render({str(bomb_files[case])!r}, 256, max_pixels=250_000_000, memory_mb={budget})))
except OverBudget as exc:
    print(exc)
"""
    grew, out = peak_growth_mb(SETUP, action)
    assert out.isdigit() or "IMGBACKUP_RENDER_MEMORY_MB" in out, out
    assert grew < budget + SLACK_MB, f"rendering {case} took {grew:.0f} MB: {out}"


def test_a_200_megapixel_panorama_is_accepted_and_rendered_small(tmp_path: Path) -> None:
    """Pillow's own bomb check (178 956 970 pixels) is not the limit in force: ours is."""
    path = write(tmp_path, "pano.jpg", jpeg_grey(20_000, 10_000))
    action = f"""
print(probe({str(path)!r}, 250_000_000).width)
print(len(render({str(path)!r}, 256, max_pixels=250_000_000, memory_mb=64)))
"""
    grew, out = peak_growth_mb(SETUP, action)
    width, size = out.split()
    assert width == "20000" and int(size) > 0
    assert grew < 16, f"a 1/8-scale decode should take ~3 MB, took {grew:.0f} MB"


def test_the_pixel_limit_says_which_setting_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "big.jpg", jpeg_grey(20_000, 10_000))
    with pytest.raises(ImageTooLarge) as refused:
        open_image(path, openers(), Limits(max_pixels=100_000_000))
    assert "200.0 megapixels" in str(refused.value)
    assert "IMGBACKUP_MAX_PIXELS" in str(refused.value)
    assert "decompression bomb" not in str(refused.value)


MEASURED: dict[str, Callable[[], bytes]] = {
    "webp rgba": lambda: webp_lossless(3000, 3000),
    "png 16-bit rgb": lambda: png16(3000, 3000),
    "progressive jpeg": lambda: jpeg_grey(6000, 6000, progressive=True),
    "tiff rgb": lambda: tiff_deflate(3000, 3000),
    "gif": lambda: gif(4000, 4000),
}


@pytest.mark.parametrize("case", list(MEASURED))
def test_the_estimate_covers_what_a_whole_decode_takes(tmp_path: Path, case: str) -> None:
    """decoded_bytes() is what the budget is checked against: it must not undercount."""
    path = write(tmp_path, "image", MEASURED[case]())
    with open_image(path, openers(), Limits(10**9)) as im:
        estimate = decoded_bytes(im, im.format or "") / MB
    grew, _ = peak_growth_mb(SETUP, f"render({str(path)!r}, 256, max_pixels=10**9, "
                                    "memory_mb=10**6)")
    # A few MB are not the picture's: the decoder's row buffers, the JPEG written, Python.
    assert estimate + 8 >= grew, f"{case}: estimated {estimate:.0f} MB, took {grew:.0f} MB"
    assert estimate <= grew * 2.5 + 8, f"{case}: estimated {estimate:.0f} MB, took {grew:.0f}"


def test_renders_at_once_are_capped_per_process() -> None:
    set_render_slots(1)
    try:
        held = threading.Event()
        release = threading.Event()

        def hold() -> None:
            with render_slot(1):
                held.set()
                release.wait(5)

        holder = threading.Thread(target=hold)
        holder.start()
        assert held.wait(5)
        with pytest.raises(Busy, match="1 render slots are busy"), render_slot(0.1):
            pass
        release.set()
        holder.join()
        with render_slot(0.1):
            pass
    finally:
        set_render_slots(2)


def test_pillows_own_bomb_check_is_off() -> None:
    import imgbackup.imaging.decode  # noqa: F401  (importing it is what turns it off)

    assert Image.MAX_IMAGE_PIXELS is None
