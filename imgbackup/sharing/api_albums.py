"""Albums in API v2: /albums, /albums/{id}, its photos, members and their bytes.

Every view fetches its album through access.album_for with the level the action needs; the
answer for anything else is 404."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase

from imgbackup.api.auth import caller
from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import bad_request, not_found
from imgbackup.api.v2.params import ids_field, json_body, text_field
from imgbackup.sharing import albums as workflow
from imgbackup.sharing.access import Granted, Level, album_for, album_items, albums_visible_to
from imgbackup.sharing.models import Album, AlbumMember, AlbumOrder, Role
from imgbackup.sharing.serialize import album_item_json, album_json
from imgbackup.sharing.serve import photo_bytes

EDITABLE = {"name", "description", "cover", "order", "manual_order"}


@endpoint("GET", "POST")
def collection(request: HttpRequest) -> HttpResponse:
    user = caller(request)
    if request.method == "POST":
        body = json_body(request, {"name", "description"})
        album = workflow.create(
            user, name=text_field(body, "name", max_length=200),
            description=text_field(body, "description", required=False, max_length=5000))
        return JsonResponse(album_json(album, Level.OWNER, 0), status=201)
    mine = {a.pk for a in Album.objects.filter(owner=user).only("pk")}
    roles = dict(AlbumMember.objects.filter(user=user).values_list("album_id", "role"))
    items = [album_json(album, _level_of(album.pk, mine, roles),
                        album.live_count)  # type: ignore[attr-defined]
             for album in workflow.with_counts(albums_visible_to(user))]
    return JsonResponse({"items": items})


def _level_of(album_id: str, mine: set[str], roles: dict[str, str]) -> Level:
    if album_id in mine:
        return Level.OWNER
    return Level.CONTRIBUTOR if roles.get(album_id) == Role.CONTRIBUTOR else Level.VIEWER


@endpoint("GET", "PATCH", "DELETE")
def detail(request: HttpRequest, album_id: str) -> HttpResponse:
    if request.method == "GET":
        return _with_items(album_for(caller(request), album_id))
    granted = album_for(caller(request), album_id, Level.OWNER)
    if request.method == "DELETE":
        workflow.delete(granted.album)
        return HttpResponse(status=204)
    body = json_body(request, EDITABLE)
    fields = _changes(granted.album, body)
    manual_order = ids_field(body["manual_order"]) if "manual_order" in body else None
    workflow.change(granted.album, fields, manual_order)
    return _with_items(granted)


def _changes(album: Album, body: dict[str, Any]) -> dict[str, Any]:
    """The album's fields as the body sets them, each checked."""
    fields: dict[str, Any] = {}
    if "name" in body:
        fields["name"] = text_field(body, "name", max_length=200)
    if "description" in body:
        fields["description"] = text_field(body, "description", required=False,
                                           max_length=5000)
    if "order" in body:
        if body["order"] not in AlbumOrder.values:
            raise bad_request(f"order must be one of: {', '.join(AlbumOrder.values)}")
        fields["order"] = body["order"]
    if "cover" in body:
        fields["cover"] = _cover(album, body["cover"])
    return fields


def _cover(album: Album, cover: object) -> Any:
    if cover is None:
        return None
    if not isinstance(cover, str):
        raise bad_request("cover must be the id of a photo in the album, or null")
    item = album_items(album).filter(photo__original_id=cover.lower()).first()
    if item is None:
        raise not_found()  # like any photo id the album does not hold
    return item.photo


def _with_items(granted: Granted) -> JsonResponse:
    album = granted.album
    items = [album_item_json(album, item.photo, item.guest) for item in album_items(album)]
    answer = album_json(album, granted.level, len(items))
    answer["items"] = items
    return JsonResponse(answer)


@endpoint("POST", "DELETE")
def photos(request: HttpRequest, album_id: str) -> HttpResponse:
    """Add the caller's own photos, or remove what the caller may remove."""
    user = caller(request)
    granted = album_for(user, album_id, Level.CONTRIBUTOR)
    ids = ids_field(json_body(request, {"ids"}).get("ids"))
    if request.method == "POST":
        done = workflow.add_photos(granted.album, user, ids)
    else:
        done = workflow.remove_photos(granted.album, user, granted.level, ids)
    return JsonResponse({"done": done, "not_found": [i for i in ids if i not in done]})


@endpoint("POST")
def members(request: HttpRequest, album_id: str) -> HttpResponse:
    album = album_for(caller(request), album_id, Level.OWNER).album
    body = json_body(request, {"username", "role"})
    username = text_field(body, "username")
    role = body.get("role", Role.VIEWER)
    if role not in Role.values:
        raise bad_request(f"role must be one of: {', '.join(Role.values)}")
    member = User.objects.filter(username=username, is_active=True).first()
    if member is None or member.pk == album.owner_id:
        raise not_found("user")
    workflow.set_member(album, member, role)
    return JsonResponse({"username": member.get_username(), "role": role}, status=201)


@endpoint("DELETE")
def member(request: HttpRequest, album_id: str, username: str) -> HttpResponse:
    """The owner removes anyone; a member may leave (remove themselves)."""
    user = caller(request)
    granted = album_for(user, album_id)
    if granted.level is not Level.OWNER and username != user.get_username():
        raise not_found("album")
    if not workflow.remove_member(granted.album, username):
        raise not_found("member")
    return HttpResponse(status=204)


def _bytes(kind: str) -> Any:
    @endpoint("GET")
    def view(request: HttpRequest, album_id: str, photo_id: str) -> HttpResponseBase:
        album = album_for(caller(request), album_id).album
        item = album_items(album).filter(photo__original_id=photo_id.lower()).first()
        if item is None:
            raise not_found()
        return photo_bytes(request, item.photo, kind)

    view.__name__ = view.__qualname__ = f"album_{kind}"
    return view


original = _bytes("original")
thumbnail = _bytes("thumbnail")
preview = _bytes("preview")
