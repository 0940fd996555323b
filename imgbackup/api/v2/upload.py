"""Sending photos: POST /photos (many files, optional checksums) and POST /photos/check."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from imgbackup.api.auth import caller
from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import ApiError, bad_request
from imgbackup.api.uploads import uploaded_files
from imgbackup.api.v2.params import json_body, ms_timestamp
from imgbackup.api.v2.serialize import photo_json
from imgbackup.photos.ingest import HEX32, HEX64, Rejected, check_claimed, ingest
from imgbackup.photos.models import Original, Photo
from imgbackup.photos.uploads import HashedUpload

MAX_CHECK = 10_000
# Hashes per IN (...) query: far below SQLite's limit on bound parameters (32 766) and small
# enough for any planner to use the index.
CHECK_CHUNK = 500


def upload(request: HttpRequest, user: User) -> HttpResponse:
    """Keep every file of a multipart request; the i-th ``sha256``/``md5``/``last_modified``
    field belongs to the i-th file. 201 if any photo is new, 200 if all were already kept."""
    files = uploaded_files(request)
    claims = [_claims(request, i) for i in range(len(files))]
    items: list[dict[str, Any]] = []
    rejected: list[tuple[Rejected, dict[str, Any]]] = []
    for upload, (sha256, md5, modified_at) in zip(files, claims, strict=True):
        try:
            check_claimed(upload, sha256, md5)
            kept = ingest(user, upload, modified_at)
        except Rejected as exc:
            rejected.append((exc, _rejection(upload, exc)))
            continue
        items.append({"id": upload.sha256, "sha256": upload.sha256, "md5": upload.md5,
                      "created": kept.created, "name": upload.field_name,
                      "filename": upload.name, "photo": photo_json(kept.photo)})
    rows = [row for _, row in rejected]
    if not items:
        first = rejected[0][0]
        raise ApiError(first.status, first.code, first.message, items=[], rejected=rows)
    created = any(item["created"] for item in items)
    return JsonResponse({"items": items, "rejected": rows}, status=201 if created else 200)


def _claims(request: HttpRequest, i: int) -> tuple[str, str, datetime | None]:
    def nth(field: str) -> str:
        values = request.POST.getlist(field)
        return values[i].strip() if i < len(values) else ""

    modified = nth("last_modified")
    return nth("sha256"), nth("md5"), ms_timestamp(modified, "last_modified") if modified else None


def _rejection(upload: HashedUpload, exc: Rejected) -> dict[str, Any]:
    return {"name": upload.field_name, "filename": upload.name,
            "error": {"code": exc.code, "message": exc.message}}


@endpoint("POST")
def check(request: HttpRequest) -> HttpResponse:
    """Which of these hashes (MD5 or SHA-256) the caller has, in the trash or not."""
    hashes = _hashes(json_body(request, {"hashes"}).get("hashes"))
    live: dict[str, bool] = {}  # hash -> whether a photo with it is outside the trash
    sha256s = [h for h in hashes if len(h) == 64]
    md5s = [h for h in hashes if len(h) == 32]
    for column, wanted in (("sha256", sha256s), ("md5", md5s)):
        for start in range(0, len(wanted), CHECK_CHUNK):
            chunk = wanted[start:start + CHECK_CHUNK]
            for value, trashed_at in _owned(caller(request).pk, column, chunk):
                live[value] = live.get(value, False) or trashed_at is None
    return JsonResponse({
        "present": [h for h in hashes if h in live],
        "missing": [h for h in hashes if h not in live],
        "trashed": [h for h in hashes if h in live and not live[h]],
    })


def _owned(owner_id: int | None, column: str, hashes: list[str]) -> list[tuple[str, object]]:
    """(hash, trashed_at) of the owner's photos whose original has one of ``hashes`` in
    ``column`` (sha256 or md5). Plain SQL: for 10 000 hashes the ORM's preparation of each
    IN value cost four times the queries themselves (bench/, BENCHMARKS.md)."""
    quote = connection.ops.quote_name
    photo, original = quote(Photo._meta.db_table), quote(Original._meta.db_table)
    marks = ", ".join(["%s"] * len(hashes))
    # Names from the models, values bound. A photo carries its SHA-256 (the original's key):
    # only MD5s need the originals.
    if column == "sha256":
        source, found = photo + " p", "p.original_id"
    else:
        source, found = f"{photo} p JOIN {original} o ON o.sha256 = p.original_id", "o.md5"
    sql = (f"SELECT {found}, p.trashed_at FROM {source} "  # noqa: S608
           f"WHERE p.owner_id = %s AND {found} IN ({marks})")
    with connection.cursor() as cursor:
        cursor.execute(sql, [owner_id, *hashes])
        rows: list[tuple[str, object]] = cursor.fetchall()
    return rows


def _hashes(value: object) -> list[str]:
    """The hashes asked about: lower-cased, each once, in the order given."""
    if not isinstance(value, list):
        raise bad_request('send {"hashes": ["<md5 or sha256 hex>", ...]}')
    if len(value) > MAX_CHECK:
        raise bad_request(f"at most {MAX_CHECK} hashes per call; split the list")
    hashes: dict[str, None] = {}
    for item in value:
        digest = item.lower() if isinstance(item, str) else ""
        if not (HEX64.fullmatch(digest) or HEX32.fullmatch(digest)):
            said = json.dumps(item)  # as sent: null, 5, "abc"
            raise bad_request(f"not an MD5 (32 hex) or SHA-256 (64 hex): {said[:80]}")
        hashes[digest] = None
    return list(hashes)
