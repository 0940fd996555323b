"""Reading the files of a multipart upload, shared by the original API and v2."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, UnreadablePostError
from django.http.multipartparser import MultiPartParserError

from imgbackup.api import multipart
from imgbackup.api.auth import caller
from imgbackup.api.errors import ApiError, bad_request
from imgbackup.api.limits import FRAMING_ALLOWANCE
from imgbackup.body import content_length
from imgbackup.photos.quota import check_quota, mark_checked
from imgbackup.photos.rejected import Rejected
from imgbackup.photos.uploads import HashedUpload


def uploaded_files(request: HttpRequest) -> list[HashedUpload]:
    """Every file of the request, several under one field name included, in arrival order."""
    if request.content_type != "multipart/form-data":
        message = "send the photos as multipart/form-data"
        if request.content_type:  # a body of another type: its status and its code agree
            raise ApiError(415, "unsupported_media_type", message)
        raise bad_request(message)
    room = _check_room(request) if not hasattr(request, "_files") else None
    try:
        if not hasattr(request, "_files"):
            # Parsed here, not by Django's parser (api/multipart.py says why).
            request._post, request._files = multipart.parse(request)  # type: ignore[attr-defined]
        files = [f for _, group in request.FILES.lists() for f in group]
    except TooManyFilesSent:
        raise ApiError(413, "too_many_files", "too many files in one request "
                       "(IMGBACKUP_MAX_UPLOAD_FILES)") from None
    except (TooManyFieldsSent, RequestDataTooBig):
        raise ApiError(413, "too_large", "too many or too large form fields") from None
    except MultiPartParserError as exc:
        raise bad_request(f"malformed multipart body: {exc}") from None
    except UnreadablePostError as exc:
        raise bad_request(f"the body did not arrive whole: {exc}") from None
    uploads = sorted((f for f in files if isinstance(f, HashedUpload)), key=lambda f: f.index)
    if not uploads:
        # Django skips a part whose headers are not UTF-8 or that has no filename: say so.
        raise bad_request("no file in the request: send at least one file part (with a "
                          "filename, part headers in UTF-8)")
    if room is not None:
        mark_checked(uploads, *room)
    return uploads


def _check_room(request: HttpRequest) -> tuple[int, int | None] | None:
    """Refuse a body that cannot fit in the owner's quota before a byte of it is spooled: its
    Content-Length less the framing allowance. (Ingest checks each file again, exactly, under
    the quota row's lock; before storing, only a file past what this proved.) What it proved:
    the bytes checked and those left beside them (None: no quota)."""
    files_at_least = content_length(request) - FRAMING_ALLOWANCE
    if files_at_least <= 0:
        return None
    try:
        left = check_quota(caller(request), files_at_least, name="this upload", at_least=True)
    except Rejected as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None
    return files_at_least, left
