"""The OpenAPI description of the tus endpoints (imgbackup/api/tus.py), merged into openapi.py's
table. In its own module so the protocol's many headers do not crowd the photo operations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

JSON = "application/json"
STRING = {"type": "string"}
ERROR = {"$ref": "#/components/schemas/Error"}


def header(name: str, description: str, *, required: bool = False,
           schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": required,
            "schema": schema or STRING, "description": description}


# Not "required": the protocol answers its absence with 412, where OpenAPI tools expect 400.
TUS_RESUMABLE = header("Tus-Resumable", "the protocol version, `1.0.0`; without it, 412")
UPLOAD_ID = {"name": "upload_id", "in": "path", "required": True, "schema": STRING,
             "description": "the last segment of the Location the creation answered"}
OVERRIDE = header("X-HTTP-Method-Override", "on POST: PATCH, DELETE or HEAD, for clients "
                  "that cannot send those methods")
ANSWER_HEADERS = {
    "Tus-Resumable": {"schema": STRING, "description": "1.0.0"},
    "Upload-Offset": {"schema": STRING, "description": "bytes received so far"},
    "Upload-Length": {"schema": STRING, "description": "the file's size, once known"},
    "Upload-Defer-Length": {"schema": STRING, "description": "1 while the size is not known"},
    "Upload-Expires": {"schema": STRING, "description": "HTTP date after which an unfinished "
                                                        "upload is removed"},
    "Imgbackup-Photo-Id": {"schema": STRING, "description": "once complete: the photo's id "
                                                            "(its SHA-256)"},
}
CHUNK_BODY = {"required": False, "content": {"application/offset+octet-stream": {
    "schema": {"type": "string", "format": "binary"}}}}
TUS_ERRORS = ("404", "409", "410", "412", "413", "415", "460")


def _answer(description: str, *names: str) -> dict[str, Any]:
    return {"description": description,
            "headers": {name: ANSWER_HEADERS[name] for name in ("Tus-Resumable", *names)}}


def upload_paths(op: Callable[..., dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The tus operations, built with openapi.py's ``op`` so they share its error answers."""
    state = ("Upload-Offset", "Upload-Length", "Upload-Defer-Length", "Upload-Expires",
             "Imgbackup-Photo-Id")
    created = _answer("created; Location is the upload URL. Complete at once (with "
                      "Imgbackup-Photo-Id) when Upload-Metadata names bytes the caller has",
                      *state)
    created["headers"]["Location"] = {"schema": STRING, "description": "the upload URL"}

    def tus_op(summary: str, answers: dict[str, Any], params: list[dict[str, Any]],
               extra: tuple[str, ...] = ()) -> dict[str, Any]:
        operation = op(summary, answers, params=[TUS_RESUMABLE, *params],
                       errors=(*extra, *TUS_ERRORS), tag="uploads")
        for status in (*extra, *TUS_ERRORS):
            operation["responses"][status]["headers"] = {
                "Tus-Resumable": ANSWER_HEADERS["Tus-Resumable"]}
        return operation

    creation = tus_op("tus creation (with upload, deferred length)", {"201": created}, [
        header("Upload-Length", "the file's size in bytes"),
        header("Upload-Defer-Length", "1: the size is told by a later PATCH"),
        header("Upload-Metadata", "`key base64`, comma-separated: filename, modified_at "
                                  "(ISO 8601), sha256, md5 (hex, of the whole file)")],
        extra=("429",))
    creation["requestBody"] = CHUNK_BODY

    def discovery(params: list[dict[str, Any]], errors: tuple[str, ...] = ()) -> dict[str, Any]:
        return op("tus discovery: version, extensions, limits, checksum algorithms",
                  {"204": {"description": "see the Tus-* headers", "headers": {
                      name: {"schema": STRING} for name in (
                          "Tus-Version", "Tus-Extension", "Tus-Max-Size",
                          "Tus-Checksum-Algorithm")}}}, params=params, errors=errors,
                  tag="uploads")
    patch = tus_op("tus: append bytes at Upload-Offset", {"204": _answer(
        "appended; the last chunk's answer carries Imgbackup-Photo-Id", *state)}, [
        UPLOAD_ID, header("Upload-Offset", "where these bytes start", required=True),
        header("Upload-Length", "for a deferred length: the file's size"),
        header("Upload-Checksum", "`sha1|sha256|md5 base64` of this chunk (460 if it does "
                                  "not match; the chunk is discarded)")], extra=("429",))
    patch["requestBody"] = CHUNK_BODY
    return {
        "/uploads/": {"post": creation, "options": discovery([])},
        "/uploads/{upload_id}": {
            "head": tus_op("tus: how far an upload got", {"200": _answer("the state", *state)},
                           [UPLOAD_ID]),
            "patch": patch,
            "delete": tus_op("tus termination: the upload and its bytes are removed",
                             {"204": _answer("removed")}, [UPLOAD_ID]),
            "post": tus_op("PATCH, DELETE or HEAD for clients that can only POST", {
                "200": _answer("as HEAD", *state), "204": _answer("as PATCH or DELETE", *state)},
                [UPLOAD_ID, OVERRIDE], extra=("429",)),
            "options": discovery([UPLOAD_ID], ("404", "410")),
        },
    }
