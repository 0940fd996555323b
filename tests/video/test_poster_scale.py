"""A poster is scaled by FFmpeg's scaler straight from the decoded frame (video/frames.py):
the right size and shape, never enlarged, the colours kept."""

from __future__ import annotations

import av
import numpy as np
import pytest

from imgbackup.video.frames import scaled_rgb

pytestmark = pytest.mark.backend_independent


def _frame(width: int, height: int, rgb: tuple[int, int, int]) -> av.VideoFrame:
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:, :] = rgb
    return av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")


def test_a_wide_frame_fits_the_side_and_keeps_its_shape() -> None:
    picture = scaled_rgb(_frame(640, 360, (200, 30, 40)), 256)
    assert picture.size == (256, 144)
    assert picture.mode == "RGB"
    red, green, blue = picture.getpixel((128, 72))
    assert abs(red - 200) < 8 and abs(green - 30) < 8 and abs(blue - 40) < 8


def test_a_tall_frame_fits_its_height() -> None:
    assert scaled_rgb(_frame(360, 640, (0, 0, 0)), 320).size == (180, 320)


def test_a_small_frame_is_never_enlarged() -> None:
    assert scaled_rgb(_frame(320, 240, (0, 0, 0)), 1440).size == (320, 240)
