"""Share links in API v2: the owner's /shares, and the public /s/{key} a guest reaches.

A guest reaches only what access.link_for and access.link_photo hand out: the photos the link
names, their derived images, the originals only when the link allows downloads, and an upload
into the album only when it allows uploads. A guest can never delete anything."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone

from imgbackup.api.auth import caller
from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import ApiError, bad_request, not_found
from imgbackup.api.uploads import uploaded_files
from imgbackup.api.v2.params import ids_field, json_body
from imgbackup.api.v2.serialize import iso
from imgbackup.photos.archive import stream_zip
from imgbackup.photos.ingest import Rejected, ingest
from imgbackup.sharing import albums, links, unlock
from imgbackup.sharing.access import Level, album_for, link_for, link_photo, link_photos
from imgbackup.sharing.models import Album, ShareLink, key_digest
from imgbackup.sharing.serialize import link_item_json, link_json
from imgbackup.sharing.serve import photo_bytes

FLAGS = ("allow_download", "allow_upload", "show_metadata")
SETTINGS = {"password", "expires_at", *FLAGS}


@endpoint("GET", "POST")
def collection(request: HttpRequest) -> HttpResponse:
    user = caller(request)
    if request.method == "GET":
        mine = ShareLink.objects.filter(owner=user).order_by("-created_at")
        return JsonResponse({"items": [link_json(request, link)
                                       for link in mine.prefetch_related("photos")]})
    body = json_body(request, {"album", "ids", *SETTINGS})
    album = _album(user, body)
    fields = _settings(body, to_album=album is not None, allow_upload=False)
    photos = _owned_photos(user, ids_field(body["ids"])) if "ids" in body else None
    link = links.create(user, fields, album=album, photos=photos)
    return JsonResponse(link_json(request, link), status=201)


def _album(user: User, body: dict[str, Any]) -> Album | None:
    """The album the link is for, or None for a link to photos."""
    if ("album" in body) == ("ids" in body):
        raise bad_request('send either {"album": id} or {"ids": [...]}')
    if "album" not in body:
        return None
    if not isinstance(body["album"], str):
        raise bad_request("album must be an album id")
    return album_for(user, body["album"], Level.OWNER).album


def _owned_photos(user: User, ids: list[str]) -> list[Any]:
    photos = list(user.photos.filter(original_id__in=ids, trashed_at__isnull=True))
    if not photos:
        raise not_found("photo")
    return photos


def _settings(body: dict[str, Any], *, to_album: bool, allow_upload: bool) -> dict[str, Any]:
    """The link's fields as the body sets them, each checked; ``allow_upload`` is the link's
    setting when the body does not change it."""
    fields: dict[str, Any] = {}
    for flag in FLAGS:
        if flag in body:
            if not isinstance(body[flag], bool):
                raise bad_request(f"{flag} must be true or false")
            fields[flag] = body[flag]
    if fields.get("allow_upload", allow_upload) and not to_album:
        raise bad_request("allow_upload needs a link to an album")
    if "password" in body:
        password = body["password"]
        if password is not None and (not isinstance(password, str) or len(password) > 4096):
            raise bad_request("password must be a string (at most 4096 characters) or null")
        fields["password"] = make_password(password) if password else ""
    if "expires_at" in body:
        fields["expires_at"] = _expiry(body["expires_at"])
    return fields


def _expiry(raw: object) -> datetime | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise bad_request("expires_at must be an ISO date-time with its offset, or null")
    if moment <= timezone.now():
        raise bad_request("expires_at must be in the future")
    return moment


@endpoint("GET", "PATCH", "DELETE")
def detail(request: HttpRequest, key: str) -> HttpResponse:
    link = ShareLink.objects.filter(owner=caller(request), digest=key_digest(key)).first()
    if link is None:
        raise not_found("share")
    if request.method == "DELETE":
        links.revoke(link)
        return HttpResponse(status=204)
    if request.method == "PATCH":
        links.change(link, _settings(json_body(request, SETTINGS),
                                     to_album=link.album_id is not None,
                                     allow_upload=link.allow_upload))
    return JsonResponse(link_json(request, link))


@endpoint("GET", public=True)
def public(request: HttpRequest, key: str) -> HttpResponse:
    link = link_for(request, key)
    album = link.album
    response = JsonResponse({
        "album": None if album is None else {"name": album.name,
                                             "description": album.description},
        "owner": link.owner.get_username(),
        "expires_at": iso(link.expires_at),
        **{flag: getattr(link, flag) for flag in FLAGS},
        "zip_url": f"/api/v2/s/{link.key}/zip" if link.allow_download else None,
        "items": [link_item_json(link, photo) for photo in link_photos(link)],
    })
    unlock.remember(request, response, link)
    return response


@endpoint("GET", public=True)
def archive(request: HttpRequest, key: str) -> StreamingHttpResponse:
    link = link_for(request, key)
    photos = link_photos(link)
    if not link.allow_download or not photos:
        raise not_found("share")
    response = StreamingHttpResponse(stream_zip(photos, named=link.show_metadata),
                                     content_type="application/zip")
    name = (link.album.name if link.album else "photos").replace('"', "")[:60] or "photos"
    response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return response


@endpoint("POST", public=True)
def upload(request: HttpRequest, key: str) -> HttpResponse:
    """A guest's photos, kept as the album owner's (their storage, their limits) through the
    one ingest every upload takes, and marked in the album as guest uploads."""
    link = link_for(request, key)
    if link.album is None or not link.allow_upload:
        raise not_found("share")
    owner = link.album.owner
    kept: list[str] = []
    refused: list[Rejected] = []
    rejected: list[dict[str, Any]] = []
    for file in uploaded_files(request):
        try:
            ingested = ingest(owner, file)
        except Rejected as exc:
            refused.append(exc)
            rejected.append({"filename": file.name,
                             "error": {"code": exc.code, "message": exc.message}})
            continue
        albums.keep_guest_upload(link.album, ingested.photo, ingested.created)
        kept.append(ingested.photo.sha256)
    if not kept:
        first = refused[0]
        raise ApiError(first.status, first.code, first.message, rejected=rejected)
    return JsonResponse({"ids": kept, "rejected": rejected}, status=201)


def _bytes(kind: str) -> Any:
    @endpoint("GET", public=True)
    def view(request: HttpRequest, key: str, photo_id: str) -> HttpResponseBase:
        link = link_for(request, key)
        if kind == "original" and not link.allow_download:
            raise not_found()
        return photo_bytes(request, link_photo(link, photo_id), kind, named=link.show_metadata)

    view.__name__ = view.__qualname__ = f"link_{kind}"
    return view


original = _bytes("original")
thumbnail = _bytes("thumbnail")
preview = _bytes("preview")
