"""Serving stored bytes: originals and derived images, cacheable by their content hash."""

from __future__ import annotations

import mimetypes
import posixpath
from collections.abc import Callable
from typing import IO, Any, TypeVar
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
from imgbackup.api.ranges import Unsatisfiable, wanted_range
from imgbackup.photos.models import Photo
from imgbackup.storage import blobs, open_range
from imgbackup.storage.partial import PartialFile

IMMUTABLE = "private, max-age=31536000, immutable"
# A redirect to a presigned URL is valid only while the URL is: never cache it for long.
REDIRECT_CACHE = "private, max-age=60"
# Stored bytes are shown as what they are and nothing else: no script, no plugin, no form, even
# if a browser were talked into rendering them as a document.
IMAGE_CSP = "default-src 'none'; sandbox"
# The extensions a download may carry, first the one given to a name that has none of them.
EXTENSIONS = {
    "image/jpeg": (".jpg", ".jpeg", ".jpe"),
    "image/png": (".png",),
    "image/webp": (".webp",),
    "image/gif": (".gif",),
    "image/tiff": (".tif", ".tiff"),
    "image/heic": (".heic", ".heif", ".hif"),
    "image/avif": (".avif",),
}
T = TypeVar("T")


def not_modified(request: HttpRequest, etag: str) -> bool:
    given = request.META.get("HTTP_IF_NONE_MATCH", "")
    return etag in {tag.strip() for tag in given.split(",")} or given.strip() == "*"


def blob_response(request: HttpRequest, name: str, etag: str, content_type: str,
                  filename: str | None = None, download: bool = False,
                  size: int | None = None) -> HttpResponseBase:
    """The stored object ``name``: 304 when the client has it, else the bytes (or the one range
    of them it asked for), sent by this server or, when configured, by nginx
    (X-Accel-Redirect, local storage) or by the object store itself (a redirect to a presigned
    URL, S3 storage); those two answer Range requests themselves."""
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
        response = _streamed(request, name, etag, content_type, filename, download, size)
        if response.status_code == 416:
            return response  # about this request, not the file: none of the file's caching
    response["ETag"] = etag
    response["Cache-Control"] = IMMUTABLE
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = IMAGE_CSP
    return response


def download_name(name: str, content_type: str) -> str:
    """``name`` with an extension that says what the bytes are: a JPEG uploaded as ``x.html``
    downloads as ``x.jpg``, never as something a computer would open as a page or a program."""
    allowed = EXTENSIONS.get(content_type) or tuple(mimetypes.guess_all_extensions(content_type))
    if not allowed:
        return name
    stem, extension = posixpath.splitext(name)
    if extension.lower() in allowed:
        return name
    return (stem or name) + allowed[0]


def _streamed(request: HttpRequest, name: str, etag: str, content_type: str,
              filename: str | None, download: bool, size: int | None) -> HttpResponseBase:
    """The whole object (200), the one range of it the request asks for (206), or 416."""
    if "Range" in request.headers:
        # Derived images come without their size: only storage knows it.
        known = size if size is not None else _missing_is_lost(blobs().size, name)
        try:
            wanted = wanted_range(request, etag, known)
        except Unsatisfiable:
            return _not_satisfiable(known)
        if wanted is not None:
            part = _missing_is_lost(open_range, name, wanted.first, wanted.last)
            response = _file_response(part, 206, wanted.length, content_type, filename,
                                      download)
            response["Content-Range"] = wanted.content_range(known)
            return response
    whole = _missing_is_lost(blobs().open, name, "rb")
    return _file_response(whole, 200, size, content_type, filename, download)


def _file_response(handle: IO[bytes] | PartialFile, status: int, length: int | None,
                   content_type: str, filename: str | None, download: bool) -> FileResponse:
    response = FileResponse(handle, status=status, content_type=content_type,
                            as_attachment=download, filename=filename or "")
    response["Accept-Ranges"] = "bytes"
    if length is not None:
        response["Content-Length"] = str(length)
    return response


def _not_satisfiable(size: int) -> HttpResponse:
    """A plain 416 saying how long the file is: a download's status, like 304, not an API
    error. ``no-store``: a cache must never answer a later GET of the file with it."""
    response = HttpResponse(status=416, content_type="text/plain")
    response["Content-Range"] = f"bytes */{size}"
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _missing_is_lost(read: Callable[..., T], *args: Any) -> T:
    """``read(*args)``; a stored object that is not there is lost data: loud, and a 500."""
    try:
        return read(*args)
    except FileNotFoundError:
        raise ApiError(500, "missing_bytes",
                       "the stored bytes are missing; run 'imgbackup verify'") from None


def original_response(request: HttpRequest, photo: Photo,
                      download: bool = False) -> HttpResponseBase:
    original = photo.original
    name = download_name(photo.filename or original.sha256, original.content_type)
    return blob_response(request, original.storage_name, f'"{original.sha256}"',
                         original.content_type, filename=name, download=download,
                         size=original.size)
