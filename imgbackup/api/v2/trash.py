"""The trash: list it, destroy one photo now, or empty it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from imgbackup.api.auth import caller
from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import ApiError
from imgbackup.api.v2.light_rows import light
from imgbackup.api.v2.lookups import photo_for_user, photos_of
from imgbackup.api.v2.pages import page
from imgbackup.api.v2.serialize import photo_json
from imgbackup.photos.trash import destroy

BATCH = 200


@endpoint("GET", "DELETE")
def collection(request: HttpRequest) -> HttpResponse:
    user = caller(request)
    trashed = photos_of(user).filter(trashed_at__isnull=False, is_motion=False)
    if request.method == "DELETE":
        destroyed = 0
        # In batches, not one open cursor over rows that are being deleted meanwhile.
        while batch := list(trashed.order_by("id")[:BATCH]):
            for photo in batch:
                destroy(photo)
            destroyed += len(batch)
        return JsonResponse({"destroyed": destroyed})
    return JsonResponse(page(request, light(trashed), "trashed_at", photo_json))


@endpoint("DELETE")
def item(request: HttpRequest, photo_id: str) -> HttpResponse:
    photo = photo_for_user(caller(request), photo_id)
    if photo.trashed_at is None:
        raise ApiError(404, "not_found", "photo is not in the trash: DELETE /photos/{id} first")
    destroy(photo)
    return HttpResponse(status=204)
