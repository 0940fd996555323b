"""Names of derived images (thumbnails, previews) in blob storage."""

from __future__ import annotations

from imgbackup.storage import blobs

SIZES = {"thumbnail": 256, "preview": 1440}


def derived_name(sha256: str, kind: str) -> str:
    return f"derived/{sha256[:2]}/{sha256[2:4]}/{sha256}-{kind}"


def delete_derived(sha256: str) -> None:
    storage = blobs()
    for kind in SIZES:
        name = derived_name(sha256, kind)
        if storage.exists(name):
            storage.delete(name)
