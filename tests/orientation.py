"""EXIF-orientation test pictures, made in code: one picture with an unmistakable "up", stored
as a camera would store it for each Orientation value 0 to 8, landscape and portrait.

``Landscape_N.jpg`` holds pixels that show the upright picture only once Orientation N is
applied, exactly like the well-known public examples (recurser/exif-orientation-examples), so a
correct thumbnail of any of them looks like ``Landscape_1.jpg``. The stored pixels are derived
here from the EXIF 2.32 definition of each value (where the 0th row and 0th column of the stored
image lie on the displayed one), not from Pillow's own ``exif_transpose`` table, so a renderer
that reads the table wrong is caught.

The picture is four quadrants of clearly different grey levels, each with a gradient, a bar
along its top and a disc off its centre: every one of the seven wrong turns and flips moves a
quadrant onto another and changes the mean grey difference of two 32 x 32 fingerprints by far
more than JPEG noise does. Sizes are those of the public examples (1800 x 1200), larger than
the 1440 px preview, so a preview is a real reduction."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

LANDSCAPE = (1800, 1200)
ORIENTATIONS = range(9)
# The stored image for each value, as the transposition that turns the upright picture into
# what the camera wrote. From EXIF 2.32, table "Orientation": value N says where the stored
# 0th row and 0th column are on the displayed picture.
_STORED_FROM_UPRIGHT: dict[int, Image.Transpose | None] = {
    0: None,  # not a defined value: readers show the stored pixels as they are
    1: None,  # 0th row top, 0th column left
    2: Image.Transpose.FLIP_LEFT_RIGHT,  # row top, column right
    3: Image.Transpose.ROTATE_180,  # row bottom, column right
    4: Image.Transpose.FLIP_TOP_BOTTOM,  # row bottom, column left
    5: Image.Transpose.TRANSPOSE,  # row left, column top
    6: Image.Transpose.ROTATE_90,  # row right, column top: turned a quarter anticlockwise
    7: Image.Transpose.TRANSVERSE,  # row right, column bottom
    8: Image.Transpose.ROTATE_270,  # row left, column bottom: turned a quarter clockwise
}
_QUADRANT_GREYS = ((30, 105), (170, 235))  # (top-left, top-right), (bottom-left, bottom-right)


def upright_picture(size: tuple[int, int]) -> Image.Image:
    """The picture as it should be seen: an RGB image of ``size``."""
    width, height = size
    im = Image.new("RGB", size)
    draw = ImageDraw.Draw(im)
    half_w, half_h = width // 2, height // 2
    for row, greys in enumerate(_QUADRANT_GREYS):
        for col, grey in enumerate(greys):
            left, top = col * half_w, row * half_h
            for step in range(0, half_w, 8):  # a gentle gradient, as in a photo's sky
                shade = grey + (step * 20) // half_w - 10
                draw.rectangle((left + step, top, left + step + 7, top + half_h), fill=(
                    shade, shade, min(255, shade + 10)))
            draw.rectangle((left, top, left + half_w, top + half_h // 10), fill=(
                255 - grey, 255 - grey, 255 - grey))
            radius = min(half_w, half_h) // 6
            cx, cy = left + half_w // 3, top + half_h // 2
            draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=(
                200, 40, 40))
    return im


def stored_picture(upright: Image.Image, orientation: int) -> Image.Image:
    transposition = _STORED_FROM_UPRIGHT[orientation]
    return upright.copy() if transposition is None else upright.transpose(transposition)


def write_orientation_set(folder: Path) -> Path:
    """Write the 18 JPEGs (``Landscape_0.jpg`` to ``Portrait_8.jpg``) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for shape, size in (("Landscape", LANDSCAPE), ("Portrait", LANDSCAPE[::-1])):
        upright = upright_picture(size)
        for value in ORIENTATIONS:
            exif = Image.Exif()
            exif[0x0112] = value
            stored_picture(upright, value).save(
                folder / f"{shape}_{value}.jpg", "JPEG", quality=85, exif=exif.tobytes())
    return folder
