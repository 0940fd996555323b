"""tus 1.0.0 resumable uploads at /api/v2/uploads/ (https://tus.io/protocols/resumable-upload):
core, creation, creation-with-upload, creation-defer-length, termination, checksum and
expiration, and X-HTTP-Method-Override for clients that can only send GET and POST (read by
endpoint, like everywhere in the API: a POST here may stand for PATCH, DELETE or HEAD).

The HTTP side only: headers in, headers out. The rules are photos/resumable.py's; a finished
upload goes through photos/ingest.py like any other, and its last answer carries
``Imgbackup-Photo-Id``. Authenticated like every API (endpoint), OPTIONS included."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from functools import partial, wraps
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.request import HttpHeaders
from django.http.response import HttpResponseBase
from django.utils.http import http_date

from imgbackup.api.auth import caller
from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import ApiError, bad_request, not_found
from imgbackup.api.upload_slots import upload_slot
from imgbackup.body import body_reader, receive_view
from imgbackup.photos import resumable
from imgbackup.photos.ingest import Rejected
from imgbackup.photos.models import ResumableUpload
from imgbackup.photos.quota import check_quota
from imgbackup.photos.resumable_whole import create_whole

VERSION = "1.0.0"
EXTENSIONS = ("creation,creation-with-upload,creation-defer-length,termination,checksum,"
              "expiration")
CHUNK_TYPE = "application/offset+octet-stream"
_NUMBER = re.compile(r"[0-9]{1,19}")
T = TypeVar("T")
OVERRIDES = frozenset({"PATCH", "DELETE", "HEAD"})


def tus(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Every answer, errors included, says which tus version it speaks."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Tus-Resumable"] = VERSION
        if response.status_code == 412:
            response["Tus-Version"] = VERSION
        return response

    return wrapper


@tus
@endpoint("POST", "OPTIONS", overrides=OVERRIDES)
def creation(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        return _discovery()
    _check_version(request)
    user = caller(request)
    length = _length(request)
    claims = _rejected_as_api(resumable.parse_metadata, _header(request, "Upload-Metadata") or "")
    if length is not None:
        # Past the quota: told before a byte is sent (ingest checks again at completion,
        # under the quota row's lock).
        _rejected_as_api(partial(check_quota, name=claims.filename or "file"), user, length,
                         claims.sha256 or None)
    size = _content_length(request) if request.content_type == CHUNK_TYPE else 0
    # With a body, an upload slot first (like every upload path): refused, nothing is created.
    with upload_slot(user) if size else nullcontext():
        upload = _created(user, length, claims, request, size)
    response = _state(HttpResponse(status=201), upload)
    response["Location"] = f"/api/v2/uploads/{upload.id}"
    return response


def _created(user: User, length: int | None, claims: resumable.Claims, request: HttpRequest,
             size: int) -> ResumableUpload:
    if size and size == length:
        # creation-with-upload of the whole file: row and photo in one commit; its quota was
        # just checked for exactly these bytes.
        return _rejected_as_api(create_whole, user, length, claims, _body(request), True)
    upload = _rejected_as_api(resumable.create, user, length, claims)
    if not upload.complete and size:
        # creation-with-upload: the body is the first chunk.
        _rejected_as_api(resumable.append, upload, resumable.Chunk(0, _body(request), size=size))
    return upload


@tus
@endpoint("HEAD", "PATCH", "DELETE", "OPTIONS", overrides=OVERRIDES)
def upload_url(request: HttpRequest, upload_id: str) -> HttpResponse:
    method = request.method
    # First, whatever the method: anyone else's upload is a 404, never a hint that it exists.
    upload = _upload_for_user(request, upload_id)
    if method == "OPTIONS":
        return _discovery()
    _check_version(request)
    if method == "HEAD":
        response = _state(HttpResponse(status=200), upload)
        response["Cache-Control"] = "no-store"
        if upload.metadata:
            response["Upload-Metadata"] = upload.metadata
        return response
    if method == "DELETE":
        _rejected_as_api(resumable.terminate, upload)
        return HttpResponse(status=204)
    return _patch(request, upload)


def _patch(request: HttpRequest, upload: ResumableUpload) -> HttpResponse:
    if request.content_type != CHUNK_TYPE:
        raise ApiError(415, "unsupported_media_type", f"send the bytes as {CHUNK_TYPE}")
    if upload.complete:
        # Complete (perhaps at its creation, the bytes being known): clients that PATCH from 0
        # without asking first are told it is done, whatever they send; nothing is appended
        # (the body left unread is discarded by the server's worker: imgbackup/slow_clients.py).
        return _state(HttpResponse(status=204), upload)
    offset = _number(request, "Upload-Offset")
    if offset is None:
        raise bad_request("Upload-Offset is required")
    if offset != upload.offset:
        raise ApiError(409, "offset_mismatch", f"Upload-Offset is {offset} but the upload is "
                       f"at {upload.offset}: ask with HEAD and send from there")
    length = _number(request, "Upload-Length")
    size = _content_length(request)
    known = upload.length if upload.length is not None else length
    if known is not None and offset + size > known:
        raise ApiError(413, "too_large", f"this chunk ends at byte {offset + size}, past "
                       f"Upload-Length {known}")
    chunk = resumable.Chunk(offset, _body(request), _checksum(request), length, size)
    with upload_slot(caller(request)):
        _rejected_as_api(resumable.append, upload, chunk)
    return _state(HttpResponse(status=204), upload)


def _header(request: HttpRequest, name: str) -> str | None:
    """A request header, read from META under Django's own name for it (``request.headers``'
    ``to_wsgi_name``), without building that mapping of every header for the four or five a
    tus request reads (~10 us)."""
    value = request.META.get(HttpHeaders.to_wsgi_name(name))
    return None if value is None else str(value)


def _check_version(request: HttpRequest) -> None:
    if _header(request, "Tus-Resumable") != VERSION:
        raise ApiError(412, "unsupported_version", f"send Tus-Resumable: {VERSION}")


def _discovery() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Tus-Version"] = VERSION
    response["Tus-Extension"] = EXTENSIONS
    response["Tus-Max-Size"] = str(resumable.max_length())
    response["Tus-Checksum-Algorithm"] = ",".join(resumable.CHECKSUMS)
    return response


def _state(response: HttpResponse, upload: ResumableUpload) -> HttpResponse:
    response["Upload-Offset"] = str(upload.offset)
    if upload.length is None:
        response["Upload-Defer-Length"] = "1"
    else:
        response["Upload-Length"] = str(upload.length)
    response["Upload-Expires"] = http_date(upload.expires_at.timestamp())
    if upload.photo_id:
        response["Imgbackup-Photo-Id"] = upload.photo_id
    return response


def _upload_for_user(request: HttpRequest, upload_id: str) -> ResumableUpload:
    """The one way to reach an upload: the caller's own, else 404; expired, 410."""
    upload = resumable.upload_of(caller(request), upload_id)
    if upload is None:
        raise not_found("upload")
    if resumable.expired(upload):
        raise ApiError(410, "gone", "this upload expired "
                       f"(IMGBACKUP_UPLOAD_EXPIRY_HOURS = {settings.UPLOAD_EXPIRY_HOURS}); "
                       "start it again")
    return upload


