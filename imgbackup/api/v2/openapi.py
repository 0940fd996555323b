"""The OpenAPI 3.1 document of API v2, built from one table of operations.

Kept beside urls.py: a test fuzzes the served document against the server (schemathesis), so
a route, parameter or answer described wrongly here fails the suite."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from django.urls import Resolver404, resolve

from imgbackup import __version__
from imgbackup.api.v2.schemas import INSTANT, SCHEMAS, TEXT, Schema, ref
from imgbackup.api.v2.tus_openapi import upload_paths

PREFIX = "/api/v2"
JSON = "application/json"
IMAGE = ["image/jpeg", "image/png", "image/webp", "image/gif", "image/tiff", "image/heic",
         "image/avif", "video/mp4", "video/quicktime", "video/x-m4v", "video/3gpp",
         "video/3gpp2", "video/x-matroska", "video/webm", "video/x-msvideo", "video/mp2t"]
IMAGE_HEADERS = {
    "ETag": {"schema": {"type": "string"}, "description": "quoted; If-None-Match gives 304"},
    "Cache-Control": {"schema": {"type": "string"}, "description": "immutable"},
}
# Answers every operation may give, by status: the error codes docs/api.md lists.
ERRORS = {
    "400": "bad input (`bad_request`, `checksum_mismatch`, `weak_password`)",
    "401": "no valid token or session (`not_authenticated`)",
    "403": "session without a CSRF token (`csrf_failed`); a wrong current password "
           "(`wrong_password`)",
    "404": "no such photo or token for this user (`not_found`); for a thumbnail or preview, "
           "none can be made of this photo (`no_preview`)",
    "405": "method not allowed (`method_not_allowed`); the Allow header lists the methods",
    "409": "the same file was being sent at the same time; send it again (`conflict`); a "
           "token name the caller has already (`name_taken`)",
    "411": "a chunked request body: send it with Content-Length (`length_required`)",
    "413": "too large (`too_large`, `too_many_pixels`, `too_many_files`), or past the "
           "caller's storage quota (`quota_exceeded`)",
    "415": "not an accepted image or body type (`unsupported_media_type`)",
    "410": "the resumable upload expired (`gone`)",
    "412": "tus: no `Tus-Resumable: 1.0.0` (`unsupported_version`)",
    "429": "too many failed logins (`throttled`), or too many uploads of this user in flight "
           "(`too_many_uploads`); see Retry-After",
    "460": "tus: a checksum does not match (`checksum_mismatch`); nothing of it was kept",
    "502": "WeChat's login service did not answer",
    "503": "storage unavailable (`storage_unavailable`), every render slot busy (`busy`), or "
           "the server's upload threads are busy (`server_busy`, see Retry-After)",
    "507": "the server's disk is full; nothing was kept (`insufficient_storage`)",
}
COMMON = ["400", "401", "403", "405", "411", "503", "507"]

PHOTO_ID = {"name": "photo_id", "in": "path", "required": True,
            "description": "the photo's id: the SHA-256 hex of its bytes",
            "schema": {"type": "string"}}
TOKEN_ID = {"name": "token_id", "in": "path", "required": True, "schema": {"type": "string"},
            "description": "a token id from GET /tokens"}


def query(name: str, schema: Schema, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


SEARCH_TEXT = {**TEXT, "maxLength": 200}
PAGE_PARAMS = [
    query("limit", {"type": "integer", "minimum": 1},
          "items per page: default 100; more than 500 means 500"),
    query("cursor", {"type": "string"}, "next_cursor from the previous page"),
]
LIST_PARAMS = [
    *PAGE_PARAMS,
    query("since", INSTANT, "taken at or after this ISO date or date-time (naive means UTC)"),
    query("until", INSTANT,
          "taken at or before this ISO date-time, or during or before this ISO date"),
    query("camera", SEARCH_TEXT, "each word is in the camera's make or model (any case or "
                                 "accents): `apple iphone`, `canon r6`"),
    query("lens", SEARCH_TEXT, "each word is in the lens name (any case or accents)"),
    query("place", SEARCH_TEXT, "each word is a word of the city, region or country, or "
                                "is the country code (any case or accents): `kyoto`, `sao paulo`"),
    query("favourite", {"type": "boolean"}, "only favourites, or only the others"),
    query("q", SEARCH_TEXT, "file name contains (any case)"),
    query("partners", {"type": "boolean"}, "false: only the caller's own photos; by default "
          "the photos of partners the caller shows in their timeline are merged in"),
]


def json_answer(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref(schema)}}}


def image_answer(description: str, types: list[str]) -> dict[str, Any]:
    return {"description": description, "headers": IMAGE_HEADERS,
            "content": {kind: {"schema": {"type": "string", "format": "binary"}}
                        for kind in types}}


def op(summary: str, answers: dict[str, Any], *, errors: tuple[str, ...] = (),
       body: str | None = None, params: list[dict[str, Any]] | None = None,
       public: bool = False, body_type: str = JSON, tag: str = "photos") -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "tags": [tag], "parameters": params or []}
    if body:
        operation["requestBody"] = {"required": True,
                                    "content": {body_type: {"schema": ref(body)}}}
    responses = dict(answers)
    common = set(COMMON) - ({"401", "403"} if public else set())
    for status in sorted(common | set(errors)):
        responses.setdefault(status, {"description": ERRORS[status],
                                      "content": {JSON: {"schema": ref("Error")}}})
    operation["responses"] = responses
    if public:
        operation["security"] = []
    return operation


NO_CONTENT = {"description": "done; no body"}
NOT_MODIFIED = {"description": "not modified (If-None-Match)"}
PRESIGNED = {"description": "with IMGBACKUP_S3_PRESIGNED_DOWNLOADS: fetch the bytes from the "
                            "short-lived object store URL in Location",
             "headers": {"Location": {"schema": {"type": "string"}}}}
# Downloads resume with one byte range (docs/api.md, "Ranges").
RANGE_PARAMS = [
    {"name": "Range", "in": "header", "required": False, "schema": {"type": "string"},
     "description": "one range: `bytes=first-last`, `bytes=first-` or `bytes=-suffix` (206); "
                    "past the end: 416; several ranges or anything else: the whole file (200)"},
    {"name": "If-Range", "in": "header", "required": False, "schema": {"type": "string"},
     "description": "the ETag the client's part came with: any other value gets the whole "
                    "file (200)"},
]
CONTENT_RANGE = {"schema": {"type": "string"}, "description": "`bytes first-last/size`"}
NOT_SATISFIABLE = {"description": "the range starts past the end of the file; no body",
                   "headers": {"Content-Range": {"schema": {"type": "string"},
                                                 "description": "`bytes */size`"}}}


def ranged(description: str, types: list[str]) -> dict[str, Any]:
    """The answers of a download that honours Range: whole, partial, unsatisfiable."""
    partial = image_answer("the one range asked for", types)
    partial["headers"] = {**IMAGE_HEADERS, "Content-Range": CONTENT_RANGE}
    return {"200": image_answer(description, types), "206": partial, "302": PRESIGNED,
            "304": NOT_MODIFIED, "416": NOT_SATISFIABLE}


DERIVED = ranged("the image (a video's: its poster frame)", ["image/jpeg", "image/webp"])
PLAYBACK = {**ranged("a video browsers play: the original, or its H.264/AAC copy",
                     ["video/mp4", "video/x-m4v"]),
            "202": {"description": "the playable copy is being made: ask again after "
                                   "Retry-After seconds",
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                    "content": {JSON: {"schema": {"type": "object"}}}}}


def photo_op(summary: str, answers: dict[str, Any], tag: str = "photos",
             params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An operation on one photo: its id in the path, 404 when the caller has no such photo."""
    return op(summary, answers, params=[PHOTO_ID, *(params or [])], errors=("404",), tag=tag)


