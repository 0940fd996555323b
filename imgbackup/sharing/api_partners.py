"""Partner sharing in API v2: a user lets another user see their whole timeline.

``/partners`` lists both directions and adds a partner; ``/partners/{username}`` stops sharing
(either side may end it) or, for the partner, turns on or off showing that user's photos in
their own timeline (``in_timeline``, sharing/merged.py); ``/partners/{username}/photos`` is that
user's timeline, paged like ``/photos``, for the partner they chose — with the bytes below it.
Read-only: a partner never changes or deletes anything, and anyone who is not the chosen
partner gets 404."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase

from imgbackup.api.auth import caller
from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import bad_request, not_found
from imgbackup.api.v2.pages import page
from imgbackup.api.v2.params import json_body, text_field
from imgbackup.api.v2.playback import play_motion, play_video
from imgbackup.api.v2.serialize import iso, photo_json
from imgbackup.photos.models import Photo
from imgbackup.sharing import partners
from imgbackup.sharing.access import partner_photos
from imgbackup.sharing.merged import partner_urls
from imgbackup.sharing.models import Partner
from imgbackup.sharing.serve import photo_bytes

# A partner's videos and Live Photos play in the merged timeline's viewer as one's own do.
PLAYERS = {"playback": play_video, "motion": play_motion}


@endpoint("GET", "POST")
def collection(request: HttpRequest) -> HttpResponse:
    user = caller(request)
    if request.method == "POST":
        username = text_field(json_body(request, {"username"}), "username")
        partner = User.objects.filter(username=username, is_active=True).first()
        if partner is None or partner.pk == user.pk:
            raise not_found("user")
        row = partners.share_with(user, partner)
        return JsonResponse({"username": username, "since": iso(row.created_at)}, status=201)
    rows = Partner.objects.filter(Q(owner=user) | Q(partner=user)).select_related(
        "owner", "partner").order_by("created_at")
    return JsonResponse({
        "sharing_with": [{"username": r.partner.get_username(), "since": iso(r.created_at)}
                         for r in rows if r.owner_id == user.pk],
        "shared_with_me": [_received(r) for r in rows if r.partner_id == user.pk],
    })


def _received(row: Partner) -> dict[str, Any]:
    return {"username": row.owner.get_username(), "since": iso(row.created_at),
            "in_timeline": row.in_timeline}


@endpoint("PATCH", "DELETE")
def detail(request: HttpRequest, username: str) -> HttpResponse:
    user = caller(request)
    if request.method == "PATCH":
        return _show_in_timeline(request, user, username)
    if not partners.end(user, username):
        raise not_found("partner")
    return HttpResponse(status=204)


def _show_in_timeline(request: HttpRequest, user: User, username: str) -> HttpResponse:
    """Only the receiving side chooses: the owner of the timeline cannot push it into theirs."""
    row = (Partner.objects.select_related("owner")
           .filter(partner=user, owner__username=username[:150]).first())
    if row is None:  # before reading the body: nothing is said of a partnership not one's own
        raise not_found("partner")
    shown = json_body(request, {"in_timeline"}).get("in_timeline")
    if not isinstance(shown, bool):
        raise bad_request('send {"in_timeline": true} or {"in_timeline": false}')
    partners.show_in_timeline(row, shown)
    return JsonResponse(_received(row))


@endpoint("GET")
def photos(request: HttpRequest, username: str) -> HttpResponse:
    rows = partner_photos(caller(request), username)
    return JsonResponse(page(request, rows, "taken_at", lambda p: _item(username, p)))


def _item(username: str, photo: Photo) -> dict[str, Any]:
    return {**photo_json(photo), "urls": partner_urls(username, photo), "owner": username,
            "read_only": True}


def _bytes(kind: str) -> Any:
    @endpoint("GET")
    def view(request: HttpRequest, username: str, photo_id: str) -> HttpResponseBase:
        photo = partner_photos(caller(request), username).filter(
            original_id=photo_id.lower()).first()
        if photo is None:
            raise not_found()
        if kind in PLAYERS:
            return PLAYERS[kind](request, photo)
        return photo_bytes(request, photo, kind)

    view.__name__ = view.__qualname__ = f"partner_{kind}"
    return view


original = _bytes("original")
thumbnail = _bytes("thumbnail")
preview = _bytes("preview")
playback = _bytes("playback")
motion = _bytes("motion")