def _number(request: HttpRequest, header: str) -> int | None:
    raw = _header(request, header)
    if raw is None:
        return None
    if not _NUMBER.fullmatch(raw.strip()):
        raise bad_request(f"{header} must be a whole number of bytes, not {raw[:30]!r}")
    return int(raw)


def _length(request: HttpRequest) -> int | None:
    length = _number(request, "Upload-Length")
    deferred = _header(request, "Upload-Defer-Length")
    if length is None and deferred != "1":
        raise bad_request("send Upload-Length, or Upload-Defer-Length: 1")
    if length is not None and deferred is not None:
        raise bad_request("send Upload-Length or Upload-Defer-Length, not both")
    return length


def _content_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        raise bad_request("Content-Length is not a number") from None


def _checksum(request: HttpRequest) -> tuple[str, bytes] | None:
    raw = _header(request, "Upload-Checksum")
    if raw is None:
        return None
    algorithm, _, encoded = raw.strip().partition(" ")
    if algorithm not in resumable.CHECKSUMS:
        raise bad_request(f"Upload-Checksum: {algorithm[:20]!r} is not one of "
                          + ", ".join(resumable.CHECKSUMS))
    try:
        return algorithm, base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        raise bad_request("Upload-Checksum: the checksum is not base64") from None


def _body(request: HttpRequest) -> Iterator[memoryview]:
    """The request body, up to the thread buffer less a page (~2 MiB) at a time, until it
    ends or the client goes away: what arrived before a dropped connection still counts
    (unless a checksum was sent for the whole). Each piece is a view of one buffer, received
    into straight from the socket (imgbackup/body.py): it is valid until the next piece is
    asked for."""
    reader = body_reader(request)
    view = receive_view()
    while True:
        try:
            got = reader.readinto(view)
        except (UnreadablePostError, OSError, RequestDataTooBig):
            return
        if not got:
            return
        yield view[:got]


def _rejected_as_api(action: Callable[..., T], *args: Any) -> T:
    try:
        return action(*args)
    except Rejected as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None