# What WeChat's jscode2session answers becomes (imgbackup/wechat/code2session.py).
WECHAT_ERRORS = {
    "401": "the wx.login code is invalid, expired or used (`wechat_invalid_code`)",
    "403": "WeChat blocked this login (`wechat_blocked`), the account is disabled "
           "(`account_disabled`) or waits for an admin's approval (`approval_required`, "
           "IMGBACKUP_WECHAT_SIGNUP=approve), or the server takes no new users "
           "(`signup_closed`)",
    "429": "too many WeChat logins from this address (`throttled`, see Retry-After; "
           "IMGBACKUP_WECHAT_LOGIN_LIMIT), or WeChat's own rate limit for the app "
           "(`wechat_rate_limited`)",
    "502": "WeChat refused the login for another reason (`wechat_error`)",
    "503": "WeChat unreachable, busy or unreadable (`wechat_unavailable`), or the server has "
           "no app id and secret (`wechat_not_configured`)",
}
WECHAT_ANSWERS = {status: {"description": text, "content": {JSON: {"schema": ref("Error")}}}
                  for status, text in WECHAT_ERRORS.items()}
WECHAT_ANSWERS["429"]["headers"] = {"Retry-After": {
    "schema": {"type": "string"}, "description": "with `throttled`: seconds until this address "
                                                 "may try again"}}

