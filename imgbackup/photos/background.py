"""The background work that follows an upload: derived images made ahead of the first view.

Each job is idempotent (``ensure_derived`` keeps what exists), so a job run twice (after a
worker died) costs a storage lookup. Derived images are still made on request when a job has
not run yet (photos/derived.py)."""

from __future__ import annotations

from imgbackup import jobs
from imgbackup.photos.derived import SIZES, DerivedImageUnavailable, ensure_derived
from imgbackup.photos.models import Original, Photo
from imgbackup.photos.playback import queue_copy

# Thumbnails first: a timeline shows many of them before anyone opens a preview.
PRIORITY = {"thumbnail": 10, "preview": 0}


def after_ingest(original: Original, photo: Photo) -> None:
    """Queue the derived images of a newly kept original (inside ingest's transaction, one
    INSERT); for a video, they are made from its poster frame, and its playable copy comes
    last."""
    jobs.enqueue_all([jobs.Call(make_derived, (original.sha256, kind), PRIORITY.get(kind, 0))
                      for kind in SIZES])
    queue_copy(original, photo)


def make_derived(sha256: str, kind: str) -> str:
    """The job: returns what happened; raises (and is retried) only on a passing failure,
    such as the storage or the database being away."""
    original = Original.objects.filter(sha256=sha256).first()
    if original is None:
        return "gone: the original was destroyed"
    try:
        ensure_derived(original, kind)
    except DerivedImageUnavailable as exc:
        # Bytes that do not decode will not decode next time either: no preview, no retry.
        return f"unavailable: {exc}"
    return "made"
