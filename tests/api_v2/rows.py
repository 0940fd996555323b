"""Photo rows made straight in the database, for tests about listing (no bytes needed)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User

from imgbackup.photos.models import Original, Photo


def photo_row(owner: User, n: int, taken_at: datetime, **fields: Any) -> Photo:
    sha256 = hashlib.sha256(f"photo {n}".encode()).hexdigest()
    original, _ = Original.objects.get_or_create(
        sha256=sha256, defaults={"md5": hashlib.md5(sha256.encode()).hexdigest(), "size": 1,
                                 "content_type": "image/jpeg"})
    return Photo.objects.create(owner=owner, original=original, taken_at=taken_at,
                                taken_at_source="exif", filename=f"IMG_{n:05d}.JPG", **fields)
