"""Actions on many photos at once, as the timeline's selection sends them:
``POST /photos/bulk`` (trash, restore, favourite, unfavourite; destroy for photos in the trash)
and ``POST /photos/zip`` (the originals as one streamed ZIP). Both take ``{"ids": [...]}``;
ids the caller does not own are "not found", exactly like malformed ones."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import timezone

from imgbackup.api.auth import caller
from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import ApiError, bad_request
from imgbackup.api.v2.lookups import photos_of
from imgbackup.api.v2.params import ids_field, json_body
from imgbackup.photos import bulk_actions
from imgbackup.photos.archive import stream_zip


@endpoint("POST")
def bulk(request: HttpRequest) -> HttpResponse:
    body = json_body(request, {"ids", "action"})
    action = body.get("action")
    if not isinstance(action, str) or action not in bulk_actions.ACTIONS:
        raise bad_request(f"action must be one of: {', '.join(bulk_actions.ACTIONS)}")
    ids = ids_field(body.get("ids"))
    found = bulk_actions.apply(action, photos_of(caller(request)), ids)
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
    rows = {photo.original_id: photo
            for photo in bulk_actions.among(photos_of(caller(request)), ids)}
    if not rows:
        raise ApiError(404, "not_found", "none of these ids is a photo of yours")
    response = StreamingHttpResponse(stream_zip(rows[i] for i in ids if i in rows),
                                     content_type="application/zip")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="imgbackup-{stamp}.zip"'
    return response

