"""Item 4: thumbnail (~256 px) + preview (~1440 px) generation per image, against
``vipsthumbnail`` (libvips-tools) on the same images."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from bench.images import photo_set, write_set
from bench.report import Item
from bench.scales import Scale

VIPSTHUMBNAIL = shutil.which("vipsthumbnail")
SIZES = {"thumbnail": 256, "preview": 1440}

Generator = Callable[[Path, Path], None]


def imgbackup_generator() -> tuple[Generator | None, str]:
    """imgbackup's own thumbnail + preview code, if this build has it: a function that makes
    both derived images of the image at ``source`` into the folder ``out``."""
    try:
        render = importlib.import_module("imgbackup.imaging.render").render
    except (ImportError, AttributeError):
        return None, ("imgbackup's thumbnail and preview code (branch imaging) has not "
                      "landed in this build")

    def make(source: Path, out: Path) -> None:
        for kind, size in SIZES.items():
            data = render(source, size, max_pixels=250_000_000)
            (out / f"{source.stem}-{kind}-imgbackup.jpg").write_bytes(data)

    return make, ""


def _time_per_image(paths: list[Path], out: Path, make: Generator) -> float:
    make(paths[0], out)  # warm-up: imports, codec initialisation
    start = time.perf_counter()
    for path in paths:
        make(path, out)
    return (time.perf_counter() - start) / len(paths)


def _vips_per_image(paths: list[Path], out: Path) -> float:
    """Both sizes with one vipsthumbnail process per size for the whole batch, so process
    start-up is spread over the batch as a server's would be."""
    assert VIPSTHUMBNAIL is not None
    start = time.perf_counter()
    for kind, size in SIZES.items():
        subprocess.run([VIPSTHUMBNAIL, "-s", f"{size}x{size}", "-o",
                        f"{out}/%s-{kind}.jpg[Q=85,strip]", *map(str, paths)],
                       check=True, capture_output=True, timeout=600)
    return (time.perf_counter() - start) / len(paths)


def measure(work: Path, scale: Scale) -> Item:
    item = Item("4", "Thumbnail + preview generation per image",
                target="≤ 1.2x vipsthumbnail's time per image")
    folder = work / "imaging"
    paths = write_set(folder / "in", photo_set(scale.imaging_images, scale.imaging_size,
                                               tag="imaging"))
    out = folder / "out"
    out.mkdir(parents=True, exist_ok=True)
    vips = _vips_per_image(paths, out) * 1000 if VIPSTHUMBNAIL else None
    make, reason = imgbackup_generator()
    ours = _time_per_image(paths, out, make) * 1000 if make else None
    if make is None:
        item.not_measured = reason
    if vips is None:
        item.not_measured = (item.not_measured + "; " if item.not_measured else "") + \
            "vipsthumbnail is not installed (apt-get install libvips-tools)"
    item.row("thumbnail + preview, per image", "ms", ours, vips, "vipsthumbnail", False)
    ratio = item.rows[0].ratio
    item.target_met = None if ratio is None else ratio <= 1.2
    item.notes.append(
        f"{len(paths)} camera-like JPEGs of {scale.imaging_size[0]}x{scale.imaging_size[1]}. "
        f"vipsthumbnail: one process per size over the whole batch (`-s 256x256` and "
        f"`-s 1440x1440`, JPEG Q=85), wall time divided by the number of images.")
    return item
