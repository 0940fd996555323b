"""Seed scripts for the browser tests that need many photos: rows only, made in bulk with
``imgbackup shell -c`` (each original a one-byte row that nothing reads; the tests answer the
thumbnails themselves)."""

from __future__ import annotations

HEADER = """
import hashlib
from datetime import UTC, datetime, timedelta
from django.contrib.auth.models import User
from imgbackup.photos.models import Original, Photo
user = User.objects.get(username="alice")
"""


def photos(label: str, count: int, name: str, taken: str,
           size: tuple[int, int] = (4000, 3000)) -> str:
    """Source that gives alice ``count`` photos of ``size`` pixels, the i-th named ``name % i``
    and taken at ``taken`` (a Python expression of ``i``); ``label`` tells their originals
    apart."""
    return f"""
originals = Original.objects.bulk_create([
    Original(sha256=hashlib.sha256(b"{label} %d" % i).hexdigest(), md5="0" * 32, size=1,
             content_type="image/jpeg") for i in range({count})])
Photo.objects.bulk_create([
    Photo(owner=user, original=o, filename="{name}" % i, width={size[0]}, height={size[1]},
          taken_at={taken}, taken_at_source="exif") for i, o in enumerate(originals)])
"""


def seed(*blocks: str, prelude: str = "") -> str:
    """One script: the imports and alice, then ``prelude`` (helpers the blocks use), then the
    blocks made by ``photos``."""
    return HEADER + prelude + "".join(blocks)
