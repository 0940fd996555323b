"""The photo library: list, metadata, favourite, trash and restore, bytes and derived images."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase

from imgbackup.api.auth import caller
from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import ApiError, bad_request
from imgbackup.api.files import blob_response, original_response
from imgbackup.api.unavailable import unavailable
from imgbackup.api.upload_slots import upload_slot
from imgbackup.api.v2 import upload
from imgbackup.api.v2.light_rows import light
from imgbackup.api.v2.lookups import photo_for_user
from imgbackup.api.v2.pages import decode_cursor, page
from imgbackup.api.v2.params import bool_param, instant_param, json_body, text_param
from imgbackup.api.v2.serialize import photo_json
from imgbackup.photos.derived import (
    DerivedImageUnavailable,
    RendererBusy,
    derived_content_type,
    ensure_derived,
)
from imgbackup.photos.search import Filters
from imgbackup.photos.trash import restore as restore_photo
from imgbackup.photos.trash import trash
from imgbackup.sharing.merged import merged_for

MAX_QUERY = 200


@endpoint("GET", "POST")
def collection(request: HttpRequest) -> HttpResponse:
    user = caller(request)
    if request.method == "POST":
        with upload_slot(user):
            return upload.upload(request, user)
    # The caller's timeline, with the partners' they chose to show in it (sharing/merged.py).
    merged = merged_for(request)
    parts = [light(rows) for rows in merged.parts(search_filters(request))]
    return JsonResponse(page(request, parts, "taken_at", merged.render(photo_json)))


def search_filters(request: HttpRequest) -> Filters:
    """The timeline's filters: taken since/until, camera, lens, place, favourite, file name
    (and where the page starts, which only guides how a file name is looked for)."""
    return Filters(
        since=instant_param(request, "since"),
        until=instant_param(request, "until", upper=True),
        camera=_words_param(request, "camera"), lens=_words_param(request, "lens"),
        place=_words_param(request, "place"), name=_words_param(request, "q"),
        favourite=bool_param(request, "favourite"),
        after=_where_the_page_starts(request),
    )


def _where_the_page_starts(request: HttpRequest) -> tuple[datetime, int] | None:
    """The cursor's position, or None: a bad cursor is the pager's 400 to give (an endpoint
    without pages, such as the bucket counts, ignores it as before)."""
    cursor = request.GET.get("cursor")
    try:
        return decode_cursor(cursor) if cursor else None
    except ApiError:
        return None


def _words_param(request: HttpRequest, name: str) -> str | None:
    value = text_param(request, name)
    if value is not None and len(value) > MAX_QUERY:
        raise bad_request(f"{name} is longer than {MAX_QUERY} characters")
    return value.strip() or None if value is not None else None


@endpoint("GET", "PATCH", "DELETE")
def detail(request: HttpRequest, photo_id: str) -> HttpResponse:
    photo = photo_for_user(caller(request), photo_id)
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
    photo = photo_for_user(caller(request), photo_id)
    restore_photo(photo)
    return JsonResponse(photo_json(photo))


@endpoint("GET")
def original(request: HttpRequest, photo_id: str) -> HttpResponseBase:
    photo = photo_for_user(caller(request), photo_id)
    download = bool_param(request, "download") or False
    return original_response(request, photo, download=download)


@endpoint("GET")
def thumbnail(request: HttpRequest, photo_id: str) -> HttpResponseBase:
    return _derived(request, photo_id, "thumbnail")


@endpoint("GET")
def preview(request: HttpRequest, photo_id: str) -> HttpResponseBase:
    return _derived(request, photo_id, "preview")


def _derived(request: HttpRequest, photo_id: str, kind: str) -> HttpResponseBase:
    photo = photo_for_user(caller(request), photo_id)
    try:
        name = ensure_derived(photo.original, kind)
    except DerivedImageUnavailable as exc:
        # Kept bytes that do not decode (a truncated file), that would take more memory than a
        # render may use (a pixel bomb), or destroyed meanwhile: the photo has no such image.
        raise ApiError(404, "no_preview", f"this photo has no {kind}: {exc}") from None
    except RendererBusy as exc:
        return unavailable(request, "busy", str(exc))
    except FileNotFoundError:
        raise ApiError(500, "missing_bytes",
                       "the stored bytes are missing; run 'imgbackup verify'") from None
    return blob_response(request, name, f'"{photo.sha256}-{kind}"', derived_content_type(kind))
