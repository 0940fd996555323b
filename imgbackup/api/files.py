"""Serving stored bytes: originals and derived images, cacheable by their content hash."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    HttpResponseRedirect,
)
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from imgbackup.api.errors import ApiError
from imgbackup.photos.models import Photo
from imgbackup.storage import blobs

IMMUTABLE = "private, max-age=31536000, immutable"
# A redirect to a presigned URL is valid only while the URL is: never cache it for long.
REDIRECT_CACHE = "private, max-age=60"


def not_modified(request: HttpRequest, etag: str) -> bool:
    given = request.META.get("HTTP_IF_NONE_MATCH", "")
    return etag in {tag.strip() for tag in given.split(",")} or given.strip() == "*"


def blob_response(request: HttpRequest, name: str, etag: str, content_type: str,
                  filename: str | None = None, download: bool = False,
                  size: int | None = None) -> HttpResponseBase:
    """The stored object ``name``: 304 when the client has it, else the bytes, sent by this
    server or, when configured, by nginx (X-Accel-Redirect, local storage) or by the object
    store itself (a redirect to a presigned URL, S3 storage)."""
    disposition = content_disposition_header(download, filename or "")
    presign = getattr(blobs(), "presigned_url", None)
    response: HttpResponseBase
    if not_modified(request, etag):
        response = HttpResponseNotModified()
    elif settings.S3_PRESIGNED_DOWNLOADS and callable(presign):
        # The bytes go from the object store to the client; the server only signs the URL.
        response = HttpResponseRedirect(presign(name, content_type, disposition or "inline"))
        response["Cache-Control"] = REDIRECT_CACHE
        response["X-Content-Type-Options"] = "nosniff"
        return response
    elif settings.ACCEL_REDIRECT and not callable(presign):
        # nginx sends the file from disk with sendfile; no app thread waits on a slow client.
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.ACCEL_REDIRECT.rstrip("/") + "/" + quote(name)
        if disposition:
            response["Content-Disposition"] = disposition
    else:
        response = _streamed(name, content_type, filename, download, size)
    response["ETag"] = etag
    response["Cache-Control"] = IMMUTABLE
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _streamed(name: str, content_type: str, filename: str | None, download: bool,
              size: int | None) -> FileResponse:
    try:
        handle = blobs().open(name, "rb")
    except FileNotFoundError:
        raise ApiError(500, "missing_bytes",
                       "the stored bytes are missing; run 'imgbackup verify'") from None
    response = FileResponse(handle, content_type=content_type, as_attachment=download,
                            filename=filename or "")
    if size is not None:
        response["Content-Length"] = str(size)
    return response


def original_response(request: HttpRequest, photo: Photo,
                      download: bool = False) -> HttpResponseBase:
    original = photo.original
    return blob_response(request, original.storage_name, f'"{original.sha256}"',
                         original.content_type, filename=photo.filename or original.sha256,
                         download=download, size=original.size)
