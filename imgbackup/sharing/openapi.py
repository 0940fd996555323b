"""The OpenAPI operations and schemas of albums and share links, merged into API v2's document
by api/v2/openapi.py (kept here, beside the routes they describe, to keep that file small)."""

from __future__ import annotations

from typing import Any

from imgbackup.api.v2.openapi import (
    DERIVED,
    IMAGE,
    NO_CONTENT,
    PAGE_PARAMS,
    PHOTO_ID,
    PLAYBACK,
    RANGE_PARAMS,
    json_answer,
    op,
    ranged,
)
from imgbackup.api.v2.schemas import (
    DATE_TIME,
    NULLABLE_DATE_TIME,
    NULLABLE_STRING,
    STRING,
    Schema,
    obj,
    ref,
    text,
)

ALBUM_ID = {"name": "album_id", "in": "path", "required": True, "schema": {"type": "string"},
            "description": "an album id from GET /albums (random, not a number)"}
USERNAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"},
            "description": "a member's user name"}
KEY = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"},
       "description": "the share link's key"}
SHARE_PASSWORD = {"name": "Share-Password", "in": "header", "required": False,
                  "schema": {"type": "string"},
                  "description": "the link's password, when it has one"}
LOCKED = {"description": "the link has a password: none or a wrong one was sent "
                         "(`password_required`, `wrong_password`)",
          "content": {"application/json": {"schema": ref("Error")}}}
THROTTLED = {"description": "too many wrong passwords for this link (`throttled`)",
             "content": {"application/json": {"schema": ref("Error")}}}
BOOLEAN: Schema = {"type": "boolean"}
DESCRIPTION: Schema = {"anyOf": [text(0, 5000), {"type": "null"}], "description": "null: empty"}
IDS = {"type": "array", "minItems": 1, "maxItems": 5000, "items": STRING}
ZIP = {"description": "the ZIP", "content": {"application/zip": {
    "schema": {"type": "string", "format": "binary"}}}}


