"""The original image API, kept compatible: ``/api/v1.0/service/image/``.

Same path and envelope as the original design, without its defects: every file of a request
is kept (not only the last of a field), bytes are stored by SHA-256 with their real type,
lookups are scoped to the caller, and DELETE moves the photo to the trash."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase

from imgbackup.api.auth import caller
from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import ApiError, bad_request, not_found
from imgbackup.api.files import original_response
from imgbackup.api.upload_slots import upload_slot
from imgbackup.api.uploads import uploaded_files
from imgbackup.photos.ingest import HEX32, Rejected, ingest
from imgbackup.photos.models import Photo
from imgbackup.photos.trash import trash


@endpoint("GET", "POST", "DELETE")
def image(request: HttpRequest) -> HttpResponseBase:
    user = caller(request)
    if request.method == "POST":
        with upload_slot(user):
            return _post(request, user)
    photo = _photo_by_md5(user, request.GET.get("md5"))
    if request.method == "GET":
        return original_response(request, photo)
    trash(photo)
    return JsonResponse({"result_code": 0, "message": "remove success."})


def _photo_by_md5(user: User, md5: str | None) -> Photo:
    if not md5:
        raise bad_request("the md5 parameter is missing")
    md5 = md5.strip().lower()
    if not HEX32.fullmatch(md5):
        raise bad_request("md5 must be 32 hexadecimal characters")
    # Crafted MD5 collisions can give one user two photos with one md5: take the newest.
    photo = (Photo.objects.select_related("original")
             .filter(owner=user, original__md5=md5, trashed_at__isnull=True)
             .order_by("-uploaded_at", "-id").first())
    if photo is None:
        raise not_found()
    return photo


def _post(request: HttpRequest, user: User) -> HttpResponseBase:
    kept: list[dict[str, Any]] = []
    rejected: list[Rejected] = []
    rejected_rows: list[dict[str, Any]] = []
    for upload in uploaded_files(request):
        try:
            ingest(user, upload)
        except Rejected as exc:
            rejected.append(exc)
            rejected_rows.append({"name": upload.field_name, "filename": upload.name,
                                  "status": exc.status, "message": exc.message})
            continue
        kept.append({"name": upload.field_name, "md5": upload.md5})
    if not rejected:
        return JsonResponse({"result_code": 0, "message": "post success.", "data": kept})
    summary = "; ".join(r.message for r in rejected)
    if not kept:
        # Nothing kept: the status of the first reason (415 not an image, 413 too large...).
        raise ApiError(rejected[0].status, rejected[0].code, summary, data=[],
                       rejected=rejected_rows)
    # Some kept, some not: 207 and result_code -100 so no caller mistakes it for full success.
    return JsonResponse({"result_code": -100,
                         "message": f"{len(rejected)} of {len(rejected) + len(kept)} files "
                                    f"were not kept: {summary}",
                         "data": kept, "rejected": rejected_rows}, status=207)
