"""The photo library: list, metadata, favourite, trash and restore, bytes and derived images."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase

from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import ApiError, bad_request
from imgbackup.api.files import blob_response, original_response
from imgbackup.api.upload_slots import upload_slot
from imgbackup.api.v2 import upload
from imgbackup.api.v2.lookups import photo_for_user, photos_of
from imgbackup.api.v2.pages import page
from imgbackup.api.v2.params import bool_param, instant_param, json_body, text_param
from imgbackup.api.v2.serialize import photo_json
from imgbackup.photos.derived import (
    DerivedImageUnavailable,
    derived_content_type,
    ensure_derived,
)
from imgbackup.photos.models import Photo
from imgbackup.photos.trash import restore as restore_photo
from imgbackup.photos.trash import trash


@endpoint("GET", "POST")
def collection(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST":
        with upload_slot(user):
            return upload.upload(request, user)
    rows = _filtered(request, photos_of(user).filter(trashed_at__isnull=True))
    return JsonResponse(page(request, rows, "taken_at", photo_json))


def _filtered(request: HttpRequest, rows: QuerySet[Photo]) -> QuerySet[Photo]:
    """The timeline's filters: taken since/until, camera, favourite, file name contains."""
    if (since := instant_param(request, "since")) is not None:
        rows = rows.filter(taken_at__gte=since)
    if (until := instant_param(request, "until", upper=True)) is not None:
        rows = rows.filter(taken_at__lt=until)
    if camera := text_param(request, "camera"):
        rows = rows.filter(Q(camera_make__icontains=camera) | Q(camera_model__icontains=camera))
    if (favourite := bool_param(request, "favourite")) is not None:
        rows = rows.filter(favourite=favourite)
    if q := text_param(request, "q"):
        rows = rows.filter(filename__icontains=q)
    return rows


@endpoint("GET", "PATCH", "DELETE")
def detail(request: HttpRequest, photo_id: str) -> HttpResponse:
    photo = photo_for_user(request.user, photo_id)  # type: ignore[arg-type]
    if request.method == "PATCH":
        favourite = json_body(request, {"favourite"}).get("favourite")
        if not isinstance(favourite, bool):
            raise bad_request("send {\"favourite\": true} or {\"favourite\": false}")
        photo.favourite = favourite
        photo.save(update_fields=["favourite"])
    elif request.method == "DELETE":
        trash(photo)
    return JsonResponse(photo_json(photo))


@endpoint("POST")
def restore(request: HttpRequest, photo_id: str) -> HttpResponse:
    photo = photo_for_user(request.user, photo_id)  # type: ignore[arg-type]
    restore_photo(photo)
    return JsonResponse(photo_json(photo))


@endpoint("GET")
def original(request: HttpRequest, photo_id: str) -> HttpResponseBase:
    photo = photo_for_user(request.user, photo_id)  # type: ignore[arg-type]
    download = bool_param(request, "download") or False
    return original_response(request, photo, download=download)


@endpoint("GET")
def thumbnail(request: HttpRequest, photo_id: str) -> HttpResponseBase:
    return _derived(request, photo_id, "thumbnail")


@endpoint("GET")
def preview(request: HttpRequest, photo_id: str) -> HttpResponseBase:
    return _derived(request, photo_id, "preview")


def _derived(request: HttpRequest, photo_id: str, kind: str) -> HttpResponseBase:
    photo = photo_for_user(request.user, photo_id)  # type: ignore[arg-type]
    try:
        name = ensure_derived(photo.original, kind)
    except DerivedImageUnavailable as exc:
        # Kept bytes that do not decode (a truncated file), or destroyed meanwhile: no image.
        raise ApiError(404, "not_found", f"no {kind} can be made of this photo: {exc}") from None
    except FileNotFoundError:
        raise ApiError(500, "missing_bytes",
                       "the stored bytes are missing; run 'imgbackup verify'") from None
    return blob_response(request, name, f'"{photo.sha256}-{kind}"', derived_content_type(kind))