def album_op(summary: str, answers: dict[str, Any], body: str | None = None,
             params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return op(summary, answers, body=body, params=[ALBUM_ID, *(params or [])],
              errors=("404", "415") if body else ("404",), tag="sharing")


def guest_op(summary: str, answers: dict[str, Any], params: list[dict[str, Any]] | None = None,
             body: str | None = None, body_type: str = "application/json") -> dict[str, Any]:
    """An operation anyone holding the key may call: 404 for an unknown, revoked or expired
    link, 401 without its password, 429 after too many wrong ones."""
    operation = op(summary, {**answers, "401": LOCKED, "429": THROTTLED}, body=body,
                   body_type=body_type, params=[KEY, SHARE_PASSWORD, *(params or [])],
                   public=True, errors=("404",), tag="sharing")
    return operation


def album_bytes(kind: str, answers: dict[str, Any]) -> dict[str, Any]:
    return {"get": album_op(f"The {kind} of a photo in the album", answers,
                            params=[PHOTO_ID, *RANGE_PARAMS])}


def link_bytes(kind: str, answers: dict[str, Any]) -> dict[str, Any]:
    return {"get": guest_op(f"The {kind} of a photo the link shows", answers,
                            params=[PHOTO_ID, *RANGE_PARAMS])}


def partner_bytes(kind: str, answers: dict[str, Any]) -> dict[str, Any]:
    return {"get": op(f"The {kind} of a partner's photo", answers,
                      params=[USERNAME, PHOTO_ID, *RANGE_PARAMS], errors=("404",),
                      tag="sharing")}


ORIGINAL = ranged("the bytes, as uploaded", IMAGE)
PATHS: dict[str, dict[str, dict[str, Any]]] = {
    "/albums": {
        "get": op("The caller's albums and those shared with them",
                  {"200": json_answer("AlbumList")}, tag="sharing"),
        "post": op("Create an album", {"201": json_answer("Album")}, body="NewAlbum",
                   errors=("415",), tag="sharing"),
    },
    "/albums/{album_id}": {
        "get": album_op("An album with its photos", {"200": json_answer("AlbumWithItems")}),
        "patch": album_op("Rename, describe, choose the cover or the order (owner)",
                          {"200": json_answer("AlbumWithItems")}, body="AlbumChange"),
        "delete": album_op("Delete the album; its photos stay (owner)", {"204": NO_CONTENT}),
    },
    "/albums/{album_id}/photos": {
        "post": album_op("Add the caller's own photos (owner, contributor)",
                         {"200": json_answer("BulkResult")}, body="IdList"),
        "delete": album_op("Take photos out of the album: any (owner), own (contributor)",
                           {"200": json_answer("BulkResult")}, body="IdList"),
    },
    "/albums/{album_id}/photos/{photo_id}/original": album_bytes("original", ORIGINAL),
    "/albums/{album_id}/photos/{photo_id}/thumbnail": album_bytes("thumbnail", DERIVED),
    "/albums/{album_id}/photos/{photo_id}/preview": album_bytes("preview", DERIVED),
    "/albums/{album_id}/members": {"post": album_op(
        "Share with another user as viewer or contributor (owner)",
        {"201": json_answer("Member")}, body="Member")},
    "/albums/{album_id}/members/{username}": {"delete": album_op(
        "Stop sharing with a user (owner), or leave (the member)", {"204": NO_CONTENT},
        params=[USERNAME])},
    "/partners": {
        "get": op("Whom the caller lets see their timeline, and who lets the caller see theirs",
                  {"200": json_answer("Partners")}, tag="sharing"),
        "post": op("Let another user see the caller's whole timeline (read-only)",
                   {"201": json_answer("Partner")}, body="NewPartner", errors=("404", "415"),
                   tag="sharing"),
    },
    "/partners/{username}": {
        "patch": op("Show (or stop showing) that user's shared photos in the caller's own "
                    "timeline, read-only; only the receiving partner chooses",
                    {"200": json_answer("PartnerShared")}, params=[USERNAME],
                    body="PartnerChoice", errors=("404", "415"), tag="sharing"),
        "delete": op("Stop partner sharing, in either direction", {"204": NO_CONTENT},
                     params=[USERNAME], errors=("404",), tag="sharing")},
    "/partners/{username}/photos": {"get": op(
        "A partner's timeline, newest taken first, paged like /photos",
        {"200": json_answer("TimelinePage")}, params=[USERNAME, *PAGE_PARAMS], errors=("404",),
        tag="sharing")},
    "/partners/{username}/photos/{photo_id}/original": partner_bytes("original", ORIGINAL),
    "/partners/{username}/photos/{photo_id}/thumbnail": partner_bytes("thumbnail", DERIVED),
    "/partners/{username}/photos/{photo_id}/preview": partner_bytes("preview", DERIVED),
    "/partners/{username}/photos/{photo_id}/playback": partner_bytes(
        "playable video (like /photos/{id}/playback)", PLAYBACK),
    "/partners/{username}/photos/{photo_id}/motion": partner_bytes(
        "Live or Motion Photo clip (like /photos/{id}/motion)", PLAYBACK),
    "/shares": {
        "get": op("The caller's share links", {"200": json_answer("ShareList")},
                  tag="sharing"),
        "post": op("Create a share link to an album or to some photos",
                   {"201": json_answer("Share")}, body="NewShare", errors=("404", "415"),
                   tag="sharing"),
    },
    "/shares/{key}": {
        "get": op("One of the caller's links", {"200": json_answer("Share")}, params=[KEY],
                  errors=("404",), tag="sharing"),
        "patch": op("Change a link's password, expiry or permissions",
                    {"200": json_answer("Share")}, params=[KEY], body="ShareChange",
                    errors=("404", "415"), tag="sharing"),
        "delete": op("Revoke a link", {"204": NO_CONTENT}, params=[KEY], errors=("404",),
                     tag="sharing"),
    },
    "/s/{key}": {"get": guest_op("What a link shows (public)",
                                 {"200": json_answer("SharedPage")})},
    "/s/{key}/zip": {"get": guest_op("Every original of the link as one ZIP, when downloads "
                                     "are allowed", {"200": ZIP})},
    "/s/{key}/upload": {"post": guest_op(
        "A guest's upload into the album, when the link allows it",
        {"201": json_answer("GuestUpload")}, body="GuestFiles",
        body_type="multipart/form-data")},
    "/s/{key}/photos/{photo_id}/original": link_bytes("original (downloads allowed)", ORIGINAL),
    "/s/{key}/photos/{photo_id}/thumbnail": link_bytes("thumbnail", DERIVED),
    "/s/{key}/photos/{photo_id}/preview": link_bytes("preview", DERIVED),
}

ALBUM: Schema = obj(
    id=STRING, name=STRING, description=STRING,
    owner={"type": "string", "description": "the owner's user name"},
    role={"enum": ["owner", "contributor", "viewer"], "description": "the caller's"},
    order={"enum": ["taken", "manual"]},
    count={"type": "integer", "minimum": 0, "description": "photos outside the trash"},
    cover={**NULLABLE_STRING, "description": "the chosen cover, a photo id"},
    cover_url={**NULLABLE_STRING,
               "description": "the chosen cover's thumbnail, else the first photo's"},
    created_at=DATE_TIME, updated_at=DATE_TIME,
    members={"type": "array", "items": ref("Member")})
FLAGS: dict[str, Schema] = {
    "allow_download": {"type": "boolean", "description": "originals and the ZIP (default true)"},
    "allow_upload": {"type": "boolean", "description": "guests add photos (album links only)"},
    "show_metadata": {"type": "boolean",
                      "description": "file names, dates, camera and GPS (default false)"},
}
SETTINGS: dict[str, Schema] = {
    "password": {"anyOf": [text(0, 4096), {"type": "null"}],
                 "description": "sent by guests in Share-Password; null or empty: none"},
    "expires_at": {**NULLABLE_DATE_TIME, "description": "in the future, with its offset"},
    **FLAGS,
}
SCHEMAS: dict[str, Schema] = {
    "NewAlbum": obj(required=["name"], closed=True, name=text(1, 200), description=DESCRIPTION),
    "Album": ALBUM,
    "AlbumList": obj(items={"type": "array", "items": ref("Album")}),
    "AlbumItem": {"allOf": [ref("Photo"), obj(owner=STRING, guest_upload={"type": "boolean"})]},
    "AlbumWithItems": {"allOf": [ref("Album"), obj(items={"type": "array",
                                                          "items": ref("AlbumItem")})]},
    "AlbumChange": obj(required=[], closed=True, name=text(1, 200),
                       description=DESCRIPTION, order={"enum": ["taken", "manual"]},
                       cover={**NULLABLE_STRING, "description": "a photo in the album"},
                       manual_order={**IDS, "description": "photo ids, first to last"}),
    "Member": obj(required=["username", "role"], closed=True, username=text(1, 150),
                  role={"enum": ["viewer", "contributor"]}),
    # A link is to an album or to photos, never both.
    "NewShare": {"oneOf": [obj(required=["album"], closed=True, album=STRING, **SETTINGS),
                           obj(required=["ids"], closed=True, ids=IDS, **SETTINGS)]},
    "ShareChange": obj(required=[], closed=True, **SETTINGS),
    "Share": obj(key=STRING, url=STRING, album=NULLABLE_STRING,
                 ids={"type": ["array", "null"], "items": STRING},
                 has_password={"type": "boolean"}, expires_at=NULLABLE_DATE_TIME,
                 created_at=DATE_TIME, allow_download=BOOLEAN, allow_upload=BOOLEAN,
                 show_metadata=BOOLEAN),
    "ShareList": obj(items={"type": "array", "items": ref("Share")}),
    "SharedPhoto": obj(id=STRING, sha256=STRING, content_type=STRING,
                       width={"type": ["integer", "null"]}, height={"type": ["integer", "null"]},
                       urls=obj(original=NULLABLE_STRING, thumbnail=STRING, preview=STRING)),
    "SharedPage": obj(
        album={"anyOf": [obj(name=STRING, description=STRING), {"type": "null"}]},
        owner=STRING, expires_at=NULLABLE_DATE_TIME, zip_url=NULLABLE_STRING,
        items={"type": "array", "items": ref("SharedPhoto")},
        allow_download=BOOLEAN, allow_upload=BOOLEAN, show_metadata=BOOLEAN),
    "NewPartner": obj(closed=True, username=text(1, 150)),
    "Partner": obj(username=STRING, since=DATE_TIME),
    "PartnerShared": obj(username=STRING, since=DATE_TIME, in_timeline={
        "type": "boolean", "description": "the caller shows these photos in their timeline"}),
    "PartnerChoice": obj(closed=True, in_timeline=BOOLEAN),
    "Partners": obj(sharing_with={"type": "array", "items": ref("Partner")},
                    shared_with_me={"type": "array", "items": ref("PartnerShared")}),
    "GuestFiles": obj(file={"type": "string", "format": "binary"}),
    "GuestUpload": obj(ids={"type": "array", "items": STRING},
                       rejected={"type": "array", "items": {"type": "object"}}),
}
