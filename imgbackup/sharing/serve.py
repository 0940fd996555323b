"""The bytes of a photo reached through an album or a link: the original, or a derived image.

Derived images (thumbnail, preview) are re-encoded JPEGs carrying no EXIF at all
(imaging/render.py), so they never reveal GPS; the original is the owner's file unchanged, byte
for byte, EXIF and GPS included (a link serves it only when it allows downloads). Where a link
hides metadata, the original's download name is its id, not the file name it was sent with."""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from imgbackup.api.errors import ApiError
from imgbackup.api.files import blob_response, download_name, original_response
from imgbackup.photos.derived import DerivedImageUnavailable, derived_content_type, ensure_derived
from imgbackup.photos.models import Photo

KINDS = ("original", "thumbnail", "preview")


def photo_bytes(request: HttpRequest, photo: Photo, kind: str, *,
                named: bool = True) -> HttpResponseBase:
    download = request.GET.get("download") == "1"
    if kind == "original" and named:
        return original_response(request, photo, download=download)
    if kind == "original":
        original = photo.original
        return blob_response(request, original.storage_name, f'"{original.sha256}"',
                             original.content_type, download=download, size=original.size,
                             filename=download_name(original.sha256[:16], original.content_type))
    try:
        name = ensure_derived(photo.original, kind)
    except DerivedImageUnavailable as exc:
        raise ApiError(404, "not_found", f"no {kind} can be made of this photo: {exc}") from None
    except FileNotFoundError:
        raise ApiError(500, "missing_bytes",
                       "the stored bytes are missing; run 'imgbackup verify'") from None
    return blob_response(request, name, f'"{photo.sha256}-{kind}"', derived_content_type(kind))
