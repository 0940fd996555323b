"""HEIC/HEIF support through pillow-heif, registered once."""

from __future__ import annotations

_registered = False


def register() -> None:
    global _registered
    if _registered:
        return
    from pillow_heif import register_heif_opener

    register_heif_opener()
    _registered = True
