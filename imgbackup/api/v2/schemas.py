"""JSON Schemas of API v2's bodies, for the OpenAPI document (openapi.py)."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
DATE_TIME: Schema = {"type": "string", "format": "date-time"}
NULLABLE_DATE_TIME: Schema = {"type": ["string", "null"], "format": "date-time"}
SHA256: Schema = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
MD5: Schema = {"type": "string", "pattern": "^[0-9a-f]{32}$"}
HASH: Schema = {"type": "string", "pattern": "^([0-9a-fA-F]{32}|[0-9a-fA-F]{64})$"}
# Text the server compares or stores: anything but NUL, which PostgreSQL cannot hold.
TEXT: Schema = {"type": "string", "pattern": "^[^\\u0000]*$"}
INSTANT: Schema = {"anyOf": [{"type": "string", "format": "date"},
                             {"type": "string", "format": "date-time"}]}


def text(min_length: int, max_length: int, **more: Any) -> Schema:
    return {**TEXT, "minLength": min_length, "maxLength": max_length, **more}


def one_or_more(item: Schema) -> Schema:
    return {"anyOf": [item, {"type": "array", "items": item, "minItems": 1}]}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: list[str] | None = None, closed: bool = False, **properties: Schema) -> Schema:
    """An object schema; ``closed`` when the server refuses fields it does not know."""
    schema: Schema = {"type": "object", "properties": properties,
                      "required": list(properties) if required is None else required}
    if closed:
        schema["additionalProperties"] = False
    return schema


def page_of(item: str) -> Schema:
    return obj(items={"type": "array", "items": ref(item)},
               next_cursor={**NULLABLE_STRING,
                            "description": "pass as `cursor` for the next page; null at the end"})


ERROR_CODES = ["bad_request", "not_authenticated", "csrf_failed", "not_found",
               "method_not_allowed", "too_large", "too_many_pixels", "too_long",
               "too_many_files",
               "unsupported_media_type", "checksum_mismatch", "conflict", "throttled",
               "storage_unavailable", "missing_bytes", "server_error"]

ERROR_BODY = obj(code={"type": "string", "description": "one of: " + ", ".join(ERROR_CODES)},
                 message={"type": "string", "description": "for people, not for parsing"})

REJECTION = obj(name={"type": "string", "description": "the form field of the file"},
                filename=STRING, error=ERROR_BODY)

OWNER: Schema = {"type": "string", "description": "the user name of the photo's owner: the "
                 "caller, or a partner whose photos the caller shows in their timeline"}
READ_ONLY: Schema = {"type": "boolean", "description": "true for a partner's photo: its urls "
                     "point below /partners/{owner}/photos/, and every action on it is 404"}

SCHEMAS: dict[str, Schema] = {
    "Error": obj(error=ERROR_BODY),
    "Photo": obj(
        id={**SHA256, "description": "the SHA-256 of the original's bytes"},
        sha256=SHA256, md5=MD5,
        filename={"type": "string", "description": "the name the client sent (display only)"},
        content_type={"type": "string", "description": "sniffed from the bytes"},
        size={"type": "integer", "minimum": 0},
        width={"type": ["integer", "null"], "description": "as displayed (after orientation)"},
        height={"type": ["integer", "null"]},
        taken_at=DATE_TIME,
        taken_at_source={"enum": ["exif", "file", "upload"]},
        camera_make=STRING, camera_model=STRING, lens=STRING,
        latitude={"type": ["number", "null"]}, longitude={"type": ["number", "null"]},
        place={"anyOf": [ref("Place"), {"type": "null"}],
               "description": "from the GPS position, offline; null without one"},
        uploaded_at=DATE_TIME,
        favourite={"type": "boolean"},
        trashed_at=NULLABLE_DATE_TIME,
        purge_at={**NULLABLE_DATE_TIME, "description": "when the trash will destroy it"},
        media_type={"enum": ["photo", "video"]},
        duration={"type": ["number", "null"],
                  "description": "a video's length in seconds; null for photos, and for a "
                                 "video whose container does not say"},
        video={"anyOf": [{"type": "null"}, obj(
            fps={"type": ["number", "null"]}, video_codec=STRING, audio_codec={
                **STRING, "description": "empty when the video has no sound"})]},
        has_motion={"type": "boolean",
                    "description": "a Live Photo or Motion Photo: its clip is at urls.motion"},
        motion={"anyOf": [{"type": "null"}, obj(
            id=SHA256, filename=STRING, size={"type": "integer"}, content_type=STRING,
            original=STRING)],
                "description": "a Live Photo's clip, a file of its own (not listed as an item)"},
        urls=obj(["original", "thumbnail", "preview"], original=STRING, thumbnail=STRING,
                 preview=STRING, playback={**STRING, "description": "videos only"},
                 motion={**STRING, "description": "Live and Motion Photos only"}),
    ),
    "PhotoPage": page_of("Photo"),
    # The timeline's items: the caller's own photos and, merged in, partners' (read-only).
    "TimelineItem": {"allOf": [ref("Photo"), obj(owner=OWNER, read_only=READ_ONLY)]},
    "TimelinePage": page_of("TimelineItem"),
    "Place": obj(city=STRING, region=STRING, country={
        "type": "string", "description": "in English"}, country_code={
        "type": "string", "description": "ISO 3166-1 alpha-2"}),
    "PlaceList": obj(places={"type": "array", "items": obj(
        city=STRING, region=STRING, country=STRING, country_code=STRING,
        count={"type": "integer", "minimum": 1, "description": "photos outside the trash"},
        cover={**SHA256, "description": "id of the city's newest photo"})}),
    # Multipart cannot tell one value from a list of one: each field is either.
    "Upload": {
        "type": "object",
        "properties": {
            "file": {**one_or_more({"type": "string", "format": "binary"}),
                     "description": "one or more files, under any field names"},
            "sha256": {**one_or_more(STRING),
                       "description": "optional: the i-th value is the i-th file's SHA-256"},
            "md5": {**one_or_more(STRING),
                    "description": "optional: the i-th value is the i-th file's MD5"},
            "last_modified": {**one_or_more({"type": "integer"}),
                              "description": "optional: the i-th file's modification time, "
                                             "ms since 1970; taken_at when it has no EXIF date"},
        },
        "required": ["file"],
    },
    "UploadResult": obj(
        items={"type": "array", "items": obj(
            id=SHA256, sha256=SHA256, md5=MD5,
            created={"type": "boolean", "description": "false: the caller already had it"},
            name=STRING, filename=STRING, photo=ref("Photo"))},
        rejected={"type": "array", "items": REJECTION},
    ),
    "UploadRejected": obj(
        required=["error"], error=ERROR_BODY,
        items={"type": "array", "maxItems": 0, "description": "present when files were sent"},
        rejected={"type": "array", "items": REJECTION,
                  "description": "present when files were sent: why each was not kept"}),
    "CheckRequest": obj(closed=True, hashes={
        "type": "array", "maxItems": 10000, "items": HASH,
        "description": "MD5 (32 hex) or SHA-256 (64 hex) of files the client has"}),
    "CheckResult": obj(
        present={"type": "array", "items": STRING, "description": "the caller has these"},
        missing={"type": "array", "items": STRING, "description": "send these"},
        trashed={"type": "array", "items": STRING,
                 "description": "present, but only in the trash"}),
    "Favourite": obj(closed=True, favourite={"type": "boolean"}),
    "MonthList": obj(buckets={"type": "array", "items": obj(
        month={"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$",
               "description": "YYYY-MM, the UTC clock month the photos were taken in"},
        count={"type": "integer", "minimum": 1},
        version={"type": "integer", "description": (
            "changes whenever anything the month's items show changes (a photo added, "
            "trashed, favourited, a Live Photo's clip paired with its still...), even when "
            "the count stays the same: compare it for equality only")})}),
    "MonthItem": {"allOf": [ref("Photo"), obj(aspect={
        "type": ["number", "null"],
        "description": "width / height as displayed; null when unknown (lay it out square)"},
        owner=OWNER, read_only=READ_ONLY)]},
    "MonthPage": page_of("MonthItem"),
    "Bulk": obj(closed=True, ids={"type": "array", "minItems": 1, "maxItems": 5000,
                                  "items": STRING},
                action={"enum": ["trash", "restore", "favourite", "unfavourite", "destroy"],
                        "description": "destroy: only photos already in the trash"}),
    "BulkResult": obj(done={"type": "array", "items": STRING,
                            "description": "the caller's photos among the ids, now so"},
                      not_found={"type": "array", "items": STRING,
                                 "description": "ids of no photo of the caller's"}),
    "IdList": obj(closed=True, ids={"type": "array", "minItems": 1, "maxItems": 5000,
                                    "items": STRING}),
    "Destroyed": obj(destroyed={"type": "integer", "minimum": 0}),
    "Login": obj(required=["username", "password"], closed=True,
                 username=text(1, 150), password=text(1, 4096),
                 name=text(0, 100, description="a label for the token (default: api)")),
    "TokenName": obj(required=["name"], closed=True, name=text(1, 100, description=(
        "unique among the caller's tokens (409 name_taken)")), expires_at={
        **NULLABLE_DATE_TIME, "description": "refused from this instant on; null: never"}),
    "Token": obj(id={"type": "integer"}, name=STRING,
                 prefix={"type": "string", "description": "first characters, to tell apart"},
                 created_at=DATE_TIME, last_used_at=NULLABLE_DATE_TIME,
                 expires_at=NULLABLE_DATE_TIME),
    "NewToken": {"allOf": [ref("Token"), obj(token={
        "type": "string", "description": "the secret: shown in this answer only"})]},
    "TokenList": obj(items={"type": "array", "items": ref("Token")}),
    "Me": obj(username=STRING, is_admin={"type": "boolean"},
              usage_bytes={"type": "integer", "minimum": 0, "description": (
                  "bytes of the caller's originals, the trash included")},
              quota_bytes={"type": ["integer", "null"], "description": (
                  "the most the caller may keep; null: no quota")}),
    "PasswordChange": obj(required=["current_password", "new_password"], closed=True,
                          current_password=text(1, 4096), new_password=text(1, 4096),
                          keep_token={"type": "boolean", "description": (
                              "keep the token making this call (default false)")}),
    "PasswordChanged": obj(revoked_tokens={"type": "integer", "minimum": 0},
                           kept_token={"type": "boolean"}, message=STRING),
    # A wx.login code: printable ASCII without spaces (imgbackup/wechat/views.py CODE).
    "WechatLogin": obj(closed=True, code={"type": "string", "pattern": "^[!-~]{1,128}$"}),
    "WechatSession": obj(token=STRING, user=obj(username=STRING)),
}
