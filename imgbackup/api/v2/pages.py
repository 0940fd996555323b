"""Keyset pagination: a page is "the next ``limit`` rows after this (time, id)", so its cost does
not grow with the library and rows added or removed meanwhile never shift what comes next.

The cursor is opaque to clients: base64url of ``[time in ISO 8601, row id]``."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from imgbackup.api.errors import bad_request
from imgbackup.api.v2.params import limit_param
from imgbackup.photos.models import Photo

MAX_CURSOR = 200  # a real one is about 70 characters


def encode_cursor(moment: datetime, row_id: int) -> str:
    raw = json.dumps([moment.astimezone(UTC).isoformat(), row_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when, row_id = json.loads(raw)
        moment = datetime.fromisoformat(when)
        if moment.tzinfo is None or type(row_id) is not int or not 0 <= row_id < 2**63:
            raise ValueError("incomplete cursor")
        moment.astimezone(UTC)  # a moment at the edge of the calendar fails here
        return moment, row_id
    except (binascii.Error, ValueError, TypeError, OverflowError, UnicodeDecodeError,
            RecursionError):
        raise bad_request("cursor is not valid: pass next_cursor from the previous page "
                          "unchanged") from None


def page(request: HttpRequest, rows: QuerySet[Photo] | Sequence[QuerySet[Photo]], field: str,
         render: Callable[[Photo], dict[str, Any]]) -> dict[str, Any]:
    """One page of ``rows`` newest ``field`` first, ``{"items", "next_cursor"}``.

    ``rows`` may be several querysets (photos/search.py splits a search into one per matching
    camera or place): each is read in index order up to a page, and they are merged here, so a
    page costs ``limit`` rows per part whatever the number of matches.

    ``field`` must never be null in ``rows``; ties on it are broken by id, so the order is
    total and no row can be skipped or repeated."""
    limit = limit_param(request)
    after = decode_cursor(cursor) if (cursor := request.GET.get("cursor")) else None
    parts = [rows] if isinstance(rows, QuerySet) else list(rows)
    found: list[Photo] = []
    for part in parts:
        found.extend(_newest(part, field, after)[: limit + 1])
    if len(parts) > 1:
        found.sort(key=lambda photo: (getattr(photo, field), photo.pk), reverse=True)
    items = found[:limit]
    next_cursor = None
    if len(found) > limit:
        last = items[-1]
        next_cursor = encode_cursor(getattr(last, field), last.pk)
    return {"items": [render(photo) for photo in items], "next_cursor": next_cursor}


def _newest(rows: QuerySet[Photo], field: str, after: tuple[datetime, int] | None
            ) -> QuerySet[Photo]:
    rows = rows.order_by(f"-{field}", "-id")
    if after is not None:
        moment, row_id = after
        # The redundant ``<=`` bound lets the index seek to the cursor; the OR alone is no
        # range, so the planner would scan every newer row first: deep pages got slower.
        rows = rows.filter(Q(**{f"{field}__lte": moment}),
                           Q(**{f"{field}__lt": moment}) | Q(**{field: moment, "id__lt": row_id}))
    return rows
