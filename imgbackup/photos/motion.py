"""A Motion Photo's clip: the MP4 a Google or Samsung camera appends to its JPEG (located by
the XMP at ingest, imaging/motion.py), copied out once into the derived object
``<sha256>-motion`` so it can be served, with ranges, like any video. The JPEG is kept whole."""

from __future__ import annotations

import shutil

from imgbackup.photos.derived import (
    DerivedImageUnavailable,
    derived_name,
    readable_path,
    save_spooled,
    spool_file,
)
from imgbackup.photos.models import Original
from imgbackup.storage import blobs

KIND = "motion"


def embedded_clip(original: Original, offset: int) -> str:
    """The blob name of the clip that starts at ``offset`` in ``original``, copied out first
    if need be. Raises DerivedImageUnavailable when the original was destroyed meanwhile."""
    storage = blobs()
    name = derived_name(original.sha256, KIND)
    if storage.exists(name):
        return name
    if not 0 < offset < original.size:
        raise DerivedImageUnavailable(f"{original.sha256}: the clip lies outside the file")
    with readable_path(storage, original.storage_name) as path, open(path, "rb") as source, \
            spool_file("motion-") as spool:
        source.seek(offset)
        shutil.copyfileobj(source, spool, 1 << 20)
        save_spooled(storage, name, original.sha256, spool)
    return name