PATHS: dict[str, dict[str, dict[str, Any]]] = {
    "/auth/token": {"post": op(
        "Trade a user name and password for a new API token",
        {"201": json_answer("NewToken", "the token, shown this once")},
        body="Login", public=True, errors=("401", "415", "429"), tag="accounts")},
    "/auth/wechat": {"post": op(
        "WeChat mini program login with a wx.login() code",
        {"200": json_answer("WechatSession"), **WECHAT_ANSWERS},
        body="WechatLogin", public=True, errors=("415",), tag="accounts")},
    "/me": {"get": op("Who the caller is", {"200": json_answer("Me")}, tag="accounts")},
    "/me/password": {"post": op(
        "Change your password; revokes every API token of the account (except the calling "
        "one with keep_token)", {"200": json_answer("PasswordChanged")},
        body="PasswordChange", errors=("415", "429"), tag="accounts")},
    "/tokens": {
        "get": op("The caller's API tokens (never their secrets)",
                  {"200": json_answer("TokenList")}, tag="accounts"),
        "post": op("Create an API token", {"201": json_answer("NewToken", "shown this once")},
                   body="TokenName", errors=("409", "415"), tag="accounts"),
    },
    "/tokens/{token_id}": {"delete": op("Revoke a token", {"204": NO_CONTENT},
                                        params=[TOKEN_ID], errors=("404",), tag="accounts")},
    "/photos": {
        "get": op("The timeline: photos not in the trash, newest taken first",
                  {"200": json_answer("TimelinePage")}, params=LIST_PARAMS),
        "post": op("Upload photos: many files, optional checksums verified",
                   {"201": json_answer("UploadResult", "at least one photo is new"),
                    "200": json_answer("UploadResult", "every photo kept was already there"),
                    "400": json_answer("UploadRejected", "nothing kept: bad request or a "
                                                         "checksum mismatch"),
                    "413": json_answer("UploadRejected", "nothing kept: too large"),
                    "415": json_answer("UploadRejected", "nothing kept: not an image")},
                   body="Upload", body_type="multipart/form-data", errors=("409",)),
    },
    "/photos/check": {"post": op(
        "Which of these MD5 / SHA-256 hashes the caller has (up to 10 000)",
        {"200": json_answer("CheckResult")}, body="CheckRequest", errors=("413", "415"))},
    "/photos/bulk": {"post": op(
        "Trash, restore, favourite or unfavourite many photos at once (up to 5 000)",
        {"200": json_answer("BulkResult")}, body="Bulk", errors=("415",))},
    "/photos/zip": {"post": op(
        "The originals of these photos as one ZIP, streamed (stored, names made unique)",
        {"200": {"description": "the ZIP", "content": {"application/zip": {
            "schema": {"type": "string", "format": "binary"}}}}},
        body="IdList", errors=("404", "415"))},
    "/timeline/buckets": {"get": op(
        ("The timeline's skeleton: months newest first with how many photos each holds "
         "and a version that changes with anything they show"),
        {"200": json_answer("MonthList")}, params=LIST_PARAMS[2:])},
    "/timeline/buckets/{month}": {"get": op(
        "One month's photos in timeline order, with their aspect ratios, a page at a time",
        {"200": json_answer("MonthPage")}, errors=("404",), params=[
            {"name": "month", "in": "path", "required": True,
             "schema": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
             "description": "YYYY-MM"}, *LIST_PARAMS])},
    "/photos/{photo_id}": {
        "get": photo_op("A photo's metadata", {"200": json_answer("Photo")}),
        "patch": op("Mark or unmark as favourite", {"200": json_answer("Photo")},
                    body="Favourite", params=[PHOTO_ID], errors=("404", "415")),
        "delete": photo_op("Move to the trash", {"200": json_answer("Photo", "now in the trash")}),
    },
    "/photos/{photo_id}/original": {"get": photo_op(
        "The original bytes", ranged("the bytes, as uploaded", IMAGE),
        params=[query("download", {"type": "boolean"},
                      "as an attachment with the original file name"), *RANGE_PARAMS])},
    "/photos/{photo_id}/thumbnail": {"get": photo_op("About 256 px, upright", DERIVED,
                                                     params=RANGE_PARAMS)},
    "/photos/{photo_id}/preview": {"get": photo_op("About 1440 px, upright", DERIVED,
                                                   params=RANGE_PARAMS)},
    "/photos/{photo_id}/playback": {"get": photo_op(
        "A video to play (404 for photos, and for videos no copy can be made of)", PLAYBACK,
        params=RANGE_PARAMS)},
    "/photos/{photo_id}/motion": {"get": photo_op(
        "A Live Photo's clip (played like /playback) or a Motion Photo's embedded MP4 "
        "(404 for other photos)", PLAYBACK, params=RANGE_PARAMS)},
    "/photos/{photo_id}/playback-url": {"get": photo_op(
        "A short-lived URL that plays the video without a header (for players that cannot "
        "send one, like the mini program's <video>); 404 for photos",
        {"200": {"description": "`url` (relative to the server) works without authentication "
                                "until `expires_at`: ten minutes plus the video's duration",
                 "content": {JSON: {"schema": {
                     "type": "object", "required": ["url", "expires_at"],
                     "properties": {"url": {"type": "string"},
                                    "expires_at": {"type": "string", "format": "date-time"}}}}}},
         "202": PLAYBACK["202"]})},
    "/play/{token}": {"get": op(
        "Play a video through a URL from /playback-url: like /playback, without a header",
        {**PLAYBACK, "410": {"description": "the link expired (`gone`): ask for a new one",
                             "content": {JSON: {"schema": ref("Error")}}}},
        params=[{"name": "token", "in": "path", "required": True, "schema": {"type": "string"},
                 "description": "the signed token of a /playback-url answer"},
                *RANGE_PARAMS],
        errors=("404",), public=True)},
    "/photos/{photo_id}/restore": {"post": photo_op(
        "Bring a photo back from the trash", {"200": json_answer("Photo")})},
    "/places": {"get": op("The caller's cities (photos outside the trash), most photos first",
                          {"200": json_answer("PlaceList")})},
    "/trash": {
        "get": op("The trash, most recently trashed first", {"200": json_answer("PhotoPage")},
                  params=PAGE_PARAMS, tag="trash"),
        "delete": op("Empty the trash: destroy every photo in it",
                     {"200": json_answer("Destroyed")}, tag="trash"),
    },
    "/trash/{photo_id}": {"delete": photo_op(
        "Destroy a photo in the trash now", {"204": NO_CONTENT}, tag="trash")},
    "/openapi.json": {"get": op("This document", {"200": {
        "description": "OpenAPI 3.1", "content": {JSON: {"schema": {"type": "object"}}}}},
        public=True, tag="meta")},
    "/docs": {"get": op("This documentation as a web page", {"200": {
        "description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}},
        public=True, tag="meta")},
}
PATHS.update(upload_paths(op))


def _served(path: str) -> bool:
    """Whether a route answers this path: some (WeChat login) are optional apps."""
    try:
        resolve(PREFIX + re.sub(r"\{[^}]+\}", "1", path))
    except Resolver404:
        return False
    return True


@cache
def document() -> dict[str, Any]:
    # Imported here: the sharing app's operations are built with this module's helpers.
    from imgbackup.sharing import openapi as sharing

    paths = {**PATHS, **sharing.PATHS}
    return {
        "openapi": "3.1.0",
        "info": {"title": "imgbackup API v2", "version": __version__,
                 "description": "Self-hosted photo backup. Authenticate with "
                                "`Authorization: Bearer <token>`; see docs/api.md."},
        "servers": [{"url": PREFIX}],
        "security": [{"bearer": []}, {"session": []}],
        "tags": [{"name": name} for name in ("accounts", "photos", "uploads", "trash", "sharing",
                                                      "meta")],
        "paths": {path: ops for path, ops in paths.items() if _served(path)},
        "components": {
            "schemas": {**SCHEMAS, **sharing.SCHEMAS},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "a token from POST /auth/token or `imgbackup token`"},
                "session": {"type": "apiKey", "in": "cookie", "name": "sessionid",
                            "description": "the web app's session; unsafe methods also need "
                                           "the X-CSRFToken header"},
            },
        },
    }
