"""Actions on many photos at once, as the timeline's selection sends them:
``POST /photos/bulk`` (trash, restore, favourite, unfavourite; destroy for photos in the trash)
and ``POST /photos/zip`` (the originals as one streamed ZIP). Both take ``{"ids": [...]}``;
ids the caller does not own are "not found", exactly like malformed ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import timezone

from imgbackup.api.auth import caller
from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import ApiError, bad_request
from imgbackup.api.v2.lookups import photos_of
from imgbackup.api.v2.params import ids_field, json_body
from imgbackup.photos.archive import stream_zip
from imgbackup.photos.ingest import HEX64
from imgbackup.photos.models import Photo
from imgbackup.photos.trash import destroy, restore_many, trash_many


def _destroy_trashed(rows: QuerySet[Photo]) -> None:
    for photo in rows:
        destroy(photo)


ACTIONS: dict[str, Callable[[QuerySet[Photo]], Any]] = {
    "trash": trash_many,
    "restore": restore_many,
    "favourite": lambda rows: rows.update(favourite=True),
    "unfavourite": lambda rows: rows.update(favourite=False),
    "destroy": _destroy_trashed,
}
# Destroying is for photos already in the trash, as DELETE /trash/{id}: others are not found.
ONLY_TRASHED = {"destroy"}


@endpoint("POST")
def bulk(request: HttpRequest) -> HttpResponse:
    body = json_body(request, {"ids", "action"})
    action = body.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        raise bad_request(f"action must be one of: {', '.join(ACTIONS)}")
    ids = ids_field(body.get("ids"))
    user = caller(request)
    rows = _owned(user, ids)
    if action in ONLY_TRASHED:
        rows = rows.filter(trashed_at__isnull=False)
    found = set(rows.values_list("original_id", flat=True))
    chosen = photos_of(user).filter(original_id__in=found)
    if action in ONLY_TRASHED:
        ACTIONS[action](chosen)  # each destroy takes its own locks (photos/trash.py)
    else:
        with transaction.atomic():
            ACTIONS[action](chosen)
    return JsonResponse({"done": [i for i in ids if i in found],
                         "not_found": [i for i in ids if i not in found]})


@endpoint("POST")
def archive(request: HttpRequest) -> StreamingHttpResponse:
    """The originals as one ZIP, in the order asked. A JSON body, or the form field ``ids``
    (comma-separated) so that a page can download it with a plain form submission."""
    if request.content_type == "application/json":
        raw = json_body(request, {"ids"}).get("ids")
    else:
        raw = [i for i in request.POST.get("ids", "").split(",") if i]
    ids = ids_field(raw)
    rows = {photo.original_id: photo for photo in _owned(caller(request), ids)}
    if not rows:
        raise ApiError(404, "not_found", "none of these ids is a photo of yours")
    response = StreamingHttpResponse(stream_zip(rows[i] for i in ids if i in rows),
                                     content_type="application/zip")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="imgbackup-{stamp}.zip"'
    return response


def _owned(user: User, ids: list[str]) -> QuerySet[Photo]:
    return photos_of(user).filter(original_id__in=[i for i in ids if HEX64.fullmatch(i)])
