"""Reading the files of a multipart upload, shared by the original API and v2."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError

from imgbackup.api.errors import ApiError, bad_request
from imgbackup.photos.uploads import HashedUpload


def uploaded_files(request: HttpRequest) -> list[HashedUpload]:
    """Every file of the request, several under one field name included, in arrival order."""
    if request.content_type != "multipart/form-data":
        raise ApiError(415 if request.content_type else 400, "bad_request",
                       "send the photos as multipart/form-data")
    try:
        files = [f for _, group in request.FILES.lists() for f in group]
    except TooManyFilesSent:
        raise ApiError(413, "too_many_files", "too many files in one request "
                       "(IMGBACKUP_MAX_UPLOAD_FILES)") from None
    except (TooManyFieldsSent, RequestDataTooBig):
        raise ApiError(413, "too_large", "too many or too large form fields") from None
    except MultiPartParserError as exc:
        raise bad_request(f"malformed multipart body: {exc}") from None
    uploads = sorted((f for f in files if isinstance(f, HashedUpload)), key=lambda f: f.index)
    if not uploads:
        raise bad_request("no file in the request: send at least one file part")
    return uploads
